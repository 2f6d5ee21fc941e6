package sandbox

// apt-get, apt, apt-cache and dpkg over the Debian/Ubuntu catalog: the package
// database is the image's own /var/lib/dpkg/status (what the base image installed
// counts), the lists are what apt-get update wrote, and the outputs are apt's.

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"layerlab/engine/rootfs"
	"layerlab/engine/sandbox/catalog"
)

func init() {
	register(map[string]cmdFunc{"apt-get": cmdAptGet, "apt": cmdAptGet, "apt-cache": cmdAptCache, "dpkg": cmdDpkg, "dpkg-query": cmdDpkg, "apt-mark": cmdAptMark})
}

// aptSize formats a byte count as apt's SizeToStr does: "951 B", "55.4 kB", "1,416 kB", "18.1 MB", "196 MB".
func aptSize(n int64) string {
	v := float64(n)
	units := []string{"", "k", "M", "G", "T"}
	for i, u := range units {
		if v < 100 && i != 0 {
			return fmt.Sprintf("%.1f %sB", v, u)
		}
		if v < 10000 {
			return commas(int64(v+0.5)) + " " + u + "B"
		}
		v /= 1000
	}
	return fmt.Sprintf("%.0f PB", v)
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func cmdAptGet(p *proc) int {
	f := parseFlags(p.args, "octS")
	if len(f.args) == 0 {
		p.outf("apt 2.6.1 (amd64)\nUsage: apt-get [options] command\n")
		return 1
	}
	if p.s.uid != 0 && f.args[0] != "-v" {
		if f.args[0] == "update" {
			fmt.Fprintf(p.errw, "Reading package lists...\nE: Could not open lock file /var/lib/apt/lists/lock - open (13: Permission denied)\nE: Unable to lock directory /var/lib/apt/lists/\n")
		} else {
			fmt.Fprintf(p.errw, "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?\n")
		}
		return 100
	}
	yes := f.has('y', "yes", "assume-yes") || f.set['y']
	// -o APT::Install-Recommends=false says what --no-install-recommends says.
	noRec := f.has(0, "no-install-recommends") || strings.Contains(f.val['o'], "Install-Recommends=false") || strings.Contains(f.val['o'], "Install-Recommends=0")
	quiet := f.set['q'] || f.has(0, "quiet")
	_, purge := f.long["purge"]
	_, autoRemove := f.long["auto-remove"]
	if _, ok := f.long["autoremove"]; ok {
		autoRemove = true
	}
	switch f.args[0] {
	case "update":
		return p.aptUpdate(quiet)
	case "install", "reinstall":
		return p.aptInstall(f.args[1:], yes, noRec)
	case "remove", "purge", "autoremove":
		return p.aptRemove(f.args[0], f.args[1:], yes, purge || f.args[0] == "purge", autoRemove || f.args[0] == "autoremove")
	case "clean", "autoclean":
		p.s.withFS(func(fsys *rootfs.FS) error {
			names, _ := fsys.ReadDir("/var/cache/apt/archives")
			for _, n := range names {
				if strings.HasSuffix(n, ".deb") {
					fsys.Remove("/var/cache/apt/archives/" + n)
				}
			}
			fsys.Remove("/var/cache/apt/pkgcache.bin")
			fsys.Remove("/var/cache/apt/srcpkgcache.bin")
			return nil
		})
		return 0
	case "upgrade", "dist-upgrade", "full-upgrade":
		// The stand-in base images are built from the archive's current versions,
		// so there is nothing newer to upgrade to.
		p.outf("Reading package lists...\nBuilding dependency tree...\nReading state information...\nCalculating upgrade...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n")
		return 0
	case "check":
		p.outf("Reading package lists...\nBuilding dependency tree...\nReading state information...\n")
		return 0
	case "source", "build-dep", "download", "changelog":
		fmt.Fprintf(p.errw, "E: the layerlab sandbox does not simulate apt-get %s\n", f.args[0])
		return 100
	}
	fmt.Fprintf(p.errw, "E: Invalid operation %s\n", f.args[0])
	return 100
}

func (p *proc) aptListsPresent() bool {
	var n int
	p.s.withFS(func(fsys *rootfs.FS) error {
		names, _ := fsys.ReadDir("/var/lib/apt/lists")
		for _, x := range names {
			if strings.Contains(x, "Packages") {
				n++
			}
		}
		return nil
	})
	return n > 0
}

// aptSources are the release's index files, as the image's sources name them.
func (p *proc) aptSources(c *catalog.Catalog) (urls []string, files []string, sizes []int64) {
	cn := c.Release.Codename
	mirror, sec := c.Release.Vars["MIRROR"], c.Release.Vars["SECURITY"]
	host := func(u string) string {
		u = strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
		return strings.ReplaceAll(strings.ReplaceAll(u, "_", "%5f"), "/", "_") // apt's escaping of list file names
	}
	secSuite := cn + "-security"
	if cn == "buster" {
		secSuite = "buster/updates"
	}
	type src struct {
		base, suite string
		comps       []string
	}
	var srcs []src
	if c.Release.Distro == "ubuntu" {
		all := []string{"main", "restricted", "universe", "multiverse"}
		srcs = []src{{mirror, cn, all}, {mirror, cn + "-updates", all}, {mirror, cn + "-backports", []string{"main", "universe"}}, {sec, cn + "-security", all}}
	} else {
		srcs = []src{{mirror, cn, []string{"main"}}, {mirror, cn + "-updates", []string{"main"}}, {sec, secSuite, []string{"main"}}}
	}
	if major := p.nodesourceMajor(); major != "" {
		srcs = append(srcs, src{nodesourceRepo(major), "nodistro", []string{"main"}})
	}
	for _, s := range srcs {
		urls = append(urls, s.base+" "+s.suite+" InRelease")
		files = append(files, host(s.base)+"_dists_"+strings.ReplaceAll(s.suite, "/", "_")+"_InRelease")
		sizes = append(sizes, int64(48+seedOf(s.suite)%110)<<10)
	}
	for i, s := range srcs {
		for j, comp := range s.comps {
			size := int64(13 << 10)
			switch {
			case i == 0 && j == 0:
				size = 18_400 << 10 // the release's main: most of what update downloads
			case i == 0:
				size = int64(600+seedOf(comp)%1400) << 10
			case j == 0:
				size = 420 << 10
			}
			urls = append(urls, s.base+" "+s.suite+"/"+comp+" amd64 Packages")
			files = append(files, host(s.base)+"_dists_"+strings.ReplaceAll(s.suite, "/", "_")+"_"+comp+"_binary-amd64_Packages.lz4")
			sizes = append(sizes, size)
		}
	}
	return urls, files, sizes
}

func (p *proc) aptUpdate(quiet bool) int {
	c := p.sysCatalog(catalog.Deb)
	urls, files, sizes := p.aptSources(c)
	var total int64
	for i := range urls {
		dl := sizes[i] / 3
		if strings.HasSuffix(files[i], "InRelease") {
			dl = sizes[i]
		}
		total += dl
		if !quiet {
			p.outf("Get:%d %s [%s]\n", i+1, urls[i], aptSize(dl))
		}
		if err := p.put("/var/lib/apt/lists/"+files[i], rootfs.Generated{Seed: seedOf("apt", files[i]), N: sizes[i]}, 0o644, 0, 0); err != nil {
			return 100
		}
	}
	p.put("/var/lib/apt/lists/lock", rootfs.Bytes(nil), 0o640, 0, 0)
	p.s.withFS(func(fsys *rootfs.FS) error {
		return fsys.MkdirAll("/var/lib/apt/lists/partial", 0o700, 0, 0, p.s.now())
	})
	if !quiet {
		p.outf("Fetched %s in 1s (%s/s)\nReading package lists...\n", aptSize(total), aptSize(total))
	}
	return 0
}

// debStatus is /var/lib/dpkg/status: package name -> version.
func (p *proc) debStatus() map[string]string {
	b, _ := p.s.readRaw("/var/lib/dpkg/status")
	out := map[string]string{}
	for _, st := range strings.Split(string(b), "\n\n") {
		var name, ver string
		installed := true
		for _, l := range strings.Split(st, "\n") {
			if n, ok := strings.CutPrefix(l, "Package: "); ok {
				name = strings.TrimSpace(n)
			}
			if v, ok := strings.CutPrefix(l, "Version: "); ok {
				ver = strings.TrimSpace(v)
			}
			if s, ok := strings.CutPrefix(l, "Status: "); ok && !strings.HasSuffix(strings.TrimSpace(s), " installed") {
				installed = false
			}
		}
		if name != "" && installed {
			out[name] = ver
		}
	}
	return out
}

func (p *proc) debInstalled() map[string]bool {
	out := map[string]bool{}
	for n := range p.debStatus() {
		out[n] = true
	}
	return out
}

// debRequest splits apt's package argument: name=version, name/release, name:arch.
func debRequest(arg string) string {
	name, _, _ := strings.Cut(arg, "=")
	name, _, _ = strings.Cut(name, "/")
	name, _, _ = strings.Cut(name, ":")
	return name
}

// nodesourceMajor is the Node.js major of a NodeSource apt source the image has
// configured (deb.nodesource.com/node_20.x, as its setup script writes it), or "".
func (p *proc) nodesourceMajor() string {
	files := []string{"/etc/apt/sources.list"}
	p.s.withFS(func(f *rootfs.FS) error {
		names, _ := f.ReadDir("/etc/apt/sources.list.d")
		for _, n := range names {
			if strings.HasSuffix(n, ".list") || strings.HasSuffix(n, ".sources") {
				files = append(files, "/etc/apt/sources.list.d/"+n)
			}
		}
		return nil
	})
	for _, f := range files {
		b, _ := p.s.readRaw(f)
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(strings.TrimSpace(l), "#") {
				continue
			}
			if m := nodesourceURL.FindStringSubmatch(l); m != nil {
				return m[1]
			}
		}
	}
	return ""
}

var nodesourceURL = newLazyRegexp(`deb\.nodesource\.com/node_([0-9]+)\.x`)

// nodesourceRepo is the apt source line's base for a major.
func nodesourceRepo(major string) string { return "https://deb.nodesource.com/node_" + major + ".x" }

// withNodesource replaces the release's nodejs by NodeSource's when its source is
// configured: apt prefers it (the setup script pins it at 600, and its version is
// higher), and it bundles npm and corepack (/usr/bin/npm, npx, corepack), where
// Debian's nodejs leaves npm to its own package.
func (p *proc) withNodesource(c *catalog.Catalog) *catalog.Catalog {
	major := p.nodesourceMajor()
	if major == "" {
		return c
	}
	rel, ok := nodeReleases[major]
	if !ok {
		fmt.Fprintf(p.errw, "layerlab: the playground does not know NodeSource's node_%s.x; apt uses %s's nodejs\n", major, c.Release.Codename)
		return c
	}
	// sizes of NodeSource's nodistro .deb of each line: node grew from about 100 MB
	// installed (10.x) to about 200 MB (20.x and later)
	inst, dl := int64(110_000), int64(16_500)
	if n, _ := strconv.Atoi(major); n >= 18 {
		inst, dl = 195_000, 31_000
	} else if n >= 14 {
		inst, dl = 160_000, 26_000
	}
	return c.With(catalog.Package{
		Name: "nodejs", Version: rel + "-1nodesource1", Installed: inst << 10, Download: dl * 1000,
		Deps: []string{"ca-certificates", "python3-minimal"},
		Bins: []string{"/usr/bin/node", "/usr/bin/npm", "/usr/bin/npx", "/usr/bin/corepack"},
	})
}

func (p *proc) aptInstall(args []string, yes, noRec bool) int {
	p.outf("Reading package lists...\nBuilding dependency tree...\nReading state information...\n")
	c := p.withNodesource(p.sysCatalog(catalog.Deb))
	status := p.debStatus()
	installed := p.debInstalled()
	var names []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		names = append(names, debRequest(a))
	}
	// Without lists (no apt-get update in this image since the base image removed
	// them) apt knows only what dpkg has installed.
	if !p.aptListsPresent() {
		for _, n := range names {
			if !installed[n] {
				fmt.Fprintf(p.errw, "E: Unable to locate package %s\n", n)
				return 100
			}
		}
	}
	order, refused := sysResolve(c, catalog.Deb, names, installed, !noRec)
	if len(refused) > 0 {
		for _, n := range refused {
			fmt.Fprintf(p.errw, "E: Unable to locate package %s\n", n)
		}
		return 100
	}
	for _, n := range names {
		if v, ok := status[n]; ok {
			p.outf("%s is already the newest version (%s).\n", n, v)
		}
	}
	if len(order) == 0 {
		p.outf("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n")
		return 0
	}
	var extra, all []string
	var dl, inst int64
	for _, w := range order {
		all = append(all, w.pkg.Name)
		if !w.requested {
			extra = append(extra, w.pkg.Name)
		}
		dl += w.pkg.Download
		inst += w.pkg.Installed
	}
	sort.Strings(extra)
	sort.Strings(all)
	if len(extra) > 0 {
		p.outf("The following additional packages will be installed:\n%s", aptWrap(extra))
	}
	if noRec {
		var rec []string
		for _, w := range order {
			for _, r := range w.pkg.Recommends {
				if !installed[r] && !hasName(all, r) {
					rec = append(rec, r)
				}
			}
		}
		if len(rec) > 0 {
			sort.Strings(rec)
			p.outf("Recommended packages:\n%s", aptWrap(dedupe(rec)))
		}
	}
	p.outf("The following NEW packages will be installed:\n%s", aptWrap(all))
	p.outf("0 upgraded, %d newly installed, 0 to remove and 0 not upgraded.\n", len(order))
	p.outf("Need to get %s of archives.\nAfter this operation, %s of additional disk space will be used.\n", aptSize(dl), aptSize(inst))
	if !yes {
		p.outf("Do you want to continue? [Y/n] Abort.\n")
		return 1
	}
	p.synthNote(order)
	mirror := c.Release.Vars["MIRROR"]
	for i, w := range order {
		if strings.HasSuffix(w.pkg.Version, "nodesource1") {
			p.outf("Get:%d %s nodistro/main amd64 %s amd64 %s [%s]\n", i+1, nodesourceRepo(p.nodesourceMajor()), w.pkg.Name, w.pkg.Version, aptSize(w.pkg.Download))
			continue
		}
		p.outf("Get:%d %s %s/main amd64 %s amd64 %s [%s]\n", i+1, mirror, c.Release.Codename, w.pkg.Name, w.pkg.Version, aptSize(w.pkg.Download))
	}
	if p.getenv("DEBIAN_FRONTEND") != "noninteractive" {
		p.outf("debconf: delaying package configuration, since apt-utils is not installed\n")
	}
	p.outf("Fetched %s in 1s (%s/s)\n", aptSize(dl), aptSize(dl))
	keepDebs := !p.s.exists("/etc/apt/apt.conf.d/docker-clean")
	var st, auto strings.Builder
	for i, w := range order {
		pk := w.pkg
		deb := fmt.Sprintf("%s_%s_amd64.deb", pk.Name, strings.ReplaceAll(pk.Version, ":", "%3a"))
		prefix := ""
		if len(order) > 1 {
			prefix = fmt.Sprintf("%02d-", i)
		}
		p.outf("Selecting previously unselected package %s.\n", pk.Name)
		if i == 0 {
			p.outf("(Reading database ... %d files and directories currently installed.)\n", 4000+len(status)*50)
		}
		p.outf("Preparing to unpack .../%s%s ...\nUnpacking %s (%s) ...\n", prefix, deb, pk.Name, pk.Version)
		if keepDebs {
			if err := p.put("/var/cache/apt/archives/"+deb, rootfs.Generated{Seed: seedOf("debfile", pk.Name), N: pk.Download}, 0o644, 0, 0); err != nil {
				return 100
			}
		}
		list, err := p.sysPut(sysFiles(catalog.Deb, pk))
		if err != nil {
			return 100
		}
		if strings.HasSuffix(pk.Version, "nodesource1") {
			// NodeSource's nodejs carries npm as a global package of the /usr prefix
			npmVer := npmOfNode[strings.Split(pk.Version, ".")[0]]
			pj := "/usr/lib/node_modules/npm/package.json"
			if err := p.put(pj, rootfs.Bytes(fmt.Sprintf("{\n  \"name\": \"npm\",\n  \"version\": %q,\n  \"bin\": {\n    \"npm\": \"bin/npm-cli.js\",\n    \"npx\": \"bin/npx-cli.js\"\n  }\n}\n", npmVer)), 0o644, 0, 0); err != nil {
				return 100
			}
			list = append(list, pj)
		}
		p.put("/var/lib/dpkg/info/"+pk.Name+".list", rootfs.Bytes(strings.Join(list, "\n")+"\n"), 0o644, 0, 0)
		fmt.Fprintf(&st, "Package: %s\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: %s\nInstalled-Size: %d\n", pk.Name, pk.Version, pk.Installed>>10)
		if len(pk.Deps) > 0 {
			fmt.Fprintf(&st, "Depends: %s\n", strings.Join(pk.Deps, ", "))
		}
		fmt.Fprintf(&st, "Description: %s\n\n", pk.Name)
		if !w.requested {
			fmt.Fprintf(&auto, "Package: %s\nArchitecture: amd64\nAuto-Installed: 1\n\n", pk.Name)
		}
	}
	for _, w := range order {
		p.outf("Setting up %s (%s) ...\n", w.pkg.Name, w.pkg.Version)
		if w.pkg.Name == "ca-certificates" {
			p.outf("Updating certificates in /etc/ssl/certs...\n140 added, 0 removed; done.\n")
		}
		if w.pkg.Name == "tzdata" {
			p.outf("\nCurrent default time zone: 'Etc/UTC'\nLocal time is now:      %s.\nUniversal Time is now:  %s.\n\n", p.s.now().UTC().Format("Mon Jan _2 15:04:05 UTC 2006"), p.s.now().UTC().Format("Mon Jan _2 15:04:05 UTC 2006"))
			if !p.s.exists("/etc/timezone") {
				p.put("/etc/timezone", rootfs.Bytes("Etc/UTC\n"), 0o644, 0, 0)
			}
		}
	}
	p.outf("Processing triggers for libc-bin (%s) ...\n", orDefault(c.Release.Vars["LIBC"], "2.36-9+deb12u10"))
	if hasName(all, "ca-certificates") {
		p.outf("Processing triggers for ca-certificates (%s) ...\nUpdating certificates in /etc/ssl/certs...\n0 added, 0 removed; done.\nRunning hooks in /etc/ca-certificates/update.d...\ndone.\n", mustVersion(c, "ca-certificates"))
	}
	p.appendFile("/var/lib/dpkg/status", st.String())
	if auto.Len() > 0 {
		p.appendFile("/var/lib/apt/extended_states", auto.String())
	}
	return 0
}

func mustVersion(c *catalog.Catalog, name string) string {
	pk, _ := c.Lookup(name)
	return pk.Version
}

// appendFile appends stanzas to a database file, keeping a blank line between them.
func (p *proc) appendFile(file, text string) {
	old, _ := p.s.readRaw(file)
	s := string(old)
	if s != "" && !strings.HasSuffix(s, "\n\n") {
		s = strings.TrimRight(s, "\n") + "\n\n"
	}
	p.put(file, rootfs.Bytes(s+text), 0o644, 0, 0)
}

// aptWrap indents a package list as apt does, wrapped before 80 columns.
func aptWrap(names []string) string {
	var b strings.Builder
	line := " "
	for _, n := range names {
		if len(line)+1+len(n) > 79 && line != " " {
			b.WriteString(line + "\n")
			line = " "
		}
		line += " " + n
	}
	b.WriteString(line + "\n")
	return b.String()
}

func sortedNames(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func hasName(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func dedupe(list []string) []string {
	var out []string
	for i, x := range list {
		if i == 0 || x != list[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// debAuto reads apt's record of automatically installed packages.
func (p *proc) debAuto() map[string]bool {
	b, _ := p.s.readRaw("/var/lib/apt/extended_states")
	out := map[string]bool{}
	for _, st := range strings.Split(string(b), "\n\n") {
		var name string
		for _, l := range strings.Split(st, "\n") {
			if n, ok := strings.CutPrefix(l, "Package: "); ok {
				name = n
			}
			if l == "Auto-Installed: 1" && name != "" {
				out[name] = true
			}
		}
	}
	return out
}

// aptRemove removes packages and, with autoremove, the automatically installed
// packages nothing installed depends on any more.
func (p *proc) aptRemove(op string, args []string, yes, purge, autoremove bool) int {
	p.outf("Reading package lists...\nBuilding dependency tree...\nReading state information...\n")
	c := p.sysCatalog(catalog.Deb)
	status := p.debStatus()
	var rm []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		n := debRequest(a)
		if _, ok := status[n]; !ok {
			if _, ok := sysLookup(c, catalog.Deb, n); !ok {
				fmt.Fprintf(p.errw, "E: Unable to locate package %s\n", n)
				return 100
			}
			p.outf("Package '%s' is not installed, so not removed\n", n)
			continue
		}
		rm = append(rm, n)
	}
	if autoremove {
		rm = append(rm, p.debOrphans(c, status, rm)...)
	}
	if len(rm) == 0 {
		p.outf("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n")
		return 0
	}
	sort.Strings(rm)
	rm = dedupe(rm)
	label := "The following packages will be REMOVED:\n"
	shown := rm
	if purge {
		shown = nil
		for _, n := range rm {
			shown = append(shown, n+"*")
		}
	}
	p.outf("%s%s0 upgraded, 0 newly installed, %d to remove and 0 not upgraded.\n", label, aptWrap(shown), len(rm))
	var freed int64
	for _, n := range rm {
		if pk, ok := c.Lookup(n); ok {
			freed += pk.Installed
		}
	}
	p.outf("After this operation, %s disk space will be freed.\n", aptSize(freed))
	if !yes {
		p.outf("Do you want to continue? [Y/n] Abort.\n")
		return 1
	}
	p.outf("(Reading database ... %d files and directories currently installed.)\n", 4000+len(status)*50)
	for _, n := range rm {
		p.outf("Removing %s (%s) ...\n", n, status[n])
		b, _ := p.s.readRaw("/var/lib/dpkg/info/" + n + ".list")
		p.sysRemove(strings.Fields(string(b)))
		p.s.withFS(func(f *rootfs.FS) error { return f.Remove("/var/lib/dpkg/info/" + n + ".list") })
	}
	if purge {
		for _, n := range rm {
			p.outf("Purging configuration files for %s (%s) ...\n", n, status[n])
		}
	}
	p.rewriteStanzas("/var/lib/dpkg/status", "Package: ", rm)
	p.rewriteStanzas("/var/lib/apt/extended_states", "Package: ", rm)
	return 0
}

// debOrphans are the automatically installed packages that no remaining package
// depends on once rm is gone (apt's autoremove).
func (p *proc) debOrphans(c *catalog.Catalog, status map[string]string, rm []string) []string {
	auto := p.debAuto()
	gone := map[string]bool{}
	for _, n := range rm {
		gone[n] = true
	}
	for {
		needed := map[string]bool{}
		for n := range status {
			if gone[n] {
				continue
			}
			if pk, ok := c.Lookup(n); ok {
				for _, d := range append(append([]string(nil), pk.Deps...), pk.Recommends...) {
					needed[d] = true
				}
			}
		}
		changed := false
		for n := range auto {
			if _, inst := status[n]; inst && !gone[n] && !needed[n] {
				gone[n] = true
				changed = true
			}
		}
		if !changed {
			break
		}
	}
	var out []string
	for n := range gone {
		if !hasName(rm, n) {
			out = append(out, n)
		}
	}
	return out
}

// rewriteStanzas drops the stanzas of names from a blank-line-separated database.
func (p *proc) rewriteStanzas(file, key string, names []string) {
	old, err := p.s.readRaw(file)
	if err != nil {
		return
	}
	var keep []string
	for _, st := range strings.Split(string(old), "\n\n") {
		drop := false
		for _, l := range strings.Split(st, "\n") {
			if n, ok := strings.CutPrefix(l, key); ok && hasName(names, strings.TrimSpace(n)) {
				drop = true
			}
		}
		if !drop && strings.TrimSpace(st) != "" {
			keep = append(keep, strings.Trim(st, "\n"))
		}
	}
	text := ""
	if len(keep) > 0 {
		text = strings.Join(keep, "\n\n") + "\n\n"
	}
	p.put(file, rootfs.Bytes(text), 0o644, 0, 0)
}

func cmdAptMark(p *proc) int {
	if len(p.args) == 0 {
		p.errf("no operation given")
		return 100
	}
	switch p.args[0] {
	case "showmanual", "showauto":
		auto := p.debAuto()
		for _, n := range p.sortedKeys(p.debInstalled()) {
			if auto[n] == (p.args[0] == "showauto") {
				p.outf("%s\n", n)
			}
		}
		return 0
	case "auto", "manual", "hold", "unhold":
		var b strings.Builder
		for _, n := range p.args[1:] {
			if p.args[0] == "auto" && !strings.ContainsAny(n, "*.") {
				fmt.Fprintf(&b, "Package: %s\nArchitecture: amd64\nAuto-Installed: 1\n\n", n)
			}
		}
		if p.args[0] == "manual" {
			p.rewriteStanzas("/var/lib/apt/extended_states", "Package: ", p.args[1:])
		}
		if b.Len() > 0 {
			p.appendFile("/var/lib/apt/extended_states", b.String())
		}
		return 0
	}
	p.errf("Invalid operation %s", p.args[0])
	return 100
}

func cmdAptCache(p *proc) int {
	f := parseFlags(p.args, "")
	if len(f.args) == 0 {
		p.outf("apt 2.6.1 (amd64)\nUsage: apt-cache [options] command\n")
		return 1
	}
	c := p.sysCatalog(catalog.Deb)
	status := p.debStatus()
	switch f.args[0] {
	case "policy", "show", "madison", "depends":
		for _, n := range f.args[1:] {
			pk, ok := c.Lookup(n)
			if !ok && status[n] == "" {
				if f.args[0] == "policy" {
					continue
				}
				fmt.Fprintf(p.errw, "E: No packages found\n")
				return 100
			}
			switch f.args[0] {
			case "policy":
				inst := status[n]
				if inst == "" {
					inst = "(none)"
				}
				p.outf("%s:\n  Installed: %s\n  Candidate: %s\n  Version table:\n     %s 500\n        500 %s %s/main amd64 Packages\n", n, inst, pk.Version, pk.Version, c.Release.Vars["MIRROR"], c.Release.Codename)
			case "madison":
				p.outf("%10s | %s | %s %s/main amd64 Packages\n", n, pk.Version, c.Release.Vars["MIRROR"], c.Release.Codename)
			case "depends":
				p.outf("%s\n", n)
				for _, d := range pk.Deps {
					p.outf("  Depends: %s\n", d)
				}
				for _, d := range pk.Recommends {
					p.outf("  Recommends: %s\n", d)
				}
			default:
				p.outf("Package: %s\nVersion: %s\nInstalled-Size: %d\nDepends: %s\nSize: %d\n\n", n, pk.Version, pk.Installed>>10, strings.Join(pk.Deps, ", "), pk.Download)
			}
		}
		return 0
	case "search":
		if len(f.args) < 2 {
			fmt.Fprintf(p.errw, "E: You must give at least one search pattern\n")
			return 100
		}
		for _, n := range c.Names() {
			if strings.Contains(n, f.args[1]) {
				p.outf("%s - %s\n", n, n)
			}
		}
		return 0
	case "pkgnames":
		for _, n := range c.Names() {
			if len(f.args) < 2 || strings.HasPrefix(n, f.args[1]) {
				p.outf("%s\n", n)
			}
		}
		return 0
	}
	fmt.Fprintf(p.errw, "E: Invalid operation %s\n", f.args[0])
	return 100
}

// cmdDpkg: dpkg -l, -s, -L, --print-architecture, and dpkg-query -W/-f.
func cmdDpkg(p *proc) int {
	status := p.debStatus()
	if len(p.args) == 0 {
		p.errf("need an action option")
		return 2
	}
	a := p.args[0]
	rest := p.args[1:]
	switch {
	case a == "--print-architecture":
		p.outf("amd64\n")
		return 0
	case a == "-l" || a == "--list":
		p.outf("Desired=Unknown/Install/Remove/Purge/Hold\n| Status=Not/Inst/Conf-files/Unpacked/halF-conf/Half-inst/trig-aWait/Trig-pend\n|/ Err?=(none)/Reinst-required (Status,Err: uppercase=bad)\n||/ Name                 Version                        Architecture Description\n+++-====================-==============================-============-=================================\n")
		code := 0
		names := sortedNames(status)
		if len(rest) > 0 {
			names = nil
			for _, n := range rest {
				if _, ok := status[n]; ok {
					names = append(names, n)
				} else {
					fmt.Fprintf(p.errw, "dpkg-query: no packages found matching %s\n", n)
					code = 1
				}
			}
		}
		for _, n := range names {
			p.outf("ii  %-20s %-30s amd64        %s\n", n, status[n], n)
		}
		return code
	case a == "-s" || a == "--status" || a == "-L" || a == "--listfiles":
		code := 0
		for _, n := range rest {
			v, ok := status[n]
			if !ok {
				fmt.Fprintf(p.errw, "dpkg-query: package '%s' is not installed and no information is available\n", n)
				code = 1
				continue
			}
			if a == "-L" || a == "--listfiles" {
				b, _ := p.s.readRaw("/var/lib/dpkg/info/" + n + ".list")
				p.outf("%s", b)
				continue
			}
			p.outf("Package: %s\nStatus: install ok installed\nArchitecture: amd64\nVersion: %s\n\n", n, v)
		}
		return code
	case a == "-W" || a == "--show" || strings.HasPrefix(a, "-f") || strings.HasPrefix(a, "--showformat"):
		for _, n := range sortedNames(status) {
			if len(rest) > 0 && !hasName(rest, n) {
				continue
			}
			p.outf("%s\t%s\n", n, status[n])
		}
		return 0
	case a == "--configure" || a == "-a":
		return 0
	}
	p.errf("the layerlab sandbox does not simulate dpkg %s", a)
	return 2
}
