package sandbox

// apk over the Alpine catalog of the image's branch: the database is the image's
// own /lib/apk/db/installed, the world file says what was asked for (virtual
// packages from --virtual included), and del removes what only the removed names needed.

import (
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"layerlab/engine/rootfs"
	"layerlab/engine/sandbox/catalog"
)

func init() { register(map[string]cmdFunc{"apk": cmdApk}) }

func fsMode(m int) fs.FileMode { return fs.FileMode(m) }

// apkEntry is one package of /lib/apk/db/installed.
type apkEntry struct {
	name, ver string
	size      int64
	deps      []string
	files     []string
	base      bool // written by the base image (it records the aports commit, c:), not by this sandbox
}

func (p *proc) apkDB() []apkEntry {
	b, _ := p.s.readRaw("/lib/apk/db/installed")
	var out []apkEntry
	for _, st := range strings.Split(string(b), "\n\n") {
		var e apkEntry
		dir := ""
		for _, l := range strings.Split(st, "\n") {
			k, v, ok := strings.Cut(l, ":")
			if !ok {
				continue
			}
			switch k {
			case "P":
				e.name = v
			case "V":
				e.ver = v
			case "I":
				fmt.Sscan(v, &e.size)
			case "D":
				e.deps = strings.Fields(v)
			case "F":
				dir = v
			case "R":
				e.files = append(e.files, "/"+dir+"/"+v)
			case "c":
				e.base = true
			}
		}
		if e.name != "" {
			out = append(out, e)
		}
	}
	return out
}

func (p *proc) apkWorld() []string {
	b, _ := p.s.readRaw("/etc/apk/world")
	return strings.Fields(string(b))
}

func (p *proc) writeWorld(w []string) {
	sort.Strings(w)
	p.put("/etc/apk/world", rootfs.Bytes(strings.Join(dedupe(w), "\n")+"\n"), 0o644, 0, 0)
}

func (p *proc) writeApkDB(db []apkEntry) {
	var b strings.Builder
	for _, e := range db {
		if e.base {
			continue
		}
		fmt.Fprintf(&b, "P:%s\nV:%s\nA:x86_64\nI:%d\n", e.name, e.ver, e.size)
		if len(e.deps) > 0 {
			fmt.Fprintf(&b, "D:%s\n", strings.Join(e.deps, " "))
		}
		dir := ""
		for _, f := range e.files {
			d, base := f[1:strings.LastIndex(f, "/")], f[strings.LastIndex(f, "/")+1:]
			if d != dir {
				fmt.Fprintf(&b, "F:%s\n", d)
				dir = d
			}
			fmt.Fprintf(&b, "R:%s\n", base)
		}
		b.WriteString("\n")
	}
	// The base image's own entries stay byte for byte.
	old, _ := p.s.readRaw("/lib/apk/db/installed")
	var keep []string
	names := map[string]bool{}
	for _, e := range db {
		names[e.name] = true
	}
	for _, st := range strings.Split(string(old), "\n\n") {
		if strings.Contains(st, "\nc:") && strings.TrimSpace(st) != "" {
			for _, l := range strings.Split(st, "\n") {
				if n, ok := strings.CutPrefix(l, "P:"); ok && names[n] {
					keep = append(keep, strings.Trim(st, "\n")+"\n\n")
				}
			}
		}
	}
	p.put("/lib/apk/db/installed", rootfs.Bytes(strings.Join(keep, "")+b.String()), 0o644, 0, 0)
}

func (p *proc) alpineBranch() string {
	v := p.osRelease("VERSION_ID", "3.19.1")
	if strings.Contains(v, "_") {
		return "edge"
	}
	parts := strings.Split(v, ".")
	if len(parts) >= 2 {
		return "v" + parts[0] + "." + parts[1]
	}
	return "v3.19"
}

// apkIndexes are the repositories the image's /etc/apk/repositories names.
func (p *proc) apkIndexes() []string {
	b, _ := p.s.readRaw("/etc/apk/repositories")
	var out []string
	for _, l := range strings.Split(string(b), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "@") { // a tagged repository: "@edge https://..."
			if f := strings.Fields(l); len(f) == 2 {
				l = f[1]
			}
		}
		out = append(out, strings.TrimRight(l, "/")+"/x86_64/APKINDEX.tar.gz")
	}
	if len(out) == 0 {
		br := p.alpineBranch()
		out = []string{
			"https://dl-cdn.alpinelinux.org/alpine/" + br + "/main/x86_64/APKINDEX.tar.gz",
			"https://dl-cdn.alpinelinux.org/alpine/" + br + "/community/x86_64/APKINDEX.tar.gz",
		}
	}
	return out
}

func (p *proc) apkFetch(cache, quiet bool) error {
	for i, u := range p.apkIndexes() {
		if !quiet {
			p.outf("fetch %s\n", u)
		}
		if cache {
			size := int64(480 << 10)
			if i == 1 {
				size = 1_260 << 10
			}
			name := fmt.Sprintf("/var/cache/apk/APKINDEX.%08x.tar.gz", uint32(seedOf(u)))
			if err := p.put(name, rootfs.Generated{Seed: seedOf("apkindex", u), N: size}, 0o644, 0, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *proc) apkHasIndex() bool {
	found := false
	p.s.withFS(func(fsys *rootfs.FS) error {
		names, _ := fsys.ReadDir("/var/cache/apk")
		for _, n := range names {
			if strings.HasPrefix(n, "APKINDEX") {
				found = true
			}
		}
		return nil
	})
	return found
}

// apkName strips apk's version constraints and repository tags: curl=8.5.0-r0, curl>8, curl~8, py3-foo@edge.
func apkName(arg string) string {
	if i := strings.IndexAny(arg, "=<>~"); i > 0 {
		arg = arg[:i]
	}
	arg, _, _ = strings.Cut(arg, "@")
	return arg
}

func (p *proc) apkOK(db []apkEntry) {
	var total int64
	for _, e := range db {
		total += e.size
	}
	p.outf("OK: %d MiB in %d packages\n", (total+(7<<20))>>20, len(db))
}

func cmdApk(p *proc) int {
	f := parseFlags(p.args, "XtpR")
	var virtual string
	// --virtual NAME and -t NAME take a value; parseFlags keeps long options' values only after '='.
	var rest []string
	for i := 0; i < len(f.args); i++ {
		rest = append(rest, f.args[i])
	}
	for i, a := range p.args {
		if (a == "--virtual" || a == "-t") && i+1 < len(p.args) {
			virtual = p.args[i+1]
			rest = removeOnce(rest, virtual)
		} else if v, ok := strings.CutPrefix(a, "--virtual="); ok {
			virtual = v
		}
	}
	if f.val['t'] != "" {
		virtual = f.val['t']
	}
	f.args = rest
	if len(f.args) == 0 {
		p.outf("apk-tools 2.14.4, compiled for x86_64.\n\nusage: apk [<OPTIONS>...] COMMAND [<ARGUMENTS>...]\n")
		return 1
	}
	if p.s.uid != 0 && f.args[0] != "info" && f.args[0] != "search" && f.args[0] != "policy" {
		fmt.Fprintf(p.errw, "ERROR: Unable to lock database: Permission denied\nERROR: Failed to open apk database: Permission denied\n")
		return 99
	}
	_, noCache := f.long["no-cache"]
	update := f.has('U', "update", "update-cache")
	quiet := f.set['q'] || f.has(0, "quiet")
	cacheDir := p.s.exists("/var/cache/apk")
	c := p.sysCatalog(catalog.Apk)
	switch f.args[0] {
	case "update":
		if p.apkFetch(cacheDir, quiet) != nil {
			return 1
		}
		if !quiet {
			for _, u := range p.apkIndexes() {
				repo := strings.TrimSuffix(u, "/x86_64/APKINDEX.tar.gz")
				p.outf("%s-%d-g%07x [%s]\n", p.alpineBranch(), seedOf(repo)%400, seedOf("apk", repo)&0xfffffff, repo)
			}
			p.outf("OK: %d distinct packages available\n", 17000+len(c.Names())*20)
		}
		return 0
	case "add":
		return p.apkAdd(c, f.args[1:], virtual, noCache, update, cacheDir, quiet)
	case "del":
		return p.apkDel(f.args[1:], quiet)
	case "upgrade", "fix":
		if noCache || update || !p.apkHasIndex() {
			if p.apkFetch(!noCache && cacheDir, quiet) != nil {
				return 1
			}
		}
		p.apkOK(p.apkDB())
		return 0
	case "info", "list":
		return p.apkInfo(c, f)
	case "search":
		for _, n := range c.Names() {
			if len(f.args) < 2 || strings.Contains(n, strings.Trim(f.args[1], "*")) {
				pk, _ := c.Lookup(n)
				p.outf("%s-%s\n", n, pk.Version)
			}
		}
		return 0
	case "cache":
		if len(f.args) > 1 && (f.args[1] == "clean" || f.args[1] == "purge") {
			p.s.withFS(func(fsys *rootfs.FS) error {
				names, _ := fsys.ReadDir("/var/cache/apk")
				for _, n := range names {
					fsys.RemoveAll("/var/cache/apk/" + n)
				}
				return nil
			})
			return 0
		}
		fmt.Fprintf(p.errw, "ERROR: Package cache is not enabled.\n")
		return 1
	}
	fmt.Fprintf(p.errw, "apk: unknown command '%s'\n", f.args[0])
	return 1
}

func removeOnce(list []string, s string) []string {
	for i, x := range list {
		if x == s {
			return append(append([]string(nil), list[:i]...), list[i+1:]...)
		}
	}
	return list
}

func (p *proc) apkAdd(c *catalog.Catalog, args []string, virtual string, noCache, update, cacheDir, quiet bool) int {
	db := p.apkDB()
	installed := map[string]bool{}
	for _, e := range db {
		installed[e.name] = true
	}
	var names []string
	for _, a := range args {
		n := apkName(a)
		// cmd:NAME and so:/pc: provides resolve to the package that has them.
		if cmd, ok := strings.CutPrefix(n, "cmd:"); ok {
			if pk, ok := c.Provider(cmd); ok {
				n = pk.Name
			}
		}
		names = append(names, n)
	}
	if noCache || update || !p.apkHasIndex() {
		if p.apkFetch(!noCache && cacheDir, quiet) != nil {
			return 1
		}
	}
	order, refused := sysResolve(c, catalog.Apk, names, installed, false)
	if len(refused) > 0 {
		fmt.Fprintf(p.errw, "ERROR: unable to select packages:\n")
		for _, m := range refused {
			req := "world[" + m + "]"
			if virtual != "" {
				req = virtual + "-" + p.s.now().UTC().Format("20060102.150405")
			}
			fmt.Fprintf(p.errw, "  %s (no such package):\n    required by: %s\n", m, req)
		}
		return len(refused)
	}
	var virtEntry *apkEntry
	if virtual != "" {
		virtEntry = &apkEntry{name: virtual, ver: p.s.now().UTC().Format("20060102.150405"), deps: names}
	}
	total := len(order)
	if virtEntry != nil {
		total++
	}
	p.synthNote(order)
	for i, w := range order {
		pk := w.pkg
		if !quiet {
			p.outf("(%d/%d) Installing %s (%s)\n", i+1, total, pk.Name, pk.Version)
		}
		list, err := p.sysPut(sysFiles(catalog.Apk, pk))
		if err != nil {
			return 1
		}
		db = append(db, apkEntry{name: pk.Name, ver: pk.Version, size: pk.Installed, deps: pk.Deps, files: list})
	}
	if virtEntry != nil {
		if !quiet {
			p.outf("(%d/%d) Installing %s (%s)\n", total, total, virtEntry.name, virtEntry.ver)
		}
		kept := db[:0:0]
		for _, e := range db {
			if e.name != virtEntry.name {
				kept = append(kept, e)
			}
		}
		db = append(kept, *virtEntry)
	}
	if len(order) > 0 && !quiet {
		p.outf("Executing busybox-%s.trigger\n", orDefault(c.Release.Vars["BBV"], "1.36.1-r20"))
		for _, w := range order {
			if w.pkg.Name == "ca-certificates" {
				p.outf("Executing ca-certificates-%s.trigger\n", w.pkg.Version)
			}
		}
	}
	p.writeApkDB(db)
	world := p.apkWorld()
	if virtual != "" {
		world = append(world, virtual)
	} else {
		world = append(world, names...)
	}
	p.writeWorld(world)
	if !quiet {
		p.apkOK(db)
	}
	return 0
}

// apkDel removes names from the world and purges every package that nothing left
// in the world needs any more (a virtual package's members go with it).
func (p *proc) apkDel(args []string, quiet bool) int {
	db := p.apkDB()
	byName := map[string]apkEntry{}
	for _, e := range db {
		byName[e.name] = e
	}
	world := p.apkWorld()
	for _, a := range args {
		n := apkName(a)
		if !hasName(world, n) {
			if _, ok := byName[n]; !ok {
				fmt.Fprintf(p.errw, "WARNING: Ignoring %s: No such package\n", n)
				continue
			}
		}
		world = removeOnce(world, n)
	}
	// What the remaining world needs, through the recorded dependencies. The base
	// image's own packages record none here, so they are always kept.
	needed := map[string]bool{}
	var visit func(n string)
	visit = func(n string) {
		if needed[n] {
			return
		}
		needed[n] = true
		for _, d := range byName[n].deps {
			visit(apkName(d))
		}
	}
	for _, w := range world {
		visit(w)
	}
	// Only what the removed names pulled in can go: a package no recorded
	// dependency reaches (busybox, musl of the base image) stays.
	reach := map[string]bool{}
	var walk func(n string)
	walk = func(n string) {
		if reach[n] {
			return
		}
		reach[n] = true
		for _, d := range byName[n].deps {
			walk(apkName(d))
		}
	}
	for _, a := range args {
		walk(apkName(a))
	}
	var purge []apkEntry
	var keep []apkEntry
	for _, e := range db {
		if needed[e.name] || e.base || !reach[e.name] {
			keep = append(keep, e)
		} else {
			purge = append(purge, e)
		}
	}
	// apk purges the named (virtual) packages first, then their dependencies.
	sort.SliceStable(purge, func(i, j int) bool { return hasName(args, purge[i].name) && !hasName(args, purge[j].name) })
	for i, e := range purge {
		if !quiet {
			p.outf("(%d/%d) Purging %s (%s)\n", i+1, len(purge), e.name, e.ver)
		}
		p.sysRemove(e.files)
	}
	if len(purge) > 0 && !quiet {
		p.outf("Executing busybox-%s.trigger\n", orDefault(p.sysCatalog(catalog.Apk).Release.Vars["BBV"], "1.36.1-r20"))
	}
	p.writeApkDB(keep)
	p.writeWorld(world)
	if !quiet {
		p.apkOK(keep)
	}
	return 0
}

func (p *proc) apkInfo(c *catalog.Catalog, f flags) int {
	db := p.apkDB()
	if len(f.args) > 1 {
		code := 0
		for _, n := range f.args[1:] {
			found := false
			for _, e := range db {
				if e.name == n {
					found = true
					p.outf("%s-%s description:\n%s\n\n%s-%s webpage:\nhttps://pkgs.alpinelinux.org/package/%s\n\n%s-%s installed size:\n%d KiB\n\n", e.name, e.ver, e.name, e.name, e.ver, e.name, e.name, e.ver, e.size>>10)
				}
			}
			if !found {
				if f.has('e', "installed") {
					code = 1
				}
			}
		}
		return code
	}
	for _, e := range db {
		if f.set['v'] {
			p.outf("%s-%s\n", e.name, e.ver)
		} else {
			p.outf("%s\n", e.name)
		}
	}
	return 0
}
