package catalog

import (
	"strings"
	"testing"
)

func mustDetect(t *testing.T, fam Family, id, ver, code string) *Catalog {
	t.Helper()
	r, ok := Detect(fam, id, ver, code)
	if !ok {
		t.Fatalf("Detect(%s, %s, %s, %s): no release", fam, id, ver, code)
	}
	return For(r)
}

func TestTablesLoad(t *testing.T) {
	if err := Err(); err != nil {
		t.Fatal(err)
	}
	// What the tables promise: several hundred packages per family, every name and
	// version expanded for every release.
	minimum := map[Family]int{Deb: 300, Apk: 280, RPM: 120}
	known := map[Family]map[string]bool{}
	for _, r := range Releases() {
		if known[r.Family] == nil {
			known[r.Family] = map[string]bool{}
		}
		for _, n := range For(r).Names() {
			known[r.Family][n] = true
		}
	}
	for _, r := range Releases() {
		// A dependency may be missing from one release, never from all: that is a typo.
		for _, d := range rawDeps(r) {
			if !known[r.Family][d] {
				t.Errorf("%s/%s: dependency %s is no package of any release", r.Family, r.Key, d)
			}
		}
		c := For(r)
		if n := len(c.Names()); n < minimum[r.Family] {
			t.Errorf("%s/%s: %d packages, want at least %d", r.Family, r.Key, n, minimum[r.Family])
		}
		for _, n := range c.Names() {
			p, _ := c.Lookup(n)
			if strings.Contains(p.Name+p.Version, "${") || p.Version == "" || p.Installed <= 0 {
				t.Errorf("%s/%s: %+v not expanded", r.Family, r.Key, p)
			}
			for _, d := range append(append([]string(nil), p.Deps...), p.Recommends...) {
				if _, ok := c.Lookup(d); !ok {
					t.Errorf("%s/%s: %s needs %s, which the release does not have", r.Family, r.Key, n, d)
				}
			}
		}
	}
}

func TestDetectAndVersions(t *testing.T) {
	tests := []struct {
		name                  string
		fam                   Family
		id, ver, code         string
		pkg, wantVer, wantKey string
	}{
		{name: "bookworm tini", fam: Deb, id: "debian", ver: "12", code: "bookworm", pkg: "tini", wantVer: "0.19.0-1", wantKey: "bookworm"},
		{name: "noble libssl t64", fam: Deb, id: "ubuntu", ver: "24.04", code: "noble", pkg: "libssl3t64", wantVer: "3.0.13-0ubuntu3.5", wantKey: "noble"},
		{name: "bullseye python", fam: Deb, id: "debian", ver: "11", code: "bullseye", pkg: "python3.9", wantVer: "3.9.2-1", wantKey: "bullseye"},
		{name: "alpine point release", fam: Apk, id: "alpine", ver: "3.19.1", pkg: "linux-headers", wantVer: "6.5-r0", wantKey: "3.19"},
		{name: "alpine edge", fam: Apk, id: "alpine", ver: "3.22_alpha20250108", pkg: "musl-dev", wantVer: "1.2.5-r10", wantKey: "edge"},
		{name: "rocky 9 dist tag", fam: RPM, id: "rocky", ver: "9.5", pkg: "make", wantVer: "1:4.3-8.el9", wantKey: "el9"},
		{name: "fedora default version", fam: RPM, id: "fedora", ver: "40", pkg: "tini", wantVer: "0.19.0-9.fc40", wantKey: "fc40"},
		{name: "amazon linux 2023", fam: RPM, id: "amzn", ver: "2023", pkg: "curl-minimal", wantVer: "8.5.0-1.amzn2023.0.4", wantKey: "amzn2023"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := mustDetect(t, tc.fam, tc.id, tc.ver, tc.code)
			if c.Release.Key != tc.wantKey {
				t.Errorf("release %s, want %s", c.Release.Key, tc.wantKey)
			}
			p, ok := c.Lookup(tc.pkg)
			if !ok {
				t.Fatalf("%s not in the catalog", tc.pkg)
			}
			if p.Version != tc.wantVer {
				t.Errorf("version %s, want %s", p.Version, tc.wantVer)
			}
		})
	}
	if _, ok := Detect(Deb, "debian", "14", "forky"); ok {
		t.Error("an unknown release was reported as known")
	}
}

func TestTypo(t *testing.T) {
	deb := mustDetect(t, Deb, "debian", "12", "bookworm")
	apk := mustDetect(t, Apk, "alpine", "3.20.3", "")
	tests := []struct {
		name string
		c    *Catalog
		pkg  string
		want string // "" = not a typo (synthesized or a catalog name)
	}{
		{name: "deletion", c: deb, pkg: "pythn3", want: "python3"},
		{name: "transposition", c: deb, pkg: "ngnix", want: "nginx"},
		{name: "substitution in a long word", c: deb, pkg: "pythom3", want: "python3"},
		{name: "two edits in a long word", c: deb, pkg: "postgres-client", want: "postgresql-client"},
		{name: "apk deletion", c: apk, pkg: "linux-headrs", want: "linux-headers"},
		{name: "catalog name", c: deb, pkg: "python3", want: ""},
		{name: "digits only: a soname bump", c: deb, pkg: "libxml3-dev", want: ""},
		{name: "digits only: another python", c: deb, pkg: "python3.10", want: ""},
		{name: "short word: libssh-dev", c: deb, pkg: "libssh-dev", want: ""},
		{name: "short word: libgd2-dev", c: deb, pkg: "libpq2-dev", want: ""},
		{name: "short word: python3-sip", c: deb, pkg: "python3-sip", want: ""},
		{name: "substitution in a five-letter word: redir", c: deb, pkg: "redir", want: ""},
		{name: "two edits in a five-letter word: numba", c: deb, pkg: "python3-numba", want: ""},
		{name: "short names are never typos", c: deb, pkg: "foo", want: ""},
		{name: "a separator edit is another name", c: deb, pkg: "python3-pip-whl", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := tc.c.Typo(tc.pkg)
			if got != tc.want {
				t.Errorf("Typo(%q) = %q, want %q", tc.pkg, got, tc.want)
			}
		})
	}
}

func TestValidAndSynthesize(t *testing.T) {
	tests := []struct {
		name string
		fam  Family
		pkg  string
		want bool
	}{
		{name: "debian lowercase", fam: Deb, pkg: "libfoo-dev", want: true},
		{name: "debian plus and dot", fam: Deb, pkg: "g++-12", want: true},
		{name: "debian uppercase", fam: Deb, pkg: "Foo", want: false},
		{name: "debian one letter", fam: Deb, pkg: "a", want: false},
		{name: "debian underscore", fam: Deb, pkg: "foo_bar", want: false},
		{name: "alpine underscore", fam: Apk, pkg: "py3-foo_bar", want: true},
		{name: "alpine uppercase", fam: Apk, pkg: "Foo", want: false},
		{name: "rpm mixed case", fam: RPM, pkg: "ImageMagick-devel", want: true},
		{name: "rpm slash", fam: RPM, pkg: "foo/bar", want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Valid(tc.fam, tc.pkg); got != tc.want {
				t.Errorf("Valid(%s, %q) = %v", tc.fam, tc.pkg, got)
			}
		})
	}
	c := mustDetect(t, Apk, "alpine", "3.19.1", "")
	a, b := c.Synthesize("libfrobnicate"), c.Synthesize("libfrobnicate")
	if a.Version != b.Version || a.Installed != b.Installed || !a.Synthetic || !strings.HasSuffix(a.Version, "-r0") && !strings.Contains(a.Version, "-r") {
		t.Errorf("synthesized %+v and %+v", a, b)
	}
	if c.Synthesize("libother").Installed == a.Installed && c.Synthesize("libother").Version == a.Version {
		t.Error("two names synthesized the same package")
	}
}
