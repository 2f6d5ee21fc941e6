package sandbox

import (
	"strings"
	"testing"

	"layerlab/engine/rootfs"
)

// toolCase is one run of a package manager over some files: what it must print, leave
// and refuse.
type toolCase struct {
	name     string
	fs       func(testing.TB) *rootfs.FS
	env      []string
	files    map[string]string
	dir      string
	script   string
	wantCode int
	wantOut  []string
	noOut    []string
	exist    []string
	absent   []string
	contains map[string]string
	links    map[string]string // path -> symlink target
	check    func(t *testing.T, f *rootfs.FS)
}

func runToolCases(t *testing.T, tests []toolCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.fs(t)
			for p, c := range tc.files {
				put(t, f, p, c, 0o644)
			}
			mods := []func(*Options){func(o *Options) { o.Env = append(o.Env, tc.env...) }}
			if tc.dir != "" {
				put(t, f, tc.dir+"/.keep", "", 0o644)
				mods = append(mods, func(o *Options) { o.Dir = tc.dir })
			}
			r := run(t, f, tc.script, mods...)
			if r.err != nil {
				t.Fatalf("err = %v\n%s", r.err, r.out)
			}
			if r.code != tc.wantCode {
				t.Fatalf("code = %d, want %d\n%s", r.code, tc.wantCode, r.out)
			}
			for _, w := range tc.wantOut {
				if !strings.Contains(r.out, w) {
					t.Errorf("log lacks %q\n%s", w, r.out)
				}
			}
			for _, w := range tc.noOut {
				if strings.Contains(r.out, w) {
					t.Errorf("log has %q\n%s", w, r.out)
				}
			}
			for _, p := range tc.exist {
				if !exists(f, p) {
					t.Errorf("%s missing\n%s", p, r.out)
				}
			}
			for _, p := range tc.absent {
				if exists(f, p) {
					t.Errorf("%s exists\n%s", p, r.out)
				}
			}
			for p, w := range tc.contains {
				if got := readFS(t, f, p); !strings.Contains(got, w) {
					t.Errorf("%s lacks %q:\n%s", p, w, got)
				}
			}
			for p, w := range tc.links {
				e, _, err := f.Lstat(p)
				if err != nil || e.Kind != rootfs.KindSymlink || e.Linkname != w {
					t.Errorf("%s: want a symlink to %s, got %+v (%v)", p, w, e, err)
				}
			}
			if tc.check != nil {
				tc.check(t, f)
			}
		})
	}
}

// nodeImageFS is a node image: npm, the image's yarn 1.22 in /opt, corepack.
func nodeImageFS(t testing.TB) *rootfs.FS {
	f := npmFS(t)
	put(t, f, "/opt/yarn-v1.22.22/bin/yarn", "#!/bin/sh\n# yarn's launcher (stand-in)\n", 0o755)
	symlink(t, f, "/usr/local/bin/yarn", "/opt/yarn-v1.22.22/bin/yarn")
	put(t, f, "/usr/local/lib/node_modules/corepack/dist/corepack.js", "#!/usr/bin/env node\n", 0o755)
	put(t, f, "/usr/local/lib/node_modules/corepack/package.json", "{\"name\":\"corepack\",\"version\":\"0.31.0\"}\n", 0o644)
	symlink(t, f, "/usr/local/bin/corepack", "../lib/node_modules/corepack/dist/corepack.js")
	return f
}

const viteApp = `{"name":"web","version":"0.0.0","scripts":{"build":"vite build"},"dependencies":{"vue":"^3.4.21"},"devDependencies":{"vite":"^5.1.6"}}`

const viteYarnLock = "# yarn lockfile v1\n\n\nvite@^5.1.6:\n  version \"5.1.6\"\n  dependencies:\n    rollup \"^4.2.0\"\n\nrollup@^4.2.0:\n  version \"4.13.0\"\n\nvue@^3.4.21:\n  version \"3.4.21\"\n"

func TestYarnPnpmCorepack(t *testing.T) {
	runToolCases(t, []toolCase{
		{name: "yarn v1 installs yarn.lock's versions, hoisted, with .bin and its cache", fs: nodeImageFS, dir: "/app",
			files:    map[string]string{"/app/package.json": viteApp, "/app/yarn.lock": viteYarnLock, "/app/index.html": "<html></html>", "/app/src/main.js": "console.log(1)\n"},
			script:   "yarn install --frozen-lockfile --network-timeout 600000 && yarn build",
			wantOut:  []string{"yarn install v1.22.22", "[1/4] Resolving packages...", "[4/4] Building fresh packages...", "yarn run v1.22.22", "$ vite build", "vite: built"},
			noOut:    []string{"success Saved lockfile."},
			contains: map[string]string{"/app/node_modules/vite/package.json": `"version": "5.1.6"`, "/app/node_modules/rollup/package.json": `"version": "4.13.0"`},
			exist:    []string{"/app/node_modules/.bin/vite", "/app/node_modules/.bin/rollup", "/app/dist/index.html", "/usr/local/share/.cache/yarn/v6", "/app/node_modules/.yarn-integrity"}},
		{name: "yarn --frozen-lockfile fails when package.json asks for what yarn.lock lacks", fs: nodeImageFS, dir: "/app",
			files:  map[string]string{"/app/package.json": `{"name":"a","dependencies":{"vue":"^3.4.21","express":"^4.18.0"}}`, "/app/yarn.lock": viteYarnLock},
			script: "yarn install --frozen-lockfile", wantCode: 1,
			wantOut: []string{"error Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`."},
			absent:  []string{"/app/node_modules/vue"}},
		{name: "yarn refuses a typo with the registry's 404", fs: nodeImageFS, dir: "/app",
			files: map[string]string{"/app/package.json": `{"name":"a"}`}, script: "yarn add exprses", wantCode: 1,
			wantOut: []string{`error An unexpected error occurred: "https://registry.yarnpkg.com/exprses: Not found".`}},
		{name: "yarn without a lock resolves, saves yarn.lock; --production leaves devDependencies out", fs: nodeImageFS, dir: "/app",
			files: map[string]string{"/app/package.json": viteApp}, script: "yarn install --production && yarn cache clean",
			wantOut: []string{"info No lockfile found.", "success Saved lockfile.", "success Cleared cache."},
			exist:   []string{"/app/yarn.lock", "/app/node_modules/vue/package.json"}, absent: []string{"/app/node_modules/vite", "/usr/local/share/.cache/yarn/v6"},
			contains: map[string]string{"/app/yarn.lock": "\"vue@^3.4.21\":\n  version \"3.5.13\""}},
		{name: "yarn 1 refuses a berry project without corepack, as yarn 1.22 does", fs: nodeImageFS, dir: "/app",
			files: map[string]string{"/app/package.json": `{"name":"a","packageManager":"yarn@4.1.0"}`}, script: "yarn install", wantCode: 1,
			wantOut: []string{`error This project's package.json defines "packageManager": "yarn@4.1.0". However the current global version of Yarn is 1.22.22.`, "Corepack must currently be enabled"}},
		{name: "corepack enable runs yarn berry: --immutable, pnp, global zip cache", fs: nodeImageFS, dir: "/app",
			files: map[string]string{"/app/package.json": `{"name":"a","packageManager":"yarn@4.1.0+sha512.abc","dependencies":{"vue":"^3.4.21"}}`,
				"/app/yarn.lock": "__metadata:\n  version: 8\n  cacheKey: 10c0\n\n\"vue@npm:^3.4.21\":\n  version: 3.4.21\n  resolution: \"vue@npm:3.4.21\"\n  languageName: node\n  linkType: hard\n\n\"a@workspace:.\":\n  version: 0.0.0-use.local\n  resolution: \"a@workspace:.\"\n  languageName: unknown\n  linkType: soft\n"},
			script:  "corepack enable && yarn --version && yarn install --immutable",
			wantOut: []string{"4.1.0\n", "➤ YN0000: · Yarn 4.1.0", "➤ YN0000: · Done"},
			exist:   []string{"/app/.pnp.cjs", "/root/.cache/node/corepack/v1/yarn/4.1.0/package.json"}, absent: []string{"/app/node_modules/vue"},
			links: map[string]string{"/usr/local/bin/yarn": "../lib/node_modules/corepack/dist/yarn.js", "/usr/local/bin/pnpm": "../lib/node_modules/corepack/dist/pnpm.js"}},
		{name: "berry --immutable fails when the lockfile would change", fs: nodeImageFS, dir: "/app",
			files: map[string]string{"/app/package.json": `{"name":"a","packageManager":"yarn@4.1.0","dependencies":{"vue":"^3.4.21","react":"^18.2.0"}}`,
				"/app/yarn.lock": "__metadata:\n  version: 8\n\n\"vue@npm:^3.4.21\":\n  version: 3.4.21\n"},
			script: "corepack enable && yarn install --immutable", wantCode: 1,
			wantOut: []string{"➤ YN0028: │ +react@npm:^18.2.0", "The lockfile would have been modified by this install, which is explicitly forbidden."}},
		{name: "pnpm 9 lockfile: .pnpm store layout, symlinks, .bin shim that runs the build", fs: nodeImageFS, dir: "/app",
			files: map[string]string{"/app/package.json": viteApp, "/app/index.html": "<html></html>", "/app/src/main.js": "1\n",
				"/app/pnpm-lock.yaml": "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      vue:\n        specifier: ^3.4.21\n        version: 3.4.21\n    devDependencies:\n      vite:\n        specifier: ^5.1.6\n        version: 5.1.6(@types/node@20.0.0)\n\npackages:\n\n  vite@5.1.6:\n    resolution: {integrity: sha512-x}\n    hasBin: true\n\nsnapshots:\n\n  vue@3.4.21: {}\n\n  vite@5.1.6(@types/node@20.0.0):\n    dependencies:\n      rollup: 4.13.0\n\n  rollup@4.13.0: {}\n"},
			script:  "npm i -g pnpm && pnpm install --frozen-lockfile && pnpm run build",
			wantOut: []string{"Lockfile is up to date, resolution step is skipped", "+ vue 3.4.21", "devDependencies:\n+ vite 5.1.6", "vite: built"},
			links: map[string]string{"/app/node_modules/vite": ".pnpm/vite@5.1.6_@types+node@20.0.0/node_modules/vite",
				"/app/node_modules/.pnpm/vite@5.1.6_@types+node@20.0.0/node_modules/rollup": "../../rollup@4.13.0/node_modules/rollup",
				"/app/node_modules/.pnpm/node_modules/rollup":                               "../rollup@4.13.0/node_modules/rollup"},
			exist: []string{"/app/node_modules/.pnpm/rollup@4.13.0/node_modules/rollup/package.json", "/app/node_modules/.bin/vite", "/app/node_modules/.modules.yaml", "/app/dist/index.html"}},
		{name: "pnpm --frozen-lockfile: outdated and absent lockfiles", fs: nodeImageFS, dir: "/app",
			files: map[string]string{"/app/package.json": `{"name":"a","dependencies":{"vue":"^3.5.0"}}`,
				"/app/pnpm-lock.yaml": "lockfileVersion: '6.0'\n\ndependencies:\n  vue:\n    specifier: ^3.4.21\n    version: 3.4.21\n"},
			script: "npm i -g pnpm; pnpm install --frozen-lockfile; echo code=$?; rm pnpm-lock.yaml; pnpm install --frozen-lockfile; echo code=$?",
			wantOut: []string{` ERR_PNPM_OUTDATED_LOCKFILE  Cannot install with "frozen-lockfile" because pnpm-lock.yaml is not up to date with <ROOT>/package.json`, "code=1",
				` ERR_PNPM_NO_LOCKFILE  Cannot install with "frozen-lockfile" because pnpm-lock.yaml is absent`}},
		{name: "pnpm refuses a typo with ERR_PNPM_FETCH_404; --prod leaves dev out and writes a lockfile", fs: nodeImageFS, dir: "/app",
			files:    map[string]string{"/app/package.json": viteApp},
			script:   "corepack enable pnpm && pnpm install --prod && pnpm add exprses",
			wantCode: 1,
			wantOut:  []string{"devDependencies: skipped", " ERR_PNPM_FETCH_404  GET https://registry.npmjs.org/exprses: Not Found - 404", "exprses is not in the npm registry"},
			exist:    []string{"/app/pnpm-lock.yaml", "/app/node_modules/vue"}, absent: []string{"/app/node_modules/vite"}},
		{name: "corepack prepare --activate sets the pnpm a project without packageManager runs", fs: nodeImageFS, dir: "/app",
			files:   map[string]string{"/app/package.json": `{"name":"a"}`},
			script:  "corepack enable && corepack prepare pnpm@8.15.4 --activate && pnpm --version",
			wantOut: []string{"Preparing pnpm@8.15.4 for immediate activation...", "8.15.4\n"}},
		{name: "npm i -g yarn fails on the image's own yarn as npm does", fs: nodeImageFS,
			script: "npm i -g yarn", wantCode: 1,
			wantOut: []string{"code EEXIST", "File exists: /usr/local/bin/yarn"}},
	})
}

// TestParsePnpmLockFormats: the three lockfile generations give the same graph.
func TestParsePnpmLockFormats(t *testing.T) {
	tests := []struct{ name, lock string }{
		{"5.4", "lockfileVersion: 5.4\n\nspecifiers:\n  next: 14.1.3\n\ndependencies:\n  next: 14.1.3_react@18.2.0\n\npackages:\n\n  /next/14.1.3_react@18.2.0:\n    resolution: {integrity: x}\n    dependencies:\n      react: 18.2.0\n\n  /react/18.2.0:\n    resolution: {integrity: y}\n"},
		{"6.0", "lockfileVersion: '6.0'\n\ndependencies:\n  next:\n    specifier: 14.1.3\n    version: 14.1.3(react@18.2.0)\n\npackages:\n\n  /next@14.1.3(react@18.2.0):\n    resolution: {integrity: x}\n    dependencies:\n      react: 18.2.0\n\n  /react@18.2.0:\n    resolution: {integrity: y}\n"},
		{"9.0", "lockfileVersion: '9.0'\n\nimporters:\n\n  .:\n    dependencies:\n      next:\n        specifier: 14.1.3\n        version: 14.1.3(react@18.2.0)\n\npackages:\n\n  next@14.1.3:\n    resolution: {integrity: x}\n\n  react@18.2.0:\n    resolution: {integrity: y}\n\nsnapshots:\n\n  next@14.1.3(react@18.2.0):\n    dependencies:\n      react: 18.2.0\n\n  react@18.2.0: {}\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := parsePnpmLock([]byte(tc.lock))
			im := l.importers["."]
			if im == nil || len(im.deps) != 1 || im.specs["next"] != "14.1.3" {
				t.Fatalf("importer = %+v", im)
			}
			k := l.pkgs[im.deps[0].ref]
			if k == nil || k.name != "next" || k.version != "14.1.3" {
				t.Fatalf("next = %+v (ref %q, pkgs %v)", k, im.deps[0].ref, l.pkgs)
			}
			if len(k.deps) != 1 || l.pkgs[k.deps[0].spec] == nil || l.pkgs[k.deps[0].spec].version != "18.2.0" {
				t.Fatalf("next's deps = %+v", k.deps)
			}
		})
	}
}
