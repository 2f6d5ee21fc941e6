package sandbox

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"

	"layerlab/engine/rootfs"
	"layerlab/engine/sandbox/langcatalog"
)

// pip installs from the PyPI catalog (engine/sandbox/langcatalog): requirement
// files (nested -r, -c constraints, per-line options, markers, extras), pins and
// ranges, local projects (`.`, `-e .`, paths with pyproject.toml or setup.py) built
// into wheels whose bytes follow their sources (outputs.go), and the install schemes
// real pip has: an interpreter's own site-packages (a venv's when its bin/pip runs),
// --user, --target, --prefix. Packages outside the catalog are synthesized from their
// name, with a log line saying so; a typo of a catalog name fails as pip fails.

func init() { register(map[string]cmdFunc{"pip": cmdPip}) }

// pyEnv is where an installation goes: one interpreter's scheme.
type pyEnv struct {
	prefix string // sys.prefix: /usr/local, a venv's root
	site   string // purelib: .../site-packages
	bin    string // scripts
	python string // the interpreter console scripts name in their #! line
	venv   bool
}

// pyReq is one requirement: from the command line, a requirements file, a lockfile
// or a package's dependencies.
type pyReq struct {
	raw      string // as written, for the log
	name     string // as written
	extras   []string
	spec     string // "==1.2", ">=1,<2", ""
	marker   string
	local    string // a path to a project or a wheel
	editable bool
	from     string // " (from -r requirements.txt (line 3))"
}

// pyOpts are the flags of one install.
type pyOpts struct {
	noCache, upgrade, noDeps, quiet, user, breakSystem bool
	target, prefix                                     string
	constraints                                        map[string]string // normalized name -> spec
	installer                                          string            // INSTALLER file: pip, uv, poetry
	locked                                             bool              // every package and version is given (a lockfile)
	findLinks                                          []string          // --find-links directories: wheels there are candidates
	noIndex                                            bool              // --no-index: the find-links wheels are the only candidates
	wheelDir                                           string            // pip wheel/download: save files here instead of installing
	download                                           bool              // pip download: sdists stay sdists
	verbose                                            bool              // -v: pip's debug lines (a skipped release's Requires-Python)
	ignoreRequiresPython                               bool              // --ignore-requires-python
}

var reqLine = newLazyRegexp(`^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*(\(?\s*(?:===|==|~=|!=|>=|<=|>|<)[^;@]*?\)?)?\s*(?:@\s*(\S+))?\s*(?:;(.*))?$`)

// parseReq parses a PEP 508 requirement or a local path; ok is false for text pip
// would reject ("Invalid requirement").
func parseReq(s string) (pyReq, bool) {
	s = strings.TrimSpace(s)
	r := pyReq{raw: s}
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "/") || strings.HasSuffix(s, ".whl") || strings.HasSuffix(s, ".tar.gz") || strings.HasSuffix(s, ".zip") {
		r.local = s
		if i := strings.Index(s, "["); i > 0 && strings.HasSuffix(s, "]") {
			r.local, r.extras = s[:i], strings.Split(s[i+1:len(s)-1], ",")
		}
		return r, true
	}
	if strings.Contains(s, "://") {
		// git+https://...#egg=name or a URL: named by its egg fragment
		_, egg, ok := strings.Cut(s, "#egg=")
		if !ok {
			return r, false
		}
		r.name, _, _ = strings.Cut(egg, "&")
		return r, true
	}
	m := reqLine.FindStringSubmatch(s)
	if m == nil {
		return r, false
	}
	r.name = m[1]
	if m[2] != "" {
		for _, e := range strings.Split(strings.Trim(m[2], "[]"), ",") {
			if e = strings.TrimSpace(e); e != "" {
				r.extras = append(r.extras, e)
			}
		}
	}
	r.spec = strings.ReplaceAll(strings.Trim(strings.TrimSpace(m[3]), "()"), " ", "")
	r.marker = strings.TrimSpace(m[5])
	return r, true
}

// markerHolds evaluates a PEP 508 environment marker for the sandbox's Linux
// CPython; a marker it cannot read holds (pip would install on Linux).
func (p *proc) markerHolds(marker string) bool {
	if strings.TrimSpace(marker) == "" {
		return true
	}
	for _, alt := range strings.Split(marker, " or ") {
		all := true
		for _, c := range strings.Split(alt, " and ") {
			if !p.markerAtom(strings.Trim(strings.TrimSpace(c), "()")) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

var markerRe = newLazyRegexp(`^(\w+)\s*(===|==|!=|>=|<=|>|<|~=|not in|in)\s*['"]([^'"]*)['"]$`)

func (p *proc) markerAtom(c string) bool {
	m := markerRe.FindStringSubmatch(c)
	if m == nil {
		return true
	}
	vals := map[string]string{
		"python_version": p.pythonVersion(), "python_full_version": p.pythonFullVersion(),
		"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix",
		"platform_machine": "x86_64", "implementation_name": "cpython", "platform_python_implementation": "CPython",
		"extra": "",
	}
	v, ok := vals[m[1]]
	if !ok {
		return true
	}
	switch m[2] {
	case "in":
		return strings.Contains(m[3], v)
	case "not in":
		return !strings.Contains(m[3], v)
	}
	if m[1] == "python_version" || m[1] == "python_full_version" {
		return langcatalog.Satisfies(langcatalog.PyPI, v, m[2]+m[3])
	}
	switch m[2] {
	case "==", "===":
		return v == m[3]
	case "!=":
		return v != m[3]
	}
	return true
}

// pyExtras are the extras real projects install most, with what each adds.
var pyExtras = map[string][]string{
	"uvicorn[standard]":         {"httptools", "python-dotenv", "pyyaml", "uvloop", "watchfiles", "websockets"},
	"fastapi[standard]":         {"fastapi-cli", "httpx", "jinja2", "python-multipart", "email-validator", "uvicorn"},
	"fastapi[all]":              {"httpx", "jinja2", "python-multipart", "itsdangerous", "pyyaml", "ujson", "orjson", "email-validator", "uvicorn", "pydantic-settings"},
	"celery[redis]":             {"redis"},
	"requests[socks]":           {"pysocks"},
	"passlib[bcrypt]":           {"bcrypt"},
	"python-jose[cryptography]": {"cryptography"},
	"psycopg[binary]":           {"psycopg-binary"},
	"sqlalchemy[asyncio]":       {"greenlet"},
	"pydantic[email]":           {"email-validator"},
	"django-storages[s3]":       {"boto3"},
	"django-storages[boto3]":    {"boto3"},
	"gunicorn[gevent]":          {"gevent"},
	"httpx[http2]":              {"h2"},
	"moto[all]":                 {"boto3"},
	"black[d]":                  {"aiohttp"},
}

// pyScheme returns the scheme of the interpreter whose pip (or python) is exe: a
// venv's when exe lives in one (its ../pyvenv.cfg), else the system's.
func (p *proc) pyScheme(exe string) pyEnv {
	ver := p.pythonVersion()
	if exe != "" && !strings.HasPrefix(exe, "/") {
		if found, ok := p.s.lookPath(p.getenv("PATH"), p.dir, exe); ok {
			exe = found
		}
	}
	if exe != "" {
		root := path.Dir(path.Dir(p.abs(exe)))
		if p.s.exists(root + "/pyvenv.cfg") {
			return venvScheme(root, ver)
		}
	}
	if exe == "" || !strings.HasPrefix(exe, "/") {
		if v := p.getenv("VIRTUAL_ENV"); v != "" && p.s.exists(v+"/pyvenv.cfg") {
			return venvScheme(v, ver)
		}
	}
	if strings.HasPrefix(exe, "/usr/bin/") || !p.s.exists("/usr/local/bin/python"+ver) && p.s.exists("/usr/bin/python"+ver) {
		// a distribution's Python: Debian installs into /usr/local/.../dist-packages,
		// Alpine and the RPM family into /usr/lib/.../site-packages
		if p.s.exists("/etc/debian_version") {
			return pyEnv{prefix: "/usr/local", site: "/usr/local/lib/python" + ver + "/dist-packages", bin: "/usr/local/bin", python: "/usr/bin/python3"}
		}
		return pyEnv{prefix: "/usr", site: "/usr/lib/python" + ver + "/site-packages", bin: "/usr/bin", python: "/usr/bin/python3"}
	}
	return pyEnv{prefix: "/usr/local", site: "/usr/local/lib/python" + ver + "/site-packages", bin: "/usr/local/bin", python: "/usr/local/bin/python" + ver}
}

func venvScheme(root, ver string) pyEnv {
	return pyEnv{prefix: root, site: root + "/lib/python" + ver + "/site-packages", bin: root + "/bin", python: root + "/bin/python", venv: true}
}

// pyInstalled maps normalized names to versions from the dist-info directories in site.
func (p *proc) pyInstalled(site string) map[string]string {
	out := map[string]string{}
	p.s.withFS(func(f *rootfs.FS) error {
		names, _ := f.ReadDir(site)
		for _, n := range names {
			if base, ok := strings.CutSuffix(n, ".dist-info"); ok {
				if i := strings.LastIndex(base, "-"); i > 0 {
					out[langcatalog.Normalize(langcatalog.PyPI, base[:i])] = base[i+1:]
				}
			}
		}
		return nil
	})
	return out
}

func cmdPip(p *proc) int {
	env := p.pyScheme(p.argv0)
	args := p.args
	// global options before the command
	for len(args) > 0 && strings.HasPrefix(args[0], "-") && args[0] != "--version" && args[0] != "-V" {
		args = args[1:]
	}
	if len(args) == 0 {
		p.outf("\nUsage:   \n  pip <command> [options]\n")
		return 0
	}
	switch args[0] {
	case "--version", "-V":
		v := p.pipVersion(env)
		p.outf("pip %s from %s/pip (python %s)\n", v, env.site, p.pythonVersion())
		return 0
	case "install", "wheel", "download":
		return p.pipInstall(env, args[0], args[1:])
	case "freeze", "list":
		inst := p.pyInstalled(env.site)
		names := sortedMapKeys(inst)
		if args[0] == "list" {
			p.outf("Package    Version\n---------- -------\n")
		}
		for _, n := range names {
			if args[0] == "freeze" && (n == "pip" || n == "setuptools" || n == "wheel") {
				continue
			}
			if args[0] == "list" {
				p.outf("%-10s %s\n", n, inst[n])
			} else {
				p.outf("%s==%s\n", n, inst[n])
			}
		}
		return 0
	case "uninstall":
		return p.pipUninstall(env, args[1:])
	case "cache":
		if len(args) > 1 && (args[1] == "purge" || args[1] == "remove") {
			p.removeAll(p.home() + "/.cache/pip")
			p.outf("Files removed: 0\n")
			return 0
		}
	case "config", "check", "show", "help", "debug", "inspect", "hash", "index", "search":
		if args[0] == "check" {
			p.outf("No broken requirements found.\n")
			return 0
		}
	}
	return p.notSimulated("pip " + args[0])
}

func sortedMapKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (p *proc) home() string {
	if h := p.getenv("HOME"); h != "" {
		return h
	}
	return "/root"
}

func (p *proc) pipUninstall(env pyEnv, args []string) int {
	inst := p.pyInstalled(env.site)
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "-r" {
			i++
			continue
		}
		if strings.HasPrefix(a, "-") {
			continue
		}
		n := langcatalog.Normalize(langcatalog.PyPI, a)
		v, ok := inst[n]
		if !ok {
			p.outf("WARNING: Skipping %s as it is not installed.\n", a)
			continue
		}
		p.outf("Found existing installation: %s %s\nUninstalling %s-%s:\n  Successfully uninstalled %s-%s\n", n, v, n, v, n, v)
		p.pyRemove(env, n, v)
	}
	return 0
}

// pyRemove deletes what pyWrite wrote for one package.
func (p *proc) pyRemove(env pyEnv, name, ver string) {
	pk, ok := langcatalog.Lookup(langcatalog.PyPI, name)
	mod := strings.ReplaceAll(name, "-", "_")
	if ok {
		mod = pk.Module
		for _, b := range pk.Bins {
			p.removeAll(env.bin + "/" + b)
		}
	}
	p.removeAll(env.site + "/" + mod)
	p.removeAll(env.site + "/" + distName(name) + "-" + ver + ".dist-info")
}

func distName(n string) string { return strings.ReplaceAll(n, "-", "_") }

// readReqFile expands a requirements file: nested -r (relative to the file), -c
// constraints, -e lines, per-line options and continuations.
func (p *proc) readReqFile(file string, reqs *[]pyReq, opts *pyOpts, depth int) int {
	b, err := p.readFile(file)
	if err != nil {
		p.outf("ERROR: Could not open requirements file: [Errno 2] No such file or directory: '%s'\n", file)
		return 1
	}
	if depth > 20 {
		p.outf("ERROR: requirements files nest more than 20 deep at %s\n", file)
		return 1
	}
	text := strings.ReplaceAll(string(b), "\\\n", " ")
	dir := path.Dir(file)
	for i, line := range strings.Split(text, "\n") {
		if j := strings.Index(line, " #"); j >= 0 {
			line = line[:j]
		}
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		line = os_expand(line, p.getenv)
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		from := fmt.Sprintf(" (from -r %s (line %d))", file, i+1)
		switch f := fields[0]; {
		case f == "-r" || f == "--requirement" || f == "-c" || f == "--constraint":
			if len(fields) < 2 {
				continue
			}
			if code := p.nestedReq(f, joinRel(dir, fields[1]), reqs, opts, depth); code != 0 {
				return code
			}
			continue
		case strings.HasPrefix(f, "-r") || strings.HasPrefix(f, "--requirement=") || strings.HasPrefix(f, "-c") || strings.HasPrefix(f, "--constraint="):
			flag, val := f[:2], strings.TrimPrefix(strings.TrimPrefix(f[2:], "="), "equirement=")
			if strings.HasPrefix(f, "--c") {
				flag, val = "-c", strings.TrimPrefix(f, "--constraint=")
			}
			if code := p.nestedReq(flag, joinRel(dir, val), reqs, opts, depth); code != 0 {
				return code
			}
			continue
		case f == "-e" || f == "--editable":
			if len(fields) > 1 {
				r, _ := parseReq(fields[1])
				r.editable, r.from = true, from
				if r.local != "" && !strings.HasPrefix(r.local, "/") {
					r.local = joinRel(dir, r.local)
				}
				*reqs = append(*reqs, r)
			}
			continue
		case strings.HasPrefix(f, "-"):
			continue // --index-url, --extra-index-url, --find-links, --trusted-host, --pre, ...
		}
		var spec []string
		for _, f := range fields {
			if strings.HasPrefix(f, "--") {
				break // --hash=sha256:... and other per-requirement options
			}
			spec = append(spec, f)
		}
		r, ok := parseReq(strings.Join(spec, " "))
		if !ok {
			p.outf("ERROR: Invalid requirement: '%s'%s\n", strings.Join(spec, " "), strings.TrimSuffix(strings.Replace(from, " (from ", " (from line ", 1), ")"))
			return 1
		}
		if r.local != "" && !strings.HasPrefix(r.local, "/") {
			r.local = joinRel(dir, r.local)
		}
		r.from = from
		*reqs = append(*reqs, r)
	}
	return 0
}

func (p *proc) nestedReq(flag, file string, reqs *[]pyReq, opts *pyOpts, depth int) int {
	if flag == "-r" || flag == "--requirement" {
		return p.readReqFile(file, reqs, opts, depth+1)
	}
	var cons []pyReq
	if code := p.readReqFile(file, &cons, opts, depth+1); code != 0 {
		return code
	}
	for _, c := range cons {
		if c.name != "" {
			opts.constraints[langcatalog.Normalize(langcatalog.PyPI, c.name)] = c.spec
		}
	}
	return 0
}

func joinRel(dir, f string) string {
	if strings.HasPrefix(f, "/") || dir == "." || dir == "" {
		return f
	}
	return dir + "/" + f
}

var envRef = newLazyRegexp(`\$\{([A-Z0-9_]+)\}`)

// os_expand replaces ${VAR} as pip does in requirements files (only that form).
func os_expand(s string, get func(string) string) string {
	return envRef.ReplaceAllStringFunc(s, func(m string) string { return get(m[2 : len(m)-1]) })
}

// pipInstall is pip install, and pip wheel and pip download (cmd), which resolve as
// install does and save the files into a directory instead.
func (p *proc) pipInstall(env pyEnv, cmd string, args []string) int {
	opts := pyOpts{constraints: map[string]string{}, installer: "pip"}
	if cmd != "install" {
		opts.wheelDir, opts.download = ".", cmd == "download"
	}
	if v := p.getenv("PIP_NO_CACHE_DIR"); v != "" && v != "0" && v != "false" {
		opts.noCache = true
	}
	if v := p.getenv("PIP_BREAK_SYSTEM_PACKAGES"); v == "1" || v == "true" {
		opts.breakSystem = true
	}
	var reqs []pyReq
	for i := 0; i < len(args); i++ {
		a := args[i]
		val := func() string {
			if k, v, ok := strings.Cut(a, "="); ok && strings.HasPrefix(k, "--") {
				return v
			}
			if len(a) > 2 && a[0] == '-' && a[1] != '-' {
				return a[2:]
			}
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch {
		case a == "-r" || a == "--requirement" || strings.HasPrefix(a, "--requirement=") || strings.HasPrefix(a, "-r") && len(a) > 2:
			if code := p.readReqFile(val(), &reqs, &opts, 0); code != 0 {
				return code
			}
		case a == "-c" || a == "--constraint" || strings.HasPrefix(a, "--constraint="):
			if code := p.nestedReq("-c", val(), &reqs, &opts, 0); code != 0 {
				return code
			}
		case a == "-e" || a == "--editable":
			r, _ := parseReq(val())
			r.editable = true
			reqs = append(reqs, r)
		case a == "-t" || a == "--target" || strings.HasPrefix(a, "--target="):
			opts.target = val()
		case a == "--prefix" || strings.HasPrefix(a, "--prefix="):
			opts.prefix = val()
		case cmd == "wheel" && (a == "-w" || a == "--wheel-dir" || strings.HasPrefix(a, "--wheel-dir=") || strings.HasPrefix(a, "-w")),
			cmd == "download" && (a == "-d" || a == "--dest" || strings.HasPrefix(a, "--dest=") || strings.HasPrefix(a, "-d")):
			opts.wheelDir = val()
		case a == "-f" || a == "--find-links" || strings.HasPrefix(a, "--find-links=") || strings.HasPrefix(a, "-f") && len(a) > 2:
			opts.findLinks = append(opts.findLinks, val())
		case a == "--no-index":
			opts.noIndex = true
		case a == "--root" || a == "-i" || a == "--index-url" || a == "--extra-index-url" ||
			a == "--trusted-host" || a == "--cache-dir" || a == "--platform" || a == "--python-version" || a == "--implementation" ||
			a == "--abi" || a == "--progress-bar" || a == "--upgrade-strategy" || a == "--src" || a == "--timeout" || a == "--retries":
			val()
		case a == "--no-cache-dir":
			opts.noCache = true
		case a == "--upgrade" || a == "-U":
			opts.upgrade = true
		case a == "--no-deps":
			opts.noDeps = true
		case a == "--user":
			opts.user = true
		case a == "--break-system-packages":
			opts.breakSystem = true
		case a == "-q" || a == "--quiet" || a == "-qq" || a == "-qqq":
			opts.quiet = true
		case a == "-v" || a == "--verbose" || a == "-vv" || a == "-vvv":
			opts.verbose = true
		case a == "--ignore-requires-python":
			opts.ignoreRequiresPython = true
		case strings.HasPrefix(a, "-"):
		default:
			r, ok := parseReq(a)
			if !ok {
				p.outf("ERROR: Invalid requirement: '%s'\n", a)
				return 1
			}
			reqs = append(reqs, r)
		}
	}
	if len(reqs) == 0 {
		p.outf("ERROR: You must give at least one requirement to %s (see \"pip help %s\")\n", cmd, cmd)
		return 1
	}
	return p.pyInstall(env, reqs, opts)
}

// externallyManaged reports the PEP 668 marker of a distribution's Python.
func (p *proc) externallyManaged(env pyEnv) bool {
	return !env.venv && p.s.exists("/usr/lib/python"+p.pythonVersion()+"/EXTERNALLY-MANAGED")
}

// pyInstall resolves reqs against the catalog and installs them into env (or the
// scheme opts asks for). Shared by pip, uv, poetry and pipenv.
func (p *proc) pyInstall(env pyEnv, reqs []pyReq, opts pyOpts) int {
	say := func(format string, a ...any) {
		if !opts.quiet {
			p.outf(format, a...)
		}
	}
	if opts.wheelDir == "" && opts.installer == "pip" && p.externallyManaged(env) && !opts.breakSystem && opts.target == "" && opts.prefix == "" {
		p.outf("error: externally-managed-environment\n\n× This environment is externally managed\n╰─> To install Python packages system-wide, try apt install\n    python3-xyz, where xyz is the package you are trying to\n    install.\n\nnote: If you believe this is a mistake, please contact your Python installation or OS distribution provider. You can override this, at the risk of breaking your Python installation or OS, by passing --break-system-packages.\nhint: See PEP 668 for the detailed specification.\n")
		return 1
	}
	ver := p.pythonVersion()
	switch {
	case opts.wheelDir != "":
		// pip wheel and pip download resolve as install does but install nothing, so
		// what the interpreter has installed does not matter
	case opts.target != "":
		t := p.abs(opts.target)
		env = pyEnv{prefix: t, site: t, bin: t + "/bin", python: env.python}
	case opts.prefix != "":
		pr := p.abs(opts.prefix)
		env = pyEnv{prefix: pr, site: pr + "/lib/python" + ver + "/site-packages", bin: pr + "/bin", python: env.python}
	case opts.user || !env.venv && p.s.uid != 0 && !p.writable(env.site):
		if !opts.user {
			say("Defaulting to user installation because normal site-packages is not writeable\n")
		}
		h := p.home()
		env = pyEnv{prefix: h + "/.local", site: h + "/.local/lib/python" + ver + "/site-packages", bin: h + "/.local/bin", python: env.python}
	}
	installed := p.pyInstalled(env.site)
	if opts.wheelDir != "" {
		installed = map[string]string{}
	}
	// the interpreter whose Requires-Python every release must admit, and the pip
	// generation whose words a refusal takes
	python, pipVer := p.pythonFullVersion(), p.pipVersion(env)
	if opts.ignoreRequiresPython {
		python = ""
	}
	if len(opts.findLinks) > 0 {
		say("Looking in links: %s\n", strings.Join(opts.findLinks, ", "))
	}
	type item = pyItem
	var order []item
	seen := map[string]bool{}
	var visit func(r pyReq, parent string) int
	visit = func(r pyReq, parent string) int {
		if !p.markerHolds(r.marker) {
			say("Ignoring %s: markers '%s' don't match your environment\n", r.name, r.marker)
			return 0
		}
		if r.local != "" {
			it, wheel, deps, code := p.pyBuildLocal(r, say)
			if code != 0 {
				return code
			}
			if seen[it.Name] {
				return 0 // a wheel of a package already collected (pip install /wheels/*)
			}
			seen[it.Name] = true
			if !opts.noDeps {
				for _, d := range deps {
					if code := visit(d, it.Name); code != 0 {
						return code
					}
				}
			}
			order = append(order, item{pkg: it, local: true, wheel: wheel, req: r})
			return 0
		}
		n := langcatalog.Normalize(langcatalog.PyPI, r.name)
		if seen[n] {
			return 0
		}
		spec := r.spec
		if c, ok := opts.constraints[n]; ok && spec == "" {
			spec = c
		}
		show := r.raw
		if show == "" {
			show = r.name + spec
		}
		from := r.from
		if parent != "" {
			from = " (from " + parent + ")"
		}
		if len(opts.findLinks) > 0 {
			// a wheel in a --find-links directory is a candidate like the index's
			// releases; with --no-index the only one
			if file, ok := p.pyFindWheel(opts.findLinks, n, spec); ok {
				seen[n] = true
				pkg, content, wheelDeps := p.pyWheelFile(file)
				if v, ok := installed[n]; ok && v == pkg.Version && !opts.upgrade {
					say("Requirement already satisfied: %s in %s (%s)%s\n", show, env.site, v, from)
					return 0
				}
				say("Processing %s\n", file)
				add := item{pkg: pkg, local: !content.catalog, wheel: content.gen, req: r, file: file}
				if !opts.noDeps {
					for _, d := range wheelDeps {
						if code := visit(pyReq{name: d}, pkg.Name+spec); code != 0 {
							return code
						}
					}
				}
				order = append(order, add)
				return 0
			}
			if opts.noIndex {
				p.outf("ERROR: Could not find a version that satisfies the requirement %s%s (from versions: none)\n", show, from)
				p.outf("ERROR: No matching distribution found for %s\n", show)
				return 1
			}
		}
		var pkg langcatalog.Package
		var err error
		if opts.locked && strings.HasPrefix(spec, "==") {
			pkg, err = langcatalog.ResolveLocked(langcatalog.PyPI, r.name, strings.TrimPrefix(spec, "=="))
		} else {
			py := python
			if strings.Contains(r.raw, "://") {
				py = "" // a VCS or URL requirement is built from what it names, no index release is picked
			}
			pkg, err = langcatalog.ResolvePython(r.name, spec, py)
		}
		if pm := (*langcatalog.PythonMismatchError)(nil); errors.As(err, &pm) {
			p.pipPythonRefusal(opts, pipVer, show, from, pm)
			return 1
		}
		if err != nil {
			p.outf("ERROR: Could not find a version that satisfies the requirement %s%s (from versions: none)\n", show, from)
			p.outf("ERROR: No matching distribution found for %s\n", show)
			return 1
		}
		seen[n] = true
		// pip installs a package after its dependencies
		var add *item
		collected := func() int {
			if add != nil {
				order = append(order, *add)
			}
			return 0
		}
		if v, ok := installed[n]; ok && (!opts.upgrade || parent != "" || v == pkg.Version) && (spec == "" || langcatalog.Satisfies(langcatalog.PyPI, v, spec)) {
			say("Requirement already satisfied: %s in %s (%s)%s\n", show, env.site, v, from)
		} else {
			say("Collecting %s%s\n", show, from)
			if pkg.Synthesized {
				p.outf("layerlab: %s is not in the playground's PyPI catalog; installing %s %s, a stand-in synthesized from its name\n", r.name, pkg.Name, pkg.Version)
			}
			file := pyDistFile(pkg, ver, opts.download)
			if opts.noCache {
				say("  Downloading %s (%s)\n", file, kb(pkg.Size/3))
			} else {
				say("  Using cached %s (%s)\n", file, kb(pkg.Size/3))
			}
			add = &item{pkg: pkg, req: r}
		}
		if opts.noDeps || opts.locked {
			return collected()
		}
		deps := pkg.Deps
		for _, e := range r.extras {
			extra, ok := pyExtras[n+"["+strings.ToLower(strings.TrimSpace(e))+"]"]
			if !ok && !pkg.Synthesized {
				say("WARNING: %s %s does not provide the extra '%s'\n", pkg.Name, pkg.Version, e)
			}
			deps = append(deps, extra...)
		}
		for _, d := range deps {
			if code := visit(pyReq{name: d}, pkg.Name+spec); code != 0 {
				return code
			}
		}
		return collected()
	}
	for _, r := range reqs {
		if code := visit(r, ""); code != 0 {
			return code
		}
	}
	if opts.wheelDir != "" {
		return p.pySaveDists(order, opts, say)
	}
	if len(order) == 0 {
		return 0
	}
	var names, full []string
	for _, it := range order {
		names = append(names, it.pkg.Name)
		full = append(full, it.pkg.Name+"-"+it.pkg.Version)
	}
	say("Installing collected packages: %s\n", strings.Join(names, ", "))
	for _, it := range order {
		if old, ok := installed[it.pkg.Name]; ok {
			say("  Attempting uninstall: %s\n    Found existing installation: %s %s\n    Uninstalling %s-%s:\n      Successfully uninstalled %s-%s\n", it.pkg.Name, it.pkg.Name, old, it.pkg.Name, old, it.pkg.Name, old)
			p.pyRemove(env, it.pkg.Name, old)
		}
		o := opts
		if it.file != "" {
			o.noCache = true // a wheel file on disk leaves nothing in pip's HTTP cache
		}
		if err := p.pyWrite(env, it.pkg, o, it.local, it.wheel, it.req); err != nil {
			p.outf("ERROR: Could not install packages due to an OSError: %v\n", err)
			return 1
		}
	}
	sort.Strings(full)
	say("Successfully installed %s\n", strings.Join(full, " "))
	if opts.installer == "pip" && p.s.uid == 0 && !env.venv && opts.target == "" && p.getenv("PIP_ROOT_USER_ACTION") != "ignore" {
		say("WARNING: Running pip as the 'root' user can result in broken permissions and conflicting behaviour with the system package manager. It is recommended to use a virtual environment instead: https://pip.pypa.io/warnings/venv\n")
	}
	return 0
}

// writable reports whether the current user may create files in dir (or, when it
// does not exist yet, in its nearest existing parent).
func (p *proc) writable(dir string) bool {
	for d := dir; ; d = path.Dir(d) {
		if e, err := p.s.stat(d); err == nil {
			return p.s.can(e, 2)
		}
		if d == "/" || d == "." {
			return false
		}
	}
}

// pyWrite lays one distribution out in env: the import package, the dist-info, the
// console scripts, and pip's HTTP cache entry unless --no-cache-dir.
func (p *proc) pyWrite(env pyEnv, pkg langcatalog.Package, opts pyOpts, local bool, wheel rootfs.Generated, r pyReq) error {
	uid, gid := p.s.uid, p.s.gid
	dist := env.site + "/" + distName(pkg.Name) + "-" + pkg.Version + ".dist-info"
	content := rootfs.Content(rootfs.Generated{Seed: seedOf("py", pkg.Name, pkg.Version), N: pkg.Size})
	if local {
		content = wheel
	}
	if local && r.editable {
		src := p.abs(r.local)
		if err := p.putText(env.site+"/__editable__."+distName(pkg.Name)+"-"+pkg.Version+".pth", rootfs.Clean("/"+src)+"\n"); err != nil {
			return err
		}
		p.putText(dist+"/direct_url.json", fmt.Sprintf("{\"dir_info\": {\"editable\": true}, \"url\": \"file://%s\"}", rootfs.Clean("/"+src)))
	} else if err := p.put(env.site+"/"+pkg.Module+"/__init__.py", content, 0o644, uid, gid); err != nil {
		return err
	}
	p.putText(dist+"/METADATA", "Metadata-Version: 2.1\nName: "+pkg.Name+"\nVersion: "+pkg.Version+"\n")
	p.putText(dist+"/WHEEL", "Wheel-Version: 1.0\nGenerator: layerlab\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
	p.putText(dist+"/INSTALLER", opts.installer+"\n")
	var record strings.Builder
	fmt.Fprintf(&record, "%s/__init__.py,,\n", pkg.Module)
	for _, b := range pkg.Bins {
		script := fmt.Sprintf("#!%s\n# -*- coding: utf-8 -*-\n# console script %s of %s %s (layerlab stand-in)\nimport re\nimport sys\nfrom %s import main\nif __name__ == \"__main__\":\n    sys.argv[0] = re.sub(r\"(-script\\.pyw|\\.exe)?$\", \"\", sys.argv[0])\n    sys.exit(main())\n", env.python, b, pkg.Name, pkg.Version, pkg.Module)
		if err := p.put(env.bin+"/"+b, rootfs.Bytes(script), 0o755, uid, gid); err != nil {
			return err
		}
		fmt.Fprintf(&record, "../../../bin/%s,,\n", b)
	}
	p.putText(dist+"/RECORD", record.String())
	if !local {
		if err := p.pyShipExtras(env, pkg); err != nil { // django.go: files beyond the import package
			return err
		}
	}
	if len(pkg.Bins) > 0 {
		var eps strings.Builder
		eps.WriteString("[console_scripts]\n")
		for _, b := range pkg.Bins {
			fmt.Fprintf(&eps, "%s = %s:main\n", b, pkg.Module)
		}
		p.putText(dist+"/entry_points.txt", eps.String())
	}
	if !opts.noCache && !local && opts.installer == "pip" {
		h := fmt.Sprintf("%016x", seedOf("pipcache", pkg.Name, pkg.Version))
		if err := p.put(p.home()+"/.cache/pip/http-v2/"+h[:1]+"/"+h[1:2]+"/"+h+".body", rootfs.Generated{Seed: seedOf("wheel", pkg.Name, pkg.Version), N: pkg.Size / 3}, 0o644, uid, gid); err != nil {
			return err
		}
	}
	return nil
}

// pyProject is what a local project declares about itself.
type pyProject struct {
	name, version string
	deps          []string
	backend       string // "pyproject.toml" or "setup.py", as pip's log names it
}

var (
	setupKwarg  = newLazyRegexp(`(name|version)\s*=\s*['"]([^'"]+)['"]`)
	setupList   = newLazyRegexp(`(?s)install_requires\s*=\s*\[(.*?)\]`)
	quotedValue = newLazyRegexp(`['"]([^'"]+)['"]`)
)

// readPyProject reads a project's name, version and dependencies from pyproject.toml
// ([project], else [tool.poetry]), setup.cfg or setup.py; ok is false when dir holds
// none of them (pip: "does not appear to be a Python project").
func (p *proc) readPyProject(dir string) (pyProject, bool) {
	var pr pyProject
	if b, err := p.readFile(dir + "/pyproject.toml"); err == nil {
		t := parsePyTOML(string(b))
		pr.backend = "pyproject.toml"
		if n := t.str("project", "name"); n != "" {
			pr.name, pr.version = n, t.str("project", "version")
			pr.deps = t.list("project", "dependencies")
		} else if n := t.str("tool.poetry", "name"); n != "" {
			pr.name, pr.version = n, t.str("tool.poetry", "version")
			for _, k := range t.keys("tool.poetry.dependencies") {
				if k != "python" {
					pr.deps = append(pr.deps, k+poetrySpec(t.str("tool.poetry.dependencies", k)))
				}
			}
		}
	}
	if pr.name == "" {
		if b, err := p.readFile(dir + "/setup.cfg"); err == nil {
			t := parsePyTOML(string(b))
			pr.name, pr.version = t.raw("metadata", "name"), t.raw("metadata", "version")
			if pr.name != "" && pr.backend == "" {
				pr.backend = "setup.py"
			}
		}
	}
	if b, err := p.readFile(dir + "/setup.py"); err == nil {
		for _, m := range setupKwarg.FindAllStringSubmatch(string(b), -1) {
			if m[1] == "name" && pr.name == "" {
				pr.name = m[2]
			}
			if m[1] == "version" && pr.version == "" {
				pr.version = m[2]
			}
		}
		if m := setupList.FindStringSubmatch(string(b)); m != nil {
			for _, q := range quotedValue.FindAllStringSubmatch(m[1], -1) {
				pr.deps = append(pr.deps, q[1])
			}
		}
		if pr.backend == "" {
			pr.backend = "setup.py"
		}
		if pr.name == "" {
			pr.name = "UNKNOWN"
		}
	}
	if pr.backend == "" {
		return pr, false
	}
	if pr.name == "" {
		pr.name = path.Base(rootfs.Clean("/" + dir))
	}
	if pr.version == "" {
		pr.version = "0.0.0"
	}
	return pr, true
}

// poetrySpec turns a Poetry version ("^4.1.6", "*", {version = "..."}) into PEP 440.
func poetrySpec(v string) string {
	v = strings.Trim(strings.TrimSpace(v), `"'`)
	if strings.HasPrefix(v, "{") {
		m := regexp.MustCompile(`version\s*=\s*"([^"]*)"`).FindStringSubmatch(v)
		if m == nil {
			return ""
		}
		v = m[1]
	}
	switch {
	case v == "" || v == "*":
		return ""
	case strings.HasPrefix(v, "^"):
		base := strings.TrimPrefix(v, "^")
		nums := strings.Split(base, ".")
		i := 0
		for i < len(nums)-1 && nums[i] == "0" {
			i++
		}
		up := make([]string, i+1)
		copy(up, nums[:i+1])
		var n int
		fmt.Sscanf(up[i], "%d", &n)
		up[i] = fmt.Sprint(n + 1)
		return ">=" + base + ",<" + strings.Join(up, ".")
	case strings.HasPrefix(v, "~") && !strings.HasPrefix(v, "~="):
		return "~=" + strings.TrimPrefix(v, "~")
	case v[0] >= '0' && v[0] <= '9':
		return "==" + v
	}
	return v
}

// pyBuildLocal builds a wheel of the project at r.local: its bytes are a function of
// the project's files (outputs.go), so an edited source gives a new wheel and
// unchanged sources the same one.
func (p *proc) pyBuildLocal(r pyReq, say func(string, ...any)) (langcatalog.Package, rootfs.Generated, []pyReq, int) {
	var none rootfs.Generated
	dir := p.abs(r.local)
	if strings.HasSuffix(r.local, ".whl") {
		base := strings.TrimSuffix(path.Base(r.local), ".whl")
		parts := strings.Split(base, "-")
		if !p.s.exists(dir) || len(parts) < 2 {
			p.outf("ERROR: Could not install packages due to an OSError: [Errno 2] No such file or directory: '%s'\n", rootfs.Clean("/"+dir))
			return langcatalog.Package{}, none, nil, 1
		}
		say("Processing %s\n", r.local)
		pkg, content, deps := p.pyWheelFile(dir)
		var reqs []pyReq
		for _, d := range deps {
			reqs = append(reqs, pyReq{name: d})
		}
		if content.catalog {
			// the catalog's own wheel: it installs the catalog's files
			content.gen = rootfs.Generated{Seed: seedOf("py", pkg.Name, pkg.Version), N: pkg.Size}
		}
		return pkg, content.gen, reqs, 0
	}
	pr, ok := p.readPyProject(dir)
	if !ok {
		if !p.s.exists(dir) {
			p.outf("ERROR: Invalid requirement: '%s'\nHint: It looks like a path. File '%s' does not exist.\n", r.local, r.local)
		} else {
			p.outf("ERROR: Directory '%s' is not installable. Neither 'setup.py' nor 'pyproject.toml' found.\n", r.local)
		}
		return langcatalog.Package{}, none, nil, 1
	}
	name := langcatalog.Normalize(langcatalog.PyPI, pr.name)
	if r.editable {
		say("Obtaining file://%s\n", rootfs.Clean("/"+dir))
	} else {
		say("Processing %s\n", r.local)
	}
	digest, err := p.inputsDigest([]string{dir}, []string{".git", "__pycache__", "node_modules", ".venv", "venv", ".tox", "build", "dist"}, "python"+p.pythonVersion())
	if err != nil {
		p.outf("ERROR: %v\n", err)
		return langcatalog.Package{}, none, nil, 1
	}
	wheel := artefact("pip-wheel", name, digest, 8<<10, 120<<10)
	kind := "wheel"
	if r.editable {
		kind = "editable"
	}
	whl := fmt.Sprintf("%s-%s-0.editable-py3-none-any.whl", distName(name), pr.version)
	if !r.editable {
		whl = fmt.Sprintf("%s-%s-py3-none-any.whl", distName(name), pr.version)
	}
	say("  Installing build dependencies: started\n  Installing build dependencies: finished with status 'done'\n")
	say("Building wheels for collected packages: %s\n", name)
	say("  Building %s for %s (%s): started\n  Building %s for %s (%s): finished with status 'done'\n", kind, name, pr.backend, kind, name, pr.backend)
	say("  Created wheel for %s: filename=%s size=%d sha256=%s\n", name, whl, wheel.N, digest[:64])
	say("Successfully built %s\n", name)
	var deps []pyReq
	for _, d := range pr.deps {
		if dr, ok := parseReq(d); ok && dr.name != "" {
			deps = append(deps, dr)
		}
	}
	mod := distName(name)
	return langcatalog.Package{Name: name, Version: pr.version, Module: mod, Size: wheel.N}, wheel, deps, 0
}

// pyItem is one distribution a resolution collected.
type pyItem struct {
	pkg   langcatalog.Package
	local bool             // built from a local project or wheel file: wheel is its content
	wheel rootfs.Generated // the installed files' content of a local item
	req   pyReq
	file  string // the --find-links wheel it came from
}

// pyCompiled are distributions with C extensions: PyPI serves them as manylinux
// wheels for CPython's ABI, so their file names carry a platform tag.
var pyCompiled = map[string]bool{
	"numpy": true, "pandas": true, "scipy": true, "psycopg2-binary": true, "psycopg-binary": true, "cffi": true,
	"lxml": true, "pillow": true, "grpcio": true, "greenlet": true, "gevent": true, "uvloop": true, "httptools": true,
	"orjson": true, "ujson": true, "pyyaml": true, "markupsafe": true, "msgpack": true, "regex": true, "psutil": true,
	"pydantic-core": true, "charset-normalizer": true, "ruamel-yaml-clib": true, "zope-interface": true, "aiohttp": true,
	"frozenlist": true, "multidict": true, "yarl": true, "watchfiles": true, "websockets": true, "kiwisolver": true,
	"matplotlib": true, "scikit-learn": true, "pyzmq": true, "simplejson": true, "rpds-py": true, "tokenizers": true,
	"wrapt": true, "coverage": true, "mypy": true, "brotli": true, "zstandard": true, "cython": true, "pymongo": true,
	"sqlalchemy": true, "torch": true, "pyarrow": true, "jiter": true, "xxhash": true, "hiredis": true, "asyncpg": true,
}

// pyABI3 are compiled distributions built for the stable ABI (one wheel for every
// CPython from 3.7 or 3.9 on).
var pyABI3 = map[string]string{"cryptography": "cp39", "bcrypt": "cp39", "pynacl": "cp36", "argon2-cffi-bindings": "cp36"}

// pySdistOnly are compiled distributions PyPI serves for Linux as source archives
// only: pip builds their wheel with the image's compiler, for this interpreter and
// this machine (linux_x86_64).
var pySdistOnly = map[string]bool{"uwsgi": true, "mysqlclient": true, "psycopg2": true, "psycopg-c": true, "pycurl": true, "mod-wsgi": true, "python-ldap": true}

// pyDistFile is the file name PyPI serves for pkg (a wheel, or the sdist of a
// package built from source when sdist is set: pip download keeps sdists).
func pyDistFile(pkg langcatalog.Package, pyver string, sdist bool) string {
	name, v := distName(pkg.Name), pkg.Version
	cp := "cp" + strings.ReplaceAll(pyver, ".", "")
	switch {
	case pySdistOnly[pkg.Name] && sdist:
		return name + "-" + v + ".tar.gz"
	case pySdistOnly[pkg.Name]:
		return name + "-" + v + "-" + cp + "-" + cp + "-linux_x86_64.whl"
	case pyABI3[pkg.Name] != "":
		return name + "-" + v + "-" + pyABI3[pkg.Name] + "-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
	case pyCompiled[pkg.Name]:
		return name + "-" + v + "-" + cp + "-" + cp + "-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
	}
	return name + "-" + v + "-py3-none-any.whl"
}

// pyWheelBytes are the bytes of the catalog's wheel (or sdist) of pkg: the same as
// pip's HTTP cache holds for it.
func pyWheelBytes(pkg langcatalog.Package) rootfs.Generated {
	return rootfs.Generated{Seed: seedOf("wheel", pkg.Name, pkg.Version), N: pkg.Size / 3}
}

// wheelContent is what installing a wheel file lays out: the catalog's files when
// the file is the catalog's wheel, else files that follow the wheel's bytes.
type wheelContent struct {
	catalog bool
	gen     rootfs.Generated
}

// pyWheelFile reads a wheel's name and version from its file name (PEP 427:
// NAME-VERSION(-BUILD)?-PY-ABI-PLATFORM.whl; an sdist is NAME-VERSION.tar.gz) and
// what it installs; deps are the catalog's for that name, as the wheel's METADATA
// would list them.
func (p *proc) pyWheelFile(file string) (langcatalog.Package, wheelContent, []string) {
	base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(path.Base(file), ".whl"), ".tar.gz"), ".zip")
	name, ver := base, "0"
	if i := strings.Index(base, "-"); i > 0 {
		name = base[:i]
		ver, _, _ = strings.Cut(base[i+1:], "-")
	}
	n := langcatalog.Normalize(langcatalog.PyPI, name)
	pkg, err := langcatalog.ResolveLocked(langcatalog.PyPI, n, ver)
	if err != nil {
		pkg = langcatalog.Package{Name: n, Version: ver, Module: distName(n)}
	}
	if e, err := p.s.stat(file); err == nil {
		if g, ok := e.Data.(rootfs.Generated); ok && g == pyWheelBytes(pkg) {
			return pkg, wheelContent{catalog: true}, pkg.Deps
		}
	}
	d, err := p.inputsDigest([]string{file}, nil)
	if err != nil {
		d = file
	}
	w := artefact("pip-wheel", n, d, 40<<10, 200<<10)
	pkg.Size = w.N
	return pkg, wheelContent{gen: w}, pkg.Deps
}

// pyFindWheel looks for a wheel (or sdist) of name in the --find-links directories:
// the highest version that meets spec.
func (p *proc) pyFindWheel(dirs []string, name, spec string) (string, bool) {
	best, bestVer := "", ""
	for _, d := range dirs {
		dir := p.abs(strings.TrimPrefix(d, "file://"))
		var names []string
		p.s.withFS(func(f *rootfs.FS) error { names, _ = f.ReadDir(dir); return nil })
		for _, fn := range names {
			if !strings.HasSuffix(fn, ".whl") && !strings.HasSuffix(fn, ".tar.gz") && !strings.HasSuffix(fn, ".zip") {
				continue
			}
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(fn, ".whl"), ".tar.gz"), ".zip")
			i := strings.Index(base, "-")
			if i <= 0 || langcatalog.Normalize(langcatalog.PyPI, base[:i]) != name {
				continue
			}
			v, _, _ := strings.Cut(base[i+1:], "-")
			if spec != "" && !langcatalog.Satisfies(langcatalog.PyPI, v, spec) {
				continue
			}
			if best == "" || langcatalog.Compare(v, bestVer) > 0 {
				best, bestVer = dir+"/"+fn, v
			}
		}
	}
	return best, best != ""
}

// pySaveDists is the end of pip wheel and pip download: each collected distribution
// saved into the wheel directory, the ones PyPI serves as source built first (pip
// wheel) with the build lines pip prints.
func (p *proc) pySaveDists(order []pyItem, opts pyOpts, say func(string, ...any)) int {
	dir := p.abs(opts.wheelDir)
	ver := p.pythonVersion()
	var built []pyItem
	for _, it := range order {
		if it.local || it.file != "" || pySdistOnly[it.pkg.Name] && !opts.download {
			built = append(built, it)
			continue
		}
		file := pyDistFile(it.pkg, ver, opts.download)
		if err := p.put(dir+"/"+file, pyWheelBytes(it.pkg), 0o644, p.s.uid, p.s.gid); err != nil {
			p.outf("ERROR: Could not save %s: %s\n", file, errno(err))
			return 1
		}
		say("Saved %s/%s\n", strings.TrimSuffix(opts.wheelDir, "/"), file)
	}
	var names []string
	for _, it := range built {
		if it.file != "" {
			// a --find-links file is copied as it is
			data, err := p.s.stat(it.file)
			if err == nil {
				err = p.put(dir+"/"+path.Base(it.file), data.Data, 0o644, p.s.uid, p.s.gid)
			}
			if err != nil {
				p.outf("ERROR: Could not save %s: %s\n", path.Base(it.file), errno(err))
				return 1
			}
			say("Saved %s/%s\n", strings.TrimSuffix(opts.wheelDir, "/"), path.Base(it.file))
			continue
		}
		if !it.local {
			names = append(names, it.pkg.Name) // a local project's build lines are printed already
		}
	}
	if len(names) > 0 {
		say("Building wheels for collected packages: %s\n", strings.Join(names, ", "))
	}
	for _, it := range built {
		if it.file != "" {
			continue
		}
		var file string
		content := it.wheel
		if it.local {
			file = distName(it.pkg.Name) + "-" + it.pkg.Version + "-py3-none-any.whl"
		} else {
			file = pyDistFile(it.pkg, ver, false)
			content = pyWheelBytes(it.pkg)
			say("  Building wheel for %s (setup.py): started\n  Building wheel for %s (setup.py): finished with status 'done'\n", it.pkg.Name, it.pkg.Name)
			say("  Created wheel for %s: filename=%s size=%d sha256=%064x\n", it.pkg.Name, file, content.N, content.Seed)
			say("  Stored in directory: %s/.cache/pip/wheels/%02x/%02x/%x\n", p.home(), byte(content.Seed), byte(content.Seed>>8), content.Seed)
		}
		if err := p.put(dir+"/"+file, content, 0o644, p.s.uid, p.s.gid); err != nil {
			p.outf("ERROR: Could not save %s: %s\n", file, errno(err))
			return 1
		}
	}
	if len(names) > 0 {
		say("Successfully built %s\n", strings.Join(names, " "))
	}
	if opts.download {
		say("Successfully downloaded %s\n", p.pyNames(order))
	}
	return 0
}

func (p *proc) pyNames(order []pyItem) string {
	var names []string
	for _, it := range order {
		names = append(names, it.pkg.Name)
	}
	return strings.Join(names, " ")
}

// pipDefault is the pip of an interpreter whose pip the image does not record.
const pipDefault = "24.0"

// pipVersion is the version of the pip that runs for env: the one in env's site (a
// pip that upgraded itself lands there and shadows the distribution's), else the
// distribution's own (python3-pip, py3-pip), else the interpreter's bundled one.
func (p *proc) pipVersion(env pyEnv) string {
	if v := p.pyInstalled(env.site)["pip"]; v != "" {
		return v
	}
	if !env.venv {
		if v := p.pyInstalled("/usr/lib/python3/dist-packages")["pip"]; v != "" {
			return v
		}
		if v := p.debStatus()["python3-pip"]; v != "" {
			return upstreamVersion(v)
		}
		for _, e := range p.apkDB() {
			if e.name == "py3-pip" {
				return upstreamVersion(e.ver)
			}
		}
	}
	return pipDefault
}

// upstreamVersion is a distribution package's version without its epoch, revision
// and repack suffixes: 9.0.1-2.3~ubuntu1.18.04.8 -> 9.0.1, 23.0.1+dfsg-1 -> 23.0.1,
// 3.11.12-r0 -> 3.11.12.
func upstreamVersion(v string) string {
	if _, rest, ok := strings.Cut(v, ":"); ok {
		v = rest
	}
	if i := strings.IndexAny(v, "-+~"); i > 0 {
		v = v[:i]
	}
	return v
}

// pipPythonRefusal prints pip's refusal of a requirement that only releases
// requiring a different Python satisfy, in the words of the running pip's
// generation: 21.2 and later list the ignored releases first; older pips only say
// no version was found (and, with -v, log each skipped release); before 20.3 the
// legacy resolver says it under "Collecting".
func (p *proc) pipPythonRefusal(opts pyOpts, pipVer, show, from string, e *langcatalog.PythonMismatchError) {
	versions := "none"
	if len(e.Admitted) > 0 {
		versions = strings.Join(e.Admitted, ", ")
	}
	newer := func(v string) bool { return langcatalog.Compare(pipVer, v) >= 0 }
	p.outf("layerlab: the playground's PyPI catalog keeps only the last release of each Requires-Python window of %s; pip lists every release\n", e.Name)
	switch {
	case newer("21.2"):
		var ig []string
		for _, r := range e.Ignored {
			ig = append(ig, r.Version+" Requires-Python "+r.RequiresPython)
		}
		p.outf("ERROR: Ignored the following versions that require a different python version: %s\n", strings.Join(ig, "; "))
		p.outf("ERROR: Could not find a version that satisfies the requirement %s%s (from versions: %s)\n", show, from, versions)
		p.outf("ERROR: No matching distribution found for %s\n", show)
		return
	case newer("20.3"):
		p.pipSkippedLinks(opts, pipVer, e)
		p.outf("ERROR: Could not find a version that satisfies the requirement %s%s (from versions: %s)\n", show, from, versions)
		p.outf("ERROR: No matching distribution found for %s\n", show)
		return
	}
	p.outf("Collecting %s%s\n", show, from)
	p.pipSkippedLinks(opts, pipVer, e)
	if newer("19") {
		p.outf("  ERROR: Could not find a version that satisfies the requirement %s%s (from versions: %s)\n", show, from, versions)
		p.outf("ERROR: No matching distribution found for %s\n", show)
		return
	}
	p.outf("  Could not find a version that satisfies the requirement %s%s (from versions: %s)\n", show, from, versions)
	p.outf("No matching distribution found for %s\n", show)
}

// pipSkippedLinks is the debug line pips before 21.2 log (shown with -v) for each
// release they skip for its Requires-Python.
func (p *proc) pipSkippedLinks(opts pyOpts, pipVer string, e *langcatalog.PythonMismatchError) {
	if !opts.verbose {
		return
	}
	for _, r := range e.Ignored {
		file := distName(e.Name) + "-" + r.Version + ".tar.gz"
		if langcatalog.Compare(pipVer, "19") >= 0 {
			p.outf("  Link requires a different Python (%s not in: '%s'): https://files.pythonhosted.org/packages/source/%c/%s/%s\n", e.Python, r.RequiresPython, e.Name[0], e.Name, file)
			continue
		}
		p.outf("  The package https://files.pythonhosted.org/packages/source/%c/%s/%s requires a different Python: %s not in '%s'\n", e.Name[0], e.Name, file, e.Python, r.RequiresPython)
	}
}
