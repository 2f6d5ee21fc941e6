package sandbox

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"

	"layerlab/engine/rootfs"
)

func init() { register(map[string]cmdFunc{"pip": cmdPip, "npm": cmdNpm}) }

type pyPkg struct {
	name, module, ver string
	size              int64 // installed bytes
	deps              []string
}

var pyCatalogue = func() map[string]pyPkg {
	list := []pyPkg{
		{"fastapi", "fastapi", "0.110.0", 520 << 10, []string{"starlette", "pydantic", "typing-extensions"}},
		{"starlette", "starlette", "0.36.3", 380 << 10, []string{"anyio"}},
		{"pydantic", "pydantic", "2.6.4", 1800 << 10, []string{"pydantic-core", "annotated-types", "typing-extensions"}},
		{"pydantic-core", "pydantic_core", "2.16.3", 4900 << 10, []string{"typing-extensions"}},
		{"annotated-types", "annotated_types", "0.6.0", 40 << 10, nil},
		{"typing-extensions", "typing_extensions", "4.10.0", 130 << 10, nil},
		{"anyio", "anyio", "4.3.0", 350 << 10, []string{"idna", "sniffio"}},
		{"idna", "idna", "3.6", 280 << 10, nil},
		{"sniffio", "sniffio", "1.3.1", 30 << 10, nil},
		{"uvicorn", "uvicorn", "0.28.0", 270 << 10, []string{"click", "h11"}},
		{"h11", "h11", "0.14.0", 160 << 10, nil},
		{"click", "click", "8.1.7", 390 << 10, nil},
		{"flask", "flask", "3.0.2", 300 << 10, []string{"werkzeug", "jinja2", "itsdangerous", "click", "blinker"}},
		{"werkzeug", "werkzeug", "3.0.1", 1000 << 10, []string{"markupsafe"}},
		{"jinja2", "jinja2", "3.1.3", 670 << 10, []string{"markupsafe"}},
		{"markupsafe", "markupsafe", "2.1.5", 60 << 10, nil},
		{"itsdangerous", "itsdangerous", "2.1.2", 70 << 10, nil},
		{"blinker", "blinker", "1.7.0", 40 << 10, nil},
		{"django", "django", "5.0.3", 28 << 20, []string{"asgiref", "sqlparse"}},
		{"asgiref", "asgiref", "3.7.2", 110 << 10, nil},
		{"sqlparse", "sqlparse", "0.4.4", 240 << 10, nil},
		{"requests", "requests", "2.31.0", 240 << 10, []string{"charset-normalizer", "idna", "urllib3", "certifi"}},
		{"charset-normalizer", "charset_normalizer", "3.3.2", 480 << 10, nil},
		{"urllib3", "urllib3", "2.2.1", 560 << 10, nil},
		{"certifi", "certifi", "2024.2.2", 300 << 10, nil},
		{"numpy", "numpy", "1.26.4", 61 << 20, nil},
		{"pandas", "pandas", "2.2.1", 70 << 20, []string{"numpy", "python-dateutil", "pytz", "tzdata"}},
		{"python-dateutil", "dateutil", "2.9.0", 780 << 10, []string{"six"}},
		{"six", "six", "1.16.0", 40 << 10, nil},
		{"pytz", "pytz", "2024.1", 2800 << 10, nil},
		{"tzdata", "tzdata", "2024.1", 1900 << 10, nil},
		{"sqlalchemy", "sqlalchemy", "2.0.28", 12 << 20, []string{"typing-extensions", "greenlet"}},
		{"greenlet", "greenlet", "3.0.3", 900 << 10, nil},
		{"gunicorn", "gunicorn", "21.2.0", 600 << 10, []string{"packaging"}},
		{"packaging", "packaging", "24.0", 200 << 10, nil},
		{"pytest", "pytest", "8.1.1", 2400 << 10, []string{"iniconfig", "packaging", "pluggy"}},
		{"iniconfig", "iniconfig", "2.0.0", 20 << 10, nil},
		{"pluggy", "pluggy", "1.4.0", 80 << 10, nil},
		{"redis", "redis", "5.0.3", 1900 << 10, nil},
		{"psycopg2-binary", "psycopg2", "2.9.9", 9 << 20, nil},
		{"python-dotenv", "dotenv", "1.0.1", 80 << 10, nil},
		{"pyyaml", "yaml", "6.0.1", 2400 << 10, nil},
		{"httpx", "httpx", "0.27.0", 500 << 10, []string{"anyio", "certifi", "httpcore", "idna", "sniffio"}},
		{"httpcore", "httpcore", "1.0.4", 300 << 10, []string{"certifi", "h11"}},
		{"scikit-learn", "sklearn", "1.4.1", 36 << 20, []string{"numpy", "scipy", "joblib", "threadpoolctl"}},
		{"scipy", "scipy", "1.12.0", 110 << 20, []string{"numpy"}},
		{"joblib", "joblib", "1.3.2", 1500 << 10, nil},
		{"threadpoolctl", "threadpoolctl", "3.4.0", 60 << 10, nil},
		{"celery", "celery", "5.3.6", 2600 << 10, []string{"click", "kombu"}},
		{"kombu", "kombu", "5.3.5", 1200 << 10, nil},
		{"boto3", "boto3", "1.34.64", 800 << 10, []string{"botocore"}},
		{"botocore", "botocore", "1.34.64", 12 << 20, []string{"urllib3"}},
		{"pip", "pip", "24.0", 8 << 20, nil},
		{"setuptools", "setuptools", "69.2.0", 4 << 20, nil},
		{"wheel", "wheel", "0.43.0", 200 << 10, nil},
	}
	m := map[string]pyPkg{}
	for _, p := range list {
		m[p.name] = p
	}
	return m
}()

func normPy(n string) string {
	return strings.ToLower(strings.NewReplacer("_", "-", ".", "-").Replace(n))
}

var reqSplit = regexp.MustCompile(`^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(?:(==|>=|<=|~=|!=|>|<)\s*([A-Za-z0-9_.*+\-]+))?`)

func (p *proc) pythonVersion() string {
	if v := p.getenv("PYTHON_VERSION"); v != "" {
		parts := strings.Split(v, ".")
		if len(parts) >= 2 {
			return parts[0] + "." + parts[1]
		}
	}
	for _, dir := range []string{"/usr/local/bin", "/usr/bin"} {
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

func (p *proc) pythonFullVersion() string {
	if v := p.getenv("PYTHON_VERSION"); v != "" {
		return v
	}
	return p.pythonVersion() + ".0"
}

func (p *proc) sitePackages() string {
	if v := p.getenv("VIRTUAL_ENV"); v != "" {
		return v + "/lib/python" + p.pythonVersion() + "/site-packages"
	}
	return "/usr/local/lib/python" + p.pythonVersion() + "/site-packages"
}

func (p *proc) pyInstalled(site string) map[string]string {
	out := map[string]string{}
	p.s.withFS(func(f *rootfs.FS) error {
		names, _ := f.ReadDir(site)
		for _, n := range names {
			if base, ok := strings.CutSuffix(n, ".dist-info"); ok {
				if i := strings.LastIndex(base, "-"); i > 0 {
					out[normPy(base[:i])] = base[i+1:]
				}
			}
		}
		return nil
	})
	return out
}

func cmdPip(p *proc) int {
	if len(p.args) == 0 {
		p.outf("\nUsage:   \n  pip <command> [options]\n")
		return 0
	}
	switch p.args[0] {
	case "--version", "-V":
		p.outf("pip 24.0 from %s/pip (python %s)\n", p.sitePackages(), p.pythonVersion())
		return 0
	case "install":
		return p.pipInstall(p.args[1:])
	case "freeze", "list":
		inst := p.pyInstalled(p.sitePackages())
		for _, n := range p.sortedKeysS(inst) {
			p.outf("%s==%s\n", n, inst[n])
		}
		return 0
	case "uninstall":
		site := p.sitePackages()
		inst := p.pyInstalled(site)
		for _, a := range p.args[1:] {
			if strings.HasPrefix(a, "-") {
				continue
			}
			n := normPy(a)
			v, ok := inst[n]
			if !ok {
				p.outf("WARNING: Skipping %s as it is not installed.\n", a)
				continue
			}
			pk := pyCatalogue[n]
			p.outf("Found existing installation: %s %s\nUninstalling %s-%s:\n  Successfully uninstalled %s-%s\n", n, v, n, v, n, v)
			p.removeAll(site + "/" + pk.module)
			p.removeAll(site + "/" + strings.ReplaceAll(n, "-", "_") + "-" + v + ".dist-info")
		}
		return 0
	}
	return p.notSimulated("pip " + p.args[0])
}

func (p *proc) sortedKeysS(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (p *proc) pipInstall(args []string) int {
	var reqs []string
	noCache := p.getenv("PIP_NO_CACHE_DIR") != "" && p.getenv("PIP_NO_CACHE_DIR") != "0" && p.getenv("PIP_NO_CACHE_DIR") != "false"
	upgrade := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-r" || a == "--requirement":
			if i+1 >= len(args) {
				p.errf("-r option requires 1 argument")
				return 2
			}
			i++
			b, err := p.readFile(args[i])
			if err != nil {
				p.outf("ERROR: Could not open requirements file: [Errno 2] No such file or directory: '%s'\n", args[i])
				return 1
			}
			for _, l := range strings.Split(string(b), "\n") {
				l, _, _ = strings.Cut(l, "#")
				l = strings.TrimSpace(l)
				if l == "" || strings.HasPrefix(l, "-") {
					continue
				}
				l, _, _ = strings.Cut(l, ";")
				reqs = append(reqs, strings.TrimSpace(l))
			}
		case strings.HasPrefix(a, "-r"):
			args = append(args[:i+1], append([]string{a[2:]}, args[i+1:]...)...)
			args[i] = "-r"
			i--
		case a == "--no-cache-dir":
			noCache = true
		case a == "--upgrade" || a == "-U":
			upgrade = true
		case a == "-i" || a == "--index-url" || a == "--extra-index-url" || a == "-c" || a == "--target" || a == "-t":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			reqs = append(reqs, a)
		}
	}
	if len(reqs) == 0 {
		p.outf("ERROR: You must give at least one requirement to install (see \"pip help install\")\n")
		return 1
	}
	site := p.sitePackages()
	installed := p.pyInstalled(site)
	type want struct{ name, ver string }
	var order []want
	seen := map[string]bool{}
	var fail string
	var visit func(req string, top bool)
	visit = func(req string, top bool) {
		if fail != "" {
			return
		}
		m := reqSplit.FindStringSubmatch(req)
		if m == nil {
			fail = req
			return
		}
		name := normPy(m[1])
		pk, ok := pyCatalogue[name]
		if !ok {
			fail = req
			return
		}
		ver := pk.ver
		if m[3] == "==" {
			ver = m[4]
		}
		if seen[name] {
			return
		}
		seen[name] = true
		if v, ok := installed[name]; ok && !(top && upgrade) && (m[3] != "==" || v == ver) {
			p.outf("Requirement already satisfied: %s in %s (%s)\n", m[1], site, v)
			return
		}
		if top {
			p.outf("Collecting %s\n", req)
		} else {
			p.outf("Collecting %s (from -r requirements)\n", m[1])
		}
		wheel := fmt.Sprintf("%s-%s-py3-none-any.whl", strings.ReplaceAll(name, "-", "_"), ver)
		p.outf("  Downloading %s (%s)\n", wheel, kb(pk.size/3))
		for _, d := range pk.deps {
			visit(d, false)
		}
		order = append(order, want{name, ver})
	}
	for _, r := range reqs {
		visit(r, true)
	}
	if fail != "" {
		m := reqSplit.FindStringSubmatch(fail)
		n := fail
		if m != nil {
			n = m[1]
		}
		p.outf("ERROR: Could not find a version that satisfies the requirement %s (from versions: none)\n", fail)
		p.outf("ERROR: No matching distribution found for %s\n", n)
		return 1
	}
	if len(order) == 0 {
		return 0
	}
	var names, full []string
	home := p.getenv("HOME")
	if home == "" {
		home = "/root"
	}
	for _, w := range order {
		names = append(names, w.name)
		full = append(full, w.name+"-"+w.ver)
	}
	p.outf("Installing collected packages: %s\n", strings.Join(names, ", "))
	for _, w := range order {
		pk := pyCatalogue[w.name]
		if old, ok := installed[w.name]; ok {
			p.outf("  Attempting uninstall: %s\n    Found existing installation: %s %s\n    Uninstalling %s-%s:\n      Successfully uninstalled %s-%s\n", w.name, w.name, old, w.name, old, w.name, old)
			p.removeAll(site + "/" + strings.ReplaceAll(w.name, "-", "_") + "-" + old + ".dist-info")
		}
		dist := site + "/" + strings.ReplaceAll(w.name, "-", "_") + "-" + w.ver + ".dist-info"
		if err := p.put(site+"/"+pk.module+"/__init__.py", rootfs.Generated{Seed: seedOf("py", w.name, w.ver), N: pk.size}, 0o644, p.s.uid, p.s.gid); err != nil {
			return 1
		}
		p.putText(dist+"/METADATA", "Metadata-Version: 2.1\nName: "+w.name+"\nVersion: "+w.ver+"\n")
		p.putText(dist+"/RECORD", pk.module+"/__init__.py,,\n")
		p.putText(dist+"/INSTALLER", "pip\n")
		if !noCache {
			h := fmt.Sprintf("%016x", seedOf("pipcache", w.name, w.ver))
			if err := p.put(home+"/.cache/pip/http-v2/"+h[:1]+"/"+h[1:2]+"/"+h+".body", rootfs.Generated{Seed: seedOf("wheel", w.name, w.ver), N: pk.size / 3}, 0o644, p.s.uid, p.s.gid); err != nil {
				return 1
			}
		}
	}
	p.outf("Successfully installed %s\n", strings.Join(sortedCopy(full), " "))
	if p.s.uid == 0 && p.getenv("VIRTUAL_ENV") == "" {
		p.outf("WARNING: Running pip as the 'root' user can result in broken permissions and conflicting behaviour with the system package manager. It is recommended to use a virtual environment instead: https://pip.pypa.io/warnings/venv\n")
	}
	return 0
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	sort.Strings(out)
	return out
}

// ---- npm ----

type npmPkg struct {
	ver  string
	size int64
	deps []string
}

var npmCatalogue = map[string]npmPkg{
	"express":          {"4.18.3", 220 << 10, []string{"body-parser", "cookie", "debug", "qs", "send", "accepts"}},
	"body-parser":      {"1.20.2", 60 << 10, []string{"debug", "qs", "bytes"}},
	"cookie":           {"0.5.0", 20 << 10, nil},
	"debug":            {"2.6.9", 40 << 10, []string{"ms"}},
	"ms":               {"2.0.0", 6 << 10, nil},
	"qs":               {"6.11.0", 250 << 10, nil},
	"send":             {"0.18.0", 50 << 10, []string{"debug", "mime"}},
	"mime":             {"1.6.0", 110 << 10, nil},
	"accepts":          {"1.3.8", 16 << 10, []string{"mime-types"}},
	"mime-types":       {"2.1.35", 20 << 10, []string{"mime-db"}},
	"mime-db":          {"1.52.0", 200 << 10, nil},
	"bytes":            {"3.1.2", 12 << 10, nil},
	"react":            {"18.2.0", 320 << 10, []string{"loose-envify"}},
	"react-dom":        {"18.2.0", 4400 << 10, []string{"react", "scheduler", "loose-envify"}},
	"scheduler":        {"0.23.0", 60 << 10, []string{"loose-envify"}},
	"loose-envify":     {"1.4.0", 10 << 10, []string{"js-tokens"}},
	"js-tokens":        {"4.0.0", 12 << 10, nil},
	"lodash":           {"4.17.21", 1400 << 10, nil},
	"typescript":       {"5.4.2", 31 << 20, nil},
	"axios":            {"1.6.7", 1900 << 10, []string{"follow-redirects", "form-data"}},
	"follow-redirects": {"1.15.6", 30 << 10, nil},
	"form-data":        {"4.0.0", 40 << 10, []string{"mime-types"}},
	"dotenv":           {"16.4.5", 80 << 10, nil},
	"nodemon":          {"3.1.0", 220 << 10, []string{"debug"}},
	"jest":             {"29.7.0", 9 << 20, nil},
	"vite":             {"5.1.6", 3200 << 10, []string{"esbuild"}},
	"esbuild":          {"0.19.12", 9 << 20, nil},
	"next":             {"14.1.3", 90 << 20, []string{"react", "react-dom"}},
	"eslint":           {"8.57.0", 3 << 20, nil},
	"prettier":         {"3.2.5", 8 << 20, nil},
	"webpack":          {"5.90.3", 5 << 20, nil},
	"pg":               {"8.11.3", 200 << 10, nil},
	"mongoose":         {"8.2.1", 3 << 20, nil},
	"cors":             {"2.8.5", 20 << 10, nil},
	"uuid":             {"9.0.1", 130 << 10, nil},
	"chalk":            {"5.3.0", 40 << 10, nil},
}

type packageJSON struct {
	Name            string            `json:"name"`
	Version         string            `json:"version"`
	Scripts         map[string]string `json:"scripts"`
	Dependencies    map[string]string `json:"dependencies"`
	DevDependencies map[string]string `json:"devDependencies"`
}

func cmdNpm(p *proc) int {
	if len(p.args) == 0 {
		p.outf("npm <command>\n")
		return 1
	}
	sub, rest := p.args[0], p.args[1:]
	switch sub {
	case "-v", "--version":
		p.outf("10.2.4\n")
		return 0
	case "install", "i", "ci", "add":
		return p.npmInstall(sub == "ci", rest)
	case "run", "run-script":
		if len(rest) == 0 {
			return 0
		}
		return p.npmRun(rest[0])
	case "start", "test", "build":
		return p.npmRun(sub)
	case "cache":
		if len(rest) > 0 && rest[0] == "clean" {
			home := p.getenv("HOME")
			p.removeAll(home + "/.npm/_cacache")
			return 0
		}
	case "prune", "audit":
		return 0
	}
	return p.notSimulated("npm " + sub)
}

func (p *proc) readPackageJSON() (*packageJSON, int) {
	b, err := p.readFile("package.json")
	if err != nil {
		return nil, 1
	}
	var pj packageJSON
	if err := json.Unmarshal(b, &pj); err != nil {
		fmt.Fprintf(p.errw, "npm ERR! code EJSONPARSE\nnpm ERR! JSON.parse Invalid package.json: %v\n", err)
		return nil, 2
	}
	return &pj, 0
}

func (p *proc) npmInstall(ci bool, args []string) int {
	omitDev := p.getenv("NODE_ENV") == "production"
	var named []string
	for _, a := range args {
		switch {
		case a == "--production" || a == "--omit=dev" || a == "--only=production":
			omitDev = true
		case strings.HasPrefix(a, "-"):
		default:
			named = append(named, a)
		}
	}
	pj, code := p.readPackageJSON()
	if code == 2 {
		return 1
	}
	if ci {
		if pj == nil || !p.s.exists(p.abs("package-lock.json")) {
			fmt.Fprintf(p.errw, "npm ERR! code EUSAGE\nnpm ERR! \nnpm ERR! The `npm ci` command can only install with an existing package-lock.json or\nnpm ERR! npm-shrinkwrap.json with lockfileVersion >= 1.\n")
			return 1
		}
		p.removeAll(p.abs("node_modules"))
	}
	if pj == nil {
		pj = &packageJSON{Name: pathBase(p.dir), Version: "1.0.0"}
		if pj.Name == "/" {
			pj.Name = "app"
		}
	}
	if pj.Dependencies == nil {
		pj.Dependencies = map[string]string{}
	}
	var top []string
	for n := range pj.Dependencies {
		top = append(top, n)
	}
	if !omitDev {
		for n := range pj.DevDependencies {
			top = append(top, n)
		}
	}
	for _, n := range named {
		name := n
		if i := strings.LastIndex(n, "@"); i > 0 {
			name = n[:i]
		}
		if pk, ok := npmCatalogue[name]; ok {
			pj.Dependencies[name] = "^" + pk.ver
		}
		top = append(top, name)
	}
	sort.Strings(top)
	seen := map[string]bool{}
	var order []string
	var missing string
	var visit func(n string)
	visit = func(n string) {
		if seen[n] || missing != "" {
			return
		}
		pk, ok := npmCatalogue[n]
		if !ok {
			missing = n
			return
		}
		seen[n] = true
		for _, d := range pk.deps {
			visit(d)
		}
		order = append(order, n)
	}
	for _, n := range top {
		visit(n)
	}
	if missing != "" {
		fmt.Fprintf(p.errw, "npm ERR! code E404\nnpm ERR! 404 Not Found - GET https://registry.npmjs.org/%s - Not found\nnpm ERR! 404 \nnpm ERR! 404  '%s@*' is not in this registry.\n", missing, missing)
		return 1
	}
	home := p.getenv("HOME")
	if home == "" {
		home = "/root"
	}
	added := 0
	for _, n := range order {
		pk := npmCatalogue[n]
		dir := p.abs("node_modules/" + n)
		if e, err := p.s.stat(dir + "/package.json"); err == nil && e != nil {
			continue
		}
		added++
		if err := p.put(dir+"/index.js", rootfs.Generated{Seed: seedOf("npm", n, pk.ver), N: pk.size}, 0o644, p.s.uid, p.s.gid); err != nil {
			return 1
		}
		p.putText(dir+"/package.json", fmt.Sprintf("{\n  \"name\": %q,\n  \"version\": %q\n}\n", n, pk.ver))
		p.put(fmt.Sprintf("%s/.npm/_cacache/content-v2/sha512/%016x", home, seedOf("npmcache", n, pk.ver)), rootfs.Generated{Seed: seedOf("tgz", n), N: pk.size / 3}, 0o644, p.s.uid, p.s.gid)
	}
	if len(named) > 0 {
		b, _ := json.MarshalIndent(pj, "", "  ")
		p.putText(p.abs("package.json"), string(b)+"\n")
	}
	if !ci {
		var lock strings.Builder
		fmt.Fprintf(&lock, "{\n  \"name\": %q,\n  \"lockfileVersion\": 3,\n  \"packages\": {\n", pj.Name)
		for i, n := range order {
			sep := ","
			if i == len(order)-1 {
				sep = ""
			}
			fmt.Fprintf(&lock, "    \"node_modules/%s\": {\"version\": %q}%s\n", n, npmCatalogue[n].ver, sep)
		}
		lock.WriteString("  }\n}\n")
		p.putText(p.abs("package-lock.json"), lock.String())
	}
	if added == 0 {
		p.outf("\nup to date, audited %d packages in 1s\n\nfound 0 vulnerabilities\n", len(order)+1)
		return 0
	}
	p.outf("\nadded %d packages, and audited %d packages in 1s\n\nfound 0 vulnerabilities\n", added, len(order)+1)
	return 0
}

func (p *proc) npmRun(script string) int {
	pj, code := p.readPackageJSON()
	if pj == nil {
		if code == 1 {
			fmt.Fprintf(p.errw, "npm ERR! code ENOENT\nnpm ERR! syscall open\nnpm ERR! path %s/package.json\nnpm ERR! errno -2\n", p.dir)
		}
		return 254
	}
	cmd, ok := pj.Scripts[script]
	if !ok {
		fmt.Fprintf(p.errw, "npm ERR! Missing script: %q\nnpm ERR! \nnpm ERR! To see a list of scripts, run:\nnpm ERR!   npm run\n", script)
		return 1
	}
	p.outf("\n> %s@%s %s\n> %s\n\n", pj.Name, pj.Version, script, cmd)
	c := *p
	c.name = "sh"
	var list []string
	for _, kv := range p.environ() {
		if strings.HasPrefix(kv, "PATH=") {
			kv = "PATH=" + p.abs("node_modules/.bin") + ":" + kv[5:]
		}
		list = append(list, kv)
	}
	c.env = newEnv(list)
	c.args = []string{"-c", cmd}
	return cmdSh(&c)
}
