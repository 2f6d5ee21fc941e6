package sandbox

// What apt, apk and dnf share: which release the image is (from /etc/os-release,
// never the image's name), which catalog that is, how a requested name resolves
// (catalog, installed, typo, invalid, or a stand-in synthesized from the name), and
// the files a package puts on disk, with the real side effects of the packages
// whose files other steps rely on (the CA bundle, zoneinfo, cron's directories).

import (
	"fmt"
	"sort"
	"strings"

	"layerlab/engine/rootfs"
	"layerlab/engine/sandbox/catalog"
)

// sysCatalog is the catalog of the image's release for a package family. When the
// catalog has no data for that exact release it uses the family's nearest one and
// the step log says so.
func (p *proc) sysCatalog(fam catalog.Family) *catalog.Catalog {
	id := p.osRelease("ID", "")
	ver := p.osRelease("VERSION_ID", "")
	code := p.osRelease("VERSION_CODENAME", "")
	r, ok := catalog.Detect(fam, id, ver, code)
	if !ok {
		fmt.Fprintf(p.errw, "layerlab: the playground's package catalog has no data for %s %s; using %s %s's archive\n",
			orDefault(id, "this distribution"), ver+code, r.Distro, r.Key)
	}
	return catalog.For(r)
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// sysWant is one resolved request.
type sysWant struct {
	pkg       catalog.Package
	requested bool // named on the command line (not pulled in as a dependency)
}

// sysResolve orders what installing names needs, dependencies first, skipping what
// is installed. refused lists names that resolve to nothing (typos and invalid
// names), in order; the caller prints them in its tool's words.
func sysResolve(c *catalog.Catalog, fam catalog.Family, names []string, installed map[string]bool, recs bool) (order []sysWant, refused []string) {
	seen := map[string]bool{}
	var visit func(pk catalog.Package, top bool)
	visit = func(pk catalog.Package, top bool) {
		if seen[pk.Name] || installed[pk.Name] {
			return
		}
		seen[pk.Name] = true
		deps := pk.Deps
		if recs {
			deps = append(append([]string(nil), deps...), pk.Recommends...)
		}
		for _, d := range deps {
			if dp, ok := c.Lookup(d); ok {
				visit(dp, false)
			}
		}
		order = append(order, sysWant{pkg: pk, requested: top})
	}
	for _, n := range names {
		if installed[n] {
			continue
		}
		pk, ok := sysLookup(c, fam, n)
		if !ok {
			refused = append(refused, n)
			continue
		}
		visit(pk, true)
	}
	return order, refused
}

// sysLookup resolves one name: the catalog's package, else a stand-in synthesized
// from a valid name that is no typo of a catalog name.
func sysLookup(c *catalog.Catalog, fam catalog.Family, name string) (catalog.Package, bool) {
	if pk, ok := c.Lookup(name); ok {
		return pk, true
	}
	if !catalog.Valid(fam, name) {
		return catalog.Package{}, false
	}
	if _, typo := c.Typo(name); typo {
		return catalog.Package{}, false
	}
	return c.Synthesize(name), true
}

// synthNote is the step-log line for a package the catalog does not hold.
func (p *proc) synthNote(order []sysWant) {
	for _, w := range order {
		if w.pkg.Synthetic {
			fmt.Fprintf(p.errw, "layerlab: package %s is not in the playground's catalog; installed a stand-in synthesized from its name\n", w.pkg.Name)
		}
	}
}

// sysFiles are the files a package puts on disk: its commands, its payload under
// /usr/lib/NAME, its copyright file, and the real files other steps rely on.
func sysFiles(fam catalog.Family, pk catalog.Package) map[string]rootfs.Content {
	files := map[string]rootfs.Content{
		"/usr/share/doc/" + pk.Name + "/copyright": rootfs.Bytes("Upstream-Name: " + pk.Name + "\nComment: layerlab stand-in for the " + pk.Name + " " + pk.Version + " package\n"),
	}
	size := pk.Installed
	for path, text := range sysEffects(fam, pk.Name) {
		files[path] = text
		if text != nil { // nil: a directory
			size -= text.Size()
		}
	}
	for _, b := range pk.Bins {
		per := max(size/int64(len(pk.Bins)+1), 1024)
		files[b] = rootfs.Generated{Seed: seedOf("syspkg", pk.Name, b), N: per}
		size -= per
	}
	if size < 0 {
		size = 0
	}
	files["/usr/lib/"+pk.Name+"/"+pk.Name+".data"] = rootfs.Generated{Seed: seedOf("syspkg", string(fam), pk.Name, pk.Version), N: size}
	return files
}

// caBundle is a stand-in for Mozilla's CA bundle: PEM-shaped, about the real size.
func caBundle() rootfs.Bytes {
	var b strings.Builder
	b.WriteString("# layerlab stand-in for the Mozilla CA certificate bundle (the playground has no network)\n")
	for i := 0; i < 140; i++ {
		fmt.Fprintf(&b, "-----BEGIN CERTIFICATE-----\n")
		for j := 0; j < 20; j++ {
			fmt.Fprintf(&b, "%064x\n", seedOf("ca", fmt.Sprint(i, j)))
		}
		fmt.Fprintf(&b, "-----END CERTIFICATE-----\n")
	}
	return rootfs.Bytes(b.String())
}

var zones = []string{"UTC", "Etc/UTC", "Etc/GMT", "GMT", "Europe/London", "Europe/Paris", "Europe/Berlin", "Europe/Madrid",
	"Europe/Rome", "Europe/Moscow", "America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
	"America/Sao_Paulo", "Asia/Tokyo", "Asia/Shanghai", "Asia/Kolkata", "Asia/Singapore", "Asia/Seoul", "Australia/Sydney", "Africa/Cairo"}

// sysEffects are the files with meaning a package installs: what COPY --from,
// cron, TLS clients and locale-gen read later.
func sysEffects(fam catalog.Family, name string) map[string]rootfs.Content {
	out := map[string]rootfs.Content{}
	switch name {
	case "ca-certificates", "ca-certificates-bundle":
		if fam == catalog.RPM {
			out["/etc/pki/tls/certs/ca-bundle.crt"] = caBundle()
			out["/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"] = caBundle()
		} else {
			out["/etc/ssl/certs/ca-certificates.crt"] = caBundle()
		}
		if fam == catalog.Deb {
			out["/etc/ca-certificates.conf"] = rootfs.Bytes("# This file lists certificates that you wish to use or to ignore to be\n# installed in /etc/ssl/certs.\nmozilla/ISRG_Root_X1.crt\nmozilla/DigiCert_Global_Root_G2.crt\n")
			out["/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt"] = rootfs.Bytes("-----BEGIN CERTIFICATE-----\n" + fmt.Sprintf("%064x", seedOf("isrg")) + "\n-----END CERTIFICATE-----\n")
		}
	case "tzdata":
		for _, z := range zones {
			out["/usr/share/zoneinfo/"+z] = rootfs.Bytes("TZif2" + strings.Repeat("\x00", 15) + z + "\n")
		}
		out["/usr/share/zoneinfo/zone1970.tab"] = rootfs.Bytes("# tzdb timezone descriptions (layerlab stand-in)\n")
		out["/usr/share/zoneinfo/tzdata.zi"] = rootfs.Bytes("# version 2025b\n")
	case "cron":
		out["/etc/crontab"] = rootfs.Bytes("# /etc/crontab: system-wide crontab\nSHELL=/bin/sh\nPATH=/usr/local/sbin:/usr/local/bin:/sbin:/bin:/usr/sbin:/usr/bin\n\n17 *\t* * *\troot\tcd / && run-parts --report /etc/cron.hourly\n")
		out["/etc/cron.d/.placeholder"] = rootfs.Bytes("# DO NOT EDIT OR REMOVE\n")
		out["/etc/cron.daily/.placeholder"] = rootfs.Bytes("# DO NOT EDIT OR REMOVE\n")
		out["/etc/cron.hourly/.placeholder"] = rootfs.Bytes("# DO NOT EDIT OR REMOVE\n")
	case "cronie":
		out["/etc/crontab"] = rootfs.Bytes("SHELL=/bin/bash\nPATH=/sbin:/bin:/usr/sbin:/usr/bin\nMAILTO=root\n")
		out["/etc/cron.d/0hourly"] = rootfs.Bytes("SHELL=/bin/bash\nPATH=/sbin:/bin:/usr/sbin:/usr/bin\nMAILTO=root\n01 * * * * root run-parts /etc/cron.hourly\n")
	case "locales":
		out["/etc/locale.gen"] = rootfs.Bytes("# This file lists locales that you wish to have built.\n# en_GB.UTF-8 UTF-8\n# en_US.UTF-8 UTF-8\n# de_DE.UTF-8 UTF-8\n# fr_FR.UTF-8 UTF-8\n# es_ES.UTF-8 UTF-8\n# ja_JP.UTF-8 UTF-8\n")
		out["/usr/share/i18n/SUPPORTED"] = rootfs.Bytes("en_GB.UTF-8 UTF-8\nen_US.UTF-8 UTF-8\nde_DE.UTF-8 UTF-8\nfr_FR.UTF-8 UTF-8\nes_ES.UTF-8 UTF-8\nja_JP.UTF-8 UTF-8\n")
	case "nginx", "nginx-common", "nginx-core":
		out["/etc/nginx/nginx.conf"] = rootfs.Bytes("user www-data;\nworker_processes auto;\npid /run/nginx.pid;\nevents { worker_connections 768; }\nhttp {\n\tinclude /etc/nginx/mime.types;\n\tinclude /etc/nginx/conf.d/*.conf;\n}\n")
		out["/etc/nginx/mime.types"] = rootfs.Bytes("types {\n    text/html html htm shtml;\n    text/css css;\n    application/javascript js;\n}\n")
		// Every distro's nginx package ships its log directory (what the common
		// `ln -sf /dev/stdout /var/log/nginx/access.log` needs) and conf.d.
		out["/var/log/nginx/"] = nil
		out["/etc/nginx/conf.d/"] = nil
	case "supervisor":
		conf := "/etc/supervisord.conf"
		if fam == catalog.Deb {
			conf = "/etc/supervisor/supervisord.conf"
		}
		out[conf] = rootfs.Bytes("[unix_http_server]\nfile=/var/run/supervisor.sock\n\n[supervisord]\nlogfile=/var/log/supervisor/supervisord.log\n\n[include]\nfiles = /etc/supervisor/conf.d/*.conf\n")
		switch fam {
		case catalog.Deb:
			out["/etc/supervisor/conf.d/"] = nil
			out["/var/log/supervisor/"] = nil
		case catalog.RPM:
			out["/etc/supervisord.d/"] = nil
			out["/var/log/supervisor/"] = nil
		}
	case "sudo":
		out["/etc/sudoers"] = rootfs.Bytes("Defaults\tenv_reset\nroot\tALL=(ALL:ALL) ALL\n%sudo\tALL=(ALL:ALL) ALL\n@includedir /etc/sudoers.d\n")
		out["/etc/sudoers.d/README"] = rootfs.Bytes("#\n# The default /etc/sudoers file created on installation of the\n# sudo  package now includes the directive:\n#\n# \t@includedir /etc/sudoers.d\n#\n")
	case "openssh-server":
		out["/etc/ssh/sshd_config"] = rootfs.Bytes("Include /etc/ssh/sshd_config.d/*.conf\nKbdInteractiveAuthentication no\nUsePAM yes\nSubsystem\tsftp\t/usr/lib/openssh/sftp-server\n")
	}
	return out
}

// sysPut writes a package's files. A name ending in "/" is a directory the package
// ships empty; commands are executable.
func (p *proc) sysPut(files map[string]rootfs.Content) ([]string, error) {
	var list []string
	for _, f := range sortedFiles(files) {
		if dir, ok := strings.CutSuffix(f, "/"); ok {
			if err := p.s.withFS(func(fs *rootfs.FS) error { return fs.MkdirAll(dir, 0o755, 0, 0, p.s.now()) }); err != nil {
				return nil, err
			}
			continue
		}
		mode := 0o644
		if strings.Contains(f, "/bin/") || strings.Contains(f, "/sbin/") {
			mode = 0o755
		}
		if err := p.put(f, files[f], fsMode(mode), 0, 0); err != nil {
			return nil, err
		}
		list = append(list, f)
	}
	return list, nil
}

func sortedFiles(m map[string]rootfs.Content) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// sysRemove deletes the files a package installed, keeping the CA bundle and the
// like only when another installed package also ships them.
func (p *proc) sysRemove(files []string) {
	p.s.withFS(func(f *rootfs.FS) error {
		for _, file := range files {
			f.Remove(file)
		}
		return nil
	})
}
