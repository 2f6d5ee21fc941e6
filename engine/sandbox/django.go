package sandbox

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"path"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/andybalholm/brotli"

	"layerlab/engine/rootfs"
	"layerlab/engine/sandbox/langcatalog"
)

// Django's and Flask's build-time commands. The sandbox runs no Python, so
// `python manage.py collectstatic` is done as Django does it from the project's
// settings read literally: the settings module's top-level assignments of strings,
// lists and tuples of strings, BASE_DIR paths (`Path(__file__).resolve().parent.parent`,
// `os.path.dirname(...)`), `BASE_DIR / "x"`, `os.path.join(...)` and
// `os.environ.get("X", "default")`. A setting the command needs that is computed any
// other way fails the step with a line that says the sandbox reads settings literally:
// a guess would collect into a different place than Django does.

func init() {
	register(map[string]cmdFunc{"django-admin": cmdDjangoAdmin, "flask": cmdFlask})
}

// cmdDjangoAdmin is the console script pip installs with Django.
func cmdDjangoAdmin(p *proc) int {
	return p.djangoCommand("", "django-admin", p.args)
}

// djangoManage runs `python manage.py ARGS` (script is manage.py as given).
func (p *proc) djangoManage(script string, args []string) int {
	src, err := p.readFile(script)
	if err != nil {
		fmt.Fprintf(p.errw, "%s: can't open file '%s': [Errno 2] No such file or directory\n", p.pythonExe(), p.abs(script))
		return 2
	}
	return p.djangoCommand(script, string(src), args)
}

// djangoEnv is what one manage.py or django-admin run knows.
type djangoEnv struct {
	script, shown string // manage.py's path and as Python's traceback shows it ("" for django-admin)
	src           string // manage.py's text
	prog          string // "manage.py" or "django-admin", as Django's messages name it
	site          string // the interpreter's site-packages
	version       string // installed Django's version
	paths         []string
	settings      *pySettings
	settingsMod   string
}

func (p *proc) djangoCommand(script, src string, args []string) int {
	d := &djangoEnv{script: script, src: src, prog: "manage.py"}
	exe := p.pythonExe()
	if script == "" {
		d.prog, exe = "django-admin", p.argv0
	} else {
		d.shown = script
		if pyAtLeast(p.pythonVersion(), "3.9") {
			d.shown = p.absClean(script) // 3.9+ makes the script's path absolute
		}
		d.paths = append(d.paths, path.Dir(p.absClean(script)))
	}
	d.site = p.pyScheme(exe).site
	d.version = p.pyInstalled(d.site)["django"]
	if d.version == "" {
		return p.djangoMissing(d)
	}
	for _, v := range strings.Split(p.getenv("PYTHONPATH"), ":") {
		if v != "" {
			d.paths = append(d.paths, p.absClean(v))
		}
	}
	d.settingsMod = p.getenv("DJANGO_SETTINGS_MODULE")
	if d.settingsMod == "" {
		if m := setdefaultSettings.FindStringSubmatch(src); m != nil {
			d.settingsMod = m[1]
		}
	}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case strings.HasPrefix(a, "--settings="):
			d.settingsMod = strings.TrimPrefix(a, "--settings=")
		case a == "--settings" && i+1 < len(args):
			i++
			d.settingsMod = args[i]
		case strings.HasPrefix(a, "--pythonpath="):
			d.paths = append([]string{p.absClean(strings.TrimPrefix(a, "--pythonpath="))}, d.paths...)
		case a == "--pythonpath" && i+1 < len(args):
			i++
			d.paths = append([]string{p.absClean(args[i])}, d.paths...)
		default:
			rest = append(rest, a)
		}
	}
	if len(rest) == 0 || rest[0] == "help" || rest[0] == "--help" || rest[0] == "-h" {
		return p.notSimulated(d.prog + " help")
	}
	if rest[0] == "--version" || rest[0] == "version" {
		p.outf("%s\n", d.version)
		return 0
	}
	cmd, cargs := rest[0], rest[1:]
	switch cmd {
	case "migrate", "makemigrations", "createsuperuser", "loaddata", "dumpdata", "flush", "dbshell", "createcachetable", "sqlmigrate", "showmigrations", "shell":
		return p.djangoRefuse(d, cmd, "it reads or writes the project's database, which a build has not got (the database server runs beside the container, not in its build); run it when the container starts (an entrypoint or the CMD)")
	case "runserver", "runserver_plus":
		return p.djangoRefuse(d, cmd, "it starts a server that never exits, which would never finish the build step; it belongs in the CMD")
	case "test":
		return p.djangoRefuse(d, cmd, "the sandbox does not run the project's Python code")
	}
	if d.settingsMod == "" {
		// without settings only Django's core commands exist
		if cmd == "collectstatic" || cmd == "compilemessages" || cmd == "check" {
			p.outf("No Django settings specified.\n")
		}
		fmt.Fprintf(p.errw, "Unknown command: '%s'\nType '%s help' for usage.\n", cmd, d.prog)
		return 1
	}
	st, code := p.djangoSettings(d)
	if code != 0 {
		return code
	}
	d.settings = st
	switch cmd {
	case "collectstatic":
		if !st.hasApp("django.contrib.staticfiles") {
			fmt.Fprintf(p.errw, "Unknown command: 'collectstatic'\nType '%s help' for usage.\n", d.prog)
			return 1
		}
		return p.collectStatic(d, cargs)
	case "compilemessages":
		return p.compileMessages(d, cargs)
	case "check":
		return p.djangoCheck(d, cargs)
	}
	return p.notSimulated(d.prog + " " + cmd)
}

var setdefaultSettings = newLazyRegexp(`os\.environ\.setdefault\(\s*['"]DJANGO_SETTINGS_MODULE['"]\s*,\s*['"]([^'"]+)['"]\s*\)`)

// pyAtLeast compares two dotted Python versions.
func pyAtLeast(v, min string) bool {
	a, b := strings.Split(v, "."), strings.Split(min, ".")
	for i := 0; i < len(b); i++ {
		x, y := 0, 0
		if i < len(a) {
			x, _ = strconv.Atoi(a[i])
		}
		y, _ = strconv.Atoi(b[i])
		if x != y {
			return x > y
		}
	}
	return true
}

// djangoRefuse fails a management command the sandbox will not pretend to run.
func (p *proc) djangoRefuse(d *djangoEnv, cmd, why string) int {
	fmt.Fprintf(p.errw, "layerlab: %s %s: not simulated: %s\n", d.prog, cmd, why)
	return 1
}

// djangoMissing is Python's failure to import Django: manage.py's import line, and
// the template's `raise ImportError("Couldn't import Django...") from exc` when the
// script has it.
func (p *proc) djangoMissing(d *djangoEnv) int {
	if d.script == "" {
		// a django-admin left behind by an uninstall: its import fails
		fmt.Fprintf(p.errw, "Traceback (most recent call last):\n  File \"%s\", line 5, in <module>\n    from django.core.management import execute_from_command_line\nModuleNotFoundError: No module named 'django'\n", p.argv0)
		return 1
	}
	lines := strings.Split(d.src, "\n")
	find := func(from int, pred func(string) bool) int {
		for i := from; i < len(lines); i++ {
			if pred(lines[i]) {
				return i
			}
		}
		return -1
	}
	imp := find(0, func(l string) bool { return strings.Contains(l, "from django") || strings.Contains(l, "import django") })
	if imp < 0 {
		p.outf("") // a manage.py that does not import Django does nothing Django would
		return p.notSimulated("python " + d.script)
	}
	fn := ""
	for i := imp; i >= 0; i-- {
		if m := pyDef.FindStringSubmatch(lines[i]); m != nil {
			fn = m[1]
			break
		}
	}
	frame := func(n int, in string) string {
		return fmt.Sprintf("  File \"%s\", line %d, in %s\n    %s\n", d.shown, n+1, in, strings.TrimSpace(lines[n]))
	}
	var outer string
	if fn != "" {
		if call := find(imp, func(l string) bool { return strings.TrimSpace(l) == fn+"()" }); call >= 0 {
			outer = frame(call, "<module>")
		}
	}
	inner := "<module>"
	if fn != "" {
		inner = fn
	}
	raise := find(imp, func(l string) bool { return strings.Contains(l, "raise ImportError(") })
	var b strings.Builder
	if raise >= 0 && strings.Contains(d.src, "Couldn't import Django") {
		b.WriteString("Traceback (most recent call last):\n" + frame(imp, inner))
		b.WriteString("ModuleNotFoundError: No module named 'django'\n\nThe above exception was the direct cause of the following exception:\n\n")
		b.WriteString("Traceback (most recent call last):\n" + outer + frame(raise, inner))
		b.WriteString("ImportError: Couldn't import Django. Are you sure it's installed and available on your PYTHONPATH environment variable? Did you forget to activate a virtual environment?\n")
	} else {
		b.WriteString("Traceback (most recent call last):\n" + outer + frame(imp, inner))
		b.WriteString("ModuleNotFoundError: No module named 'django'\n")
	}
	fmt.Fprint(p.errw, b.String())
	return 1
}

var pyDef = newLazyRegexp(`^def\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(`)

// pySettings is a settings module read literally: each top-level name's value, or why
// it could not be read.
type pySettings struct {
	vals    map[string]pyVal
	unread  map[string]string // name -> what the sandbox could not evaluate, and where
	modules []string          // files read, in order
}

func (s *pySettings) hasApp(name string) bool {
	apps := s.vals["INSTALLED_APPS"]
	for _, a := range apps.list {
		if a.s == name || strings.HasPrefix(a.s, name+".apps.") {
			return true
		}
	}
	return false
}

// need returns a setting's value; ok is false when it is set in a way the sandbox
// cannot read (the error is printed) and present false when it is not set at all.
func (p *proc) needSetting(d *djangoEnv, cmd, name string) (v pyVal, present, ok bool) {
	if why, bad := d.settings.unread[name]; bad {
		fmt.Fprintf(p.errw, "layerlab: %s %s: the sandbox reads Django settings literally (it runs no Python) and cannot read %s: %s\n", d.prog, cmd, name, why)
		return pyVal{}, false, false
	}
	v, present = d.settings.vals[name]
	return v, present, true
}

// pyVal is a literal Python value: a string (or path), a list or tuple, a bool or None.
type pyVal struct {
	kind byte // 's' string, 'l' list/tuple, 'd' dict, 'b' bool, 'n' None, 'i' int
	s    string
	b    bool
	list []pyVal  // items, or a dict's values
	keys []string // a dict's keys (strings only), in order
}

// get is a dict's value for key.
func (v pyVal) get(key string) (pyVal, bool) {
	for i, k := range v.keys {
		if k == key && v.kind == 'd' {
			return v.list[i], true
		}
	}
	return pyVal{}, false
}

// djangoSettings finds and reads the settings module as Python would import it.
func (p *proc) djangoSettings(d *djangoEnv) (*pySettings, int) {
	file, ok := p.pyModuleFile(d, d.settingsMod)
	if !ok {
		top := strings.Split(d.settingsMod, ".")[0]
		if _, ok := p.pyModuleFile(d, top); ok {
			top = d.settingsMod
		}
		fmt.Fprintf(p.errw, "Traceback (most recent call last):\n  File \"%s\", line 1, in <module>\nModuleNotFoundError: No module named '%s'\n", d.shownOr(), top)
		return nil, 1
	}
	st := &pySettings{vals: map[string]pyVal{}, unread: map[string]string{}}
	if err := p.readSettingsFile(d, st, file, d.settingsMod, 0); err != nil {
		fmt.Fprintf(p.errw, "layerlab: %s: %v\n", d.prog, err)
		return nil, 1
	}
	return st, 0
}

func (d *djangoEnv) shownOr() string {
	if d.shown != "" {
		return d.shown
	}
	return "/usr/local/bin/django-admin"
}

// pyModuleFile finds a dotted module's file on the interpreter's path: the script's
// directory, PYTHONPATH, then site-packages.
func (p *proc) pyModuleFile(d *djangoEnv, mod string) (string, bool) {
	rel := strings.ReplaceAll(mod, ".", "/")
	for _, dir := range append(append([]string{}, d.paths...), d.site) {
		for _, f := range []string{dir + "/" + rel + ".py", dir + "/" + rel + "/__init__.py"} {
			if e, err := p.s.stat(f); err == nil && e.Kind == rootfs.KindFile {
				return f, true
			}
		}
	}
	return "", false
}

var (
	pyAssign   = newLazyRegexp(`^([A-Za-z_][A-Za-z0-9_]*)\s*(\+?=)\s*(.*)$`)
	pyIndented = newLazyRegexp(`^\s+([A-Z_][A-Z0-9_]*)\s*\+?=[^=]`)
	pyStarImp  = newLazyRegexp(`^from\s+([.\w]+)\s+import\s+\*`)
)

// readSettingsFile evaluates one settings file's top-level statements in order;
// `from .base import *` reads that module into the same names first, as Python does.
func (p *proc) readSettingsFile(d *djangoEnv, st *pySettings, file, mod string, depth int) error {
	if depth > 10 {
		return fmt.Errorf("read settings: star imports nest more than 10 deep at %s", file)
	}
	src, err := p.readFile(file)
	if err != nil {
		return fmt.Errorf("read settings %s: %w", file, err)
	}
	st.modules = append(st.modules, file)
	for _, stmt := range pyStatements(string(src)) {
		where := fmt.Sprintf("%s line %d", file, stmt.line)
		if stmt.indented {
			// an assignment inside if/try/for: which branch runs is Python's to decide
			if m := pyIndented.FindStringSubmatch(stmt.text); m != nil {
				st.unread[m[1]] = fmt.Sprintf("it is assigned inside a block (%s: %s)", where, strings.TrimSpace(stmt.text))
				delete(st.vals, m[1])
			}
			continue
		}
		if m := pyStarImp.FindStringSubmatch(stmt.text); m != nil {
			target := m[1]
			if strings.HasPrefix(target, ".") {
				pkg := mod
				if !strings.HasSuffix(file, "/__init__.py") {
					pkg = parentMod(mod)
				}
				for target = target[1:]; strings.HasPrefix(target, "."); target = target[1:] {
					pkg = parentMod(pkg)
				}
				target = strings.TrimSuffix(pkg+"."+target, ".")
			}
			f, ok := p.pyModuleFile(d, target)
			if !ok {
				return fmt.Errorf("read settings: %s imports * from %s, which is not on the path", where, target)
			}
			if err := p.readSettingsFile(d, st, f, target, depth+1); err != nil {
				return err
			}
			continue
		}
		m := pyAssign.FindStringSubmatch(stmt.text)
		if m == nil {
			continue
		}
		name, op, expr := m[1], m[2], strings.TrimSpace(m[3])
		ev := pyEval{p: p, file: file, vals: st.vals}
		v, err := ev.parse(expr)
		if err == nil && op == "+=" {
			old, had := st.vals[name]
			if !had {
				err = fmt.Errorf("%s is added to before it is assigned", name)
			} else {
				v, err = pyAdd(old, v)
			}
		}
		if err != nil {
			st.unread[name] = fmt.Sprintf("%s: %s = %s (%v)", where, name, expr, err)
			delete(st.vals, name)
			continue
		}
		delete(st.unread, name)
		st.vals[name] = v
	}
	return nil
}

func parentMod(m string) string {
	if i := strings.LastIndex(m, "."); i >= 0 {
		return m[:i]
	}
	return ""
}

type pyStmt struct {
	line     int
	text     string
	indented bool
}

// pyStatements splits Python source into logical lines: comments dropped, bracketed
// and backslash continuations joined.
func pyStatements(src string) []pyStmt {
	var out []pyStmt
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		l := stripPyComment(lines[i])
		if strings.TrimSpace(l) == "" {
			continue
		}
		st := pyStmt{line: i + 1, indented: l[0] == ' ' || l[0] == '\t'}
		text := l
		for (pyDepth(text) > 0 || strings.HasSuffix(strings.TrimRight(text, " \t"), "\\")) && i+1 < len(lines) {
			text = strings.TrimSuffix(strings.TrimRight(text, " \t"), "\\")
			i++
			text += " " + strings.TrimSpace(stripPyComment(lines[i]))
		}
		st.text = strings.TrimRight(text, " \t\r")
		out = append(out, st)
	}
	return out
}

// stripPyComment drops a # comment that is outside string literals.
func stripPyComment(l string) string {
	var q byte
	for i := 0; i < len(l); i++ {
		c := l[i]
		switch {
		case q != 0 && c == '\\':
			i++
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '"' || c == '\''):
			q = c
		case q == 0 && c == '#':
			return l[:i]
		}
	}
	return strings.TrimRight(l, "\r")
}

// pyDepth is the bracket depth at the end of s, outside string literals.
func pyDepth(s string) int {
	n := 0
	var q byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case q != 0 && c == '\\':
			i++
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '"' || c == '\''):
			q = c
		case q == 0 && strings.IndexByte("([{", c) >= 0:
			n++
		case q == 0 && strings.IndexByte(")]}", c) >= 0:
			n--
		}
	}
	return n
}

func pyAdd(a, b pyVal) (pyVal, error) {
	switch {
	case a.kind == 'l' && b.kind == 'l':
		return pyVal{kind: 'l', list: append(append([]pyVal{}, a.list...), b.list...)}, nil
	case a.kind == 's' && b.kind == 's':
		return pyVal{kind: 's', s: a.s + b.s}, nil
	}
	return pyVal{}, fmt.Errorf("+ of values the sandbox does not add")
}

// pyEval is a recursive-descent reader of the literal expressions settings use.
type pyEval struct {
	p    *proc
	file string
	vals map[string]pyVal
	s    string
	i    int
}

func (e *pyEval) parse(s string) (pyVal, error) {
	e.s, e.i = s, 0
	v, err := e.expr()
	if err != nil {
		return v, err
	}
	e.ws()
	if e.i < len(e.s) {
		return pyVal{}, fmt.Errorf("not a literal the sandbox reads at %q", e.s[e.i:])
	}
	return v, nil
}

func (e *pyEval) ws() {
	for e.i < len(e.s) && (e.s[e.i] == ' ' || e.s[e.i] == '\t') {
		e.i++
	}
}

func (e *pyEval) peek(tok string) bool {
	e.ws()
	if strings.HasPrefix(e.s[e.i:], tok) {
		e.i += len(tok)
		return true
	}
	return false
}

func (e *pyEval) expr() (pyVal, error) {
	v, err := e.term()
	for err == nil {
		switch {
		case e.peek("/"):
			var r pyVal
			if r, err = e.term(); err == nil {
				if v.kind != 's' || r.kind != 's' {
					return pyVal{}, fmt.Errorf("/ of values that are not paths")
				}
				v = pyVal{kind: 's', s: pyJoin(v.s, r.s)}
			}
		case e.peek("+"):
			var r pyVal
			if r, err = e.term(); err == nil {
				v, err = pyAdd(v, r)
			}
		default:
			return v, nil
		}
	}
	return v, err
}

var pyIdent = newLazyRegexp(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*`)

func (e *pyEval) term() (pyVal, error) {
	e.ws()
	if e.i >= len(e.s) {
		return pyVal{}, fmt.Errorf("an expression ends early")
	}
	c := e.s[e.i]
	switch {
	case c == '{':
		// a dict with string keys (STORAGES); a later duplicate key wins, as in Python
		e.i++
		d := pyVal{kind: 'd'}
		for !e.peek("}") {
			k, err := e.expr()
			if err != nil {
				return pyVal{}, err
			}
			if k.kind != 's' || !e.peek(":") {
				return pyVal{}, fmt.Errorf("a dict the sandbox cannot read (keys must be strings)")
			}
			v, err := e.expr()
			if err != nil {
				return pyVal{}, err
			}
			if i := slices.Index(d.keys, k.s); i >= 0 {
				d.list[i] = v
			} else {
				d.keys, d.list = append(d.keys, k.s), append(d.list, v)
			}
			if !e.peek(",") {
				if !e.peek("}") {
					return pyVal{}, fmt.Errorf("a dict the sandbox cannot read")
				}
				break
			}
		}
		return d, nil
	case c == '[' || c == '(':
		e.i++
		closer := map[byte]string{'[': "]", '(': ")"}[c]
		var items []pyVal
		for !e.peek(closer) {
			v, err := e.expr()
			if err != nil {
				return pyVal{}, err
			}
			items = append(items, v)
			if !e.peek(",") {
				if !e.peek(closer) {
					return pyVal{}, fmt.Errorf("a list the sandbox cannot read")
				}
				if c == '(' && len(items) == 1 && !strings.HasSuffix(strings.TrimSpace(e.s[:e.i-1]), ",") {
					return e.after(items[0]) // a parenthesised expression
				}
				break
			}
		}
		return e.after(pyVal{kind: 'l', list: items})
	case c == '"' || c == '\'' || (c == 'r' || c == 'R' || c == 'u') && e.i+1 < len(e.s) && (e.s[e.i+1] == '"' || e.s[e.i+1] == '\''):
		raw := c == 'r' || c == 'R'
		if c != '"' && c != '\'' {
			e.i++
		}
		s, err := e.str(raw)
		if err != nil {
			return pyVal{}, err
		}
		// adjacent literals concatenate
		for e.ws(); e.i < len(e.s) && (e.s[e.i] == '"' || e.s[e.i] == '\''); e.ws() {
			more, err := e.str(false)
			if err != nil {
				return pyVal{}, err
			}
			s += more
		}
		return e.after(pyVal{kind: 's', s: s})
	case c >= '0' && c <= '9':
		j := e.i
		for e.i < len(e.s) && (e.s[e.i] >= '0' && e.s[e.i] <= '9' || e.s[e.i] == '_') {
			e.i++
		}
		return pyVal{kind: 'i', s: e.s[j:e.i]}, nil
	}
	id := pyIdent.FindString(e.s[e.i:])
	if id == "" {
		return pyVal{}, fmt.Errorf("not a literal the sandbox reads at %q", e.s[e.i:])
	}
	e.i += len(id)
	switch id {
	case "True", "False":
		return pyVal{kind: 'b', b: id == "True"}, nil
	case "None":
		return pyVal{kind: 'n'}, nil
	case "__file__":
		return e.after(pyVal{kind: 's', s: e.file})
	}
	if e.peek("(") {
		args, kw, err := e.args()
		if err != nil {
			return pyVal{}, err
		}
		return e.call(id, args, kw)
	}
	if e.peek("[") {
		k, err := e.expr()
		if err != nil || !e.peek("]") || id != "os.environ" || k.kind != 's' {
			return pyVal{}, fmt.Errorf("a subscript the sandbox does not read")
		}
		v := e.p.env.Get(k.s)
		if !v.IsSet() {
			return pyVal{}, fmt.Errorf("KeyError: '%s': the variable is not set in this step's environment", k.s)
		}
		return e.after(pyVal{kind: 's', s: v.String()})
	}
	// a name, maybe with attributes (BASE_DIR.parent)
	parts := strings.Split(id, ".")
	v, ok := e.vals[parts[0]]
	if !ok {
		return pyVal{}, fmt.Errorf("%s is not a value the sandbox read", parts[0])
	}
	for _, a := range parts[1:] {
		var err error
		if v, err = pyAttr(v, a); err != nil {
			return pyVal{}, err
		}
	}
	return e.after(v)
}

// after applies .method() and .attribute trailers to a value.
func (e *pyEval) after(v pyVal) (pyVal, error) {
	for {
		e.ws()
		if e.i >= len(e.s) || e.s[e.i] != '.' {
			return v, nil
		}
		e.i++
		id := pyIdent.FindString(e.s[e.i:])
		if id == "" {
			return pyVal{}, fmt.Errorf("an attribute the sandbox does not read")
		}
		// take one name at a time
		if j := strings.IndexByte(id, '.'); j >= 0 {
			id = id[:j]
		}
		e.i += len(id)
		if e.peek("(") {
			if _, _, err := e.args(); err != nil {
				return pyVal{}, err
			}
			switch id {
			case "resolve", "absolute", "expanduser":
				continue
			}
			return pyVal{}, fmt.Errorf(".%s() is not a call the sandbox evaluates", id)
		}
		var err error
		if v, err = pyAttr(v, id); err != nil {
			return pyVal{}, err
		}
	}
}

func pyAttr(v pyVal, a string) (pyVal, error) {
	if a == "parent" && v.kind == 's' {
		return pyVal{kind: 's', s: path.Dir(v.s)}, nil
	}
	return pyVal{}, fmt.Errorf(".%s is not an attribute the sandbox evaluates", a)
}

func (e *pyEval) args() ([]pyVal, map[string]pyVal, error) {
	var args []pyVal
	kw := map[string]pyVal{}
	for !e.peek(")") {
		e.ws()
		if m := regexp.MustCompile(`^([A-Za-z_]\w*)\s*=[^=]`).FindStringSubmatch(e.s[e.i:]); m != nil {
			e.i += len(m[0]) - 1
			v, err := e.expr()
			if err != nil {
				return nil, nil, err
			}
			kw[m[1]] = v
		} else {
			v, err := e.expr()
			if err != nil {
				return nil, nil, err
			}
			args = append(args, v)
		}
		if !e.peek(",") && !e.peek(")") {
			return nil, nil, fmt.Errorf("a call the sandbox cannot read")
		} else if e.s[e.i-1] == ')' {
			break
		}
	}
	return args, kw, nil
}

func (e *pyEval) call(fn string, args []pyVal, kw map[string]pyVal) (pyVal, error) {
	str := func(i int) (string, bool) {
		if i < len(args) && args[i].kind == 's' {
			return args[i].s, true
		}
		return "", false
	}
	switch fn {
	case "Path", "pathlib.Path", "PurePath", "str", "os.path.abspath", "os.path.realpath", "os.path.normpath":
		if s, ok := str(0); ok && len(args) == 1 {
			if fn != "str" {
				s = e.p.absClean(s)
			}
			return e.after(pyVal{kind: 's', s: s})
		}
	case "os.path.dirname":
		if s, ok := str(0); ok && len(args) == 1 {
			return e.after(pyVal{kind: 's', s: path.Dir(s)})
		}
	case "os.path.join":
		if len(args) > 0 {
			out := ""
			for i := range args {
				s, ok := str(i)
				if !ok {
					return pyVal{}, fmt.Errorf("os.path.join of a value that is not a string")
				}
				out = pyJoin(out, s)
			}
			return e.after(pyVal{kind: 's', s: out})
		}
	case "os.environ.get", "os.getenv", "env.str", "config":
		k, ok := str(0)
		if !ok {
			break
		}
		if v := e.p.env.Get(k); v.IsSet() {
			return e.after(pyVal{kind: 's', s: v.String()})
		}
		def, has := kw["default"]
		if len(args) > 1 {
			def, has = args[1], true
		}
		if !has {
			if fn == "os.environ.get" || fn == "os.getenv" {
				return pyVal{kind: 'n'}, nil
			}
			return pyVal{}, fmt.Errorf("%s is not set in this step's environment and %s has no default", k, fn)
		}
		return e.after(def)
	case "list", "tuple":
		if len(args) == 1 && args[0].kind == 'l' {
			return args[0], nil
		}
	}
	return pyVal{}, fmt.Errorf("%s(...) is not a call the sandbox evaluates", fn)
}

// pyJoin is os.path.join: an absolute part starts over.
func pyJoin(a, b string) string {
	if strings.HasPrefix(b, "/") || a == "" {
		return b
	}
	return strings.TrimSuffix(a, "/") + "/" + b
}

// str reads a quoted string literal at e.i (the quote).
func (e *pyEval) str(raw bool) (string, error) {
	q := e.s[e.i]
	if strings.HasPrefix(e.s[e.i:], strings.Repeat(string(q), 3)) {
		return "", fmt.Errorf("a triple-quoted string")
	}
	var b strings.Builder
	for e.i++; e.i < len(e.s); e.i++ {
		c := e.s[e.i]
		if c == q {
			e.i++
			return b.String(), nil
		}
		if c == '\\' && !raw && e.i+1 < len(e.s) {
			e.i++
			switch e.s[e.i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				b.WriteByte(e.s[e.i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return "", fmt.Errorf("an unterminated string")
}

// staticSource is one file a staticfiles finder lists.
type staticSource struct {
	rel, abs string
}

// collectStatic is Django's collectstatic (django/contrib/staticfiles), with the
// default finders (STATICFILES_DIRS, then each installed app's static/ in
// INSTALLED_APPS order; the first file of a destination path wins) and
// StaticFilesStorage: each file is copied unless the copy already there is at least
// as new as its source.
func (p *proc) collectStatic(d *djangoEnv, args []string) int {
	interactive, clear, dry, postProcess := true, false, false, true
	verbosity := 1
	ignore := []string{"CVS", ".*", "*~"}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--noinput" || a == "--no-input":
			interactive = false
		case a == "--clear" || a == "-c":
			clear = true
		case a == "--dry-run" || a == "-n":
			dry = true
		case a == "--no-post-process":
			postProcess = false
		case a == "--traceback" || a == "--no-color" || a == "--force-color":
		case a == "--no-default-ignore":
			ignore = nil
		case (a == "-i" || a == "--ignore") && i+1 < len(args):
			i++
			ignore = append(ignore, args[i])
		case strings.HasPrefix(a, "--ignore="):
			ignore = append(ignore, strings.TrimPrefix(a, "--ignore="))
		case (a == "-v" || a == "--verbosity") && i+1 < len(args):
			i++
			verbosity, _ = strconv.Atoi(args[i])
		case strings.HasPrefix(a, "--verbosity=") || strings.HasPrefix(a, "-v") && len(a) == 3:
			verbosity, _ = strconv.Atoi(strings.TrimPrefix(strings.TrimPrefix(a, "--verbosity="), "-v"))
		case a == "--link" || a == "-l":
			fmt.Fprintf(p.errw, "layerlab: %s collectstatic: --link (symlinks instead of copies) is not simulated\n", d.prog)
			return 1
		default:
			fmt.Fprintf(p.errw, "usage: %s collectstatic [-h] [--noinput] [--no-post-process] [-i PATTERN] [-n] [-c] [-l] [--no-default-ignore] [--version] [-v {0,1,2,3}] [--settings SETTINGS] [--pythonpath PYTHONPATH] [--traceback] [--no-color] [--force-color] [--skip-checks]\n%s collectstatic: error: unrecognized arguments: %s\n", d.prog, d.prog, a)
			return 2
		}
	}
	cmd := "collectstatic"
	finders, present, ok := p.needSetting(d, cmd, "STATICFILES_FINDERS")
	if !ok {
		return 1
	}
	if present && !defaultStaticSetting("STATICFILES_FINDERS", finders) {
		fmt.Fprintf(p.errw, "layerlab: %s collectstatic: STATICFILES_FINDERS is set to something other than Django's two default finders; the sandbox simulates only those\n", d.prog)
		return 1
	}
	storage, ok := p.staticStorage(d)
	if !ok {
		return 1
	}
	rootV, hasRoot, ok := p.needSetting(d, cmd, "STATIC_ROOT")
	if !ok {
		return 1
	}
	dirsV, _, ok := p.needSetting(d, cmd, "STATICFILES_DIRS")
	if !ok {
		return 1
	}
	if _, _, ok := p.needSetting(d, cmd, "INSTALLED_APPS"); !ok {
		return 1
	}
	root := ""
	if hasRoot && rootV.kind == 's' && rootV.s != "" {
		root = p.absClean(rootV.s)
	}
	type dirSpec struct{ prefix, dir string }
	var dirs []dirSpec
	for _, it := range dirsV.list {
		switch {
		case it.kind == 's':
			dirs = append(dirs, dirSpec{"", it.s})
		case it.kind == 'l' && len(it.list) == 2 && it.list[0].kind == 's' && it.list[1].kind == 's':
			dirs = append(dirs, dirSpec{it.list[0].s, it.list[1].s})
		default:
			fmt.Fprintf(p.errw, "layerlab: %s collectstatic: the sandbox reads Django settings literally and cannot read an entry of STATICFILES_DIRS\n", d.prog)
			return 1
		}
	}
	for _, ds := range dirs {
		if root != "" && p.absClean(ds.dir) == root {
			p.djangoImproperly(d, "The STATICFILES_DIRS setting should not contain the STATIC_ROOT setting.")
			return 1
		}
	}
	// the finders' lists, in Django's order
	var found []staticSource
	list := func(dir, prefix string) {
		var files []string
		p.s.withFS(func(f *rootfs.FS) error {
			e, key, err := f.Stat(dir)
			if err != nil || e.Kind != rootfs.KindDir {
				return nil
			}
			walkStatic(f, key, "", ignore, &files)
			return nil
		})
		for _, rel := range files {
			found = append(found, staticSource{rel: path.Join(prefix, rel), abs: path.Join(dir, rel)})
		}
	}
	for _, ds := range dirs {
		abs := p.absClean(ds.dir)
		if !p.s.exists(abs) && pyAtLeast(d.version, "4.0") {
			fmt.Fprintf(p.errw, "System check identified some issues:\n\nWARNINGS:\n?: (staticfiles.W004) The directory '%s' in the STATICFILES_DIRS setting does not exist.\n", ds.dir)
		}
		list(abs, ds.prefix)
	}
	for _, app := range d.settings.vals["INSTALLED_APPS"].list {
		mod := app.s
		if i := strings.Index(mod, ".apps."); i >= 0 {
			mod = mod[:i]
		}
		f, ok := p.pyModuleFile(d, mod)
		if !ok {
			fmt.Fprintf(p.errw, "Traceback (most recent call last):\n  File \"%s\", line 1, in <module>\nModuleNotFoundError: No module named '%s'\n", d.shownOr(), strings.Split(mod, ".")[0])
			return 1
		}
		list(path.Dir(f)+"/static", "")
	}
	destination := root
	if interactive {
		warn := true
		if root != "" {
			names, _ := p.readDirNames(root)
			warn = len(names) > 0
		}
		if warn {
			var msg strings.Builder
			msg.WriteString("\n")
			if dry {
				msg.WriteString("You have activated the --dry-run option so no files will be modified.\n\n")
			}
			msg.WriteString("You have requested to collect static files at the destination\nlocation as specified in your settings")
			if root != "" {
				fmt.Fprintf(&msg, ":\n\n    %s\n\n", root)
			} else {
				msg.WriteString(".\n\n")
			}
			if clear {
				msg.WriteString("This will DELETE ALL FILES in this location!\n")
			} else {
				msg.WriteString("This will overwrite existing files!\n")
			}
			msg.WriteString("Are you sure you want to do this?\n\nType 'yes' to continue, or 'no' to cancel: ")
			p.outf("%s", msg.String())
			in, _ := p.readStdin()
			line, _, hasLine := strings.Cut(string(in), "\n")
			if !hasLine && line == "" {
				// input() at end of input: a build step's stdin is empty
				fmt.Fprintf(p.errw, "Traceback (most recent call last):\n  File \"%s\", line 1, in <module>\nEOFError: EOF when reading a line\n", d.shownOr())
				fmt.Fprintf(p.errw, "layerlab: collectstatic asked for confirmation and a build step has no terminal to answer it; Django's --noinput skips the question\n")
				return 1
			}
			if line != "yes" {
				fmt.Fprintf(p.errw, "CommandError: Collecting static files cancelled.\n")
				return 1
			}
		}
	}
	if root == "" && (len(found) > 0 || clear) {
		p.djangoImproperly(d, "You're using the staticfiles app without having set the STATIC_ROOT setting to a filesystem path.")
		return 1
	}
	log := func(level int, format string, a ...any) {
		if verbosity >= level {
			p.outf(format+"\n", a...)
		}
	}
	uid, gid := p.s.uid, p.s.gid
	if clear && p.s.exists(root) {
		var files []string
		p.s.withFS(func(f *rootfs.FS) error {
			_, key, err := f.Stat(root)
			if err == nil {
				walkStatic(f, key, "", nil, &files)
			}
			return nil
		})
		for _, rel := range files {
			if dry {
				log(1, "Pretending to delete '%s'", rel)
				continue
			}
			log(1, "Deleting '%s'", rel)
			p.removeAll(path.Join(root, rel))
		}
	}
	seen := map[string]bool{}
	copied, unmodified := 0, 0
	for _, src := range found {
		if seen[src.rel] {
			log(1, "Found another file with the destination path '%s'. It will be ignored since only the first encountered file is collected. If this is not what you want, make sure every static file has a unique path.", src.rel)
			continue
		}
		seen[src.rel] = true
		dst := path.Join(root, src.rel)
		se, err := p.s.stat(src.abs)
		if err != nil {
			continue
		}
		if te, err := p.s.stat(dst); err == nil && te.Kind == rootfs.KindFile {
			if !te.ModTime.Before(se.ModTime) {
				unmodified++
				log(2, "Skipping '%s' (not modified)", src.rel)
				continue
			}
			if dry {
				log(2, "Pretending to delete '%s'", src.rel)
			} else {
				log(2, "Deleting '%s'", src.rel)
				p.removeAll(dst)
			}
		}
		if dry {
			log(1, "Pretending to copy '%s'", src.abs)
		} else {
			log(2, "Copying '%s'", src.abs)
			// a copy: the output's bytes are its source's, so it follows its input
			if err := p.put(dst, se.Data, 0o644, uid, gid); err != nil {
				fmt.Fprintf(p.errw, "layerlab: collectstatic: write %s: %v\n", dst, err)
				return 1
			}
		}
		copied++
	}
	collected := make([]string, 0, len(seen))
	for _, src := range found {
		if seen[src.rel] {
			collected = append(collected, src.rel)
			delete(seen, src.rel)
		}
	}
	post := 0
	if postProcess && !dry && (storage.hash || storage.compress) {
		n, code := p.postProcessStatic(d, storage, root, found, collected, uid, gid, log)
		if code != 0 {
			return code
		}
		post = n
	}
	if verbosity >= 1 {
		line := fmt.Sprintf("\n%d static file", copied)
		if copied != 1 {
			line += "s"
		}
		line += " copied"
		if destination != "" {
			line += fmt.Sprintf(" to '%s'", destination)
		}
		if unmodified > 0 {
			line += fmt.Sprintf(", %d unmodified", unmodified)
		}
		if post > 0 {
			line += fmt.Sprintf(", %d post-processed", post)
		}
		p.outf("%s.\n", line)
	}
	return 0
}

// defaultStaticSetting reports whether a storage or finders setting names only
// what Django uses by default, which is what the sandbox simulates.
func defaultStaticSetting(name string, v pyVal) bool {
	var flat []string
	var walk func(pyVal)
	walk = func(v pyVal) {
		if v.kind == 's' {
			flat = append(flat, v.s)
		}
		for _, x := range v.list {
			walk(x)
		}
	}
	walk(v)
	for _, s := range flat {
		if strings.Contains(s, ".") && s != "django.contrib.staticfiles.storage.StaticFilesStorage" &&
			s != "django.contrib.staticfiles.finders.FileSystemFinder" && s != "django.contrib.staticfiles.finders.AppDirectoriesFinder" &&
			s != "django.core.files.storage.FileSystemStorage" {
			return false
		}
	}
	return name != "STORAGES" // a dict literal is not read; STORAGES set at all is refused
}

// walkStatic lists the files under key (relative paths, sorted), skipping names that
// match Django's ignore patterns.
func walkStatic(f *rootfs.FS, key, rel string, ignore []string, out *[]string) {
	names, _ := f.ReadDir("/" + key)
	sort.Strings(names)
	for _, n := range names {
		if matchesAny(n, ignore) {
			continue
		}
		e, _, err := f.Stat("/" + path.Join(key, n))
		if err != nil {
			continue
		}
		r := path.Join(rel, n)
		if e.Kind == rootfs.KindDir {
			walkStatic(f, path.Join(key, n), r, ignore, out)
		} else if e.Kind == rootfs.KindFile {
			*out = append(*out, r)
		}
	}
}

func matchesAny(name string, patterns []string) bool {
	for _, pat := range patterns {
		if ok, _ := path.Match(pat, name); ok {
			return true
		}
	}
	return false
}

func (p *proc) readDirNames(dir string) ([]string, error) {
	var names []string
	err := p.s.withFS(func(f *rootfs.FS) error {
		var err error
		names, err = f.ReadDir(dir)
		return err
	})
	return names, err
}

// djangoImproperly prints ImproperlyConfigured as Python's traceback ends it (the
// frames inside Django are left out) and fails.
func (p *proc) djangoImproperly(d *djangoEnv, msg string) {
	fmt.Fprintf(p.errw, "Traceback (most recent call last):\n  File \"%s\", line 1, in <module>\ndjango.core.exceptions.ImproperlyConfigured: %s\n", d.shownOr(), msg)
}

// compileMessages is compilemessages: every .po under a locale/ directory of the
// working tree (and LOCALE_PATHS) is compiled by msgfmt into the .mo beside it,
// whose bytes follow the .po's.
func (p *proc) compileMessages(d *djangoEnv, args []string) int {
	if _, ok := p.s.lookPath(p.getenv("PATH"), p.dir, "msgfmt"); !ok {
		fmt.Fprintf(p.errw, "CommandError: Can't find msgfmt. Make sure you have GNU gettext tools 0.15 or newer installed.\n")
		return 1
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") && a != "--use-fuzzy" && a != "-f" {
			fmt.Fprintf(p.errw, "layerlab: %s compilemessages: option %s is not simulated\n", d.prog, a)
			return 1
		}
	}
	locVal, _, ok := p.needSetting(d, "compilemessages", "LOCALE_PATHS")
	if !ok {
		return 1
	}
	var pos []string
	roots := []string{p.absClean(".")}
	for _, l := range locVal.list {
		if l.kind == 's' {
			roots = append(roots, p.absClean(l.s))
		}
	}
	seen := map[string]bool{}
	p.s.withFS(func(f *rootfs.FS) error {
		for _, r := range roots {
			_, key, err := f.Stat(r)
			if err != nil {
				continue
			}
			var files []string
			walkStatic(f, key, "", nil, &files)
			for _, rel := range files {
				full := path.Join(r, rel)
				if strings.HasSuffix(rel, ".po") && strings.Contains("/"+full, "/LC_MESSAGES/") && !seen[full] {
					seen[full] = true
					pos = append(pos, full)
				}
			}
		}
		return nil
	})
	sort.Strings(pos)
	for _, po := range pos {
		p.outf("processing file %s in %s\n", path.Base(po), path.Dir(po))
		dg, err := p.inputsDigest([]string{po}, nil, "msgfmt")
		if err != nil {
			p.errf("compilemessages: %v", err)
			return 1
		}
		var size int64 = 64
		if e, err := p.s.stat(po); err == nil && e.Data != nil {
			size += e.Data.Size() / 2
		}
		mo := strings.TrimSuffix(po, ".po") + ".mo"
		if err := p.put(mo, artefact("msgfmt", mo, dg, size, 32), 0o644, p.s.uid, p.s.gid); err != nil {
			p.errf("compilemessages: %v", err)
			return 1
		}
	}
	return 0
}

// djangoCheck is `manage.py check`: the sandbox runs no project code, so it checks
// what it can read (the settings imported) and says what it did not run.
func (p *proc) djangoCheck(d *djangoEnv, args []string) int {
	for _, a := range args {
		if a == "--deploy" {
			fmt.Fprintf(p.errw, "layerlab: %s check --deploy: not simulated: the deployment checks read settings the sandbox may not evaluate and run the project's code\n", d.prog)
			return 1
		}
	}
	fmt.Fprintf(p.errw, "layerlab: %s check: the settings were read; the project's models and URLs were not imported (the sandbox runs no Python)\n", d.prog)
	p.outf("System check identified no issues (0 silenced).\n")
	return 0
}

// cmdFlask is the flask CLI: --version reads the installed distributions; commands
// that need the app's database or a server are refused naming why.
func cmdFlask(p *proc) int {
	env := p.pyScheme(p.argv0)
	inst := p.pyInstalled(env.site)
	if len(p.args) > 0 && p.args[0] == "--version" {
		p.outf("Python %s\nFlask %s\nWerkzeug %s\n", p.pythonFullVersion(), inst["flask"], inst["werkzeug"])
		return 0
	}
	if len(p.args) > 0 && p.args[0] == "db" {
		fmt.Fprintf(p.errw, "layerlab: flask db: not simulated: it runs the app's migrations against its database, which a build has not got; run it when the container starts\n")
		return 1
	}
	if len(p.args) > 0 && p.args[0] == "run" {
		fmt.Fprintf(p.errw, "layerlab: flask run: not simulated: it starts a server that never exits; it belongs in the CMD\n")
		return 1
	}
	return p.notSimulated("flask " + strings.Join(p.args, " "))
}

// pythonC is `python -c CODE`: only `import NAME[, ...]` and printing an installed
// distribution's version (NAME.__version__, django.get_version()) are simulated, as
// Dockerfiles use them to check an install; other code is refused by name.
func (p *proc) pythonC(code string) int {
	if strings.Contains(code, ".download(") {
		fmt.Fprintf(p.errw, "layerlab: %s -c: not simulated: %q downloads data from the network by running Python code; the sandbox runs no Python\n", p.name, code)
		return 127
	}
	env := p.pyScheme(p.pythonExe())
	inst := p.pyInstalled(env.site)
	imported := map[string]bool{}
	var out strings.Builder
	stmts := strings.FieldsFunc(code, func(r rune) bool { return r == ';' || r == '\n' })
	for _, s := range stmts {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if mods, ok := strings.CutPrefix(s, "import "); ok {
			for _, m := range strings.Split(mods, ",") {
				m = strings.TrimSpace(m)
				if !pyIdent.MatchString(m) || pyIdent.FindString(m) != m {
					return p.notSimulated(p.name + " -c " + strconv.Quote(code))
				}
				top := strings.Split(m, ".")[0]
				if !pyStdlib[top] && !p.pyImportable(env.site, top) {
					fmt.Fprint(p.out, out.String())
					fmt.Fprintf(p.errw, "Traceback (most recent call last):\n  File \"<string>\", line 1, in <module>\nModuleNotFoundError: No module named '%s'\n", top)
					return 1
				}
				imported[top] = true
			}
			continue
		}
		if m := pyPrintVersion.FindStringSubmatch(s); m != nil && imported[m[1]] {
			v := ""
			if m[1] == "django" && m[2] == "get_version()" || m[2] == "__version__" {
				v = inst[langcatalog.Normalize(langcatalog.PyPI, pyDistOf(m[1]))]
			}
			if v == "" {
				return p.notSimulated(p.name + " -c " + strconv.Quote(code))
			}
			out.WriteString(v + "\n")
			continue
		}
		return p.notSimulated(p.name + " -c " + strconv.Quote(code))
	}
	p.outf("%s", out.String())
	return 0
}

var pyPrintVersion = newLazyRegexp(`^print\(\s*([A-Za-z_]\w*)\.(__version__|get_version\(\))\s*\)$`)

// pyDistOf maps an import name to its distribution where they differ.
func pyDistOf(mod string) string {
	if d, ok := map[string]string{"PIL": "pillow", "sklearn": "scikit-learn", "yaml": "pyyaml", "cv2": "opencv-python", "bs4": "beautifulsoup4", "dateutil": "python-dateutil"}[mod]; ok {
		return d
	}
	return mod
}

// pyImportable reports whether site-packages holds a top-level module or package.
func (p *proc) pyImportable(site, mod string) bool {
	return p.s.exists(site+"/"+mod+"/__init__.py") || p.s.exists(site+"/"+mod+".py") || p.s.exists(site+"/"+mod)
}

// pyStdlib is the standard library's top-level modules a Dockerfile's check imports.
var pyStdlib = map[string]bool{
	"os": true, "sys": true, "json": true, "ssl": true, "sqlite3": true, "socket": true, "re": true, "math": true,
	"time": true, "datetime": true, "pathlib": true, "subprocess": true, "hashlib": true, "zlib": true, "ctypes": true,
	"venv": true, "ensurepip": true, "urllib": true, "http": true, "logging": true, "platform": true, "site": true,
	"compileall": true, "encodings": true, "locale": true, "uuid": true, "random": true, "collections": true,
}

// djangoAdminStatic is django.contrib.admin's static tree as Django 3.2 ships it
// (path under static/admin and size in bytes): collectstatic copies these, so a
// project with only the admin collects 128 files, as a real build does. Other Django
// releases ship a few files more or fewer; the sandbox uses this one tree for all. It
// is parsed on first use, not at every process start.
var djangoAdminStatic = sync.OnceValue(func() []adminStaticFile {
	var out []adminStaticFile
	for _, l := range strings.Split(strings.TrimSpace(adminStaticTable), "\n") {
		f := strings.Fields(l)
		n, _ := strconv.ParseInt(f[1], 10, 64)
		out = append(out, adminStaticFile{f[0], n})
	}
	for _, lang := range strings.Fields(select2Langs) {
		out = append(out, adminStaticFile{"js/vendor/select2/i18n/" + lang + ".js", 900 + int64(seedOf("select2", lang)%300)})
	}
	return out
})

// adminStaticFile is one file of the admin's static tree.
type adminStaticFile struct {
	rel  string
	size int64
}

const adminStaticTable = `
css/autocomplete.css 8944
css/base.css 16378
css/changelists.css 6878
css/dashboard.css 412
css/fonts.css 423
css/forms.css 8518
css/login.css 958
css/nav_sidebar.css 2219
css/responsive.css 18854
css/responsive_rtl.css 1782
css/rtl.css 4035
css/widgets.css 10430
css/vendor/select2/LICENSE-SELECT2.md 1094
css/vendor/select2/select2.css 17358
css/vendor/select2/select2.min.css 14966
fonts/LICENSE.txt 11357
fonts/README.txt 134
fonts/Roboto-Bold-webfont.woff 86184
fonts/Roboto-Light-webfont.woff 85692
fonts/Roboto-Regular-webfont.woff 85876
img/LICENSE 1081
img/README.txt 321
img/calendar-icons.svg 1779
img/gis/move_vertex_off.svg 1129
img/gis/move_vertex_on.svg 1129
img/icon-addlink.svg 331
img/icon-alert.svg 504
img/icon-calendar.svg 1086
img/icon-changelink.svg 380
img/icon-clock.svg 677
img/icon-deletelink.svg 392
img/icon-no.svg 560
img/icon-unknown-alt.svg 655
img/icon-unknown.svg 655
img/icon-viewlink.svg 581
img/icon-yes.svg 436
img/inline-delete.svg 537
img/search.svg 458
img/selector-icons.svg 3291
img/sorting-icons.svg 1097
img/tooltag-add.svg 331
img/tooltag-arrowright.svg 280
js/SelectBox.js 4530
js/SelectFilter2.js 15037
js/actions.js 7419
js/admin/DateTimeShortcuts.js 19810
js/admin/RelatedObjectLookups.js 7830
js/autocomplete.js 1059
js/calendar.js 8810
js/cancel.js 884
js/change_form.js 606
js/collapse.js 1803
js/core.js 5676
js/inlines.js 15011
js/jquery.init.js 347
js/nav_sidebar.js 1617
js/popup_response.js 551
js/prepopulate.js 1531
js/prepopulate_init.js 586
js/urlify.js 7887
js/vendor/jquery/LICENSE.txt 1097
js/vendor/jquery/jquery.js 288580
js/vendor/jquery/jquery.min.js 89476
js/vendor/select2/LICENSE.md 1097
js/vendor/select2/select2.full.js 173566
js/vendor/select2/select2.full.min.js 79212
js/vendor/xregexp/LICENSE.txt 1107
js/vendor/xregexp/xregexp.js 325171
js/vendor/xregexp/xregexp.min.js 163062
`

const select2Langs = `af ar az bg bn bs ca cs da de dsb el en es et eu fa fi fr gl he hi hr hsb hu hy id is it
ja ka km ko lt lv mk ms nb ne nl pl ps pt-BR pt ro ru sk sl sq sr-Cyrl sr sv th tk tr uk vi zh-CN zh-TW`

// pyShipExtras writes the files a distribution ships beyond its import package that
// later build steps read: Django's admin static tree, which collectstatic copies, and
// WhiteNoise's modules that settings name in INSTALLED_APPS.
func (p *proc) pyShipExtras(env pyEnv, pkg langcatalog.Package) error {
	switch langcatalog.Normalize(langcatalog.PyPI, pkg.Name) {
	case "whitenoise":
		// the modules settings name: the app, the middleware, the storages
		for _, m := range []string{"runserver_nostatic/__init__.py", "middleware.py", "storage.py", "compress.py"} {
			if err := p.putText(env.site+"/whitenoise/"+m, "# whitenoise."+strings.TrimSuffix(strings.TrimSuffix(m, "/__init__.py"), ".py")+" (layerlab stand-in)\n"); err != nil {
				return fmt.Errorf("write whitenoise %s: %w", m, err)
			}
		}
		return nil
	case "django":
	default:
		return nil
	}
	base := env.site + "/" + pkg.Module + "/contrib/admin/static/admin/"
	for _, f := range djangoAdminStatic() {
		c := rootfs.Generated{Seed: seedOf("django-admin-static", pkg.Version, f.rel), N: f.size}
		if err := p.put(base+f.rel, c, 0o644, p.s.uid, p.s.gid); err != nil {
			return fmt.Errorf("write django admin static %s: %w", f.rel, err)
		}
	}
	// the contrib apps settings name in INSTALLED_APPS, importable as packages
	for _, app := range []string{"admin", "admindocs", "auth", "contenttypes", "flatpages", "gis", "humanize", "messages",
		"postgres", "redirects", "sessions", "sitemaps", "sites", "staticfiles", "syndication"} {
		if err := p.putText(env.site+"/"+pkg.Module+"/contrib/"+app+"/__init__.py", "# django.contrib."+app+" (layerlab stand-in)\n"); err != nil {
			return fmt.Errorf("write django.contrib.%s: %w", app, err)
		}
	}
	return p.putText(env.site+"/"+pkg.Module+"/contrib/__init__.py", "")
}

// absClean is name made absolute against the working directory and cleaned.
func (p *proc) absClean(name string) string { return "/" + rootfs.Clean(p.abs(name)) }

// staticBackend is the staticfiles storage collectstatic writes through, as the
// settings name it (STATICFILES_STORAGE, or STORAGES["staticfiles"]["BACKEND"] from
// Django 4.2).
type staticBackend struct {
	name     string
	hash     bool // ManifestFilesMixin: NAME.HASH12.EXT copies, CSS rewritten, staticfiles.json
	compress bool // WhiteNoise: NAME.gz (and NAME.br with brotli) where compression pays
}

const defaultStaticStorage = "django.contrib.staticfiles.storage.StaticFilesStorage"

// staticStorage picks the backend as Django does and imports it: a module that is
// not installed fails as Python's import does; an installed backend the sandbox
// does not simulate is refused by name.
func (p *proc) staticStorage(d *djangoEnv) (staticBackend, bool) {
	const cmd = "collectstatic"
	legacy, hasLegacy, ok := p.needSetting(d, cmd, "STATICFILES_STORAGE")
	if !ok {
		return staticBackend{}, false
	}
	storages, hasStorages, ok := p.needSetting(d, cmd, "STORAGES")
	if !ok {
		return staticBackend{}, false
	}
	v42, v51 := pyAtLeast(d.version, "4.2"), pyAtLeast(d.version, "5.1")
	backend, setting := defaultStaticStorage, ""
	switch {
	case hasStorages && v42:
		// 4.2 and 5.0 fold STATICFILES_STORAGE into STORAGES and refuse both set
		if hasLegacy && !v51 {
			p.djangoImproperly(d, "STATICFILES_STORAGE/STORAGES are mutually exclusive.")
			return staticBackend{}, false
		}
		if storages.kind != 'd' {
			fmt.Fprintf(p.errw, "layerlab: %s %s: the sandbox reads Django settings literally and cannot read STORAGES as a dict\n", d.prog, cmd)
			return staticBackend{}, false
		}
		cfg, found := storages.get("staticfiles")
		if !found {
			fmt.Fprintf(p.errw, "Traceback (most recent call last):\n  File \"%s\", line 1, in <module>\ndjango.core.files.storage.handler.InvalidStorageError: Could not find config for 'staticfiles' in settings.STORAGES.\n", d.shownOr())
			return staticBackend{}, false
		}
		b, found := cfg.get("BACKEND")
		if !found {
			fmt.Fprintf(p.errw, "Traceback (most recent call last):\n  File \"%s\", line 1, in <module>\nKeyError: 'BACKEND'\n", d.shownOr())
			return staticBackend{}, false
		}
		if b.kind != 's' {
			fmt.Fprintf(p.errw, "layerlab: %s %s: the sandbox cannot read STORAGES[\"staticfiles\"][\"BACKEND\"] as a string\n", d.prog, cmd)
			return staticBackend{}, false
		}
		if o, has := cfg.get("OPTIONS"); has && len(o.list) > 0 {
			fmt.Fprintf(p.errw, "layerlab: %s %s: STORAGES[\"staticfiles\"][\"OPTIONS\"] is set; the sandbox simulates the storage backends with their default options only\n", d.prog, cmd)
			return staticBackend{}, false
		}
		backend, setting = b.s, `STORAGES["staticfiles"]["BACKEND"]`
	case hasLegacy && v51:
		// Django 5.1 removed the setting: it is not read at all
		fmt.Fprintf(p.errw, "layerlab: note: Django %s ignores STATICFILES_STORAGE (removed in 5.1; STORAGES[\"staticfiles\"] replaces it), so the default StaticFilesStorage collects\n", d.version)
	case hasLegacy:
		if legacy.kind != 's' {
			fmt.Fprintf(p.errw, "layerlab: %s %s: the sandbox cannot read STATICFILES_STORAGE as a string\n", d.prog, cmd)
			return staticBackend{}, false
		}
		backend, setting = legacy.s, "STATICFILES_STORAGE"
	}
	mod := parentMod(backend)
	top := strings.Split(backend, ".")[0]
	if top != "django" && !p.pyImportable(d.site, top) {
		if _, local := p.pyModuleFile(d, top); !local {
			if v42 {
				fmt.Fprintf(p.errw, "Traceback (most recent call last):\n  File \"%s\", line 1, in <module>\nModuleNotFoundError: No module named '%s'\n\nThe above exception was the direct cause of the following exception:\n\nTraceback (most recent call last):\n  File \"%s\", line 1, in <module>\ndjango.core.files.storage.handler.InvalidStorageError: Could not find backend '%s': No module named '%s'\n", d.shownOr(), top, d.shownOr(), backend, top)
			} else {
				fmt.Fprintf(p.errw, "Traceback (most recent call last):\n  File \"%s\", line 1, in <module>\nModuleNotFoundError: No module named '%s'\n", d.shownOr(), top)
			}
			return staticBackend{}, false
		}
	}
	sb := staticBackend{name: backend}
	switch backend {
	case defaultStaticStorage, "django.core.files.storage.FileSystemStorage":
	case "django.contrib.staticfiles.storage.ManifestStaticFilesStorage":
		sb.hash = true
	case "whitenoise.storage.CompressedManifestStaticFilesStorage":
		sb.hash, sb.compress = true, true
	case "whitenoise.storage.CompressedStaticFilesStorage":
		sb.compress = true
	default:
		fmt.Fprintf(p.errw, "layerlab: %s %s: %s is %s (module %s); the sandbox simulates Django's StaticFilesStorage and ManifestStaticFilesStorage and WhiteNoise's CompressedStaticFilesStorage and CompressedManifestStaticFilesStorage, not this backend\n", d.prog, cmd, setting, backend, mod)
		return staticBackend{}, false
	}
	if sb.compress {
		keep, _, ok := p.needSetting(d, cmd, "WHITENOISE_KEEP_ONLY_HASHED_FILES")
		if !ok {
			return staticBackend{}, false
		}
		if keep.kind == 'b' && keep.b {
			fmt.Fprintf(p.errw, "layerlab: %s %s: WHITENOISE_KEEP_ONLY_HASHED_FILES = True is not simulated (it deletes the unhashed copies)\n", d.prog, cmd)
			return staticBackend{}, false
		}
	}
	return sb, true
}

// staticURL is STATIC_URL as Django uses it in URLs: a relative value gets a
// leading slash (the script prefix).
func staticURL(st *pySettings) string {
	u := st.vals["STATIC_URL"].s
	if u == "" {
		return "/static/"
	}
	if !strings.HasPrefix(u, "/") && !strings.Contains(u, "://") {
		u = "/" + u
	}
	return u
}

// ppYield is one file post_process reports: its name, the name it was processed
// into, and whether it was (collectstatic counts those as post-processed).
type ppYield struct {
	name, to  string
	processed bool
}

// ppError is an exception post_process yields: collectstatic prints
// "Post-processing 'NAME' failed!" and raises it.
type ppError struct {
	name, exc string // exc is the traceback's last line(s), type included
}

// hashedStatic is Django's HashedFilesMixin with ManifestFilesMixin (keep no
// intermediate files), over the files collected into root.
type hashedStatic struct {
	p        *proc
	root     string
	url      string // STATIC_URL
	version  string // Django's
	repr     string // the storage's repr, as ValueError prints it
	uid, gid int
	src      map[string][]byte // collected name -> source content (the finder's file)
	hashed   map[string]string // hashed_files: name -> hashed name
	order    []string          // hashed_files' keys in insertion order (the manifest's order)
}

func (h *hashedStatic) set(k, v string) {
	if _, ok := h.hashed[k]; !ok {
		h.order = append(h.order, k)
	}
	h.hashed[k] = v
}

// djangoHashName is NAME.HASH12.EXT: the first 12 hex digits of the content's md5
// before the extension os.path.splitext finds.
func djangoHashName(name string, content []byte) string {
	sum := md5.Sum(content)
	dir, base := path.Split(name)
	root, ext := pySplitext(base)
	return dir + root + "." + hex.EncodeToString(sum[:])[:12] + ext
}

// pySplitext is os.path.splitext of a base name: leading dots are not an extension.
func pySplitext(base string) (string, string) {
	i := strings.LastIndexByte(base, '.')
	if i <= 0 || strings.Trim(base[:i], ".") == "" {
		return base, ""
	}
	return base[:i], base[i:]
}

// adjustable reports whether Django's patterns rewrite a file: CSS always; JS for
// its sourceMappingURL from Django 4.1.
func (h *hashedStatic) adjustable(name string) bool {
	l := strings.ToLower(name)
	return strings.HasSuffix(l, ".css") || strings.HasSuffix(l, ".js") && pyAtLeast(h.version, "4.1")
}

var (
	cssImport    = newLazyRegexp(`(?i)@import\s*["']\s*(.*?)["']`)
	cssSourceMap = newLazyRegexp(`(?im)^(/\*#[ \t](?-i:sourceMappingURL)=(.*?))[ \t]*\*/$`)
	jsSourceMap  = newLazyRegexp(`(?im)^(//# (?-i:sourceMappingURL)=(.*))$`)
	urlScheme    = newLazyRegexp(`^[a-z]+:`)
)

// cssURLs finds Django's url() pattern, (?i)url\((['"]?)\s*(.*?)\1\), which Go's
// regexp cannot say (a back-reference): at each "url(" a quoted form is tried
// first, then the unquoted one; '.' does not match a newline.
func cssURLs(s string) [][4]int { // match start, end, url start, url end
	var out [][4]int
	lower := strings.ToLower(s)
	for i := 0; i < len(s); {
		j := strings.Index(lower[i:], "url(")
		if j < 0 {
			break
		}
		start := i + j
		k := start + 4
		m, ok := [4]int{}, false
		for _, q := range []string{string(s[min(k, len(s)-1)]), ""} {
			if q != "" && q != `"` && q != "'" {
				continue
			}
			u := k + len(q)
			for u < len(s) && strings.IndexByte(" \t\n\r\f\v", s[u]) >= 0 {
				u++
			}
			end := strings.Index(s[u:], q+")")
			if end < 0 || strings.Contains(s[u:u+end], "\n") {
				continue
			}
			m, ok = [4]int{start, u + end + len(q) + 1, u, u + end}, true
			break
		}
		if !ok {
			i = start + 1
			continue
		}
		out = append(out, m)
		i = m[1]
	}
	return out
}

// rewrite applies Django's patterns to one adjustable file's content, in order.
func (h *hashedStatic) rewrite(name, content string) (string, error) {
	conv := func(matched, u, tmpl string) (string, error) {
		if urlScheme.MatchString(u) || strings.HasPrefix(u, "//") {
			return matched, nil
		}
		if strings.HasPrefix(u, "/") && !strings.HasPrefix(u, h.url) {
			return matched, nil
		}
		urlPath, frag, hasFrag := strings.Cut(u, "#")
		if urlPath == "" {
			return matched, nil
		}
		target := ""
		if strings.HasPrefix(urlPath, "/") {
			target = strings.TrimPrefix(urlPath, h.url)
		} else {
			target = path.Dir(name) + "/" + urlPath
			if path.Dir(name) == "." {
				target = urlPath
			}
		}
		hashedURL, err := h.storedURL(pyUnquote(target))
		if err != nil {
			return "", err
		}
		parts := strings.Split(urlPath, "/")
		hparts := strings.Split(hashedURL, "/")
		out := strings.Join(append(parts[:len(parts)-1], hparts[len(hparts)-1]), "/")
		if hasFrag && frag != "" {
			if strings.Contains(u, "?#") {
				out += "?#" + frag
			} else {
				out += "#" + frag
			}
		}
		return strings.ReplaceAll(tmpl, "%(url)s", pyUnquote(out)), nil
	}
	var ferr error
	sub := func(re *regexp.Regexp, tmpl string) {
		if ferr != nil {
			return
		}
		content = re.ReplaceAllStringFunc(content, func(m string) string {
			if ferr != nil {
				return m
			}
			g := re.FindStringSubmatch(m)
			out, err := conv(m, g[len(g)-1], tmpl)
			if err != nil {
				ferr = err
				return m
			}
			return out
		})
	}
	if strings.HasSuffix(strings.ToLower(name), ".css") {
		var b strings.Builder
		last := 0
		for _, m := range cssURLs(content) {
			out, err := conv(content[m[0]:m[1]], content[m[2]:m[3]], `url("%(url)s")`)
			if err != nil {
				return "", err
			}
			b.WriteString(content[last:m[0]] + out)
			last = m[1]
		}
		content = b.String() + content[last:]
		sub(cssImport.get(), `@import url("%(url)s")`)
		if pyAtLeast(h.version, "4.0") {
			sub(cssSourceMap.get(), `/*# sourceMappingURL=%(url)s */`)
		}
	} else {
		sub(jsSourceMap.get(), `//# sourceMappingURL=%(url)s`)
	}
	return content, ferr
}

// storedURL is _url(_stored_name, name): the hashed name of a referenced file,
// from this run's hashed_files or else from the collected file's content; its
// query and "?#" survive as Django keeps them.
func (h *hashedStatic) storedURL(name string) (string, error) {
	if strings.HasSuffix(name, "/") {
		return name, nil
	}
	clean, query, hasQuery := strings.Cut(name, "?")
	clean = path.Clean(strings.TrimSpace(clean))
	if v, ok := h.hashed[clean]; ok {
		return v, nil
	}
	file := path.Join(h.root, clean)
	if !h.p.s.exists(file) {
		//lint:ignore ST1005 Django's ValueError text, word for word
		return "", fmt.Errorf("The file '%s' could not be found with %s.", clean, h.repr)
	}
	b, err := h.p.readFile(file)
	if err != nil {
		return clean, nil // Django returns the name unhashed when open fails
	}
	out := djangoHashName(clean, b)
	if hasQuery && query != "" {
		out += "?" + query
	} else if strings.Contains(name, "?#") {
		out += "?"
	}
	return out, nil
}

// pyUnquote is urllib.parse.unquote: %XX decoded, anything malformed left as is.
func pyUnquote(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s)+0 && i+2 <= len(s)-1 {
			if v, err := strconv.ParseUint(s[i+1:i+3], 16, 8); err == nil {
				b = append(b, byte(v))
				i += 2
				continue
			}
		}
		b = append(b, s[i])
	}
	return string(b)
}

// pass is one run of _post_process over names (deepest directories first, in
// collection order within a level).
func (h *hashedStatic) pass(names []string, adjustable map[string]bool) ([]ppYield, []bool, *ppError) {
	sorted := append([]string{}, names...)
	sort.SliceStable(sorted, func(i, j int) bool {
		return strings.Count(sorted[i], "/") > strings.Count(sorted[j], "/")
	})
	var ys []ppYield
	var substs []bool
	for _, name := range sorted {
		orig := h.src[name]
		hashedName, cached := h.hashed[name]
		if !cached {
			hashedName = djangoHashName(name, orig)
		}
		exists := h.p.s.exists(path.Join(h.root, hashedName))
		processed, subst := false, true
		if adjustable[name] {
			if !utf8.Valid(orig) {
				return nil, nil, &ppError{name, "UnicodeDecodeError: 'utf-8' codec can't decode the file (layerlab: the position and reason Python gives are not simulated)"}
			}
			content, err := h.rewrite(name, string(orig))
			if err != nil {
				return nil, nil, &ppError{name, "ValueError: " + err.Error()}
			}
			if exists {
				h.p.removeAll(path.Join(h.root, hashedName))
			}
			newName := djangoHashName(name, []byte(content))
			if err := h.p.put(path.Join(h.root, newName), rootfs.Bytes(content), 0o644, h.uid, h.gid); err != nil {
				return nil, nil, &ppError{name, "OSError: " + err.Error()}
			}
			subst = newName != hashedName
			hashedName, processed = newName, true
		} else if !exists {
			processed = true
			if err := h.p.put(path.Join(h.root, hashedName), rootfs.Bytes(orig), 0o644, h.uid, h.gid); err != nil {
				return nil, nil, &ppError{name, "OSError: " + err.Error()}
			}
		}
		h.set(name, hashedName)
		ys = append(ys, ppYield{name, hashedName, processed})
		substs = append(substs, subst)
	}
	return ys, substs, nil
}

// postProcess is HashedFilesMixin.post_process: one pass over every file, then up
// to max_post_process_passes (5) over the adjustable ones until no hashed name
// changes; the adjustable files are reported last.
func (h *hashedStatic) postProcess(names []string) ([]ppYield, *ppError) {
	adjustable := map[string]bool{}
	var adj []string
	for _, n := range names {
		if h.adjustable(n) {
			adjustable[n] = true
			adj = append(adj, n)
		}
	}
	var out []ppYield
	last := map[string]ppYield{}
	ys, _, perr := h.pass(names, adjustable)
	if perr != nil {
		return out, perr
	}
	for _, y := range ys {
		if adjustable[y.name] {
			last[y.name] = y
		} else {
			out = append(out, y)
		}
	}
	var unresolved []string
	substitutions := false
	for i := 0; i < 5 && len(adj) > 0; i++ {
		unresolved, substitutions = nil, false
		ys, substs, perr := h.pass(adj, adjustable)
		if perr != nil {
			return out, perr
		}
		for j, y := range ys {
			last[y.name] = y
			if substs[j] {
				unresolved = append(unresolved, y.name)
				substitutions = true
			}
		}
		if !substitutions {
			break
		}
	}
	if substitutions {
		sort.Strings(unresolved)
		return out, &ppError{strings.Join(unresolved, ", "), "RuntimeError: Max post-process passes exceeded."}
	}
	// the adjustable files in the order the first pass met them
	for _, y := range ys {
		if adjustable[y.name] {
			out = append(out, last[y.name])
		}
	}
	return out, nil
}

// manifest is staticfiles.json as ManifestFilesMixin.save_manifest writes it
// (json.dumps: ", " and ": " separators, non-ASCII escaped).
func (h *hashedStatic) manifest() string {
	var paths, pairs []string
	for _, k := range h.order {
		paths = append(paths, pyJSON(k)+": "+pyJSON(h.hashed[k]))
	}
	keys := append([]string{}, h.order...)
	sort.Strings(keys) // Python sorts str by code point, as Go's byte order does for UTF-8
	for _, k := range keys {
		pairs = append(pairs, "["+pyJSON(k)+", "+pyJSON(h.hashed[k])+"]")
	}
	out := `{"paths": {` + strings.Join(paths, ", ") + `}, "version": `
	if !pyAtLeast(h.version, "4.2") {
		return out + `"1.0"}`
	}
	sum := md5.Sum([]byte("[" + strings.Join(pairs, ", ") + "]"))
	return out + `"1.1", "hash": "` + hex.EncodeToString(sum[:])[:12] + `"}`
}

// pyJSON is json.dumps of a str with ensure_ascii.
func pyJSON(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r > 0x7e && r < 0x10000:
			fmt.Fprintf(&b, `\u%04x`, r)
		case r >= 0x10000:
			r -= 0x10000
			fmt.Fprintf(&b, `\u%04x\u%04x`, 0xd800+(r>>10), 0xdc00+(r&0x3ff))
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// whitenoiseSkip is WhiteNoise's Compressor.SKIP_COMPRESS_EXTENSIONS: formats that
// are compressed already.
var whitenoiseSkip = []string{"jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br", "swf", "flv", "woff", "woff2", "3gp", "3gpp", "asf", "avi", "m4v", "mov", "mp4", "mpeg", "mpg", "webm", "wmv"}

// whitenoiseCompress is Compressor.compress of one collected file: Brotli first when
// the brotli package is installed (if it does not pay, gzip is not tried), then gzip
// at level 9 with mtime 0; a copy is kept only when it is at most 95% of the size.
// It returns the names written.
func (p *proc) whitenoiseCompress(root, name string, brotliOK bool, uid, gid int) ([]string, error) {
	file := path.Join(root, name)
	data, err := p.readFile(file)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	effective := func(c []byte) bool { return len(data) > 0 && float64(len(c))/float64(len(data)) <= 0.95 }
	var out []string
	if brotliOK {
		var buf bytes.Buffer
		w := brotli.NewWriterOptions(&buf, brotli.WriterOptions{Quality: 11, LGWin: 22})
		w.Write(data)
		if err := w.Close(); err != nil {
			return nil, fmt.Errorf("brotli %s: %w", file, err)
		}
		if !effective(buf.Bytes()) {
			return nil, nil
		}
		if err := p.put(file+".br", rootfs.Bytes(buf.Bytes()), 0o644, uid, gid); err != nil {
			return nil, err
		}
		out = append(out, name+".br")
	}
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression) // ModTime zero: mtime 0, as WhiteNoise writes
	w.Write(data)
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("gzip %s: %w", file, err)
	}
	if effective(buf.Bytes()) {
		if err := p.put(file+".gz", rootfs.Bytes(buf.Bytes()), 0o644, uid, gid); err != nil {
			return nil, err
		}
		out = append(out, name+".gz")
	}
	return out, nil
}

// postProcessStatic is the storage's post_process after the copies: it returns how
// many files collectstatic counts as post-processed (WhiteNoise reports each
// compressed copy as one more), or a failure printed as Django prints it.
func (p *proc) postProcessStatic(d *djangoEnv, sb staticBackend, root string, found []staticSource, collected []string, uid, gid int, log func(int, string, ...any)) (int, int) {
	var ys []ppYield
	var perr *ppError
	if sb.hash {
		h := &hashedStatic{p: p, root: root, url: staticURL(d.settings), version: d.version, uid: uid, gid: gid,
			src: map[string][]byte{}, hashed: map[string]string{},
			repr: fmt.Sprintf("<%s object at 0x7f%010x>", sb.name, seedOf("storage", root)&0xffffffffff)}
		first := map[string]bool{}
		for _, s := range found {
			if first[s.rel] {
				continue
			}
			first[s.rel] = true
			b, err := p.readFile(s.abs)
			if err != nil {
				p.errf("collectstatic: read %s: %v", s.abs, err)
				return 0, 1
			}
			h.src[s.rel] = b
		}
		ys, perr = h.postProcess(collected)
		if perr == nil {
			if err := p.put(path.Join(root, "staticfiles.json"), rootfs.Bytes(h.manifest()), 0o644, uid, gid); err != nil {
				p.errf("collectstatic: write staticfiles.json: %v", err)
				return 0, 1
			}
		}
	}
	if perr == nil && sb.compress {
		skip := whitenoiseSkip
		ext, present, ok := p.needSetting(d, "collectstatic", "WHITENOISE_SKIP_COMPRESS_EXTENSIONS")
		if !ok {
			return 0, 1
		}
		if present {
			skip = nil
			for _, e := range ext.list {
				skip = append(skip, strings.ToLower(e.s))
			}
		}
		var names []string
		if sb.hash {
			// the originals and their final hashed copies (a set in WhiteNoise)
			set := map[string]bool{}
			for _, y := range ys {
				set[y.name], set[y.to] = true, true
			}
			for n := range set {
				names = append(names, n)
			}
			sort.Strings(names)
		} else {
			names = collected
		}
		brotliOK := p.pyImportable(d.site, "brotli")
		for _, n := range names {
			if i := strings.LastIndexByte(n, '.'); i >= 0 && slices.Contains(skip, strings.ToLower(n[i+1:])) {
				continue
			}
			out, err := p.whitenoiseCompress(root, n, brotliOK, uid, gid)
			if err != nil {
				p.errf("collectstatic: %v", err)
				return 0, 1
			}
			for _, c := range out {
				ys = append(ys, ppYield{n, c, true})
			}
		}
		if len(names) > 0 {
			fmt.Fprintf(p.errw, "layerlab: note: the .gz copies are compressed by Go's deflate, not Python's zlib: the same content at a similar size, with different bytes\n")
		}
	}
	n := 0
	for _, y := range ys {
		if y.processed {
			log(2, "Post-processed '%s' as '%s'", y.name, y.to)
			n++
		} else {
			log(1, "Skipped post-processing '%s'", y.name)
		}
	}
	if perr != nil {
		exc := perr.exc
		if sb.compress && strings.HasPrefix(exc, "ValueError: The file '") {
			// WhiteNoise's make_helpful_exception
			missing := strings.TrimPrefix(exc, "ValueError: The file '")
			missing = missing[:strings.Index(missing, "' could not be found")]
			_, e := pySplitext(path.Base(perr.name))
			kind := strings.ToUpper(strings.TrimPrefix(e, "."))
			exc = fmt.Sprintf("whitenoise.storage.MissingFileError: %s\n\nThe %s file '%s' references a file which could not be found:\n  %s\n\nPlease check the URL references in this %s file, particularly any\nrelative paths which might be pointing to the wrong location.\n",
				strings.TrimPrefix(exc, "ValueError: "), kind, perr.name, missing, kind)
		}
		fmt.Fprintf(p.errw, "Post-processing '%s' failed!\n\nTraceback (most recent call last):\n  File \"%s\", line 1, in <module>\n%s\n", perr.name, d.shownOr(), strings.TrimRight(exc, "\n"))
		return 0, 1
	}
	return n, 0
}
