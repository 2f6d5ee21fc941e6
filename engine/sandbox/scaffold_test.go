package sandbox

import (
	"encoding/json"
	"strings"
	"testing"

	"layerlab/engine/rootfs"
)

// TestScaffoldGenerators runs each project generator as a Dockerfile does and checks
// the files it writes, its package.json and its lines; prompts no flag answers end as
// they do with no terminal: exit 0, nothing written.
func TestScaffoldGenerators(t *testing.T) {
	tests := []struct {
		name    string
		files   map[string]string
		dir     string
		script  string
		code    int
		want    []string // log lines
		exist   []string
		absent  []string
		pkgName string            // package.json's name
		deps    map[string]string // package.json dependencies and devDependencies it must hold
		scripts map[string]string
	}{
		{name: "npm init vite@latest NAME -- --template vue", dir: "/app", script: "npm init vite@latest my-app -- --template vue",
			want:  []string{"npm warn exec The following package was not found and will be installed: create-vite@", "Scaffolding project in /app/my-app...", "Done. Now run:", "  cd my-app\n  npm install\n  npm run dev"},
			exist: []string{"/app/my-app/index.html", "/app/my-app/src/main.js", "/app/my-app/src/App.vue", "/app/my-app/vite.config.js", "/app/my-app/.gitignore", "/app/my-app/public/vite.svg", "/app/my-app/README.md"}, absent: []string{"/app/my-app/_gitignore"},
			pkgName: "my-app", deps: map[string]string{"vue": "^3.5.13", "@vitejs/plugin-vue": "^5.2.1", "vite": "^6.1.0"}, scripts: map[string]string{"build": "vite build"}},
		{name: "npm create vite@latest . -- --template react-ts names the package after the directory", dir: "/web", script: "npm create vite@latest . -- --template react-ts",
			want: []string{"Scaffolding project in /web...", "  npm install\n  npm run dev"}, exist: []string{"/web/src/main.tsx", "/web/tsconfig.app.json", "/web/eslint.config.js"},
			pkgName: "web", deps: map[string]string{"react": "^19.0.0", "typescript": "~5.7.2"}, scripts: map[string]string{"build": "tsc -b && vite build"}},
		{name: "npx create-vite with -t", dir: "/app", script: "npx create-vite@latest site -t vanilla-ts",
			exist: []string{"/app/site/src/counter.ts"}, pkgName: "site", deps: map[string]string{"typescript": "~5.7.2"}},
		{name: "--template before -- is npm's own option: the generator prompts and writes nothing", dir: "/app", script: "npm create vite@latest my-app --template vue",
			want:   []string{`npm warn Unknown cli config "--template"`, "? Select a framework", "layerlab: create-vite prompted", "exits 0 without writing any file"},
			absent: []string{"/app/my-app/package.json", "/app/my-app"}},
		{name: "@vitejs/create-app in . asks for a package name (corpus 044's shape)", dir: "/app", script: "npm init @vitejs/app . --template vue",
			want: []string{`Unknown cli config "--template"`, "create-app@2.5.2", "? Package name:"}, absent: []string{"/app/package.json"}},
		{name: "@vitejs/create-app with a name writes 2021's package.json", dir: "/app", script: "npm init @vitejs/app blog -- --template vue",
			exist: []string{"/app/blog/src/App.vue"}, pkgName: "blog", deps: map[string]string{"vite": "^2.5.2", "@vitejs/plugin-vue": "^1.6.0", "@vue/compiler-sfc": "^3.2.6"}, scripts: map[string]string{"serve": "vite preview"}},
		{name: "a non-empty target prompts", dir: "/app", files: map[string]string{"/app/x/keep": "k"}, script: "npm create vite@latest x -- --template vue",
			want: []string{`Target directory "x" is not empty`}, absent: []string{"/app/x/package.json"}},
		{name: "--overwrite empties the target", dir: "/app", files: map[string]string{"/app/x/keep": "k"}, script: "npm create vite@latest x -- --template vue --overwrite",
			exist: []string{"/app/x/package.json"}, absent: []string{"/app/x/keep"}, pkgName: "x"},
		{name: "an invalid template name is create-vite's prompt", dir: "/app", script: "npm create vite@latest x -- --template angular",
			want: []string{`"angular" isn't a valid template`}, absent: []string{"/app/x"}},
		{name: "a real template the sandbox does not carry fails naming it", dir: "/app", script: "npm create vite@latest x -- --template svelte", code: 1,
			want: []string{`"svelte" template is real, but the sandbox carries only`}, absent: []string{"/app/x"}},
		{name: "npx express-generator", dir: "/srv", script: "npx express-generator --view=ejs api && test -x api/bin/www",
			want:  []string{"   create : api/routes/index.js", "   create : api/views/", "     $ cd api", "DEBUG=api:* npm start"},
			exist: []string{"/srv/api/app.js", "/srv/api/views/index.ejs", "/srv/api/public/stylesheets/style.css"}, pkgName: "api",
			deps: map[string]string{"express": "~4.16.1", "ejs": "~2.6.1", "morgan": "~1.9.1"}, scripts: map[string]string{"start": "node ./bin/www"}},
		{name: "express-generator without --view warns and uses jade", dir: "/srv", script: "npx express-generator .",
			want: []string{"warning: the default view engine will not be jade"}, exist: []string{"/srv/views/layout.jade"}, pkgName: "srv", deps: map[string]string{"jade": "~1.11.0"}},
		{name: "an unknown initializer is not simulated, naming its package", dir: "/app", script: "npm init foobarbaz", code: 127,
			want: []string{"npm init foobarbaz (runs create-foobarbaz, a project generator the sandbox does not simulate)"}},
		{name: "npm init -y still writes package.json", dir: "/app", script: "npm init -y", want: []string{"Wrote to /app/package.json"}, pkgName: "app"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := npmFS(t)
			f.MkdirAll(tc.dir, 0o755, 0, 0, testNow)
			for p, c := range tc.files {
				put(t, f, p, c, 0o644)
			}
			r := run(t, f, tc.script, func(o *Options) { o.Dir = tc.dir })
			if r.code != tc.code || r.err != nil {
				t.Fatalf("exit %d (want %d), %v\n%s", r.code, tc.code, r.err, r.out)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.out, w) {
					t.Errorf("log lacks %q:\n%s", w, r.out)
				}
			}
			for _, p := range tc.exist {
				if !exists(f, p) {
					t.Errorf("%s not written", p)
				}
			}
			for _, p := range tc.absent {
				if exists(f, p) {
					t.Errorf("%s written", p)
				}
			}
			if tc.pkgName == "" {
				return
			}
			var pj packageJSON
			root := tc.dir
			for _, p := range tc.exist {
				if strings.HasSuffix(p, "/package.json") || root == tc.dir && strings.Count(strings.TrimPrefix(p, tc.dir+"/"), "/") >= 1 {
					root = tc.dir + "/" + strings.SplitN(strings.TrimPrefix(p, tc.dir+"/"), "/", 2)[0]
					break
				}
			}
			if !exists(f, root+"/package.json") {
				root = tc.dir
			}
			if err := json.Unmarshal([]byte(readFS(t, f, root+"/package.json")), &pj); err != nil {
				t.Fatalf("package.json: %v", err)
			}
			if pj.Name != tc.pkgName {
				t.Errorf("package.json name %q, want %q", pj.Name, tc.pkgName)
			}
			for k, v := range tc.deps {
				if got := pj.Dependencies[k] + pj.DevDependencies[k]; got != v {
					t.Errorf("package.json %s = %q, want %q", k, got, v)
				}
			}
			for k, v := range tc.scripts {
				if pj.Scripts[k] != v {
					t.Errorf("script %s = %q, want %q", k, pj.Scripts[k], v)
				}
			}
		})
	}
}

// TestScaffoldDeterministic: the same command writes the same bytes, and the project it
// writes installs and builds with the catalog's packages.
func TestScaffoldDeterministic(t *testing.T) {
	tree := func() map[string]string {
		f := npmFS(t)
		f.MkdirAll("/app", 0o755, 0, 0, testNow)
		r := run(t, f, "npm create vite@latest web -- --template vue && cd web && npm install && npm run build", func(o *Options) { o.Dir = "/app" })
		if r.code != 0 || r.err != nil {
			t.Fatalf("exit %d, %v\n%s", r.code, r.err, r.out)
		}
		out := map[string]string{}
		f.Walk(func(p string, e *rootfs.Entry) error {
			if strings.HasPrefix(p, "app/web/") && !strings.Contains(p, "node_modules") && e.Kind == rootfs.KindFile {
				b, _ := f.ReadFile("/" + p)
				out[p] = string(b)
			}
			return nil
		})
		return out
	}
	a, b := tree(), tree()
	if len(a) < 10 {
		t.Fatalf("only %d files written: %v", len(a), a)
	}
	if _, ok := a["app/web/dist/index.html"]; !ok {
		t.Errorf("npm run build wrote no dist/index.html: %v", a)
	}
	for p, c := range a {
		if b[p] != c {
			t.Errorf("%s differs between two runs", p)
		}
	}
}
