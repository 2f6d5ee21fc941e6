package sandbox

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"layerlab/engine/rootfs"
	"layerlab/engine/sandbox/langcatalog"
)

// The Python tools beyond pip: the interpreter's own modules (venv, pip,
// compileall), poetry, pipenv, uv, conda and mkdocs. They all install through
// pyInstall (pip.go), so the catalog, synthesis and typo rules are pip's.

func init() {
	register(map[string]cmdFunc{
		"python": cmdPython, "poetry": cmdPoetry, "pipenv": cmdPipenv, "uv": cmdUv, "uvx": cmdUvx,
		"conda": cmdConda, "mkdocs": cmdMkdocs,
	})
}

func (p *proc) pythonVersion() string {
	if v := p.getenv("PYTHON_VERSION"); v != "" {
		parts := strings.Split(v, ".")
		if len(parts) >= 2 {
			return parts[0] + "." + parts[1]
		}
	}
	for _, dir := range []string{"/usr/local/bin", "/usr/bin", "/opt/conda/bin"} {
		var names []string
		p.s.withFS(func(f *rootfs.FS) error { names, _ = f.ReadDir(dir); return nil })
		for _, n := range names {
			if v, ok := strings.CutPrefix(n, "python3."); ok && !strings.Contains(v, "-") {
				return "3." + v
			}
		}
	}
	return "3.11"
}

// pythonFullVersion is the interpreter's x.y.z: the official images' PYTHON_VERSION,
// else the version the distribution's package manager installed (ubuntu:18.04's
// python3.6 is 3.6.9), which Requires-Python bounds such as >=3.6.1 compare against.
func (p *proc) pythonFullVersion() string {
	if v := p.getenv("PYTHON_VERSION"); v != "" {
		return v
	}
	minor := p.pythonVersion()
	if v := p.debStatus()["python"+minor]; v != "" {
		return upstreamVersion(v)
	}
	for _, e := range p.apkDB() {
		if e.name == "python3" && strings.HasPrefix(e.ver, minor+".") {
			return upstreamVersion(e.ver)
		}
	}
	return minor + ".0"
}

// pythonExe is the interpreter this process was started as, absolute when found.
func (p *proc) pythonExe() string {
	if strings.Contains(p.argv0, "/") {
		return p.abs(p.argv0)
	}
	if found, ok := p.s.lookPath(p.getenv("PATH"), p.dir, p.argv0); ok {
		return found
	}
	return "/usr/local/bin/python3"
}

func cmdPython(p *proc) int {
	args := p.args
	for len(args) > 0 && len(args[0]) == 2 && strings.Contains("-u-B-O-E-s-S-I", args[0]) {
		args = args[1:] // interpreter options that change nothing here
	}
	if len(args) == 0 {
		return p.notSimulated(p.name + " (interactive)")
	}
	switch {
	case args[0] == "--version" || args[0] == "-V":
		p.outf("Python %s\n", p.pythonFullVersion())
		return 0
	case args[0] == "-m" && len(args) > 1:
		c := *p
		c.args = args[2:]
		switch args[1] {
		case "pip", "pip3":
			c.name, c.argv0 = "pip", p.pythonExe()
			return cmdPip(&c)
		case "venv", "virtualenv":
			return c.pyVenvCmd()
		case "compileall":
			return c.pyCompileAll()
		case "ensurepip":
			return 0
		case "poetry":
			return cmdPoetry(&c)
		case "pipenv":
			return cmdPipenv(&c)
		case "uv":
			return cmdUv(&c)
		case "mkdocs":
			return cmdMkdocs(&c)
		}
		return p.notSimulated(p.name + " -m " + args[1])
	case args[0] == "-c" && len(args) > 1:
		return p.pythonC(args[1]) // django.go
	case args[0] == "-":
		// `curl -sSL https://install.python-poetry.org | python3 -`: the download is the
		// playground's stand-in installer (installers.go), a shell script the sandbox
		// runs; other Python code it does not run
		src, ok := p.readStdin()
		if !ok {
			return 1
		}
		if isInstallerStandIn(src) {
			return p.runInstallerStandIn(src, "-", args[1:])
		}
		return p.notSimulated(p.name + " - (a script from stdin)")
	case !strings.HasPrefix(args[0], "-"):
		// a script: a console script pip wrote runs as its command, a stand-in
		// installer the playground downloaded runs as the shell script it is; others
		// are programs the sandbox does not run
		if path.Base(args[0]) == "manage.py" {
			return p.djangoManage(args[0], args[1:]) // django.go
		}
		if head := p.head(p.abs(args[0])); isInstallerStandIn(head) {
			src, err := p.readFile(args[0])
			if err != nil {
				fmt.Fprintf(p.errw, "%s: can't open file '%s': [Errno 2] No such file or directory\n", p.pythonExe(), p.abs(args[0]))
				return 2
			}
			return p.runInstallerStandIn(src, args[0], args[1:])
		} else if strings.Contains(string(head), "(layerlab stand-in)") {
			c := *p
			c.name, c.argv0, c.args = path.Base(args[0]), args[0], args[1:]
			if impl := lookupImpl(c.name); impl != nil && c.name != "python" {
				return impl(&c)
			}
			return p.notSimulated(c.name)
		}
		return p.notSimulated(p.name + " " + args[0])
	}
	return p.notSimulated(p.name + " " + args[0])
}

// isInstallerStandIn reports whether a script is one of the playground's stand-in
// installers (installers.go), which start with #!/bin/sh and name their URL.
func isInstallerStandIn(src []byte) bool {
	return strings.HasPrefix(string(src), "#!/bin/sh\n# layerlab placeholder for ") && strings.Contains(string(src), "this script stands in for the ")
}

// runInstallerStandIn runs a stand-in installer given to python as the shell script
// it is, with the arguments python would have passed to the real one.
func (p *proc) runInstallerStandIn(src []byte, name string, args []string) int {
	file, err := parseScript(strings.NewReader(string(src)), name)
	if err != nil {
		fmt.Fprintf(p.errw, "%s: %v\n", name, err)
		return 2
	}
	return p.runShell(file, append([]string{"--"}, args...))
}

// pyVenvCmd is `python -m venv [options] DIR...`.
func (p *proc) pyVenvCmd() int {
	withPip, sysSite := true, false
	var dirs []string
	for i := 0; i < len(p.args); i++ {
		switch a := p.args[i]; {
		case a == "--without-pip":
			withPip = false
		case a == "--system-site-packages":
			sysSite = true
		case a == "--prompt":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			dirs = append(dirs, a)
		}
	}
	if len(dirs) == 0 {
		p.errf("usage: venv [-h] [--system-site-packages] [--symlinks | --copies] [--clear] [--upgrade] [--without-pip] [--prompt PROMPT] [--upgrade-deps] ENV_DIR [ENV_DIR ...]\nvenv: error: the following arguments are required: ENV_DIR")
		return 2
	}
	for _, d := range dirs {
		if err := p.makeVenv(p.abs(d), p.pythonExe(), withPip, sysSite); err != nil {
			p.errf("Error: %v", err)
			return 1
		}
	}
	return 0
}

// makeVenv creates the tree `python -m venv` creates: pyvenv.cfg, bin/ with the
// interpreter links, activate scripts and pip, lib/pythonX.Y/site-packages with pip
// (and setuptools before 3.12), lib64 -> lib.
func (p *proc) makeVenv(root, base string, withPip, sysSite bool) error {
	root = "/" + rootfs.Clean(root)
	ver := p.pythonVersion()
	uid, gid := p.s.uid, p.s.gid
	home := path.Dir(base)
	cfg := fmt.Sprintf("home = %s\ninclude-system-site-packages = %t\nversion = %s\nexecutable = %s/python%s\ncommand = %s -m venv %s\n", home, sysSite, p.pythonFullVersion(), home, ver, base, root)
	if err := p.putText(root+"/pyvenv.cfg", cfg); err != nil {
		return err
	}
	err := p.s.withFS(func(f *rootfs.FS) error {
		for _, d := range []string{root + "/bin", root + "/include/python" + ver, root + "/lib/python" + ver + "/site-packages"} {
			if err := f.MkdirAll(d, 0o755, uid, gid, p.s.now()); err != nil {
				return err
			}
		}
		links := [][2]string{{root + "/bin/python", base}, {root + "/bin/python3", "python"}, {root + "/bin/python" + ver, "python"}, {root + "/lib64", "lib"}}
		for _, l := range links {
			if _, _, err := f.Lstat(l[0]); err == nil {
				continue
			}
			k, err := f.ResolveParent(l[0])
			if err != nil {
				return err
			}
			if err := f.Put(k, &rootfs.Entry{Kind: rootfs.KindSymlink, Mode: 0o777, UID: uid, GID: gid, ModTime: p.s.now(), Linkname: l[1]}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if err := p.put(root+"/bin/activate", rootfs.Bytes(venvActivate(root)), 0o644, uid, gid); err != nil {
		return err
	}
	p.putText(root+"/bin/activate.csh", "# This file must be used with \"source bin/activate.csh\" *from csh*.\nsetenv VIRTUAL_ENV \""+root+"\"\nset _OLD_VIRTUAL_PATH=\"$PATH\"\nsetenv PATH \"$VIRTUAL_ENV/bin:$PATH\"\n")
	p.putText(root+"/bin/activate.fish", "# This file must be used with \"source <venv>/bin/activate.fish\" *from fish*\nset -gx VIRTUAL_ENV \""+root+"\"\nset -gx _OLD_VIRTUAL_PATH $PATH\nset -gx PATH \"$VIRTUAL_ENV/bin\" $PATH\n")
	p.putText(root+"/bin/Activate.ps1", "$env:VIRTUAL_ENV = \""+root+"\"\n$env:PATH = \"$env:VIRTUAL_ENV/bin:\" + $env:PATH\n")
	if !withPip {
		return nil
	}
	env := venvScheme(root, ver)
	sys := p.pyScheme(base)
	bundled := []string{"pip"}
	if ver < "3.12" && len(ver) == 4 {
		bundled = append(bundled, "setuptools")
	}
	inst := p.pyInstalled(sys.site)
	for _, n := range bundled {
		pk, _ := langcatalog.Lookup(langcatalog.PyPI, n)
		if v := inst[n]; v != "" {
			pk.Version = v // ensurepip installs the wheels bundled with this Python
		}
		if n == "pip" {
			pk.Bins = []string{"pip", "pip3", "pip" + ver}
		}
		if err := p.pyWrite(env, pk, pyOpts{installer: "pip", noCache: true}, false, rootfs.Generated{}, pyReq{}); err != nil {
			return err
		}
	}
	return nil
}

// venvActivate is bin/activate: sourced by a POSIX shell it sets VIRTUAL_ENV, puts
// the venv's bin first on PATH and defines deactivate, as the real script does.
func venvActivate(root string) string {
	return `# This file must be used with "source bin/activate" *from bash*
# You cannot run it directly

deactivate () {
    if [ -n "${_OLD_VIRTUAL_PATH:-}" ] ; then
        PATH="${_OLD_VIRTUAL_PATH:-}"
        export PATH
        unset _OLD_VIRTUAL_PATH
    fi
    if [ -n "${_OLD_VIRTUAL_PS1:-}" ] ; then
        PS1="${_OLD_VIRTUAL_PS1:-}"
        export PS1
        unset _OLD_VIRTUAL_PS1
    fi
    unset VIRTUAL_ENV
    unset VIRTUAL_ENV_PROMPT
    if [ ! "${1:-}" = "nondestructive" ] ; then
        unset -f deactivate
    fi
}

# unset irrelevant variables
deactivate nondestructive

VIRTUAL_ENV="` + root + `"
export VIRTUAL_ENV

_OLD_VIRTUAL_PATH="$PATH"
PATH="$VIRTUAL_ENV/bin:$PATH"
export PATH

VIRTUAL_ENV_PROMPT="(` + path.Base(root) + `) "
export VIRTUAL_ENV_PROMPT
`
}

// pyCompileAll is `python -m compileall [-q] [-b] DIR...`: a .pyc beside (-b) or in
// __pycache__ for each .py, its bytes a function of the source's.
func (p *proc) pyCompileAll() int {
	legacy, quiet := false, false
	var roots []string
	for i := 0; i < len(p.args); i++ {
		switch a := p.args[i]; {
		case a == "-b":
			legacy = true
		case strings.HasPrefix(a, "-q"):
			quiet = true
		case a == "-d" || a == "-x" || a == "-i" || a == "-r" || a == "-o" || a == "-j" || a == "-s" || a == "-p" || a == "-e" || a == "--invalidation-mode":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			roots = append(roots, a)
		}
	}
	if len(roots) == 0 {
		roots = []string{p.pythonSitePath()}
	}
	tag := "cpython-" + strings.ReplaceAll(p.pythonVersion(), ".", "")
	for _, r := range roots {
		abs := p.abs(r)
		var files []string
		p.s.withFS(func(f *rootfs.FS) error {
			e, key, err := f.Stat(abs)
			if err != nil {
				return nil
			}
			if e.Kind != rootfs.KindDir {
				files = append(files, "/"+key)
				return nil
			}
			return f.Walk(func(k string, e *rootfs.Entry) error {
				if e.Kind == rootfs.KindFile && strings.HasSuffix(k, ".py") && (key == "" || strings.HasPrefix(k, key+"/")) && !strings.Contains(k, "/__pycache__/") {
					files = append(files, "/"+k)
				}
				return nil
			})
		})
		if !quiet {
			p.outf("Listing '%s'...\n", r)
		}
		sort.Strings(files)
		for _, src := range files {
			d, err := p.inputsDigest([]string{src}, nil, tag)
			if err != nil {
				p.errf("compileall: %v", err)
				return 1
			}
			out := path.Dir(src) + "/__pycache__/" + strings.TrimSuffix(path.Base(src), ".py") + "." + tag + ".pyc"
			if legacy {
				out = src + "c"
			}
			var size int64 = 200
			if e, err := p.s.stat(src); err == nil && e.Data != nil {
				size += e.Data.Size() / 2
			}
			if err := p.put(out, artefact("compileall", out, d, size, 64), 0o644, p.s.uid, p.s.gid); err != nil {
				p.errf("compileall: %v", err)
				return 1
			}
			if !quiet {
				p.outf("Compiling '%s'...\n", src)
			}
		}
	}
	return 0
}

func (p *proc) pythonSitePath() string { return p.pyScheme(p.pythonExe()).site }

// ---- a small TOML reader: enough for pyproject.toml, poetry.lock, uv.lock,
// Pipfile and setup.cfg (ini) ----

type tomlDoc struct {
	tables map[string]map[string]string // table -> key -> raw value
	order  map[string][]string
	arrays map[string][]map[string]string // [[name]] -> entries
}

func parsePyTOML(s string) tomlDoc {
	t := tomlDoc{tables: map[string]map[string]string{}, order: map[string][]string{}, arrays: map[string][]map[string]string{}}
	cur := map[string]string{}
	curName := ""
	t.tables[""] = cur
	lines := strings.Split(s, "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" || l[0] == '#' || l[0] == ';' {
			continue
		}
		if strings.HasPrefix(l, "[[") {
			name := strings.Trim(strings.TrimSpace(strings.Trim(l, "[]")), `"`)
			cur = map[string]string{}
			curName = "[[" + name + "]]"
			t.arrays[name] = append(t.arrays[name], cur)
			continue
		}
		if strings.HasPrefix(l, "[") {
			curName = strings.TrimSpace(strings.Trim(l, "[]"))
			curName = strings.ReplaceAll(curName, `"`, "")
			if t.tables[curName] == nil {
				t.tables[curName] = map[string]string{}
			}
			cur = t.tables[curName]
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			if k, v, ok = strings.Cut(l, ":"); !ok {
				continue
			}
		}
		k = strings.Trim(strings.TrimSpace(k), `"'`)
		v = strings.TrimSpace(v)
		// multi-line arrays, inline tables and strings
		for tomlDepth(v) > 0 && i+1 < len(lines) {
			i++
			v += "\n" + lines[i]
		}
		if strings.HasPrefix(v, `"""`) && !strings.HasSuffix(v[3:], `"""`) {
			for i+1 < len(lines) {
				i++
				v += "\n" + lines[i]
				if strings.Contains(lines[i], `"""`) {
					break
				}
			}
		}
		if _, dup := cur[k]; !dup {
			t.order[curName] = append(t.order[curName], k)
		}
		cur[k] = v
	}
	return t
}

// depth counts unclosed [ and { outside strings.
func tomlDepth(v string) int {
	d, inStr := 0, byte(0)
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case inStr != 0:
			if c == inStr {
				inStr = 0
			}
		case c == '"' || c == '\'':
			inStr = c
		case c == '#':
			return d
		case c == '[' || c == '{':
			d++
		case c == ']' || c == '}':
			d--
		}
	}
	return d
}

func (t tomlDoc) raw(table, key string) string { return t.tables[table][key] }

func (t tomlDoc) str(table, key string) string { return unquoteTOML(t.tables[table][key]) }

func (t tomlDoc) keys(table string) []string { return t.order[table] }

func (t tomlDoc) list(table, key string) []string { return tomlStrings(t.tables[table][key]) }

var tomlString = newLazyRegexp(`"((?:[^"\\]|\\.)*)"|'([^']*)'`)

// tomlStrings returns the strings of an array value.
func tomlStrings(v string) []string {
	var out []string
	for _, m := range tomlString.FindAllStringSubmatch(v, -1) {
		out = append(out, m[1]+m[2])
	}
	return out
}

func unquoteTOML(v string) string {
	v = strings.TrimSpace(v)
	if i := strings.Index(v, " #"); i >= 0 && !strings.HasPrefix(v, `"`) {
		v = strings.TrimSpace(v[:i])
	}
	if len(v) >= 2 && (v[0] == '"' && v[len(v)-1] == '"' || v[0] == '\'' && v[len(v)-1] == '\'') {
		return v[1 : len(v)-1]
	}
	return v
}

// ---- poetry ----

const poetryDefault = "2.1.1"

// poetryVersion is the installed poetry's version (from its dist-info).
func (p *proc) poetryVersion() string {
	env := p.pyScheme(p.argv0)
	if v := p.pyInstalled(env.site)["poetry"]; v != "" {
		return v
	}
	homes := []string{p.home() + "/.local/share/pypoetry/venv"}
	if h := p.getenv("POETRY_HOME"); h != "" {
		homes = append([]string{h + "/venv"}, homes...)
	}
	for _, h := range homes {
		// the official installer's own venv (installers.go)
		if v := p.pyInstalled(venvScheme(h, p.pythonVersion()).site)["poetry"]; v != "" {
			return v
		}
	}
	for _, s := range []pyEnv{p.pyScheme(""), p.pyScheme("/usr/local/bin/python3")} {
		if v := p.pyInstalled(s.site)["poetry"]; v != "" {
			return v
		}
	}
	return poetryDefault
}

func (p *proc) poetryConfigFile() string {
	if d := p.getenv("POETRY_CONFIG_DIR"); d != "" {
		return d + "/config.toml"
	}
	return p.home() + "/.config/pypoetry/config.toml"
}

// poetrySetting reads a setting from the environment (POETRY_VIRTUALENVS_CREATE),
// then the project's poetry.toml, then the user's config.toml.
func (p *proc) poetrySetting(key, def string) string {
	env := "POETRY_" + strings.ToUpper(strings.NewReplacer(".", "_", "-", "_").Replace(key))
	if v := p.getenv(env); v != "" {
		return strings.ToLower(v)
	}
	sec, k, _ := strings.Cut(key, ".")
	for _, f := range []string{p.abs("poetry.toml"), p.poetryConfigFile()} {
		if b, err := p.readFile(f); err == nil {
			if v := parsePyTOML(string(b)).str(sec, k); v != "" {
				return strings.ToLower(v)
			}
		}
	}
	return def
}

func cmdPoetry(p *proc) int {
	var args []string
	for _, a := range p.args {
		if a == "-n" || a == "--no-interaction" || a == "--no-ansi" || a == "-q" || a == "--quiet" || a == "-v" || a == "-vv" || a == "-vvv" || a == "--ansi" {
			continue
		}
		args = append(args, a)
	}
	if len(args) == 0 {
		p.outf("Poetry (version %s)\n", p.poetryVersion())
		return 0
	}
	major2 := langcatalog.Compare(p.poetryVersion(), "2") >= 0
	switch args[0] {
	case "--version", "-V", "about":
		p.outf("Poetry (version %s)\n", p.poetryVersion())
		return 0
	case "config":
		return p.poetryConfig(args[1:])
	case "install", "sync":
		return p.poetryInstall(args[1:], args[0] == "sync")
	case "lock":
		if _, code := p.poetryLock(true); code != 0 {
			return code
		}
		p.outf("Resolving dependencies...\n\nWriting lock file\n")
		return 0
	case "export":
		if major2 && !p.pyHas("poetry-plugin-export") {
			// Poetry 2 no longer bundles the export plugin (poetry-plugin-export)
			fmt.Fprintf(p.errw, "\nThe requested command export does not exist.\n\n")
			return 1
		}
		return p.poetryExport(args[1:])
	case "build":
		return p.poetryBuild()
	case "run":
		if len(args) < 2 {
			return 1
		}
		c := *p
		c.name, c.args = "sh", []string{"-c", shellJoin(args[1:])}
		return cmdSh(&c)
	case "shell":
		if major2 {
			fmt.Fprintf(p.errw, "\nLooks like you're trying to use a Poetry command that is not available.\n\nSince Poetry (2.0.0), the shell command is not installed by default.\n")
			return 1
		}
	case "self", "add", "remove", "update", "show", "check", "env", "new", "init", "version", "cache", "source", "search", "debug", "publish", "list", "help":
	}
	return p.notSimulated("poetry " + args[0])
}

// pyHas reports a distribution installed in the scheme of this process's interpreter.
func (p *proc) pyHas(name string) bool {
	_, ok := p.pyInstalled(p.pyScheme(p.argv0).site)[name]
	return ok
}

func shellJoin(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	return b.String()
}

func (p *proc) poetryConfig(args []string) int {
	local := false
	var kv []string
	for _, a := range args {
		switch {
		case a == "--local":
			local = true
		case a == "--unset" || a == "--list":
			return 0
		case strings.HasPrefix(a, "-"):
		default:
			kv = append(kv, a)
		}
	}
	if len(kv) < 2 {
		return 0
	}
	file := p.poetryConfigFile()
	if local {
		file = p.abs("poetry.toml")
	}
	sec, key, ok := strings.Cut(kv[0], ".")
	if !ok {
		fmt.Fprintf(p.errw, "\nThere is no %s setting.\n", kv[0])
		return 1
	}
	old, _ := p.readFile(file)
	t := parsePyTOML(string(old))
	if t.tables[sec] == nil {
		t.tables[sec] = map[string]string{}
	}
	if _, had := t.tables[sec][key]; !had {
		t.order[sec] = append(t.order[sec], key)
	}
	t.tables[sec][key] = kv[1]
	var b strings.Builder
	var secs []string
	for s := range t.tables {
		if s != "" {
			secs = append(secs, s)
		}
	}
	sort.Strings(secs)
	for _, s := range secs {
		fmt.Fprintf(&b, "[%s]\n", s)
		for _, k := range t.order[s] {
			fmt.Fprintf(&b, "%s = %s\n", k, t.tables[s][k])
		}
		b.WriteString("\n")
	}
	if err := p.putText(file, b.String()); err != nil {
		p.errf("poetry: %v", err)
		return 1
	}
	return 0
}

// lockedPkg is one locked package of any Python lockfile.
type lockedPkg struct {
	name, version string
	groups        []string
}

// poetryLock returns the locked packages: poetry.lock's, or (write=true, no lock)
// a resolution of pyproject.toml written to poetry.lock as `poetry lock` would.
func (p *proc) poetryLock(write bool) ([]lockedPkg, int) {
	pb, err := p.readFile("pyproject.toml")
	if err != nil {
		fmt.Fprintf(p.errw, "\nPoetry could not find a pyproject.toml file in %s or its parents\n", p.dir)
		return nil, 1
	}
	pt := parsePyTOML(string(pb))
	if lb, err := p.readFile("poetry.lock"); err == nil && !(write && false) {
		var out []lockedPkg
		for _, e := range parsePyTOML(string(lb)).arrays["package"] {
			lp := lockedPkg{name: unquoteTOML(e["name"]), version: unquoteTOML(e["version"])}
			if c := unquoteTOML(e["category"]); c != "" {
				lp.groups = []string{c}
			} else if g := tomlStrings(e["groups"]); len(g) > 0 {
				lp.groups = g
			} else {
				lp.groups = []string{"main"}
			}
			out = append(out, lp)
		}
		return out, 0
	}
	// resolve: each group's direct dependencies and theirs
	groups := map[string]string{"tool.poetry.dependencies": "main", "tool.poetry.dev-dependencies": "dev"}
	for tbl := range pt.tables {
		if g, ok := strings.CutPrefix(tbl, "tool.poetry.group."); ok && strings.HasSuffix(g, ".dependencies") {
			groups[tbl] = strings.TrimSuffix(g, ".dependencies")
		}
	}
	var tbls []string
	for t := range groups {
		tbls = append(tbls, t)
	}
	sort.Strings(tbls)
	seen := map[string]int{}
	var out []lockedPkg
	var add func(name, spec, group string) int
	add = func(name, spec, group string) int {
		n := langcatalog.Normalize(langcatalog.PyPI, name)
		if i, ok := seen[n]; ok {
			if !contains(out[i].groups, group) {
				out[i].groups = append(out[i].groups, group)
			}
			return 0
		}
		pkg, err := langcatalog.Resolve(langcatalog.PyPI, name, spec)
		if err != nil {
			fmt.Fprintf(p.errw, "\nBecause %s depends on %s (%s) which doesn't match any versions, version solving failed.\n", pt.str("tool.poetry", "name"), name, strings.TrimPrefix(spec, "=="))
			return 1
		}
		if pkg.Synthesized {
			p.outf("layerlab: %s is not in the playground's PyPI catalog; locking %s %s, a stand-in synthesized from its name\n", name, pkg.Name, pkg.Version)
		}
		seen[n] = len(out)
		out = append(out, lockedPkg{name: pkg.Name, version: pkg.Version, groups: []string{group}})
		for _, d := range pkg.Deps {
			if code := add(d, "", group); code != 0 {
				return code
			}
		}
		return 0
	}
	for _, t := range tbls {
		for _, k := range pt.keys(t) {
			if k == "python" {
				continue
			}
			if code := add(k, poetrySpec(pt.str(t, k)), groups[t]); code != 0 {
				return nil, code
			}
		}
	}
	for _, d := range pt.list("project", "dependencies") {
		if r, ok := parseReq(d); ok && r.name != "" {
			if code := add(r.name, r.spec, "main"); code != 0 {
				return nil, code
			}
		}
	}
	if write {
		var b strings.Builder
		b.WriteString("# This file is automatically @generated by Poetry " + p.poetryVersion() + " and should not be changed by hand.\n\n")
		for _, lp := range out {
			fmt.Fprintf(&b, "[[package]]\nname = %q\nversion = %q\noptional = false\npython-versions = \"*\"\ngroups = [%s]\n\n", lp.name, lp.version, quoteList(lp.groups))
		}
		b.WriteString("[metadata]\nlock-version = \"2.1\"\npython-versions = \"*\"\n")
		if err := p.putText(p.abs("poetry.lock"), b.String()); err != nil {
			p.errf("poetry: %v", err)
			return nil, 1
		}
	}
	return out, 0
}

func quoteList(l []string) string {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return strings.Join(q, ", ")
}

// groupsWanted applies --only/--with/--without/--no-dev to a project's groups.
func groupsWanted(args []string) func(groups []string) bool {
	only := map[string]bool{}
	without := map[string]bool{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		val := func() []string {
			if _, v, ok := strings.Cut(a, "="); ok {
				return strings.Split(v, ",")
			}
			if i+1 < len(args) {
				i++
				return strings.Split(args[i], ",")
			}
			return nil
		}
		switch {
		case a == "--only" || strings.HasPrefix(a, "--only="):
			for _, g := range val() {
				only[g] = true
			}
		case a == "--without" || strings.HasPrefix(a, "--without="):
			for _, g := range val() {
				without[g] = true
			}
		case a == "--no-dev" || a == "--only-root":
			without["dev"] = true
		case a == "--with" || strings.HasPrefix(a, "--with="):
			val()
		}
	}
	return func(groups []string) bool {
		for _, g := range groups {
			if (len(only) == 0 || only[g]) && !without[g] {
				return true
			}
		}
		return false
	}
}

func (p *proc) poetryInstall(args []string, sync bool) int {
	noRoot := false
	for _, a := range args {
		if a == "--no-root" || a == "--only-root" && false {
			noRoot = true
		}
	}
	hadLock := p.s.exists(p.abs("poetry.lock"))
	locked, code := p.poetryLock(true)
	if code != 0 {
		return code
	}
	pb, _ := p.readFile("pyproject.toml")
	pt := parsePyTOML(string(pb))
	name := pt.str("tool.poetry", "name")
	if name == "" {
		name = pt.str("project", "name")
	}
	env := p.pyScheme("/usr/local/bin/python3")
	if p.poetrySetting("virtualenvs.create", "true") != "false" {
		root := p.abs(".venv")
		if p.poetrySetting("virtualenvs.in-project", "false") != "true" && !p.s.exists(root+"/pyvenv.cfg") {
			root = p.home() + "/.cache/pypoetry/virtualenvs/" + langcatalog.Normalize(langcatalog.PyPI, name) + fmt.Sprintf("-%08x", seedOf("poetry-venv", p.dir)&0xffffffff)[:9] + "-py" + p.pythonVersion()
		}
		if !p.s.exists(root + "/pyvenv.cfg") {
			p.outf("Creating virtualenv %s in %s\n", path.Base(root), path.Dir(root))
			if err := p.makeVenv(root, "/usr/local/bin/python3", true, false); err != nil {
				p.errf("poetry: %v", err)
				return 1
			}
		}
		env = venvScheme(root, p.pythonVersion())
	}
	if !hadLock {
		p.outf("Updating dependencies\nResolving dependencies...\n\nWriting lock file\n\n")
	} else {
		p.outf("Installing dependencies from lock file\n\n")
	}
	want := groupsWanted(args)
	var reqs []pyReq
	for _, lp := range locked {
		if want(lp.groups) {
			reqs = append(reqs, pyReq{name: lp.name, spec: "==" + lp.version})
		}
	}
	installed := p.pyInstalled(env.site)
	var todo []pyReq
	for _, r := range reqs {
		if installed[langcatalog.Normalize(langcatalog.PyPI, r.name)] != strings.TrimPrefix(r.spec, "==") {
			todo = append(todo, r)
		}
	}
	if len(todo) == 0 {
		p.outf("No dependencies to install or update\n")
	} else {
		p.outf("Package operations: %d installs, 0 updates, 0 removals\n\n", len(todo))
		for _, r := range todo {
			p.outf("  - Installing %s (%s)\n", r.name, strings.TrimPrefix(r.spec, "=="))
		}
		if code := p.pyInstall(env, todo, pyOpts{installer: "poetry", noDeps: true, locked: true, noCache: true, quiet: true, breakSystem: true}); code != 0 {
			return code
		}
	}
	if noRoot || pt.str("tool.poetry", "package-mode") == "false" {
		return 0
	}
	// the root project: Poetry 2 fails when its package is missing, 1.x warned
	mod := strings.ReplaceAll(langcatalog.Normalize(langcatalog.PyPI, name), "-", "_")
	if !p.s.exists(p.abs(mod)) && !p.s.exists(p.abs("src/"+mod)) && !p.s.exists(p.abs(mod+".py")) && pt.raw("tool.poetry", "packages") == "" {
		msg := fmt.Sprintf("The current project could not be installed: No file/folder found for package %s\nIf you do not want to install the current project use --no-root.\nIf you want to use Poetry only for dependency management but not for packaging, you can disable package mode by setting package-mode = false in your pyproject.toml file.\nIf you did intend to install the current project, you may need to set `packages` in your pyproject.toml file.\n", name)
		if langcatalog.Compare(p.poetryVersion(), "2") >= 0 {
			fmt.Fprintf(p.errw, "\nError: %s", msg)
			return 1
		}
		fmt.Fprintf(p.errw, "\nWarning: %sIn a future version of Poetry this warning will become an error!\n", msg)
		return 0
	}
	ver := pt.str("tool.poetry", "version")
	if ver == "" {
		ver = pt.str("project", "version")
	}
	p.outf("\nInstalling the current project: %s (%s)\n", name, ver)
	return p.pyInstall(env, []pyReq{{local: ".", editable: true}}, pyOpts{installer: "poetry", noDeps: true, quiet: true, breakSystem: true})
}

func (p *proc) poetryExport(args []string) int {
	out := ""
	hashes := true
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-o" || a == "--output":
			if i+1 < len(args) {
				i++
				out = args[i]
			}
		case strings.HasPrefix(a, "--output="):
			out = strings.TrimPrefix(a, "--output=")
		case a == "--without-hashes":
			hashes = false
		case a == "-f" || a == "--format":
			i++
		}
	}
	locked, code := p.poetryLock(false)
	if code != 0 {
		return code
	}
	want := groupsWanted(append([]string{"--only=main"}, withoutOnly(args)...))
	var b strings.Builder
	for _, lp := range locked {
		if !want(lp.groups) {
			continue
		}
		fmt.Fprintf(&b, "%s==%s ; python_version >= \"3.8\"", lp.name, lp.version)
		if hashes {
			fmt.Fprintf(&b, " \\\n    --hash=sha256:%064x", seedOf("pypi-sdist", lp.name, lp.version))
		}
		b.WriteString("\n")
	}
	// Poetry 1.5 to 1.8 bundle the export plugin but warn that 2.0 will not
	if v := p.poetryVersion(); langcatalog.Compare(v, "1.5") >= 0 && langcatalog.Compare(v, "2") < 0 && p.poetrySetting("warnings.export", "true") != "false" {
		fmt.Fprintf(p.errw, "Warning: poetry-plugin-export will not be installed by default in a future version of Poetry.\nIn order to avoid a breaking change and make your automation forward-compatible, please install poetry-plugin-export explicitly. See https://python-poetry.org/docs/plugins/#using-plugins for details on how to install a plugin.\nTo disable this warning run 'poetry config warnings.export false'.\n")
	}
	if out == "" {
		p.outf("%s", b.String())
		return 0
	}
	if err := p.putText(p.abs(out), b.String()); err != nil {
		p.errf("poetry: %v", err)
		return 1
	}
	return 0
}

// withoutOnly keeps --with/--without/--only from export's flags; export exports the
// main group unless told otherwise.
func withoutOnly(args []string) []string {
	var out []string
	for i, a := range args {
		if strings.HasPrefix(a, "--only") {
			return args[i:]
		}
		if strings.HasPrefix(a, "--without") {
			out = append(out, a)
		}
	}
	return out
}

// poetryBuild writes dist/NAME-VER.tar.gz and the wheel, both following the sources.
func (p *proc) poetryBuild() int {
	pr, ok := p.readPyProject(p.dir)
	if !ok {
		fmt.Fprintf(p.errw, "\nPoetry could not find a pyproject.toml file in %s or its parents\n", p.dir)
		return 1
	}
	d, err := p.inputsDigest([]string{"."}, []string{".git", "__pycache__", "dist", ".venv", "node_modules"})
	if err != nil {
		p.errf("poetry: %v", err)
		return 1
	}
	n := distName(langcatalog.Normalize(langcatalog.PyPI, pr.name))
	p.outf("Building %s (%s)\n", pr.name, pr.version)
	for _, f := range []string{n + "-" + pr.version + ".tar.gz", n + "-" + pr.version + "-py3-none-any.whl"} {
		if err := p.put(p.abs("dist/"+f), artefact("poetry-build", f, d, 4<<10, 60<<10), 0o644, p.s.uid, p.s.gid); err != nil {
			p.errf("poetry: %v", err)
			return 1
		}
		p.outf("  - Built %s\n", f)
	}
	return 0
}

// ---- pipenv ----

func cmdPipenv(p *proc) int {
	if len(p.args) == 0 {
		p.outf("Usage: pipenv [OPTIONS] COMMAND [ARGS]...\n")
		return 0
	}
	switch p.args[0] {
	case "--version":
		p.outf("pipenv, version %s\n", p.pipenvVersion())
		return 0
	case "install", "sync":
		return p.pipenvInstall(p.args[1:], p.args[0] == "sync")
	case "lock":
		for _, a := range p.args[1:] {
			if a == "-r" || a == "--requirements" {
				if langcatalog.Compare(p.pipenvVersion(), pipenvNoLockR) >= 0 {
					fmt.Fprintf(p.errw, "Usage: pipenv lock [OPTIONS]\nTry 'pipenv lock -h' for help.\n\nError: No such option: %s\n", a)
					return 2
				}
				return p.pipenvLockRequirements(p.args[1:])
			}
		}
		if _, code := p.pipfileLocked(true); code != 0 {
			return code
		}
		p.outf("Locking [packages] dependencies...\nUpdated Pipfile.lock!\n")
		return 0
	case "requirements":
		locked, code := p.pipfileLocked(false)
		if code != 0 {
			return code
		}
		dev := contains(p.args[1:], "--dev") || contains(p.args[1:], "--dev-only")
		for _, lp := range locked {
			if lp.groups[0] == "default" && !contains(p.args[1:], "--dev-only") || dev && lp.groups[0] == "develop" {
				p.outf("%s==%s\n", lp.name, lp.version)
			}
		}
		return 0
	case "run":
		c := *p
		c.name, c.args = "sh", []string{"-c", shellJoin(p.args[1:])}
		return cmdSh(&c)
	}
	return p.notSimulated("pipenv " + p.args[0])
}

// pipenvDefault is the pipenv of an image whose pipenv is not found installed.
const pipenvDefault = "2024.4.1"

// pipenvNoLockR is the pipenv release that removed `lock -r` (pipenv requirements
// replaced it).
const pipenvNoLockR = "2022.8.31"

// pipenvVersion is the installed pipenv's version, from its dist-info in the scheme
// of the pipenv being run, else the system's.
func (p *proc) pipenvVersion() string {
	for _, s := range []pyEnv{p.pyScheme(p.argv0), p.pyScheme(""), p.pyScheme("/usr/local/bin/python3"), p.pyScheme("/usr/bin/python3")} {
		if v := p.pyInstalled(s.site)["pipenv"]; v != "" {
			return v
		}
	}
	return pipenvDefault
}

var (
	pipfileIndex   = newLazyRegexp(`"sources"\s*:\s*\[\s*\{[^{}]*?"url"\s*:\s*"([^"]+)"`)
	pipfileEntry   = newLazyRegexp(`(?s)"([^"]+)"\s*:\s*\{([^{}]*?)\}`)
	pipfileStrings = newLazyRegexp(`"(version|markers|git|ref|editable|path)"\s*:\s*("[^"]*"|true|false)`)
)

// pipenvLockRequirements is `pipenv lock -r` of pipenvs before 2022.8.31: the
// lockfile's packages in requirements.txt form, headed by the index; --dev
// (-d) or --dev-only gives the develop section instead of the default one.
func (p *proc) pipenvLockRequirements(args []string) int {
	b, err := p.readFile("Pipfile.lock")
	if err != nil {
		// an older pipenv locks first, which needs the index
		if _, code := p.pipfileLocked(true); code != 0 {
			return code
		}
		if b, err = p.readFile("Pipfile.lock"); err != nil {
			p.errf("pipenv: %v", err)
			return 1
		}
	}
	sec := "default"
	if contains(args, "--dev") || contains(args, "-d") || contains(args, "--dev-only") {
		sec = "develop"
	}
	index := "https://pypi.org/simple"
	if m := pipfileIndex.FindStringSubmatch(string(b)); m != nil {
		index = m[1]
	}
	p.outf("-i %s\n", index)
	for _, m := range regexp.MustCompile(`(?s)"`+sec+`"\s*:\s*\{(.*?)\n    \}`).FindAllStringSubmatch(string(b), -1) {
		for _, e := range pipfileEntry.FindAllStringSubmatch(m[1], -1) {
			f := map[string]string{}
			for _, kv := range pipfileStrings.FindAllStringSubmatch(e[2], -1) {
				f[kv[1]] = strings.Trim(kv[2], `"`)
			}
			line := ""
			switch {
			case f["git"] != "":
				line = "git+" + f["git"]
				if f["ref"] != "" {
					line += "@" + f["ref"]
				}
				line += "#egg=" + e[1]
			case f["path"] != "":
				line = f["path"]
			case f["version"] != "":
				line = e[1] + f["version"]
			default:
				line = e[1]
			}
			if f["editable"] == "true" {
				line = "-e " + line
			}
			if f["markers"] != "" {
				line += "; " + f["markers"]
			}
			p.outf("%s\n", line)
		}
	}
	return 0
}

// pipfileLocked reads Pipfile.lock (default and develop), or resolves the Pipfile
// (and writes the lock when write) as `pipenv lock` would.
func (p *proc) pipfileLocked(write bool) ([]lockedPkg, int) {
	if b, err := p.readFile("Pipfile.lock"); err == nil {
		var out []lockedPkg
		for _, sec := range []string{"default", "develop"} {
			for _, m := range regexp.MustCompile(`(?s)"`+sec+`"\s*:\s*\{(.*?)\n    \}`).FindAllStringSubmatch(string(b), -1) {
				for _, e := range regexp.MustCompile(`(?s)"([^"]+)"\s*:\s*\{[^{}]*?"version"\s*:\s*"==([^"]+)"`).FindAllStringSubmatch(m[1], -1) {
					out = append(out, lockedPkg{name: e[1], version: e[2], groups: []string{sec}})
				}
			}
		}
		return out, 0
	}
	b, err := p.readFile("Pipfile")
	if err != nil {
		fmt.Fprintf(p.errw, "Pipfile.lock not found, creating...\nError: Pipfile not found in %s\n", p.dir)
		return nil, 1
	}
	t := parsePyTOML(string(b))
	var out []lockedPkg
	seen := map[string]bool{}
	var add func(name, spec, sec string) int
	add = func(name, spec, sec string) int {
		n := langcatalog.Normalize(langcatalog.PyPI, name)
		if seen[n] {
			return 0
		}
		seen[n] = true
		pkg, err := langcatalog.Resolve(langcatalog.PyPI, name, spec)
		if err != nil {
			fmt.Fprintf(p.errw, "CRITICAL:pipenv.patched.pip._internal.resolution.resolvelib.factory:Could not find a version that satisfies the requirement %s%s (from versions: none)\n[ResolutionFailure]: ... No matching distribution found for %s\n", name, spec, name)
			return 1
		}
		out = append(out, lockedPkg{name: pkg.Name, version: pkg.Version, groups: []string{sec}})
		for _, d := range pkg.Deps {
			if code := add(d, "", sec); code != 0 {
				return code
			}
		}
		return 0
	}
	for _, sec := range [][2]string{{"packages", "default"}, {"dev-packages", "develop"}} {
		for _, k := range t.keys(sec[0]) {
			spec := t.str(sec[0], k)
			if spec == "*" || strings.HasPrefix(spec, "{") {
				spec = ""
			}
			if code := add(k, spec, sec[1]); code != 0 {
				return nil, code
			}
		}
	}
	if write {
		var lb strings.Builder
		lb.WriteString("{\n    \"_meta\": {\n        \"pipfile-spec\": 6\n    },\n")
		for i, sec := range []string{"default", "develop"} {
			fmt.Fprintf(&lb, "    %q: {\n", sec)
			first := true
			for _, lp := range out {
				if lp.groups[0] != sec {
					continue
				}
				if !first {
					lb.WriteString(",\n")
				}
				first = false
				fmt.Fprintf(&lb, "        %q: {\n            \"version\": \"==%s\"\n        }", lp.name, lp.version)
			}
			lb.WriteString("\n    }")
			if i == 0 {
				lb.WriteString(",")
			}
			lb.WriteString("\n")
		}
		lb.WriteString("}\n")
		if err := p.putText(p.abs("Pipfile.lock"), lb.String()); err != nil {
			return nil, 1
		}
	}
	return out, 0
}

func (p *proc) pipenvInstall(args []string, sync bool) int {
	system, deploy, dev := false, false, false
	var named []string
	for _, a := range args {
		switch {
		case a == "--system":
			system = true
		case a == "--deploy":
			deploy = true
		case a == "--dev" || a == "-d":
			dev = true
		case strings.HasPrefix(a, "-"):
		default:
			named = append(named, a)
		}
	}
	if p.getenv("PIPENV_SYSTEM") == "1" {
		system = true
	}
	if deploy && !p.s.exists(p.abs("Pipfile.lock")) {
		fmt.Fprintf(p.errw, "Usage: pipenv install [OPTIONS] [PACKAGES]...\n\nERROR:: Pipfile.lock is out of date! Run $ pipenv lock to update it.\n")
		return 1
	}
	locked, code := p.pipfileLocked(true)
	if code != 0 {
		return code
	}
	env := p.pyScheme("/usr/local/bin/python3")
	if !system {
		root := p.abs(".venv")
		if p.getenv("PIPENV_VENV_IN_PROJECT") == "" && !p.s.exists(root+"/pyvenv.cfg") {
			root = p.home() + "/.local/share/virtualenvs/" + path.Base(p.dir) + fmt.Sprintf("-%08x", seedOf("pipenv", p.dir)&0xffffffff)
		}
		if !p.s.exists(root + "/pyvenv.cfg") {
			p.outf("Creating a virtualenv for this project...\nVirtualenv location: %s\n", root)
			if err := p.makeVenv(root, "/usr/local/bin/python3", true, false); err != nil {
				p.errf("pipenv: %v", err)
				return 1
			}
		}
		env = venvScheme(root, p.pythonVersion())
	}
	p.outf("Installing dependencies from Pipfile.lock (%06x)...\n", seedOf("pipfile", p.dir)&0xffffff)
	var reqs []pyReq
	for _, lp := range locked {
		if lp.groups[0] == "default" || dev && lp.groups[0] == "develop" {
			reqs = append(reqs, pyReq{name: lp.name, spec: "==" + lp.version})
		}
	}
	for _, n := range named {
		if r, ok := parseReq(n); ok {
			reqs = append(reqs, r)
		}
	}
	if len(reqs) == 0 {
		return 0
	}
	return p.pyInstall(env, reqs, pyOpts{installer: "pipenv", noDeps: len(named) == 0, locked: len(named) == 0, noCache: true, quiet: true, breakSystem: true})
}

// ---- uv ----

func cmdUvx(p *proc) int { return p.notSimulated("uvx") }

func cmdUv(p *proc) int {
	if len(p.args) == 0 {
		p.outf("An extremely fast Python package manager.\n\nUsage: uv [OPTIONS] <COMMAND>\n")
		return 2
	}
	switch p.args[0] {
	case "--version", "-V", "version":
		p.outf("uv 0.6.2\n")
		return 0
	case "pip":
		if len(p.args) > 1 && p.args[1] == "install" {
			return p.uvPipInstall(p.args[2:])
		}
		if len(p.args) > 1 && (p.args[1] == "freeze" || p.args[1] == "list") {
			c := *p
			c.args = p.args[1:]
			return cmdPip(&c)
		}
	case "venv":
		dir := ".venv"
		for _, a := range p.args[1:] {
			if !strings.HasPrefix(a, "-") {
				dir = a
			}
		}
		p.outf("Using CPython %s interpreter at: /usr/local/bin/python3\nCreating virtual environment at: %s\nActivate with: source %s/bin/activate\n", p.pythonFullVersion(), dir, dir)
		if err := p.makeVenv(p.abs(dir), "/usr/local/bin/python3", false, false); err != nil {
			p.errf("uv: %v", err)
			return 1
		}
		return 0
	case "sync", "install":
		return p.uvSync(p.args[1:])
	case "lock":
		return 0
	case "run":
		c := *p
		c.name, c.args = "sh", []string{"-c", shellJoin(p.args[1:])}
		return cmdSh(&c)
	case "cache":
		p.removeAll(p.home() + "/.cache/uv")
		return 0
	}
	return p.notSimulated("uv " + p.args[0])
}

func (p *proc) uvPipInstall(args []string) int {
	system := p.getenv("UV_SYSTEM_PYTHON") == "1" || p.getenv("UV_SYSTEM_PYTHON") == "true"
	var rest []string
	for _, a := range args {
		if a == "--system" {
			system = true
			continue
		}
		rest = append(rest, a)
	}
	env := p.pyScheme("/usr/local/bin/python3")
	if !system {
		v := p.getenv("VIRTUAL_ENV")
		if v == "" && p.s.exists(p.abs(".venv/pyvenv.cfg")) {
			v = p.abs(".venv")
		}
		if v == "" {
			fmt.Fprintf(p.errw, "error: No virtual environment found; run `uv venv` to create an environment, or pass `--system` to install into a non-virtual environment\n")
			return 2
		}
		env = venvScheme(v, p.pythonVersion())
	}
	// uv pip install takes pip's arguments
	opts := pyOpts{constraints: map[string]string{}, installer: "uv", noCache: true, quiet: true, breakSystem: true}
	var reqs []pyReq
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		switch {
		case a == "-r" || a == "--requirement":
			if i+1 < len(rest) {
				i++
				if code := p.readReqFile(rest[i], &reqs, &opts, 0); code != 0 {
					return code
				}
			}
		case a == "-e" || a == "--editable":
			if i+1 < len(rest) {
				i++
				r, _ := parseReq(rest[i])
				r.editable = true
				reqs = append(reqs, r)
			}
		case strings.HasPrefix(a, "-"):
		default:
			if r, ok := parseReq(a); ok {
				reqs = append(reqs, r)
			}
		}
	}
	code := p.pyInstall(env, reqs, opts)
	if code == 0 {
		p.outf("Installed %d packages\n", len(reqs))
	}
	return code
}

// uvSync installs uv.lock's packages (all groups but dev with --no-dev) into the
// project's .venv (UV_PROJECT_ENVIRONMENT), creating it as uv does.
func (p *proc) uvSync(args []string) int {
	b, err := p.readFile("uv.lock")
	frozen := contains(args, "--frozen") || contains(args, "--locked")
	if err != nil && frozen {
		fmt.Fprintf(p.errw, "error: Unable to find lockfile at `uv.lock`, but `--frozen` was provided. To create a lockfile, run `uv lock` or `uv sync` without the flag.\n")
		return 2
	}
	if _, err := p.readFile("pyproject.toml"); err != nil {
		fmt.Fprintf(p.errw, "error: No `project` table found in: `%s/pyproject.toml`\n", p.dir)
		return 2
	}
	pb, _ := p.readFile("pyproject.toml")
	pt := parsePyTOML(string(pb))
	project := langcatalog.Normalize(langcatalog.PyPI, pt.str("project", "name"))
	noDev := contains(args, "--no-dev") || p.getenv("UV_NO_DEV") == "1"
	var groups []string
	for i, a := range args {
		if (a == "--group" || a == "--extra") && i+1 < len(args) {
			groups = append(groups, args[i+1])
		}
	}
	var reqs []pyReq
	if err == nil {
		// the project's own dev group is left out with --no-dev; everything else in
		// the lock is what the resolution needs
		devOnly := map[string]bool{}
		if noDev {
			for _, d := range pt.list("dependency-groups", "dev") {
				if r, ok := parseReq(d); ok {
					devOnly[langcatalog.Normalize(langcatalog.PyPI, r.name)] = true
				}
			}
		}
		for _, e := range parsePyTOML(string(b)).arrays["package"] {
			n := langcatalog.Normalize(langcatalog.PyPI, unquoteTOML(e["name"]))
			if n == project || devOnly[n] {
				continue
			}
			reqs = append(reqs, pyReq{name: n, spec: "==" + unquoteTOML(e["version"])})
		}
	} else {
		for _, d := range pt.list("project", "dependencies") {
			if r, ok := parseReq(d); ok {
				reqs = append(reqs, r)
			}
		}
		for _, g := range groups {
			for _, d := range pt.list("dependency-groups", g) {
				if r, ok := parseReq(d); ok {
					reqs = append(reqs, r)
				}
			}
		}
	}
	root := p.getenv("UV_PROJECT_ENVIRONMENT")
	if root == "" {
		root = ".venv"
	}
	root = p.abs(root)
	if !p.s.exists(root + "/pyvenv.cfg") {
		p.outf("Using CPython %s interpreter at: /usr/local/bin/python3\nCreating virtual environment at: %s\n", p.pythonFullVersion(), strings.TrimPrefix(root, p.dir+"/"))
		if err := p.makeVenv(root, "/usr/local/bin/python3", false, false); err != nil {
			p.errf("uv: %v", err)
			return 1
		}
	}
	env := venvScheme(root, p.pythonVersion())
	opts := pyOpts{installer: "uv", noCache: true, quiet: true, breakSystem: true, noDeps: err == nil, locked: err == nil}
	if code := p.pyInstall(env, reqs, opts); code != 0 {
		return code
	}
	p.outf("Resolved %d packages\nInstalled %d packages\n", len(reqs)+1, len(reqs))
	return 0
}

// ---- conda ----

func (p *proc) condaRoot() string {
	if v := p.getenv("CONDA_DIR"); v != "" {
		return v
	}
	return "/opt/conda"
}

func cmdConda(p *proc) int {
	if len(p.args) == 0 {
		p.outf("usage: conda [-h] [-v] [--no-plugins] [-V] COMMAND ...\n")
		return 0
	}
	root := p.condaRoot()
	switch p.args[0] {
	case "--version", "-V":
		p.outf("conda 25.1.1\n")
		return 0
	case "init":
		p.appendLine(p.home()+"/.bashrc", "# >>> conda initialize >>>\n__conda_setup=\"$('"+root+"/bin/conda' 'shell.bash' 'hook' 2> /dev/null)\"\n# <<< conda initialize <<<")
		p.outf("modified      %s/.bashrc\n\n==> For changes to take effect, close and re-open your current shell. <==\n\n", p.home())
		return 0
	case "clean":
		p.removeAll(root + "/pkgs")
		return 0
	case "config", "update", "activate", "deactivate":
		return 0
	case "env":
		if len(p.args) > 1 && (p.args[1] == "create" || p.args[1] == "update") {
			return p.condaEnvCreate(p.args[2:])
		}
	case "create", "install":
		return p.condaInstall(p.args[0] == "create", p.args[1:])
	case "run":
		var rest []string
		for i := 1; i < len(p.args); i++ {
			a := p.args[i]
			if a == "-n" || a == "--name" || a == "-p" || a == "--prefix" {
				i++
				continue
			}
			if strings.HasPrefix(a, "-") {
				continue
			}
			rest = p.args[i:]
			break
		}
		c := *p
		c.name, c.args = "sh", []string{"-c", shellJoin(rest)}
		return cmdSh(&c)
	}
	return p.notSimulated("conda " + p.args[0])
}

// condaEnvCreate reads environment.yml: name, dependencies (conda packages, whose
// names the PyPI catalog mostly shares, and a pip: sub-list installed by pip).
func (p *proc) condaEnvCreate(args []string) int {
	file, name := "environment.yml", ""
	for i := 0; i < len(args); i++ {
		switch args[i] {
		case "-f", "--file":
			if i+1 < len(args) {
				i++
				file = args[i]
			}
		case "-n", "--name":
			if i+1 < len(args) {
				i++
				name = args[i]
			}
		}
	}
	b, err := p.readFile(file)
	if err != nil {
		fmt.Fprintf(p.errw, "\nEnvironmentFileNotFound: '%s' file not found\n\n", p.abs(file))
		return 1
	}
	var conda, pipDeps []string
	inDeps, inPip := false, false
	for _, l := range strings.Split(string(b), "\n") {
		t := strings.TrimSpace(l)
		if k, v, ok := strings.Cut(t, ":"); ok && !strings.HasPrefix(t, "-") && l == strings.TrimLeft(l, " ") {
			inDeps, inPip = k == "dependencies", false
			if k == "name" && name == "" {
				name = strings.TrimSpace(v)
			}
			continue
		}
		if !inDeps || !strings.HasPrefix(t, "-") {
			continue
		}
		item := strings.TrimSpace(strings.TrimPrefix(t, "-"))
		if item == "pip:" {
			inPip = true
			continue
		}
		if inPip && len(l)-len(strings.TrimLeft(l, " ")) > 2 {
			pipDeps = append(pipDeps, item)
			continue
		}
		inPip = false
		conda = append(conda, item)
	}
	if name == "" {
		name = "env"
	}
	prefix := p.condaRoot() + "/envs/" + name
	p.outf("Channels:\n - defaults\nPlatform: linux-64\nCollecting package metadata (repodata.json): done\nSolving environment: done\n\n")
	if code := p.condaSolve(prefix, conda); code != 0 {
		return code
	}
	if len(pipDeps) > 0 {
		p.outf("Installing pip dependencies: ...working...\n")
		var reqs []pyReq
		for _, d := range pipDeps {
			if r, ok := parseReq(d); ok {
				reqs = append(reqs, r)
			}
		}
		env := pyEnv{prefix: prefix, site: prefix + "/lib/python" + p.condaPython(conda) + "/site-packages", bin: prefix + "/bin", python: prefix + "/bin/python", venv: true}
		if code := p.pyInstall(env, reqs, pyOpts{installer: "pip", quiet: true, breakSystem: true}); code != 0 {
			p.outf("Pip subprocess error:\n")
			return 1
		}
		p.outf(" done\n")
	}
	p.outf("#\n# To activate this environment, use\n#\n#     $ conda activate %s\n#\n# To deactivate an active environment, use\n#\n#     $ conda deactivate\n\n", name)
	return 0
}

// condaPython is the python version an environment asks for ("python=3.10"), else
// the base image's.
func (p *proc) condaPython(specs []string) string {
	for _, s := range specs {
		if v, ok := strings.CutPrefix(s, "python="); ok {
			parts := strings.Split(strings.TrimSuffix(v, ".*"), ".")
			if len(parts) >= 2 {
				return parts[0] + "." + parts[1]
			}
		}
	}
	return p.pythonVersion()
}

// condaSolve installs conda packages into prefix: python itself (bin/python and the
// standard library), then each package from the PyPI catalog's data (conda's names
// for Python libraries are mostly PyPI's), into prefix's site-packages.
func (p *proc) condaSolve(prefix string, specs []string) int {
	ver := p.condaPython(specs)
	site := prefix + "/lib/python" + ver + "/site-packages"
	var reqs []pyReq
	hasPython := false
	for _, s := range specs {
		s = strings.TrimPrefix(s, "conda-forge::")
		name, spec, _ := strings.Cut(s, "=")
		name = strings.Fields(name)[0]
		if name == "python" {
			hasPython = true
			continue
		}
		spec = strings.TrimPrefix(spec, "=")
		if spec != "" && !strings.ContainsAny(spec, "<>!~") {
			spec = "==" + strings.Split(spec, "=")[0]
		}
		reqs = append(reqs, pyReq{name: name, spec: spec})
	}
	p.outf("## Package Plan ##\n\n  environment location: %s\n\n", prefix)
	if hasPython || !p.s.exists(prefix+"/bin/python") {
		if err := p.put(prefix+"/bin/python"+ver, rootfs.Generated{Seed: seedOf("conda-python", ver), N: 17 << 20}, 0o755, p.s.uid, p.s.gid); err != nil {
			return 1
		}
		p.s.withFS(func(f *rootfs.FS) error {
			for _, l := range []string{"python", "python3"} {
				if _, _, err := f.Lstat(prefix + "/bin/" + l); err == nil {
					continue
				}
				k, err := f.ResolveParent(prefix + "/bin/" + l)
				if err != nil {
					return err
				}
				f.Put(k, &rootfs.Entry{Kind: rootfs.KindSymlink, Mode: 0o777, UID: p.s.uid, GID: p.s.gid, ModTime: p.s.now(), Linkname: "python" + ver})
			}
			return nil
		})
		p.put(prefix+"/lib/python"+ver+"/os.py", rootfs.Generated{Seed: seedOf("conda-stdlib", ver), N: 40 << 20}, 0o644, p.s.uid, p.s.gid)
		p.putText(prefix+"/conda-meta/history", "==> layerlab conda create <==\n")
	}
	env := pyEnv{prefix: prefix, site: site, bin: prefix + "/bin", python: prefix + "/bin/python", venv: true}
	if len(reqs) == 0 {
		return 0
	}
	code := p.pyInstall(env, reqs, pyOpts{installer: "conda", quiet: true, noCache: true, breakSystem: true})
	if code != 0 {
		p.outf("\nPackagesNotFoundError: The following packages are not available from current channels:\n\n")
		return 1
	}
	p.outf("Preparing transaction: done\nVerifying transaction: done\nExecuting transaction: done\n")
	return 0
}

func (p *proc) condaInstall(create bool, args []string) int {
	prefix := p.condaRoot()
	var specs []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-n" || a == "--name":
			if i+1 < len(args) {
				i++
				prefix = p.condaRoot() + "/envs/" + args[i]
			}
		case a == "-p" || a == "--prefix":
			if i+1 < len(args) {
				i++
				prefix = p.abs(args[i])
			}
		case a == "-c" || a == "--channel" || a == "--file":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			specs = append(specs, a)
		}
	}
	p.outf("Channels:\n - defaults\nPlatform: linux-64\nCollecting package metadata (repodata.json): done\nSolving environment: done\n\n")
	return p.condaSolve(prefix, specs)
}

// ---- mkdocs ----

// cmdMkdocs builds site/ from mkdocs.yml and docs/: one page per Markdown file plus
// the theme's assets, each following its inputs.
func cmdMkdocs(p *proc) int {
	if len(p.args) == 0 || p.args[0] != "build" {
		if len(p.args) > 0 && (p.args[0] == "--version" || p.args[0] == "-V") {
			p.outf("mkdocs, version 1.6.1 from %s/mkdocs (Python %s)\n", p.pythonSitePath(), p.pythonVersion())
			return 0
		}
		name := "mkdocs"
		if len(p.args) > 0 {
			name += " " + p.args[0]
		}
		return p.notSimulated(name)
	}
	cfg := "mkdocs.yml"
	site := "site"
	for i := 1; i < len(p.args); i++ {
		switch p.args[i] {
		case "-f", "--config-file":
			if i+1 < len(p.args) {
				i++
				cfg = p.args[i]
			}
		case "-d", "--site-dir":
			if i+1 < len(p.args) {
				i++
				site = p.args[i]
			}
		}
	}
	b, err := p.readFile(cfg)
	if err != nil {
		p.errf("Error: Config file '%s' does not exist.", cfg)
		return 1
	}
	docs := "docs"
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "docs_dir:"); ok {
			docs = strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	docsAbs := path.Join(path.Dir(p.abs(cfg)), docs)
	var pages []string
	p.s.withFS(func(f *rootfs.FS) error {
		_, key, err := f.Stat(docsAbs)
		if err != nil {
			return nil
		}
		return f.Walk(func(k string, e *rootfs.Entry) error {
			if e.Kind == rootfs.KindFile && strings.HasPrefix(k, key+"/") {
				pages = append(pages, strings.TrimPrefix(k, key+"/"))
			}
			return nil
		})
	})
	sort.Strings(pages)
	fmt.Fprintf(p.errw, "INFO    -  Cleaning site directory\nINFO    -  Building documentation to directory: %s\n", p.abs(site))
	for _, pg := range pages {
		d, err := p.inputsDigest([]string{docsAbs + "/" + pg, cfg}, nil)
		if err != nil {
			p.errf("mkdocs: %v", err)
			return 1
		}
		out := pg
		if strings.HasSuffix(pg, ".md") {
			out = strings.TrimSuffix(pg, ".md") + "/index.html"
			if path.Base(pg) == "index.md" || path.Base(pg) == "README.md" {
				out = path.Join(path.Dir(pg), "index.html")
			}
		}
		if err := p.put(p.abs(site+"/"+out), artefact("mkdocs", out, d, 6<<10, 20<<10), 0o644, p.s.uid, p.s.gid); err != nil {
			p.errf("mkdocs: %v", err)
			return 1
		}
	}
	d, _ := p.inputsDigest([]string{cfg}, nil)
	for _, a := range []string{"sitemap.xml", "sitemap.xml.gz", "404.html", "search/search_index.json", "assets/javascripts/bundle.js", "assets/stylesheets/main.css"} {
		p.put(p.abs(site+"/"+a), artefact("mkdocs", a, d, 2<<10, 60<<10), 0o644, p.s.uid, p.s.gid)
	}
	fmt.Fprintf(p.errw, "INFO    -  Documentation built in 0.42 seconds\n")
	return 0
}
