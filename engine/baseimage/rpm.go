package baseimage

import "fmt"

// rpmReleases are the RPM-based distros served, oldest first within each name.
var rpmReleases = []rpmRelease{
	{name: "centos", version: "7", pretty: "CentOS Linux 7 (Core)", id: "centos", idLike: "rhel fedora", pm: "yum", size: 204_000_000, created: "2021-09-15T18:20:05Z", platform: "el7"},
	{name: "centos", version: "8", pretty: "CentOS Linux 8", id: "centos", idLike: "rhel fedora", pm: "dnf", size: 231_000_000, created: "2021-09-15T18:20:23Z", platform: "el8"},
	{name: "rockylinux", version: "8.9", pretty: "Rocky Linux 8.9 (Green Obsidian)", id: "rocky", idLike: "rhel centos fedora", pm: "dnf", size: 196_000_000, created: "2023-11-22T21:02:12Z", platform: "el8"},
	{name: "rockylinux", version: "9.3", pretty: "Rocky Linux 9.3 (Blue Onyx)", id: "rocky", idLike: "rhel centos fedora", pm: "dnf", size: 176_000_000, created: "2023-11-22T21:03:41Z", platform: "el9"},
	{name: "oraclelinux", version: "8", pretty: "Oracle Linux Server 8.10", id: "ol", idLike: "fedora", pm: "dnf", size: 227_000_000, created: "2026-11-10T00:00:00Z", platform: "el8"},
	{name: "oraclelinux", version: "9", pretty: "Oracle Linux Server 9.6", id: "ol", idLike: "fedora", pm: "dnf", size: 234_000_000, created: "2026-11-10T00:00:00Z", platform: "el9"},
	{name: "amazonlinux", version: "2", pretty: "Amazon Linux 2", id: "amzn", idLike: "centos rhel fedora", pm: "yum", size: 164_000_000, created: "2026-11-18T00:00:00Z", platform: "amzn2"},
	{name: "amazonlinux", version: "2023", pretty: "Amazon Linux 2023.9.20251117", id: "amzn", idLike: "fedora", pm: "dnf", size: 145_000_000, created: "2026-11-18T00:00:00Z", platform: "al2023"},
	{name: "fedora", version: "36", pretty: "Fedora Linux 36 (Container Image)", id: "fedora", pm: "dnf", size: 161_000_000, created: "2023-05-16T00:00:00Z", platform: "f36"},
	{name: "fedora", version: "37", pretty: "Fedora Linux 37 (Container Image)", id: "fedora", pm: "dnf", size: 168_000_000, created: "2023-12-05T00:00:00Z", platform: "f37"},
	{name: "fedora", version: "38", pretty: "Fedora Linux 38 (Container Image)", id: "fedora", pm: "dnf", size: 190_000_000, created: "2024-05-21T00:00:00Z", platform: "f38"},
	{name: "fedora", version: "39", pretty: "Fedora Linux 39 (Container Image)", id: "fedora", pm: "dnf", size: 176_000_000, created: "2024-11-26T00:00:00Z", platform: "f39"},
	{name: "fedora", version: "40", pretty: "Fedora Linux 40 (Container Image)", id: "fedora", pm: "dnf", size: 222_000_000, created: "2025-05-13T00:00:00Z", platform: "f40"},
	{name: "fedora", version: "41", pretty: "Fedora Linux 41 (Container Image)", id: "fedora", pm: "dnf", size: 174_000_000, created: "2026-11-01T00:00:00Z", platform: "f41"},
	{name: "fedora", version: "42", pretty: "Fedora Linux 42 (Container Image)", id: "fedora", pm: "dnf", size: 163_000_000, created: "2026-11-01T00:00:00Z", platform: "f42"},
	{name: "fedora", version: "43", pretty: "Fedora Linux 43 (Container Image)", id: "fedora", pm: "dnf", size: 165_000_000, created: "2026-11-01T00:00:00Z", platform: "f43"},
}

const rpmPasswd = `root:x:0:0:root:/root:/bin/bash
bin:x:1:1:bin:/bin:/sbin/nologin
daemon:x:2:2:daemon:/sbin:/sbin/nologin
adm:x:3:4:adm:/var/adm:/sbin/nologin
lp:x:4:7:lp:/var/spool/lpd:/sbin/nologin
sync:x:5:0:sync:/sbin:/bin/sync
shutdown:x:6:0:shutdown:/sbin:/sbin/shutdown
halt:x:7:0:halt:/sbin:/sbin/halt
mail:x:8:12:mail:/var/spool/mail:/sbin/nologin
operator:x:11:0:operator:/root:/sbin/nologin
games:x:12:100:games:/usr/games:/sbin/nologin
ftp:x:14:50:FTP User:/var/ftp:/sbin/nologin
nobody:x:65534:65534:Kernel Overflow User:/:/sbin/nologin
`

const rpmGroup = "root:x:0:\nbin:x:1:\ndaemon:x:2:\nsys:x:3:\nadm:x:4:\ntty:x:5:\ndisk:x:6:\nlp:x:7:\nmem:x:8:\nkmem:x:9:\nwheel:x:10:\ncdrom:x:11:\nmail:x:12:\nman:x:15:\ndialout:x:18:\nfloppy:x:19:\ngames:x:20:\ntape:x:33:\nvideo:x:39:\nftp:x:50:\nlock:x:54:\naudio:x:63:\nusers:x:100:\nnobody:x:65534:\n"

// buildRPM is an RPM-based distro's image: one ADD of its rootfs, then CMD ["/bin/bash"].
// The package manager is there with its database (/var/lib/rpm), so the sandbox can
// tell dnf, yum and microdnf images apart.
func buildRPM(r rpmRelease, name string) (*Image, error) {
	b := newBuilder(name, date(r.created))
	b.seed = r.name + ":" + r.version
	b.label("org.label-schema.schema-version", "1.0")
	b.label("org.label-schema.name", r.pretty)
	b.dir(modeDir, "/usr/bin", "/usr/sbin", "/usr/lib64", "/usr/lib/rpm", "/usr/share", "/usr/local/bin", "/etc/yum.repos.d",
		"/var/lib/rpm", "/var/cache/"+r.pm, "/var/log", "/home", "/opt", "/srv", "/mnt", "/media", "/run", "/proc", "/sys", "/dev")
	b.link("/bin", "usr/bin", "/sbin", "usr/sbin", "/lib", "usr/lib", "/lib64", "usr/lib64", "/var/run", "../run")
	b.dir(0o550, "/root")
	b.dir(modeTmp, "/tmp", "/var/tmp")
	b.file("/etc/os-release", modeFile, fmt.Sprintf("NAME=%q\nVERSION=%q\nID=%q\nID_LIKE=%q\nVERSION_ID=%q\nPLATFORM_ID=\"platform:%s\"\nPRETTY_NAME=%q\nANSI_COLOR=\"0;31\"\n", r.pretty, r.version, r.id, r.idLike, r.version, r.platform, r.pretty))
	b.file("/etc/system-release", modeFile, r.pretty+"\n")
	b.link("/etc/redhat-release", "system-release")
	b.file("/etc/passwd", modeFile, rpmPasswd)
	b.file("/etc/group", modeFile, rpmGroup)
	b.file("/etc/shadow", 0o000, shadowFor(rpmPasswd, "*:19000:0:99999:7:::"))
	b.file("/etc/yum.repos.d/"+r.name+".repo", modeFile, "["+r.id+"-baseos]\nname="+r.pretty+" - BaseOS\nenabled=1\ngpgcheck=1\n")
	b.link("/usr/bin/sh", "bash")
	pm := "/usr/bin/" + r.pm + " 1 x\n"
	if r.pm == "dnf" {
		b.link("/usr/bin/yum", "dnf-3")
		pm = "/usr/bin/dnf-3 1 x\n"
		b.link("/usr/bin/dnf", "dnf-3")
	}
	b.fill(r.size, pm+`
/usr/bin/bash 1390 x
/usr/bin/rpm 20 x
/usr/bin/ls 140 x
/usr/bin/cat 40 x
/usr/bin/cp 150 x
/usr/bin/mv 140 x
/usr/bin/rm 70 x
/usr/bin/mkdir 80 x
/usr/bin/chmod 60 x
/usr/bin/chown 70 x
/usr/bin/ln 60 x
/usr/bin/grep 170 x
/usr/bin/sed 120 x
/usr/bin/tar 530 x
/usr/bin/gzip 90 x
/usr/bin/find 230 x
/usr/bin/xargs 70 x
/usr/bin/env 40 x
/usr/bin/id 40 x
/usr/bin/uname 40 x
/usr/bin/echo 40 x
/usr/bin/sleep 40 x
/usr/bin/touch 90 x
/usr/bin/head 40 x
/usr/bin/tail 60 x
/usr/bin/sort 120 x
/usr/bin/wc 40 x
/usr/bin/curl 250 x
/usr/sbin/useradd 140 x
/usr/sbin/groupadd 80 x
/usr/lib64/libc.so.6 2200 x
/usr/lib64/ld-linux-x86-64.so.2 230 x
/usr/lib64/librpm.so.9 600
/usr/lib64/libcrypto.so.3 4600
/usr/lib64/libssl.so.3 650
/usr/lib64/libpython3.so 4000
/usr/lib/python3/site-packages/dnf/base.py 110
/usr/lib/locale/C.utf8/LC_CTYPE 340
/usr/share/zoneinfo/UTC 1
/var/lib/rpm/rpmdb.sqlite 9000
/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem 220
/usr/lib64/libstdc++.so.6 2300
/usr/lib64/libglib-2.0.so.0 1300
/usr/share/doc/bash/README 1
`)
	b.add("/")
	b.cmd("/bin/bash")
	b.img.Config.Env = []string{"PATH=" + defaultPath}
	return b.done()
}

// rpmFamily is an RPM distro as a repository: one line per release.
func rpmFamily(name, desc, latest string, aliases []alias, forms ...string) *family {
	var ls []line
	for _, r := range rpmReleases {
		if r.name == name {
			ls = append(ls, line{ver: r.version, latest: r.version, date: r.created[:10], first: "2014-01-01", data: r})
		}
	}
	sortLines(ls)
	if len(forms) == 0 {
		forms = []string{""}
	}
	return &family{repo: name, desc: desc, lines: ls, aliases: aliases, forms: forms, defaultLine: latest,
		build: func(s spec) (*Image, error) {
			return buildRPM(s.line.data.(rpmRelease), name+":"+s.canonicalTag())
		}}
}
