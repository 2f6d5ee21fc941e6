package sandbox

import (
	"strings"
	"testing"

	"layerlab/engine/rootfs"
)

// ubuntuFS is ubuntu:noble-like: Debian's layout with Ubuntu's os-release, and tar installed.
func ubuntuFS(t testing.TB) *rootfs.FS {
	f := debianFS(t)
	put(t, f, "/etc/os-release", "PRETTY_NAME=\"Ubuntu 24.04.2 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nVERSION_CODENAME=noble\nID=ubuntu\n", 0o644)
	put(t, f, "/var/lib/dpkg/status", "Package: base-files\nStatus: install ok installed\nVersion: 13ubuntu10.2\n\nPackage: tar\nStatus: install ok installed\nVersion: 1.35+dfsg-3build1\n\n", 0o644)
	return f
}

// rockyFS is rockylinux:9-like: dnf on PATH, os-release says rocky 9.5.
func rockyFS(t testing.TB) *rootfs.FS {
	f := debianFS(t)
	f.Remove("/usr/bin/apt-get")
	put(t, f, "/usr/bin/dnf", elf, 0o755)
	put(t, f, "/usr/bin/microdnf", elf, 0o755)
	put(t, f, "/usr/bin/yum", elf, 0o755)
	put(t, f, "/usr/bin/rpm", elf, 0o755)
	put(t, f, "/etc/os-release", "NAME=\"Rocky Linux\"\nVERSION=\"9.5 (Blue Onyx)\"\nID=\"rocky\"\nVERSION_ID=\"9.5\"\n", 0o644)
	put(t, f, rpmDBFile, "bash 5.1.8-9.el9 7000\n", 0o644)
	return f
}

// withBins adds commands the image would have as files (a busybox applet link on busybox images).
func withBins(fs func(testing.TB) *rootfs.FS, names ...string) func(testing.TB) *rootfs.FS {
	return func(t testing.TB) *rootfs.FS {
		f := fs(t)
		for _, n := range names {
			if _, _, err := f.Stat("/bin/busybox"); err == nil {
				symlink(t, f, "/usr/bin/"+n, "/bin/busybox")
			} else {
				put(t, f, "/usr/bin/"+n, elf, 0o755)
			}
		}
		return f
	}
}

func hasFile(t *testing.T, f *rootfs.FS, p string) {
	t.Helper()
	if _, _, err := f.Stat(p); err != nil {
		t.Errorf("%s: %v", p, err)
	}
}

func noFile(t *testing.T, f *rootfs.FS, p string) {
	t.Helper()
	if _, _, err := f.Stat(p); err == nil {
		t.Errorf("%s exists", p)
	}
}

func TestAptCatalog(t *testing.T) {
	tests := []toolCase{
		{name: "tini from the catalog, on PATH, runs", fs: debianFS,
			script: "apt-get update -qq && apt-get install -y --no-install-recommends tini && /usr/bin/tini --version",
			wantOut: []string{"The following NEW packages will be installed:\n  tini\n", "0 upgraded, 1 newly installed, 0 to remove and 0 not upgraded.\n",
				"Get:1 http://deb.debian.org/debian bookworm/main amd64 tini amd64 0.19.0-1 [255 kB]\n", "Setting up tini (0.19.0-1) ...\n", "tini version 0.19.0"},
			noOut: []string{"Get:1 http://deb.debian.org/debian bookworm InRelease"},
			check: func(t *testing.T, f *rootfs.FS) {
				if !strings.Contains(readFS(t, f, "/var/lib/dpkg/status"), "Package: tini\nStatus: install ok installed") {
					t.Error("dpkg status lacks tini")
				}
				hasFile(t, f, "/var/lib/dpkg/info/tini.list")
			}},
		{name: "dependencies and recommends", fs: debianFS, script: "apt-get update >/dev/null && apt-get install -y curl",
			wantOut: []string{"The following additional packages will be installed:\n", "ca-certificates", "libcurl4", "Setting up curl (7.88.1-10+deb12u12) ...",
				"Updating certificates in /etc/ssl/certs..."},
			check: func(t *testing.T, f *rootfs.FS) {
				hasFile(t, f, "/etc/ssl/certs/ca-certificates.crt")
				if !strings.Contains(readFS(t, f, "/var/lib/apt/extended_states"), "Package: libcurl4\nArchitecture: amd64\nAuto-Installed: 1") {
					t.Error("libcurl4 not marked automatic")
				}
			}},
		{name: "no-install-recommends lists them", fs: debianFS, script: "apt-get update >/dev/null && apt-get install -y --no-install-recommends curl",
			wantOut: []string{"Recommended packages:\n  ca-certificates publicsuffix\n"}, noOut: []string{"Setting up ca-certificates"}},
		{name: "synthesized", fs: debianFS, script: "apt-get update >/dev/null && apt-get install -y libfrobnicate-dev",
			wantOut: []string{"layerlab: package libfrobnicate-dev is not in the playground's catalog; installed a stand-in synthesized from its name\n", "Setting up libfrobnicate-dev ("},
			check: func(t *testing.T, f *rootfs.FS) {
				hasFile(t, f, "/usr/lib/libfrobnicate-dev/libfrobnicate-dev.data")
				hasFile(t, f, "/usr/share/doc/libfrobnicate-dev/copyright")
			}},
		{name: "typo refused, nothing installed", fs: debianFS, script: "apt-get update >/dev/null && apt-get install -y curl pythn3", wantCode: 100,
			wantOut: []string{"E: Unable to locate package pythn3\n"}, noOut: []string{"Setting up"},
			check: func(t *testing.T, f *rootfs.FS) { noFile(t, f, "/usr/bin/curl") }},
		{name: "invalid name refused", fs: debianFS, script: "apt-get update >/dev/null && apt-get install -y Flask", wantCode: 100,
			wantOut: []string{"E: Unable to locate package Flask\n"}},
		{name: "installed base package on noble", fs: ubuntuFS, script: "apt-get update >/dev/null && apt-get install -y tar libssl3t64",
			wantOut: []string{"tar is already the newest version (1.35+dfsg-3build1).\n", "Get:1 http://archive.ubuntu.com/ubuntu noble/main amd64 libssl3t64 amd64 3.0.13-0ubuntu3.5"}},
		{name: "ubuntu update sources", fs: ubuntuFS, script: "apt-get update",
			wantOut: []string{"Get:1 http://archive.ubuntu.com/ubuntu noble InRelease [", "http://security.ubuntu.com/ubuntu noble-security InRelease", "noble/universe amd64 Packages"}},
		{name: "remove and autoremove", fs: debianFS,
			script:  "apt-get update >/dev/null && apt-get install -y --no-install-recommends curl >/dev/null && apt-get purge -y --auto-remove curl",
			wantOut: []string{"The following packages will be REMOVED:\n", "curl*", "libcurl4*", "Removing curl (7.88.1-10+deb12u12) ..."},
			check: func(t *testing.T, f *rootfs.FS) {
				noFile(t, f, "/usr/bin/curl")
				if st := readFS(t, f, "/var/lib/dpkg/status"); strings.Contains(st, "Package: libcurl4\n") || !strings.Contains(st, "Package: base-files") {
					t.Errorf("status after autoremove:\n%s", st)
				}
			}},
		{name: "dpkg -l and apt-cache policy", fs: withBins(debianFS, "dpkg", "apt-cache"),
			script:  "apt-get update >/dev/null && apt-get install -y gosu >/dev/null && dpkg -l gosu && apt-cache policy gosu && gosu nobody id -u",
			wantOut: []string{"ii  gosu ", "  Installed: 1.14-1+b6\n", "65534\n"}},
		{name: "without update only dpkg's packages are known", fs: debianFS, script: "apt-get install -y tini", wantCode: 100,
			wantOut: []string{"E: Unable to locate package tini"}},
	}
	runToolCases(t, tests)
}

func TestApkCatalog(t *testing.T) {
	tests := []toolCase{
		{name: "virtual and del", script: "apk add --no-cache --virtual .build-deps gcc musl-dev linux-headers && apk del .build-deps && cat /etc/apk/world",
			wantOut: []string{"Installing linux-headers (6.5-r0)", "Installing .build-deps (20240301.120000)", "Purging .build-deps (20240301.120000)", "Purging gcc ("},
			noOut:   []string{".build-deps\n"},
			check: func(t *testing.T, f *rootfs.FS) {
				noFile(t, f, "/usr/bin/gcc")
				if db := readFS(t, f, "/lib/apk/db/installed"); !strings.Contains(db, "P:busybox\n") || strings.Contains(db, "P:gcc\n") {
					t.Errorf("db after del:\n%s", db)
				}
			}},
		{name: "virtual in the world", script: "apk add --no-cache --virtual .deps curl >/dev/null && cat /etc/apk/world",
			wantOut: []string{".deps\n"}, noOut: []string{"curl\n"}},
		{name: "del keeps what the world still needs", script: "apk add --no-cache curl >/dev/null && apk add --no-cache --virtual .x libcurl >/dev/null && apk del .x && command -v curl",
			wantOut: []string{"Purging .x", "/usr/bin/curl\n"}, noOut: []string{"Purging libcurl"},
			check: func(t *testing.T, f *rootfs.FS) { hasFile(t, f, "/usr/lib/libcurl/libcurl.data") }},
		{name: "typo", script: "apk add --no-cache pythn3", wantCode: 1,
			wantOut: []string{"ERROR: unable to select packages:\n  pythn3 (no such package):\n    required by: world[pythn3]\n"}},
		{name: "synthesized", script: "apk add --no-cache py3-frobnicate",
			wantOut: []string{"layerlab: package py3-frobnicate is not in the playground's catalog; installed a stand-in synthesized from its name", "(1/1) Installing py3-frobnicate ("}},
		{name: "libc6-compat and tini", script: "apk add --no-cache libc6-compat tini && tini --version",
			wantOut: []string{"Installing libc6-compat (", "tini version 0.19.0"}},
		{name: "su-exec drops privileges", script: "apk add --no-cache su-exec >/dev/null && su-exec nobody id -u",
			wantOut: []string{"65534\n"}},
		{name: "ca-certificates side effect", script: "apk add --no-cache ca-certificates >/dev/null && update-ca-certificates && test -s /etc/ssl/certs/ca-certificates.crt && echo bundle",
			wantOut: []string{"bundle\n"}, noOut: []string{"Updating certificates"}},
		{name: "tzdata side effect", script: "apk add --no-cache tzdata >/dev/null && ls /usr/share/zoneinfo/Europe",
			wantOut: []string{"London"}},
	}
	for i := range tests {
		tests[i].fs = apkWorldFS
	}
	runToolCases(t, tests)
}

func TestDnfCatalog(t *testing.T) {
	tests := []toolCase{
		{name: "install", script: "dnf install -y make && rpm -q make",
			wantOut: []string{"Rocky Linux 9 - BaseOS", "Installing:\n make ", "1:4.3-8.el9", "Complete!\n", "make-4.3-8.el9.x86_64\n"}},
		{name: "typo", script: "dnf install -y pythn3", wantCode: 1,
			wantOut: []string{"No match for argument: pythn3\n", "Error: Unable to find a match: pythn3\n"}},
		{name: "microdnf typo", script: "microdnf install pythn3", wantCode: 1,
			wantOut: []string{"error: No package matches 'pythn3'\n"}},
		{name: "synthesized", script: "dnf install -y --setopt=install_weak_deps=False --nodocs libfrobnicate-devel",
			wantOut: []string{"installed a stand-in synthesized from its name", "libfrobnicate-devel-"},
			check: func(t *testing.T, f *rootfs.FS) {
				hasFile(t, f, "/usr/lib/libfrobnicate-devel/libfrobnicate-devel.data")
			}},
		{name: "clean all", script: "dnf makecache >/dev/null && dnf clean all && ls /var/cache/dnf 2>&1 | wc -l",
			wantOut: []string{"0\n"}},
		{name: "cronie crontab in /var/spool/cron", script: "dnf install -y cronie >/dev/null && echo '* * * * * date' > /c && crontab /c && crontab -l",
			wantOut: []string{"* * * * * date\n"},
			check:   func(t *testing.T, f *rootfs.FS) { hasFile(t, f, "/var/spool/cron/root") }},
	}
	for i := range tests {
		tests[i].fs = rockyFS
	}
	runToolCases(t, tests)
}

func TestDistroCommands(t *testing.T) {
	tests := []toolCase{
		{name: "busybox crontab", fs: withBins(busyboxFS, "crontab"), script: "printf '*/5 * * * * /script.sh\\n' > /c.txt && crontab /c.txt && crontab -l",
			wantOut: []string{"*/5 * * * * /script.sh\n"},
			check: func(t *testing.T, f *rootfs.FS) {
				if got := readFS(t, f, "/var/spool/cron/crontabs/root"); got != "*/5 * * * * /script.sh\n" {
					t.Errorf("crontab file = %q", got)
				}
			}},
		{name: "crontab -l without a table", fs: withBins(debianFS, "crontab"), script: "crontab -l", wantCode: 1, wantOut: []string{"no crontab for root"}},
		{name: "debian update-ca-certificates adds local CAs", fs: withBins(debianFS, "update-ca-certificates"),
			script:  "mkdir -p /usr/local/share/ca-certificates && printf 'MYCA\\n' > /usr/local/share/ca-certificates/my.crt && update-ca-certificates && grep -c MYCA /etc/ssl/certs/ca-certificates.crt",
			wantOut: []string{"Updating certificates in /etc/ssl/certs...\n1 added, 0 removed; done.\n", "1\n"}},
		{name: "locale-gen", fs: withBins(debianFS, "locale-gen"), script: "echo 'en_US.UTF-8 UTF-8' > /etc/locale.gen && locale-gen",
			wantOut: []string{"Generating locales (this might take a while)...\n  en_US.UTF-8... done\nGeneration complete.\n"},
			check:   func(t *testing.T, f *rootfs.FS) { hasFile(t, f, "/usr/lib/locale/locale-archive") }},
		{name: "update-alternatives", fs: withBins(debianFS, "update-alternatives"), script: "update-alternatives --install /usr/bin/python python /usr/bin/cat 1 && readlink /usr/bin/python /etc/alternatives/python",
			wantOut: []string{"/etc/alternatives/python\n/usr/bin/cat\n"}},
		{name: "setcap records", fs: withBins(debianFS, "setcap", "getcap"), script: "setcap cap_net_bind_service=+ep /usr/bin/cat && getcap /usr/bin/cat",
			wantOut: []string{"/usr/bin/cat cap_net_bind_service=+ep\n"}},
		{name: "useradd -G and usermod -aG", fs: withBins(debianFS, "usermod"),
			script:  "groupadd -r -g 999 docker && groupadd staff2 && useradd -m -G docker app && usermod -aG staff2 app && grep -E '^(docker|staff2):' /etc/group",
			wantOut: []string{"docker:x:999:app\n", "staff2:x:1000:app\n"}},
		{name: "busybox addgroup USER GROUP", fs: busyboxFS,
			script:  "addgroup -S -g 1001 nodejs && adduser -S -D -u 1001 -G nodejs nextjs && addgroup nextjs nobody && grep -E '^(nodejs|nobody):' /etc/group && id nextjs",
			wantOut: []string{"nobody:x:65534:nextjs\n", "uid=1001(nextjs) gid=1001(nodejs)"}},
		{name: "passwd -d and chsh", fs: withBins(debianFS, "passwd", "chsh"),
			script:  "useradd -m app && printf 'app:!:19700:0:99999:7:::\\n' > /etc/shadow && passwd -d app && chsh -s /bin/bash app && grep ^app: /etc/shadow /etc/passwd",
			wantOut: []string{"/etc/shadow:app::19700", "/etc/passwd:app:x:1000:1000::/home/app:/bin/bash"}},
		{name: "tini runs its child", fs: withBins(debianFS, "tini"), script: "tini -- echo hi",
			wantOut: []string{"hi\n"}},
	}
	runToolCases(t, tests)
}

// apkWorldFS is the busybox image with Alpine's apk world file, for apk's cases.
func apkWorldFS(t testing.TB) *rootfs.FS {
	f := busyboxFS(t)
	put(t, f, "/etc/apk/world", "alpine-baselayout\nbusybox\n", 0o644)
	return f
}
