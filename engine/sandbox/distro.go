package sandbox

// The distributions' own commands that Dockerfiles run after installing packages,
// each with its real effect on the filesystem: update-ca-certificates, crontab,
// locale-gen, update-alternatives, ldconfig, setcap, and the init/privilege-drop
// helpers (tini, dumb-init, gosu, su-exec) whose binaries packages install.

import (
	"fmt"
	"sort"
	"strings"

	"layerlab/engine/rootfs"
)

func init() {
	register(map[string]cmdFunc{
		"update-ca-certificates": cmdUpdateCACertificates, "update-ca-trust": cmdUpdateCATrust,
		"crontab": cmdCrontab, "crond": cmdDaemon, "cron": cmdDaemon,
		"locale-gen": cmdLocaleGen, "update-locale": cmdUpdateLocale, "localedef": cmdLocaledef,
		"update-alternatives": cmdUpdateAlternatives, "ldconfig": cmdLdconfig, "dpkg-reconfigure": cmdDpkgReconfigure,
		"debconf-set-selections": cmdDebconfSet, "setcap": cmdSetcap, "getcap": cmdGetcap,
		"tini": cmdTini, "tini-static": cmdTini, "dumb-init": cmdDumbInit, "gosu": cmdGosu, "su-exec": cmdGosu,
	})
}

// cmdUpdateCACertificates rebuilds /etc/ssl/certs/ca-certificates.crt from the
// certificates under /usr/local/share/ca-certificates (what COPY puts there).
func cmdUpdateCACertificates(p *proc) int {
	if p.s.uid != 0 {
		p.errf("%s", p.pick("can't create '/etc/ssl/certs/ca-cert-new': Permission denied", "Permission denied"))
		return 1
	}
	var added []string
	var extra strings.Builder
	p.s.withFS(func(f *rootfs.FS) error {
		return f.Walk(func(k string, e *rootfs.Entry) error {
			if strings.HasPrefix(k, "usr/local/share/ca-certificates/") && e.Kind == rootfs.KindFile && strings.HasSuffix(k, ".crt") {
				added = append(added, "/"+k)
			}
			return nil
		})
	})
	sort.Strings(added)
	for _, a := range added {
		b, _ := p.s.readRaw(a)
		extra.Write(b)
		if len(b) > 0 && b[len(b)-1] != '\n' {
			extra.WriteByte('\n')
		}
	}
	bundle := "/etc/ssl/certs/ca-certificates.crt"
	base := caBundle()
	if err := p.put(bundle, rootfs.Bytes(string(base)+extra.String()), 0o644, 0, 0); err != nil {
		return 1
	}
	for _, a := range added {
		name := strings.TrimSuffix(a[strings.LastIndex(a, "/")+1:], ".crt") + ".pem"
		p.s.withFS(func(f *rootfs.FS) error {
			f.Remove("/etc/ssl/certs/" + name)
			return f.Put(rootfs.Clean("/etc/ssl/certs/"+name), &rootfs.Entry{Kind: rootfs.KindSymlink, Mode: 0o777, ModTime: p.s.now(), Linkname: a})
		})
	}
	if p.s.busybox || p.s.exists("/sbin/apk") {
		// Alpine's update-ca-certificates is silent unless something is wrong.
		return 0
	}
	p.outf("Updating certificates in /etc/ssl/certs...\n%d added, 0 removed; done.\nRunning hooks in /etc/ca-certificates/update.d...\ndone.\n", len(added))
	return 0
}

// cmdUpdateCATrust is the RPM family's: the anchors under /etc/pki/ca-trust/source/anchors join the bundle.
func cmdUpdateCATrust(p *proc) int {
	var extra strings.Builder
	p.s.withFS(func(f *rootfs.FS) error {
		return f.Walk(func(k string, e *rootfs.Entry) error {
			if strings.HasPrefix(k, "etc/pki/ca-trust/source/anchors/") && e.Kind == rootfs.KindFile {
				b, _ := e.Data.Bytes()
				extra.Write(b)
			}
			return nil
		})
	})
	bundle := string(caBundle()) + extra.String()
	if p.put("/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem", rootfs.Bytes(bundle), 0o644, 0, 0) != nil ||
		p.put("/etc/pki/tls/certs/ca-bundle.crt", rootfs.Bytes(bundle), 0o644, 0, 0) != nil {
		return 1
	}
	return 0
}

// crontabDir is where crontab keeps per-user tables: busybox and Debian's cron use
// /var/spool/cron/crontabs, cronie (Fedora/RHEL/Amazon Linux) /var/spool/cron.
func (p *proc) crontabDir() string {
	if p.s.busybox || p.s.exists("/sbin/apk") {
		return "/var/spool/cron/crontabs"
	}
	switch p.osRelease("ID", "") {
	case "debian", "ubuntu":
		return "/var/spool/cron/crontabs"
	case "":
		return "/var/spool/cron/crontabs"
	}
	return "/var/spool/cron"
}

// cmdCrontab: crontab FILE, crontab - (stdin), crontab -l, crontab -r, -u USER.
func cmdCrontab(p *proc) int {
	user := p.userName(p.s.uid)
	var file string
	list, remove := false, false
	for i := 0; i < len(p.args); i++ {
		switch a := p.args[i]; a {
		case "-l":
			list = true
		case "-r":
			remove = true
		case "-u":
			if i+1 < len(p.args) {
				i++
				user = p.args[i]
			}
		case "-c":
			i++
		default:
			file = a
		}
	}
	if user != p.userName(p.s.uid) && p.s.uid != 0 {
		p.errf("must be privileged to use -u")
		return 1
	}
	if _, ok := p.s.userByName(user); !ok && user != "root" {
		p.errf("user '%s' unknown", user)
		return 1
	}
	dir := p.crontabDir()
	target := dir + "/" + user
	switch {
	case list:
		b, err := p.s.readRaw(target)
		if err != nil {
			fmt.Fprintf(p.errw, "%s\n", p.pick("crontab: can't open '"+user+"': No such file or directory", "no crontab for "+user))
			return 1
		}
		p.out.Write(b)
		return 0
	case remove:
		p.s.withFS(func(f *rootfs.FS) error { return f.Remove(target) })
		return 0
	}
	var data []byte
	if file == "" || file == "-" {
		var err error
		data, err = p.readAllCapped(p.stdin())
		if err != nil {
			return 1
		}
	} else {
		b, err := p.readFile(file)
		if err != nil {
			p.errf("%s", p.pick("can't open '"+file+"': No such file or directory", file+": No such file or directory"))
			return 1
		}
		data = b
	}
	gid := 0
	mode := 0o600
	if g, ok := p.s.groupByName("crontab"); ok && dir == "/var/spool/cron/crontabs" && !p.s.busybox {
		gid = g.gid
	}
	u, _ := p.s.userByName(user)
	if err := p.put(target, rootfs.Bytes(data), fsMode(mode), u.uid, gid); err != nil {
		p.errf("%s", errno(err))
		return 1
	}
	return 0
}

// cmdDaemon answers a daemon started in a build step: it would run forever.
func cmdDaemon(p *proc) int {
	for _, a := range p.args {
		if a == "-V" || a == "--version" || a == "-h" || a == "--help" {
			p.outf("%s (layerlab sandbox stand-in)\n", p.name)
			return 0
		}
	}
	p.errf("the playground sandbox does not start daemons in a build step: %s belongs in CMD or ENTRYPOINT", p.name)
	return 1
}

// cmdLocaleGen compiles the locales /etc/locale.gen enables (or the ones named).
func cmdLocaleGen(p *proc) int {
	var want []string
	for _, a := range p.args {
		if !strings.HasPrefix(a, "-") {
			want = append(want, a)
		}
	}
	if len(want) == 0 {
		b, _ := p.s.readRaw("/etc/locale.gen")
		for _, l := range strings.Split(string(b), "\n") {
			l = strings.TrimSpace(l)
			if l != "" && !strings.HasPrefix(l, "#") {
				want = append(want, strings.Fields(l)[0])
			}
		}
	}
	p.outf("Generating locales (this might take a while)...\n")
	for _, l := range want {
		p.outf("  %s... done\n", strings.TrimSuffix(l, ".UTF-8")+strings.TrimPrefix(l, strings.Split(l, ".")[0]))
	}
	p.outf("Generation complete.\n")
	if len(want) > 0 {
		size := int64(len(want)) * (3 << 20)
		if err := p.put("/usr/lib/locale/locale-archive", rootfs.Generated{Seed: seedOf("locale", strings.Join(want, ",")), N: size}, 0o644, 0, 0); err != nil {
			return 1
		}
	}
	return 0
}

func cmdUpdateLocale(p *proc) int {
	var lines []string
	for _, a := range p.args {
		if strings.Contains(a, "=") {
			lines = append(lines, a)
		}
	}
	return distroCode(p.put("/etc/default/locale", rootfs.Bytes(strings.Join(lines, "\n")+"\n"), 0o644, 0, 0) == nil)
}

// cmdLocaledef: localedef -i en_US -f UTF-8 en_US.UTF-8 (the RPM family and Debian without locale-gen).
func cmdLocaledef(p *proc) int {
	f := parseFlags(p.args, "ifc")
	if len(f.args) == 0 {
		p.errf("wrong number of arguments")
		return 4
	}
	return distroCode(p.put("/usr/lib/locale/locale-archive", rootfs.Generated{Seed: seedOf("locale", f.args[0]), N: 3 << 20}, 0o644, 0, 0) == nil)
}

// cmdUpdateAlternatives: --install LINK NAME PATH PRIORITY and --set NAME PATH make the
// two symlinks Debian's alternatives system makes (/usr/bin/x -> /etc/alternatives/x -> PATH).
func cmdUpdateAlternatives(p *proc) int {
	args := p.args
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "--install":
			if i+4 >= len(args) {
				p.errf("--install needs <link> <name> <path> <priority>")
				return 2
			}
			link, name, target := args[i+1], args[i+2], args[i+3]
			if !p.s.exists(target) {
				p.errf("error: alternative path %s doesn't exist", target)
				return 2
			}
			p.altLink(link, name, target)
			p.outf("update-alternatives: using %s to provide %s (%s) in auto mode\n", target, link, name)
			i += 4
		case "--set":
			if i+2 >= len(args) {
				p.errf("--set needs <name> <path>")
				return 2
			}
			name, target := args[i+1], args[i+2]
			p.altLink("/usr/bin/"+name, name, target)
			p.outf("update-alternatives: using %s to provide /usr/bin/%s (%s) in manual mode\n", target, name, name)
			i += 2
		}
	}
	return 0
}

func (p *proc) altLink(link, name, target string) {
	p.s.withFS(func(f *rootfs.FS) error {
		f.MkdirAll("/etc/alternatives", 0o755, 0, 0, p.s.now())
		for _, l := range [][2]string{{"/etc/alternatives/" + name, target}, {link, "/etc/alternatives/" + name}} {
			f.Remove(l[0])
			f.MkdirAll(pathDirOf(l[0]), 0o755, 0, 0, p.s.now())
			f.Put(rootfs.Clean(l[0]), &rootfs.Entry{Kind: rootfs.KindSymlink, Mode: 0o777, ModTime: p.s.now(), Linkname: l[1]})
		}
		return nil
	})
	p.put("/var/lib/dpkg/alternatives/"+name, rootfs.Bytes("auto\n"+link+"\n\n"+target+"\n100\n\n"), 0o644, 0, 0)
}

func pathDirOf(p string) string {
	if i := strings.LastIndex(p, "/"); i > 0 {
		return p[:i]
	}
	return "/"
}

// cmdLdconfig refreshes the linker cache the way glibc's does: /etc/ld.so.cache.
func cmdLdconfig(p *proc) int {
	if p.s.uid != 0 {
		p.errf("Can't create temporary cache file /etc/ld.so.cache~: Permission denied")
		return 1
	}
	var libs int
	p.s.withFS(func(f *rootfs.FS) error {
		return f.Walk(func(k string, e *rootfs.Entry) error {
			if strings.Contains(k, ".so") && (strings.HasPrefix(k, "usr/lib") || strings.HasPrefix(k, "lib") || strings.HasPrefix(k, "usr/local/lib")) {
				libs++
			}
			return nil
		})
	})
	return distroCode(p.put("/etc/ld.so.cache", rootfs.Generated{Seed: seedOf("ldcache", fmt.Sprint(libs)), N: int64(2048 + 96*libs)}, 0o644, 0, 0) == nil)
}

// cmdDpkgReconfigure: -f noninteractive tzdata applies /etc/timezone (the usual use).
func cmdDpkgReconfigure(p *proc) int {
	var pkg string
	for i := 0; i < len(p.args); i++ {
		a := p.args[i]
		if a == "-f" || a == "--frontend" {
			i++
			continue
		}
		if !strings.HasPrefix(a, "-") {
			pkg = a
		}
	}
	status := p.debStatus()
	if _, ok := status[pkg]; !ok {
		p.errf("error: %s is not installed", pkg)
		return 1
	}
	if pkg == "tzdata" {
		tz := "Etc/UTC"
		if b, err := p.s.readRaw("/etc/timezone"); err == nil && strings.TrimSpace(string(b)) != "" {
			tz = strings.TrimSpace(string(b))
		}
		p.s.withFS(func(f *rootfs.FS) error {
			f.Remove("/etc/localtime")
			return f.Put(rootfs.Clean("/etc/localtime"), &rootfs.Entry{Kind: rootfs.KindSymlink, Mode: 0o777, ModTime: p.s.now(), Linkname: "/usr/share/zoneinfo/" + tz})
		})
		p.outf("\nCurrent default time zone: '%s'\nLocal time is now:      %s.\nUniversal Time is now:  %s.\n\n", tz, p.s.now().UTC().Format("Mon Jan _2 15:04:05 UTC 2006"), p.s.now().UTC().Format("Mon Jan _2 15:04:05 UTC 2006"))
	}
	if pkg == "locales" {
		return cmdLocaleGen(p.with("locale-gen", nil))
	}
	return 0
}

// with returns a copy of p running as another command with other arguments.
func (p *proc) with(name string, args []string) *proc {
	c := *p
	c.name, c.args = name, args
	return &c
}

func cmdDebconfSet(p *proc) int {
	data, err := p.readAllCapped(p.stdin())
	if err != nil {
		return 1
	}
	for _, a := range p.args {
		if b, err := p.readFile(a); err == nil {
			data = append(data, b...)
		}
	}
	p.appendLine("/var/cache/debconf/config.dat", strings.TrimSpace(string(data)))
	return 0
}

// cmdSetcap records file capabilities (the sandbox runs nothing, so they grant
// nothing); getcap reads them back.
func cmdSetcap(p *proc) int {
	if len(p.args) < 2 {
		p.outf("usage: setcap [-q] [-v] [-n <rootid>] (-r|-|<caps>) <filename> [ ... (-r|-|<capsN>) <filenameN> ]\n")
		return 1
	}
	args := p.args
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "-r" && args[0] != "-" {
		args = args[1:]
	}
	for i := 0; i+1 < len(args); i += 2 {
		caps, file := args[i], args[i+1]
		if !p.s.exists(p.abs(file)) {
			p.errf("Failed to set capabilities on file '%s': No such file or directory", file)
			return 1
		}
		if caps == "-r" {
			p.rewriteCap(p.abs(file), "")
			continue
		}
		p.rewriteCap(p.abs(file), caps)
	}
	return 0
}

// capsFile is the sandbox's record of setcap's effects (real capabilities are an
// xattr the layer would carry; the record is what getcap reads).
const capsFile = "/var/lib/layerlab/file-capabilities"

func (p *proc) rewriteCap(file, caps string) {
	b, _ := p.s.readRaw(capsFile)
	var keep []string
	for _, l := range strings.Split(string(b), "\n") {
		if l != "" && !strings.HasPrefix(l, file+" ") {
			keep = append(keep, l)
		}
	}
	if caps != "" {
		keep = append(keep, file+" "+caps)
	}
	p.put(capsFile, rootfs.Bytes(strings.Join(keep, "\n")+"\n"), 0o644, 0, 0)
}

func cmdGetcap(p *proc) int {
	b, _ := p.s.readRaw(capsFile)
	for _, a := range p.args {
		for _, l := range strings.Split(string(b), "\n") {
			if f, caps, ok := strings.Cut(l, " "); ok && f == p.abs(a) {
				p.outf("%s %s\n", a, caps)
			}
		}
	}
	return 0
}

// runChild runs argv as a child of an init or privilege-drop helper.
func (p *proc) runChild(argv []string, uid, gid int) int {
	if len(argv) == 0 {
		return 0
	}
	c := p.with(argv[0], argv[1:])
	if uid >= 0 {
		// The child runs as the user; the helper's own process is done by then.
		olduid, oldgid := p.s.uid, p.s.gid
		p.s.uid, p.s.gid = uid, gid
		defer func() { p.s.uid, p.s.gid = olduid, oldgid }()
	}
	return c.dispatchChild()
}

func cmdTini(p *proc) int {
	args := p.args
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "--version":
			p.outf("tini version 0.19.0 - git.de40ad0\n")
			return 0
		case "-h", "--help":
			p.outf("tini (tini version 0.19.0 - git.de40ad0)\nUsage: tini [OPTIONS] PROGRAM -- [ARGS] | --version\n")
			return 0
		case "--":
			args = args[1:]
			return p.runChild(args, -1, -1)
		case "-e", "-p":
			args = args[1:]
		}
		args = args[1:]
	}
	if len(args) == 0 {
		p.outf("tini (tini version 0.19.0 - git.de40ad0)\nUsage: tini [OPTIONS] PROGRAM -- [ARGS] | --version\n")
		return 1
	}
	return p.runChild(args, -1, -1)
}

func cmdDumbInit(p *proc) int {
	args := p.args
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		if args[0] == "--version" || args[0] == "-V" {
			p.outf("dumb-init v1.2.5\n")
			return 0
		}
		if args[0] == "--" {
			args = args[1:]
			break
		}
		args = args[1:]
	}
	if len(args) == 0 {
		p.errf("Usage: dumb-init [option] command [[arg] ...]")
		return 1
	}
	return p.runChild(args, -1, -1)
}

// cmdGosu: gosu USER[:GROUP] cmd... and su-exec USER[:GROUP] cmd..., run as that user.
func cmdGosu(p *proc) int {
	if len(p.args) == 1 && (p.args[0] == "--version" || p.args[0] == "-v") {
		p.outf("1.17 (go1.18.2 on linux/amd64; gc)\n")
		return 0
	}
	if len(p.args) < 2 {
		if p.name == "su-exec" {
			p.outf("Usage: su-exec user-spec command [args]\n")
		} else {
			p.outf("Usage: gosu user-spec command [args]\n   eg: gosu tianon bash\n")
		}
		return 1
	}
	if p.s.uid != 0 {
		p.errf("error: operation not permitted")
		return 1
	}
	uid, gid, _, err := p.s.resolveUser(p.args[0])
	if err != nil {
		p.errf("error: failed switching to %q: %v", p.args[0], err)
		return 1
	}
	if p.name == "gosu" {
		// gosu's own check: "nobody" is the only user it runs as without a home.
		_ = gid
	}
	return p.runChild(p.args[1:], uid, gid)
}

func distroCode(ok bool) int {
	if ok {
		return 0
	}
	return 1
}
