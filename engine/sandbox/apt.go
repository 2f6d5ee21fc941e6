package sandbox

import (
	"fmt"
	"sort"
	"strings"

	"layerlab/engine/rootfs"
)

func init() { register(map[string]cmdFunc{"apt-get": cmdAptGet, "apt": cmdAptGet}) }

// debPkg is a catalogue entry: installed size in kB, download size in kB, what it needs.
type debPkg struct {
	ver        string
	installed  int64
	download   int64
	deps, recs []string
	bins       []string
}

var debCatalogue = map[string]debPkg{
	"ca-certificates":         {"20230311", 394, 153, []string{"openssl"}, nil, nil},
	"openssl":                 {"3.0.11-1~deb12u2", 2296, 1416, []string{"libssl3"}, nil, []string{"openssl"}},
	"libssl3":                 {"3.0.11-1~deb12u2", 6293, 2019, nil, nil, nil},
	"libssl-dev":              {"3.0.11-1~deb12u2", 13061, 2430, []string{"libssl3"}, nil, nil},
	"libcurl4":                {"7.88.1-10+deb12u5", 805, 390, []string{"libssl3", "libnghttp2-14"}, nil, nil},
	"libnghttp2-14":           {"1.52.0-1+deb12u1", 224, 72, nil, nil, nil},
	"curl":                    {"7.88.1-10+deb12u5", 500, 315, []string{"libcurl4"}, []string{"ca-certificates"}, []string{"curl"}},
	"wget":                    {"1.21.3-1+b2", 3715, 984, []string{"libssl3"}, []string{"ca-certificates"}, []string{"wget"}},
	"git":                     {"1:2.39.2-1.1", 39032, 7255, []string{"libcurl4", "git-man", "perl"}, []string{"ca-certificates", "less", "openssh-client", "patch"}, []string{"git"}},
	"git-man":                 {"1:2.39.2-1.1", 2232, 2051, nil, nil, nil},
	"perl":                    {"5.36.0-7+deb12u1", 62428, 9722, nil, nil, []string{"perl"}},
	"openssh-client":          {"1:9.2p1-2+deb12u2", 4857, 991, nil, nil, []string{"ssh", "scp"}},
	"patch":                   {"2.7.6-7", 236, 128, nil, nil, []string{"patch"}},
	"less":                    {"590-2", 615, 132, nil, nil, []string{"less"}},
	"make":                    {"4.3-4.1", 1541, 396, nil, nil, []string{"make"}},
	"gcc":                     {"4:12.2.0-3", 45, 5, []string{"gcc-12", "binutils"}, nil, []string{"gcc"}},
	"gcc-12":                  {"12.2.0-14", 66108, 19318, []string{"binutils", "libc6-dev"}, nil, []string{"gcc-12"}},
	"g++":                     {"4:12.2.0-3", 15, 1, []string{"gcc", "libstdc++-12-dev"}, nil, []string{"g++"}},
	"libstdc++-12-dev":        {"12.2.0-14", 19488, 2047, nil, nil, nil},
	"binutils":                {"2.40-2", 31420, 7064, nil, nil, []string{"ld", "as"}},
	"libc6-dev":               {"2.36-9+deb12u4", 12289, 1903, nil, nil, nil},
	"dpkg-dev":                {"1.21.22", 3158, 1353, []string{"make", "patch"}, nil, nil},
	"build-essential":         {"12.9", 20, 8, []string{"gcc", "g++", "make", "dpkg-dev", "libc6-dev"}, nil, nil},
	"python3":                 {"3.11.2-1+b1", 87, 26, []string{"python3.11"}, nil, []string{"python3"}},
	"python3.11":              {"3.11.2-6", 21580, 5380, nil, nil, []string{"python3.11"}},
	"python3-pip":             {"23.0.1+dfsg-1", 8345, 1325, []string{"python3", "python3-setuptools"}, []string{"build-essential"}, []string{"pip3"}},
	"python3-setuptools":      {"66.1.1-1", 2890, 522, []string{"python3"}, nil, nil},
	"vim":                     {"2:9.0.1378-2", 3920, 1568, []string{"vim-runtime"}, nil, []string{"vim"}},
	"vim-runtime":             {"2:9.0.1378-2", 33974, 7025, nil, nil, nil},
	"nano":                    {"7.2-1", 2735, 690, nil, nil, []string{"nano"}},
	"libpq5":                  {"15.6-0+deb12u1", 936, 191, []string{"libssl3"}, nil, nil},
	"libpq-dev":               {"15.6-0+deb12u1", 1235, 143, []string{"libpq5", "libssl-dev"}, nil, nil},
	"postgresql-client":       {"15+248", 72, 7, []string{"postgresql-client-15"}, nil, nil},
	"postgresql-client-15":    {"15.6-0+deb12u1", 5861, 1651, []string{"libpq5", "less"}, nil, []string{"psql", "pg_dump"}},
	"nginx":                   {"1.22.1-9", 1202, 519, []string{"nginx-common"}, nil, []string{"nginx"}},
	"nginx-common":            {"1.22.1-9", 292, 112, nil, nil, nil},
	"tzdata":                  {"2024a-0+deb12u1", 2446, 255, nil, nil, nil},
	"locales":                 {"2.36-9+deb12u4", 16963, 3857, nil, nil, []string{"locale-gen"}},
	"procps":                  {"2:4.0.2-3", 2389, 709, nil, nil, []string{"ps", "top", "free"}},
	"iputils-ping":            {"3:20221126-1", 115, 47, nil, nil, []string{"ping"}},
	"net-tools":               {"2.10-0.1", 1023, 243, nil, nil, []string{"netstat", "ifconfig"}},
	"unzip":                   {"6.0-28", 529, 166, nil, nil, []string{"unzip"}},
	"zip":                     {"3.0-13", 616, 230, nil, nil, []string{"zip"}},
	"jq":                      {"1.6-2.1", 102, 64, []string{"libjq1"}, nil, []string{"jq"}},
	"libjq1":                  {"1.6-2.1", 395, 135, nil, nil, nil},
	"gnupg":                   {"2.2.40-1.1", 885, 846, []string{"dirmngr", "gpg"}, nil, nil},
	"gpg":                     {"2.2.40-1.1", 1579, 949, nil, nil, []string{"gpg"}},
	"dirmngr":                 {"2.2.40-1.1", 1143, 792, nil, nil, nil},
	"sudo":                    {"1.9.13p3-1+deb12u1", 6177, 1889, nil, nil, []string{"sudo"}},
	"netcat-openbsd":          {"1.219-1", 105, 41, nil, nil, []string{"nc"}},
	"dnsutils":                {"1:9.18.24-1", 21, 6, []string{"bind9-dnsutils"}, nil, nil},
	"bind9-dnsutils":          {"1:9.18.24-1", 674, 406, []string{"bind9-libs"}, nil, []string{"dig", "nslookup"}},
	"bind9-libs":              {"1:9.18.24-1", 3412, 1180, nil, nil, nil},
	"htop":                    {"3.2.2-2", 360, 152, nil, nil, []string{"htop"}},
	"openjdk-17-jre-headless": {"17.0.10+7-1~deb12u1", 193456, 43690, nil, []string{"ca-certificates"}, []string{"java"}},
}

func cmdAptGet(p *proc) int {
	f := parseFlags(p.args, "oct")
	if len(f.args) == 0 {
		p.outf("apt 2.6.1 (amd64)\nUsage: apt-get [options] command\n")
		return 1
	}
	if p.s.uid != 0 {
		if f.args[0] == "update" {
			fmt.Fprintf(p.errw, "Reading package lists...\nE: Could not open lock file /var/lib/apt/lists/lock - open (13: Permission denied)\nE: Unable to lock directory /var/lib/apt/lists/\n")
		} else {
			fmt.Fprintf(p.errw, "E: Could not open lock file /var/lib/dpkg/lock-frontend - open (13: Permission denied)\nE: Unable to acquire the dpkg frontend lock (/var/lib/dpkg/lock-frontend), are you root?\n")
		}
		return 100
	}
	yes := f.has('y', "yes", "assume-yes") || f.has('q') && f.set['y']
	if _, ok := f.long["quiet"]; ok {
		_ = ok
	}
	noRec := f.has(0, "no-install-recommends")
	switch f.args[0] {
	case "update":
		return p.aptUpdate()
	case "install":
		return p.aptInstall(f.args[1:], yes, noRec)
	case "remove", "purge", "autoremove":
		return p.aptRemove(f.args[1:], yes)
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
		if !p.aptListsPresent() {
			p.outf("Reading package lists...\nBuilding dependency tree...\nReading state information...\nCalculating upgrade...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n")
			return 0
		}
		p.outf("Reading package lists...\nBuilding dependency tree...\nReading state information...\nCalculating upgrade...\n0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n")
		return 0
	}
	fmt.Fprintf(p.errw, "E: Invalid operation %s\n", f.args[0])
	return 100
}

func (p *proc) codename() string { return p.osRelease("VERSION_CODENAME", "bookworm") }

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

func (p *proc) aptUpdate() int {
	cn := p.codename()
	type list struct {
		url, file string
		size      int64
	}
	lists := []list{
		{"http://deb.debian.org/debian " + cn + " InRelease", "deb.debian.org_debian_dists_" + cn + "_InRelease", 151 << 10},
		{"http://deb.debian.org/debian " + cn + "-updates InRelease", "deb.debian.org_debian_dists_" + cn + "-updates_InRelease", 55 << 10},
		{"http://deb.debian.org/debian-security " + cn + "-security InRelease", "deb.debian.org_debian-security_dists_" + cn + "-security_InRelease", 48 << 10},
		{"http://deb.debian.org/debian " + cn + "/main amd64 Packages", "deb.debian.org_debian_dists_" + cn + "_main_binary-amd64_Packages.lz4", 18_400 << 10},
		{"http://deb.debian.org/debian " + cn + "-updates/main amd64 Packages", "deb.debian.org_debian_dists_" + cn + "-updates_main_binary-amd64_Packages.lz4", 13 << 10},
		{"http://deb.debian.org/debian-security " + cn + "-security/main amd64 Packages", "deb.debian.org_debian-security_dists_" + cn + "-security_main_binary-amd64_Packages.lz4", 420 << 10},
	}
	var total int64
	for i, l := range lists {
		dl := l.size / 3
		if strings.HasSuffix(l.file, "InRelease") {
			dl = l.size
		}
		total += dl
		p.outf("Get:%d %s [%s]\n", i+1, l.url, kb(dl))
		if err := p.put("/var/lib/apt/lists/"+l.file, rootfs.Generated{Seed: seedOf("apt", l.file), N: l.size}, 0o644, 0, 0); err != nil {
			return 100
		}
	}
	p.put("/var/lib/apt/lists/lock", rootfs.Bytes(nil), 0o640, 0, 0)
	p.s.withFS(func(fsys *rootfs.FS) error {
		return fsys.MkdirAll("/var/lib/apt/lists/partial", 0o700, 0, 0, p.s.now())
	})
	p.outf("Fetched %s in 1s (%s/s)\nReading package lists...\n", kb(total), kb(total))
	return 0
}

func (p *proc) debInstalled() map[string]bool {
	b, _ := p.s.readRaw("/var/lib/dpkg/status")
	out := map[string]bool{}
	for _, l := range strings.Split(string(b), "\n") {
		if n, ok := strings.CutPrefix(l, "Package: "); ok {
			out[strings.TrimSpace(n)] = true
		}
	}
	return out
}

func debFiles(name string, pk debPkg) map[string]rootfs.Content {
	files := map[string]rootfs.Content{
		"/usr/share/doc/" + name + "/copyright": rootfs.Bytes("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\nUpstream-Name: " + name + "\n"),
	}
	size := pk.installed * 1024
	if len(pk.bins) > 0 {
		per := size / int64(len(pk.bins)+1)
		for _, b := range pk.bins {
			files["/usr/bin/"+b] = rootfs.Generated{Seed: seedOf("deb", name, b), N: per}
			size -= per
		}
	}
	files["/usr/lib/x86_64-linux-gnu/"+name+"/lib"+name+".so"] = rootfs.Generated{Seed: seedOf("deb", name), N: size}
	return files
}

func (p *proc) aptInstall(pkgs []string, yes, noRec bool) int {
	p.outf("Reading package lists...\n")
	if !p.aptListsPresent() {
		for _, n := range pkgs {
			if _, ok := debCatalogue[n]; ok || !p.debInstalled()[n] {
				p.outf("Building dependency tree...\nReading state information...\n")
				fmt.Fprintf(p.errw, "E: Unable to locate package %s\n", n)
				return 100
			}
		}
	}
	p.outf("Building dependency tree...\nReading state information...\n")
	installed := p.debInstalled()
	var order []string
	seen := map[string]bool{}
	var visit func(n string, top bool) bool
	visit = func(n string, top bool) bool {
		name, _, _ := strings.Cut(n, "=")
		pk, ok := debCatalogue[name]
		if !ok {
			if top {
				fmt.Fprintf(p.errw, "E: Unable to locate package %s\n", name)
			}
			return !top
		}
		if seen[name] || installed[name] {
			if top && installed[name] {
				p.outf("%s is already the newest version (%s).\n", name, pk.ver)
			}
			return true
		}
		seen[name] = true
		for _, d := range pk.deps {
			visit(d, false)
		}
		if !noRec {
			for _, d := range pk.recs {
				visit(d, false)
			}
		}
		order = append(order, name)
		return true
	}
	for _, n := range pkgs {
		if strings.HasPrefix(n, "-") {
			continue
		}
		if !visit(n, true) {
			return 100
		}
	}
	if len(order) == 0 {
		p.outf("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n")
		return 0
	}
	sorted := append([]string(nil), order...)
	sort.Strings(sorted)
	var dl, inst int64
	for _, n := range order {
		dl += debCatalogue[n].download * 1024
		inst += debCatalogue[n].installed * 1024
	}
	p.outf("The following NEW packages will be installed:\n  %s\n", strings.Join(sorted, " "))
	p.outf("0 upgraded, %d newly installed, 0 to remove and 0 not upgraded.\n", len(order))
	p.outf("Need to get %s of archives.\nAfter this operation, %s of additional disk space will be used.\n", kb(dl), kb(inst))
	if !yes {
		p.outf("Do you want to continue? [Y/n] Abort.\n")
		return 1
	}
	cn := p.codename()
	keepDebs := !p.s.exists("/etc/apt/apt.conf.d/docker-clean")
	for i, n := range order {
		pk := debCatalogue[n]
		p.outf("Get:%d http://deb.debian.org/debian %s/main amd64 %s amd64 %s [%s]\n", i+1, cn, n, pk.ver, kb(pk.download*1024))
	}
	p.outf("debconf: delaying package configuration, since apt-utils is not installed\n")
	p.outf("Fetched %s in 1s (%s/s)\n", kb(dl), kb(dl))
	var status strings.Builder
	for _, n := range order {
		pk := debCatalogue[n]
		deb := fmt.Sprintf("%s_%s_amd64.deb", n, strings.ReplaceAll(pk.ver, ":", "%3a"))
		p.outf("Selecting previously unselected package %s.\nPreparing to unpack .../%s ...\nUnpacking %s (%s) ...\n", n, deb, n, pk.ver)
		if keepDebs {
			if err := p.put("/var/cache/apt/archives/"+deb, rootfs.Generated{Seed: seedOf("debfile", n), N: pk.download * 1024}, 0o644, 0, 0); err != nil {
				return 100
			}
		}
		var list []string
		for file, c := range debFiles(n, pk) {
			mode := 0o644
			if strings.HasPrefix(file, "/usr/bin/") {
				mode = 0o755
			}
			if err := p.put(file, c, 0o644|fsMode(mode), 0, 0); err != nil {
				return 100
			}
			list = append(list, file)
		}
		sort.Strings(list)
		p.put("/var/lib/dpkg/info/"+n+".list", rootfs.Bytes(strings.Join(list, "\n")+"\n"), 0o644, 0, 0)
		fmt.Fprintf(&status, "Package: %s\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: %s\nInstalled-Size: %d\nDescription: %s (layerlab catalogue)\n\n", n, pk.ver, pk.installed, n)
	}
	for _, n := range order {
		p.outf("Setting up %s (%s) ...\n", n, debCatalogue[n].ver)
	}
	p.outf("Processing triggers for libc-bin (2.36-9+deb12u4) ...\n")
	old, _ := p.s.readRaw("/var/lib/dpkg/status")
	if len(old) > 0 && !strings.HasSuffix(string(old), "\n\n") {
		old = append(old, '\n')
	}
	p.put("/var/lib/dpkg/status", rootfs.Bytes(string(old)+status.String()), 0o644, 0, 0)
	return 0
}

func (p *proc) aptRemove(pkgs []string, yes bool) int {
	p.outf("Reading package lists...\nBuilding dependency tree...\nReading state information...\n")
	installed := p.debInstalled()
	var rm []string
	for _, n := range pkgs {
		if strings.HasPrefix(n, "-") {
			continue
		}
		if !installed[n] {
			if _, ok := debCatalogue[n]; !ok {
				fmt.Fprintf(p.errw, "E: Unable to locate package %s\n", n)
				return 100
			}
			p.outf("Package '%s' is not installed, so not removed\n", n)
			continue
		}
		rm = append(rm, n)
	}
	if len(rm) == 0 {
		p.outf("0 upgraded, 0 newly installed, 0 to remove and 0 not upgraded.\n")
		return 0
	}
	p.outf("The following packages will be REMOVED:\n  %s\n0 upgraded, 0 newly installed, %d to remove and 0 not upgraded.\n", strings.Join(rm, " "), len(rm))
	if !yes {
		p.outf("Do you want to continue? [Y/n] Abort.\n")
		return 1
	}
	for _, n := range rm {
		p.outf("Removing %s (%s) ...\n", n, debCatalogue[n].ver)
		b, _ := p.s.readRaw("/var/lib/dpkg/info/" + n + ".list")
		for _, file := range strings.Split(string(b), "\n") {
			if file != "" {
				p.s.withFS(func(fsys *rootfs.FS) error { return fsys.Remove(file) })
			}
		}
		p.s.withFS(func(fsys *rootfs.FS) error { return fsys.Remove("/var/lib/dpkg/info/" + n + ".list") })
	}
	old, _ := p.s.readRaw("/var/lib/dpkg/status")
	var keep []string
	for _, stanza := range strings.Split(string(old), "\n\n") {
		drop := false
		for _, n := range rm {
			if strings.HasPrefix(stanza, "Package: "+n+"\n") {
				drop = true
			}
		}
		if !drop && strings.TrimSpace(stanza) != "" {
			keep = append(keep, stanza)
		}
	}
	p.put("/var/lib/dpkg/status", rootfs.Bytes(strings.Join(keep, "\n\n")+"\n\n"), 0o644, 0, 0)
	return 0
}
