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
	"create-react-app":   {"create-react-app", (*proc).createReactApp},
	"create-next-app":    {"create-next-app", (*proc).createNextApp},
	"create-vue":         {"create-vue", (*proc).createVue},
}

func init() {
	register(map[string]cmdFunc{
		// the generators' bins, as npm links them into node_modules/.bin or /usr/local/bin
		"create-vite":      func(p *proc) int { return p.createVite("create-vite", p.args) },
		"create-app":       func(p *proc) int { return p.createVite("@vitejs/create-app", p.args) },
		"express":          func(p *proc) int { return p.expressGenerator(p.args) },
		"create-react-app": func(p *proc) int { return p.createReactApp(p.args) },
		"create-next-app":  func(p *proc) int { return p.createNextApp(p.args) },
		"create-vue":       func(p *proc) int { return p.createVue(p.args) },
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
	c := p.withUserAgent(fmt.Sprintf("npm/%s node/v%s linux x64 workspaces/false", p.npmVersion(), strings.TrimPrefix(p.nodeVersion(), "v")))
	c.name = path.Base(g.pkg)
	return g.run(c, args), true
}

// runCreate is `yarn create X` / `pnpm create X` (create-X, as npm init maps it) and
// `yarn dlx PKG` / `pnpm dlx PKG` (PKG itself): the generator runs with the package
// manager's npm_config_user_agent, which is how the generators pick the manager
// they install with and name in their closing lines.
func (p *proc) runCreate(via, agent, sub string, args []string) int {
	if len(args) == 0 {
		p.errf("%s %s: missing package name", via, sub)
		return 1
	}
	name, _ := npmSpecName(args[0])
	pkg := name
	if sub == "create" {
		switch {
		case strings.HasPrefix(pkg, "@") && !strings.Contains(pkg, "/"):
			pkg += "/create"
		case strings.HasPrefix(pkg, "@"):
			s, n, _ := strings.Cut(pkg, "/")
			pkg = s + "/create-" + n
		default:
			pkg = "create-" + pkg
		}
	}
	if err := langcatalog.Check(langcatalog.NPM, pkg); err != nil {
		p.errf("%s %s: %s: package not found in the registry (%v)", via, sub, pkg, err)
		return 1
	}
	g, ok := scaffoldGens[pkg]
	if !ok {
		return p.notSimulated(via + " " + sub + " " + args[0] + " (runs " + pkg + ", a project generator the sandbox does not simulate)")
	}
	c := p.withUserAgent(agent)
	c.name = path.Base(g.pkg)
	return g.run(c, args[1:])
}

// withUserAgent is a copy of p whose environment says which package manager runs it.
func (p *proc) withUserAgent(agent string) *proc {
	c := *p
	var list []string
	for _, kv := range p.environ() {
		if !strings.HasPrefix(kv, "npm_config_user_agent=") {
			list = append(list, kv)
		}
	}
	c.env = newEnv(append(list, "npm_config_user_agent="+agent))
	return &c
}

// agentPM is the package manager named by npm_config_user_agent, as the generators
// read it: "yarn", "pnpm", "bun" or "npm".
func (p *proc) agentPM() string {
	ua := p.getenv("npm_config_user_agent")
	for _, m := range []string{"yarn", "pnpm", "bun"} {
		if strings.HasPrefix(ua, m+"/") {
			return m
		}
	}
	return "npm"
}

// shIn runs cmd with sh -c in dir, the project's node_modules/.bin on PATH.
func (p *proc) shIn(dir, cmd string) int {
	c := *p
	c.dir = dir
	return c.runWithBin(cmd, dir+"/node_modules/.bin")
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

var validPackageName = newLazyRegexp(`^(?:@[a-z\d\-*~][a-z\d\-*._~]*/)?[a-z\d\-~][a-z\d\-._~]*$`)

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

// writeJSONPackage writes root/package.json with its keys in the given order; values
// are already JSON.
func (p *proc) writeJSONPackage(root string, kv [][2]string) bool {
	var b strings.Builder
	b.WriteString("{\n")
	for i, e := range kv {
		fmt.Fprintf(&b, "  %q: %s", e[0], strings.ReplaceAll(e[1], "\n", "\n  "))
		if i < len(kv)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	return p.writeScaffold(root, []scaffoldFile{{"package.json", b.String()}}, nil)
}

// jsonObject renders deps (name -> range) as a sorted JSON object.
func jsonObject(deps map[string]string) string {
	keys := make([]string, 0, len(deps))
	for k := range deps {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var lines []string
	for _, k := range keys {
		lines = append(lines, fmt.Sprintf("  %q: %q", k, deps[k]))
	}
	return "{\n" + strings.Join(lines, ",\n") + "\n}"
}

// npmLatest is the catalog's release of name (a synthesized one for a name outside it).
func npmLatest(name string) string {
	pk, err := langcatalog.Resolve(langcatalog.NPM, name, "")
	if err != nil {
		return "0.0.0"
	}
	return pk.Version
}

// craTemplateDeps are what cra-template(-typescript) 1.2.0's template.json asks for:
// installed by CRA after react, react-dom and react-scripts. @testing-library/react 13
// is the one with a peer range (react ^18), which is why CRA 5.0.1 broke when React 19
// became latest (December 2024).
var craTemplateDeps = map[string][]string{
	"cra-template":            {"@testing-library/jest-dom@^5.14.1", "@testing-library/react@^13.0.0", "@testing-library/user-event@^13.2.1", "web-vitals@^2.1.0"},
	"cra-template-typescript": {"@testing-library/jest-dom@^5.14.1", "@testing-library/react@^13.0.0", "@testing-library/user-event@^13.2.1", "@types/jest@^27.0.1", "@types/node@^16.7.13", "@types/react@^18.0.0", "@types/react-dom@^18.0.0", "typescript@^4.4.2", "web-vitals@^2.1.0"},
}

// createReactApp is create-react-app 5.0.1: NAME [--template typescript] [--use-npm].
// It writes package.json, installs react, react-dom, react-scripts and the template
// package, copies the template, installs the template's dependencies and removes the
// template package, with npm or, under `yarn create`, with yarn. Git: CRA commits the
// new app only when git is installed and has an identity; a build step has none, so CRA
// removes its .git again and says nothing, as here.
func (p *proc) createReactApp(args []string) int {
	pos, flags := minimist(args)
	if flags["version"] == "true" || flags["V"] == "true" {
		p.outf("5.0.1\n")
		return 0
	}
	if len(pos) == 0 {
		p.errf("Please specify the project directory:\n  create-react-app <project-directory>\n\nFor example:\n  create-react-app my-react-app\n\nRun create-react-app --help to see all options.")
		return 1
	}
	root := p.abs(pos[0])
	name := path.Base(root)
	if !validPackageName.MatchString(name) {
		p.errf("Cannot create a project named %q because of npm naming restrictions:\n\n  * name can no longer contain capital letters", name)
		return 1
	}
	if name == "react" || name == "react-dom" || name == "react-scripts" {
		p.errf("Cannot create a project named %q because a dependency with the same name exists.\nDue to the way npm works, the following names are not allowed:\n\n  react\n  react-dom\n  react-scripts\n\nPlease choose a different project name.", name)
		return 1
	}
	tmpl := "cra-template"
	switch t := flags["template"]; t {
	case "", "true", "cra-template":
	case "typescript", "cra-template-typescript":
		tmpl = "cra-template-typescript"
	default:
		fmt.Fprintf(p.errw, "layerlab: create-react-app's --template %s is a real template package, but the sandbox carries only cra-template and cra-template-typescript (engine/sandbox/scaffolds/cra.txt); nothing was written\n", t)
		return 1
	}
	// CRA allows only its own leftovers (.git, .idea, LICENSE, ...) in the directory
	if p.isDir(root) {
		var conflicts []string
		allowed := map[string]bool{".DS_Store": true, ".git": true, ".gitattributes": true, ".gitignore": true, ".gitlab-ci.yml": true, ".hg": true, ".hgcheck": true, ".hgignore": true, ".idea": true, ".npmignore": true, ".travis.yml": true, "docs": true, "LICENSE": true, "README.md": true, "mkdocs.yml": true, "Thumbs.db": true}
		for _, n := range p.listDir(root) {
			if !allowed[n] && !strings.HasSuffix(n, ".iml") && !strings.HasPrefix(n, "npm-debug.log") && !strings.HasPrefix(n, "yarn-error.log") {
				conflicts = append(conflicts, n)
			}
		}
		if len(conflicts) > 0 {
			p.outf("The directory %s contains files that could conflict:\n\n", name)
			for _, c := range conflicts {
				p.outf("  %s\n", c)
			}
			p.outf("\nEither try using a new directory name, or remove the files listed above.\n")
			return 1
		}
	}
	useYarn := p.agentPM() == "yarn" && flags["use-npm"] != "true"
	p.outf("\nCreating a new React app in %s.\n\n", root)
	reactV := npmLatest("react")
	deps := map[string]string{"react": "^" + reactV, "react-dom": "^" + npmLatest("react-dom"), "react-scripts": "5.0.1", tmpl: npmLatest(tmpl)}
	if !p.writeJSONPackage(root, [][2]string{{"name", fmt.Sprintf("%q", name)}, {"version", `"0.1.0"`}, {"private", "true"}, {"dependencies", jsonObject(deps)}}) {
		return 1
	}
	install := "npm install --no-audit --loglevel error"
	if useYarn {
		install = "yarn install"
	}
	p.outf("Installing packages. This might take a couple of minutes.\nInstalling react, react-dom, and react-scripts with %s...\n\n", tmpl)
	if code := p.shIn(root, install); code != 0 {
		p.outf("\nAborting installation.\n")
		return 1
	}
	files, ok := loadScaffold("cra", map[bool]string{false: "javascript", true: "typescript"}[tmpl == "cra-template-typescript"])
	if !ok || !p.writeScaffold(root, files, map[string]string{"name": name}) {
		return 1
	}
	scripts := `{
  "start": "react-scripts start",
  "build": "react-scripts build",
  "test": "react-scripts test",
  "eject": "react-scripts eject"
}`
	eslint := "{\n  \"extends\": [\n    \"react-app\",\n    \"react-app/jest\"\n  ]\n}"
	browsers := "{\n  \"production\": [\n    \">0.2%\",\n    \"not dead\",\n    \"not op_mini all\"\n  ],\n  \"development\": [\n    \"last 1 chrome version\",\n    \"last 1 firefox version\",\n    \"last 1 safari version\"\n  ]\n}"
	write := func() bool {
		return p.writeJSONPackage(root, [][2]string{{"name", fmt.Sprintf("%q", name)}, {"version", `"0.1.0"`}, {"private", "true"}, {"dependencies", jsonObject(deps)}, {"scripts", scripts}, {"eslintConfig", eslint}, {"browserslist", browsers}})
	}
	if !write() {
		return 1
	}
	tdeps := craTemplateDeps[tmpl]
	cmd := "npm install --no-audit --save " + strings.Join(tdeps, " ")
	pmName := "npm"
	if useYarn {
		cmd, pmName = "yarnpkg add "+strings.Join(tdeps, " "), "yarnpkg"
	}
	p.outf("\nInstalling template dependencies using %s...\n", pmName)
	// npm 7+ refuses a peer range the tree cannot meet; yarn only warns
	if langcatalog.Compare(reactV, "18.0.0") < 0 || langcatalog.Compare(reactV, "19.0.0") >= 0 {
		if !useYarn && langcatalog.Compare(p.npmVersion(), "7.0.0") >= 0 && p.getenv("npm_config_legacy_peer_deps") != "true" && p.getenv("npm_config_force") != "true" {
			p.npmErr("code ERESOLVE", "ERESOLVE unable to resolve dependency tree", "", "While resolving: "+name+"@0.1.0", "Found: react@"+reactV, "node_modules/react", "  react@\"^"+reactV+"\" from the root project", "", "Could not resolve dependency:", "peer react@\"^18.0.0\" from @testing-library/react@13.4.0", "node_modules/@testing-library/react", "  @testing-library/react@\"^13.0.0\" from the root project", "", "Fix the upstream dependency conflict, or retry", "this command with --force or --legacy-peer-deps", "to accept an incorrect (and potentially broken) dependency resolution.")
			// react-scripts' init returns after this line, and the process exits 0
			p.errf("`%s` failed", cmd)
			return 0
		}
		if useYarn {
			p.outf("warning \" > @testing-library/react@13.4.0\" has unmet peer dependency \"react@^18.0.0\".\n")
		}
	}
	for _, d := range tdeps {
		n, r, _ := strings.Cut(d[1:], "@")
		n = d[:1] + n
		deps[n] = r
	}
	delete(deps, tmpl)
	if !write() {
		return 1
	}
	if code := p.shIn(root, install); code != 0 {
		return 1
	}
	pm, run := "npm", "npm run "
	if useYarn {
		pm, run = "yarn", "yarn "
	}
	p.outf("\nSuccess! Created %s at %s\nInside that directory, you can run several commands:\n\n", name, root)
	p.outf("  %s start\n    Starts the development server.\n\n  %sbuild\n    Bundles the app into static files for production.\n\n  %s test\n    Starts the test runner.\n\n  %seject\n    Removes this tool and copies build dependencies, configuration files\n    and scripts into the app directory. If you do this, you can’t go back!\n\n", pm, run, pm, run)
	p.outf("We suggest that you begin by typing:\n\n  cd %s\n  %s start\n\nHappy hacking!\n", relPath(p.dir, root), pm)
	return 0
}

// isCI is ci-info's test, which create-next-app uses to skip its prompts.
func (p *proc) isCI() bool {
	if v := p.getenv("CI"); v != "" && v != "false" {
		return true
	}
	for _, k := range []string{"CONTINUOUS_INTEGRATION", "BUILD_NUMBER", "RUN_ID", "GITHUB_ACTIONS", "GITLAB_CI"} {
		if p.getenv(k) != "" {
			return true
		}
	}
	return false
}

// createNextApp is create-next-app 15.1: [DIR] [--ts|--js] [--tailwind] [--eslint]
// [--app] [--src-dir] [--turbopack] [--import-alias A] [--empty] [--use-npm|yarn|pnpm]
// [--skip-install] [--yes], each boolean also as --no-X. Every question a flag does not
// answer is a prompt, unless CI is set or --yes is given: then it takes the defaults
// (TypeScript, ESLint, Tailwind, App Router, no src/, Turbopack, @/*). Its git commit
// needs an identity a build step lacks, so it leaves no .git and prints no git line.
func (p *proc) createNextApp(args []string) int {
	pos, flags := minimist(args)
	if flags["version"] == "true" || flags["V"] == "true" {
		p.outf("15.1.7\n")
		return 0
	}
	if flags["example"] != "" || flags["e"] != "" {
		fmt.Fprintf(p.errw, "layerlab: create-next-app --example downloads an example from GitHub; the sandbox has no network and carries only the default templates; nothing was written\n")
		return 1
	}
	if len(pos) == 0 {
		return p.noTTYPrompt("create-next-app", "What is your project named? › my-app", "name the directory (npx create-next-app@latest my-app)")
	}
	root := p.abs(pos[0])
	name := path.Base(root)
	if !validPackageName.MatchString(name) {
		p.errf("Could not create a project called %q because of npm naming restrictions:\n    * name can no longer contain capital letters", name)
		return 1
	}
	if p.isDir(root) {
		valid := map[string]bool{".DS_Store": true, ".git": true, ".gitattributes": true, ".gitignore": true, ".gitlab-ci.yml": true, ".hg": true, ".hgcheck": true, ".hgignore": true, ".idea": true, ".npmignore": true, ".travis.yml": true, "LICENSE": true, "Thumbs.db": true, "docs": true, "mkdocs.yml": true, "npm-debug.log": true, "yarn-debug.log": true, "yarn-error.log": true, "yarnrc.yml": true, ".yarn": true}
		var conflicts []string
		for _, n := range p.listDir(root) {
			if !valid[n] && !strings.HasSuffix(n, ".iml") {
				conflicts = append(conflicts, n)
			}
		}
		if len(conflicts) > 0 {
			p.outf("The directory %s contains files that could conflict:\n\n", name)
			for _, c := range conflicts {
				p.outf("  %s\n", c)
			}
			p.outf("\nEither try using a new directory name, or remove the files listed above.\n\n")
			return 1
		}
	}
	skip := p.isCI() || flags["yes"] == "true"
	// each answer: its flags, its prompt, its default
	type question struct {
		on, off, prompt string
		def             bool
	}
	ask := func(q question) (bool, bool) {
		switch {
		case q.on != "" && flags[q.on] == "true":
			return true, true
		case q.off != "" && flags[q.off] == "true", q.on != "" && flags[q.on] == "false":
			return false, true
		case skip:
			return q.def, true
		}
		return false, false
	}
	qs := []question{
		{"ts", "js", "Would you like to use TypeScript? … No / Yes", true},
		{"eslint", "", "Would you like to use ESLint? … No / Yes", true},
		{"tailwind", "", "Would you like to use Tailwind CSS? … No / Yes", true},
		{"src-dir", "", "Would you like your code inside a `src/` directory? … No / Yes", false},
		{"app", "", "Would you like to use App Router? (recommended) … No / Yes", true},
		{"turbopack", "", "Would you like to use Turbopack for `next dev`? … No / Yes", true},
	}
	if flags["typescript"] == "true" {
		flags["ts"] = "true"
	}
	if flags["javascript"] == "true" {
		flags["js"] = "true"
	}
	var ans []bool
	for _, q := range qs {
		v, ok := ask(q)
		if !ok {
			return p.noTTYPrompt("create-next-app", q.prompt, "pass every choice as a flag (--ts --eslint --tailwind --app --src-dir --turbopack --import-alias '@/*', or --no-X), or --yes, or set CI=1")
		}
		ans = append(ans, v)
	}
	ts, eslint, tw, srcDir, app, turbo := ans[0], ans[1], ans[2], ans[3], ans[4], ans[5]
	alias := flags["import-alias"]
	if !regexp.MustCompile(`^[^*"]+/\*\s*$`).MatchString(alias) {
		if !skip {
			return p.noTTYPrompt("create-next-app", "Would you like to customize the import alias (`@/*` by default)? … No / Yes", "pass --import-alias '@/*'")
		}
		alias = "@/*"
	}
	pm := p.agentPM()
	for _, m := range []string{"npm", "yarn", "pnpm", "bun"} {
		if flags["use-"+m] == "true" {
			pm = m
		}
	}
	mode, ext, cfgExt := "js", "js", "mjs"
	if ts {
		mode, ext, cfgExt = "ts", "tsx", "ts"
	}
	tmpl := map[bool]string{true: "app", false: "default"}[app]
	if tw {
		tmpl += "-tw"
	}
	if flags["empty"] == "true" {
		tmpl += "-empty"
	}
	src := ""
	if srcDir {
		src = "src/"
	}
	p.outf("Creating a new Next.js app in %s.\n\nUsing %s.\n\nInitializing project with template: %s \n\n", root, pm, tmpl)
	deps := map[string]string{"react": "^19.0.0", "react-dom": "^19.0.0", "next": "15.1.7"}
	dev := map[string]string{}
	depOrder := []string{"react", "react-dom", "next"}
	var devOrder []string
	if ts {
		devOrder = append(devOrder, "typescript", "@types/node", "@types/react", "@types/react-dom")
		dev["typescript"], dev["@types/node"], dev["@types/react"], dev["@types/react-dom"] = "^5", "^20", "^19", "^19"
	}
	if tw {
		devOrder = append(devOrder, "postcss", "tailwindcss")
		dev["postcss"], dev["tailwindcss"] = "^8", "^3.4.1"
	}
	if eslint {
		devOrder = append(devOrder, "eslint", "eslint-config-next", "@eslint/eslintrc")
		dev["eslint"], dev["eslint-config-next"], dev["@eslint/eslintrc"] = "^9", "15.1.7", "^3"
	}
	devScript := "next dev"
	if turbo {
		devScript += " --turbopack"
	}
	scripts := fmt.Sprintf("{\n  \"dev\": %q,\n  \"build\": \"next build\",\n  \"start\": \"next start\"", devScript)
	if eslint {
		scripts += ",\n  \"lint\": \"next lint\""
	}
	scripts += "\n}"
	kv := [][2]string{{"name", fmt.Sprintf("%q", name)}, {"version", `"0.1.0"`}, {"private", "true"}, {"scripts", scripts}, {"dependencies", jsonObject(deps)}}
	if len(dev) > 0 {
		kv = append(kv, [2]string{"devDependencies", jsonObject(dev)})
	}
	if !p.writeJSONPackage(root, kv) {
		return 1
	}
	paths := fmt.Sprintf("\"paths\": {\n      %q: [\"./%s*\"]\n    }", alias, src)
	files := []scaffoldFile{
		{"README.md", "This is a [Next.js](https://nextjs.org) project bootstrapped with `create-next-app` (layerlab stand-in README).\n\nRun the development server with `" + pm + " run dev`.\n"},
		{".gitignore", "# dependencies\n/node_modules\n/.pnp\n.pnp.*\n\n# testing\n/coverage\n\n# next.js\n/.next/\n/out/\n\n# production\n/build\n\n# misc\n.DS_Store\n*.pem\n\n# debug\nnpm-debug.log*\n\n# env files\n.env*\n\n# vercel\n.vercel\n\n# typescript\n*.tsbuildinfo\nnext-env.d.ts\n"},
	}
	if ts {
		files = append(files,
			scaffoldFile{"next.config.ts", "import type { NextConfig } from \"next\";\n\nconst nextConfig: NextConfig = {\n  /* config options here */\n};\n\nexport default nextConfig;\n"},
			scaffoldFile{"tsconfig.json", "{\n  \"compilerOptions\": {\n    \"target\": \"ES2017\",\n    \"lib\": [\"dom\", \"dom.iterable\", \"esnext\"],\n    \"allowJs\": true,\n    \"skipLibCheck\": true,\n    \"strict\": true,\n    \"noEmit\": true,\n    \"esModuleInterop\": true,\n    \"module\": \"esnext\",\n    \"moduleResolution\": \"bundler\",\n    \"resolveJsonModule\": true,\n    \"isolatedModules\": true,\n    \"jsx\": \"preserve\",\n    \"incremental\": true,\n    \"plugins\": [\n      {\n        \"name\": \"next\"\n      }\n    ],\n    " + paths + "\n  },\n  \"include\": [\"next-env.d.ts\", \"**/*.ts\", \"**/*.tsx\", \".next/types/**/*.ts\"],\n  \"exclude\": [\"node_modules\"]\n}\n"})
	} else {
		files = append(files,
			scaffoldFile{"next.config.mjs", "/** @type {import('next').NextConfig} */\nconst nextConfig = {};\n\nexport default nextConfig;\n"},
			scaffoldFile{"jsconfig.json", "{\n  \"compilerOptions\": {\n    " + paths + "\n  }\n}\n"})
	}
	if eslint {
		rules := `"next/core-web-vitals"`
		if ts {
			rules += `, "next/typescript"`
		}
		files = append(files, scaffoldFile{"eslint.config.mjs", "import { dirname } from \"path\";\nimport { fileURLToPath } from \"url\";\nimport { FlatCompat } from \"@eslint/eslintrc\";\n\nconst __filename = fileURLToPath(import.meta.url);\nconst __dirname = dirname(__filename);\n\nconst compat = new FlatCompat({\n  baseDirectory: __dirname,\n});\n\nconst eslintConfig = [\n  ...compat.extends(" + rules + "),\n];\n\nexport default eslintConfig;\n"})
	}
	if tw {
		files = append(files,
			scaffoldFile{"postcss.config.mjs", "/** @type {import('postcss-load-config').Config} */\nconst config = {\n  plugins: {\n    tailwindcss: {},\n  },\n};\n\nexport default config;\n"},
			scaffoldFile{"tailwind.config." + cfgExt, "// layerlab stand-in for create-next-app's Tailwind config\nexport default {\n  content: [\n    \"./" + src + "pages/**/*.{js,ts,jsx,tsx,mdx}\",\n    \"./" + src + "components/**/*.{js,ts,jsx,tsx,mdx}\",\n    \"./" + src + "app/**/*.{js,ts,jsx,tsx,mdx}\",\n  ],\n  theme: { extend: {} },\n  plugins: [],\n};\n"})
	}
	css := "/* layerlab stand-in for create-next-app's globals.css */\n:root { --background: #ffffff; --foreground: #171717; }\nbody { color: var(--foreground); background: var(--background); }\n"
	if tw {
		css = "@tailwind base;\n@tailwind components;\n@tailwind utilities;\n\n" + css
	}
	page := "// layerlab stand-in for create-next-app's home page\nexport default function Home() {\n  return (\n    <main>\n      <h1>Get started by editing " + src + map[bool]string{true: "app/page." + ext, false: "pages/index." + ext}[app] + "</h1>\n    </main>\n  );\n}\n"
	if app {
		layoutSig := "export default function RootLayout({ children }) {"
		meta := "export const metadata = {\n  title: \"Create Next App\",\n  description: \"Generated by create next app\",\n};\n"
		if ts {
			layoutSig = "export default function RootLayout({\n  children,\n}: Readonly<{\n  children: React.ReactNode;\n}>) {"
			meta = "import type { Metadata } from \"next\";\n\nexport const metadata: Metadata = {\n  title: \"Create Next App\",\n  description: \"Generated by create next app\",\n};\n"
		}
		files = append(files,
			scaffoldFile{src + "app/layout." + ext, meta + "import \"./globals.css\";\n\n" + layoutSig + "\n  return (\n    <html lang=\"en\">\n      <body>{children}</body>\n    </html>\n  );\n}\n"},
			scaffoldFile{src + "app/page." + ext, page},
			scaffoldFile{src + "app/globals.css", css},
			scaffoldFile{src + "app/favicon.ico", "layerlab stand-in for Next.js's favicon.ico\n"})
		if !tw {
			files = append(files, scaffoldFile{src + "app/page.module.css", ".page { display: grid; min-height: 100svh; }\n"})
		}
		for _, s := range []string{"file", "globe", "next", "vercel", "window"} {
			files = append(files, scaffoldFile{"public/" + s + ".svg", "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 16 16\"><!-- layerlab stand-in for Next.js's " + s + ".svg --></svg>\n"})
		}
	} else {
		apiExt := mode
		files = append(files,
			scaffoldFile{src + "pages/_app." + ext, "import \"@/styles/globals.css\";\n\nexport default function App({ Component, pageProps }) {\n  return <Component {...pageProps} />;\n}\n"},
			scaffoldFile{src + "pages/_document." + ext, "import { Html, Head, Main, NextScript } from \"next/document\";\n\nexport default function Document() {\n  return (\n    <Html lang=\"en\">\n      <Head />\n      <body>\n        <Main />\n        <NextScript />\n      </body>\n    </Html>\n  );\n}\n"},
			scaffoldFile{src + "pages/index." + ext, page},
			scaffoldFile{src + "pages/api/hello." + apiExt, "// Next.js API route: https://nextjs.org/docs/pages/building-your-application/routing/api-routes\nexport default function handler(req, res) {\n  res.status(200).json({ name: \"John Doe\" });\n}\n"},
			scaffoldFile{src + "styles/globals.css", css},
			scaffoldFile{"public/favicon.ico", "layerlab stand-in for Next.js's favicon.ico\n"})
		if !tw {
			files = append(files, scaffoldFile{src + "styles/Home.module.css", ".page { display: grid; min-height: 100svh; }\n"})
		}
	}
	if !p.writeScaffold(root, files, nil) {
		return 1
	}
	if flags["skip-install"] != "true" {
		p.outf("\nInstalling dependencies:\n")
		for _, d := range depOrder {
			p.outf("- %s\n", d)
		}
		if len(devOrder) > 0 {
			p.outf("\nInstalling devDependencies:\n")
			for _, d := range devOrder {
				p.outf("- %s\n", d)
			}
		}
		p.outf("\n")
		if code := p.shIn(root, pm+" install"); code != 0 {
			return code
		}
	}
	p.outf("\nSuccess! Created %s at %s\n\n", name, root)
	return 0
}

// createVue is create-vue 3.14: [DIR] [--default] [--ts] [--jsx] [--router]
// [--pinia] [--devtools] [--force]. The feature flags (any of them, or --default)
// skip the feature prompts; the project name is still asked when DIR is missing.
// Its testing and linting features (vitest, cypress, playwright, nightwatch, eslint,
// prettier) are real but not carried: the step fails naming them.
func (p *proc) createVue(args []string) int {
	pos, flags := minimist(args)
	if flags["version"] == "true" {
		p.outf("3.14.2\n")
		return 0
	}
	for _, f := range []string{"tests", "vitest", "cypress", "playwright", "nightwatch", "eslint", "eslint-with-prettier", "prettier"} {
		if flags[f] == "true" {
			fmt.Fprintf(p.errw, "layerlab: create-vue's --%s is real, but the sandbox carries only its --ts, --jsx, --router, --pinia and --devtools features (engine/sandbox/scaffold.go); nothing was written\n", f)
			return 1
		}
	}
	p.outf("\nVue.js - The Progressive JavaScript Framework\n\n")
	if len(pos) == 0 {
		return p.noTTYPrompt("create-vue", "Project name: … vue-project", "name the directory (npm create vue@latest my-app -- --default)")
	}
	target := strings.TrimRight(pos[0], "/")
	root := p.abs(target)
	if p.isDir(root) && !p.emptyForScaffold(root) && flags["force"] != "true" {
		q := fmt.Sprintf("Target directory %q is not empty. Remove existing files and continue?", target)
		if target == "." {
			q = "Current directory is not empty. Remove existing files and continue?"
		}
		return p.noTTYPrompt("create-vue", q, "scaffold into an empty directory or pass --force")
	}
	name := path.Base(root)
	if !validPackageName.MatchString(name) {
		return p.noTTYPrompt("create-vue", "Package name: …", "name the directory with a valid npm package name")
	}
	used := false
	for _, f := range []string{"default", "ts", "typescript", "jsx", "router", "vue-router", "pinia", "devtools", "vue-devtools"} {
		if _, ok := flags[f]; ok {
			used = true
		}
	}
	if !used {
		return p.noTTYPrompt("create-vue", "Add TypeScript? … No / Yes", "pass --default, or the features as flags (npm create vue@latest my-app -- --ts --router --pinia)")
	}
	on := func(names ...string) bool {
		for _, n := range names {
			if flags[n] == "true" {
				return true
			}
		}
		return false
	}
	ts, jsx, router, pinia, devtools := on("ts", "typescript"), on("jsx"), on("router", "vue-router"), on("pinia"), on("devtools", "vue-devtools")
	if flags["force"] == "true" {
		for _, n := range p.listDir(root) {
			if n != ".git" {
				p.removeAll(path.Join(root, n))
			}
		}
	}
	p.outf("Scaffolding project in %s...\n", root)
	ext := "js"
	if ts {
		ext = "ts"
	}
	deps := map[string]string{"vue": "^3.5.13"}
	dev := map[string]string{"@vitejs/plugin-vue": "^5.2.1", "vite": "^6.0.11"}
	scripts := "{\n  \"dev\": \"vite\",\n  \"build\": \"vite build\",\n  \"preview\": \"vite preview\"\n}"
	imports := "import { fileURLToPath, URL } from 'node:url'\n\nimport { defineConfig } from 'vite'\nimport vue from '@vitejs/plugin-vue'\n"
	plugins := "vue()"
	if jsx {
		dev["@vitejs/plugin-vue-jsx"] = "^4.1.1"
		imports += "import vueJsx from '@vitejs/plugin-vue-jsx'\n"
		plugins += ", vueJsx()"
	}
	if devtools {
		dev["vite-plugin-vue-devtools"] = "^7.7.0"
		imports += "import vueDevTools from 'vite-plugin-vue-devtools'\n"
		plugins += ", vueDevTools()"
	}
	if router {
		deps["vue-router"] = "^4.5.0"
	}
	if pinia {
		deps["pinia"] = "^2.3.1"
	}
	if ts {
		scripts = "{\n  \"dev\": \"vite\",\n  \"build\": \"run-p type-check \\\"build-only {@}\\\" --\",\n  \"preview\": \"vite preview\",\n  \"build-only\": \"vite build\",\n  \"type-check\": \"vue-tsc --build\"\n}"
		for k, v := range map[string]string{"@tsconfig/node22": "^22.0.0", "@types/node": "^22.10.7", "@vue/tsconfig": "^0.7.0", "npm-run-all2": "^7.0.2", "typescript": "~5.7.3", "vue-tsc": "^2.2.0"} {
			dev[k] = v
		}
	}
	kv := [][2]string{{"name", fmt.Sprintf("%q", name)}, {"version", `"0.0.0"`}, {"private", "true"}, {"type", `"module"`}, {"scripts", scripts}, {"dependencies", jsonObject(deps)}, {"devDependencies", jsonObject(dev)}}
	if !p.writeJSONPackage(root, kv) {
		return 1
	}
	sfcLang := ""
	if ts {
		sfcLang = " lang=\"ts\""
	}
	mainBody := "import './assets/main.css'\n\nimport { createApp } from 'vue'\n"
	if pinia {
		mainBody += "import { createPinia } from 'pinia'\n"
	}
	mainBody += "\nimport App from './App.vue'\n"
	if router {
		mainBody += "import router from './router'\n"
	}
	mainBody += "\nconst app = createApp(App)\n\n"
	if pinia {
		mainBody += "app.use(createPinia())\n"
	}
	if router {
		mainBody += "app.use(router)\n"
	}
	mainBody += "\napp.mount('#app')\n"
	files := []scaffoldFile{
		{"README.md", "# " + name + "\n\nThis template should help get you started developing with Vue 3 in Vite (layerlab stand-in README).\n\n```sh\nnpm install\nnpm run dev\nnpm run build\n```\n"},
		{".gitignore", "logs\n*.log\nnpm-debug.log*\nnode_modules\n.DS_Store\ndist\ndist-ssr\ncoverage\n*.local\n\n/cypress/videos/\n/cypress/screenshots/\n\n.vscode/*\n!.vscode/extensions.json\n.idea\n*.tsbuildinfo\n"},
		{".vscode/extensions.json", "{\n  \"recommendations\": [\"Vue.volar\"]\n}\n"},
		{"index.html", "<!DOCTYPE html>\n<html lang=\"\">\n  <head>\n    <meta charset=\"UTF-8\">\n    <link rel=\"icon\" href=\"/favicon.ico\">\n    <meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\">\n    <title>Vite App</title>\n  </head>\n  <body>\n    <div id=\"app\"></div>\n    <script type=\"module\" src=\"/src/main." + ext + "\"></script>\n  </body>\n</html>\n"},
		{"public/favicon.ico", "layerlab stand-in for Vue's favicon.ico\n"},
		{"vite.config." + ext, imports + "\n// https://vite.dev/config/\nexport default defineConfig({\n  plugins: [" + plugins + "],\n  resolve: {\n    alias: {\n      '@': fileURLToPath(new URL('./src', import.meta.url))\n    },\n  },\n})\n"},
		{"src/main." + ext, mainBody},
		{"src/App.vue", "<script setup" + sfcLang + ">\n// layerlab stand-in for create-vue's App.vue\nimport HelloWorld from './components/HelloWorld.vue'\n</script>\n\n<template>\n  <HelloWorld msg=\"You did it!\" />\n</template>\n"},
		{"src/assets/base.css", "/* layerlab stand-in for create-vue's base.css */\n:root { --vt-c-white: #ffffff; }\n"},
		{"src/assets/main.css", "@import './base.css';\n\n#app { max-width: 1280px; margin: 0 auto; }\n"},
		{"src/assets/logo.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 261.76 226.69\"><!-- layerlab stand-in for Vue's logo --><path d=\"M161 0l-30 52L101 0H0l131 227L262 0z\" fill=\"#41b883\"/></svg>\n"},
		{"src/components/HelloWorld.vue", "<script setup" + sfcLang + ">\ndefineProps({ msg: { type: String, required: true } })\n</script>\n\n<template>\n  <h1>{{ msg }}</h1>\n</template>\n"},
		{"src/components/TheWelcome.vue", "<script setup" + sfcLang + ">\nimport WelcomeItem from './WelcomeItem.vue'\n</script>\n\n<template>\n  <WelcomeItem>Documentation</WelcomeItem>\n</template>\n"},
		{"src/components/WelcomeItem.vue", "<template>\n  <div class=\"item\"><slot></slot></div>\n</template>\n"},
	}
	for _, ic := range []string{"IconCommunity", "IconDocumentation", "IconEcosystem", "IconSupport", "IconTooling"} {
		files = append(files, scaffoldFile{"src/components/icons/" + ic + ".vue", "<template>\n  <svg xmlns=\"http://www.w3.org/2000/svg\" width=\"20\" height=\"20\"><!-- layerlab stand-in for " + ic + " --></svg>\n</template>\n"})
	}
	if ts {
		files = append(files,
			scaffoldFile{"env.d.ts", "/// <reference types=\"vite/client\" />\n"},
			scaffoldFile{"tsconfig.json", "{\n  \"files\": [],\n  \"references\": [\n    {\n      \"path\": \"./tsconfig.node.json\"\n    },\n    {\n      \"path\": \"./tsconfig.app.json\"\n    }\n  ]\n}\n"},
			scaffoldFile{"tsconfig.app.json", "{\n  \"extends\": \"@vue/tsconfig/tsconfig.dom.json\",\n  \"include\": [\"env.d.ts\", \"src/**/*\", \"src/**/*.vue\"],\n  \"exclude\": [\"src/**/__tests__/*\"],\n  \"compilerOptions\": {\n    \"tsBuildInfoFile\": \"./node_modules/.tmp/tsconfig.app.tsbuildinfo\",\n\n    \"paths\": {\n      \"@/*\": [\"./src/*\"]\n    }\n  }\n}\n"},
			scaffoldFile{"tsconfig.node.json", "{\n  \"extends\": \"@tsconfig/node22/tsconfig.json\",\n  \"include\": [\n    \"vite.config.*\",\n    \"vitest.config.*\",\n    \"cypress.config.*\",\n    \"nightwatch.conf.*\",\n    \"playwright.config.*\"\n  ],\n  \"compilerOptions\": {\n    \"noEmit\": true,\n    \"tsBuildInfoFile\": \"./node_modules/.tmp/tsconfig.node.tsbuildinfo\",\n\n    \"module\": \"ESNext\",\n    \"moduleResolution\": \"Bundler\",\n    \"types\": [\"node\"]\n  }\n}\n"})
	} else {
		files = append(files, scaffoldFile{"jsconfig.json", "{\n  \"compilerOptions\": {\n    \"paths\": {\n      \"@/*\": [\"./src/*\"]\n    }\n  },\n  \"exclude\": [\"node_modules\", \"dist\"]\n}\n"})
	}
	if router {
		files = append(files,
			scaffoldFile{"src/router/index." + ext, "import { createRouter, createWebHistory } from 'vue-router'\nimport HomeView from '../views/HomeView.vue'\n\nconst router = createRouter({\n  history: createWebHistory(import.meta.env.BASE_URL),\n  routes: [\n    { path: '/', name: 'home', component: HomeView },\n    { path: '/about', name: 'about', component: () => import('../views/AboutView.vue') },\n  ],\n})\n\nexport default router\n"},
			scaffoldFile{"src/views/HomeView.vue", "<script setup" + sfcLang + ">\nimport TheWelcome from '../components/TheWelcome.vue'\n</script>\n\n<template>\n  <main><TheWelcome /></main>\n</template>\n"},
			scaffoldFile{"src/views/AboutView.vue", "<template>\n  <div class=\"about\"><h1>This is an about page</h1></div>\n</template>\n"})
	}
	if pinia {
		files = append(files, scaffoldFile{"src/stores/counter." + ext, "import { ref, computed } from 'vue'\nimport { defineStore } from 'pinia'\n\nexport const useCounterStore = defineStore('counter', () => {\n  const count = ref(0)\n  const doubleCount = computed(() => count.value * 2)\n  function increment() {\n    count.value++\n  }\n\n  return { count, doubleCount, increment }\n})\n"})
	}
	if !p.writeScaffold(root, files, nil) {
		return 1
	}
	pm := p.agentPM()
	p.outf("\nDone. Now run:\n\n")
	if root != p.dir {
		p.outf("  cd %s\n", relPath(p.dir, root))
	}
	if pm == "yarn" {
		p.outf("  yarn\n  yarn dev\n\n")
	} else {
		p.outf("  %s install\n  %s run dev\n\n", pm, pm)
	}
	return 0
}
