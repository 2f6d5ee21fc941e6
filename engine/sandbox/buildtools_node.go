package sandbox

import (
	"encoding/json"
	"fmt"
	"path"
	"regexp"
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
	Include []string `json:"include"`
	Exclude []string `json:"exclude"`
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
			p.outf("Version 5.4.5\n")
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
