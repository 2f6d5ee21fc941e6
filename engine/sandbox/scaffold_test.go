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
		{name: "npx create-react-app under npm 10 and React 19: template deps fail with ERESOLVE, exit 0 as CRA does", dir: "/app", script: "npx create-react-app my-app",
			want:    []string{"Creating a new React app in /app/my-app.", "Installing react, react-dom, and react-scripts with cra-template...", "Installing template dependencies using npm...", "ERESOLVE unable to resolve dependency tree", "peer react@\"^18.0.0\" from @testing-library/react@13.4.0", "` failed"},
			exist:   []string{"/app/my-app/public/index.html", "/app/my-app/public/manifest.json", "/app/my-app/public/robots.txt", "/app/my-app/src/App.js", "/app/my-app/src/index.js", "/app/my-app/src/reportWebVitals.js", "/app/my-app/src/setupTests.js", "/app/my-app/src/App.test.js", "/app/my-app/.gitignore", "/app/my-app/package.json"},
			pkgName: "my-app", deps: map[string]string{"react-scripts": "5.0.1", "react": "^19.0.0", "cra-template": "1.2.0", "web-vitals": ""}, scripts: map[string]string{"build": "react-scripts build"}},
		{name: "yarn create react-app --template typescript installs the template deps with yarn", dir: "/app", script: "yarn create react-app web --template typescript",
			want:  []string{"Installing template dependencies using yarnpkg...", "unmet peer dependency", "Success! Created web at /app/web", "  yarn start", "Happy hacking!"},
			exist: []string{"/app/web/src/App.tsx", "/app/web/src/index.tsx", "/app/web/tsconfig.json", "/app/web/src/react-app-env.d.ts"}, absent: []string{"/app/web/src/App.js"},
			pkgName: "web", deps: map[string]string{"web-vitals": "^2.1.0", "@testing-library/react": "^13.0.0", "typescript": "^4.4.2", "react-scripts": "5.0.1", "cra-template-typescript": ""}, scripts: map[string]string{"test": "react-scripts test"}},
		{name: "create-next-app with every flag does not prompt", dir: "/app", script: "npx create-next-app@latest site --ts --eslint --tailwind --app --src-dir --turbopack --import-alias '@/*' --use-npm",
			want:  []string{"Creating a new Next.js app in /app/site.", "Using npm.", "Initializing project with template: app-tw", "Installing devDependencies:\n- typescript", "Success! Created site at /app/site"},
			exist: []string{"/app/site/src/app/layout.tsx", "/app/site/src/app/page.tsx", "/app/site/tailwind.config.ts", "/app/site/eslint.config.mjs", "/app/site/next.config.ts", "/app/site/node_modules/next/package.json"}, absent: []string{"/app/site/app"},
			pkgName: "site", deps: map[string]string{"next": "15.1.7", "react": "^19.0.0", "tailwindcss": "^3.4.1", "eslint-config-next": "15.1.7"}, scripts: map[string]string{"build": "next build", "dev": "next dev --turbopack", "lint": "next lint"}},
		{name: "create-next-app with CI=1 takes the defaults", dir: "/app", script: "CI=1 npx create-next-app@latest web --js --no-tailwind --no-eslint --skip-install",
			want: []string{"template: app "}, exist: []string{"/app/web/app/page.js", "/app/web/jsconfig.json", "/app/web/app/page.module.css"}, absent: []string{"/app/web/tsconfig.json", "/app/web/eslint.config.mjs", "/app/web/node_modules"},
			pkgName: "web", deps: map[string]string{"typescript": "", "next": "15.1.7"}, scripts: map[string]string{"dev": "next dev --turbopack", "lint": ""}},
		{name: "create-next-app without flags or CI prompts and writes nothing", dir: "/app", script: "npx create-next-app@latest web",
			want: []string{"? Would you like to use TypeScript?", "layerlab: create-next-app prompted"}, absent: []string{"/app/web"}},
		{name: "create-next-app --pages through pnpm dlx uses pnpm", dir: "/app", script: "corepack enable pnpm && pnpm dlx create-next-app web --ts --no-eslint --no-tailwind --no-app --no-src-dir --no-turbopack --import-alias '~/*' --skip-install",
			want: []string{"Using pnpm.", "template: default "}, exist: []string{"/app/web/pages/index.tsx", "/app/web/pages/api/hello.ts", "/app/web/styles/Home.module.css"}, pkgName: "web", scripts: map[string]string{"dev": "next dev"}},
		{name: "npm create vue@latest NAME -- --default", dir: "/app", script: "npm create vue@latest shop -- --default",
			want:  []string{"Vue.js - The Progressive JavaScript Framework", "Scaffolding project in /app/shop...", "  cd shop\n  npm install\n  npm run dev"},
			exist: []string{"/app/shop/src/App.vue", "/app/shop/src/main.js", "/app/shop/vite.config.js", "/app/shop/jsconfig.json", "/app/shop/index.html"}, absent: []string{"/app/shop/src/router", "/app/shop/node_modules"},
			pkgName: "shop", deps: map[string]string{"vue": "^3.5.13", "vite": "^6.0.11", "vue-router": ""}, scripts: map[string]string{"build": "vite build"}},
		{name: "create-vue with --ts --router --pinia", dir: "/app", script: "npm create vue@latest shop -- --ts --router --pinia",
			exist:   []string{"/app/shop/src/main.ts", "/app/shop/src/router/index.ts", "/app/shop/src/stores/counter.ts", "/app/shop/tsconfig.app.json", "/app/shop/src/views/AboutView.vue"},
			pkgName: "shop", deps: map[string]string{"vue-router": "^4.5.0", "pinia": "^2.3.1", "vue-tsc": "^2.2.0"}, scripts: map[string]string{"type-check": "vue-tsc --build"}},
		{name: "create-vue without feature flags prompts", dir: "/app", script: "npm create vue@latest shop",
			want: []string{"? Add TypeScript?"}, absent: []string{"/app/shop"}},
		{name: "create-vue's not-carried features fail naming them", dir: "/app", script: "npm create vue@latest shop -- --vitest", code: 1,
			want: []string{"create-vue's --vitest is real, but the sandbox carries only"}, absent: []string{"/app/shop"}},
		{name: "yarn create vue names yarn in its closing lines", dir: "/app", script: "yarn create vue shop --default",
			want: []string{"yarn create v", "  yarn\n  yarn dev"}, exist: []string{"/app/shop/src/App.vue"}},
		{name: "yarn create with an unsimulated generator says so", dir: "/app", script: "yarn create foobarbaz-app x", code: 127,
			want: []string{"runs create-foobarbaz-app, a project generator the sandbox does not simulate"}},
		{name: "npm init -y still writes package.json", dir: "/app", script: "npm init -y", want: []string{"Wrote to /app/package.json"}, pkgName: "app"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := nodeImageFS(t)
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

// TestGeneratedProjectsBuild: each generator's project builds with its own build
// script through the simulated build CLIs, writing the framework's usual output.
func TestGeneratedProjectsBuild(t *testing.T) {
	tests := []struct {
		name, script, out string
	}{
		{"create-react-app under yarn, yarn build", "yarn create react-app web && cd web && yarn build", "/app/web/build/index.html"},
		{"create-next-app, npm run build", "npx create-next-app@latest web --ts --eslint --tailwind --app --no-src-dir --turbopack --import-alias '@/*' && cd web && npm run build", "/app/web/.next/BUILD_ID"},
		{"create-vue --default, npm install and build", "npm create vue@latest web -- --default && cd web && npm install && npm run build", "/app/web/dist/index.html"},
		{"create-vue --ts: run-p with {@} placeholders", "npm create vue@latest web -- --ts --router && cd web && npm install && npm run build", "/app/web/dist/index.html"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := nodeImageFS(t)
			f.MkdirAll("/app", 0o755, 0, 0, testNow)
			r := run(t, f, tc.script, func(o *Options) { o.Dir = "/app" })
			if r.code != 0 || r.err != nil {
				t.Fatalf("exit %d, %v\n%s", r.code, r.err, r.out)
			}
			if !exists(f, tc.out) {
				t.Errorf("%s not written:\n%s", tc.out, r.out)
			}
		})
	}
}
