package baseimage

import (
	"bufio"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"layerlab/engine/rootfs"
)

// minTags is how many tags testdata/tags.txt holds at least; a test that reads fewer
// (a truncated file) fails rather than passing on little.
const minTags = 100

func TestTagList(t *testing.T) {
	f, err := os.Open("testdata/tags.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		ref := strings.TrimSpace(sc.Text())
		if ref == "" || strings.HasPrefix(ref, "#") {
			continue
		}
		n++
		if _, err := Lookup(ref); err != nil {
			t.Errorf("Lookup(%q): %v", ref, err)
		}
	}
	if n < minTags {
		t.Errorf("testdata/tags.txt has %d tags, want at least %d", n, minTags)
	}
}

// TestGrammar checks what tags resolve to: the version the config names, the flavor
// and the distro release.
func TestGrammar(t *testing.T) {
	tests := []struct {
		name, ref, version, flavor, distro string
	}{
		{"slim on a codename", "python:3.8-slim-bullseye", "3.8.20", "slim", "debian:bullseye-slim"},
		{"alpine of a branch", "node:18-alpine3.19", "18.20.6", "", "alpine:3.19"},
		{"lts", "node:lts", "24.11.1", "", "debian:trixie"},
		{"lts alpine", "node:lts-alpine", "24.11.1", "", "alpine:3.22"},
		{"minor alpine", "golang:1.21-alpine", "1.21.13", "", "alpine:3.20"},
		{"major alpine", "golang:1-alpine", "1.26.4", "", "alpine:3.24"},
		{"jdk on jammy", "eclipse-temurin:17-jdk-jammy", "17.0.17_10", "", "ubuntu:22.04"},
		{"fpm alpine", "php:8.2-fpm-alpine", "8.2.30", "fpm", "alpine:3.24"},
		{"codename slim", "debian:bookworm-slim", "12.9", "slim", ""},
		{"exact patch keeps its version", "python:3.9.2-alpine", "3.9.2", "", "alpine:3.13"},
		{"exact patch of its day's debian", "python:3.9.2", "3.9.2", "", "buildpack-deps:buster"},
		{"latest", "python:latest", "3.15.0", "", "buildpack-deps:trixie"},
		{"temurin build number", "eclipse-temurin:24.0.2_12-jdk-noble", "24.0.2_12", "", "ubuntu:24.04"},
		{"dotnet sdk band", "mcr.microsoft.com/dotnet/sdk:10.0.100-noble", "10.0.100", "", "ubuntu:24.04"},
		{"dotnet default distro", "mcr.microsoft.com/dotnet/aspnet:8.0", "8.0.22", "", "debian:bookworm-slim"},
		{"mysql exact", "mysql:8.0.23", "8.0.23", "", "oraclelinux:9"},
		{"cargo-chef", "lukemathwalker/cargo-chef:latest-rust-1.80.1", "0.1.73", "", "debian:trixie"},
		{"gradle jdk", "gradle:8-jdk17", "8.14.3", "", "ubuntu:24.04"},
		{"maven temurin", "maven:3.8.5-eclipse-temurin-17", "3.8.5", "", "ubuntu:22.04"},
		{"distroless nonroot", "gcr.io/distroless/static:nonroot", "", "nonroot", "scratch"},
		{"nginx stable alpine slim", "nginx:stable-alpine-slim", "1.28.0", "slim", "alpine:3.21"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := parseRef(tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			s, err := familyOf(r.repo).resolve(r.tag)
			if err != nil {
				t.Fatal(err)
			}
			if s.version != tt.version || s.flavor != tt.flavor {
				t.Errorf("version %q flavor %q, want %q %q", s.version, s.flavor, tt.version, tt.flavor)
			}
			got := ""
			if s.distro != nil {
				got = s.distro.baseName()
				if s.fam.repo == "python" && s.flavor == "" && s.distroKind() == "debian" {
					got = buildpackName(s.distro, "")
				}
			}
			if got != tt.distro {
				t.Errorf("distro %q, want %q", got, tt.distro)
			}
		})
	}
}

// TestCorpusFroms looks up every base of the public corpus of real Dockerfiles (read
// from ../shared when it is there; it belongs to its authors and is not copied here).
func TestCorpusFroms(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "..", "shared", "corpus", "dockerfiles")
	files, _ := filepath.Glob(filepath.Join(dir, "*", "context", "Dockerfile"))
	if len(files) == 0 {
		t.Skip("the public corpus (../shared/corpus/dockerfiles) is not here")
	}
	from := regexp.MustCompile(`(?im)^FROM\s+(?:--platform=\S+\s+)?(\S+)`)
	arg := regexp.MustCompile(`(?im)^ARG\s+(\w+)=["']?([^"'\s]+)`)
	n := 0
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(b), "\r", "")
		args := map[string]string{}
		for _, m := range arg.FindAllStringSubmatch(text, -1) {
			args[m[1]] = m[2]
		}
		stages := map[string]bool{}
		for _, m := range regexp.MustCompile(`(?im)^FROM\s+.*\s+AS\s+(\S+)`).FindAllStringSubmatch(text, -1) {
			stages[strings.ToLower(m[1])] = true
		}
		for _, m := range from.FindAllStringSubmatch(text, -1) {
			ref := os.Expand(m[1], func(k string) string { return args[k] })
			if strings.EqualFold(ref, "scratch") || stages[strings.ToLower(ref)] {
				continue
			}
			n++
			if _, err := Lookup(ref); err != nil {
				t.Errorf("%s: FROM %s: %v", filepath.Base(filepath.Dir(filepath.Dir(f))), ref, err)
			}
		}
	}
	if n < 60 {
		t.Errorf("found %d FROM lines in %d Dockerfiles, want the corpus's 70 or so", n, len(files))
	}
}

// TestLookupGeneratesNothing checks that looking up (and so building) big images
// reads no generated content: their large files stay rootfs.Generated, and the
// allocations are a small fraction of the content they describe.
func TestLookupGeneratesNothing(t *testing.T) {
	refs := []string{"rust:1.88", "mcr.microsoft.com/dotnet/sdk:9.0-bookworm-slim", "elasticsearch:9.2.1", "gcc:14"}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var described int64
	for _, ref := range refs {
		img, err := Lookup(ref)
		if err != nil {
			t.Fatal(err)
		}
		last := img.Layers[len(img.Layers)-1]
		described += last.Usage()
		_ = last.Walk(func(k string, e *rootfs.Entry) error {
			if e.Size() > 64<<10 {
				if _, ok := e.Data.(rootfs.Generated); !ok {
					t.Errorf("%s: /%s (%d bytes) is %T, not generated content", ref, k, e.Size(), e.Data)
				}
			}
			return nil
		})
	}
	runtime.ReadMemStats(&after)
	if alloc := int64(after.TotalAlloc - before.TotalAlloc); alloc > described/20 {
		t.Errorf("looking up %d MB of images allocated %d MB: generated content was read", described>>20, alloc>>20)
	}
}

func TestCatalog(t *testing.T) {
	c := Catalog()
	if len(c) < 40 {
		t.Fatalf("Catalog lists %d repositories, want at least 40", len(c))
	}
	seen := map[string]bool{}
	for _, r := range c {
		if seen[r.Name] {
			t.Errorf("%s listed twice", r.Name)
		}
		seen[r.Name] = true
		if r.Description == "" || len(r.Variants) == 0 {
			t.Errorf("%s: description %q, %d variants", r.Name, r.Description, len(r.Variants))
		}
		for _, v := range r.Variants {
			for _, tag := range v.Tags {
				if _, err := Lookup(r.Name + ":" + tag); err != nil {
					t.Errorf("example %s:%s does not resolve: %v", r.Name, tag, err)
				}
			}
		}
		for i := 1; i < len(r.Versions); i++ {
			if compareVersions(r.Versions[i-1], r.Versions[i]) < 0 {
				t.Errorf("%s: versions not newest first: %v", r.Name, r.Versions)
				break
			}
		}
	}
	for _, want := range []string{"python", "node", "postgres", "mcr.microsoft.com/dotnet/sdk", "gcr.io/distroless/static-debian12", "ghcr.io/astral-sh/uv"} {
		if !seen[want] {
			t.Errorf("catalog lacks %s", want)
		}
	}
}

func TestUnknownSuggestsTags(t *testing.T) {
	_, err := Lookup("python:3.99-slim")
	if !errors.Is(err, ErrManifestUnknown) {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "tags that exist include 3.") {
		t.Errorf("no close tags in %q", err)
	}
}
