package sandbox

// dnf, yum, microdnf and rpm over the RPM catalog of the image's release (Fedora,
// Rocky/Alma/CentOS/RHEL, Amazon Linux). The installed set is a text stand-in for
// the rpm database (rpmDBFile: NAME VERSION KB per line), which base images write too.

import (
	"fmt"
	"sort"
	"strings"

	"layerlab/engine/rootfs"
	"layerlab/engine/sandbox/catalog"
)

func init() {
	register(map[string]cmdFunc{"dnf": cmdDnf, "dnf5": cmdDnf, "yum": cmdDnf, "microdnf": cmdDnf, "rpm": cmdRpm})
}

// rpmDBFile stands in for /var/lib/rpm/rpmdb.sqlite: one "NAME VERSION INSTALLED-KB" line per package.
const rpmDBFile = "/var/lib/rpm/layerlab-packages"

func (p *proc) rpmDB() map[string]string {
	b, _ := p.s.readRaw(rpmDBFile)
	out := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 {
			out[f[0]] = f[1]
		}
	}
	return out
}

// rpmRepos are the repositories dnf reads metadata from, named as each distribution names them.
func rpmRepos(r catalog.Release) []string {
	switch r.Distro {
	case "fedora":
		return []string{"Fedora " + r.Version + " - x86_64", "Fedora " + r.Version + " openh264 (From Cisco) - x86_64", "Fedora " + r.Version + " - x86_64 - Updates"}
	case "rocky":
		return []string{"Rocky Linux " + r.Version + " - BaseOS", "Rocky Linux " + r.Version + " - AppStream", "Rocky Linux " + r.Version + " - Extras"}
	case "almalinux":
		return []string{"AlmaLinux " + r.Version + " - BaseOS", "AlmaLinux " + r.Version + " - AppStream", "AlmaLinux " + r.Version + " - Extras"}
	case "amzn":
		if r.Version == "2" {
			return []string{"amzn2-core"}
		}
		return []string{"Amazon Linux 2023 repository", "Amazon Linux 2023 Kernel Livepatch repository"}
	case "centos":
		if r.Version == "7" {
			return []string{"base", "extras", "updates"}
		}
		return []string{"CentOS Stream " + r.Version + " - BaseOS", "CentOS Stream " + r.Version + " - AppStream"}
	}
	return []string{r.Distro + " " + r.Version + " - BaseOS", r.Distro + " " + r.Version + " - AppStream"}
}

func rpmSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f M", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d k", n>>10)
	}
	return fmt.Sprintf("%d", n)
}

func cmdDnf(p *proc) int {
	c := p.sysCatalog(catalog.RPM)
	var opts, args []string
	for _, a := range p.args {
		if strings.HasPrefix(a, "-") {
			opts = append(opts, a)
		} else {
			args = append(args, a)
		}
	}
	if len(args) == 0 {
		p.errf("%s", "Error: No command specified")
		return 1
	}
	has := func(names ...string) bool {
		for _, o := range opts {
			for _, n := range names {
				if o == n || strings.HasPrefix(o, n+"=") {
					return true
				}
			}
		}
		return false
	}
	yes := has("-y", "--assumeyes") || p.name == "microdnf"
	quiet := has("-q", "--quiet")
	weak := !has("--setopt=install_weak_deps=False", "--setopt=install_weak_deps=0", "--nobest") && !strings.Contains(strings.Join(opts, " "), "install_weak_deps=False") && !strings.Contains(strings.Join(opts, " "), "install_weak_deps=0")
	if p.s.uid != 0 && args[0] != "list" && args[0] != "info" && args[0] != "search" {
		fmt.Fprintf(p.errw, "Error: This command has to be run with superuser privileges (under the root user on most systems).\n")
		return 1
	}
	cmd := args[0]
	switch cmd {
	case "makecache", "check-update":
		p.rpmMetadata(c, quiet)
		if cmd == "makecache" && !quiet {
			p.outf("Metadata cache created.\n")
		}
		return 0
	case "clean":
		// clean all empties the caches; the directories stay, as dnf leaves them.
		for _, dir := range []string{"/var/cache/dnf", "/var/cache/yum"} {
			p.s.withFS(func(fsys *rootfs.FS) error {
				names, _ := fsys.ReadDir(dir)
				for _, n := range names {
					fsys.RemoveAll(dir + "/" + n)
				}
				return nil
			})
		}
		if !quiet {
			p.outf("%d files removed\n", 40)
		}
		return 0
	case "update", "upgrade", "distro-sync":
		if len(args) == 1 {
			p.rpmMetadata(c, quiet)
			if !quiet {
				p.outf("Dependencies resolved.\nNothing to do.\nComplete!\n")
			}
			return 0
		}
		cmd = "install"
	case "groupinstall":
		args = append([]string{"install"}, args[1:]...)
		cmd = "install"
	}
	switch cmd {
	case "install", "reinstall":
		return p.rpmInstall(c, args[1:], yes, quiet, weak)
	case "remove", "erase", "autoremove":
		return p.rpmRemove(c, args[1:], yes, quiet)
	case "list", "info":
		db := p.rpmDB()
		for _, n := range sortedNames(db) {
			p.outf("%-40s %-30s @System\n", n+".x86_64", db[n])
		}
		return 0
	case "repolist":
		p.outf("repo id                          repo name\n")
		for _, r := range rpmRepos(c.Release) {
			p.outf("%-32s %s\n", strings.ToLower(strings.ReplaceAll(strings.Fields(r)[len(strings.Fields(r))-1], " ", "")), r)
		}
		return 0
	case "config-manager", "module", "copr":
		if !quiet {
			p.outf("layerlab: %s %s changes no package the playground's catalog offers\n", p.name, cmd)
		}
		return 0
	}
	fmt.Fprintf(p.errw, "No such command: %s. Please use /usr/bin/%s --help\n", cmd, p.name)
	return 1
}

// rpmMetadata downloads the repositories' metadata into dnf's cache, once per image.
func (p *proc) rpmMetadata(c *catalog.Catalog, quiet bool) {
	dir := "/var/cache/dnf"
	if c.Release.Vars["PM"] == "yum" {
		dir = "/var/cache/yum/x86_64/" + c.Release.Version
	}
	if p.s.exists(dir + "/layerlab-metadata") {
		if !quiet && p.name != "microdnf" {
			p.outf("Last metadata expiration check: 0:00:01 ago on %s.\n", p.s.now().UTC().Format("Mon Jan _2 15:04:05 2006"))
		}
		return
	}
	for i, r := range rpmRepos(c.Release) {
		size := int64(18<<20) >> (2 * i)
		if !quiet {
			switch p.name {
			case "microdnf":
				p.outf("Downloading metadata...\n")
			case "yum":
				p.outf("%-40s | %s 00:00:01\n", r, rpmSize(size/8))
			default:
				p.outf("%-48s %s/s | %s     00:01\n", r, rpmSize(size), rpmSize(size))
			}
		}
		p.put(fmt.Sprintf("%s/repo%d-%08x/repodata/primary.xml.zst", dir, i, uint32(seedOf(r))), rootfs.Generated{Seed: seedOf("rpmmd", r), N: size}, 0o644, 0, 0)
	}
	p.put(dir+"/layerlab-metadata", rootfs.Bytes("metadata of "+c.Release.Key+"\n"), 0o644, 0, 0)
}

func (p *proc) rpmInstall(c *catalog.Catalog, args []string, yes, quiet, weak bool) int {
	p.rpmMetadata(c, quiet)
	db := p.rpmDB()
	installed := map[string]bool{}
	for n := range db {
		installed[n] = true
	}
	var names []string
	for _, a := range args {
		a = strings.Trim(a, `"'`)
		if prov, ok := strings.CutPrefix(a, "/usr/bin/"); ok {
			if pk, ok := c.Provider(prov); ok {
				a = pk.Name
			}
		}
		if g, ok := strings.CutPrefix(a, "@"); ok {
			a = strings.ToLower(strings.ReplaceAll(g, " ", "-"))
		}
		names = append(names, a)
	}
	order, refused := sysResolve(c, catalog.RPM, names, installed, weak)
	if len(refused) > 0 {
		pm := c.Release.Vars["PM"]
		switch {
		case p.name == "microdnf":
			for _, n := range refused {
				fmt.Fprintf(p.errw, "error: No package matches '%s'\n", n)
			}
		case pm == "yum" || p.name == "yum" && pm != "dnf" && pm != "dnf5":
			for _, n := range refused {
				p.outf("No package %s available.\n", n)
			}
			fmt.Fprintf(p.errw, "Error: Nothing to do\n")
		case pm == "dnf5":
			fmt.Fprintf(p.errw, "Failed to resolve the transaction:\n")
			for _, n := range refused {
				fmt.Fprintf(p.errw, "No match for argument: %s\n", n)
			}
		default:
			for _, n := range refused {
				p.outf("No match for argument: %s\n", n)
			}
			fmt.Fprintf(p.errw, "Error: Unable to find a match: %s\n", strings.Join(refused, " "))
		}
		return 1
	}
	for _, n := range names {
		if v, ok := db[n]; ok && !quiet {
			p.outf("Package %s-%s.x86_64 is already installed.\n", n, strings.TrimPrefix(v, v[:strings.Index(v, ":")+1]))
		}
	}
	if len(order) == 0 {
		if !quiet {
			p.outf("Dependencies resolved.\nNothing to do.\nComplete!\n")
		}
		return 0
	}
	var dl, inst int64
	repo := strings.ToLower(strings.Fields(rpmRepos(c.Release)[0])[len(strings.Fields(rpmRepos(c.Release)[0]))-1])
	if !quiet {
		rule := strings.Repeat("=", 80)
		p.outf("Dependencies resolved.\n%s\n %-28s %-12s %-24s %-12s %5s\n%s\n", rule, "Package", "Architecture", "Version", "Repository", "Size", rule)
		for _, section := range []bool{true, false} {
			first := true
			for _, w := range order {
				if w.requested != section {
					continue
				}
				if first {
					if section {
						p.outf("Installing:\n")
					} else {
						p.outf("Installing dependencies:\n")
					}
					first = false
				}
				p.outf(" %-28s %-12s %-24s %-12s %5s\n", w.pkg.Name, "x86_64", w.pkg.Version, repo, rpmSize(w.pkg.Download))
			}
		}
	}
	for _, w := range order {
		dl += w.pkg.Download
		inst += w.pkg.Installed
	}
	if !quiet {
		p.outf("\nTransaction Summary\n%s\nInstall  %d Packages\n\nTotal download size: %s\nInstalled size: %s\n", strings.Repeat("=", 80), len(order), rpmSize(dl), rpmSize(inst))
	}
	if !yes {
		p.outf("Is this ok [y/N]: Operation aborted.\n")
		return 1
	}
	p.synthNote(order)
	var add strings.Builder
	if !quiet {
		p.outf("Downloading Packages:\n")
		for i, w := range order {
			p.outf("(%d/%d): %-50s %8s\n", i+1, len(order), w.pkg.Name+"-"+rpmEVR(w.pkg.Version)+".x86_64.rpm", rpmSize(w.pkg.Download))
		}
		p.outf("Running transaction check\nTransaction check succeeded.\nRunning transaction test\nTransaction test succeeded.\nRunning transaction\n  Preparing        :%59d/1\n", 1)
	}
	for i, w := range order {
		if !quiet {
			p.outf("  Installing       : %-50s %d/%d\n", w.pkg.Name+"-"+w.pkg.Version+".x86_64", i+1, len(order))
		}
		if _, err := p.sysPut(sysFiles(catalog.RPM, w.pkg)); err != nil {
			return 1
		}
		fmt.Fprintf(&add, "%s %s %d\n", w.pkg.Name, w.pkg.Version, w.pkg.Installed>>10)
	}
	if !quiet {
		p.outf("\nInstalled:\n")
		for _, w := range order {
			p.outf("  %s\n", w.pkg.Name+"-"+w.pkg.Version+".x86_64")
		}
		p.outf("\nComplete!\n")
	}
	old, _ := p.s.readRaw(rpmDBFile)
	p.put(rpmDBFile, rootfs.Bytes(string(old)+add.String()), 0o644, 0, 0)
	return 0
}

// rpmEVR drops the epoch, as package file names do.
func rpmEVR(v string) string {
	if i := strings.Index(v, ":"); i >= 0 {
		return v[i+1:]
	}
	return v
}

func (p *proc) rpmRemove(c *catalog.Catalog, args []string, yes, quiet bool) int {
	db := p.rpmDB()
	var rm []string
	for _, a := range args {
		if _, ok := db[a]; ok {
			rm = append(rm, a)
		} else if !quiet {
			p.outf("No match for argument: %s\n", a)
		}
	}
	if len(rm) == 0 {
		if len(args) > 0 {
			fmt.Fprintf(p.errw, "Error: No packages marked for removal.\n")
			return 1
		}
		p.outf("Dependencies resolved.\nNothing to do.\nComplete!\n")
		return 0
	}
	if !yes {
		p.outf("Is this ok [y/N]: Operation aborted.\n")
		return 1
	}
	for i, n := range rm {
		if !quiet {
			p.outf("  Erasing          : %-50s %d/%d\n", n+"-"+db[n]+".x86_64", i+1, len(rm))
		}
		pk, ok := c.Lookup(n)
		if !ok {
			pk = c.Synthesize(n)
		}
		var files []string
		for f := range sysFiles(catalog.RPM, pk) {
			files = append(files, f)
		}
		p.sysRemove(files)
		delete(db, n)
	}
	var b strings.Builder
	names := sortedNames(db)
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(&b, "%s %s 0\n", n, db[n])
	}
	p.put(rpmDBFile, rootfs.Bytes(b.String()), 0o644, 0, 0)
	if !quiet {
		p.outf("\nRemoved:\n")
		for _, n := range rm {
			p.outf("  %s\n", n)
		}
		p.outf("\nComplete!\n")
	}
	return 0
}

// cmdRpm: rpm -q NAME..., -qa, --import KEY (recorded as a key package), -V.
func cmdRpm(p *proc) int {
	db := p.rpmDB()
	if len(p.args) == 0 {
		p.outf("RPM version 4.16.1.3\n")
		return 1
	}
	switch a := p.args[0]; {
	case a == "-qa" || a == "--query" && len(p.args) > 1 && p.args[1] == "-a":
		for _, n := range sortedNames(db) {
			p.outf("%s-%s.x86_64\n", n, rpmEVR(db[n]))
		}
		return 0
	case a == "-q" || a == "--query" || a == "-qi":
		code := 0
		for _, n := range p.args[1:] {
			if strings.HasPrefix(n, "-") {
				continue
			}
			if v, ok := db[n]; ok {
				p.outf("%s-%s.x86_64\n", n, rpmEVR(v))
			} else {
				p.outf("package %s is not installed\n", n)
				code = 1
			}
		}
		return code
	case a == "--import":
		return 0
	case a == "--version":
		p.outf("RPM version 4.16.1.3\n")
		return 0
	}
	p.errf("the layerlab sandbox does not simulate rpm %s (dnf install is simulated)", p.args[0])
	return 1
}
