package baseimage

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"sync"
	"testing"

	"layerlab/engine/rootfs"
)

// served returns every distinct image once, by canonical name.
func served(t *testing.T) map[string]*Image {
	t.Helper()
	out := map[string]*Image{}
	for _, n := range Names() {
		img, err := Lookup(n)
		if err != nil {
			t.Fatalf("Lookup(%q): %v", n, err)
		}
		out[img.Name] = img
	}
	return out
}

func TestLookupEveryName(t *testing.T) {
	names := Names()
	if len(names) < 50 {
		t.Fatalf("Names() lists %d names, want the whole catalogue", len(names))
	}
	for i := 1; i < len(names); i++ {
		if names[i-1] >= names[i] {
			t.Fatalf("Names() not sorted and unique at %q, %q", names[i-1], names[i])
		}
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			img, err := Lookup(n)
			if err != nil {
				t.Fatal(err)
			}
			canon, err := Lookup(img.Name)
			if err != nil {
				t.Fatalf("canonical name %q does not look up: %v", img.Name, err)
			}
			if canon != img {
				t.Errorf("Lookup(%q) and Lookup(%q) give different images", n, img.Name)
			}
			again, _ := Lookup(n)
			if again != img {
				t.Error("a second Lookup built the image again")
			}
		})
	}
}

func TestLookupForms(t *testing.T) {
	tests := []struct {
		name, ref, same string
	}{
		{"familiar with tag", "python:3.11", "python:3.11.11"},
		{"normalised", "docker.io/library/python:3.11", "python:3.11"},
		{"library path, no tag", "library/python", "python:latest"},
		{"no tag means latest", "busybox", "busybox:latest"},
		{"latest is 3.13", "python:latest", "python:3.13"},
		{"slim alias", "python:3.12-slim-bookworm", "python:3.12-slim"},
		{"debian latest", "debian", "debian:bookworm"},
		{"ubuntu noble", "ubuntu:noble", "ubuntu:24.04"},
		{"node lts", "node:lts", "node:22"},
		{"golang alpine", "golang:alpine", "golang:1.23-alpine"},
		{"nginx stable", "nginx:stable", "nginx:1.26"},
		{"alpine latest", "index.docker.io/library/alpine", "alpine:3.21"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Lookup(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Lookup(tt.same)
			if err != nil {
				t.Fatal(err)
			}
			if a != b {
				t.Errorf("Lookup(%q) = %s, want the image of %q (%s)", tt.ref, a.Name, tt.same, b.Name)
			}
		})
	}
}

func TestLookupUnknown(t *testing.T) {
	tests := []struct {
		name, ref string
		want      []string
	}{
		{"unknown repository", "foo:1", []string{`image "foo:1" is not a built-in base image of the layerlab playground (it has no network)`, "available: alpine, buildpack-deps, busybox, debian, golang, nginx, node, python, ubuntu"}},
		{"unknown tag", "python:2.7", []string{`image "python:2.7"`, "python tags: 3.10, 3.10-alpine, 3.10-slim, 3.11", "3.9-slim (and aliases such as python:latest)"}},
		{"scratch is the builder's", "scratch", []string{`"scratch:latest"`}},
		{"other registry", "ghcr.io/library/python:3.11", []string{`"ghcr.io/library/python:3.11"`, "available:"}},
		{"other namespace", "me/python:3.11", []string{`"me/python:3.11"`}},
		{"digest", "python@sha256:" + strings.Repeat("a", 64), []string{"not digest"}},
		{"invalid reference", "Python::3", []string{"invalid reference format"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Lookup(tt.ref)
			if err == nil {
				t.Fatalf("Lookup(%q) = %s, want an error", tt.ref, img.Name)
			}
			if !errors.Is(err, ErrUnknown) {
				t.Errorf("error %v does not wrap ErrUnknown", err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// sizeTarget is the real image's size (docker images SIZE) that a stand-in must be
// within 15% of.
func sizeTarget(name string) float64 {
	repo, tag, _ := strings.Cut(name, ":")
	switch repo {
	case "busybox":
		return 1.98e6
	case "alpine":
		return 7.8e6
	case "ubuntu":
		return 78e6
	case "debian":
		return map[string]float64{"bookworm": 117e6, "bookworm-slim": 74.8e6, "bullseye": 124e6, "bullseye-slim": 80.6e6}[tag]
	case "buildpack-deps":
		return map[string]float64{"bookworm-curl": 144e6, "bookworm-scm": 241e6, "bookworm": 930e6}[tag]
	}
	variant := ""
	if strings.HasSuffix(tag, "-slim") {
		variant = "slim"
	} else if strings.HasSuffix(tag, "-alpine") {
		variant = "alpine"
	}
	return map[string]map[string]float64{
		"python": {"": 1.0e9, "slim": 140e6, "alpine": 55e6},
		"node":   {"": 1.1e9, "slim": 200e6, "alpine": 135e6},
		"golang": {"": 820e6, "alpine": 230e6},
		"nginx":  {"": 190e6, "alpine": 48e6},
	}[repo][variant]
}

// packageManager is where the image's package manager is, "" for none.
func packageManager(name string) string {
	switch {
	case strings.HasPrefix(name, "busybox:"):
		return ""
	case strings.HasPrefix(name, "alpine:"), strings.HasSuffix(name, "-alpine"):
		return "/sbin/apk"
	}
	return "/usr/bin/apt-get"
}

func TestImageInvariants(t *testing.T) {
	for name, img := range served(t) {
		t.Run(name, func(t *testing.T) {
			nonEmpty := 0
			for i, h := range img.History {
				if !h.EmptyLayer {
					nonEmpty++
				}
				if h.CreatedBy == "" {
					t.Errorf("history row %d has no created_by", i)
				}
				if i > 0 && h.Created.Before(img.History[i-1].Created) {
					t.Errorf("history row %d is older than row %d", i, i-1)
				}
			}
			if nonEmpty != len(img.Layers) || nonEmpty == 0 {
				t.Fatalf("%d layers, %d non-empty history rows", len(img.Layers), nonEmpty)
			}
			if !img.Created.Equal(img.History[len(img.History)-1].Created) {
				t.Errorf("Created %v is not the last history row's time", img.Created)
			}
			if img.Architecture != "amd64" || img.OS != "linux" {
				t.Errorf("platform %s/%s", img.OS, img.Architecture)
			}
			for i := 1; i < len(img.Layers); i++ {
				checkCumulative(t, i, img.Layers[i-1], img.Layers[i])
			}
			last := img.Layers[len(img.Layers)-1]

			if p, ok := img.Config.GetEnv("PATH"); !ok || !strings.Contains(p, "/usr/bin") {
				t.Errorf("PATH = %q", p)
			}
			if len(img.Config.Cmd) == 0 {
				t.Error("no Cmd")
			}
			sh, _, err := last.Stat("/bin/sh")
			if err != nil || sh.Kind != rootfs.KindFile || sh.Mode != 0o755 {
				t.Errorf("/bin/sh: %v %+v", err, sh)
			}
			pm := packageManager(name)
			for _, p := range []string{"/usr/bin/apt-get", "/sbin/apk"} {
				e, _, err := last.Stat(p)
				switch {
				case p == pm && (err != nil || e.Mode != 0o755):
					t.Errorf("package manager %s missing: %v", p, err)
				case p != pm && err == nil:
					t.Errorf("%s present, want only %q", p, pm)
				}
			}
			if e, _, err := last.Stat("/tmp"); err != nil || e.Mode != fs.ModeSticky|0o777 {
				t.Errorf("/tmp: %v %+v", err, e)
			}
			if e, _, err := last.Stat("/root"); err != nil || e.Mode != 0o700 {
				t.Errorf("/root: %v %+v", err, e)
			}
			_ = last.Walk(func(k string, e *rootfs.Entry) error {
				if e.UID != 0 && !strings.HasPrefix(k, "home/node") {
					t.Errorf("/%s owned by %d", k, e.UID)
				}
				return nil
			})

			want := sizeTarget(name)
			got := float64(last.Usage())
			if want == 0 {
				t.Fatalf("no size target for %s", name)
			}
			if got < want*0.85 || got > want*1.15 {
				t.Errorf("content size %.1f MB, want %.1f MB ± 15%%", got/1e6, want/1e6)
			}
			t.Logf("%s: %d layers, %d entries, %.1f MB", name, len(img.Layers), last.Len(), got/1e6)
		})
	}
}

// checkCumulative checks that upper is lower plus a non-empty layer: everything lower
// has is still there unless the layer deletes it.
func checkCumulative(t *testing.T, i int, lower, upper *rootfs.FS) {
	t.Helper()
	changes := rootfs.Diff(lower, upper)
	if len(changes) == 0 {
		t.Errorf("layer %d changes nothing", i)
	}
	deleted := map[string]bool{}
	for _, c := range changes {
		if c.Deleted || c.Opaque {
			deleted[c.Key] = true
		}
	}
	_ = lower.Walk(func(k string, _ *rootfs.Entry) error {
		if _, ok := upper.Lookup(k); ok {
			return nil
		}
		for p := k; p != "."; p = path.Dir(p) {
			if deleted[p] {
				return nil
			}
		}
		t.Errorf("layer %d loses /%s without deleting it", i, k)
		return nil
	})
}

func TestDeterministic(t *testing.T) {
	r := alpineReleases[len(alpineReleases)-1]
	tests := []struct {
		name  string
		build func() (*Image, error)
	}{
		{"busybox", buildBusybox},
		{"alpine", func() (*Image, error) { return buildAlpine(r) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sums [2]string
			for i := range sums {
				img, err := tt.build()
				if err != nil {
					t.Fatal(err)
				}
				var buf bytes.Buffer
				if err := rootfs.WriteTar(&buf, rootfs.Diff(rootfs.New(), img.Layers[0])); err != nil {
					t.Fatal(err)
				}
				s := sha256.Sum256(buf.Bytes())
				sums[i] = hex.EncodeToString(s[:])
			}
			if sums[0] != sums[1] {
				t.Errorf("two builds give layers %s and %s", sums[0], sums[1])
			}
		})
	}
}

// fingerprint hashes every entry of every layer without reading generated content
// (its seed and size fix its bytes), so large images can be compared cheaply.
func fingerprint(t *testing.T, img *Image) string {
	t.Helper()
	h := sha256.New()
	for _, l := range img.Layers {
		_ = l.Walk(func(k string, e *rootfs.Entry) error {
			fmt.Fprintf(h, "%s %v %o %d %d %d %s ", k, e.Kind, e.Mode, e.UID, e.GID, e.ModTime.Unix(), e.Linkname)
			switch d := e.Data.(type) {
			case rootfs.Generated:
				fmt.Fprintf(h, "gen %d %d\n", d.Seed, d.N)
			case nil:
				fmt.Fprintf(h, "none\n")
			default:
				b, err := d.Bytes()
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(h, "%q\n", b)
			}
			return nil
		})
		fmt.Fprintf(h, "--\n")
	}
	for _, r := range img.History {
		fmt.Fprintf(h, "%v %q %t\n", r.Created.Unix(), r.CreatedBy, r.EmptyLayer)
	}
	fmt.Fprintf(h, "%q", img.Config.CacheKey())
	return hex.EncodeToString(h.Sum(nil))
}

func TestDeterministicLarge(t *testing.T) {
	py := pythonReleases[0]
	tests := []struct {
		name  string
		build func() (*Image, error)
	}{
		{"debian:bookworm", func() (*Image, error) { return buildDeb(debReleases[0], false) }},
		{"ubuntu:24.04", func() (*Image, error) { return buildDeb(debReleases[2], false) }},
		{"python:3.9-slim", func() (*Image, error) { return buildPython(py, "slim") }},
		{"node:22-alpine", func() (*Image, error) { return buildNode(nodeReleases[2], "alpine") }},
		{"nginx:1.27", func() (*Image, error) { return buildNginx(nginxReleases[0], false) }},
		{"golang:1.23", func() (*Image, error) { return buildGolang(goReleases[1], false) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := tt.build()
			if err != nil {
				t.Fatal(err)
			}
			b, err := tt.build()
			if err != nil {
				t.Fatal(err)
			}
			if fa, fb := fingerprint(t, a), fingerprint(t, b); fa != fb {
				t.Errorf("two builds differ: %s, %s", fa, fb)
			}
		})
	}
}

func TestSharedBaseLayers(t *testing.T) {
	tests := []struct {
		name, image, base string
	}{
		{"python on buildpack-deps", "python:3.12", "buildpack-deps:bookworm"},
		{"python slim on debian slim", "python:3.11-slim", "debian:bookworm-slim"},
		{"python alpine on alpine", "python:3.9-alpine", "alpine:3.21"},
		{"node on buildpack-deps", "node:20", "buildpack-deps:bookworm"},
		{"golang on scm", "golang:1.23", "buildpack-deps:bookworm-scm"},
		{"nginx on debian slim", "nginx:latest", "debian:bookworm-slim"},
		{"buildpack-deps on debian", "buildpack-deps:bookworm", "debian:bookworm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Lookup(tt.image)
			if err != nil {
				t.Fatal(err)
			}
			base, err := Lookup(tt.base)
			if err != nil {
				t.Fatal(err)
			}
			if len(img.Layers) <= len(base.Layers) {
				t.Fatalf("%d layers on a base of %d", len(img.Layers), len(base.Layers))
			}
			for i, l := range base.Layers {
				if img.Layers[i] != l {
					t.Errorf("layer %d is not the base's", i)
				}
			}
			for i, h := range base.History {
				if img.History[i] != h {
					t.Errorf("history row %d is not the base's", i)
				}
			}
		})
	}
}

func TestContent(t *testing.T) {
	tests := []struct {
		name, image, path, want string
	}{
		{"busybox root user", "busybox", "/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"},
		{"alpine release", "alpine:3.20", "/etc/alpine-release", "3.20.5\n"},
		{"alpine repositories", "alpine", "/etc/apk/repositories", "https://dl-cdn.alpinelinux.org/alpine/v3.21/main\n"},
		{"apk database", "alpine", "/lib/apk/db/installed", "P:apk-tools\n"},
		{"debian os-release", "debian:bookworm", "/etc/os-release", `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"`},
		{"debian version", "debian:bullseye-slim", "/etc/debian_version", "11.11\n"},
		{"dpkg status", "debian:bookworm-slim", "/var/lib/dpkg/status", "Package: coreutils\nEssential: yes\nStatus: install ok installed\n"},
		{"apt sources", "debian:bookworm", "/etc/apt/sources.list.d/debian.sources", "Suites: bookworm bookworm-updates\n"},
		{"ubuntu os-release", "ubuntu", "/etc/os-release", `VERSION="24.04.2 LTS (Noble Numbat)"`},
		{"python pip", "python:3.11", "/usr/local/bin/pip", "from pip._internal.cli.main import main"},
		{"python3 link", "python:3.12-slim", "/usr/local/bin/python", ""},
		{"node entrypoint", "node:20-alpine", "/usr/local/bin/docker-entrypoint.sh", "#!/bin/sh\nset -e\n"},
		{"node user", "node:22", "/etc/passwd", "node:x:1000:1000::/home/node:/bin/bash\n"},
		{"go version", "golang:1.22", "/usr/local/go/VERSION", "go1.22.12\n"},
		{"nginx welcome", "nginx", "/usr/share/nginx/html/index.html", "<h1>Welcome to nginx!</h1>"},
		{"nginx conf", "nginx:alpine", "/etc/nginx/conf.d/default.conf", "listen       80;"},
		{"nginx entrypoint", "nginx", "/docker-entrypoint.sh", "#!/bin/sh\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img, err := Lookup(tt.image)
			if err != nil {
				t.Fatal(err)
			}
			last := img.Layers[len(img.Layers)-1]
			e, _, err := last.Stat(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if e.Size() > 1<<20 {
				t.Fatalf("%s is %d bytes", tt.path, e.Size())
			}
			b, err := last.ReadFile(tt.path)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(b), tt.want) {
				t.Errorf("%s does not contain %q:\n%s", tt.path, tt.want, b)
			}
		})
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		image      string
		env        []string
		cmd        string
		entrypoint string
		workdir    string
	}{
		{"busybox", []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, "sh", "", ""},
		{"alpine", nil, "/bin/sh", "", ""},
		{"debian", nil, "bash", "", ""},
		{"ubuntu", nil, "/bin/bash", "", ""},
		{"python:3.11", []string{"PATH=/usr/local/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8", "PYTHON_VERSION=3.11.11", "PYTHON_PIP_VERSION=24.0"}, "python3", "", ""},
		{"python:3.13-alpine", []string{"PYTHON_VERSION=3.13.2", "GPG_KEY=7169605F62C751356D054A26A821E680E5FA6305"}, "python3", "", ""},
		{"node:18-slim", []string{"NODE_VERSION=18.20.6", "YARN_VERSION=1.22.22"}, "node", "docker-entrypoint.sh", ""},
		{"golang", []string{"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GOPATH=/go", "GOLANG_VERSION=1.23.6"}, "bash", "", "/go"},
		{"nginx", []string{"NGINX_VERSION=1.27.4"}, "nginx -g daemon off;", "/docker-entrypoint.sh", ""},
	}
	for _, tt := range tests {
		t.Run(tt.image, func(t *testing.T) {
			img, err := Lookup(tt.image)
			if err != nil {
				t.Fatal(err)
			}
			c := img.Config
			for _, kv := range tt.env {
				k, v, _ := strings.Cut(kv, "=")
				if got, _ := c.GetEnv(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
			if got := strings.Join(c.Cmd, " "); got != tt.cmd {
				t.Errorf("Cmd = %q, want %q", got, tt.cmd)
			}
			if got := strings.Join(c.Entrypoint, " "); got != tt.entrypoint {
				t.Errorf("Entrypoint = %q, want %q", got, tt.entrypoint)
			}
			if c.WorkingDir != tt.workdir {
				t.Errorf("WorkingDir = %q, want %q", c.WorkingDir, tt.workdir)
			}
		})
	}
	img, _ := Lookup("nginx")
	if _, ok := img.Config.ExposedPorts["80/tcp"]; !ok || img.Config.StopSignal != "SIGQUIT" {
		t.Errorf("nginx: ports %v, stop signal %q", img.Config.ExposedPorts, img.Config.StopSignal)
	}
}

func TestBusyboxHistory(t *testing.T) {
	img, err := Lookup("busybox")
	if err != nil {
		t.Fatal(err)
	}
	if len(img.History) != 2 {
		t.Fatalf("%d history rows, want 2", len(img.History))
	}
	if h := img.History[0]; !strings.HasPrefix(h.CreatedBy, "/bin/sh -c #(nop) ADD file:") || !strings.HasSuffix(h.CreatedBy, " in / ") || h.EmptyLayer {
		t.Errorf("row 0 = %+v", h)
	}
	if h := img.History[1]; h.CreatedBy != `/bin/sh -c #(nop)  CMD ["sh"]` || !h.EmptyLayer {
		t.Errorf("row 1 = %+v", h)
	}
	if got := img.Layers[0].Usage(); got != busyboxSize {
		t.Errorf("busybox layer is %d bytes, want %d", got, busyboxSize)
	}
	for _, a := range busyboxApplets {
		e, ok := img.Layers[0].Lookup("/bin/" + a)
		if !ok || e.Kind != rootfs.KindSymlink || e.Linkname != "busybox" {
			t.Errorf("/bin/%s = %+v, want a symlink to busybox", a, e)
		}
	}
}

func TestConcurrentLookup(t *testing.T) {
	var wg sync.WaitGroup
	got := make([]*Image, 8)
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			img, err := Lookup("python:3.10-alpine")
			if err != nil {
				t.Error(err)
				return
			}
			if _, err := img.Layers[len(img.Layers)-1].ReadDir("/usr/local/bin"); err != nil {
				t.Error(err)
			}
			got[i] = img
		}()
	}
	wg.Wait()
	for _, img := range got[1:] {
		if img != got[0] {
			t.Fatal("concurrent lookups built different images")
		}
	}
}

func TestBusyboxApplets(t *testing.T) {
	if len(busyboxApplets) < 269 {
		t.Errorf("%d busybox applets, want every applet of busybox --list (269)", len(busyboxApplets))
	}
	for i := 1; i < len(busyboxApplets); i++ {
		if busyboxApplets[i-1] >= busyboxApplets[i] {
			t.Errorf("busyboxApplets not sorted and unique at %q, %q", busyboxApplets[i-1], busyboxApplets[i])
		}
	}
	img, err := Lookup("busybox")
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []string{"awk", "tar", "sha256sum", "timeout", "[", "xxd", "adduser"} {
		if e, ok := img.Layers[0].Lookup("bin/" + a); !ok || e.Kind != rootfs.KindSymlink {
			t.Errorf("busybox lacks /bin/%s", a)
		}
	}
	if _, ok := img.Layers[0].Lookup("bin/busybox"); !ok {
		t.Fatal("no /bin/busybox")
	}
	if e, _ := img.Layers[0].Lookup("bin/busybox"); e.Kind != rootfs.KindFile {
		t.Errorf("/bin/busybox is %v, want the binary", e.Kind)
	}
	al, err := Lookup("alpine")
	if err != nil {
		t.Fatal(err)
	}
	last := al.Layers[len(al.Layers)-1]
	for _, p := range []string{"/usr/bin/awk", "/bin/tar", "/usr/bin/sha256sum", "/usr/bin/timeout", "/usr/bin/install",
		"/bin/ps", "/usr/sbin/adduser", "/sbin/ifconfig", "/bin/sh"} {
		e, ok := last.Lookup(p)
		if !ok || e.Kind != rootfs.KindSymlink || e.Linkname != "/bin/busybox" {
			t.Errorf("alpine %s = %+v, want a symlink to /bin/busybox", p, e)
		}
	}
	seen := map[string]string{}
	for dir, names := range alpineApplets {
		for _, n := range names {
			if d, dup := seen[n]; dup {
				t.Errorf("alpine applet %s linked in %s and %s", n, d, dir)
			}
			seen[n] = dir
		}
	}
}
