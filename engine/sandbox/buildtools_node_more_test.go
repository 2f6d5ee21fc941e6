package sandbox

import (
	"strings"
	"testing"

	"layerlab/engine/rootfs"
)

// nodeMoreFS is nodeFS with the script runners and the extra CLIs in node_modules/.bin.
func nodeMoreFS(t testing.TB) *rootfs.FS {
	f := nodeFS(t)
	for _, b := range []string{"npm-run-all", "run-s", "run-p", "concurrently", "cross-env", "rimraf", "shx", "dotenv",
		"rollup", "esbuild", "tsup", "parcel", "turbo", "svgr", "gatsby", "astro", "vue-tsc", "eslint", "prettier", "jest", "vitest"} {
		put(t, f, "/app/node_modules/.bin/"+b, "#!/usr/bin/env node\nrequire('x')\n", 0o755)
	}
	put(t, f, "/usr/local/lib/node_modules/npm/bin/npm-cli.js", "#!/usr/bin/env node\n", 0o755)
	symlink(t, f, "/usr/local/bin/npm", "../lib/node_modules/npm/bin/npm-cli.js")
	return f
}

func TestNodeMoreOutputsFollowInputs(t *testing.T) {
	pj := "{\"name\":\"lib\",\"version\":\"1.0.0\"}\n"
	src := map[string]string{"/app/package.json": pj, "/app/src/index.ts": "export const a = 1\n", "/app/src/main.js": "console.log(1)\n"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{}
		for k, v := range src {
			m[k] = v
		}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	checkOutputsFollowInputs(t, []buildCase{
		{name: "rollup -c reads output.file", image: nodeMoreFS, opts: nodeEnv, script: "rollup -c",
			files:   with(map[string]string{"/app/rollup.config.mjs": "export default { input: 'src/main.js', output: { file: 'build/bundle.js', format: 'es' } }\n"}),
			outputs: []string{"/app/build/bundle.js"}, edit: "/app/src/main.js"},
		{name: "esbuild --bundle --outfile", image: nodeMoreFS, opts: nodeEnv, script: "esbuild src/main.js --bundle --minify --outfile=out/app.js",
			files: src, outputs: []string{"/app/out/app.js"}, edit: "/app/src/main.js"},
		{name: "esbuild --outdir", image: nodeMoreFS, opts: nodeEnv, script: "esbuild src/main.js src/index.ts --outdir=lib",
			files: src, outputs: []string{"/app/lib/main.js", "/app/lib/index.js"}, edit: "/app/src/index.ts"},
		{name: "tsup esm+cjs with dts", image: nodeMoreFS, opts: nodeEnv, script: "tsup src/index.ts --format cjs,esm --dts",
			files: src, outputs: []string{"/app/dist/index.js", "/app/dist/index.mjs", "/app/dist/index.d.ts"}, edit: "/app/src/index.ts"},
		{name: "parcel build", image: nodeMoreFS, opts: nodeEnv, script: "parcel build index.html",
			files:   with(map[string]string{"/app/index.html": "<html><body><script type=\"module\" src=\"./src/main.js\"></script></body></html>\n"}),
			outputs: []string{"/app/dist/index.html"}, edit: "/app/src/main.js"},
		{name: "svgr", image: nodeMoreFS, opts: nodeEnv, script: "svgr --out-dir src/icons --typescript assets && test -f src/icons/ArrowLeft.tsx && grep -q Logo src/icons/index.ts",
			files:   with(map[string]string{"/app/assets/arrow-left.svg": "<svg/>\n", "/app/assets/logo.svg": "<svg><circle/></svg>\n"}),
			outputs: []string{"/app/src/icons/Logo.tsx"}, edit: "/app/assets/logo.svg"},
		{name: "gatsby build", image: nodeMoreFS, opts: nodeEnv, script: "gatsby build && test -f public/robots.txt",
			files:   with(map[string]string{"/app/src/pages/index.js": "x\n", "/app/src/pages/about.js": "y\n", "/app/static/robots.txt": "r\n"}),
			outputs: []string{"/app/public/index.html", "/app/public/about/index.html"}, edit: "/app/src/pages/about.js"},
		{name: "astro build", image: nodeMoreFS, opts: nodeEnv, script: "astro build",
			files:   with(map[string]string{"/app/src/pages/index.astro": "---\n---\n<h1>hi</h1>\n", "/app/src/pages/blog/post.md": "# post\n"}),
			outputs: []string{"/app/dist/index.html", "/app/dist/blog/post/index.html"}, edit: "/app/src/pages/blog/post.md"},
		{name: "turbo run build runs each workspace's build", image: nodeMoreFS, opts: nodeEnv, script: "turbo run build && test -f apps/web/dist/index.html",
			files: map[string]string{"/app/package.json": "{\"name\":\"mono\",\"workspaces\":[\"apps/*\"]}", "/app/turbo.json": "{\"tasks\":{\"build\":{\"outputs\":[\"dist/**\"]}}}",
				"/app/apps/web/package.json": "{\"name\":\"web\",\"version\":\"1.0.0\",\"scripts\":{\"build\":\"vite build\"}}", "/app/apps/web/index.html": "<html><head></head></html>", "/app/apps/web/src/main.js": "x\n",
				"/app/apps/docs/package.json": "{\"name\":\"docs\",\"version\":\"1.0.0\",\"scripts\":{\"build\":\"esbuild src/a.js --outfile=dist/a.js\"}}", "/app/apps/docs/src/a.js": "a\n"},
			outputs: []string{"/app/apps/docs/dist/a.js"}, edit: "/app/apps/docs/src/a.js"},
	})
}

func TestNodeScriptRunners(t *testing.T) {
	scripts := `{"name":"app","version":"1.0.0","scripts":{"clean":"echo cleaned","build:css":"echo css","build:js":"echo js","build:js:min":"echo min","lint":"exit 3","show":"echo NODE_ENV=$NODE_ENV API=$API"}}`
	tests := []struct {
		name   string
		files  map[string]string
		script string
		code   int
		want   []string
		absent []string
		order  []string // want lines in this order
	}{
		{name: "run-s runs scripts in order, patterns one level deep", script: "run-s clean build:*", want: []string{"> app@1.0.0 build:css", "> app@1.0.0 build:js\n"},
			order: []string{"cleaned", "css", "js"}, absent: []string{"min"}},
		{name: "npm-run-all build:** matches deeper names", script: "npm-run-all build:**", want: []string{"min"}},
		{name: "npm-run-all -s stops at a failure with its exit status", script: "npm-run-all -s lint clean", code: 1, want: []string{`ERROR: "lint" exited with 3.`}, absent: []string{"cleaned"}},
		{name: "--continue-on-error runs the rest and still fails", script: "npm-run-all -c lint clean", code: 1, want: []string{"cleaned"}},
		{name: "run-p runs every task, reported as parallel", script: "run-p clean build:css", want: []string{"cleaned", "css", "run-p runs these parallel tasks one after another"}},
		{name: "a missing task", script: "run-s nope", code: 1, want: []string{`ERROR: Task not found: "nope"`}},
		{name: "argument placeholders take what follows --", script: `run-p clean "show {@}" "show {1}" "show {*}" -- --mode 'a b'`,
			want: []string{"> echo NODE_ENV=$NODE_ENV API=$API --mode 'a b'\n", "> echo NODE_ENV=$NODE_ENV API=$API --mode\n", "> echo NODE_ENV=$NODE_ENV API=$API '--mode a b'\n"}},
		{name: "npm run passes what follows -- to the script", script: "npm run show -- --x=1 'two words'", want: []string{"> echo NODE_ENV=$NODE_ENV API=$API --x=1 'two words'\n", "API= --x=1 two words\n"}},
		{name: "concurrently npm: shorthand and exit codes", script: "concurrently \"npm:build:css\" \"echo two\"", want: []string{"css", "[0] npm run build:css exited with code 0", "[1] echo two exited with code 0"}},
		{name: "concurrently fails when one fails", script: "concurrently \"exit 2\" \"echo ok\"", code: 1, want: []string{"[0] exit 2 exited with code 2", "ok"}},
		{name: "cross-env sets variables for the command", script: "cross-env NODE_ENV=production API=x npm run show", want: []string{"NODE_ENV=production API=x"}},
		{name: "dotenv -e reads the file; the environment wins", files: map[string]string{"/app/.env.prod": "# c\nAPI=\"from-file\"\nNODE_ENV=file\n"},
			script: "NODE_ENV=shell dotenv -e .env.prod -- npm run show", want: []string{"NODE_ENV=shell API=from-file"}},
		{name: "rimraf removes globs and tolerates missing paths", files: map[string]string{"/app/dist/a.js": "a", "/app/tmp-1/x": "x", "/app/tmp-2/y": "y"},
			script: "rimraf dist 'tmp-*' nothing && ls", absent: []string{"dist", "tmp-1", "tmp-2"}},
		{name: "shx runs its ShellJS commands", script: "shx mkdir -p out/x && shx cp package.json out/x/ && ls out/x", want: []string{"package.json"}},
		{name: "shx refuses other commands", script: "shx curl x", code: 1, want: []string{"Invalid ShellJS command: curl"}},
		{name: "jest says the tests are not run", files: map[string]string{"/app/src/a.test.js": "t", "/app/src/b.spec.ts": "t"}, script: "jest --ci", want: []string{"jest: 2 test files found", "tests are not run"}},
		{name: "vitest run likewise", script: "vitest run", want: []string{"vitest: 0 test files found"}},
		{name: "eslint passes with a line", script: "eslint . --max-warnings 0", want: []string{"eslint: the sandbox does not run JavaScript"}},
		{name: "prettier --check prints its pass line", script: "prettier --check .", want: []string{"All matched files use Prettier code style!"}},
		{name: "vue-tsc -b over a solution config with noEmit references writes nothing", files: map[string]string{
			"/app/tsconfig.json":     `{"files": [], "references": [{"path": "./tsconfig.app.json"}]}`,
			"/app/tsconfig.app.json": `{"compilerOptions": {"noEmit": true}, "include": ["src"]}`, "/app/src/x.ts": "x"},
			script: "vue-tsc -b && ls src", absent: []string{"x.js"}},
		{name: "node FILE is refused naming the file", script: "node scripts/seed.js", code: 127, want: []string{"node: cannot run scripts/seed.js: the layerlab sandbox does not run JavaScript"}},
		{name: "node -e likewise", script: "node -e 'console.log(1)'", code: 127, want: []string{"node: cannot run -e code"}},
		{name: "node --version works", script: "NODE_VERSION=20.11.1 node --version", want: []string{"v20.11.1"}},
		{name: "rollup without an output is named", script: "rollup src/main.js", code: 2, want: []string{"writing the bundle to stdout"}},
		{name: "turbo needs the task in turbo.json", files: map[string]string{"/app/turbo.json": `{"tasks":{"lint":{}}}`}, script: "turbo build", code: 1, want: []string{"Could not find task `build`"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := nodeMoreFS(t)
			put(t, f, "/app/package.json", scripts, 0o644)
			put(t, f, "/app/src/main.js", "x\n", 0o644)
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
			for _, a := range tc.absent {
				if strings.Contains(r.out, a) {
					t.Errorf("log has %q:\n%s", a, r.out)
				}
			}
			last := -1
			for _, o := range tc.order {
				i := strings.Index(r.out, "\n"+o+"\n")
				if i <= last {
					t.Errorf("%q out of order:\n%s", o, r.out)
				}
				last = i
			}
		})
	}
}
