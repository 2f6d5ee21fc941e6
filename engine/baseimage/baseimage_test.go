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
		{"latest is 3.15", "python:latest", "python:3.15"},
		{"major names the newest line", "python:3", "python:3.15"},
		{"slim alias", "python:3.12-slim-bookworm", "python:3.12-slim"},
		{"debian latest", "debian", "debian:trixie"},
		{"debian by number", "debian:12-slim", "debian:bookworm-slim"},
		{"ubuntu noble", "ubuntu:noble", "ubuntu:24.04"},
		{"node lts", "node:lts", "node:24"},
		{"node codename", "node:jod-alpine", "node:22-alpine"},
		{"golang alpine", "golang:alpine", "golang:1.26-alpine"},
		{"golang major", "golang:1-alpine", "golang:1.26-alpine"},
		{"nginx stable", "nginx:stable", "nginx:1.28"},
		{"alpine latest", "index.docker.io/library/alpine", "alpine:3.24"},
		{"registry.docker.com is the hub", "registry.docker.com/library/ruby:3.3-slim", "ruby:3.3-slim-trixie"},
		{"docker.io without library", "docker.io/golang:1.20-alpine", "golang:1.20-alpine"},
		{"digest pinned resolves by tag", "alpine:3.20@sha256:" + strings.Repeat("a", 64), "alpine:3.20"},
		{"php cli is the bare tag", "php:8.2-cli", "php:8.2"},
		{"temurin jdk is the bare tag", "eclipse-temurin:21-jdk", "eclipse-temurin:21"},
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
		class     error
		want      []string
	}{
		{"unknown repository", "foo:1", ErrPullDenied, []string{"pull access denied for foo, repository does not exist or may require 'docker login': denied: requested access to the resource is denied",
			"layerlab: foo is not one of the playground's built-in images", "docker save", "layerlab load"}},
		{"unknown tag", "python:2.7", ErrManifestUnknown, []string{"manifest for python:2.7 not found: manifest unknown: manifest unknown", "layerlab: python has no tag \"2.7\"; tags that exist include "}},
		{"version that never existed", "python:3.99", ErrManifestUnknown, []string{"manifest for python:3.99 not found: manifest unknown: manifest unknown"}},
		{"patch newer than upstream", "python:3.11.99", ErrManifestUnknown, []string{"manifest for python:3.11.99 not found"}},
		{"distro of another era", "node:7-alpine3.19", ErrManifestUnknown, []string{"manifest for node:7-alpine3.19 not found"}},
		{"line and distro never together", "node:14-alpine3.19", ErrManifestUnknown, []string{"manifest for node:14-alpine3.19 not found"}},
		{"slim has no alpine", "python:3.12-slim-alpine", ErrManifestUnknown, nil},
		{"latest takes no suffix", "python:latest-slim", ErrManifestUnknown, nil},
		{"apache is not on alpine", "php:8.2-apache-alpine", ErrManifestUnknown, nil},
		{"scratch is the builder's", "scratch", ErrPullDenied, []string{"pull access denied for scratch"}},
		{"other registry", "ghcr.io/library/python:3.11", ErrPullDenied, []string{"pull access denied for ghcr.io/library/python"}},
		{"other namespace", "me/python:3.11", ErrPullDenied, []string{"pull access denied for me/python"}},
		{"digest alone", "python@sha256:" + strings.Repeat("a", 64), ErrManifestUnknown, []string{"manifest for python@sha256:aaaa", "name the image by its tag"}},
		{"elasticsearch has no latest", "elasticsearch:latest", ErrManifestUnknown, nil},
		{"invalid reference", "Python::3", nil, []string{"invalid reference format"}},
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
			if tt.class != nil && !errors.Is(err, tt.class) {
				t.Errorf("error %v does not wrap %v", err, tt.class)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// sizeTargets are real images' sizes (docker images SIZE, approximately) that a
// stand-in must be within 20% of.
var sizeTargets = map[string]float64{
	"busybox": 1.98e6, "alpine:3.21": 7.8e6, "ubuntu:24.04": 78e6, "ubuntu:18.04": 63e6, "debian:bookworm": 117e6,
	"debian:bookworm-slim": 74.8e6, "debian:bullseye-slim": 80.6e6, "buildpack-deps:bookworm": 930e6,
	"python:3.11": 1.0e9, "python:3.11-slim": 140e6, "python:3.11-alpine": 55e6, "node:22": 1.1e9, "node:22-slim": 200e6,
	"node:22-alpine": 150e6, "golang:1.23": 820e6, "golang:1.23-alpine": 240e6, "nginx:1.27": 190e6, "nginx:1.27-alpine": 48e6,
	"postgres:16": 430e6, "postgres:16-alpine": 240e6, "redis:7.4": 117e6, "redis:7.4-alpine": 41e6, "mysql:8.4": 600e6,
	"mariadb:11.8": 330e6, "mongo:8.0": 800e6, "httpd:2.4": 148e6, "httpd:2.4-alpine": 60e6, "ruby:3.4": 1.0e9, "ruby:3.4-slim": 150e6,
	"ruby:3.4-alpine": 60e6, "php:8.4": 480e6, "php:8.4-fpm-alpine": 85e6, "php:8.4-apache": 500e6,
	"rust:1.91": 1.5e9, "rust:1.91-slim": 800e6, "rust:1.91-alpine": 850e6, "eclipse-temurin:21": 450e6, "eclipse-temurin:21-jre": 270e6,
	"maven:3.9": 500e6, "gradle:8.14": 700e6, "gcc:15": 1.4e9, "traefik:3.6": 220e6, "caddy:2.10": 50e6, "rabbitmq:4.2": 250e6,
	"memcached:1.6": 85e6, "memcached:1.6-alpine": 10e6, "haproxy:3.2": 115e6, "elasticsearch:8.19.7": 1.3e9, "wordpress:6.9": 700e6,
	"bash:5.3": 14e6, "docker:29.1": 380e6, "docker:29.1-cli": 190e6, "composer:2.8": 150e6, "continuumio/miniconda3:25.9.1": 560e6, "fedora:43": 165e6,
	"amazonlinux:2023": 145e6, "rockylinux:9.3": 176e6, "centos:7": 204e6, "ghcr.io/astral-sh/uv:0.9": 42e6,
	"mcr.microsoft.com/dotnet/runtime-deps:8.0": 120e6, "mcr.microsoft.com/dotnet/runtime:8.0": 190e6,
	"mcr.microsoft.com/dotnet/aspnet:8.0": 220e6, "mcr.microsoft.com/dotnet/sdk:8.0": 850e6,
	"mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled": 12e6, "gcr.io/distroless/static-debian12": 2e6,
	"gcr.io/distroless/base-debian12": 20e6, "gcr.io/distroless/java21-debian12": 250e6, "gcr.io/distroless/python3-debian12": 55e6,
	"gcr.io/distroless/nodejs22-debian12": 130e6,
}

func TestSizes(t *testing.T) {
	for name, want := range sizeTargets {
		t.Run(name, func(t *testing.T) {
			img, err := Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			got := float64(img.Layers[len(img.Layers)-1].Usage())
			if got < want*0.8 || got > want*1.2 {
				t.Errorf("content size %.1f MB, want %.1f MB ± 20%%", got/1e6, want/1e6)
			}
		})
	}
}

// osRelease reads an image's os-release.
func osRelease(t *testing.T, last *rootfs.FS) string {
	t.Helper()
	for _, p := range []string{"/etc/os-release", "/usr/lib/os-release"} {
		if b, err := last.ReadFile(p); err == nil {
			return string(b)
		}
	}
	return ""
}

// runtimes are the commands each family's image has on PATH.
var runtimes = map[string][]string{
	"python": {"python", "python3", "pip"}, "node": {"node", "npm", "npx", "yarn"}, "golang": {"go", "gofmt"},
	"ruby": {"ruby", "gem", "bundle", "irb"}, "php": {"php", "pecl", "docker-php-ext-install", "docker-php-ext-enable"},
	"composer": {"composer", "php"}, "rust": {"cargo", "rustc", "rustup"}, "eclipse-temurin": {"java"}, "maven": {"mvn", "java", "javac"},
	"gradle": {"gradle", "java"}, "postgres": {"postgres", "psql", "docker-entrypoint.sh", "gosu"}, "redis": {"redis-server", "redis-cli"},
	"mysql": {"mysqld", "mysql"}, "gcc": {"gcc", "g++", "make"}, "httpd": {"httpd"}, "continuumio/miniconda3": {"conda", "python3.12"},
	"lukemathwalker/cargo-chef": {"cargo", "cargo-chef"}, "mcr.microsoft.com/dotnet/sdk": {"dotnet"}, "mcr.microsoft.com/dotnet/runtime": {"dotnet"},
	"docker": {"docker"}, "bash": {"bash"}, "traefik": {"traefik"}, "caddy": {"caddy"},
}

// onPath reports whether cmd is an executable in one of PATH's directories.
func onPath(last *rootfs.FS, path, cmd string) bool {
	for _, dir := range strings.Split(path, ":") {
		if e, _, err := last.Stat(dir + "/" + cmd); err == nil && e.Kind == rootfs.KindFile && e.Mode&0o111 != 0 {
			return true
		}
	}
	return false
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
			if img.Architecture != "amd64" || img.OS != "linux" {
				t.Errorf("platform %s/%s", img.OS, img.Architecture)
			}
			for i := 1; i < len(img.Layers); i++ {
				checkCumulative(t, i, img.Layers[i-1], img.Layers[i])
			}
			last := img.Layers[len(img.Layers)-1]
			repo, _, _ := strings.Cut(name, ":")
			if i := strings.LastIndex(name, ":"); i > 0 {
				repo = name[:i]
			}
			path, _ := img.Config.GetEnv("PATH")
			// Images FROM scratch with no shell: distroless, .NET's chiseled, uv's own.
			bareUV := strings.HasPrefix(name, "ghcr.io/astral-sh/uv:") && !strings.Contains(name[len("ghcr.io/astral-sh/uv:"):], "-")
			bareUV = bareUV || strings.HasPrefix(name, "gloursdocker/docker:") // binaries alone, FROM scratch
			distroless := strings.HasPrefix(name, "gcr.io/distroless/") || strings.Contains(name, "chiseled") || bareUV
			if path == "" && !strings.Contains(name, "chiseled") && !bareUV {
				t.Errorf("no PATH")
			}
			for _, cmd := range runtimes[repo] {
				if !onPath(last, path, cmd) {
					t.Errorf("%s is not on PATH %s", cmd, path)
				}
			}
			sh, _, err := last.Stat("/bin/sh")
			if distroless {
				if err == nil {
					t.Errorf("a distroless image has /bin/sh")
				}
			} else if err != nil || sh.Kind != rootfs.KindFile || sh.Mode&0o111 == 0 {
				t.Errorf("/bin/sh: %v %+v", err, sh)
			}
			if !distroless && len(img.Config.Cmd) == 0 && len(img.Config.Entrypoint) == 0 {
				t.Error("no Cmd nor Entrypoint")
			}
			// os-release and the package manager match the distro.
			osr := osRelease(t, last)
			pms := map[string]string{"ID=alpine": "/sbin/apk", "ID=debian": "/usr/bin/apt-get", "ID=ubuntu": "/usr/bin/apt-get"}
			switch {
			case strings.HasPrefix(name, "busybox"):
			case distroless:
				for _, p := range []string{"/usr/bin/apt-get", "/sbin/apk", "/usr/bin/dnf"} {
					if _, _, err := last.Stat(p); err == nil {
						t.Errorf("a distroless image has %s", p)
					}
				}
			case strings.Contains(osr, "ID=\"") && strings.Contains(osr, "PLATFORM_ID"):
				if _, _, err := last.Stat("/var/lib/rpm"); err != nil {
					t.Errorf("rpm distro without /var/lib/rpm")
				}
			default:
				found := false
				for id, pm := range pms {
					if strings.Contains(osr, id+"\n") {
						found = true
						if e, _, err := last.Stat(pm); err != nil || e.Mode&0o111 == 0 {
							t.Errorf("%s: package manager %s missing: %v", id, pm, err)
						}
					}
				}
				if !found {
					t.Errorf("os-release names no known distro:\n%s", osr)
				}
			}
			if e, _, err := last.Stat("/tmp"); !bareUV && (err != nil || e.Mode != fs.ModeSticky|0o777) {
				t.Errorf("/tmp: %v %+v", err, e)
			}
			if strings.Contains(name, "alpine") && !strings.Contains(osr, "ID=alpine") {
				t.Errorf("an -alpine tag whose os-release is not Alpine's:\n%s", osr)
			}
			for _, c := range []string{"bookworm", "bullseye", "trixie", "buster", "jammy", "noble", "focal"} {
				if strings.Contains(name, "-"+c) && !strings.Contains(osr, c) {
					t.Errorf("a -%s tag whose os-release does not say so:\n%s", c, osr)
				}
			}
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
		{"alpine", func() (*Image, error) { return buildAlpine(r, "alpine:"+r.branch) }},
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

// buildOf builds the image of a reference afresh, bypassing the cache.
func buildOf(t *testing.T, ref string) *Image {
	t.Helper()
	r, err := parseRef(ref)
	if err != nil {
		t.Fatal(err)
	}
	f := familyOf(r.repo)
	s, err := f.resolve(r.tag)
	if err != nil {
		t.Fatal(err)
	}
	img, err := f.build(s)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// layerPrint fingerprints one snapshot without reading generated content.
func layerPrint(t *testing.T, l *rootfs.FS) string {
	return fingerprint(t, &Image{Layers: []*rootfs.FS{l}})
}

func TestDeterministicLarge(t *testing.T) {
	for _, ref := range []string{"debian:bookworm", "ubuntu:24.04", "python:3.9-slim", "node:22-alpine", "nginx:1.27", "golang:1.23",
		"postgres:16", "php:8.3-fpm", "mcr.microsoft.com/dotnet/sdk:8.0", "gcr.io/distroless/java21-debian12:debug"} {
		t.Run(ref, func(t *testing.T) {
			if fa, fb := fingerprint(t, buildOf(t, ref)), fingerprint(t, buildOf(t, ref)); fa != fb {
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
		{"python of 2021 on its alpine", "python:3.9.2-alpine", "alpine:3.13"},
		{"maven on temurin", "maven:3.9-eclipse-temurin-17", "eclipse-temurin:17-jdk-noble"},
		{"sdk on aspnet on runtime", "mcr.microsoft.com/dotnet/sdk:8.0", "mcr.microsoft.com/dotnet/runtime:8.0"},
		{"composer on php", "composer:2", "php:8.4-cli-alpine"},
		{"cargo-chef on rust", "lukemathwalker/cargo-chef:latest-rust-1.80.1", "rust:1.80.1"},
		{"node on buildpack-deps", "node:20", "buildpack-deps:bookworm"},
		{"golang on scm", "golang:1.23", "buildpack-deps:bookworm-scm"},
		{"nginx on debian slim", "nginx:latest", "debian:trixie-slim"},
		{"nginx of early 2025 on bookworm", "nginx:1.27", "debian:bookworm-slim"},
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
			// The same content, not necessarily the same snapshot: the cache may have
			// rebuilt the base since.
			for i, l := range base.Layers {
				if layerPrint(t, img.Layers[i]) != layerPrint(t, l) {
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
		{"alpine repositories", "alpine", "/etc/apk/repositories", "https://dl-cdn.alpinelinux.org/alpine/v3.24/main\n"},
		{"alpine point release", "alpine:3.20.1", "/etc/alpine-release", "3.20.1\n"},
		{"python alpine of its day", "python:3.9.2-alpine", "/etc/alpine-release", "3.13.12\n"},
		{"node on bullseye", "node:18.12.1-bullseye-slim", "/etc/os-release", "VERSION_CODENAME=bullseye"},
		{"ubuntu bionic", "ubuntu:18.04", "/etc/os-release", `VERSION="18.04.6 LTS (Bionic Beaver)"`},
		{"postgres user", "postgres:16", "/etc/passwd", "postgres:x:999:999::/var/lib/postgresql:/bin/bash\n"},
		{"redis user", "redis:7", "/etc/passwd", "redis:x:999:999:"},
		{"mysql user", "mysql:8.4", "/etc/passwd", "mysql:x:999:999:"},
		{"rpm distro", "fedora", "/etc/os-release", "ID=\"fedora\""},
		{"distroless nonroot", "gcr.io/distroless/static-debian12:nonroot", "/etc/passwd", "nonroot:x:65532:65532:"},
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
		{"php ext install", "php:8.2-fpm-alpine", "/usr/local/bin/docker-php-ext-install", "#!/bin/sh\n"},
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
		{"golang", []string{"PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GOPATH=/go", "GOLANG_VERSION=1.26.4"}, "bash", "", "/go"},
		{"nginx", []string{"NGINX_VERSION=1.29.3"}, "nginx -g daemon off;", "/docker-entrypoint.sh", ""},
		{"python:3.9.2-alpine", []string{"PYTHON_VERSION=3.9.2"}, "python3", "", ""},
		{"postgres:16", []string{"PG_MAJOR=16", "PGDATA=/var/lib/postgresql/data", "PG_VERSION=16.11"}, "postgres", "docker-entrypoint.sh", ""},
		{"redis:6.2.6-alpine", []string{"REDIS_VERSION=6.2.6"}, "redis-server", "docker-entrypoint.sh", "/data"},
		{"mysql:8.0.23", []string{"MYSQL_MAJOR=8.0", "MYSQL_VERSION=8.0.23-1.el9"}, "mysqld", "docker-entrypoint.sh", ""},
		{"ruby:3.3.0-slim", []string{"RUBY_VERSION=3.3.0", "GEM_HOME=/usr/local/bundle", "BUNDLE_APP_CONFIG=/usr/local/bundle"}, "irb", "", ""},
		{"php:8.2-apache", []string{"PHP_VERSION=8.2.30", "PHP_INI_DIR=/usr/local/etc/php", "APACHE_CONFDIR=/etc/apache2"}, "apache2-foreground", "docker-php-entrypoint", "/var/www/html"},
		{"php:8.2-fpm-alpine", []string{"PHP_VERSION=8.2.30"}, "php-fpm", "docker-php-entrypoint", "/var/www/html"},
		{"rust:1.80.1-slim", []string{"RUST_VERSION=1.80.1", "CARGO_HOME=/usr/local/cargo", "PATH=/usr/local/cargo/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, "bash", "", ""},
		{"eclipse-temurin:17-jre-focal", []string{"JAVA_HOME=/opt/java/openjdk", "JAVA_VERSION=jdk-17.0.17_10"}, "/bin/bash", "/__cacert_entrypoint.sh", ""},
		{"maven:3.9-eclipse-temurin-17", []string{"MAVEN_HOME=/usr/share/maven", "JAVA_HOME=/opt/java/openjdk"}, "mvn", "/usr/local/bin/mvn-entrypoint.sh", ""},
		{"gradle:8-jdk17", []string{"GRADLE_HOME=/opt/gradle", "GRADLE_VERSION=8.14.3"}, "gradle", "/__cacert_entrypoint.sh", "/home/gradle"},
		{"composer", []string{"COMPOSER_ALLOW_SUPERUSER=1", "COMPOSER_VERSION=2.9.2"}, "composer", "/docker-entrypoint.sh", "/app"},
		{"mcr.microsoft.com/dotnet/aspnet:8.0", []string{"ASPNET_VERSION=8.0.22", "DOTNET_VERSION=8.0.22", "ASPNETCORE_HTTP_PORTS=8080", "APP_UID=1654"}, "bash", "", ""},
		{"mcr.microsoft.com/dotnet/sdk:10.0.100-noble", []string{"DOTNET_SDK_VERSION=10.0.100"}, "/bin/bash", "", ""},
		{"gcr.io/distroless/python3-debian12", []string{"SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"}, "", "/usr/bin/python3.11", ""},
		{"gcr.io/distroless/static:debug-nonroot", []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/busybox"}, "", "/busybox/sh", "/home/nonroot"},
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
