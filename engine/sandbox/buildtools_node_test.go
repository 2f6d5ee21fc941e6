package sandbox

import (
	"strings"
	"testing"

	"layerlab/engine/rootfs"
)

// nodeFS is a node:20-like image with a project whose node_modules/.bin holds the
// build CLIs, as npm installs them.
func nodeFS(t testing.TB) *rootfs.FS {
	f := debianFS(t)
	put(t, f, "/usr/local/bin/node", elf, 0o755)
	for _, bins := range nodeBins {
		for _, b := range bins {
			put(t, f, "/app/node_modules/.bin/"+b, "#!/usr/bin/env node\nrequire('x')\n", 0o755)
		}
	}
	return f
}

var nodeEnv = func(o *Options) {
	o.Env = []string{"PATH=/app/node_modules/.bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root"}
	o.Dir = "/app"
}

func TestNodeBuildOutputsFollowInputs(t *testing.T) {
	pj := "{\"name\":\"web\",\"version\":\"1.0.0\"}\n"
	web := map[string]string{"/app/package.json": pj, "/app/index.html": "<html><head></head><body></body></html>", "/app/src/main.js": "console.log(1)\n", "/app/public/favicon.ico": "ico"}
	checkOutputsFollowInputs(t, []buildCase{
		{name: "vite build", image: nodeFS, opts: nodeEnv, script: "vite build && ls dist/assets | grep -q index- ", files: web,
			outputs: []string{"/app/dist/index.html"}, edit: "/app/src/main.js"},
		{name: "react-scripts build", image: nodeFS, opts: nodeEnv, script: "react-scripts build", files: map[string]string{"/app/package.json": pj, "/app/public/index.html": "<html><head></head></html>", "/app/src/App.js": "x\n"},
			outputs: []string{"/app/build/index.html", "/app/build/asset-manifest.json"}, edit: "/app/src/App.js"},
		{name: "tsc outDir", image: nodeFS, opts: nodeEnv, script: "tsc", files: map[string]string{"/app/package.json": pj, "/app/tsconfig.json": "{\n  // comment\n  \"compilerOptions\": {\"outDir\": \"./dist\", \"rootDir\": \"src\",},\n}\n", "/app/src/index.ts": "export const a = 1\n"},
			outputs: []string{"/app/dist/index.js"}, edit: "/app/src/index.ts"},
		{name: "nest build", image: nodeFS, opts: nodeEnv, script: "nest build", files: map[string]string{"/app/package.json": pj, "/app/tsconfig.json": "{\"compilerOptions\": {\"outDir\": \"./dist\"}}", "/app/src/main.ts": "x\n", "/app/src/app.module.ts": "y\n"},
			outputs: []string{"/app/dist/main.js"}, edit: "/app/src/main.ts"},
		{name: "next build standalone", image: nodeFS, opts: nodeEnv, script: "next build", files: map[string]string{"/app/package.json": pj, "/app/next.config.js": "module.exports = { output: 'standalone' }\n", "/app/src/app/page.tsx": "x\n"},
			outputs: []string{"/app/.next/BUILD_ID", "/app/.next/standalone/server.js"}, edit: "/app/src/app/page.tsx"},
		{name: "webpack", image: nodeFS, opts: nodeEnv, script: "webpack --mode production", files: map[string]string{"/app/package.json": pj, "/app/src/index.js": "x\n"},
			outputs: []string{"/app/dist/main.js"}, edit: "/app/src/index.js"},
	})
}

func TestNodeBuildCommands(t *testing.T) {
	tests := []struct {
		name   string
		env    []string
		files  map[string]string
		script string
		code   int
		want   []string
	}{
		{name: "NODE_ENV changes the bundle", files: map[string]string{"/app/package.json": "{}", "/app/src/main.js": "x"},
			script: "vite build && cp dist/index.html /a && NODE_ENV=development vite build && ! cmp -s dist/index.html /a && echo differs", want: []string{"differs"}},
		{name: "a dev server is refused by name", files: map[string]string{"/app/package.json": "{}"}, script: "vite", code: 1, want: []string{"does not run servers"}},
		{name: "an unknown flag is named", files: map[string]string{"/app/package.json": "{}"}, script: "vite build --frob", code: 2, want: []string{"option --frob: not supported"}},
		{name: "not installed", files: map[string]string{"/app/package.json": "{}"}, script: "rm node_modules/.bin/vite && vite build", code: 127, want: []string{"vite: not found"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := nodeFS(t)
			for p, c := range tc.files {
				put(t, f, p, c, 0o644)
			}
			r := run(t, f, tc.script, nodeEnv)
			if r.code != tc.code || r.err != nil {
				t.Fatalf("exit %d (want %d), %v\n%s", r.code, tc.code, r.err, r.out)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.out, w) {
					t.Errorf("log lacks %q:\n%s", w, r.out)
				}
			}
		})
	}
}
