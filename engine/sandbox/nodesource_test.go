package sandbox

import (
	"strings"
	"testing"

	"layerlab/engine/rootfs"
)

// TestNodesourceNodejs checks that apt-get install nodejs after NodeSource's setup
// script installs that major's nodejs, npm bundled, and the release's own nodejs
// without it.
func TestNodesourceNodejs(t *testing.T) {
	mk := func(tb testing.TB) *rootfs.FS {
		f := debianFS(tb)
		put(tb, f, "/usr/bin/curl", elf, 0o755)
		return f
	}
	tests := []struct {
		name    string
		fs      func(testing.TB) *rootfs.FS
		script  string
		wantOut []string
		noOut   []string
		files   map[string]string // path -> a substring of its content
		absent  []string
	}{
		{name: "setup_20.x", fs: mk, script: "curl -fsSL https://deb.nodesource.com/setup_20.x | bash - && apt-get install -y nodejs",
			wantOut: []string{"Get:", "https://deb.nodesource.com/node_20.x nodistro InRelease", "https://deb.nodesource.com/node_20.x nodistro/main amd64 nodejs amd64 20.18.3-1nodesource1", "Setting up nodejs (20.18.3-1nodesource1) ..."},
			files:   map[string]string{"/usr/lib/node_modules/npm/package.json": `"version": "10.8.2"`, "/var/lib/dpkg/status": "Package: nodejs\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: 20.18.3-1nodesource1\n", "/var/lib/dpkg/info/nodejs.list": "/usr/bin/npm"}},
		{name: "setup_16.x bundles npm 8", fs: mk, script: "curl -fsSL https://deb.nodesource.com/setup_16.x | bash - && apt-get install -y nodejs && node --version && npm --version",
			wantOut: []string{"Setting up nodejs (16.20.2-1nodesource1) ...", "\nv16.20.2\n8.19.4\n"},
			files:   map[string]string{"/usr/lib/node_modules/npm/package.json": `"version": "8.19.4"`, "/usr/bin/npx": ""}},
		{name: "a hand-written source line counts", fs: mk,
			script:  "mkdir -p /etc/apt/sources.list.d && echo 'deb [signed-by=/etc/apt/keyrings/nodesource.gpg] https://deb.nodesource.com/node_18.x nodistro main' > /etc/apt/sources.list.d/nodesource.list && apt-get update && apt-get install -y nodejs",
			wantOut: []string{"Setting up nodejs (18.20.6-1nodesource1) ..."}},
		{name: "without the source apt installs the release's nodejs", fs: mk, script: "apt-get update && apt-get install -y nodejs && node --version",
			wantOut: []string{"Setting up nodejs (18.19.0+dfsg-6~deb12u2) ...", "\nv18.19.0\n"}, noOut: []string{"nodesource"},
			absent: []string{"/usr/lib/node_modules/npm/package.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.fs(t)
			r := run(t, f, tt.script)
			if r.err != nil || r.code != 0 {
				t.Fatalf("code %d err %v\n%s", r.code, r.err, r.out)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(r.out, w) {
					t.Errorf("output lacks %q\n%s", w, r.out)
				}
			}
			for _, w := range tt.noOut {
				if strings.Contains(r.out, w) {
					t.Errorf("output has %q", w)
				}
			}
			for p, w := range tt.files {
				if got := readFS(t, f, p); !strings.Contains(got, w) {
					t.Errorf("%s lacks %q:\n%s", p, w, got)
				}
			}
			for _, p := range tt.absent {
				if exists(f, p) {
					t.Errorf("%s exists", p)
				}
			}
		})
	}
}
