package sandbox

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"

	"layerlab/engine/rootfs"
	"layerlab/engine/sandbox/langcatalog"
)

// Project generators: `npm init vite`, `npm create vite@latest NAME -- --template vue`,
// `npm init @vitejs/app`, `npx express-generator`, ... Each is the generator's real
// behaviour over its templates, kept as data in scaffolds/ (file names, package.json
// dependencies and scripts of the generator's release in the npm catalog; source bodies
// are short stand-ins). The files written depend only on the command line and the
// working directory, so the same command writes the same bytes.
//
// A build step has no terminal: its stdin is closed. A generator that would prompt for
// an answer no flag gave renders the prompt, reads end of file and, as the prompts
// library does, exits 0 having written nothing; the step log says so in a layerlab line.

//go:embed scaffolds/*.txt
var scaffoldData embed.FS

// scaffoldGen is one generator package: how `npx PKG` / `npm init NAME` reach it.
type scaffoldGen struct {
	pkg string // the npm package npx installs ("create-vite", "@vitejs/create-app")
	run func(p *proc, args []string) int
}

// scaffoldGens maps a generator package to its simulation.
var scaffoldGens = map[string]scaffoldGen{
	"create-vite":        {"create-vite", func(p *proc, a []string) int { return p.createVite("create-vite", a) }},
	"@vitejs/create-app": {"@vitejs/create-app", func(p *proc, a []string) int { return p.createVite("@vitejs/create-app", a) }},
	"express-generator":  {"express-generator", (*proc).expressGenerator},
}

func init() {
	register(map[string]cmdFunc{
		// the generators' bins, as npm links them into node_modules/.bin or /usr/local/bin
		"create-vite": func(p *proc) int { return p.createVite("create-vite", p.args) },
		"create-app":  func(p *proc) int { return p.createVite("@vitejs/create-app", p.args) },
		"express":     func(p *proc) int { return p.expressGenerator(p.args) },
	})
}

// runGenerator runs generator pkg as npx does when it is not installed: npm warns that
// it fetches it (no terminal to ask), then runs its bin with args. ok is false when pkg
// is not a generator the sandbox simulates.
func (p *proc) runGenerator(pkg string, args []string) (code int, ok bool) {
	g, ok := scaffoldGens[pkg]
	if !ok {
		return 0, false
	}
	if pk, found := langcatalog.Lookup(langcatalog.NPM, pkg); found {
		p.npmWarn(fmt.Sprintf("exec The following package was not found and will be installed: %s@%s", pkg, pk.Version))
	}
	c := *p
	c.name = path.Base(g.pkg)
	return g.run(&c, args), true
}

// npmWarn prints one warning line as this npm does ("npm WARN" before 10.6).
func (p *proc) npmWarn(lines ...string) {
	prefix := "npm warn"
	if langcatalog.Compare(p.npmVersion(), "10.6.0") < 0 {
		prefix = "npm WARN"
	}
	for _, l := range lines {
		fmt.Fprintf(p.errw, "%s %s\n", prefix, l)
	}
}

// noTTYPrompt renders a prompt no flag answered and ends as the prompts library does
// when stdin is closed: exit 0, nothing written.
func (p *proc) noTTYPrompt(tool, prompt, flag string) int {
	p.outf("? %s › \n", prompt)
	fmt.Fprintf(p.errw, "layerlab: %s prompted (%q) and a build step has no terminal: stdin is closed, so it exits 0 without writing any file, as the real one does; %s\n", tool, prompt, flag)
	return 0
}

// scaffoldFile is one file of a template.
type scaffoldFile struct {
	path, body string
}

// loadScaffold returns template tmpl of archive file name (scaffolds/NAME.txt): its
// files in archive order, "@shared" entries taken from _shared. ok is false when the
// archive has no such template.
func loadScaffold(name, tmpl string) ([]scaffoldFile, bool) {
	b, err := scaffoldData.ReadFile("scaffolds/" + name + ".txt")
	if err != nil {
		return nil, false
	}
	type entry struct{ tmpl, path, body string }
	var entries []entry
	shared := map[string]string{}
	var cur *entry
	for _, line := range strings.SplitAfter(string(b), "\n") {
		if strings.HasPrefix(line, "-- ") && strings.HasSuffix(strings.TrimRight(line, "\n"), " --") {
			name := strings.TrimSuffix(strings.TrimPrefix(strings.TrimRight(line, "\n"), "-- "), " --")
			t, rest, _ := strings.Cut(name, "/")
			entries = append(entries, entry{tmpl: t, path: rest})
			cur = &entries[len(entries)-1]
			continue
		}
		if cur != nil {
			cur.body += line
		}
	}
	var out []scaffoldFile
	for _, e := range entries {
		if e.tmpl == "_shared" {
			shared[e.path] = e.body
		}
	}
	for _, e := range entries {
		if e.tmpl != tmpl {
			continue
		}
		if src, ok := strings.CutPrefix(e.path, "@shared "); ok {
			out = append(out, scaffoldFile{src, shared[src]})
			continue
		}
		out = append(out, scaffoldFile{e.path, e.body})
	}
	return out, len(out) > 0
}

// writeScaffold writes files under root ({{name}} replaced, _gitignore renamed), over
// any earlier files of the same name.
func (p *proc) writeScaffold(root string, files []scaffoldFile, vars map[string]string) bool {
	for _, f := range files {
		body := f.body
		for k, v := range vars {
			body = strings.ReplaceAll(body, "{{"+k+"}}", v)
		}
		name := f.path
		if path.Base(name) == "_gitignore" {
			name = path.Join(path.Dir(name), ".gitignore")
		}
		// a script (bin/www) is executable, as the generator makes it
		mode := fs.FileMode(0o644)
		if strings.HasPrefix(body, "#!") {
			mode = 0o755
		}
		if err := p.put(path.Join(root, name), rootfs.Bytes(body), mode, p.s.uid, p.s.gid); err != nil {
			p.errf("write %s: %s", path.Join(root, name), errno(err))
			return false
		}
	}
	return true
}

// minimist is the argument parsing of generators built on minimist/mri: positionals,
// --k v, --k=v, -k v; a flag followed by another flag (or nothing) is true.
func minimist(args []string) (pos []string, flags map[string]string) {
	flags = map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		k := strings.TrimLeft(a, "-")
		if key, v, ok := strings.Cut(k, "="); ok {
			flags[key] = v
			continue
		}
		if strings.HasPrefix(k, "no-") {
			flags[strings.TrimPrefix(k, "no-")] = "false"
			continue
		}
		if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			flags[k] = args[i+1]
			i++
			continue
		}
		flags[k] = "true"
	}
	return pos, flags
}

var validPackageName = regexp.MustCompile(`^(?:@[a-z\d\-*~][a-z\d\-*._~]*/)?[a-z\d\-~][a-z\d\-._~]*$`)

// viteTemplates are create-vite's template names; the sandbox carries the ones in
// scaffolds/vite.txt and names the others as not carried.
var viteTemplates = []string{"vanilla", "vanilla-ts", "vue", "vue-ts", "react", "react-ts", "react-swc", "react-swc-ts",
	"preact", "preact-ts", "lit", "lit-ts", "svelte", "svelte-ts", "solid", "solid-ts", "qwik", "qwik-ts"}

// createAppTemplates are @vitejs/create-app 2.5's.
var createAppTemplates = []string{"vanilla", "vanilla-ts", "vue", "vue-ts", "react", "react-ts", "preact", "preact-ts",
	"lit-element", "lit-element-ts", "svelte", "svelte-ts"}

// createVite is create-vite (pkg "create-vite") and its predecessor @vitejs/create-app:
// [DIR] [--template|-t NAME] [--overwrite]. Each question no argument answers is a
// prompt, which a build step cannot answer (see noTTYPrompt).
func (p *proc) createVite(pkg string, args []string) int {
	pos, flags := minimist(args)
	tool := pkg
	if flags["help"] != "" || flags["h"] != "" {
		p.outf("Usage: create-vite [OPTION]... [DIRECTORY]\n\nCreate a new Vite project in JavaScript or TypeScript.\nWith no arguments, start the CLI in interactive mode.\n\nOptions:\n  -t, --template NAME        use a specific template\n")
		return 0
	}
	legacy := pkg == "@vitejs/create-app"
	templates := viteTemplates
	if legacy {
		templates = createAppTemplates
	}
	target := ""
	if len(pos) > 0 {
		target = strings.TrimRight(strings.TrimSpace(pos[0]), "/")
		if target == "" && strings.HasPrefix(pos[0], "/") {
			target = "/"
		}
	}
	if target == "" {
		return p.noTTYPrompt(tool, "Project name: vite-project", "name the directory (npm create vite@latest my-app -- --template vue)")
	}
	root := p.abs(target)
	if p.isDir(root) && !p.emptyForScaffold(root) && flags["overwrite"] != "true" {
		where := fmt.Sprintf("Target directory %q", target)
		if target == "." {
			where = "Current directory"
		}
		q := where + " is not empty. Please choose how to proceed:"
		if legacy {
			q = where + " is not empty. Remove existing files and continue?"
		}
		return p.noTTYPrompt(tool, q, "scaffold into an empty directory")
	}
	name := target
	if target == "." || !legacy && path.IsAbs(target) {
		name = path.Base(p.abs(target))
	}
	if legacy {
		// create-app 2.5 validates the argument itself, so "." always asks
		name = target
	}
	if !validPackageName.MatchString(name) {
		return p.noTTYPrompt(tool, "Package name:", "name the directory with a valid npm package name")
	}
	tmpl := flags["template"]
	if tmpl == "" {
		tmpl = flags["t"]
	}
	if !contains(templates, tmpl) {
		q := "Select a framework: - Use arrow-keys. Return to submit."
		if tmpl != "" && tmpl != "true" {
			q = fmt.Sprintf("%q isn't a valid template. Please choose from below: ", tmpl)
		}
		return p.noTTYPrompt(tool, q, "pass --template NAME after npm's -- (npm create vite@latest my-app -- --template vue); without --, npm takes --template as its own option")
	}
	files, ok := loadScaffold("vite", tmpl)
	if legacy {
		over, ok2 := loadScaffold("create-app", tmpl)
		if !ok2 {
			ok = false
		}
		for _, o := range over {
			for i := range files {
				if files[i].path == o.path {
					files[i] = o
				}
			}
		}
	}
	if !ok {
		fmt.Fprintf(p.errw, "layerlab: %s's %q template is real, but the sandbox carries only %s of its templates (engine/sandbox/scaffolds); nothing was written\n", tool, tmpl, strings.Join(carriedTemplates(legacy), ", "))
		return 1
	}
	if flags["overwrite"] == "true" {
		for _, n := range p.listDir(root) {
			if n != ".git" {
				p.removeAll(path.Join(root, n))
			}
		}
	}
	p.outf("\nScaffolding project in %s...\n", root)
	if !p.writeScaffold(root, files, map[string]string{"name": name}) {
		return 1
	}
	p.outf("\nDone. Now run:\n\n")
	if root != p.dir {
		p.outf("  cd %s\n", relPath(p.dir, root))
	}
	p.outf("  npm install\n  npm run dev\n\n")
	return 0
}

// carriedTemplates lists the templates scaffolds/ holds for create-vite or create-app.
func carriedTemplates(legacy bool) []string {
	var out []string
	for _, t := range viteTemplates {
		_, ok := loadScaffold("vite", t)
		if legacy {
			_, ok2 := loadScaffold("create-app", t)
			ok = ok && ok2
		}
		if ok {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out
}

// emptyForScaffold is create-vite's isEmpty: no entries, or only .git.
func (p *proc) emptyForScaffold(dir string) bool {
	names := p.listDir(dir)
	return len(names) == 0 || len(names) == 1 && names[0] == ".git"
}

// expressGenerator is express-generator 4.16: express [--view ENGINE] [--css ENGINE]
// [--git] [-f] [DIR]. Its templates are small, so they are written from here.
func (p *proc) expressGenerator(args []string) int {
	view, css, git, force := "", "", false, false
	var pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-v" || a == "--view" || a == "-c" || a == "--css":
			if i+1 >= len(args) {
				p.errf("error: option `%s' argument missing", a)
				return 1
			}
			i++
			if a == "-v" || a == "--view" {
				view = args[i]
			} else {
				css = args[i]
			}
		case strings.HasPrefix(a, "--view="):
			view = strings.TrimPrefix(a, "--view=")
		case strings.HasPrefix(a, "--css="):
			css = strings.TrimPrefix(a, "--css=")
		case a == "--pug" || a == "--hbs" || a == "--hogan" || a == "--ejs":
			view = strings.TrimPrefix(a, "--")
		case a == "--no-view":
			view = "none"
		case a == "--git":
			git = true
		case a == "-f" || a == "--force":
			force = true
		case a == "--version" || a == "-V":
			p.outf("4.16.1\n")
			return 0
		case strings.HasPrefix(a, "-"):
			p.errf("error: unknown option `%s'", a)
			return 1
		default:
			pos = append(pos, a)
		}
	}
	if view == "" {
		p.outf("\n  warning: the default view engine will not be jade in future releases\n  warning: use `--view=jade' or `--help' for additional options\n\n")
		view = "jade"
	}
	ext := map[string]string{"jade": "jade", "pug": "pug", "ejs": "ejs", "hbs": "hbs", "hjs": "hjs", "hogan": "hjs", "twig": "twig", "vash": "vash", "dust": "dust", "none": ""}
	vext, known := ext[view]
	if !known {
		p.errf("error: option `--view' argument %q is invalid", view)
		return 1
	}
	dir := "."
	if len(pos) > 0 {
		dir = pos[0]
	}
	root := p.abs(dir)
	appName := strings.Trim(regexp.MustCompile(`[^A-Za-z0-9.\-~]+`).ReplaceAllString(strings.ToLower(path.Base(root)), "-"), "-")
	if appName == "" {
		appName = "hello-world"
	}
	if p.isDir(root) && !p.emptyForScaffold(root) && !force {
		return p.noTTYPrompt("express-generator", "destination is not empty, continue? [y/N]", "scaffold into an empty directory or pass --force")
	}
	deps := map[string]string{"cookie-parser": "~1.4.4", "debug": "~2.6.9", "express": "~4.16.1", "http-errors": "~1.6.3", "morgan": "~1.9.1"}
	switch view {
	case "jade":
		deps["jade"] = "~1.11.0"
	case "pug":
		deps["pug"] = "2.0.0-beta11"
	case "ejs":
		deps["ejs"] = "~2.6.1"
	case "hbs":
		deps["hbs"] = "~4.0.4"
	case "hjs", "hogan":
		deps["hjs"] = "~0.0.6"
	case "twig":
		deps["twig"] = "~0.10.3"
	case "vash":
		deps["vash"] = "~0.12.6"
	case "dust":
		deps["adaro"] = "~1.0.4"
	}
	styleExt := "css"
	switch css {
	case "":
	case "less":
		deps["less-middleware"] = "~2.2.1"
		styleExt = "less"
	case "stylus":
		deps["stylus"] = "0.54.5"
		styleExt = "styl"
	case "sass":
		deps["node-sass-middleware"] = "0.11.0"
		styleExt = "sass"
	case "compass":
		deps["node-compass"] = "0.2.3"
	default:
		p.errf("error: option `--css' argument %q is invalid", css)
		return 1
	}
	var depLines []string
	for k, v := range deps {
		depLines = append(depLines, fmt.Sprintf("    %q: %q", k, v))
	}
	sort.Strings(depLines)
	pj := fmt.Sprintf("{\n  \"name\": %q,\n  \"version\": \"0.0.0\",\n  \"private\": true,\n  \"scripts\": {\n    \"start\": \"node ./bin/www\"\n  },\n  \"dependencies\": {\n%s\n  }\n}\n", appName, strings.Join(depLines, ",\n"))
	viewSetup := ""
	if vext != "" {
		viewSetup = fmt.Sprintf("\n// view engine setup\napp.set('views', path.join(__dirname, 'views'));\napp.set('view engine', '%s');\n", vext)
	}
	files := []scaffoldFile{
		{"package.json", pj},
		{"app.js", "// layerlab stand-in for express-generator's app.js\nvar createError = require('http-errors');\nvar express = require('express');\nvar path = require('path');\nvar cookieParser = require('cookie-parser');\nvar logger = require('morgan');\n\nvar indexRouter = require('./routes/index');\nvar usersRouter = require('./routes/users');\n\nvar app = express();\n" + viewSetup + "\napp.use(logger('dev'));\napp.use(express.json());\napp.use(express.urlencoded({ extended: false }));\napp.use(cookieParser());\napp.use(express.static(path.join(__dirname, 'public')));\n\napp.use('/', indexRouter);\napp.use('/users', usersRouter);\n\napp.use(function(req, res, next) { next(createError(404)); });\n\nmodule.exports = app;\n"},
		{"bin/www", "#!/usr/bin/env node\n\n// layerlab stand-in for express-generator's server script: listens on $PORT or 3000\nvar app = require('../app');\nvar debug = require('debug')('" + appName + ":server');\nvar http = require('http');\n\nvar port = process.env.PORT || '3000';\napp.set('port', port);\nhttp.createServer(app).listen(port, function() { debug('Listening on ' + port); });\n"},
		{"routes/index.js", "// layerlab stand-in: GET / renders the index view\nvar express = require('express');\nvar router = express.Router();\n\nrouter.get('/', function(req, res, next) {\n  res.render('index', { title: 'Express' });\n});\n\nmodule.exports = router;\n"},
		{"routes/users.js", "// layerlab stand-in: GET /users answers with a line of text\nvar express = require('express');\nvar router = express.Router();\n\nrouter.get('/', function(req, res, next) {\n  res.send('respond with a resource');\n});\n\nmodule.exports = router;\n"},
		{"public/stylesheets/style." + styleExt, "/* layerlab stand-in for the generated stylesheet */\nbody { padding: 50px; font: 14px \"Lucida Grande\", Helvetica, Arial, sans-serif; }\n"},
	}
	if vext != "" {
		for _, v := range []string{"error", "index", "layout"} {
			files = append(files, scaffoldFile{"views/" + v + "." + vext, fmt.Sprintf("layerlab stand-in for express-generator's %s view (%s)\n", v, view)})
		}
	} else {
		files = append(files, scaffoldFile{"public/index.html", "<html><head><title>Express</title></head><body><h1>Express</h1></body></html>\n"})
	}
	if git {
		files = append(files, scaffoldFile{".gitignore", "node_modules\nnpm-debug.log\n"})
	}
	// express-generator prints each directory and file as it creates it
	p.outf("\n")
	made := map[string]bool{}
	var order []scaffoldFile
	order = append(order, files...)
	sort.SliceStable(order, func(i, j int) bool { return order[i].path < order[j].path })
	rel := strings.TrimSuffix(dir, "/")
	for _, f := range order {
		for d := path.Dir(f.path); d != "."; d = path.Dir(d) {
			if !made[d] {
				made[d] = true
			}
		}
	}
	var dirs []string
	for d := range made {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	p.outf("   create : %s/\n", rel)
	for _, d := range dirs {
		p.outf("   create : %s/%s/\n", rel, d)
	}
	for _, f := range order {
		p.outf("   create : %s/%s\n", rel, f.path)
	}
	if !p.writeScaffold(root, files, nil) {
		return 1
	}
	p.outf("\n")
	if root != p.dir {
		p.outf("   change directory:\n     $ cd %s\n\n", rel)
	}
	p.outf("   install dependencies:\n     $ npm install\n\n   run the app:\n     $ DEBUG=%s:* npm start\n\n", appName)
	return 0
}
