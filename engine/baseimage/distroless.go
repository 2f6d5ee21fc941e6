package baseimage

import (
	"fmt"
	"strings"
)

// gcr.io/distroless: images built with Bazel from Debian packages, with no shell, no
// package manager and no history rows but their layers. :nonroot runs as 65532, :debug
// adds busybox at /busybox (its sh is the only shell).

// distrolessKind is one distroless image and the Debian releases it is built on.
type distrolessKind struct {
	name    string
	debians []string // "11", "12", "13"; the first is what the name without -debianN means, "" when there is none
	bare    string
	size    int64 // bytes its own layer adds over static (0 for static)
	fill    string
	entry   []string
	parent  string // "base" for cc, "cc" for language images
}

var distrolessKinds = []distrolessKind{
	{name: "static", debians: []string{"11", "12", "13"}, bare: "12"},
	{name: "base", debians: []string{"11", "12", "13"}, bare: "12", size: 18_000_000, fill: "/usr/lib/x86_64-linux-gnu/libc.so.6 2100\n/lib64/ld-linux-x86-64.so.2 240\n/usr/lib/x86_64-linux-gnu/libssl.so.3 700\n/usr/lib/x86_64-linux-gnu/libcrypto.so.3 4600\n/usr/lib/x86_64-linux-gnu/libm.so.6 900\n"},
	{name: "base-nossl", debians: []string{"11", "12", "13"}, bare: "12", size: 12_000_000, fill: "/usr/lib/x86_64-linux-gnu/libc.so.6 2100\n/lib64/ld-linux-x86-64.so.2 240\n/usr/lib/x86_64-linux-gnu/libm.so.6 900\n"},
	{name: "cc", debians: []string{"11", "12", "13"}, bare: "12", parent: "base", size: 3_500_000, fill: "/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.30 2300\n/usr/lib/x86_64-linux-gnu/libgcc_s.so.1 150\n/usr/lib/x86_64-linux-gnu/libgomp.so.1.0.0 300\n"},
	{name: "python3", debians: []string{"11", "12", "13"}, parent: "cc", size: 30_000_000, fill: "/usr/bin/python3.11 6600 x\n/usr/lib/python3.11/os.py 40\n/usr/lib/python3.11/lib-dynload/_ssl.cpython-311-x86_64-linux-gnu.so 200\n/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0 7100\n/usr/lib/python3.11/encodings/__init__.py 6\n", entry: []string{"/usr/bin/python3.11"}},
	{name: "java17", debians: []string{"11", "12"}, parent: "cc", size: 215_000_000, fill: "/usr/lib/jvm/temurin-17-jre-amd64/lib/modules 130000\n/usr/lib/jvm/temurin-17-jre-amd64/lib/server/libjvm.so 22000\n/usr/lib/jvm/temurin-17-jre-amd64/bin/java 12 x\n", entry: []string{"/usr/bin/java", "-jar"}},
	{name: "java21", debians: []string{"12", "13"}, parent: "cc", size: 225_000_000, fill: "/usr/lib/jvm/temurin-21-jre-amd64/lib/modules 135000\n/usr/lib/jvm/temurin-21-jre-amd64/lib/server/libjvm.so 23000\n/usr/lib/jvm/temurin-21-jre-amd64/bin/java 12 x\n", entry: []string{"/usr/bin/java", "-jar"}},
	{name: "nodejs18", debians: []string{"11", "12"}, parent: "cc", size: 95_000_000, fill: "/nodejs/bin/node 90000 x\n/nodejs/lib/node_modules/npm/package.json 3\n", entry: []string{"/nodejs/bin/node"}},
	{name: "nodejs20", debians: []string{"11", "12"}, parent: "cc", size: 100_000_000, fill: "/nodejs/bin/node 95000 x\n", entry: []string{"/nodejs/bin/node"}},
	{name: "nodejs22", debians: []string{"12"}, parent: "cc", size: 110_000_000, fill: "/nodejs/bin/node 105000 x\n", entry: []string{"/nodejs/bin/node"}},
	{name: "nodejs24", debians: []string{"12", "13"}, parent: "cc", size: 115_000_000, fill: "/nodejs/bin/node 110000 x\n", entry: []string{"/nodejs/bin/node"}},
}

var distrolessCodename = map[string]string{"11": "bullseye", "12": "bookworm", "13": "trixie"}

func distrolessFamilies() []*family {
	var out []*family
	for _, k := range distrolessKinds {
		for _, deb := range k.debians {
			repo := "gcr.io/distroless/" + k.name + "-debian" + deb
			out = append(out, distrolessFamily(repo, k, deb))
			if deb == k.bare {
				out = append(out, distrolessFamily("gcr.io/distroless/"+k.name, k, deb))
			}
		}
	}
	return out
}

func distrolessFamily(repo string, k distrolessKind, deb string) *family {
	return &family{repo: repo, desc: fmt.Sprintf("Distroless %s on Debian %s: only the application's runtime dependencies, no shell or package manager (Google).", k.name, deb),
		forms: []string{"@scratch", "nonroot=nonroot@scratch", "debug=debug@scratch", "debug-nonroot=debug-nonroot@scratch"},
		build: func(s spec) (*Image, error) { return buildDistroless(k, deb, s.flavor, repo+":"+s.canonicalTag()) }}
}

// buildDistroless builds the layers of a distroless image: static's files, then each
// kind's own layer (base, cc, the language), then busybox for :debug.
func buildDistroless(k distrolessKind, deb, flavor, name string) (*Image, error) {
	codename := distrolessCodename[deb]
	b := newBuilder(name, date("2026-11-20T00:00:00Z"))
	b.seed = "distroless-debian" + deb
	nonroot := strings.Contains(flavor, "nonroot")
	b.dir(modeDir, "/bin", "/boot", "/dev", "/etc/ssl/certs", "/home", "/lib", "/proc", "/run", "/sbin", "/sys", "/usr/bin", "/usr/sbin",
		"/usr/share/zoneinfo", "/var/lib/dpkg/status.d", "/usr/lib/os-release.d")
	b.dir(0o700, "/root")
	b.dir(modeTmp, "/tmp")
	b.dir(0o700, "/home/nonroot")
	b.chown("/home/nonroot", 65532, 65532)
	b.file("/etc/os-release", modeFile, fmt.Sprintf("PRETTY_NAME=\"Distroless\"\nNAME=\"Debian GNU/Linux\"\nID=\"debian\"\nVERSION_ID=\"%s\"\nVERSION=\"Debian GNU/Linux %s (%s)\"\nHOME_URL=\"https://github.com/GoogleContainerTools/distroless\"\n", deb, deb, codename))
	b.file("/etc/passwd", modeFile, "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n")
	b.file("/etc/group", modeFile, "root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n")
	b.file("/etc/nsswitch.conf", modeFile, "passwd:         files\ngroup:          files\nshadow:         files\n\nhosts:          files dns\n")
	b.file("/var/lib/dpkg/status.d/base-files", modeFile, "Package: base-files\nVersion: "+deb+"\nArchitecture: amd64\n")
	b.fill(1_900_000, "/etc/ssl/certs/ca-certificates.crt 214\n/usr/share/zoneinfo/tzdata.zi 105\n/usr/share/zoneinfo/UTC 1\n/usr/share/zoneinfo/America/New_York 4\n/etc/services 12\n/usr/share/doc/base-files/copyright 2\n")
	b.commit("bazel build //base:static_root_amd64_debian" + deb)
	chain := []distrolessKind{}
	for cur := k; cur.name != "static"; {
		chain = append([]distrolessKind{cur}, chain...)
		if cur.parent == "" {
			break
		}
		for _, p := range distrolessKinds {
			if p.name == cur.parent {
				cur = p
			}
		}
	}
	for _, c := range chain {
		b.seed = "distroless-" + c.name + "-debian" + deb
		b.fill(c.size, c.fill)
		b.commit("bazel build //" + c.name + ":" + c.name + "_root_amd64_debian" + deb)
	}
	cfg := &b.img.Config
	cfg.Env = []string{"PATH=" + defaultPath, "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}
	cfg.Entrypoint = k.entry
	if strings.HasPrefix(flavor, "debug") {
		b.seed = "distroless-busybox"
		for _, a := range []string{"sh", "ls", "cat", "env", "echo", "mkdir", "rm", "cp", "mv", "wget", "vi", "ps"} {
			b.link("/busybox/"+a, "busybox")
		}
		b.fill(1_100_000, "/busybox/busybox 1 x")
		b.commit("bazel build //base:debug_root_amd64_debian" + deb)
		cfg.Env[0] = "PATH=" + defaultPath + ":/busybox"
		if len(k.entry) == 0 {
			cfg.Entrypoint = []string{"/busybox/sh"}
		}
	}
	if nonroot {
		cfg.User = "65532"
		cfg.WorkingDir = "/home/nonroot"
	} else {
		cfg.User = "0"
	}
	return b.done()
}
