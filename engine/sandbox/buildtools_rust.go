package sandbox

import (
	"encoding/json"
	"fmt"
	"path"
	"sort"
	"strings"
)

// Rust: cargo (build, install, fetch, new, init, chef), rustc and rustup. A binary is an
// artefact of the package's sources (src/, build.rs, benches and examples are not
// read), Cargo.toml, Cargo.lock, the profile, target, features and RUSTFLAGS;
// dependencies compile to target/<profile>/deps as artefacts of their name, version,
// profile and target only, so `cargo chef cook`, which builds them from a recipe made
// of the manifests alone, caches across source edits as the real tool does.

func init() {
	register(map[string]cmdFunc{"cargo": cmdCargo, "rustc": cmdRustc, "rustup": cmdRustup, "cargo-chef": cmdCargoChef})
}

// tomlTable is one [table] or [[array-table]] of a TOML file, with its top-level keys'
// raw values (strings unquoted). Enough of TOML for Cargo manifests and lockfiles.
type tomlTable struct {
	name  string
	array bool
	kv    map[string]string
	keys  []string
}

// parseTOML reads tables and their keys; values spanning lines (arrays, inline tables,
// multi-line strings) are kept whole.
func parseTOML(text string) []*tomlTable {
	cur := &tomlTable{kv: map[string]string{}}
	out := []*tomlTable{cur}
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "[") && !strings.Contains(l, "=") {
			arr := strings.HasPrefix(l, "[[")
			name := strings.Trim(strings.SplitN(l, "#", 2)[0], "[] \t")
			cur = &tomlTable{name: name, array: arr, kv: map[string]string{}}
			out = append(out, cur)
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			continue
		}
		k, v = strings.Trim(strings.TrimSpace(k), `"`), strings.TrimSpace(v)
		switch {
		case strings.HasPrefix(v, `"""`) && !(len(v) >= 6 && strings.HasSuffix(v, `"""`)):
			for i+1 < len(lines) {
				i++
				v += "\n" + lines[i]
				if strings.Contains(lines[i], `"""`) {
					break
				}
			}
		case strings.HasPrefix(v, "[") || strings.HasPrefix(v, "{"):
			for depth(v) > 0 && i+1 < len(lines) {
				i++
				v += "\n" + strings.TrimSpace(lines[i])
			}
		default:
			if j := strings.Index(v, " #"); j >= 0 && !strings.HasPrefix(v, `"`) {
				v = strings.TrimSpace(v[:j])
			}
			if strings.HasPrefix(v, `"`) {
				if j := strings.Index(v[1:], `"`); j >= 0 {
					v = v[1 : j+1]
				}
			}
			v = strings.Trim(v, `'`)
		}
		cur.kv[k] = v
		cur.keys = append(cur.keys, k)
	}
	return out
}

// depth counts unclosed [ and { outside strings.
func depth(s string) int {
	d, inStr := 0, false
	for _, c := range s {
		switch {
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '[' || c == '{':
			d++
		case c == ']' || c == '}':
			d--
		}
	}
	return d
}

func tomlFind(ts []*tomlTable, name string) *tomlTable {
	for _, t := range ts {
		if t.name == name && !t.array {
			return t
		}
	}
	return nil
}

// crate is a Cargo package as its manifest describes it.
type crate struct {
	dir     string // absolute
	name    string
	version string
	bins    []string // binary target names
	lib     string   // library target name ("" when none)
	deps    [][2]string
	members []string // workspace members (directories)
}

// readCrate reads dir/Cargo.toml and the targets Cargo infers from the layout.
func (p *proc) readCrate(dir string) (*crate, error) {
	b, err := p.readFile(path.Join(dir, "Cargo.toml"))
	if err != nil {
		return nil, err
	}
	ts := parseTOML(string(b))
	c := &crate{dir: dir}
	if pk := tomlFind(ts, "package"); pk != nil {
		c.name, c.version = pk.kv["name"], pk.kv["version"]
	}
	if c.version == "" || strings.HasPrefix(c.version, "{") {
		c.version = "0.1.0"
	}
	if ws := tomlFind(ts, "workspace"); ws != nil {
		for _, m := range strings.Split(strings.Trim(ws.kv["members"], "[]"), ",") {
			if m = strings.Trim(strings.TrimSpace(m), `"`); m != "" {
				c.members = append(c.members, m)
			}
		}
	}
	explicit := false
	for _, t := range ts {
		switch {
		case t.name == "bin" && t.array:
			explicit = true
			if n := t.kv["name"]; n != "" {
				c.bins = append(c.bins, n)
			}
		case t.name == "lib":
			c.lib = t.kv["name"]
			if c.lib == "" {
				c.lib = strings.ReplaceAll(c.name, "-", "_")
			}
		case t.name == "dependencies" || t.name == "build-dependencies" || strings.HasSuffix(t.name, ".dependencies") && !strings.Contains(t.name, "dev-"):
			for _, k := range t.keys {
				c.deps = append(c.deps, [2]string{k, depVersion(t.kv[k])})
			}
		}
	}
	if c.name == "" {
		return c, nil
	}
	if !explicit && p.isFile(path.Join(dir, "src/main.rs")) {
		c.bins = append(c.bins, c.name)
	}
	for _, n := range p.listDir(path.Join(dir, "src/bin")) {
		if strings.HasSuffix(n, ".rs") {
			c.bins = append(c.bins, strings.TrimSuffix(n, ".rs"))
		} else if p.isFile(path.Join(dir, "src/bin", n, "main.rs")) {
			c.bins = append(c.bins, n)
		}
	}
	if c.lib == "" && p.isFile(path.Join(dir, "src/lib.rs")) {
		c.lib = strings.ReplaceAll(c.name, "-", "_")
	}
	return c, nil
}

// depVersion reads a dependency's version requirement ("1.0", { version = "1" }).
func depVersion(v string) string {
	if i := strings.Index(v, "version"); i >= 0 && strings.HasPrefix(v, "{") {
		rest := v[i+len("version"):]
		if _, after, ok := strings.Cut(rest, `"`); ok {
			v, _, _ = strings.Cut(after, `"`)
		}
	} else if strings.HasPrefix(v, "{") {
		v = "0.1.0" // a path or git dependency
	}
	v = strings.TrimLeft(v, "^~=<> ")
	for strings.Count(v, ".") < 2 {
		v += ".0"
	}
	return v
}

// lockVersions reads Cargo.lock's [[package]] versions by name.
func lockVersions(text string) map[string]string {
	out := map[string]string{}
	for _, t := range parseTOML(text) {
		if t.name == "package" && t.array {
			out[t.kv["name"]] = t.kv["version"]
		}
	}
	return out
}

// cargoArgs is one cargo build's options.
type cargoArgs struct {
	release      bool
	profile      string
	target       string
	targetDir    string
	features     string
	manifestPath string
	bins         []string
	locked       bool
	quiet        bool
}

// parseCargoArgs reads cargo build's flags; an unknown one fails naming it.
func (p *proc) parseCargoArgs(args []string) (cargoArgs, bool) {
	var a cargoArgs
	for i := 0; i < len(args); i++ {
		k, v, hasV := strings.Cut(args[i], "=")
		val := func() string {
			if hasV {
				return v
			}
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch k {
		case "--release", "-r":
			a.release = true
		case "--profile":
			a.profile = val()
		case "--target":
			a.target = val()
		case "--target-dir":
			a.targetDir = val()
		case "--features", "-F":
			a.features += "," + val()
		case "--all-features", "--no-default-features":
			a.features += "," + k
		case "--manifest-path":
			a.manifestPath = val()
		case "--bin":
			a.bins = append(a.bins, val())
		case "--locked", "--frozen":
			a.locked = true
		case "-q", "--quiet":
			a.quiet = true
		case "-p", "--package", "-j", "--jobs", "--color", "--message-format", "--config", "-Z":
			val()
		case "--offline", "--bins", "--workspace", "--all", "--all-targets", "-v", "-vv", "--verbose", "--lib", "--timings", "--keep-going", "--no-track", "--force", "-f", "--debug":
		default:
			fmt.Fprintf(p.errw, "error: unexpected argument '%s' found\n\nUsage: cargo build [OPTIONS]\n\nFor more information, try '--help'.\n", args[i])
			return a, false
		}
	}
	if a.profile == "" {
		a.profile = "dev"
		if a.release {
			a.profile = "release"
		}
	}
	return a, true
}

// profileDir is the target subdirectory of a profile (dev builds go to debug/).
func (a cargoArgs) profileDir() string {
	d := a.profile
	if d == "dev" || d == "test" {
		d = "debug"
	}
	if a.target != "" {
		return path.Join(a.target, d)
	}
	return d
}

// findManifest looks for Cargo.toml from the working directory up.
func (p *proc) findManifest(manifestPath string) (string, bool) {
	if manifestPath != "" {
		return path.Dir(p.abs(manifestPath)), p.isFile(manifestPath)
	}
	for dir := p.dir; ; dir = path.Dir(dir) {
		if p.isFile(path.Join(dir, "Cargo.toml")) {
			return dir, true
		}
		if dir == "/" {
			return "", false
		}
	}
}

func (p *proc) cargoHome() string {
	if h := p.getenv("CARGO_HOME"); h != "" {
		return h
	}
	return path.Join(p.getenv("HOME"), ".cargo")
}

func cmdCargo(p *proc) int {
	if len(p.args) == 0 {
		p.outf("Rust's package manager\n\nUsage: cargo [+toolchain] [OPTIONS] [COMMAND]\n")
		return 0
	}
	sub, args := p.args[0], p.args[1:]
	switch sub {
	case "--version", "-V", "version":
		p.outf("cargo %s\n", p.rustVersion())
		return 0
	case "build", "b":
		return p.cargoBuild(args, "")
	case "install":
		return p.cargoInstall(args)
	case "fetch":
		dir, ok := p.findManifest("")
		if !ok {
			return p.noManifest()
		}
		c, err := p.readCrate(dir)
		if err != nil {
			return p.noManifest()
		}
		return p.cargoFetch(c, false)
	case "new", "init":
		return p.cargoNew(sub, args)
	case "chef":
		if _, ok := p.s.lookPath(p.getenv("PATH"), p.dir, "cargo-chef"); !ok {
			fmt.Fprintf(p.errw, "error: no such command: `chef`\n\n\tView all installed commands with `cargo --list`\n\tFind a package to install `chef` with `cargo search cargo-chef`\n")
			return 101
		}
		c := *p
		c.name, c.args = "cargo-chef", p.args
		return cmdCargoChef(&c)
	case "test", "check", "clippy", "fmt", "doc":
		dir, ok := p.findManifest("")
		if !ok {
			return p.noManifest()
		}
		fmt.Fprintf(p.errw, "    Finished `dev` profile [unoptimized + debuginfo] target(s) in 0.50s\n")
		if sub == "test" {
			fmt.Fprintf(p.errw, "layerlab: cargo test ran no tests: the sandbox compiles Rust but does not execute it\n")
			p.outf("\nrunning 0 tests\n\ntest result: ok. 0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n\n")
		}
		_ = dir
		return 0
	case "run":
		p.errf("run: the layerlab sandbox compiles Rust programs but cannot run them")
		return 101
	}
	fmt.Fprintf(p.errw, "error: no such command: `%s`\n\n\tView all installed commands with `cargo --list`\n", sub)
	return 101
}

func (p *proc) rustVersion() string {
	return p.toolVersion("RUST_VERSION", "1.80.1")
}

func (p *proc) noManifest() int {
	fmt.Fprintf(p.errw, "error: could not find `Cargo.toml` in `%s` or any parent directory\n", p.dir)
	return 101
}

// cargoFetch downloads the crate's dependencies into CARGO_HOME's registry.
func (p *proc) cargoFetch(c *crate, quiet bool) int {
	lock, _ := p.readFile(path.Join(c.dir, "Cargo.lock"))
	locked := lockVersions(string(lock))
	reg := path.Join(p.cargoHome(), "registry")
	for i, d := range c.deps {
		ver := d[1]
		if v, ok := locked[d[0]]; ok {
			ver = v
			c.deps[i][1] = v
		}
		dst := path.Join(reg, "cache/index.crates.io-6f17d22bba15001f", d[0]+"-"+ver+".crate")
		if p.isFile(dst) {
			continue
		}
		if !quiet {
			fmt.Fprintf(p.errw, "  Downloaded %s v%s\n", d[0], ver)
		}
		size := 30*kib + int64(seedOf("crate", d[0])%uint64(600*kib))
		if !p.writeArtefact(dst, artefact("crate", d[0], ver, size, 0), 0o644) {
			return 101
		}
	}
	return 0
}

// cargoBuild builds the package at the manifest's directory; installRoot, when set,
// copies the binaries to installRoot/bin (cargo install --path).
func (p *proc) cargoBuild(args []string, installRoot string) int {
	a, ok := p.parseCargoArgs(args)
	if !ok {
		return 1
	}
	if installRoot != "" {
		a.release, a.profile = true, "release"
	}
	dir, ok := p.findManifest(a.manifestPath)
	if !ok {
		return p.noManifest()
	}
	c, err := p.readCrate(dir)
	if err != nil {
		return p.noManifest()
	}
	if c.name == "" && len(c.members) == 0 {
		fmt.Fprintf(p.errw, "error: failed to parse manifest at `%s/Cargo.toml`\n\nCaused by:\n  missing field `name`\n", dir)
		return 101
	}
	crates := []*crate{c}
	for _, m := range c.members {
		mc, err := p.readCrate(path.Join(dir, m))
		if err != nil {
			fmt.Fprintf(p.errw, "error: failed to load manifest for workspace member `%s/%s`\n", dir, m)
			return 101
		}
		crates = append(crates, mc)
	}
	lockPath := path.Join(dir, "Cargo.lock")
	if !p.isFile(lockPath) {
		if a.locked {
			fmt.Fprintf(p.errw, "error: the lock file %s needs to be updated but --locked was passed to prevent this\n", lockPath)
			return 101
		}
		var lock strings.Builder
		lock.WriteString("# This file is automatically @generated by Cargo.\n# It is not intended for manual editing.\nversion = 4\n")
		var all [][2]string
		for _, cr := range crates {
			if cr.name != "" {
				all = append(all, [2]string{cr.name, cr.version})
			}
			all = append(all, cr.deps...)
		}
		sort.Slice(all, func(i, j int) bool { return all[i][0] < all[j][0] })
		for _, d := range all {
			fmt.Fprintf(&lock, "\n[[package]]\nname = %q\nversion = %q\n", d[0], d[1])
		}
		if err := p.putText(lockPath, lock.String()); err != nil {
			p.errf("write Cargo.lock: %s", errno(err))
			return 101
		}
	}
	if len(c.deps) > 0 && !a.quiet {
		fmt.Fprintf(p.errw, "    Updating crates.io index\n")
	}
	targetDir := path.Join(dir, "target")
	if a.targetDir != "" {
		targetDir = p.abs(a.targetDir)
	} else if v := p.getenv("CARGO_TARGET_DIR"); v != "" {
		targetDir = p.abs(v)
	}
	out := path.Join(targetDir, a.profileDir())
	env := p.envPairs("RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_PROFILE_RELEASE_LTO", "CARGO_PROFILE_RELEASE_OPT_LEVEL", "CARGO_PROFILE_RELEASE_STRIP", "SQLX_OFFLINE")
	flagsKey := []string{"rust" + p.rustVersion(), "profile=" + a.profile, "target=" + a.target, "features=" + a.features}
	var wanted []string
	for _, cr := range crates {
		if code := p.cargoFetch(cr, a.quiet); code != 0 {
			return code
		}
		for _, d := range cr.deps {
			if !p.cargoDep(out, d, flagsKey, env, a.quiet) {
				return 101
			}
		}
		if cr.name == "" {
			continue
		}
		if !a.quiet {
			fmt.Fprintf(p.errw, "   Compiling %s v%s (%s)\n", cr.name, cr.version, cr.dir)
		}
		roots := []string{path.Join(cr.dir, "src"), path.Join(cr.dir, "build.rs"), path.Join(cr.dir, "Cargo.toml"), lockPath}
		if cr.dir != dir {
			roots = append(roots, path.Join(dir, "Cargo.toml"))
		}
		digest, ok := p.digestOf(roots, nil, append(append(flagsKey, env...), cr.name, cr.version)...)
		if !ok {
			return 101
		}
		// A release hello world is about 450 kB; each dependency adds to it; a dev
		// build carries debug info (about 3x).
		size := 450*kib + int64(len(cr.deps))*500*kib
		if a.profile != "release" {
			size *= 3
		}
		if cr.lib != "" {
			if !p.writeArtefact(path.Join(out, "lib"+cr.lib+".rlib"), artefact("rustc", "lib:"+cr.lib, digest, size/2, 64*kib), 0o644) {
				return 101
			}
		}
		for _, b := range cr.bins {
			if len(a.bins) > 0 && !contains(a.bins, b) {
				continue
			}
			wanted = append(wanted, b)
			if !p.writeArtefact(path.Join(out, b), artefact("rustc", "bin:"+b, digest, size, 256*kib), 0o755) {
				return 101
			}
			if installRoot != "" {
				src, _ := p.s.stat(path.Join(out, b))
				if src == nil || !p.writeArtefact(path.Join(installRoot, "bin", b), src.Data, 0o755) {
					return 101
				}
				fmt.Fprintf(p.errw, "  Installing %s\n", path.Join(installRoot, "bin", b))
			}
		}
	}
	for _, b := range a.bins {
		if !contains(wanted, b) {
			fmt.Fprintf(p.errw, "error: no bin target named `%s`\n", b)
			return 101
		}
	}
	if !a.quiet {
		prof := "`dev` profile [unoptimized + debuginfo]"
		if a.profile == "release" {
			prof = "`release` profile [optimized]"
		}
		fmt.Fprintf(p.errw, "    Finished %s target(s) in %d.%02ds\n", prof, 5+seedOf(c.name)%40, seedOf(c.version)%100)
	}
	return 0
}

// cargoDep compiles one dependency into target/<profile>/deps, unless an earlier build
// (or cargo chef cook) left it there: its bytes depend on name, version and flags only.
func (p *proc) cargoDep(out string, d [2]string, flagsKey, env []string, quiet bool) bool {
	digest, _ := p.inputsDigest(nil, nil, append(append(append([]string(nil), flagsKey...), env...), d[0], d[1])...)
	file := path.Join(out, "deps", fmt.Sprintf("lib%s-%.16s.rlib", strings.ReplaceAll(d[0], "-", "_"), digest))
	if p.isFile(file) {
		return true
	}
	if !quiet {
		fmt.Fprintf(p.errw, "   Compiling %s v%s\n", d[0], d[1])
	}
	size := 100*kib + int64(seedOf("rlib", d[0])%uint64(3*mib))
	return p.writeArtefact(file, artefact("rustc", "dep:"+d[0], digest, size, 0), 0o644)
}

// cargoInstall is `cargo install --path DIR` (a release build copied to
// CARGO_HOME/bin) or `cargo install NAME...` (crates.io: synthesized, no network).
func (p *proc) cargoInstall(args []string) int {
	root := p.cargoHome()
	var names, rest []string
	pathArg := ""
	version := ""
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--path" && i+1 < len(args):
			i++
			pathArg = args[i]
		case strings.HasPrefix(a, "--path="):
			pathArg = strings.TrimPrefix(a, "--path=")
		case a == "--root" && i+1 < len(args):
			i++
			root = p.abs(args[i])
		case (a == "--version" || a == "--vers") && i+1 < len(args):
			i++
			version = args[i]
		case a == "--locked" || a == "--force" || a == "-f" || a == "--no-track" || a == "--quiet" || a == "-q":
		case strings.HasPrefix(a, "-"):
			rest = append(rest, a)
		default:
			names = append(names, a)
		}
	}
	if pathArg != "" {
		c := *p
		c.dir = p.abs(pathArg)
		return c.cargoBuild(rest, root)
	}
	if len(rest) > 0 {
		fmt.Fprintf(p.errw, "error: unexpected argument '%s' found\n", rest[0])
		return 1
	}
	if len(names) == 0 {
		fmt.Fprintf(p.errw, "error: Using `cargo install` to install the binaries from the package in current working directory is no longer supported, use `cargo install --path .` instead. Use `cargo build` if you want to simply build the package.\n")
		return 101
	}
	for _, n := range names {
		n, ver, _ := strings.Cut(n, "@")
		if ver == "" {
			ver = version
		}
		if ver == "" {
			s := seedOf("crate-latest", n)
			ver = fmt.Sprintf("0.%d.%d", s%30, (s/30)%10)
		}
		fmt.Fprintf(p.errw, "    Updating crates.io index\n  Downloaded %s v%s\n  Installing %s v%s\nlayerlab: %s v%s synthesized (the playground has no network)\n", n, ver, n, ver, n, ver)
		if !p.writeArtefact(path.Join(root, "bin", n), artefact("cargo-install", n, ver, 2*mib, 6*mib), 0o755) {
			return 101
		}
		fmt.Fprintf(p.errw, "   Installed package `%s v%s` (executable `%s`)\n", n, ver, n)
	}
	return 0
}

// cargoNew is cargo new NAME / cargo init [DIR]: a manifest and a hello-world source.
func (p *proc) cargoNew(sub string, args []string) int {
	lib, vcs := false, true
	name, dir := "", ""
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--bin":
		case a == "--lib":
			lib = true
		case a == "--vcs" && i+1 < len(args):
			i++
			vcs = args[i] != "none"
		case a == "--name" && i+1 < len(args):
			i++
			name = args[i]
		case a == "--edition" && i+1 < len(args):
			i++
		case a == "--quiet" || a == "-q":
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(p.errw, "error: unexpected argument '%s' found\n", a)
			return 1
		default:
			dir = a
		}
	}
	if sub == "new" && dir == "" {
		fmt.Fprintf(p.errw, "error: the following required arguments were not provided:\n  <PATH>\n\nUsage: cargo new <PATH>\n")
		return 1
	}
	if dir == "" {
		dir = "."
	}
	abs := p.abs(dir)
	if name == "" {
		name = path.Base(abs)
	}
	if sub == "new" && p.s.exists(abs) {
		fmt.Fprintf(p.errw, "error: destination `%s` already exists\n\nUse `cargo init` to initialize the directory\n", abs)
		return 101
	}
	if p.isFile(path.Join(abs, "Cargo.toml")) {
		fmt.Fprintf(p.errw, "error: `cargo init` cannot be run on existing Cargo packages\n")
		return 101
	}
	edition := "2021"
	if v := p.rustVersion(); strings.HasPrefix(v, "1.") {
		var minor int
		fmt.Sscanf(strings.TrimPrefix(v, "1."), "%d", &minor)
		switch {
		case minor >= 85:
			edition = "2024"
		case minor < 56:
			edition = "2018"
		}
	}
	kind := "binary (application)"
	src, body := "src/main.rs", "fn main() {\n    println!(\"Hello, world!\");\n}\n"
	if lib {
		kind = "library"
		src, body = "src/lib.rs", "pub fn add(left: u64, right: u64) -> u64 {\n    left + right\n}\n"
	}
	files := [][2]string{
		{"Cargo.toml", fmt.Sprintf("[package]\nname = %q\nversion = \"0.1.0\"\nedition = %q\n\n[dependencies]\n", name, edition)},
		{src, body},
	}
	if vcs {
		files = append(files, [2]string{".gitignore", "/target\n"}, [2]string{".git/HEAD", "ref: refs/heads/master\n"})
	}
	for _, f := range files {
		if err := p.putText(path.Join(abs, f[0]), f[1]); err != nil {
			p.errf("write %s: %s", f[0], errno(err))
			return 101
		}
	}
	fmt.Fprintf(p.errw, "    Creating %s `%s` package\nnote: see more `Cargo.toml` keys and their definitions at https://doc.rust-lang.org/cargo/reference/manifest.html\n", kind, name)
	return 0
}

func cmdRustc(p *proc) int {
	var src, out string
	var extra []string
	for i := 0; i < len(p.args); i++ {
		switch a := p.args[i]; {
		case a == "--version" || a == "-V":
			p.outf("rustc %s\n", p.rustVersion())
			return 0
		case a == "-o" && i+1 < len(p.args):
			i++
			out = p.args[i]
		case (a == "-C" || a == "--edition" || a == "--crate-type" || a == "--target" || a == "--crate-name" || a == "--cfg") && i+1 < len(p.args):
			extra = append(extra, a+p.args[i+1])
			i++
		case strings.HasPrefix(a, "-C") || strings.HasPrefix(a, "--edition=") || a == "-O" || a == "-g":
			extra = append(extra, a)
		case strings.HasPrefix(a, "-"):
			return p.unsupported("option " + a)
		default:
			src = a
		}
	}
	if src == "" {
		p.errf("error: no input filename given")
		return 1
	}
	if !p.isFile(src) {
		fmt.Fprintf(p.errw, "error: couldn't read `%s`: No such file or directory (os error 2)\n", src)
		return 1
	}
	if out == "" {
		out = strings.TrimSuffix(path.Base(src), ".rs")
	}
	digest, ok := p.digestOf([]string{path.Dir(p.abs(src))}, []string{"target"}, append(extra, "rust"+p.rustVersion(), src)...)
	if !ok {
		return 1
	}
	if !p.writeArtefact(out, artefact("rustc", out, digest, 450*kib, 128*kib), 0o755) {
		return 1
	}
	return 0
}

func cmdRustup(p *proc) int {
	if len(p.args) == 0 {
		p.outf("rustup 1.27.1\n")
		return 0
	}
	home := p.getenv("RUSTUP_HOME")
	if home == "" {
		home = path.Join(p.getenv("HOME"), ".rustup")
	}
	tc := "stable-x86_64-unknown-linux-gnu"
	switch p.args[0] {
	case "--version", "-V":
		p.outf("rustup 1.27.1 (54dd3d00f 2024-04-24)\n")
		return 0
	case "target", "component":
		if len(p.args) < 3 || p.args[1] != "add" && p.args[1] != "install" {
			return p.unsupported(strings.Join(p.args, " "))
		}
		for _, t := range p.args[2:] {
			if strings.HasPrefix(t, "-") {
				continue
			}
			fmt.Fprintf(p.errw, "info: downloading component '%s'\ninfo: installing component '%s'\n", t, t)
			dir := path.Join(home, "toolchains", tc, "lib/rustlib", t)
			if p.args[0] == "component" {
				dir = path.Join(home, "toolchains", tc, "lib/rustlib/components", t)
			}
			if !p.writeArtefact(path.Join(dir, "lib/libstd.rlib"), artefact("rustup", t, p.rustVersion(), 20*mib, 20*mib), 0o644) {
				return 1
			}
		}
		return 0
	case "default", "toolchain", "update", "show", "override":
		if p.args[0] == "show" {
			p.outf("Default host: x86_64-unknown-linux-gnu\nrustup home:  %s\n\n%s (default)\nrustc %s\n", home, tc, p.rustVersion())
		}
		return 0
	}
	return p.unsupported(p.args[0])
}

// chefRecipe is cargo-chef's recipe.json: the manifests (versions of the local
// packages masked, as cargo-chef does, so a version bump does not invalidate it) and
// the lockfile; never the sources.
type chefRecipe struct {
	Skeleton struct {
		Manifests  []chefManifest `json:"manifests"`
		ConfigTOML string         `json:"config_file"`
		LockFile   string         `json:"lock_file"`
	} `json:"skeleton"`
}

type chefManifest struct {
	RelativePath string   `json:"relative_path"`
	Contents     string   `json:"contents"`
	Targets      []string `json:"targets"`
}

// cmdCargoChef is cargo-chef: `cargo chef prepare` and `cargo chef cook`.
func cmdCargoChef(p *proc) int {
	args := p.args
	if len(args) > 0 && args[0] == "chef" {
		args = args[1:]
	}
	if len(args) == 0 || args[0] == "--help" || args[0] == "-h" {
		p.outf("Usage: cargo chef <COMMAND>\n\nCommands:\n  prepare  Analyze the current project to determine the minimum subset of files\n  cook     Re-hydrate the minimum project skeleton identified by `cargo chef prepare` and build it\n")
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	recipe := "recipe.json"
	var rest []string
	for i := 1; i < len(args); i++ {
		if args[i] == "--recipe-path" && i+1 < len(args) {
			i++
			recipe = args[i]
			continue
		}
		if v, ok := strings.CutPrefix(args[i], "--recipe-path="); ok {
			recipe = v
			continue
		}
		rest = append(rest, args[i])
	}
	switch args[0] {
	case "prepare":
		for _, r := range rest {
			if r != "--bin" && !strings.HasPrefix(r, "--bin=") {
				fmt.Fprintf(p.errw, "error: unexpected argument '%s' found\n", r)
				return 2
			}
		}
		dir, ok := p.findManifest("")
		if !ok {
			return p.noManifest()
		}
		var r chefRecipe
		tomls := p.findFiles(dir, map[string]bool{"target": true, ".git": true, "node_modules": true}, func(n string) bool { return n == "Cargo.toml" })
		for _, rel := range tomls {
			b, _ := p.readFile(path.Join(dir, rel))
			c, _ := p.readCrate(path.Join(dir, path.Dir(rel)))
			m := chefManifest{RelativePath: rel, Contents: maskVersion(string(b))}
			if c != nil {
				m.Targets = append(m.Targets, c.bins...)
				if c.lib != "" {
					m.Targets = append(m.Targets, "lib:"+c.lib)
				}
			}
			r.Skeleton.Manifests = append(r.Skeleton.Manifests, m)
		}
		lock, _ := p.readFile(path.Join(dir, "Cargo.lock"))
		r.Skeleton.LockFile = string(lock)
		cfg, _ := p.readFile(path.Join(dir, ".cargo/config.toml"))
		r.Skeleton.ConfigTOML = string(cfg)
		b, _ := json.Marshal(r)
		if err := p.putText(p.abs(recipe), string(b)); err != nil {
			p.errf("write %s: %s", recipe, errno(err))
			return 1
		}
		return 0
	case "cook":
		b, err := p.readFile(recipe)
		if err != nil {
			fmt.Fprintf(p.errw, "Error: Failed to read recipe from %s\n\nCaused by:\n    No such file or directory (os error 2)\n", p.abs(recipe))
			return 1
		}
		var r chefRecipe
		if err := json.Unmarshal(b, &r); err != nil {
			fmt.Fprintf(p.errw, "Error: Failed to deserialize recipe.\n\nCaused by:\n    %v\n", err)
			return 1
		}
		// The skeleton: manifests, lockfile and empty targets, so cargo can resolve and
		// build the dependencies alone.
		for _, m := range r.Skeleton.Manifests {
			d := path.Join(p.dir, path.Dir(m.RelativePath))
			if err := p.putText(path.Join(p.dir, m.RelativePath), m.Contents); err != nil {
				p.errf("write %s: %s", m.RelativePath, errno(err))
				return 1
			}
			for _, t := range m.Targets {
				stub := path.Join(d, "src/main.rs")
				if strings.HasPrefix(t, "lib:") {
					stub = path.Join(d, "src/lib.rs")
				}
				if !p.isFile(stub) {
					p.putText(stub, "fn main() {}\n")
				}
			}
		}
		if r.Skeleton.LockFile != "" {
			p.putText(p.abs("Cargo.lock"), r.Skeleton.LockFile)
		}
		a, ok := p.parseCargoArgs(filterOut(rest, "--bin", "--no-std", "--zigbuild", "--check", "--tests", "--examples", "--benches"))
		if !ok {
			return 1
		}
		dir, _ := p.findManifest(a.manifestPath)
		c, err := p.readCrate(dir)
		if err != nil {
			return p.noManifest()
		}
		if code := p.cargoFetch(c, a.quiet); code != 0 {
			return code
		}
		targetDir := path.Join(dir, "target")
		if a.targetDir != "" {
			targetDir = p.abs(a.targetDir)
		}
		out := path.Join(targetDir, a.profileDir())
		env := p.envPairs("RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "CARGO_PROFILE_RELEASE_LTO", "CARGO_PROFILE_RELEASE_OPT_LEVEL", "CARGO_PROFILE_RELEASE_STRIP", "SQLX_OFFLINE")
		flagsKey := []string{"rust" + p.rustVersion(), "profile=" + a.profile, "target=" + a.target, "features=" + a.features}
		for _, d := range c.deps {
			if !p.cargoDep(out, d, flagsKey, env, a.quiet) {
				return 101
			}
		}
		fmt.Fprintf(p.errw, "    Finished `%s` profile target(s)\n", a.profile)
		return 0
	}
	fmt.Fprintf(p.errw, "error: unrecognized subcommand '%s'\n", args[0])
	return 2
}

// filterOut drops the named flags (and a following value of --bin).
func filterOut(args []string, drop ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		if contains(drop, args[i]) {
			if args[i] == "--bin" && i+1 < len(args) {
				i++
			}
			continue
		}
		out = append(out, args[i])
	}
	return out
}

// maskVersion replaces the [package] version with 0.0.1, as cargo-chef does so that
// bumping the local version does not invalidate the dependency layer.
func maskVersion(toml string) string {
	lines := strings.Split(toml, "\n")
	inPkg := false
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "[") {
			inPkg = t == "[package]"
			continue
		}
		if k, _, ok := strings.Cut(t, "="); ok && inPkg && strings.TrimSpace(k) == "version" {
			lines[i] = `version = "0.0.1"`
		}
	}
	return strings.Join(lines, "\n")
}
