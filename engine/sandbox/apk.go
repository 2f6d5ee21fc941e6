package sandbox

import (
	"fmt"
	"io/fs"
	"sort"
	"strings"

	"layerlab/engine/rootfs"
)

func init() { register(map[string]cmdFunc{"apk": cmdApk}) }

func fsMode(m int) fs.FileMode { return fs.FileMode(m) }

type apkPkg struct {
	ver  string
	size int64 // installed kB
	deps []string
	bins []string
}

var apkCatalogue = map[string]apkPkg{
	"ca-certificates":   {"20240226-r0", 679, nil, nil},
	"curl":              {"8.5.0-r0", 256, []string{"ca-certificates", "libcurl"}, []string{"curl"}},
	"libcurl":           {"8.5.0-r0", 503, []string{"nghttp2-libs", "brotli-libs"}, nil},
	"nghttp2-libs":      {"1.58.0-r0", 168, nil, nil},
	"brotli-libs":       {"1.1.0-r1", 719, nil, nil},
	"wget":              {"1.21.4-r0", 476, nil, []string{"wget"}},
	"git":               {"2.43.0-r0", 14540, []string{"libcurl", "pcre2", "zlib"}, []string{"git"}},
	"pcre2":             {"10.42-r2", 644, nil, nil},
	"zlib":              {"1.3.1-r0", 100, nil, nil},
	"bash":              {"5.2.21-r0", 1236, []string{"readline"}, []string{"bash"}},
	"readline":          {"8.2.1-r2", 280, nil, nil},
	"build-base":        {"0.5-r3", 4, []string{"gcc", "g++", "make", "musl-dev", "binutils"}, nil},
	"gcc":               {"13.2.1_git20231014-r0", 109268, []string{"binutils"}, []string{"gcc"}},
	"g++":               {"13.2.1_git20231014-r0", 41684, []string{"gcc"}, []string{"g++"}},
	"binutils":          {"2.41-r0", 7064, nil, []string{"ld", "as"}},
	"musl-dev":          {"1.2.4_git20230717-r4", 4296, nil, nil},
	"make":              {"4.4.1-r2", 268, nil, []string{"make"}},
	"python3":           {"3.11.8-r0", 44484, nil, []string{"python3"}},
	"py3-pip":           {"23.3.1-r0", 11392, []string{"python3"}, []string{"pip", "pip3"}},
	"nodejs":            {"20.11.1-r0", 43988, nil, []string{"node"}},
	"npm":               {"10.2.5-r0", 9056, []string{"nodejs"}, []string{"npm"}},
	"openssl":           {"3.1.4-r5", 696, nil, []string{"openssl"}},
	"openssl-dev":       {"3.1.4-r5", 1384, []string{"openssl"}, nil},
	"postgresql-client": {"16.2-r0", 1400, nil, []string{"psql"}},
	"postgresql-dev":    {"16.2-r0", 5852, nil, nil},
	"libpq-dev":         {"16.2-r0", 1300, nil, nil},
	"tzdata":            {"2024a-r0", 1464, nil, nil},
	"jq":                {"1.7.1-r0", 316, nil, []string{"jq"}},
	"vim":               {"9.0.2127-r0", 17444, nil, []string{"vim"}},
	"nano":              {"7.2-r1", 620, nil, []string{"nano"}},
	"nginx":             {"1.24.0-r15", 1308, nil, []string{"nginx"}},
	"shadow":            {"4.14.2-r0", 2276, nil, []string{"useradd", "groupadd"}},
	"sudo":              {"1.9.15_p5-r0", 3584, nil, []string{"sudo"}},
	"tini":              {"0.19.0-r2", 24, nil, []string{"tini"}},
	"unzip":             {"6.0-r14", 276, nil, []string{"unzip"}},
	"zip":               {"3.0-r12", 372, nil, []string{"zip"}},
	"openssh-client":    {"9.6_p1-r0", 3712, nil, []string{"ssh"}},
	"su-exec":           {"0.2-r3", 24, nil, []string{"su-exec"}},
	"gnupg":             {"2.4.4-r0", 7520, nil, []string{"gpg"}},
	"libffi-dev":        {"3.4.4-r3", 188, nil, nil},
	"htop":              {"3.2.2-r1", 252, nil, []string{"htop"}},
}

func (p *proc) alpineBranch() string {
	v := p.osRelease("VERSION_ID", "3.19.1")
	parts := strings.Split(v, ".")
	if len(parts) >= 2 {
		return "v" + parts[0] + "." + parts[1]
	}
	return "v3.19"
}

func (p *proc) apkIndexes() []string {
	b := p.alpineBranch()
	return []string{
		"https://dl-cdn.alpinelinux.org/alpine/" + b + "/main/x86_64/APKINDEX.tar.gz",
		"https://dl-cdn.alpinelinux.org/alpine/" + b + "/community/x86_64/APKINDEX.tar.gz",
	}
}

func (p *proc) apkFetch(cache bool) error {
	for i, u := range p.apkIndexes() {
		p.outf("fetch %s\n", u)
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

func (p *proc) apkInstalled() map[string]bool {
	b, _ := p.s.readRaw("/lib/apk/db/installed")
	out := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if n, ok := strings.CutPrefix(l, "P:"); ok {
			out[n] = true
		}
	}
	return out
}

func apkFiles(name string, pk apkPkg) map[string]rootfs.Content {
	files := map[string]rootfs.Content{}
	size := pk.size * 1024
	for _, b := range pk.bins {
		per := size / int64(len(pk.bins)+1)
		files["/usr/bin/"+b] = rootfs.Generated{Seed: seedOf("apk", name, b), N: per}
		size -= per
	}
	files["/usr/lib/"+name+"/lib"+name+".so"] = rootfs.Generated{Seed: seedOf("apk", name), N: size}
	return files
}

func cmdApk(p *proc) int {
	f := parseFlags(p.args, "X")
	if len(f.args) == 0 {
		p.outf("apk-tools 2.14.0, compiled for x86_64.\n")
		return 1
	}
	if p.s.uid != 0 && f.args[0] != "info" {
		fmt.Fprintf(p.errw, "ERROR: Unable to lock database: Permission denied\nERROR: Failed to open apk database: Permission denied\n")
		return 99
	}
	_, noCache := f.long["no-cache"]
	_, update := f.long["update"]
	if f.has('U') {
		update = true
	}
	cacheDir := p.s.exists("/var/cache/apk")
	switch f.args[0] {
	case "update":
		if p.apkFetch(cacheDir) != nil {
			return 1
		}
		p.outf("%s-%d [https://dl-cdn.alpinelinux.org/alpine/%s/main]\n", p.alpineBranch(), 0, p.alpineBranch())
		p.outf("OK: 23121 distinct packages available\n")
		return 0
	case "add":
		installed := p.apkInstalled()
		var order []string
		seen := map[string]bool{}
		var missing []string
		var visit func(n string)
		visit = func(n string) {
			pk, ok := apkCatalogue[n]
			if !ok {
				missing = append(missing, n)
				return
			}
			if seen[n] || installed[n] {
				return
			}
			seen[n] = true
			for _, d := range pk.deps {
				visit(d)
			}
			order = append(order, n)
		}
		var world []string
		for _, a := range f.args[1:] {
			name, _, _ := strings.Cut(a, "=")
			world = append(world, name)
			visit(name)
		}
		if noCache || update || !p.apkHasIndex() {
			if p.apkFetch(!noCache && cacheDir) != nil {
				return 1
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(p.errw, "ERROR: unable to select packages:\n")
			for _, m := range missing {
				fmt.Fprintf(p.errw, "  %s (no such package):\n    required by: world[%s]\n", m, m)
			}
			return len(missing)
		}
		var db strings.Builder
		for i, n := range order {
			pk := apkCatalogue[n]
			p.outf("(%d/%d) Installing %s (%s)\n", i+1, len(order), n, pk.ver)
			for file, c := range apkFiles(n, pk) {
				mode := 0o644
				if strings.HasPrefix(file, "/usr/bin/") {
					mode = 0o755
				}
				if err := p.put(file, c, fsMode(mode), 0, 0); err != nil {
					return 1
				}
			}
			fmt.Fprintf(&db, "P:%s\nV:%s\nI:%d\n\n", n, pk.ver, pk.size*1024)
		}
		if len(order) > 0 {
			p.outf("Executing busybox-1.36.1-r15.trigger\n")
		}
		old, _ := p.s.readRaw("/lib/apk/db/installed")
		p.put("/lib/apk/db/installed", rootfs.Bytes(string(old)+db.String()), 0o644, 0, 0)
		wb, _ := p.s.readRaw("/etc/apk/world")
		w := map[string]bool{}
		for _, x := range strings.Fields(string(wb)) {
			w[x] = true
		}
		for _, x := range world {
			w[x] = true
		}
		p.put("/etc/apk/world", rootfs.Bytes(strings.Join(p.sortedKeys(w), "\n")+"\n"), 0o644, 0, 0)
		all := p.apkInstalled()
		var total int64
		for n := range all {
			total += apkCatalogue[n].size
		}
		p.outf("OK: %d MiB in %d packages\n", 7+total/1024, 15+len(all))
		return 0
	case "del":
		installed := p.apkInstalled()
		for _, n := range f.args[1:] {
			if !installed[n] {
				continue
			}
			for file := range apkFiles(n, apkCatalogue[n]) {
				p.s.withFS(func(fsys *rootfs.FS) error { return fsys.Remove(file) })
			}
			p.outf("(1/1) Purging %s (%s)\n", n, apkCatalogue[n].ver)
		}
		old, _ := p.s.readRaw("/lib/apk/db/installed")
		var keep []string
		for _, st := range strings.Split(string(old), "\n\n") {
			drop := false
			for _, n := range f.args[1:] {
				if strings.HasPrefix(st, "P:"+n+"\n") {
					drop = true
				}
			}
			if !drop && strings.TrimSpace(st) != "" {
				keep = append(keep, st)
			}
		}
		p.put("/lib/apk/db/installed", rootfs.Bytes(strings.Join(keep, "\n\n")+"\n\n"), 0o644, 0, 0)
		p.outf("OK: %d packages\n", 15+len(keep))
		return 0
	case "info":
		names := p.sortedKeys(p.apkInstalled())
		sort.Strings(names)
		for _, n := range names {
			p.outf("%s\n", n)
		}
		return 0
	case "cache":
		if len(f.args) > 1 && f.args[1] == "clean" {
			p.s.withFS(func(fsys *rootfs.FS) error {
				names, _ := fsys.ReadDir("/var/cache/apk")
				for _, n := range names {
					fsys.RemoveAll("/var/cache/apk/" + n)
				}
				return nil
			})
			return 0
		}
	}
	fmt.Fprintf(p.errw, "apk: unknown command '%s'\n", f.args[0])
	return 1
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
