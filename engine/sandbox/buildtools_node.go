package sandbox

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"layerlab/engine/rootfs"
)

// The node build CLIs a package.json script calls: tsc, vite, next, react-scripts,
// nest, webpack, ng and vue-cli-service. How one becomes available: npm installs a
// package's bins as files in node_modules/.bin (nodeBins says which package provides
// which), `npm run` puts node_modules/.bin on PATH, and the sandbox finds the file
// there and, since its #! line names node (which the sandbox does not run), dispatches
// by its base name to the Go code registered here. Without the package installed the
// command is "not found", as in Docker.
//
// Their outputs (bundles, compiled .js) are artefacts of the project's files
// (node_modules and earlier outputs left out), the tool's config, NODE_ENV and the
// variables bundlers inline (VITE_*, NEXT_PUBLIC_*, REACT_APP_*, VUE_APP_*); content
// hashes in file names come from the same digest, as the real tools' do.

func init() {
	register(map[string]cmdFunc{
		"tsc": cmdTsc, "vite": cmdNodeBuild, "next": cmdNodeBuild, "react-scripts": cmdNodeBuild, "nest": cmdNodeBuild,
		"webpack": cmdNodeBuild, "webpack-cli": cmdNodeBuild, "ng": cmdNodeBuild, "vue-cli-service": cmdNodeBuild,
	})
}

// nodeBins maps an npm package to the executables it installs into node_modules/.bin,
// for the package manager simulation to write (each a `#!/usr/bin/env node` script).
var nodeBins = map[string][]string{
	"typescript": {"tsc", "tsserver"}, "vite": {"vite"}, "next": {"next"}, "react-scripts": {"react-scripts"},
	"@nestjs/cli": {"nest"}, "webpack": {"webpack"}, "webpack-cli": {"webpack-cli"}, "@angular/cli": {"ng"},
	"@vue/cli-service": {"vue-cli-service"},
}

// nodeSkip are the directories a web build does not read as sources.
var nodeSkip = []string{"node_modules", ".git", ".next", "dist", "build", "out", "coverage", ".turbo", ".cache"}

// nodeDigest is the digest of a front-end project as a bundler sees it.
func (p *proc) nodeDigest(tool, dir string, extra ...string) (string, bool) {
	env := p.envPairs("NODE_ENV")
	for _, kv := range p.environ() {
		for _, pre := range []string{"VITE_", "NEXT_PUBLIC_", "REACT_APP_", "VUE_APP_"} {
			if strings.HasPrefix(kv, pre) {
				env = append(env, kv)
			}
		}
	}
	return p.digestOf([]string{dir}, nodeSkip, append(append([]string{tool}, extra...), env...)...)
}

// projectRoot is the nearest directory holding package.json, from the working one up.
func (p *proc) projectRoot() string {
	for dir := p.dir; ; dir = path.Dir(dir) {
		if p.isFile(path.Join(dir, "package.json")) {
			return dir
		}
		if dir == "/" {
			return p.dir
		}
	}
}

// stripJSONComments removes // and /* */ comments and trailing commas (tsconfig.json
// is JSON with comments).
func stripJSONComments(b []byte) []byte {
	var out []byte
	inStr := false
	for i := 0; i < len(b); i++ {
		c := b[i]
		if inStr {
			out = append(out, c)
			if c == '\\' && i+1 < len(b) {
				i++
				out = append(out, b[i])
			} else if c == '"' {
				inStr = false
			}
			continue
		}
		switch {
		case c == '"':
			inStr = true
			out = append(out, c)
		case c == '/' && i+1 < len(b) && b[i+1] == '/':
			for i < len(b) && b[i] != '\n' {
				i++
			}
			out = append(out, '\n')
		case c == '/' && i+1 < len(b) && b[i+1] == '*':
			i += 2
			for i+1 < len(b) && !(b[i] == '*' && b[i+1] == '/') {
				i++
			}
			i++
		default:
			out = append(out, c)
		}
	}
	return regexp.MustCompile(`,(\s*[}\]])`).ReplaceAll(out, []byte("$1"))
}

type tsconfig struct {
	Extends         string `json:"extends"`
	CompilerOptions struct {
		OutDir  string `json:"outDir"`
		RootDir string `json:"rootDir"`
		NoEmit  bool   `json:"noEmit"`
		Target  string `json:"target"`
		Module  string `json:"module"`
	} `json:"compilerOptions"`
	Include    []string  `json:"include"`
	Exclude    []string  `json:"exclude"`
	Files      *[]string `json:"files"`
	References []struct {
		Path string `json:"path"`
	} `json:"references"`
}

// compileTS is tsc's emit: each .ts/.tsx/.mts under the project (declarations and
// node_modules left out) becomes outDir/<relative to rootDir>.js, an artefact of its
// source and the config. It returns the number of files written.
func (p *proc) compileTS(configFile, outOverride string, extra ...string) (int, bool) {
	var cfg tsconfig
	if b, err := p.readFile(configFile); err == nil {
		if err := json.Unmarshal(stripJSONComments(b), &cfg); err != nil {
			fmt.Fprintf(p.out, "%s: error TS5092: The root value of a '%s' file must be an object.\n", configFile, path.Base(configFile))
			return 0, false
		}
	}
	dir := path.Dir(p.abs(configFile))
	// a solution config ("files": [] and references, as Vite's templates write) compiles
	// nothing itself: tsc -b builds each referenced project
	if cfg.Files != nil && len(*cfg.Files) == 0 && len(cfg.References) > 0 {
		total := 0
		for _, r := range cfg.References {
			ref := path.Join(dir, r.Path)
			if p.isDir(ref) {
				ref = path.Join(ref, "tsconfig.json")
			}
			if !p.isFile(ref) {
				p.outf("%s: error TS6053: File '%s' not found.\n", configFile, ref)
				return 0, false
			}
			n, ok := p.compileTS(ref, outOverride, extra...)
			if !ok {
				return 0, false
			}
			total += n
		}
		return total, true
	}
	if cfg.CompilerOptions.NoEmit && outOverride == "" {
		return 0, true
	}
	outDir := dir
	if cfg.CompilerOptions.OutDir != "" {
		outDir = path.Join(dir, cfg.CompilerOptions.OutDir)
	}
	if outOverride != "" {
		outDir = p.abs(outOverride)
	}
	skip := map[string]bool{"node_modules": true, ".git": true}
	if outDir != dir {
		skip[path.Base(outDir)] = true
	}
	for _, e := range cfg.Exclude {
		skip[strings.TrimSuffix(strings.TrimPrefix(e, "./"), "/**/*")] = true
	}
	files := p.findFiles(dir, skip, func(n string) bool {
		return (strings.HasSuffix(n, ".ts") || strings.HasSuffix(n, ".tsx") || strings.HasSuffix(n, ".mts")) && !strings.HasSuffix(n, ".d.ts") &&
			!strings.HasSuffix(n, ".spec.ts") && !strings.HasSuffix(n, ".test.ts")
	})
	if len(cfg.Include) > 0 {
		var kept []string
		for _, f := range files {
			for _, inc := range cfg.Include {
				root := strings.TrimPrefix(strings.SplitN(inc, "*", 2)[0], "./")
				if strings.HasPrefix(f, root) || root == "" {
					kept = append(kept, f)
					break
				}
			}
		}
		files = kept
	}
	root := ""
	if cfg.CompilerOptions.RootDir != "" {
		root = strings.TrimPrefix(path.Clean(cfg.CompilerOptions.RootDir), "./")
	} else if len(files) > 0 {
		// the common directory of the inputs, as tsc computes rootDir
		root = path.Dir(files[0])
		for _, f := range files {
			for root != "." && !strings.HasPrefix(f, root+"/") {
				root = path.Dir(root)
			}
		}
	}
	cfgBytes, _ := p.readFile(configFile)
	for _, f := range files {
		rel := f
		if root != "." && root != "" {
			rel = strings.TrimPrefix(f, root+"/")
		}
		js := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(rel, ".tsx"), ".ts"), ".mts") + ".js"
		digest, ok := p.digestOf([]string{path.Join(dir, f)}, nil, append([]string{"tsc", string(cfgBytes)}, extra...)...)
		if !ok {
			return 0, false
		}
		size := p.fileSize(path.Join(dir, f))*9/10 + 200
		if !p.writeArtefact(path.Join(outDir, js), artefact("tsc", js, digest, size, 256), 0o644) {
			return 0, false
		}
	}
	return len(files), true
}

func cmdTsc(p *proc) int {
	project := "tsconfig.json"
	out := ""
	var extra []string
	for i := 0; i < len(p.args); i++ {
		a := p.args[i]
		switch {
		case a == "-v" || a == "--version":
			p.outf("Version 5.7.3\n")
			return 0
		case (a == "-p" || a == "--project" || a == "-b" || a == "--build") && i+1 < len(p.args):
			i++
			project = p.args[i]
			if p.isDir(project) {
				project = path.Join(project, "tsconfig.json")
			}
		case a == "-b" || a == "--build":
		case a == "--outDir" && i+1 < len(p.args):
			i++
			out = p.args[i]
		case a == "--noEmit":
			return 0
		case a == "-w" || a == "--watch":
			return p.unsupported(a + " (a watcher never ends a build step)")
		case strings.HasPrefix(a, "--") && i+1 < len(p.args) && !strings.HasPrefix(p.args[i+1], "-"):
			extra = append(extra, a+"="+p.args[i+1])
			i++
		case strings.HasPrefix(a, "-"):
			extra = append(extra, a)
		default:
			return p.unsupported("compiling named files (" + a + "); the simulation compiles a tsconfig.json project")
		}
	}
	if !p.isFile(project) {
		p.outf("error TS5058: The specified path does not exist: '%s'.\n", project)
		return 1
	}
	if _, ok := p.compileTS(project, out, extra...); !ok {
		return 2
	}
	return 0
}

// webOut is one bundle file: a path under the output directory, and its size.
type webOut struct {
	name string
	size int64
}

// cmdNodeBuild runs a framework CLI's build: vite build, next build, react-scripts
// build, nest build, webpack, ng build, vue-cli-service build.
func cmdNodeBuild(p *proc) int {
	tool := p.name
	if tool == "webpack-cli" {
		tool = "webpack"
	}
	args := p.args
	sub := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	if sub == "--version" || len(args) > 0 && args[0] == "--version" {
		p.outf("%s (layerlab sandbox)\n", tool)
		return 0
	}
	isBuild := sub == "build" || tool == "webpack" && (sub == "" || sub == "bundle")
	if !isBuild {
		if sub == "" || sub == "dev" || sub == "start" || sub == "serve" || sub == "preview" || sub == "watch" {
			p.errf("%s: the layerlab sandbox builds but does not run servers or watchers", firstNonEmpty(sub, "dev server"))
			return 1
		}
		return p.unsupported(sub)
	}
	dir := p.projectRoot()
	outDir := ""
	var extra []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "--outDir" || a == "--out-dir" || a == "--output-path" || a == "--dest" || a == "-o") && i+1 < len(args):
			i++
			outDir = args[i]
		case strings.HasPrefix(a, "--outDir=") || strings.HasPrefix(a, "--output-path=") || strings.HasPrefix(a, "--dest="):
			outDir = a[strings.Index(a, "=")+1:]
		case (a == "--mode" || a == "--config" || a == "-c" || a == "--configuration" || a == "--base" || a == "--env" || a == "--project" || a == "-p") && i+1 < len(args):
			extra = append(extra, a+"="+args[i+1])
			i++
		case strings.HasPrefix(a, "--mode=") || strings.HasPrefix(a, "--configuration=") || strings.HasPrefix(a, "--base=") || strings.HasPrefix(a, "--env=") || a == "--prod" || a == "--production" || a == "--minify" || a == "--sourcemap" || a == "--emptyOutDir" || a == "--no-lint" || a == "--debug" || a == "--profile" || a == "--modern" || a == "--webpack" || a == "--turbopack" || a == "--no-mangling":
			extra = append(extra, a)
		default:
			return p.unsupported("option " + a)
		}
	}
	digest, ok := p.nodeDigest(tool, dir, extra...)
	if !ok {
		return 1
	}
	h := digest[:8]
	srcSize := int64(0)
	for _, f := range p.findFiles(dir, map[string]bool{"node_modules": true, ".git": true, ".next": true, "dist": true, "build": true}, func(n string) bool {
		return strings.HasSuffix(n, ".js") || strings.HasSuffix(n, ".jsx") || strings.HasSuffix(n, ".ts") || strings.HasSuffix(n, ".tsx") || strings.HasSuffix(n, ".vue") || strings.HasSuffix(n, ".svelte")
	}) {
		srcSize += p.fileSize(path.Join(dir, f))
	}
	// A framework's runtime dominates a bundle: about 140 kB of React, 60 kB of Vue.
	app := srcSize/2 + 2*kib
	var outs []webOut
	copyPublic := ""
	switch tool {
	case "vite":
		outDir = firstNonEmpty(outDir, "dist")
		outs = []webOut{{"assets/index-" + h + ".js", 60*kib + app}, {"assets/index-" + h[4:] + h[:4] + ".css", 4*kib + app/8}}
		copyPublic = "public"
	case "react-scripts":
		outDir = firstNonEmpty(p.getenv("BUILD_PATH"), outDir, "build")
		outs = []webOut{{"static/js/main." + h + ".js", 140*kib + app}, {"static/css/main." + h[4:] + ".css", 2*kib + app/8}, {"asset-manifest.json", 600}}
		copyPublic = "public"
	case "vue-cli-service":
		outDir = firstNonEmpty(outDir, "dist")
		outs = []webOut{{"js/app." + h + ".js", 10*kib + app}, {"js/chunk-vendors." + h[2:] + ".js", 90 * kib}, {"css/app." + h[3:] + ".css", 1*kib + app/8}}
		copyPublic = "public"
	case "ng":
		name := path.Base(dir)
		if b, err := p.readFile(path.Join(dir, "angular.json")); err == nil {
			if m := regexp.MustCompile(`"outputPath"\s*:\s*"([^"]+)"`).FindSubmatch(b); m != nil {
				outDir = firstNonEmpty(outDir, string(m[1]))
			}
		}
		outDir = firstNonEmpty(outDir, path.Join("dist", name))
		outs = []webOut{{"main-" + strings.ToUpper(h) + ".js", 180*kib + app}, {"polyfills-" + strings.ToUpper(h[2:]) + ".js", 34 * kib}, {"styles-" + strings.ToUpper(h[4:]) + ".css", 1 * kib}}
		copyPublic = "src/assets"
	case "webpack":
		outDir = firstNonEmpty(outDir, "dist")
		name := "main.js"
		if b, err := p.readFile(path.Join(dir, "webpack.config.js")); err == nil {
			if m := regexp.MustCompile(`filename\s*:\s*['"]([^'"\[]+)['"]`).FindSubmatch(b); m != nil {
				name = string(m[1])
			}
			if m := regexp.MustCompile(`path\s*:\s*path\.(?:resolve|join)\(\s*__dirname\s*,\s*['"]([^'"]+)['"]`).FindSubmatch(b); m != nil && outDir == "dist" {
				outDir = string(m[1])
			}
		}
		outs = []webOut{{name, 5*kib + app}}
	case "nest":
		n, ok := p.compileTS(path.Join(dir, "tsconfig.build.json"), "", extra...)
		if !p.isFile(path.Join(dir, "tsconfig.build.json")) {
			n, ok = p.compileTS(path.Join(dir, "tsconfig.json"), "", extra...)
		}
		if !ok {
			return 1
		}
		if n == 0 {
			p.errf("error: no TypeScript sources to build under %s", dir)
			return 1
		}
		return 0
	case "next":
		return p.nextBuild(dir, digest, app)
	}
	out := path.Join(dir, outDir)
	if path.IsAbs(outDir) {
		out = outDir
	}
	p.removeAll(out)
	for _, o := range outs {
		if !p.writeArtefact(path.Join(out, o.name), artefact(tool, o.name, digest, o.size, 0), 0o644) {
			return 1
		}
	}
	// index.html: the project's own (vite) or the public one, pointing at the bundles
	if tool != "webpack" {
		html := "<!doctype html><html><head><meta charset=\"utf-8\"><title>app</title></head><body><div id=\"root\"></div></body></html>\n"
		for _, src := range []string{path.Join(dir, "index.html"), path.Join(dir, "public/index.html"), path.Join(dir, "src/index.html")} {
			if b, err := p.readFile(src); err == nil {
				html = string(b)
				break
			}
		}
		var tags strings.Builder
		for _, o := range outs {
			switch {
			case strings.HasSuffix(o.name, ".js"):
				fmt.Fprintf(&tags, "<script type=\"module\" crossorigin src=\"/%s\"></script>", o.name)
			case strings.HasSuffix(o.name, ".css"):
				fmt.Fprintf(&tags, "<link rel=\"stylesheet\" href=\"/%s\">", o.name)
			}
		}
		if i := strings.Index(html, "</head>"); i >= 0 {
			html = html[:i] + tags.String() + html[i:]
		} else {
			html += tags.String()
		}
		if !p.writeArtefact(path.Join(out, "index.html"), rootfs.Bytes(html), 0o644) {
			return 1
		}
	}
	if copyPublic != "" {
		src := path.Join(dir, copyPublic)
		for _, rel := range p.findFiles(src, nil, func(string) bool { return true }) {
			if rel == "index.html" {
				continue
			}
			e, err := p.s.stat(path.Join(src, rel))
			if err != nil || !p.writeArtefact(path.Join(out, rel), dataOf(e), 0o644) {
				return 1
			}
		}
	}
	var total int64
	for _, o := range outs {
		total += o.size
	}
	p.outf("%s: built %d files into %s (%s)\n", tool, len(outs)+1, strings.TrimPrefix(out, dir+"/"), kb(total))
	return 0
}

// nextBuild writes .next/: BUILD_ID, static chunks, the server bundle and, when
// next.config says output: 'standalone', .next/standalone with server.js.
func (p *proc) nextBuild(dir, digest string, app int64) int {
	next := path.Join(dir, ".next")
	p.removeAll(next)
	standalone := false
	for _, n := range []string{"next.config.js", "next.config.mjs", "next.config.ts", "next.config.cjs"} {
		if b, err := p.readFile(path.Join(dir, n)); err == nil && regexp.MustCompile(`output\s*:\s*['"]standalone['"]`).Match(b) {
			standalone = true
		}
	}
	id := digest[:21]
	files := []webOut{
		{"static/chunks/framework-" + digest[:16] + ".js", 140 * kib},
		{"static/chunks/main-" + digest[16:32] + ".js", 110 * kib},
		{"static/chunks/app/page-" + digest[32:48] + ".js", 2*kib + app},
		{"static/" + id + "/_buildManifest.js", 1 * kib},
		{"server/app/page.js", 8*kib + app},
		{"server/webpack-runtime.js", 4 * kib},
	}
	for _, f := range files {
		if !p.writeArtefact(path.Join(next, f.name), artefact("next", f.name, digest, f.size, 0), 0o644) {
			return 1
		}
	}
	for _, f := range [][2]string{{"BUILD_ID", id}, {"build-manifest.json", "{\"pages\":{}}\n"}, {"required-server-files.json", "{\"version\":1}\n"}} {
		if !p.writeArtefact(path.Join(next, f[0]), rootfs.Bytes(f[1]), 0o644) {
			return 1
		}
	}
	if standalone {
		sa := path.Join(next, "standalone")
		pj, _ := p.readFile(path.Join(dir, "package.json"))
		if !p.writeArtefact(path.Join(sa, "server.js"), artefact("next", "standalone/server.js", digest, 7*kib, 0), 0o644) ||
			!p.writeArtefact(path.Join(sa, "package.json"), rootfs.Bytes(pj), 0o644) ||
			!p.writeArtefact(path.Join(sa, ".next/BUILD_ID"), rootfs.Bytes(id), 0o644) ||
			!p.writeArtefact(path.Join(sa, ".next/server/app/page.js"), artefact("next", "server/app/page.js", digest, 8*kib+app, 0), 0o644) {
			return 1
		}
		// the traced node_modules: the packages the server imports (next itself and its runtime deps)
		for _, n := range p.listDir(path.Join(dir, "node_modules")) {
			if n != "next" && n != "react" && n != "react-dom" && n != "@next" && n != "styled-jsx" {
				continue
			}
			src := path.Join(dir, "node_modules", n)
			for _, rel := range p.findFiles(src, nil, func(string) bool { return true }) {
				e, err := p.s.stat(path.Join(src, rel))
				if err == nil {
					p.writeArtefact(path.Join(sa, "node_modules", n, rel), dataOf(e), 0o644)
				}
			}
		}
	}
	p.outf("   ▲ Next.js (layerlab sandbox)\n\n   Creating an optimized production build ...\n ✓ Compiled successfully\n")
	if standalone {
		p.outf("   standalone output: .next/standalone\n")
	}
	return 0
}

// Script runners a package.json script calls: npm-run-all (run-s, run-p), concurrently,
// cross-env, rimraf, shx and dotenv-cli. They run other scripts and commands in the
// sandbox; a parallel runner runs its tasks one after another and says so.

func init() {
	register(map[string]cmdFunc{
		"npm-run-all": cmdNpmRunAll, "run-s": cmdNpmRunAll, "run-p": cmdNpmRunAll,
		"concurrently": cmdConcurrently, "conc": cmdConcurrently,
		"cross-env": cmdCrossEnv, "cross-env-shell": cmdCrossEnv, "rimraf": cmdRimraf, "shx": cmdShx, "dotenv": cmdDotenv,
		"rollup": cmdRollup, "esbuild": cmdEsbuild, "tsup": cmdTsup, "parcel": cmdParcel, "turbo": cmdTurbo, "svgr": cmdSvgr,
		"gatsby": cmdNodeSite, "astro": cmdNodeSite, "vue-tsc": cmdTsc,
		"eslint": cmdNodeCheck, "prettier": cmdNodeCheck, "jest": cmdNodeTest, "vitest": cmdNodeTest,
	})
	for pkg, bins := range map[string][]string{
		"shx": {"shx"}, "tsup": {"tsup"}, "parcel": {"parcel"}, "@svgr/cli": {"svgr"}, "gatsby": {"gatsby"},
		"astro": {"astro"}, "vue-tsc": {"vue-tsc"}, "npm-run-all2": {"npm-run-all", "run-p", "run-s"},
	} {
		nodeBins[pkg] = bins
	}
}

// scriptsMatching expands an npm-run-all pattern: "build:*" matches one ':' segment,
// "build:**" any number, as npm-run-all's glob does; a name without * matches itself.
func scriptsMatching(pj *packageJSON, pattern string) []string {
	if !strings.Contains(pattern, "*") {
		if _, ok := pj.Scripts[pattern]; ok {
			return []string{pattern}
		}
		return nil
	}
	re := regexp.QuoteMeta(pattern)
	re = strings.ReplaceAll(re, `\*\*`, `.+`)
	re = strings.ReplaceAll(re, `\*`, `[^:]+`)
	rx := regexp.MustCompile("^" + re + "$")
	var out []string
	for n := range pj.Scripts {
		if rx.MatchString(n) {
			out = append(out, n)
		}
	}
	// npm-run-all keeps package.json's order; Go maps have none, so name order stands in
	sort.Strings(out)
	return out
}

// cmdNpmRunAll is npm-run-all [-s|-p PATTERNS]..., run-s and run-p: each task is
// `npm run TASK`; sequential groups stop at the first failure (unless
// --continue-on-error), and the exit status is 1 when a task failed, as npm-run-all's.
func cmdNpmRunAll(p *proc) int {
	pj, code := p.readPackageJSON()
	if pj == nil {
		if code == 1 {
			fmt.Fprintf(p.errw, "ERROR: ENOENT: no such file or directory, open '%s/package.json'\n", p.dir)
		}
		return 1
	}
	parallel := p.name == "run-p"
	contOnErr := false
	type task struct {
		name     string
		args     []string
		parallel bool
	}
	var tasks []task
	// Arguments after "--" fill the tasks' placeholders: {1} {2} ... one each, {@} all
	// as separate words, {*} all as one.
	argv, values := p.args, []string(nil)
	for i, a := range argv {
		if a == "--" {
			argv, values = argv[:i], argv[i+1:]
			break
		}
	}
	for _, a := range argv {
		switch a {
		case "-s", "--sequential", "--serial":
			parallel = false
		case "-p", "--parallel":
			parallel = true
		case "-c", "--continue-on-error":
			contOnErr = true
		case "-l", "--print-label", "-n", "--print-name", "--silent", "-r", "--race", "--aggregate-output":
		default:
			if strings.HasPrefix(a, "-") {
				return p.unsupported("option " + a)
			}
			words := strings.Fields(a)
			if len(words) == 0 {
				continue
			}
			names := scriptsMatching(pj, words[0])
			if len(names) == 0 {
				fmt.Fprintf(p.errw, "ERROR: Task not found: %q\n", words[0])
				return 1
			}
			targs := runAllArgs(words[1:], values)
			for _, n := range names {
				tasks = append(tasks, task{n, targs, parallel})
			}
		}
	}
	if len(tasks) == 0 {
		return 0
	}
	failed := 0
	for i, t := range tasks {
		if t.parallel && (i == 0 || !tasks[i-1].parallel) {
			fmt.Fprintf(p.errw, "layerlab: %s runs these parallel tasks one after another in the sandbox (the real one starts them together and their output interleaves)\n", p.name)
		}
		if rc := p.npmRunArgs(t.name, t.args); rc != 0 {
			fmt.Fprintf(p.errw, "ERROR: %q exited with %d.\n", t.name, rc)
			failed++
			if !contOnErr {
				return 1
			}
		}
	}
	if failed > 0 {
		return 1
	}
	return 0
}

// runAllArgs expands npm-run-all's argument placeholders in a task's words.
func runAllArgs(words, values []string) []string {
	var out []string
	for _, w := range words {
		switch {
		case w == "{@}":
			out = append(out, values...)
		case w == "{*}":
			if len(values) > 0 {
				out = append(out, strings.Join(values, " "))
			}
		case len(w) >= 3 && w[0] == '{' && w[len(w)-1] == '}':
			if n, err := strconv.Atoi(w[1 : len(w)-1]); err == nil {
				if n >= 1 && n <= len(values) {
					out = append(out, values[n-1])
				}
				continue
			}
			out = append(out, w)
		default:
			out = append(out, w)
		}
	}
	return out
}

// cmdConcurrently runs each command ("npm:NAME" is `npm run NAME`, patterns allowed);
// each ends with concurrently's "[i] CMD exited with code N" line; the exit status is
// 1 when one failed (the default --success all).
func cmdConcurrently(p *proc) int {
	var cmds []string
	for i := 0; i < len(p.args); i++ {
		a := p.args[i]
		switch {
		case a == "-n" || a == "--names" || a == "-c" || a == "--prefix-colors" || a == "-p" || a == "--prefix" || a == "--success" || a == "-s" || a == "--max-processes" || a == "-m":
			i++
		case a == "-k" || a == "--kill-others" || a == "--kill-others-on-fail" || a == "-r" || a == "--raw" || a == "-g" || a == "--group" || a == "--no-color" || a == "-i" || a == "--handle-input":
		case strings.HasPrefix(a, "--") && strings.Contains(a, "="):
		case strings.HasPrefix(a, "-"):
			return p.unsupported("option " + a)
		default:
			cmds = append(cmds, a)
		}
	}
	pj, _ := p.readPackageJSON()
	var expanded []string
	for _, c := range cmds {
		for _, pre := range []string{"npm:", "yarn:", "pnpm:"} {
			if rest, ok := strings.CutPrefix(c, pre); ok && pj != nil {
				name, extra, _ := strings.Cut(rest, " ")
				for _, n := range scriptsMatching(pj, name) {
					expanded = append(expanded, strings.TrimSpace(strings.TrimSuffix(pre, ":")+" run "+n+" "+extra))
				}
				c = ""
			}
		}
		if c != "" {
			expanded = append(expanded, c)
		}
	}
	if len(expanded) > 1 {
		fmt.Fprintf(p.errw, "layerlab: concurrently runs its %d commands one after another in the sandbox (the real one starts them together)\n", len(expanded))
	}
	code := 0
	for i, c := range expanded {
		rc := p.runWithBin(c, p.abs("node_modules/.bin"))
		p.outf("[%d] %s exited with code %d\n", i, c, rc)
		if rc != 0 {
			code = 1
		}
	}
	return code
}

// cmdCrossEnv is cross-env VAR=value... COMMAND ARGS: the command runs with those
// variables set.
func cmdCrossEnv(p *proc) int {
	args := p.args
	var sets []string
	for len(args) > 0 && strings.Contains(args[0], "=") && !strings.HasPrefix(args[0], "=") {
		sets = append(sets, args[0])
		args = args[1:]
	}
	if len(args) == 0 {
		return 0
	}
	return p.runWithEnv(sets, shellJoin(args))
}

// runWithEnv runs a command line through sh with extra KEY=VALUE variables.
func (p *proc) runWithEnv(sets []string, cmd string) int {
	c := *p
	c.env = newEnv(append(p.environ(), sets...))
	return c.runWithBin(cmd, p.abs("node_modules/.bin"))
}

// cmdRimraf removes each path (globs as rimraf 3 expands them, and rimraf 4+ with
// --glob); a missing path is not an error.
func cmdRimraf(p *proc) int {
	for _, a := range p.args {
		if strings.HasPrefix(a, "-") {
			continue
		}
		targets := []string{a}
		if strings.ContainsAny(a, "*?[") {
			dir, pat := path.Split(a)
			targets = nil
			for _, n := range p.listDir(firstNonEmpty(dir, ".")) {
				if ok, _ := path.Match(pat, n); ok {
					targets = append(targets, path.Join(dir, n))
				}
			}
		}
		for _, t := range targets {
			p.removeAll(p.abs(t))
		}
	}
	return 0
}

// shxCommands are the ShellJS commands shx runs.
var shxCommands = []string{"cat", "cd", "chmod", "cp", "echo", "find", "grep", "head", "ln", "ls", "mkdir", "mv", "pwd", "rm", "sed", "sort", "tail", "test", "touch", "uniq", "which"}

// cmdShx is shx COMMAND ARGS: the sandbox's own implementation of that command.
func cmdShx(p *proc) int {
	if len(p.args) == 0 {
		p.outf("shx: Missing ShellJS command name\n")
		return 1
	}
	sub := p.args[0]
	impl := lookupImpl(sub)
	if !contains(shxCommands, sub) || impl == nil {
		fmt.Fprintf(p.errw, "Error: Invalid ShellJS command: %s.\n", sub)
		return 1
	}
	c := *p
	c.name, c.args = sub, p.args[1:]
	if impl(&c) != 0 {
		return 1
	}
	return 0
}

// cmdDotenv is dotenv-cli: dotenv [-e FILE]... [-v K=V]... [-o] [--] COMMAND ARGS runs the
// command with the variables of the files (.env by default); existing variables win
// unless -o.
func cmdDotenv(p *proc) int {
	var files, sets []string
	override := false
	args := p.args
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			args = args[1:]
			break
		}
		if !strings.HasPrefix(a, "-") {
			break
		}
		switch {
		case (a == "-e" || a == "-v") && len(args) > 1:
			if a == "-e" {
				files = append(files, args[1])
			} else {
				sets = append(sets, args[1])
			}
			args = args[2:]
			continue
		case a == "-o" || a == "--override":
			override = true
		case a == "--debug" || a == "--quiet":
		default:
			return p.unsupported("option " + a)
		}
		args = args[1:]
	}
	if len(files) == 0 {
		files = []string{".env"}
	}
	var env []string
	for _, f := range files {
		b, err := p.readFile(f)
		if err != nil {
			continue // dotenv skips a missing file
		}
		for _, l := range strings.Split(string(b), "\n") {
			l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "export "))
			k, v, ok := strings.Cut(l, "=")
			if !ok || strings.HasPrefix(l, "#") {
				continue
			}
			k, v = strings.TrimSpace(k), strings.TrimSpace(v)
			if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
				v = v[1 : len(v)-1]
			}
			if !override && p.env.Get(k).IsSet() {
				continue
			}
			env = append(env, k+"="+v)
		}
	}
	if len(args) == 0 {
		return 0
	}
	return p.runWithEnv(append(env, sets...), shellJoin(args))
}

// More build CLIs: rollup, esbuild, tsup, parcel, svgr, gatsby, astro and turbo. Each
// bundle is an artefact of the project as nodeDigest reads it plus the tool's flags.

// jsSourceSize is the size of the project's script sources, for a bundle's size.
func (p *proc) jsSourceSize(dir string) int64 {
	var n int64
	for _, f := range p.findFiles(dir, map[string]bool{"node_modules": true, ".git": true, ".next": true, "dist": true, "build": true, "public": true}, func(n string) bool {
		for _, ext := range []string{".js", ".jsx", ".ts", ".tsx", ".mjs", ".cjs", ".vue", ".svelte", ".astro", ".md", ".mdx"} {
			if strings.HasSuffix(n, ext) {
				return true
			}
		}
		return false
	}) {
		n += p.fileSize(path.Join(dir, f))
	}
	return n
}

// bundle writes one output of a bundler: out (relative to the project or absolute),
// following the project's files and extra.
func (p *proc) bundle(tool, dir, out string, base int64, extra ...string) bool {
	digest, ok := p.nodeDigest(tool, dir, extra...)
	if !ok {
		return false
	}
	if !path.IsAbs(out) {
		out = path.Join(dir, out)
	}
	return p.writeArtefact(out, artefact(tool, strings.TrimPrefix(out, dir+"/"), digest, base+p.jsSourceSize(dir)/2, 0), 0o644)
}

// cmdRollup is rollup -c [FILE] / -i IN -o OUT / -d DIR: the output is output.file or
// output.dir of the config when a plain string gives it, else dist/.
func cmdRollup(p *proc) int {
	dir := p.projectRoot()
	config, input, file, outDir := "", "", "", ""
	var extra []string
	for i := 0; i < len(p.args); i++ {
		a := p.args[i]
		next := func() string {
			if i+1 < len(p.args) && !strings.HasPrefix(p.args[i+1], "-") {
				i++
				return p.args[i]
			}
			return ""
		}
		switch {
		case a == "-v" || a == "--version":
			p.outf("rollup v4.34.8\n")
			return 0
		case a == "-c" || a == "--config":
			config = firstNonEmpty(next(), "rollup.config.mjs", "")
		case strings.HasPrefix(a, "--config="):
			config = strings.TrimPrefix(a, "--config=")
		case a == "-i" || a == "--input":
			input = next()
		case a == "-o" || a == "--file":
			file = next()
		case a == "-d" || a == "--dir":
			outDir = next()
		case a == "-w" || a == "--watch":
			return p.unsupported(a + " (a watcher never ends a build step)")
		case a == "-f" || a == "--format" || a == "--environment" || a == "-n" || a == "--name" || a == "-p" || a == "--plugin":
			extra = append(extra, a+"="+next())
		case strings.HasPrefix(a, "-"):
			extra = append(extra, a)
		default:
			input = a
		}
	}
	if config != "" {
		cfg := config
		if !p.isFile(path.Join(dir, cfg)) {
			for _, c := range []string{"rollup.config.mjs", "rollup.config.js", "rollup.config.cjs", "rollup.config.ts"} {
				if config == "rollup.config.mjs" && p.isFile(path.Join(dir, c)) {
					cfg = c
					break
				}
			}
		}
		b, err := p.readFile(path.Join(dir, cfg))
		if err != nil {
			fmt.Fprintf(p.errw, "[!] RollupError: Could not resolve entry module \"%s\".\n", config)
			return 1
		}
		if m := regexp.MustCompile(`\bfile\s*:\s*['"]([^'"]+)['"]`).FindSubmatch(b); m != nil && file == "" {
			file = string(m[1])
		}
		if m := regexp.MustCompile(`\bdir\s*:\s*['"]([^'"]+)['"]`).FindSubmatch(b); m != nil && file == "" && outDir == "" {
			outDir = string(m[1])
		}
		if m := regexp.MustCompile(`\binput\s*:\s*['"]([^'"]+)['"]`).FindSubmatch(b); m != nil && input == "" {
			input = string(m[1])
		}
		if file == "" && outDir == "" {
			outDir = "dist"
			fmt.Fprintf(p.errw, "layerlab: rollup: %s names no output.file or output.dir as a plain string; the sandbox writes dist/\n", cfg)
		}
		extra = append(extra, "config="+cfg)
	}
	if file == "" && outDir == "" {
		return p.unsupported("writing the bundle to stdout (give -o FILE, -d DIR or -c)")
	}
	input = firstNonEmpty(input, "src/main.js")
	if file == "" {
		file = path.Join(outDir, strings.TrimSuffix(path.Base(input), path.Ext(input))+".js")
	}
	p.outf("\n%s → %s...\n", input, file)
	if !p.bundle("rollup", dir, file, 2*kib, append(extra, "input="+input)...) {
		return 1
	}
	p.outf("created %s\n", file)
	return 0
}

// cmdEsbuild is esbuild ENTRY... --bundle --outfile=F | --outdir=D [--minify ...].
func cmdEsbuild(p *proc) int {
	dir := p.dir
	var entries, extra []string
	outfile, outdir := "", ""
	for _, a := range p.args {
		switch {
		case a == "--version":
			p.outf("0.25.0\n")
			return 0
		case strings.HasPrefix(a, "--outfile="):
			outfile = strings.TrimPrefix(a, "--outfile=")
		case strings.HasPrefix(a, "--outdir="):
			outdir = strings.TrimPrefix(a, "--outdir=")
		case a == "--watch" || strings.HasPrefix(a, "--serve"):
			return p.unsupported(a + " (a watcher or server never ends a build step)")
		case strings.HasPrefix(a, "-"):
			extra = append(extra, a)
		default:
			entries = append(entries, a)
		}
	}
	if len(entries) == 0 {
		return p.unsupported("reading the entry from stdin")
	}
	var outs []string
	switch {
	case outfile != "":
		if len(entries) > 1 {
			fmt.Fprintf(p.errw, "✘ [ERROR] Must use \"outdir\" when there are multiple input files\n\n1 error\n")
			return 1
		}
		outs = []string{outfile}
	case outdir != "":
		for _, e := range entries {
			outs = append(outs, path.Join(outdir, strings.TrimSuffix(path.Base(e), path.Ext(e))+".js"))
		}
	default:
		return p.unsupported("writing the output to stdout (give --outfile or --outdir)")
	}
	for _, e := range entries {
		if !p.isFile(e) {
			fmt.Fprintf(p.errw, "✘ [ERROR] Could not resolve %q\n\n1 error\n", e)
			return 1
		}
	}
	base := int64(1 * kib)
	if contains(extra, "--bundle") {
		base = 20 * kib
	}
	p.outf("\n")
	for _, o := range outs {
		if !p.bundle("esbuild", dir, o, base, append(extra, entries...)...) {
			return 1
		}
		p.outf("  %s  %s\n", o, kb(p.fileSize(o)))
	}
	p.outf("\n⚡ Done\n")
	return 0
}

// cmdTsup is tsup [ENTRY...] [--format cjs,esm] [--dts] [-d DIR]: entry src/index.ts
// by default, each format one file in dist/ (.js for the package's own module type,
// .mjs or .cjs for the other), as tsup names them.
func cmdTsup(p *proc) int {
	dir := p.projectRoot()
	var entries, extra []string
	formats := []string{"cjs"}
	outDir, dts := "dist", false
	for i := 0; i < len(p.args); i++ {
		a := p.args[i]
		switch {
		case a == "--format" && i+1 < len(p.args):
			i++
			formats = strings.Split(p.args[i], ",")
		case strings.HasPrefix(a, "--format="):
			formats = strings.Split(strings.TrimPrefix(a, "--format="), ",")
		case (a == "-d" || a == "--out-dir") && i+1 < len(p.args):
			i++
			outDir = p.args[i]
		case a == "--dts":
			dts = true
		case a == "--watch":
			return p.unsupported(a + " (a watcher never ends a build step)")
		case strings.HasPrefix(a, "-"):
			extra = append(extra, a)
		default:
			entries = append(entries, a)
		}
	}
	if len(entries) == 0 {
		entries = []string{"src/index.ts"}
	}
	module := false
	if b, err := p.readFile(path.Join(dir, "package.json")); err == nil {
		module = regexp.MustCompile(`"type"\s*:\s*"module"`).Match(b)
	}
	p.outf("CLI Building entry: %s\nCLI Target: es2020\n", strings.Join(entries, ", "))
	for _, e := range entries {
		stem := path.Join(outDir, strings.TrimSuffix(path.Base(e), path.Ext(e)))
		for _, f := range formats {
			ext := map[string]string{"cjs": ".js", "esm": ".mjs", "iife": ".global.js"}[f]
			if module {
				ext = map[string]string{"cjs": ".cjs", "esm": ".js", "iife": ".global.js"}[f]
			}
			if ext == "" {
				return p.unsupported("format " + f)
			}
			if !p.bundle("tsup", dir, stem+ext, 1*kib, append(extra, "entry="+e, "format="+f)...) {
				return 1
			}
			p.outf("%s %s %s\n", strings.ToUpper(f), stem+ext, kb(p.fileSize(path.Join(dir, stem+ext))))
		}
		if dts {
			if !p.bundle("tsup-dts", dir, stem+".d.ts", 512, "entry="+e) {
				return 1
			}
			p.outf("DTS %s.d.ts\n", stem)
		}
	}
	p.outf("CLI ⚡️ Build success\n")
	return 0
}

// cmdParcel is parcel build [ENTRY...] [--dist-dir DIR]: index.html and a hashed bundle.
func cmdParcel(p *proc) int {
	if len(p.args) == 0 || p.args[0] != "build" {
		if len(p.args) > 0 && p.args[0] == "--version" {
			p.outf("2.13.3\n")
			return 0
		}
		p.errf("the layerlab sandbox builds (parcel build) but does not run parcel's dev server")
		return 1
	}
	dir := p.projectRoot()
	outDir := "dist"
	var entries, extra []string
	for i := 1; i < len(p.args); i++ {
		a := p.args[i]
		switch {
		case (a == "--dist-dir" || a == "-d") && i+1 < len(p.args):
			i++
			outDir = p.args[i]
		case strings.HasPrefix(a, "--dist-dir="):
			outDir = strings.TrimPrefix(a, "--dist-dir=")
		case strings.HasPrefix(a, "-"):
			extra = append(extra, a)
		default:
			entries = append(entries, a)
		}
	}
	if len(entries) == 0 {
		pj, _ := p.readPackageJSONAt(dir)
		if b, err := p.readFile(path.Join(dir, "package.json")); err == nil && pj != nil {
			if m := regexp.MustCompile(`"source"\s*:\s*"([^"]+)"`).FindSubmatch(b); m != nil {
				entries = []string{string(m[1])}
			}
		}
		if len(entries) == 0 {
			entries = []string{"index.html"}
		}
	}
	digest, ok := p.nodeDigest("parcel", dir, append(extra, entries...)...)
	if !ok {
		return 1
	}
	for _, e := range entries {
		if !p.isFile(path.Join(dir, e)) {
			fmt.Fprintf(p.errw, "🚨 Build failed.\n\n@parcel/core: %s does not exist.\n", e)
			return 1
		}
		stem := strings.TrimSuffix(path.Base(e), path.Ext(e))
		js := path.Join(outDir, stem+"."+digest[:8]+".js")
		if !p.bundle("parcel", dir, js, 3*kib, append(extra, e)...) {
			return 1
		}
		if strings.HasSuffix(e, ".html") {
			b, _ := p.readFile(path.Join(dir, e))
			html := regexp.MustCompile(`<script[^>]*src="[^"]*"[^>]*>\s*</script>`).ReplaceAllString(string(b), fmt.Sprintf(`<script type="module" src="/%s.%s.js"></script>`, stem, digest[:8]))
			if !p.writeArtefact(path.Join(dir, outDir, path.Base(e)), rootfs.Bytes(html), 0o644) {
				return 1
			}
		}
	}
	p.outf("✨ Built in 1.00s\n")
	return 0
}

// cmdSvgr is svgr [--out-dir DIR] [--typescript] [--ext EXT] SRC...: each .svg becomes a
// component named in PascalCase (and DIR/index.js listing them), following the svg.
func cmdSvgr(p *proc) int {
	outDir, ext := "", "js"
	var srcs, extra []string
	for i := 0; i < len(p.args); i++ {
		a := p.args[i]
		switch {
		case (a == "--out-dir" || a == "-d") && i+1 < len(p.args):
			i++
			outDir = p.args[i]
		case a == "--typescript":
			ext = "tsx"
			extra = append(extra, a)
		case a == "--ext" && i+1 < len(p.args):
			i++
			ext = p.args[i]
		case strings.HasPrefix(a, "-"):
			extra = append(extra, a)
		default:
			srcs = append(srcs, a)
		}
	}
	if outDir == "" {
		return p.unsupported("writing components to stdout (give --out-dir)")
	}
	var svgs []string
	for _, s := range srcs {
		if p.isDir(s) {
			for _, f := range p.findFiles(p.abs(s), nil, func(n string) bool { return strings.HasSuffix(n, ".svg") }) {
				svgs = append(svgs, path.Join(s, f))
			}
		} else if p.isFile(s) {
			svgs = append(svgs, s)
		} else {
			p.errf("%s: no such file or directory", s)
			return 1
		}
	}
	var names []string
	for _, s := range svgs {
		stem := strings.TrimSuffix(path.Base(s), ".svg")
		var b strings.Builder
		for _, part := range regexp.MustCompile(`[^A-Za-z0-9]+`).Split(stem, -1) {
			if part != "" {
				b.WriteString(strings.ToUpper(part[:1]) + part[1:])
			}
		}
		name := b.String()
		if name == "" || name[0] >= '0' && name[0] <= '9' {
			name = "Svg" + name
		}
		names = append(names, name)
		digest, ok := p.digestOf([]string{s}, nil, append([]string{"svgr"}, extra...)...)
		if !ok {
			return 1
		}
		out := path.Join(outDir, name+"."+ext)
		if !p.writeArtefact(out, artefact("svgr", name, digest, 300+p.fileSize(s), 0), 0o644) {
			return 1
		}
		p.outf("%s -> %s\n", s, out)
	}
	var idx strings.Builder
	for _, n := range names {
		fmt.Fprintf(&idx, "export { default as %s } from './%s'\n", n, n)
	}
	idxExt := "js"
	if ext == "tsx" {
		idxExt = "ts"
	}
	if !p.writeArtefact(path.Join(outDir, "index."+idxExt), rootfs.Bytes(idx.String()), 0o644) {
		return 1
	}
	return 0
}

// cmdNodeSite is gatsby build (public/) and astro build (dist/): an HTML page per page
// source, a hashed bundle, and the static directory copied.
func cmdNodeSite(p *proc) int {
	tool := p.name
	if len(p.args) > 0 && (p.args[0] == "--version" || p.args[0] == "-v") {
		p.outf("%s (layerlab sandbox)\n", tool)
		return 0
	}
	if len(p.args) == 0 || p.args[0] != "build" {
		p.errf("%s: the layerlab sandbox builds (%s build) but does not run servers", firstNonEmpty(strings.Join(p.args, " "), "dev server"), tool)
		return 1
	}
	dir := p.projectRoot()
	digest, ok := p.nodeDigest(tool, dir, p.args[1:]...)
	if !ok {
		return 1
	}
	outDir, static, assets := "public", "static", "app-"+digest[:20]+".js"
	if tool == "astro" {
		outDir, static, assets = "dist", "public", "_astro/index."+digest[:8]+".js"
	}
	out := path.Join(dir, outDir)
	if tool == "astro" {
		p.removeAll(out)
	}
	pages := p.findFiles(path.Join(dir, "src/pages"), nil, func(n string) bool {
		return strings.HasSuffix(n, ".astro") || strings.HasSuffix(n, ".md") || strings.HasSuffix(n, ".mdx") || strings.HasSuffix(n, ".js") || strings.HasSuffix(n, ".jsx") || strings.HasSuffix(n, ".tsx")
	})
	if len(pages) == 0 {
		pages = []string{"index"}
	}
	if !p.bundle(tool, dir, path.Join(out, assets), 60*kib) {
		return 1
	}
	for _, pg := range pages {
		route := strings.TrimSuffix(pg, path.Ext(pg))
		html := path.Join(route, "index.html")
		if route == "index" {
			html = "index.html"
		} else if strings.HasSuffix(route, "/index") {
			html = path.Join(path.Dir(route), "index.html")
		}
		if !p.writeArtefact(path.Join(out, html), artefact(tool, html, digest, 2*kib, 2*kib), 0o644) {
			return 1
		}
	}
	src := path.Join(dir, static)
	for _, rel := range p.findFiles(src, nil, func(string) bool { return true }) {
		e, err := p.s.stat(path.Join(src, rel))
		if err != nil || !p.writeArtefact(path.Join(out, rel), dataOf(e), 0o644) {
			return 1
		}
	}
	p.outf("%s build: %d pages built into %s (layerlab sandbox)\n", tool, len(pages), outDir)
	return 0
}

// cmdNodeCheck is eslint and prettier --check: the sandbox does not lint or format, so
// a check passes with a line saying so and changes no file.
func cmdNodeCheck(p *proc) int {
	for _, a := range p.args {
		switch a {
		case "-v", "--version":
			p.outf("%s\n", map[string]string{"eslint": "v9.21.0", "prettier": "3.5.2"}[p.name])
			return 0
		case "--fix", "--write", "-w":
			fmt.Fprintf(p.errw, "layerlab: %s %s: the sandbox does not rewrite sources; files are left as they are\n", p.name, a)
		}
	}
	if p.name == "prettier" && (contains(p.args, "--check") || contains(p.args, "-c")) {
		p.outf("Checking formatting...\nAll matched files use Prettier code style!\n")
	}
	fmt.Fprintf(p.errw, "layerlab: %s: the sandbox does not run JavaScript, so the check is taken as passing\n", p.name)
	return 0
}

// cmdNodeTest is jest and vitest: the test files are counted but not run, as the
// other simulated test runners say.
func cmdNodeTest(p *proc) int {
	for _, a := range p.args {
		if a == "--version" || a == "-v" {
			p.outf("%s\n", map[string]string{"jest": "29.7.0", "vitest": "vitest/3.0.6"}[p.name])
			return 0
		}
		if a == "--watch" || a == "watch" || a == "dev" {
			return p.unsupported(a + " (a watcher never ends a build step)")
		}
	}
	dir := p.projectRoot()
	tests := p.findFiles(dir, map[string]bool{"node_modules": true, ".git": true, "dist": true}, func(n string) bool {
		return regexp.MustCompile(`\.(test|spec)\.[cm]?[jt]sx?$`).MatchString(n)
	})
	p.outf("%s: %d test files found (layerlab: the sandbox does not run JavaScript, so the tests are not run)\n", p.name, len(tests))
	return 0
}

// cmdTurbo is turbo run TASK... [--filter PKG] (and turbo TASK): TASK's script of each
// workspace that has one, in workspace order, each line prefixed PKG:TASK: as turbo does.
func cmdTurbo(p *proc) int {
	args := p.args
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-v") {
		p.outf("2.4.2\n")
		return 0
	}
	if len(args) > 0 && args[0] == "run" {
		args = args[1:]
	}
	var tasks, filters []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "--filter" || a == "-F") && i+1 < len(args):
			i++
			filters = append(filters, args[i])
		case strings.HasPrefix(a, "--filter="):
			filters = append(filters, strings.TrimPrefix(a, "--filter="))
		case strings.HasPrefix(a, "-"):
		default:
			tasks = append(tasks, a)
		}
	}
	if len(tasks) == 0 {
		p.errf("no task given")
		return 1
	}
	root := p.projectRoot()
	cfg, err := p.readFile(path.Join(root, "turbo.json"))
	if err != nil {
		fmt.Fprintf(p.errw, "  × Could not find turbo.json.\n  │ Follow directions at https://turbo.build/repo/docs to create one.\n")
		return 1
	}
	pj, _ := p.readPackageJSONAt(root)
	if pj == nil {
		p.errf("no package.json at %s", root)
		return 1
	}
	var patterns []string
	if _, globs := p.pnpmWorkspace(root); len(globs) > 0 {
		patterns = globs
	}
	manifests := p.jsManifests(root, pj, patterns)
	var dirs []string
	for d := range manifests {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	type job struct{ dir, pkg, task string }
	var jobs []job
	var scope []string
	for _, d := range dirs {
		m := manifests[d]
		if len(filters) > 0 && !contains(filters, m.Name) && !contains(filters, "./"+d) {
			continue
		}
		scope = append(scope, m.Name)
		for _, t := range tasks {
			if !regexp.MustCompile(`"` + regexp.QuoteMeta(t) + `"\s*:`).Match(cfg) {
				fmt.Fprintf(p.errw, "  × Could not find task `%s` in project\n", t)
				return 1
			}
			if _, ok := m.Scripts[t]; ok && (d != "" || len(dirs) == 1) {
				jobs = append(jobs, job{d, m.Name, t})
			}
		}
	}
	p.outf("• Packages in scope: %s\n• Running %s in %d packages\n• Remote caching disabled\n", strings.Join(scope, ", "), strings.Join(tasks, ", "), len(scope))
	for _, j := range jobs {
		var buf strings.Builder
		c := *p
		c.dir = path.Join(root, j.dir)
		c.out, c.errw = &buf, &buf
		rc := c.npmRun(j.task)
		for _, l := range strings.Split(strings.TrimRight(buf.String(), "\n"), "\n") {
			p.outf("%s:%s: %s\n", j.pkg, j.task, l)
		}
		if rc != 0 {
			p.outf("%s:%s: ERROR: command finished with error: command (%s) exited (%d)\n", j.pkg, j.task, c.dir, rc)
			return 1
		}
	}
	p.outf("\n Tasks:    %d successful, %d total\nCached:    0 cached, %d total\n", len(jobs), len(jobs), len(jobs))
	return 0
}
