package sandbox

import (
	"fmt"
	"go/parser"
	"go/token"
	"path"
	"sort"
	"strconv"
	"strings"

	"layerlab/engine/rootfs"
)

// The go command: build, install, test, vet, mod, get, env, version. Binaries are
// artefacts of the Go files the build reads (the named packages and the module's own
// packages they import, transitively, with their //go:embed files), go.mod, go.sum,
// vendor/modules.txt, the output-changing flags (-ldflags, -gcflags, -tags, -trimpath,
// -race, -buildmode) and the environment (CGO_ENABLED, GOOS, GOARCH, ...): a source edit
// changes the binary, an unchanged rebuild writes the same bytes, as Go's reproducible
// builds do.

func init() { register(map[string]cmdFunc{"go": cmdGo}) }

// goBoolFlags and goValueFlags are the build flags `go build`, `install`, `test` and
// `vet` share (cmd/go's AddBuildFlags); a flag in neither list fails as Go fails it.
var goBoolFlags = map[string]bool{
	"a": true, "n": true, "race": true, "msan": true, "asan": true, "v": true, "work": true, "x": true,
	"trimpath": true, "linkshared": true, "modcacherw": true, "buildvcs": true, "cover": true, "i": true,
}

var goValueFlags = map[string]bool{
	"o": true, "p": true, "asmflags": true, "buildmode": true, "compiler": true, "gccgoflags": true,
	"gcflags": true, "installsuffix": true, "ldflags": true, "mod": true, "modfile": true, "overlay": true,
	"pgo": true, "pkgdir": true, "tags": true, "toolexec": true, "coverpkg": true, "covermode": true, "C": true,
}

// goTestBoolFlags and goTestValueFlags are `go test`'s own flags on top of the build flags.
var goTestBoolFlags = map[string]bool{"c": true, "short": true, "failfast": true, "json": true, "benchmem": true}

var goTestValueFlags = map[string]bool{
	"run": true, "count": true, "timeout": true, "coverprofile": true, "bench": true, "benchtime": true,
	"cpu": true, "parallel": true, "skip": true, "shuffle": true, "vet": true, "exec": true, "outputdir": true,
}

// goOutputFlags change the bytes of a binary; the others (-v, -x, -a, -p, ...) do not.
var goOutputFlags = []string{"ldflags", "gcflags", "asmflags", "tags", "trimpath", "race", "msan", "asan", "buildmode", "cover", "pgo", "linkshared"}

// goEnvOutput is the environment that changes a binary.
var goEnvOutput = []string{"CGO_ENABLED", "GOOS", "GOARCH", "GOARM", "GOAMD64", "GO386", "GOEXPERIMENT", "CGO_CFLAGS", "CGO_LDFLAGS"}

// goCmd is one invocation's parsed state.
type goCmd struct {
	p       *proc
	sub     string
	flags   map[string]string
	args    []string
	ver     string
	modRoot string // directory holding go.mod ("" outside a module)
	modPath string
	gopath  string
}

func cmdGo(p *proc) int {
	if len(p.args) == 0 {
		p.outf("Go is a tool for managing Go source code.\n\nUsage:\n\n\tgo <command> [arguments]\n")
		return 2
	}
	g := &goCmd{p: p, sub: p.args[0], ver: strings.TrimPrefix(p.toolVersion("GOLANG_VERSION", "1.22.0"), "go")}
	g.gopath = p.getenv("GOPATH")
	if g.gopath == "" {
		g.gopath = path.Join(p.getenv("HOME"), "go")
	}
	switch g.sub {
	case "version":
		p.outf("go version go%s %s/%s\n", g.ver, g.goos(), g.goarch())
		return 0
	case "env":
		return g.env(p.args[1:])
	case "build", "install", "test", "vet":
		if code, ok := g.parseFlags(p.args[1:]); !ok {
			return code
		}
		g.findModule()
		if g.sub == "install" && len(g.args) > 0 && strings.Contains(g.args[0], "@") {
			// go install path@version: outside the current module, as Go 1.16+ does
			for _, a := range g.args {
				if code := g.installRemote(a); code != 0 {
					return code
				}
			}
			return 0
		}
		return g.build()
	case "mod":
		return g.mod(p.args[1:])
	case "get":
		return g.get(p.args[1:])
	case "clean":
		return g.clean(p.args[1:])
	case "run":
		p.errf("run: the layerlab sandbox compiles Go programs but cannot run them (go run builds and executes)")
		return 1
	case "help", "-h", "--help":
		p.outf("Go is a tool for managing Go source code.\n\nUsage:\n\n\tgo <command> [arguments]\n")
		return 0
	}
	if strings.HasPrefix(g.sub, "-") {
		fmt.Fprintf(p.errw, "flag provided but not defined: %s\nusage: go <command> [arguments]\n", g.sub)
		return 2
	}
	return p.notSimulated("go " + g.sub)
}

func (g *goCmd) goos() string {
	if v := g.p.getenv("GOOS"); v != "" {
		return v
	}
	return "linux"
}

func (g *goCmd) goarch() string {
	if v := g.p.getenv("GOARCH"); v != "" {
		return v
	}
	return "amd64"
}

// minor returns Go's minor version (22 for 1.22.0); 0 when unparsable.
func (g *goCmd) minor() int {
	parts := strings.Split(g.ver, ".")
	if len(parts) < 2 {
		return 0
	}
	n, _ := strconv.Atoi(parts[1])
	return n
}

func (g *goCmd) usage() string {
	switch g.sub {
	case "test":
		return "usage: go test [build/test flags] [packages] [build/test flags & test binary flags]\nRun 'go help test' and 'go help testflag' for details."
	case "vet":
		return "usage: go vet [build flags] [-vettool prog] [vet flags] [packages]\nRun 'go help vet' for details."
	}
	return fmt.Sprintf("usage: go %s [-o output] [build flags] [packages]\nRun 'go help %s' for details.", g.sub, g.sub)
}

// parseFlags reads Go's flag syntax: -name or --name, -name=value or -name value for
// the flags that take one. GOFLAGS comes first, as cmd/go applies it.
func (g *goCmd) parseFlags(args []string) (int, bool) {
	g.flags = map[string]string{}
	all := append(strings.Fields(g.p.getenv("GOFLAGS")), args...)
	for i := 0; i < len(all); i++ {
		a := all[i]
		if a == "--" {
			g.args = append(g.args, all[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			if g.sub == "test" || g.sub == "vet" {
				// test binary flags may follow the packages
				g.args = append(g.args, a)
				continue
			}
			g.args = append(g.args, all[i:]...)
			break
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		isTest := g.sub == "test" && (goTestBoolFlags[name] || goTestValueFlags[name])
		switch {
		case goBoolFlags[name] || (isTest && goTestBoolFlags[name]):
			if !hasVal {
				val = "true"
			}
		case goValueFlags[name] || (isTest && goTestValueFlags[name]):
			if !hasVal {
				if i+1 >= len(all) {
					fmt.Fprintf(g.p.errw, "flag needs an argument: -%s\n%s\n", name, g.usage())
					return 2, false
				}
				i++
				val = all[i]
			}
		default:
			fmt.Fprintf(g.p.errw, "flag provided but not defined: -%s\n%s\n", name, g.usage())
			return 2, false
		}
		if name == "o" && g.sub != "build" && g.sub != "test" {
			fmt.Fprintf(g.p.errw, "flag provided but not defined: -o\n%s\n", g.usage())
			return 2, false
		}
		g.flags[name] = val
	}
	return 0, true
}

// moduleMode reports whether cmd/go runs in module mode: GO111MODULE=on, or unset/auto
// from Go 1.16 on; before 1.16 auto meant "when a go.mod is found".
func (g *goCmd) moduleMode() bool {
	switch g.p.getenv("GO111MODULE") {
	case "off":
		return false
	case "on":
		return true
	}
	return g.minor() >= 16 || g.modRoot != ""
}

// findModule looks for go.mod from the working directory up, as cmd/go does.
func (g *goCmd) findModule() {
	if g.p.getenv("GO111MODULE") == "off" {
		return
	}
	for dir := g.p.dir; ; dir = path.Dir(dir) {
		if b, err := g.p.readFile(path.Join(dir, "go.mod")); err == nil {
			g.modRoot = dir
			g.modPath = modulePath(string(b))
			return
		}
		if dir == "/" {
			return
		}
	}
}

// modulePath reads the module directive of a go.mod.
func modulePath(gomod string) string {
	for _, l := range strings.Split(gomod, "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(l), "module"); ok {
			m = strings.Trim(strings.TrimSpace(strings.SplitN(m, "//", 2)[0]), `"`)
			if m != "" {
				return m
			}
		}
	}
	return ""
}

// requires lists the module requirements of a go.mod as "path version".
func requires(gomod string) [][2]string {
	var out [][2]string
	block := false
	for _, l := range strings.Split(gomod, "\n") {
		l = strings.TrimSpace(strings.SplitN(l, "//", 2)[0])
		switch {
		case l == "require (":
			block = true
			continue
		case block && l == ")":
			block = false
			continue
		case strings.HasPrefix(l, "require "):
			l = strings.TrimSpace(strings.TrimPrefix(l, "require"))
		case !block:
			continue
		}
		f := strings.Fields(l)
		if len(f) >= 2 && strings.HasPrefix(f[1], "v") {
			out = append(out, [2]string{f[0], f[1]})
		}
	}
	return out
}

const goModMissing = "go: go.mod file not found in current directory or any parent directory; see 'go help modules'"

// goPkg is one package a build reads.
type goPkg struct {
	dir        string // absolute
	importPath string
	name       string   // package clause
	files      []string // absolute, non-test
	tests      bool     // has _test.go files
	imports    []string
	embeds     []string // absolute paths of //go:embed patterns' files or directories
}

// loadDir reads the package in dir: its non-test Go files, package clause, imports.
func (g *goCmd) loadDir(dir, importPath string, only []string) (*goPkg, string) {
	pk := &goPkg{dir: dir, importPath: importPath}
	names := only
	if names == nil {
		if !g.p.isDir(dir) {
			return nil, fmt.Sprintf("stat %s: directory not found", dir)
		}
		for _, n := range g.p.listDir(dir) {
			if !strings.HasSuffix(n, ".go") || strings.HasPrefix(n, "_") || strings.HasPrefix(n, ".") || !g.p.isFile(path.Join(dir, n)) {
				continue
			}
			if strings.HasSuffix(n, "_test.go") {
				pk.tests = true
				continue
			}
			names = append(names, n)
		}
	}
	fset := token.NewFileSet()
	seen := map[string]bool{}
	for _, n := range names {
		file := path.Join(dir, n)
		src, err := g.p.readFile(file)
		if err != nil {
			return nil, fmt.Sprintf("open %s: %s", file, errno(err))
		}
		if strings.Contains(string(src), "//go:build ignore") || strings.Contains(string(src), "// +build ignore") {
			continue
		}
		f, err := parser.ParseFile(fset, file, src, parser.ImportsOnly|parser.ParseComments)
		if err != nil {
			return nil, err.Error()
		}
		if pk.name != "" && f.Name.Name != pk.name {
			return nil, fmt.Sprintf("found packages %s (%s) and %s (%s) in %s", pk.name, path.Base(pk.files[0]), f.Name.Name, n, dir)
		}
		pk.name = f.Name.Name
		pk.files = append(pk.files, file)
		for _, im := range f.Imports {
			ip, _ := strconv.Unquote(im.Path.Value)
			if !seen[ip] {
				seen[ip] = true
				pk.imports = append(pk.imports, ip)
			}
		}
		for _, l := range strings.Split(string(src), "\n") {
			if pat, ok := strings.CutPrefix(strings.TrimSpace(l), "//go:embed "); ok {
				for _, e := range strings.Fields(pat) {
					pk.embeds = append(pk.embeds, path.Join(dir, strings.TrimPrefix(strings.Trim(e, `"`+"`"), "all:")))
				}
			}
		}
	}
	if len(pk.files) == 0 {
		return nil, "no Go files in " + dir
	}
	sort.Strings(pk.imports)
	return pk, ""
}

// resolve turns the command line's packages into directories to load.
func (g *goCmd) resolve() ([]*goPkg, string) {
	args := g.args
	if g.sub == "test" {
		var pk []string
		for _, a := range args {
			if strings.HasPrefix(a, "-") {
				break
			}
			pk = append(pk, a)
		}
		args = pk
	}
	if len(args) > 0 && strings.HasSuffix(args[0], ".go") {
		// named files: the package "command-line-arguments", allowed outside a module
		var names []string
		dir := ""
		for _, a := range args {
			if !strings.HasSuffix(a, ".go") {
				return nil, fmt.Sprintf("named files must be .go files: %s", a)
			}
			d := path.Dir(g.p.abs(a))
			if dir != "" && d != dir {
				return nil, "named files must all be in one directory; have " + dir + " and " + d
			}
			dir = d
			if !g.p.isFile(a) {
				return nil, fmt.Sprintf("stat %s: no such file or directory", g.p.abs(a))
			}
			names = append(names, path.Base(a))
		}
		pk, err := g.loadDir(dir, "command-line-arguments", names)
		if err != "" {
			return nil, err
		}
		return []*goPkg{pk}, ""
	}
	if g.moduleMode() && g.modRoot == "" {
		return nil, goModMissing
	}
	if len(args) == 0 {
		args = []string{"."}
	}
	var out []*goPkg
	for _, a := range args {
		if strings.Contains(a, "@") {
			return nil, fmt.Sprintf("%s: can only use path@version syntax with 'go install' and 'go get'", a)
		}
		rel := strings.HasPrefix(a, ".") || strings.HasPrefix(a, "/")
		var dir string
		switch {
		case rel:
			dir = g.p.abs(a)
		case g.modPath != "" && (a == g.modPath || strings.HasPrefix(a, g.modPath+"/") || strings.HasPrefix(a, g.modPath+"/...")):
			dir = path.Join(g.modRoot, strings.TrimPrefix(a, g.modPath))
		case !strings.Contains(strings.SplitN(a, "/", 2)[0], "."):
			continue // the standard library: built into the toolchain's cache, no output
		default:
			if g.modRoot == "" {
				dir = path.Join(g.gopath, "src", a)
				break
			}
			return nil, fmt.Sprintf("no required module provides package %s; to add it:\n\tgo get %s", a, a)
		}
		if d, ok := strings.CutSuffix(dir, "/..."); ok {
			found := false
			for _, sub := range g.goDirs(d) {
				pk, err := g.loadDir(sub, g.importPathOf(sub), nil)
				if err == "" {
					out = append(out, pk)
					found = true
				}
			}
			if !found {
				fmt.Fprintf(g.p.errw, "go: warning: %q matched no packages\n", a)
			}
			continue
		}
		pk, err := g.loadDir(dir, g.importPathOf(dir), nil)
		if err != "" {
			return nil, err
		}
		out = append(out, pk)
	}
	return out, ""
}

// goDirs lists dir and its subdirectories the ... pattern matches: not vendor,
// testdata, or names starting with . or _, and not nested modules.
func (g *goCmd) goDirs(dir string) []string {
	out := []string{dir}
	for _, n := range g.p.listDir(dir) {
		sub := path.Join(dir, n)
		if n == "vendor" || n == "testdata" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") || !g.p.isDir(sub) {
			continue
		}
		if g.p.isFile(path.Join(sub, "go.mod")) {
			continue
		}
		out = append(out, g.goDirs(sub)...)
	}
	return out
}

func (g *goCmd) importPathOf(dir string) string {
	if g.modRoot != "" {
		if dir == g.modRoot {
			return g.modPath
		}
		if r, ok := strings.CutPrefix(dir, g.modRoot+"/"); ok {
			return g.modPath + "/" + r
		}
	}
	if r, ok := strings.CutPrefix(dir, g.gopath+"/src/"); ok {
		return r
	}
	return "_" + dir
}

// binName is the name go build gives a main package's binary: the last element of its
// import path, skipping a major-version suffix (example.com/cmd/v2 -> cmd); for named
// files, the first file's name.
func (g *goCmd) binName(pk *goPkg) string {
	if pk.importPath == "command-line-arguments" {
		return strings.TrimSuffix(path.Base(pk.files[0]), ".go")
	}
	ip := pk.importPath
	if strings.HasPrefix(ip, "_/") {
		return path.Base(pk.dir)
	}
	base := path.Base(ip)
	if len(base) > 1 && base[0] == 'v' && strings.Trim(base[1:], "0123456789") == "" && strings.Contains(ip, "/") {
		base = path.Base(path.Dir(ip))
	}
	return base
}

// closure adds the module's own packages the given packages import, transitively.
func (g *goCmd) closure(pkgs []*goPkg) (local []*goPkg, std map[string]bool) {
	std = map[string]bool{}
	seen := map[string]bool{}
	var visit func(pk *goPkg)
	visit = func(pk *goPkg) {
		if seen[pk.dir] {
			return
		}
		seen[pk.dir] = true
		local = append(local, pk)
		for _, im := range pk.imports {
			switch {
			case g.modPath != "" && (im == g.modPath || strings.HasPrefix(im, g.modPath+"/")):
				if dep, err := g.loadDir(path.Join(g.modRoot, strings.TrimPrefix(im, g.modPath)), im, nil); err == "" {
					visit(dep)
				}
			case !strings.Contains(strings.SplitN(im, "/", 2)[0], "."):
				std[im] = true
			}
		}
	}
	for _, pk := range pkgs {
		visit(pk)
	}
	return local, std
}

// stdWeight is roughly what importing a standard package adds to a stripped binary.
var stdWeight = map[string]int64{
	"fmt": 700 * kib, "net/http": 4 * mib, "net": 1200 * kib, "encoding/json": 400 * kib,
	"database/sql": 300 * kib, "crypto/tls": 1500 * kib, "html/template": 900 * kib, "text/template": 500 * kib,
	"regexp": 300 * kib, "log/slog": 300 * kib, "os/exec": 200 * kib, "embed": 50 * kib,
}

// build runs go build, install, test and vet.
func (g *goCmd) build() int {
	p := g.p
	pkgs, errMsg := g.resolve()
	if errMsg != "" {
		if !strings.HasPrefix(errMsg, "go: ") {
			errMsg = "go: " + errMsg
		}
		fmt.Fprintln(p.errw, errMsg)
		return 1
	}
	if g.modRoot != "" && g.moduleMode() {
		if code := g.download(false); code != 0 {
			return code
		}
	}
	switch g.sub {
	case "vet":
		return 0
	case "test":
		return g.test(pkgs)
	}
	var mains []*goPkg
	for _, pk := range pkgs {
		if pk.name == "main" {
			mains = append(mains, pk)
		}
	}
	out, hasOut := g.flags["o"]
	if g.sub == "build" && !hasOut && len(pkgs) > 1 {
		mains = nil // several packages: compiled and discarded, as go build does
	}
	if hasOut && len(mains) > 1 && !strings.HasSuffix(out, "/") && !p.isDir(out) {
		fmt.Fprintf(p.errw, "go: cannot write multiple packages to non-directory %s\n", out)
		return 1
	}
	if g.sub == "install" && len(mains) == 0 && len(pkgs) == 1 && pkgs[0].importPath == "command-line-arguments" {
		fmt.Fprintf(p.errw, "go: no install location for .go files listed on command line (GOBIN not set)\n")
		return 1
	}
	for _, pk := range mains {
		name := g.binName(pk)
		if g.goos() == "windows" {
			name += ".exe"
		}
		var dest string
		switch {
		case g.sub == "install":
			bin := p.getenv("GOBIN")
			if bin == "" {
				bin = path.Join(g.gopath, "bin")
				if g.goos() != "linux" || g.goarch() != "amd64" {
					bin = path.Join(bin, g.goos()+"_"+g.goarch())
				}
			}
			dest = path.Join(bin, name)
		case hasOut && (strings.HasSuffix(out, "/") || p.isDir(out)):
			dest = path.Join(p.abs(out), name)
		case hasOut:
			dest = p.abs(out)
		default:
			dest = p.abs(name)
		}
		if g.flags["v"] == "true" {
			fmt.Fprintln(p.errw, pk.importPath)
		}
		if !g.writeBinary(pk, dest, "exe") {
			return 1
		}
	}
	return 0
}

// writeBinary writes the artefact of building main package pk (and what it imports).
func (g *goCmd) writeBinary(pk *goPkg, dest, kind string) bool {
	p := g.p
	local, std := g.closure([]*goPkg{pk})
	var roots []string
	for _, l := range local {
		roots = append(roots, l.files...)
		roots = append(roots, l.embeds...)
	}
	if g.modRoot != "" {
		for _, f := range []string{"go.mod", "go.sum", "vendor/modules.txt"} {
			roots = append(roots, path.Join(g.modRoot, f))
		}
	}
	extra := []string{"go" + g.ver, kind, pk.importPath}
	for _, f := range goOutputFlags {
		if v, ok := g.flags[f]; ok {
			extra = append(extra, "-"+f+"="+v)
		}
	}
	extra = append(extra, p.envPairs(goEnvOutput...)...)
	digest, ok := p.digestOf(roots, nil, extra...)
	if !ok {
		return false
	}
	// A stripped hello world is about 2 MB; the standard packages and modules it
	// imports add to it; symbols and DWARF (no -s -w) add about 40%, -race about 80%.
	size := 1300 * kib
	for im := range std {
		size += stdWeight[im]
		if stdWeight[im] == 0 {
			size += 40 * kib
		}
	}
	if g.modRoot != "" {
		if b, err := p.readFile(path.Join(g.modRoot, "go.mod")); err == nil {
			size += int64(len(requires(string(b)))) * 700 * kib
		}
	}
	ld := g.flags["ldflags"]
	if !(strings.Contains(ld, "-s") && strings.Contains(ld, "-w")) && !strings.Contains(ld, "-s") {
		size = sizeOf(size, 1.4)
	}
	if g.flags["race"] == "true" {
		size = sizeOf(size, 1.8)
	}
	if kind == "test" {
		size += 800 * kib
	}
	return p.writeArtefact(dest, artefact("go", kind+":"+pk.importPath, digest, size, 256*kib), 0o755)
}

// test prints go test's result line per package; -c writes the test binary instead.
func (g *goCmd) test(pkgs []*goPkg) int {
	p := g.p
	if g.flags["c"] == "true" {
		for _, pk := range pkgs {
			dest := p.abs(path.Base(pk.importPath) + ".test")
			if o, ok := g.flags["o"]; ok {
				dest = p.abs(o)
				if strings.HasSuffix(o, "/") || p.isDir(o) {
					dest = path.Join(dest, path.Base(pk.importPath)+".test")
				}
			}
			if !g.writeBinary(pk, dest, "test") {
				return 1
			}
		}
		return 0
	}
	for _, pk := range pkgs {
		if !pk.tests {
			p.outf("?   \t%s\t[no test files]\n", pk.importPath)
			continue
		}
		if g.flags["v"] == "true" {
			p.outf("=== RUN   TestLayerlab\n--- PASS: TestLayerlab (0.00s)\nPASS\n")
		}
		cover := ""
		if g.flags["cover"] == "true" || g.flags["coverprofile"] != "" {
			cover = "\tcoverage: 0.0% of statements"
		}
		p.outf("ok  \t%s\t0.%03ds%s\n", pk.importPath, 10+seedOf(pk.importPath)%90, cover)
		fmt.Fprintf(p.errw, "layerlab: go test ran no tests: the sandbox compiles Go but does not execute it; it reports each package as passing\n")
	}
	if cp := g.flags["coverprofile"]; cp != "" {
		p.putText(p.abs(cp), "mode: "+map[bool]string{true: g.flags["covermode"], false: "set"}[g.flags["covermode"] != ""]+"\n")
	}
	return 0
}

// modCachePath escapes a module path for the module cache (uppercase letters become
// !lowercase, as cmd/go's module.EscapePath does).
func modCachePath(mod string) string {
	var b strings.Builder
	for _, r := range mod {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('!')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// download fills the module cache with the requirements of go.mod, as `go mod
// download` does and as go build does for a module missing from the cache.
func (g *goCmd) download(verbose bool) int {
	p := g.p
	b, err := p.readFile(path.Join(g.modRoot, "go.mod"))
	if err != nil {
		fmt.Fprintln(p.errw, goModMissing)
		return 1
	}
	modcache := p.getenv("GOMODCACHE")
	if modcache == "" {
		modcache = path.Join(g.gopath, "pkg/mod")
	}
	for _, r := range requires(string(b)) {
		dir := path.Join(modcache, modCachePath(r[0])+"@"+r[1])
		if p.isDir(dir) {
			continue
		}
		if !verbose {
			fmt.Fprintf(p.errw, "go: downloading %s %s\n", r[0], r[1])
		}
		size := 200*kib + int64(seedOf(r[0])%uint64(3*mib))
		if err := p.put(dir+"/layerlab-module.go", rootfs.Generated{Seed: seedOf(r[0], r[1]), N: size}, 0o444, p.s.uid, p.s.gid); err != nil {
			p.errf("write %s: %s", dir, errno(err))
			return 1
		}
		dl := path.Join(modcache, "cache/download", modCachePath(r[0]), "@v", r[1])
		p.putText(dl+".mod", "module "+r[0]+"\n")
		p.put(dl+".zip", rootfs.Generated{Seed: seedOf("zip", r[0], r[1]), N: size / 3}, 0o644, p.s.uid, p.s.gid)
	}
	return 0
}

// mod runs go mod download, tidy, verify, init, vendor, graph.
func (g *goCmd) mod(args []string) int {
	p := g.p
	if len(args) == 0 {
		p.outf("Go mod provides access to operations on modules.\n")
		return 2
	}
	g.findModule()
	sub := args[0]
	if sub == "init" {
		return g.modInit(args[1:])
	}
	if g.modRoot == "" {
		fmt.Fprintln(p.errw, goModMissing)
		return 1
	}
	for _, a := range args[1:] {
		if strings.HasPrefix(a, "-") && a != "-x" && a != "-json" && a != "-v" && a != "-e" {
			fmt.Fprintf(p.errw, "flag provided but not defined: %s\nusage: go mod %s\n", a, sub)
			return 2
		}
	}
	switch sub {
	case "download":
		return g.download(true)
	case "verify":
		if code := g.download(true); code != 0 {
			return code
		}
		p.outf("all modules verified\n")
		return 0
	case "tidy":
		if code := g.download(false); code != 0 {
			return code
		}
		return g.writeSums()
	case "vendor":
		b, _ := p.readFile(path.Join(g.modRoot, "go.mod"))
		var list strings.Builder
		for _, r := range requires(string(b)) {
			fmt.Fprintf(&list, "# %s %s\n## explicit\n", r[0], r[1])
			p.put(path.Join(g.modRoot, "vendor", r[0], "layerlab-module.go"), rootfs.Generated{Seed: seedOf(r[0], r[1]), N: 200*kib + int64(seedOf(r[0])%uint64(3*mib))}, 0o644, p.s.uid, p.s.gid)
		}
		p.putText(path.Join(g.modRoot, "vendor/modules.txt"), list.String())
		return 0
	case "graph":
		b, _ := p.readFile(path.Join(g.modRoot, "go.mod"))
		for _, r := range requires(string(b)) {
			p.outf("%s %s@%s\n", g.modPath, r[0], r[1])
		}
		return 0
	}
	fmt.Fprintf(p.errw, "go mod %s: unknown command\nRun 'go help mod' for usage.\n", sub)
	return 2
}

// writeSums adds a go.sum line pair for each requirement missing from go.sum.
func (g *goCmd) writeSums() int {
	p := g.p
	b, _ := p.readFile(path.Join(g.modRoot, "go.mod"))
	sum, _ := p.readFile(path.Join(g.modRoot, "go.sum"))
	text := string(sum)
	changed := false
	for _, r := range requires(string(b)) {
		if strings.Contains(text, r[0]+" "+r[1]+" ") {
			continue
		}
		changed = true
		text += fmt.Sprintf("%s %s h1:%x=\n%s %s/go.mod h1:%x=\n", r[0], r[1], seedOf("sum", r[0], r[1]), r[0], r[1], seedOf("modsum", r[0], r[1]))
	}
	if changed {
		if err := p.putText(path.Join(g.modRoot, "go.sum"), text); err != nil {
			p.errf("write go.sum: %s", errno(err))
			return 1
		}
	}
	return 0
}

func (g *goCmd) modInit(args []string) int {
	p := g.p
	if g.modRoot == p.dir {
		fmt.Fprintf(p.errw, "go: %s already exists\n", path.Join(p.dir, "go.mod"))
		return 1
	}
	name := ""
	if len(args) > 0 {
		name = args[0]
	} else if r, ok := strings.CutPrefix(p.dir, g.gopath+"/src/"); ok {
		name = r
	} else {
		fmt.Fprintf(p.errw, "go: cannot determine module path for source directory %s (outside GOPATH, module path must be specified)\n\nExample usage:\n\t'go mod init example.com/m' to initialize a v0 or v1 module\n\t'go mod init example.com/m/v2' to initialize a v2 module\n\nRun 'go help mod init' for more information.\n", p.dir)
		return 1
	}
	parts := strings.Split(g.ver, ".")
	goLine := g.ver
	if len(parts) >= 2 {
		goLine = parts[0] + "." + parts[1]
		if g.minor() >= 21 && len(parts) >= 3 {
			goLine = g.ver
		}
	}
	fmt.Fprintf(p.errw, "go: creating new go.mod: module %s\n", name)
	if err := p.putText(p.abs("go.mod"), "module "+name+"\n\ngo "+goLine+"\n"); err != nil {
		p.errf("write go.mod: %s", errno(err))
		return 1
	}
	return 0
}

// synthVersion is the version a synthesized module resolves to for @latest: the
// playground has no network, so it is derived from the module path.
func synthVersion(mod string) string {
	s := seedOf("gover", mod)
	return fmt.Sprintf("v1.%d.%d", s%20, (s/20)%10)
}

// get adds modules to go.mod (module mode); for Go before 1.18 outside a module it
// builds and installs the command, as GOPATH-mode go get did.
func (g *goCmd) get(args []string) int {
	p := g.p
	g.findModule()
	var mods []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			switch strings.TrimLeft(a, "-") {
			case "u", "d", "t", "v", "x", "insecure", "u=patch":
				continue
			}
			fmt.Fprintf(p.errw, "flag provided but not defined: %s\nusage: go get [-t] [-u] [-v] [build flags] [packages]\n", a)
			return 2
		}
		mods = append(mods, a)
	}
	if g.modRoot == "" && g.moduleMode() {
		fmt.Fprintf(p.errw, "go: go.mod file not found in current directory or any parent directory.\n\t'go get' is no longer supported outside a module.\n\tTo build and install a command, use 'go install' with a version,\n\tlike 'go install example.com/cmd@latest'\n\tFor more information, see https://golang.org/doc/go-get-install-deprecation\n\tor run 'go help get' or 'go help install'.\n")
		return 1
	}
	for _, m := range mods {
		mod, ver, _ := strings.Cut(m, "@")
		if ver == "" || ver == "latest" || ver == "upgrade" {
			ver = synthVersion(mod)
		}
		if g.modRoot == "" {
			// GOPATH mode: download into GOPATH/src and install commands
			fmt.Fprintf(p.errw, "layerlab: %s synthesized (the playground has no network)\n", mod)
			dest := path.Join(g.gopath, "bin", path.Base(mod))
			if !p.writeArtefact(dest, artefact("go-get", mod, ver, 4*mib, 4*mib), 0o755) {
				return 1
			}
			continue
		}
		gomod := path.Join(g.modRoot, "go.mod")
		b, _ := p.readFile(gomod)
		text := string(b)
		if strings.Contains(text, mod+" ") {
			continue
		}
		if !strings.HasSuffix(text, "\n") {
			text += "\n"
		}
		text += "\nrequire " + mod + " " + ver + "\n"
		if err := p.putText(gomod, text); err != nil {
			p.errf("write go.mod: %s", errno(err))
			return 1
		}
		fmt.Fprintf(p.errw, "go: downloading %s %s\ngo: added %s %s\nlayerlab: %s %s synthesized (the playground has no network)\n", mod, ver, mod, ver, mod, ver)
	}
	if g.modRoot != "" {
		if code := g.download(true); code != 0 {
			return code
		}
		return g.writeSums()
	}
	return 0
}

// installRemote is `go install path@version`: the module is synthesized (no network)
// and its command written to GOBIN, a function of the path and version.
func (g *goCmd) installRemote(arg string) int {
	p := g.p
	mod, ver, _ := strings.Cut(arg, "@")
	if ver == "latest" || ver == "" {
		ver = synthVersion(mod)
	}
	bin := p.getenv("GOBIN")
	if bin == "" {
		bin = path.Join(g.gopath, "bin")
	}
	fmt.Fprintf(p.errw, "go: downloading %s %s\nlayerlab: %s %s synthesized (the playground has no network)\n", mod, ver, mod, ver)
	name := path.Base(mod)
	if len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" {
		name = path.Base(path.Dir(mod))
	}
	extra := append([]string{"go" + g.ver}, p.envPairs(goEnvOutput...)...)
	digest, _ := p.inputsDigest(nil, nil, append(extra, mod, ver)...)
	if !p.writeArtefact(path.Join(bin, name), artefact("go", "install:"+mod, digest, 4*mib, 6*mib), 0o755) {
		return 1
	}
	return 0
}

// env prints go env, all of it or the named variables.
func (g *goCmd) env(args []string) int {
	p := g.p
	g.findModule()
	gomod := "/dev/null"
	if g.modRoot != "" {
		gomod = path.Join(g.modRoot, "go.mod")
	}
	cgo := p.getenv("CGO_ENABLED")
	if cgo == "" {
		cgo = "0"
		if _, ok := p.s.lookPath(p.getenv("PATH"), p.dir, "gcc"); ok {
			cgo = "1"
		}
	}
	home := p.getenv("HOME")
	vars := map[string]string{
		"GOARCH": g.goarch(), "GOOS": g.goos(), "GOPATH": g.gopath, "GOROOT": "/usr/local/go",
		"GOBIN": p.getenv("GOBIN"), "GOCACHE": firstNonEmpty(p.getenv("GOCACHE"), home+"/.cache/go-build"),
		"GOMODCACHE": firstNonEmpty(p.getenv("GOMODCACHE"), g.gopath+"/pkg/mod"), "CGO_ENABLED": cgo,
		"GOFLAGS": p.getenv("GOFLAGS"), "GOPROXY": firstNonEmpty(p.getenv("GOPROXY"), "https://proxy.golang.org,direct"),
		"GO111MODULE": p.getenv("GO111MODULE"), "GOVERSION": "go" + g.ver, "GOMOD": gomod,
		"GOHOSTOS": "linux", "GOHOSTARCH": "amd64", "GOTOOLCHAIN": firstNonEmpty(p.getenv("GOTOOLCHAIN"), "local"),
	}
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			return p.unsupported("env " + a)
		}
	}
	if len(args) > 0 {
		for _, a := range args {
			p.outf("%s\n", vars[a])
		}
		return 0
	}
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p.outf("%s='%s'\n", k, vars[k])
	}
	return 0
}

func firstNonEmpty(a ...string) string {
	for _, s := range a {
		if s != "" {
			return s
		}
	}
	return ""
}

// clean removes the build or module cache.
func (g *goCmd) clean(args []string) int {
	p := g.p
	for _, a := range args {
		switch strings.TrimLeft(a, "-") {
		case "cache":
			p.removeAll(firstNonEmpty(p.getenv("GOCACHE"), p.getenv("HOME")+"/.cache/go-build"))
		case "modcache":
			p.removeAll(firstNonEmpty(p.getenv("GOMODCACHE"), g.gopath+"/pkg/mod"))
		case "testcache", "i", "r", "x", "n":
		default:
			return p.unsupported("clean " + a)
		}
	}
	return 0
}
