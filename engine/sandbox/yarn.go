package sandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"path"
	"sort"
	"strings"

	"layerlab/engine/rootfs"
	"layerlab/engine/sandbox/langcatalog"
)

// yarn (v1 "classic" and v2+ "berry"), pnpm and corepack over the npm catalog, laying
// out what the real tools lay out:
//
//   - yarn v1: a hoisted node_modules (each name once at the top, a conflicting version
//     nested under its dependent), yarn.lock v1 honoured exactly (its versions are
//     what gets installed; --frozen-lockfile fails with yarn's message when a
//     dependency of package.json has no entry), the unpacked cache in
//     /usr/local/share/.cache/yarn/v6 (root) that `yarn cache clean` empties;
//   - yarn berry (packageManager yarn@2+ through corepack, or a .yarnrc.yml yarnPath):
//     the berry lockfile, --immutable, the zip cache (.yarn/cache, or the global one
//     for yarn 4), and .pnp.cjs or node_modules per nodeLinker;
//   - pnpm: node_modules/.pnpm/<name>@<version>/node_modules/<name> with a symlink per
//     dependency, top-level symlinks for the project's own dependencies, shell shims in
//     node_modules/.bin; pnpm-lock.yaml 5.x, 6.x and 9.x honoured, --frozen-lockfile
//     failing with ERR_PNPM_OUTDATED_LOCKFILE / ERR_PNPM_NO_LOCKFILE;
//   - corepack: `enable` writes the yarn/pnpm shims next to corepack, the shims run the
//     version package.json's packageManager names (else the one `prepare --activate`
//     recorded, else corepack's default).
//
// Lifecycle scripts of dependencies (postinstall builds) are not run: the packages are
// stand-ins. A root project's own scripts run through the sandbox shell.

func init() {
	register(map[string]cmdFunc{"yarn": cmdYarn, "yarnpkg": cmdYarn, "pnpm": cmdPnpm, "pnpx": cmdPnpx, "corepack": cmdCorepack})
	// yarn 1's bin/yarn is a shell launcher that execs node on yarn.js: the sandbox
	// runs yarn in its place
	wrapperScripts["yarn"], wrapperScripts["yarnpkg"] = true, true
}

// jsPkg is one package of a lockfile (or of a fresh resolution): its identity, the
// bins the lockfile records, and its dependencies once resolved.
type jsPkg struct {
	key      string // name@version (pnpm: with its peer suffix)
	name     string
	version  string // the release, peer suffix stripped
	deps     []jsDep
	bins     []string
	link     string // a workspace or link: dependency: the directory, relative to the project
	children []*jsPkg
	dev      bool
}

// jsDep is one dependency edge as the lockfile writes it: a range (yarn) or a resolved
// version (pnpm).
type jsDep struct{ name, spec string }

// jsCatalogPackage is the package to lay out for name@version: the catalog's (or a
// stand-in synthesized from the name), with every bin the lockfile or the known build
// CLIs say it has, so node_modules/.bin reaches them.
func jsCatalogPackage(name, version string, lockBins []string) (langcatalog.Package, error) {
	pk, err := langcatalog.ResolveLocked(langcatalog.NPM, name, version)
	if err != nil {
		return pk, err
	}
	pk.Bins = mergeBins(pk.Bins, lockBins, nodeBins[name])
	return pk, nil
}

func mergeBins(lists ...[]string) []string {
	seen := map[string]bool{}
	var out []string
	for _, l := range lists {
		for _, b := range l {
			if b != "" && !seen[b] {
				seen[b] = true
				out = append(out, b)
			}
		}
	}
	return out
}

// splitNameSpec splits a lockfile key "name@range" ("@scope/name@npm:^1").
func splitNameSpec(key string) (string, string) {
	if len(key) < 2 {
		return key, ""
	}
	at := strings.Index(key[1:], "@")
	if at < 0 {
		return key, ""
	}
	return key[:at+1], key[at+2:]
}

// jsManifests returns the project's package.json and its workspaces' (relative dirs).
func (p *proc) jsManifests(dir string, pj *packageJSON, patterns []string) map[string]*packageJSON {
	out := map[string]*packageJSON{"": pj}
	if patterns == nil && len(pj.Workspaces) > 0 {
		if json.Unmarshal(pj.Workspaces, &patterns) != nil {
			var obj struct {
				Packages []string `json:"packages"`
			}
			json.Unmarshal(pj.Workspaces, &obj)
			patterns = obj.Packages
		}
	}
	for _, pat := range patterns {
		if strings.HasPrefix(pat, "!") {
			continue
		}
		for _, w := range p.globDirs(dir, pat) {
			if w == "." || w == "" {
				continue
			}
			if sub, _ := p.readPackageJSONAt(dir + "/" + w); sub != nil {
				out[w] = sub
			}
		}
	}
	return out
}

// wantedDeps lists a manifest's dependencies in a stable order, devDependencies last.
func wantedDeps(pj *packageJSON, dev bool) []jsDep {
	var out []jsDep
	for _, m := range []map[string]string{pj.Dependencies, pj.OptionalDependencies} {
		out = append(out, sortedDeps(m)...)
	}
	if dev {
		out = append(out, sortedDeps(pj.DevDependencies)...)
	}
	return out
}

func sortedDeps(m map[string]string) []jsDep {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([]jsDep, 0, len(names))
	for _, n := range names {
		out = append(out, jsDep{n, m[n]})
	}
	return out
}

// markDev sets dev on every package reachable only from devDependencies.
func markDev(prodRoots, devRoots []*jsPkg) {
	prod := map[*jsPkg]bool{}
	var walk func(*jsPkg)
	walk = func(k *jsPkg) {
		if prod[k] {
			return
		}
		prod[k] = true
		for _, c := range k.children {
			walk(c)
		}
	}
	for _, r := range prodRoots {
		walk(r)
	}
	var mark func(*jsPkg)
	seen := map[*jsPkg]bool{}
	mark = func(k *jsPkg) {
		if seen[k] {
			return
		}
		seen[k] = true
		k.dev = !prod[k]
		for _, c := range k.children {
			mark(c)
		}
	}
	for _, r := range append(append([]*jsPkg(nil), prodRoots...), devRoots...) {
		mark(r)
	}
}

// hoist places a resolved graph in one node_modules tree as npm and yarn do: each
// name once at the top (the project's own dependencies first, then breadth first),
// a different version of a name under the dependent that needs it.
func hoist(roots []*jsPkg) []npmNode {
	top := map[string]*jsPkg{}
	var nodes []npmNode
	type item struct {
		dir string
		pkg *jsPkg
	}
	var queue []item
	placed := map[string]bool{}
	place := func(dir string, k *jsPkg) {
		placed[dir] = true
		n := npmNode{dir: dir, name: k.name, version: k.version, dev: k.dev, link: k.link, pkg: langcatalog.Package{Bins: k.bins}}
		nodes = append(nodes, n)
		if k.link == "" {
			queue = append(queue, item{dir, k})
		}
	}
	for _, r := range roots {
		if _, ok := top[r.name]; !ok {
			top[r.name] = r
			place("node_modules/"+r.name, r)
		}
	}
	for len(queue) > 0 {
		it := queue[0]
		queue = queue[1:]
		for _, c := range it.pkg.children {
			t, ok := top[c.name]
			switch {
			case !ok:
				top[c.name] = c
				place("node_modules/"+c.name, c)
			case t.version == c.version || t.link != "":
			default:
				dir := it.dir + "/node_modules/" + c.name
				// a cycle of conflicting versions would nest forever; real trees are
				// shallow, so a depth past 8 reuses what an ancestor holds
				if !placed[dir] && strings.Count(dir, "node_modules/") <= 8 {
					place(dir, c)
				}
			}
		}
	}
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].dir < nodes[j].dir })
	return nodes
}

// jsLayout writes a hoisted tree: each package's files, node_modules/.bin links for the
// top-level ones, links for workspaces. It returns the number of packages written.
func (p *proc) jsLayout(dir string, nodes []npmNode, cache func(langcatalog.Package) error) (int, error) {
	added := 0
	for _, n := range nodes {
		if n.link != "" {
			if err := p.npmLink(dir+"/"+n.dir, dir+"/"+n.link); err != nil {
				return added, err
			}
			continue
		}
		pk, err := jsCatalogPackage(n.name, n.version, n.pkg.Bins)
		if err != nil {
			return added, err
		}
		full := dir + "/" + n.dir
		if b, err := p.readFile(full + "/package.json"); err == nil && strings.Contains(string(b), fmt.Sprintf("%q", pk.Version)) {
			continue
		}
		added++
		if err := p.jsWritePkg(full, pk, dir+"/node_modules/.bin", strings.Count(n.dir, "node_modules/") == 1, ""); err != nil {
			return added, err
		}
		if cache != nil {
			if err := cache(pk); err != nil {
				return added, err
			}
		}
	}
	return added, nil
}

// ---- yarn.lock (v1 and berry) ----

type yarnLock struct {
	berry    bool
	version  string // berry's __metadata version
	cacheKey string
	byKey    map[string]*jsPkg // every "name@range" a header lists
	order    []*jsPkg
}

// parseYarnLock reads both formats: v1 ("name@range:" headers, `key "value"` fields)
// and berry (YAML: "name@npm:range": headers, `key: value` fields, __metadata).
func parseYarnLock(b []byte) *yarnLock {
	l := &yarnLock{byKey: map[string]*jsPkg{}}
	var cur *jsPkg
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	meta := false
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), " \r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		t := strings.TrimSpace(line)
		switch {
		case indent == 0:
			section = ""
			cur = nil
			meta = t == "__metadata:"
			if meta {
				l.berry = true
				continue
			}
			cur = &jsPkg{}
			for _, k := range strings.Split(strings.TrimSuffix(t, ":"), ", ") {
				k = strings.Trim(strings.TrimSpace(k), `"`)
				if cur.name == "" {
					cur.name, _ = splitNameSpec(k)
				}
				l.byKey[k] = cur
			}
			l.order = append(l.order, cur)
		case meta:
			k, v := yarnField(t)
			switch k {
			case "version":
				l.version = v
			case "cacheKey":
				l.cacheKey = v
			}
		case cur == nil:
		case indent == 2:
			k, v := yarnField(t)
			section = ""
			switch k {
			case "version":
				cur.version = v
			case "dependencies", "optionalDependencies":
				section = k
			case "bin":
				section = k
			case "resolution":
				if _, spec := splitNameSpec(v); strings.HasPrefix(spec, "workspace:") {
					cur.link = strings.TrimPrefix(spec, "workspace:")
				}
			}
		case indent >= 4 && section != "":
			k, v := yarnField(t)
			if section == "bin" {
				cur.bins = append(cur.bins, k)
				continue
			}
			cur.deps = append(cur.deps, jsDep{k, v})
		}
	}
	for _, k := range l.order {
		k.key = k.name + "@" + k.version
	}
	return l
}

// yarnField splits `key "value"` (v1) or `key: value` (berry); keys may be quoted.
func yarnField(t string) (string, string) {
	var k, rest string
	if strings.HasPrefix(t, `"`) {
		end := strings.Index(t[1:], `"`)
		if end < 0 {
			return t, ""
		}
		k, rest = t[1:end+1], t[end+2:]
	} else {
		i := strings.IndexAny(t, ": ")
		if i < 0 {
			return strings.TrimSuffix(t, ":"), ""
		}
		k, rest = t[:i], t[i:]
	}
	rest = strings.TrimPrefix(rest, ":")
	return k, strings.Trim(strings.TrimSpace(rest), `"`)
}

// lookup finds the entry for a dependency asked as name@spec: berry records plain
// ranges under the npm: protocol.
func (l *yarnLock) lookup(name, spec string) *jsPkg {
	if k, ok := l.byKey[name+"@"+spec]; ok {
		return k
	}
	if l.berry && !strings.Contains(spec, ":") {
		return l.byKey[name+"@npm:"+spec]
	}
	return nil
}

// ---- the yarn command ----

// yarnFlavor is which yarn is answering: its version, and whether corepack runs it.
type yarnFlavor struct {
	version  string
	corepack bool
}

func (f yarnFlavor) berry() bool { return langcatalog.Compare(f.version, "2") >= 0 }

// selfTarget is the file this command was found as, symlinks resolved: it tells a
// corepack shim from the image's own yarn or an npm global install.
func (p *proc) selfTarget(name string) string {
	inv := p.argv0
	if inv == "" {
		inv = name
	}
	full := p.abs(inv)
	if !strings.Contains(inv, "/") {
		found, ok := p.s.lookPath(p.getenv("PATH"), p.dir, pathBase(inv))
		if !ok {
			return ""
		}
		full = found
	}
	var target string
	p.s.withFS(func(f *rootfs.FS) error {
		target, _ = f.Resolve(full)
		return nil
	})
	return "/" + strings.TrimPrefix(target, "/")
}

// packageManagerOf reads packageManager ("yarn@4.1.0+sha512.…") from the nearest
// package.json: the tool's name and version, or "" when there is none.
func (p *proc) packageManagerOf(dir string) (string, string, string) {
	for d := dir; ; d = path.Dir(d) {
		if pj, _ := p.readPackageJSONAt(d); pj != nil && pj.PackageManager != "" {
			name, ver := splitNameSpec(pj.PackageManager)
			ver, _, _ = strings.Cut(ver, "+")
			return name, ver, d + "/package.json"
		}
		if d == "/" {
			return "", "", ""
		}
	}
}

// corepackHome is where corepack keeps the managers it downloaded and the versions
// `prepare --activate` made the default.
func (p *proc) corepackHome() string {
	return firstNonEmpty(p.getenv("COREPACK_HOME"), p.home()+"/.cache/node/corepack")
}

// corepackDefaults are corepack's own defaults for a project without packageManager:
// yarn classic, and the newest pnpm it knows.
func corepackDefault(tool string) string {
	if pk, ok := langcatalog.Lookup(langcatalog.NPM, tool); ok {
		return pk.Version
	}
	return "1.22.22"
}

// corepackVersion is the version a corepack shim runs for tool in dir: packageManager,
// else the activated one, else the default. A packageManager naming another tool is
// corepack's usage error.
func (p *proc) corepackVersion(tool string) (string, int) {
	name, ver, file := p.packageManagerOf(p.dir)
	if name != "" && name != tool && p.getenv("COREPACK_ENABLE_STRICT") != "0" {
		p.errln("Usage Error: This project is configured to use %s because %s has a \"packageManager\" field", name, file)
		p.errln("\n$ %s ...", tool)
		return "", 1
	}
	if name == tool && ver != "" {
		p.corepackFetch(tool, ver)
		return ver, 0
	}
	if b, err := p.readFile(p.corepackHome() + "/lastKnownGood.json"); err == nil {
		var m map[string]string
		if json.Unmarshal(b, &m) == nil && m[tool] != "" {
			return m[tool], 0
		}
	}
	v := corepackDefault(tool)
	p.corepackFetch(tool, v)
	return v, 0
}

// corepackFetch stores a manager's release in corepack's cache, as its first use does.
func (p *proc) corepackFetch(tool, ver string) {
	dir := fmt.Sprintf("%s/v1/%s/%s", p.corepackHome(), tool, ver)
	if p.s.exists(dir + "/package.json") {
		return
	}
	url := fmt.Sprintf("https://registry.npmjs.org/%s/-/%s-%s.tgz", tool, tool, ver)
	if tool == "yarn" && langcatalog.Compare(ver, "2") >= 0 {
		url = fmt.Sprintf("https://repo.yarnpkg.com/%s/packages/yarnpkg-cli/bin/yarn.js", ver)
	}
	fmt.Fprintf(p.errw, "! Corepack is about to download %s\n", url)
	size := int64(5 << 20)
	if pk, ok := langcatalog.Lookup(langcatalog.NPM, tool); ok {
		size = pk.Size
	}
	p.put(dir+"/dist/"+tool+".js", rootfs.Generated{Seed: seedOf("corepack", tool, ver), N: size}, 0o644, p.s.uid, p.s.gid)
	p.putText(dir+"/package.json", fmt.Sprintf("{\n  \"name\": %q,\n  \"version\": %q\n}\n", tool, ver))
	p.putText(dir+"/.corepack", fmt.Sprintf("{\"locator\":{\"name\":%q,\"reference\":%q}}\n", tool, ver))
}

// yarnFlavorOf says which yarn runs: a corepack shim's version, an npm global
// install's, a .yarnrc.yml yarnPath release, else the image's yarn 1.22.
func (p *proc) yarnFlavorOf() (yarnFlavor, int) {
	target := p.selfTarget("yarn")
	if strings.Contains(target, "/corepack/") {
		v, code := p.corepackVersion("yarn")
		return yarnFlavor{version: v, corepack: true}, code
	}
	f := yarnFlavor{version: firstNonEmpty(p.getenv("YARN_VERSION"), "1.22.22")}
	if i := strings.Index(target, "/yarn-v"); i >= 0 {
		f.version = strings.SplitN(target[i+len("/yarn-v"):], "/", 2)[0]
	} else if i := strings.Index(target, "/node_modules/yarn/"); i >= 0 {
		if pj, _ := p.readPackageJSONAt(target[:i] + "/node_modules/yarn"); pj != nil && pj.Version != "" {
			f.version = pj.Version
		}
	}
	// yarn 1 hands over to the release a project commits (.yarnrc.yml yarnPath)
	root := p.projectRoot()
	if rel := yarnrc(p, root)["yarnPath"]; rel != "" && p.isFile(path.Join(root, rel)) {
		base := strings.TrimSuffix(strings.TrimSuffix(path.Base(rel), ".cjs"), ".js")
		f.version = firstNonEmpty(strings.TrimPrefix(base, "yarn-"), "3.6.4")
		return f, 0
	}
	if name, ver, file := p.packageManagerOf(p.dir); !f.berry() && name == "yarn" && langcatalog.Compare(ver, "2") >= 0 {
		p.errln("error This project's package.json defines \"packageManager\": \"yarn@%s\". However the current global version of Yarn is %s.\n\nPresence of the \"packageManager\" field indicates that the project is meant to be used with Corepack, a tool included by default with all official Node.js distributions starting from 16.9 and 14.19.\nCorepack must currently be enabled by running corepack enable in your terminal. For more information, check out https://yarnpkg.com/corepack.", ver, f.version)
		_ = file
		return f, 1
	}
	return f, 0
}

// yarnrc reads .yarnrc.yml's top-level `key: value` lines.
func yarnrc(p *proc, dir string) map[string]string {
	out := map[string]string{}
	b, err := p.readFile(dir + "/.yarnrc.yml")
	if err != nil {
		return out
	}
	for _, l := range strings.Split(string(b), "\n") {
		if l == "" || l[0] == ' ' || l[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(l, ":"); ok {
			out[strings.TrimSpace(k)] = strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return out
}

func cmdYarn(p *proc) int {
	args := p.args
	// global options before the command
	for len(args) > 0 {
		switch {
		case args[0] == "--cwd" && len(args) > 1:
			p.dir = p.abs(args[1])
			args = args[2:]
			continue
		case strings.HasPrefix(args[0], "--cwd="):
			p.dir = p.abs(strings.TrimPrefix(args[0], "--cwd="))
			args = args[1:]
			continue
		case args[0] == "--silent" || args[0] == "-s" || args[0] == "--non-interactive" || args[0] == "--no-progress":
			args = args[1:]
			continue
		}
		break
	}
	if len(args) > 0 && (args[0] == "-v" || args[0] == "--version") {
		f, code := p.yarnFlavorOf()
		if code != 0 {
			return code
		}
		p.outf("%s\n", f.version)
		return 0
	}
	f, code := p.yarnFlavorOf()
	if code != 0 {
		return code
	}
	sub := "install"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	if f.berry() {
		return p.yarnBerry(f, sub, args)
	}
	return p.yarnClassic(f, sub, args)
}

func (p *proc) yarnDone() { p.outf("Done in 1.52s.\n") }

func (p *proc) yarnClassic(f yarnFlavor, sub string, args []string) int {
	switch sub {
	case "create":
		p.outf("yarn create v%s\n", f.version)
		return p.runCreate("yarn", "yarn/"+f.version+" npm/? node/v"+strings.TrimPrefix(p.nodeVersion(), "v")+" linux x64", sub, args)
	case "install", "i":
		p.outf("yarn install v%s\n", f.version)
		return p.yarnInstall(f, args, nil, false)
	case "add":
		p.outf("yarn add v%s\n", f.version)
		named, dev := addArgs(args, "--dev")
		return p.yarnInstall(f, nil, named, dev)
	case "global":
		if len(args) > 0 && args[0] == "add" {
			p.outf("yarn global v%s\n", f.version)
			return p.yarnGlobalAdd(args[1:])
		}
		if len(args) > 0 && args[0] == "bin" {
			p.outf("/usr/local/bin\n")
			return 0
		}
		return p.notSimulated("yarn global " + strings.Join(args, " "))
	case "cache":
		if len(args) > 0 && args[0] == "dir" {
			p.outf("%s\n", p.yarnCacheDir())
			return 0
		}
		if len(args) > 0 && args[0] == "clean" {
			p.outf("yarn cache v%s\n", f.version)
			p.removeAll(p.yarnCacheDir())
			p.outf("success Cleared cache.\n")
			p.yarnDone()
			return 0
		}
		return p.notSimulated("yarn cache " + strings.Join(args, " "))
	case "config", "audit", "check", "licenses", "info", "list", "outdated", "why", "versions", "autoclean":
		return 0
	case "remove":
		for _, n := range args {
			if !strings.HasPrefix(n, "-") {
				p.removeAll(p.abs("node_modules/" + n))
			}
		}
		return 0
	case "workspace":
		if len(args) < 2 {
			p.errln("error Missing workspace name.")
			return 1
		}
		pj, _ := p.readPackageJSON()
		if pj == nil {
			return 1
		}
		for rel, m := range p.jsManifests(p.dir, pj, nil) {
			if rel != "" && m.Name == args[0] {
				c := *p
				c.dir = p.abs(rel)
				return c.yarnClassic(f, args[1], args[2:])
			}
		}
		p.errln("error Unknown workspace %q.", args[0])
		return 1
	case "run":
		if len(args) == 0 {
			return 0
		}
		return p.yarnRun(f, args[0], args[1:])
	case "exec":
		return p.runWithBin(shellJoin(args), p.abs("node_modules/.bin"))
	}
	return p.yarnRun(f, sub, args)
}

// yarnRun runs a package.json script (yarn X is yarn run X), else a bin of
// node_modules/.bin, as yarn does.
func (p *proc) yarnRun(f yarnFlavor, script string, args []string) int {
	pj, code := p.readPackageJSON()
	if code == 2 {
		return 1
	}
	if !f.berry() {
		p.outf("yarn run v%s\n", f.version)
	}
	if pj != nil {
		if cmd, ok := pj.Scripts[script]; ok {
			if len(args) > 0 {
				cmd += " " + shellJoin(args)
			}
			p.outf("$ %s\n", cmd)
			code := p.runWithBin(cmd, p.yarnBinDir(f))
			if code != 0 {
				if !f.berry() {
					p.errln("error Command failed with exit code %d.", code)
					p.outf("info Visit https://yarnpkg.com/en/docs/cli/run for documentation about this command.\n")
				}
				return code
			}
			if !f.berry() {
				p.yarnDone()
			}
			return 0
		}
	}
	bin := p.yarnBinDir(f) + "/" + script
	if p.s.exists(bin) {
		return p.runWithBin(shellJoin(append([]string{script}, args...)), p.yarnBinDir(f))
	}
	if f.berry() {
		p.outf("Usage Error: Couldn't find a script named %q.\n\n$ yarn run [--inspect] [--inspect-brk] [-T,--top-level] [-B,--binaries-only] [--require #0] <scriptName> ...\n", script)
		return 1
	}
	p.errln("error Command %q not found.", script)
	p.outf("info Visit https://yarnpkg.com/en/docs/cli/run for documentation about this command.\n")
	return 1
}

// yarnBinDir is where a script's bins are: node_modules/.bin, or under Plug'n'Play the
// temporary directory berry fills with a shim per bin of the project's dependencies.
func (p *proc) yarnBinDir(f yarnFlavor) string {
	root := p.projectRoot()
	if !f.berry() || p.isDir(root+"/node_modules/.bin") || !p.isFile(root+"/.pnp.cjs") {
		return root + "/node_modules/.bin"
	}
	pj, _ := p.readPackageJSONAt(root)
	lb, _ := p.readFile(root + "/yarn.lock")
	dir := fmt.Sprintf("/tmp/xfs-%08x", uint32(seedOf("xfs", root)))
	if pj == nil {
		return dir
	}
	lock := parseYarnLock(lb)
	for _, d := range wantedDeps(pj, true) {
		k := lock.lookup(d.name, d.spec)
		var bins []string
		if k != nil {
			bins = k.bins
		}
		pk, err := jsCatalogPackage(d.name, "", bins)
		if err != nil {
			continue
		}
		for _, b := range pk.Bins {
			p.put(dir+"/"+b, rootfs.Bytes("#!/usr/bin/env node\n// yarn berry bin shim: runs "+d.name+"'s "+b+" through .pnp.cjs\n"), 0o755, p.s.uid, p.s.gid)
		}
	}
	return dir
}

func (p *proc) yarnCacheDir() string {
	if v := p.getenv("YARN_CACHE_FOLDER"); v != "" {
		return v
	}
	if p.s.uid == 0 {
		return "/usr/local/share/.cache/yarn/v6"
	}
	return p.home() + "/.cache/yarn/v6"
}

// yarn404 is yarn v1's answer for a name the registry does not have.
func (p *proc) yarn404(name string) int {
	p.errln("error An unexpected error occurred: \"https://registry.yarnpkg.com/%s: Not found\".", strings.Replace(name, "/", "%2f", 1))
	p.outf("info If you think this is a bug, please open a bug report with the information provided in \"%s/yarn-error.log\".\n", p.dir)
	p.outf("info Visit https://yarnpkg.com/en/docs/cli/install for documentation about this command.\n")
	return 1
}

// yarnResolveLocked builds the graph yarn.lock describes for the project's (and its
// workspaces') dependencies; missing lists the name@range entries it lacks.
func (p *proc) yarnResolveLocked(dir string, manifests map[string]*packageJSON, lock *yarnLock, dev bool) (prod, devRoots []*jsPkg, missing []string, code int) {
	resolved := map[*jsPkg]bool{}
	var resolve func(k *jsPkg) int
	resolve = func(k *jsPkg) int {
		if resolved[k] || k.link != "" {
			return 0
		}
		resolved[k] = true
		for _, d := range k.deps {
			c := lock.lookup(d.name, d.spec)
			if c == nil {
				// an inconsistent lock: yarn resolves the range afresh
				c2, code := p.jsFresh(d.name, d.spec, p.yarn404)
				if code != 0 {
					return code
				}
				c = c2
			}
			k.children = append(k.children, c)
			if code := resolve(c); code != 0 {
				return code
			}
		}
		return 0
	}
	rels := make([]string, 0, len(manifests))
	for rel := range manifests {
		rels = append(rels, rel)
	}
	sort.Strings(rels)
	wsNames := map[string]string{}
	for _, rel := range rels {
		if rel != "" {
			wsNames[manifests[rel].Name] = rel
		}
	}
	for _, rel := range rels {
		pj := manifests[rel]
		for i, deps := range [][]jsDep{wantedDeps(pj, false), sortedDeps(pj.DevDependencies)} {
			if i == 1 && !dev {
				break
			}
			for _, d := range deps {
				var k *jsPkg
				if ws, ok := wsNames[d.name]; ok && (strings.HasPrefix(d.spec, "workspace:") || lock.lookup(d.name, d.spec) == nil) {
					k = &jsPkg{name: d.name, link: ws}
				} else if local, ok := strings.CutPrefix(d.spec, "file:"); ok {
					k = &jsPkg{name: d.name, link: path.Clean(path.Join(rel, local))}
				} else if k = lock.lookup(d.name, d.spec); k == nil {
					missing = append(missing, d.name+"@"+d.spec)
					c, code := p.jsFresh(d.name, d.spec, p.yarn404)
					if code != 0 {
						return nil, nil, nil, code
					}
					k = c
				}
				if code := resolve(k); code != 0 {
					return nil, nil, nil, code
				}
				if i == 0 {
					prod = append(prod, k)
				} else {
					devRoots = append(devRoots, k)
				}
			}
		}
		if rel != "" {
			prod = append(prod, &jsPkg{name: pj.Name, link: rel})
		}
	}
	return prod, devRoots, missing, 0
}

// jsFresh resolves name@spec from the catalog (a name the registry would not know
// fails through notFound, with the tool's own text).
func (p *proc) jsFresh(name, spec string, notFound func(string) int) (*jsPkg, int) {
	real := name
	if alias, ok := strings.CutPrefix(spec, "npm:"); ok {
		real, spec = npmSpecName(alias)
	}
	if strings.Contains(spec, "/") || strings.HasPrefix(spec, "git") || strings.HasPrefix(spec, "http") {
		spec = ""
	}
	if err := langcatalog.Check(langcatalog.NPM, real); err != nil {
		return nil, notFound(real)
	}
	pk, err := langcatalog.Resolve(langcatalog.NPM, real, spec)
	if err != nil {
		p.errln("error Couldn't find any versions for %q that matches %q", real, spec)
		return nil, 1
	}
	k := &jsPkg{key: real + "@" + pk.Version, name: real, version: pk.Version}
	for _, d := range pk.Deps {
		k.deps = append(k.deps, jsDep{d, "*"})
	}
	return k, 0
}

// jsFreshGraph resolves package.json (and workspaces) without a lockfile: each name
// once, its catalog release in range.
func (p *proc) jsFreshGraph(manifests map[string]*packageJSON, dev bool, notFound func(string) int) (prod, devRoots []*jsPkg, code int) {
	byName := map[string]*jsPkg{}
	var resolve func(name, spec string) (*jsPkg, int)
	resolve = func(name, spec string) (*jsPkg, int) {
		if k, ok := byName[name]; ok {
			return k, 0
		}
		k, code := p.jsFresh(name, spec, notFound)
		if code != 0 {
			return nil, code
		}
		byName[name] = k
		for _, d := range k.deps {
			c, code := resolve(d.name, d.spec)
			if code != 0 {
				return nil, code
			}
			k.children = append(k.children, c)
		}
		return k, 0
	}
	rels := make([]string, 0, len(manifests))
	wsNames := map[string]string{}
	for rel, m := range manifests {
		rels = append(rels, rel)
		if rel != "" {
			wsNames[m.Name] = rel
		}
	}
	sort.Strings(rels)
	for _, rel := range rels {
		pj := manifests[rel]
		for i, deps := range [][]jsDep{wantedDeps(pj, false), sortedDeps(pj.DevDependencies)} {
			if i == 1 && !dev {
				break
			}
			for _, d := range deps {
				var k *jsPkg
				if ws, ok := wsNames[d.name]; ok {
					k = &jsPkg{name: d.name, link: ws}
				} else if local, ok := strings.CutPrefix(d.spec, "file:"); ok {
					k = &jsPkg{name: d.name, link: path.Clean(path.Join(rel, local))}
				} else {
					var code int
					if k, code = resolve(d.name, d.spec); code != 0 {
						return nil, nil, code
					}
				}
				if i == 0 {
					prod = append(prod, k)
				} else {
					devRoots = append(devRoots, k)
				}
			}
		}
		if rel != "" {
			prod = append(prod, &jsPkg{name: pj.Name, link: rel})
		}
	}
	return prod, devRoots, 0
}

// yarnInstall is yarn v1's install (and add: named packages join package.json).
func (p *proc) yarnInstall(f yarnFlavor, args, named []string, addDev bool) int {
	frozen, pure := false, false
	dev := p.getenv("NODE_ENV") != "production"
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--frozen-lockfile":
			frozen = true
		case a == "--pure-lockfile" || a == "--no-lockfile":
			pure = true
		case a == "--production" || a == "--prod" || a == "--production=true":
			dev = false
		case a == "--production=false":
			dev = true
		case a == "--network-timeout" || a == "--modules-folder" || a == "--cache-folder" || a == "--mutex" || a == "--network-concurrency":
			if a == "--modules-folder" {
				return p.unsupported("yarn --modules-folder")
			}
			i++
		case strings.HasPrefix(a, "--"):
		case !strings.HasPrefix(a, "-"):
			p.errln("error `install` has been replaced with `add` to add new dependencies. Run \"yarn add %s\" instead.", a)
			return 1
		}
	}
	dir := p.projectRoot()
	pj, code := p.readPackageJSONAt(dir)
	if code == 2 {
		return 1
	}
	if pj == nil {
		pj = &packageJSON{Name: path.Base(dir)}
	}
	if pj.Dependencies == nil {
		pj.Dependencies = map[string]string{}
	}
	if pj.DevDependencies == nil {
		pj.DevDependencies = map[string]string{}
	}
	for _, n := range named {
		name, spec := npmSpecName(n)
		if err := langcatalog.Check(langcatalog.NPM, name); err != nil {
			p.outf("[1/4] Resolving packages...\n")
			return p.yarn404(name)
		}
		pk, err := langcatalog.Resolve(langcatalog.NPM, name, spec)
		if err != nil {
			p.errln("error Couldn't find any versions for %q that matches %q", name, spec)
			return 1
		}
		if spec == "" || spec == "latest" {
			spec = "^" + pk.Version
		}
		if addDev {
			pj.DevDependencies[name] = spec
		} else {
			pj.Dependencies[name] = spec
		}
	}
	manifests := p.jsManifests(dir, pj, nil)
	lb, err := p.readFile(dir + "/yarn.lock")
	hasLock := err == nil
	if !hasLock {
		p.outf("info No lockfile found.\n")
	}
	p.outf("[1/4] Resolving packages...\n")
	var prod, devRoots []*jsPkg
	var missing []string
	if hasLock {
		prod, devRoots, missing, code = p.yarnResolveLocked(dir, manifests, parseYarnLock(lb), true)
	} else {
		prod, devRoots, code = p.jsFreshGraph(manifests, true, p.yarn404)
	}
	if code != 0 {
		return code
	}
	if frozen && hasLock && len(missing) > 0 {
		p.errln("error Your lockfile needs to be updated, but yarn was run with `--frozen-lockfile`.")
		p.outf("info Visit https://yarnpkg.com/en/docs/cli/install for documentation about this command.\n")
		return 1
	}
	markDev(prod, devRoots)
	roots := prod
	if dev {
		roots = append(append([]*jsPkg(nil), prod...), devRoots...)
	}
	nodes := hoist(roots)
	p.outf("[2/4] Fetching packages...\n")
	var synth []string
	for _, n := range nodes {
		if n.link == "" {
			if _, ok := langcatalog.Lookup(langcatalog.NPM, n.name); !ok {
				synth = append(synth, n.name)
			}
		}
	}
	for _, s := range sortedUnique(synth) {
		p.outf("layerlab: %s is not in the playground's npm catalog; installing a stand-in synthesized from its name\n", s)
	}
	p.outf("[3/4] Linking dependencies...\n")
	cacheDir := p.yarnCacheDir()
	cache := func(pk langcatalog.Package) error {
		// yarn v1's cache holds every package unpacked, as big as node_modules
		return p.put(fmt.Sprintf("%s/npm-%s-%s-%016x-integrity/node_modules/%s/index.js", cacheDir, strings.ReplaceAll(pk.Name, "/", "-"), pk.Version, seedOf("yarn", pk.Name, pk.Version), pk.Name),
			rootfs.Generated{Seed: seedOf("npm", pk.Name, pk.Version), N: pk.Size}, 0o644, p.s.uid, p.s.gid)
	}
	if _, err := p.jsLayout(dir, nodes, cache); err != nil {
		p.errln("error An unexpected error occurred: %q.", err.Error())
		return 1
	}
	p.outf("[4/4] Building fresh packages...\n")
	p.putText(dir+"/node_modules/.yarn-integrity", fmt.Sprintf("{\n  \"systemParams\": \"linux-x64-%s\",\n  \"modulesFolders\": [\"node_modules\"],\n  \"flags\": [%s],\n  \"linkedModules\": [],\n  \"topLevelPatterns\": %d\n}\n", strings.Split(firstNonEmpty(p.getenv("NODE_VERSION"), "22"), ".")[0], map[bool]string{true: "", false: "\"production\""}[dev], len(roots)))
	if len(named) > 0 {
		p.jsSaveManifest(dir, pj)
	}
	if !pure && !frozen && (!hasLock || len(missing) > 0 || len(named) > 0) {
		p.putText(dir+"/yarn.lock", yarnLockV1(prod, devRoots, manifests))
		p.outf("success Saved lockfile.\n")
	}
	if len(named) > 0 {
		p.outf("success Saved %d new dependencies.\n", len(named))
	}
	p.yarnDone()
	return 0
}

func sortedUnique(s []string) []string {
	sort.Strings(s)
	var out []string
	for i, x := range s {
		if i == 0 || s[i-1] != x {
			out = append(out, x)
		}
	}
	return out
}

// jsSaveManifest writes package.json back with its dependencies as add changed them.
func (p *proc) jsSaveManifest(dir string, pj *packageJSON) {
	b, _ := p.readFile(dir + "/package.json")
	var raw map[string]any
	if json.Unmarshal(b, &raw) != nil || raw == nil {
		raw = map[string]any{"name": pj.Name}
	}
	if len(pj.Dependencies) > 0 {
		raw["dependencies"] = pj.Dependencies
	}
	if len(pj.DevDependencies) > 0 {
		raw["devDependencies"] = pj.DevDependencies
	}
	out, _ := json.MarshalIndent(raw, "", "  ")
	p.putText(dir+"/package.json", string(out)+"\n")
}

// yarnLockV1 writes a v1 lockfile for a fresh resolution: one entry per package, its
// header the ranges package.json and the dependents asked for.
func yarnLockV1(prod, devRoots []*jsPkg, manifests map[string]*packageJSON) string {
	asked := map[*jsPkg][]string{}
	seen := map[*jsPkg]bool{}
	var all []*jsPkg
	var walk func(k *jsPkg)
	walk = func(k *jsPkg) {
		if seen[k] || k.link != "" {
			return
		}
		seen[k] = true
		all = append(all, k)
		for i, c := range k.children {
			if i < len(k.deps) {
				asked[c] = append(asked[c], c.name+"@"+k.deps[i].spec)
			}
			walk(c)
		}
	}
	for _, pj := range manifests {
		for _, d := range append(wantedDeps(pj, false), sortedDeps(pj.DevDependencies)...) {
			for _, r := range append(append([]*jsPkg(nil), prod...), devRoots...) {
				if r.name == d.name && r.link == "" {
					asked[r] = append(asked[r], d.name+"@"+d.spec)
				}
			}
		}
	}
	for _, r := range append(append([]*jsPkg(nil), prod...), devRoots...) {
		walk(r)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].key < all[j].key })
	var b strings.Builder
	b.WriteString("# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n\n")
	for _, k := range all {
		keys := sortedUnique(append([]string(nil), asked[k]...))
		if len(keys) == 0 {
			keys = []string{k.name + "@" + k.version}
		}
		for i, h := range keys {
			keys[i] = fmt.Sprintf("%q", h)
		}
		fmt.Fprintf(&b, "\n%s:\n  version %q\n  resolved \"https://registry.yarnpkg.com/%s/-/%s-%s.tgz\"\n", strings.Join(keys, ", "), k.version, k.name, path.Base(k.name), k.version)
		if len(k.deps) > 0 {
			b.WriteString("  dependencies:\n")
			for _, d := range k.deps {
				fmt.Fprintf(&b, "    %s %q\n", d.name, d.spec)
			}
		}
	}
	return b.String()
}

// yarnGlobalAdd installs into yarn's global folder and links the bins into
// /usr/local/bin (root's `yarn global bin`).
func (p *proc) yarnGlobalAdd(names []string) int {
	root := "/usr/local/share/.config/yarn/global"
	if p.s.uid != 0 {
		root = p.home() + "/.config/yarn/global"
	}
	p.outf("[1/4] Resolving packages...\n")
	for _, n := range names {
		if strings.HasPrefix(n, "-") {
			continue
		}
		name, spec := npmSpecName(n)
		if err := langcatalog.Check(langcatalog.NPM, name); err != nil {
			return p.yarn404(name)
		}
		pk, err := langcatalog.Resolve(langcatalog.NPM, name, spec)
		if err != nil {
			p.errln("error Couldn't find any versions for %q that matches %q", name, spec)
			return 1
		}
		pk.Bins = mergeBins(pk.Bins, nodeBins[name])
		if err := p.jsWritePkg(root+"/node_modules/"+name, pk, root+"/node_modules/.bin", true, ""); err != nil {
			p.errln("error %v", err)
			return 1
		}
		for _, b := range pk.Bins {
			p.npmLink("/usr/local/bin/"+b, root+"/node_modules/"+name+"/bin/"+b+".js")
		}
		p.outf("[2/4] Fetching packages...\n[3/4] Linking dependencies...\n[4/4] Building fresh packages...\nsuccess Installed \"%s@%s\" with binaries:\n", name, pk.Version)
		for _, b := range pk.Bins {
			p.outf("      - %s\n", b)
		}
	}
	p.yarnDone()
	return 0
}

// ---- yarn berry ----

func (p *proc) berryLog(code, msg string) { p.outf("➤ %s: %s\n", code, msg) }

func (p *proc) yarnBerry(f yarnFlavor, sub string, args []string) int {
	switch sub {
	case "install":
		return p.berryInstall(f, args, false)
	case "workspaces":
		if len(args) > 0 && args[0] == "focus" {
			return p.berryInstall(f, args[1:], contains(args, "--production"))
		}
		return p.notSimulated("yarn workspaces " + strings.Join(args, " "))
	case "add":
		return p.unsupported("yarn add under yarn " + f.version + " (edit package.json and run yarn install)")
	case "cache":
		if len(args) > 0 && args[0] == "clean" {
			root := p.projectRoot()
			p.removeAll(p.berryCacheDir(f, root))
			return 0
		}
	case "config", "constraints", "dedupe", "npm", "plugin", "info", "why":
		if sub == "config" && len(args) > 0 && args[0] == "set" && len(args) >= 3 {
			root := p.projectRoot()
			b, _ := p.readFile(root + "/.yarnrc.yml")
			p.putText(root+"/.yarnrc.yml", string(b)+args[1]+": "+args[2]+"\n")
		}
		return 0
	case "run":
		if len(args) == 0 {
			return 0
		}
		return p.yarnRun(f, args[0], args[1:])
	case "exec":
		return p.runWithBin(shellJoin(args), p.yarnBinDir(f))
	case "dlx", "create":
		return p.runCreate("yarn", "yarn/"+f.version+" npm/? node/v"+strings.TrimPrefix(p.nodeVersion(), "v")+" linux x64", sub, args)
	}
	return p.yarnRun(f, sub, args)
}

func (p *proc) berryCacheDir(f yarnFlavor, root string) string {
	rc := yarnrc(p, root)
	if c := rc["cacheFolder"]; c != "" {
		return path.Join(root, c)
	}
	global := langcatalog.Compare(f.version, "4") >= 0
	if v, ok := rc["enableGlobalCache"]; ok {
		global = v == "true"
	}
	if global {
		return p.home() + "/.yarn/berry/cache"
	}
	return root + "/.yarn/cache"
}

// berryInstall is `yarn install` of yarn 2+: --immutable (also CI's default) refuses
// to change yarn.lock; the linker is .yarnrc.yml's nodeLinker (pnp by default).
func (p *proc) berryInstall(f yarnFlavor, args []string, production bool) int {
	immutable := p.getenv("CI") != "" && p.getenv("CI") != "false"
	p.berryLog("YN0000", "· Yarn "+f.version)
	for _, a := range args {
		switch a {
		case "--immutable", "--immutable-cache", "--check-cache":
			immutable = true
		case "--frozen-lockfile":
			p.berryLog("YN0050", "The --frozen-lockfile option is deprecated; use --immutable and/or --immutable-cache instead")
			immutable = true
		case "--production":
			production = true
		case "--inline-builds", "--mode=skip-build", "--all", "--json":
		default:
			if strings.HasPrefix(a, "-") {
				p.outf("Unknown Syntax Error: Unsupported option name (\"%s\").\n\n$ yarn install [--json] [--immutable] [--immutable-cache] [--refresh-lockfile] [--check-cache] [--check-resolutions] [--inline-builds] [--mode #0]\n", a)
				return 1
			}
		}
	}
	root := p.projectRoot()
	pj, code := p.readPackageJSONAt(root)
	if pj == nil {
		if code == 1 {
			p.outf("Usage Error: The nearest package directory (%s) doesn't seem to be part of the project declared in %s.\n", p.dir, root)
		}
		return 1
	}
	manifests := p.jsManifests(root, pj, nil)
	lb, err := p.readFile(root + "/yarn.lock")
	hasLock := err == nil
	notFound := func(name string) int {
		p.berryLog("YN0035", fmt.Sprintf("│ %s@npm:unknown: Package not found", name))
		p.berryLog("YN0035", fmt.Sprintf("│   Response Code: 404 (Not Found)\n➤ YN0035: │   Request Method: GET\n➤ YN0035: │   Request URL: https://registry.yarnpkg.com/%s", strings.Replace(name, "/", "%2f", 1)))
		p.berryLog("YN0000", "└ Completed")
		p.berryLog("YN0000", "· Failed with errors in 1s")
		return 1
	}
	p.berryLog("YN0000", "┌ Resolution step")
	var prod, devRoots []*jsPkg
	var missing []string
	lock := &yarnLock{berry: true, byKey: map[string]*jsPkg{}}
	if hasLock {
		lock = parseYarnLock(lb)
		if !lock.berry {
			// a v1 lockfile is migrated by berry on its first install
			missing = append(missing, "(yarn.lock v1 → berry format)")
		}
		prod, devRoots, code = p.berryLocked(manifests, lock, &missing, notFound)
	} else {
		missing = append(missing, "(no yarn.lock)")
		prod, devRoots, code = p.jsFreshGraph(manifests, true, notFound)
	}
	if code != 0 {
		return code
	}
	if immutable && len(missing) > 0 {
		for _, m := range missing {
			p.berryLog("YN0028", "│ +"+m)
		}
		p.berryLog("YN0028", "│ The lockfile would have been modified by this install, which is explicitly forbidden.")
		p.berryLog("YN0000", "└ Completed")
		p.berryLog("YN0000", "· Failed with errors in 0s 312ms")
		return 1
	}
	p.berryLog("YN0000", "└ Completed")
	markDev(prod, devRoots)
	roots := prod
	if !production {
		roots = append(append([]*jsPkg(nil), prod...), devRoots...)
	}
	nodes := hoist(roots)
	p.berryLog("YN0000", "┌ Fetch step")
	cacheDir := p.berryCacheDir(f, root)
	cacheKey := firstNonEmpty(lock.cacheKey, "10c0")
	var total int64
	n := 0
	for _, nd := range nodes {
		if nd.link != "" {
			continue
		}
		pk, err := jsCatalogPackage(nd.name, nd.version, nil)
		if err != nil {
			return notFound(nd.name)
		}
		zip := fmt.Sprintf("%s/%s-npm-%s-%010x-%s.zip", cacheDir, strings.ReplaceAll(strings.TrimPrefix(pk.Name, "@"), "/", "-"), pk.Version, seedOf("berry", pk.Name, pk.Version)&0xffffffffff, cacheKey)
		if err := p.put(zip, rootfs.Generated{Seed: seedOf("berryzip", pk.Name, pk.Version), N: pk.Size / 3}, 0o644, p.s.uid, p.s.gid); err != nil {
			p.errln("%v", err)
			return 1
		}
		total += pk.Size / 3
		n++
	}
	if n > 0 {
		p.berryLog("YN0013", fmt.Sprintf("│ %d packages were added to the project (+ %.1f MiB).", n, float64(total)/(1<<20)))
	}
	p.berryLog("YN0000", "└ Completed")
	p.berryLog("YN0000", "┌ Link step")
	linker := firstNonEmpty(yarnrc(p, root)["nodeLinker"], "pnp")
	switch linker {
	case "node-modules", "pnpm":
		if _, err := p.jsLayout(root, nodes, nil); err != nil {
			p.errln("%v", err)
			return 1
		}
	default:
		d, _ := p.inputsDigest([]string{root + "/yarn.lock", root + "/package.json"}, nil, linker)
		p.removeAll(root + "/node_modules")
		p.put(root+"/.pnp.cjs", artefact("yarn-pnp", ".pnp.cjs", d, int64(len(nodes))*900+40<<10, 0), 0o644, p.s.uid, p.s.gid)
		p.putText(root+"/.pnp.loader.mjs", "// yarn berry's ESM loader for Plug'n'Play (layerlab stand-in)\n")
	}
	p.put(root+"/.yarn/install-state.gz", rootfs.Generated{Seed: seedOf("berrystate", fmt.Sprint(len(nodes)), linker), N: int64(len(nodes))*120 + 200}, 0o644, p.s.uid, p.s.gid)
	p.berryLog("YN0000", "└ Completed")
	if len(missing) > 0 {
		p.putText(root+"/yarn.lock", berryLockText(roots, manifests, cacheKey))
	}
	p.berryLog("YN0000", "· Done in 2s 410ms")
	return 0
}

// berryLocked resolves the manifests through a berry lockfile.
func (p *proc) berryLocked(manifests map[string]*packageJSON, lock *yarnLock, missing *[]string, notFound func(string) int) (prod, devRoots []*jsPkg, code int) {
	var m []string
	prod, devRoots, m, code = p.yarnResolveLocked("", manifests, lock, true)
	for _, x := range m {
		if !lock.berry {
			continue
		}
		name, spec := splitNameSpec(x)
		if !strings.Contains(spec, ":") {
			spec = "npm:" + spec
		}
		*missing = append(*missing, name+"@"+spec)
	}
	_ = notFound
	return prod, devRoots, code
}

func berryLockText(roots []*jsPkg, manifests map[string]*packageJSON, cacheKey string) string {
	var b strings.Builder
	b.WriteString("# This file is generated by running \"yarn install\" inside your project.\n# Manual changes might be lost - proceed with caution!\n\n__metadata:\n  version: 8\n  cacheKey: " + cacheKey + "\n")
	seen := map[*jsPkg]bool{}
	var all []*jsPkg
	var walk func(*jsPkg)
	walk = func(k *jsPkg) {
		if seen[k] || k.link != "" {
			return
		}
		seen[k] = true
		all = append(all, k)
		for _, c := range k.children {
			walk(c)
		}
	}
	for _, r := range roots {
		walk(r)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].key < all[j].key })
	for _, k := range all {
		fmt.Fprintf(&b, "\n\"%s@npm:%s\":\n  version: %s\n  resolution: \"%s@npm:%s\"\n", k.name, k.version, k.version, k.name, k.version)
		if len(k.deps) > 0 {
			b.WriteString("  dependencies:\n")
			for _, d := range k.deps {
				fmt.Fprintf(&b, "    %s: \"npm:%s\"\n", d.name, d.spec)
			}
		}
		b.WriteString("  languageName: node\n  linkType: hard\n")
	}
	for rel, pj := range manifests {
		fmt.Fprintf(&b, "\n\"%s@workspace:%s\":\n  version: 0.0.0-use.local\n  resolution: \"%s@workspace:%s\"\n  languageName: unknown\n  linkType: soft\n", pj.Name, firstNonEmpty(rel, "."), pj.Name, firstNonEmpty(rel, "."))
	}
	return b.String()
}

// ---- corepack ----

func cmdCorepack(p *proc) int {
	if len(p.args) == 0 {
		p.outf("corepack <command>\n")
		return 1
	}
	sub, args := p.args[0], p.args[1:]
	switch sub {
	case "-v", "--version":
		v := "0.31.0"
		if pj, _ := p.readPackageJSONAt("/usr/local/lib/node_modules/corepack"); pj != nil && pj.Version != "" {
			v = pj.Version
		}
		p.outf("%s\n", v)
		return 0
	case "enable", "disable":
		dir := ""
		var tools []string
		for i := 0; i < len(args); i++ {
			switch a := args[i]; {
			case a == "--install-directory" && i+1 < len(args):
				i++
				dir = p.abs(args[i])
			case strings.HasPrefix(a, "--install-directory="):
				dir = p.abs(strings.TrimPrefix(a, "--install-directory="))
			case !strings.HasPrefix(a, "-"):
				tools = append(tools, a)
			}
		}
		if len(tools) == 0 {
			tools = []string{"yarn", "pnpm"}
		}
		self, ok := p.s.lookPath(p.getenv("PATH"), p.dir, "corepack")
		if !ok {
			self = "/usr/local/bin/corepack"
		}
		if dir == "" {
			dir = path.Dir(self)
		}
		dist := "/usr/local/lib/node_modules/corepack/dist"
		for _, t := range tools {
			names := map[string][]string{"yarn": {"yarn", "yarnpkg"}, "pnpm": {"pnpm", "pnpx"}, "npm": {"npm", "npx"}}[t]
			if names == nil {
				p.errln("Usage Error: Unsupported package manager %q", t)
				return 1
			}
			for _, n := range names {
				if sub == "disable" {
					if target := p.linkTarget(dir + "/" + n); strings.Contains(target, "corepack") {
						p.removeAll(dir + "/" + n)
					}
					continue
				}
				shim := fmt.Sprintf("#!/usr/bin/env node\nprocess.env.COREPACK_ENABLE_DOWNLOAD_PROMPT??='0';\nrequire('./lib/corepack.cjs').runMain(['%s', ...process.argv.slice(2)]);\n", n)
				if err := p.put(dist+"/"+n+".js", rootfs.Bytes(shim), 0o755, 0, 0); err != nil {
					p.errln("Internal Error: %v", err)
					return 1
				}
				if err := p.npmLink(dir+"/"+n, dist+"/"+n+".js"); err != nil {
					p.errln("Internal Error: EACCES: permission denied, symlink '%s'", dir+"/"+n)
					return 1
				}
			}
		}
		return 0
	case "prepare", "install", "use", "up":
		activate := sub != "prepare" || contains(args, "--activate")
		var specs []string
		for _, a := range args {
			if !strings.HasPrefix(a, "-") {
				specs = append(specs, a)
			}
		}
		if len(specs) == 0 {
			name, ver, _ := p.packageManagerOf(p.dir)
			if name == "" {
				p.errln("Usage Error: No package manager specified; please use `corepack %s <name>@<version>`", sub)
				return 1
			}
			specs = []string{name + "@" + ver}
		}
		for _, s := range specs {
			name, ver := splitNameSpec(s)
			if name != "yarn" && name != "pnpm" && name != "npm" {
				p.errln("Usage Error: Unsupported package manager specification (%s)", s)
				return 1
			}
			ver, _, _ = strings.Cut(ver, "+")
			if ver == "" || ver == "latest" || ver == "stable" || !strings.Contains(ver, ".") {
				v, err := langcatalog.Resolve(langcatalog.NPM, name, strings.TrimPrefix(strings.TrimPrefix(ver, "latest"), "stable"))
				ver = corepackDefault(name)
				if err == nil {
					ver = v.Version
				}
			}
			p.outf("Preparing %s@%s for immediate activation...\n", name, ver)
			p.corepackFetch(name, ver)
			if sub == "use" {
				b, _ := p.readFile(p.abs("package.json"))
				var raw map[string]any
				if json.Unmarshal(b, &raw) == nil && raw != nil {
					raw["packageManager"] = name + "@" + ver
					out, _ := json.MarshalIndent(raw, "", "  ")
					p.putText(p.abs("package.json"), string(out)+"\n")
				}
			}
			if activate {
				file := p.corepackHome() + "/lastKnownGood.json"
				m := map[string]string{}
				if b, err := p.readFile(file); err == nil {
					json.Unmarshal(b, &m)
				}
				m[name] = ver
				out, _ := json.Marshal(m)
				p.putText(file, string(out)+"\n")
			}
		}
		return 0
	case "yarn", "pnpm", "pnpx", "yarnpkg":
		c := *p
		c.name, c.argv0, c.args = sub, "/usr/local/lib/node_modules/corepack/dist/"+sub+".js", args
		return lookupImpl(sub)(&c)
	}
	return p.notSimulated("corepack " + sub)
}

func (p *proc) linkTarget(file string) string {
	e, err := p.s.lstat(file)
	if err != nil || e.Kind != rootfs.KindSymlink {
		return ""
	}
	return e.Linkname
}

// ---- pnpm ----

// yamlNode is one key of a block-style YAML document (pnpm-lock.yaml, pnpm-workspace.yaml).
type yamlNode struct {
	key, val string
	kids     []*yamlNode
	items    []string // a block list's scalar items
}

func (n *yamlNode) get(k string) *yamlNode {
	if n == nil {
		return nil
	}
	for _, c := range n.kids {
		if c.key == k {
			return c
		}
	}
	return nil
}

// parseYAMLBlock reads the block mappings and lists pnpm writes: `key: value`,
// `key:` with an indented block, `- item`. Flow values ({...}, [...]) stay text.
func parseYAMLBlock(b []byte) *yamlNode {
	root := &yamlNode{}
	type level struct {
		indent int
		node   *yamlNode
	}
	stack := []level{{-1, root}}
	for _, raw := range strings.Split(string(b), "\n") {
		line := strings.TrimRight(raw, " \r")
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		for len(stack) > 1 && stack[len(stack)-1].indent >= indent {
			stack = stack[:len(stack)-1]
		}
		parent := stack[len(stack)-1].node
		if item, ok := strings.CutPrefix(t, "- "); ok {
			parent.items = append(parent.items, yamlScalar(item))
			continue
		}
		var k, v string
		if strings.HasPrefix(t, "'") || strings.HasPrefix(t, `"`) {
			q := t[:1]
			end := strings.Index(t[1:], q)
			if end < 0 {
				continue
			}
			k, v = t[1:end+1], strings.TrimPrefix(t[end+2:], ":")
		} else {
			i := strings.Index(t, ": ")
			if i < 0 {
				k = strings.TrimSuffix(t, ":")
			} else {
				k, v = t[:i], t[i+1:]
			}
		}
		n := &yamlNode{key: k, val: yamlScalar(strings.TrimSpace(v))}
		parent.kids = append(parent.kids, n)
		stack = append(stack, level{indent, n})
	}
	return root
}

func yamlScalar(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 && (s[0] == '\'' && s[len(s)-1] == '\'' || s[0] == '"' && s[len(s)-1] == '"') {
		return s[1 : len(s)-1]
	}
	return s
}

// pnpmLock is pnpm-lock.yaml read into importers (by project dir) and packages (by
// name@version with the peer suffix), whatever the format version.
type pnpmLock struct {
	version   string
	importers map[string]*pnpmImporter
	pkgs      map[string]*jsPkg
}

type pnpmImporter struct {
	specs map[string]string // name -> the specifier package.json had
	deps  []pnpmDirect
}

type pnpmDirect struct {
	name, ref string // ref: a package key, or link:dir
	dev       bool
}

// pnpmRef turns a dependency's value into a package key: "1.2.3(peer@1)" for name,
// "/name/1.2.3" (5.x), "/name@1.2.3" (6.x), an alias's "other@1.2.3", or link:dir.
func pnpmRef(name, v string) string {
	if strings.HasPrefix(v, "link:") || strings.HasPrefix(v, "file:") {
		return v
	}
	// the release without its peer suffix: 1.2.3(peer@1) (6.x, 9.x), 1.2.3_peer@1 (5.x)
	base := strings.SplitN(strings.SplitN(v, "(", 2)[0], "_", 2)[0]
	if strings.HasPrefix(v, "/") {
		v, base = v[1:], base[1:]
		// 5.x: name/1.2.3_peers
		if i := strings.LastIndex(base, "/"); i > 0 && !strings.Contains(base[1:], "@") {
			return v[:i] + "@" + v[i+1:]
		}
		return v
	}
	if len(base) > 1 && strings.Contains(base[1:], "@") {
		return v // an alias: the key itself
	}
	return name + "@" + v
}

// pnpmKeyVersion splits a package key into name and the release, peer suffix
// (6.x/9.x parentheses, 5.x underscores) stripped.
func pnpmKeyVersion(key string) (string, string) {
	name, ver := splitNameSpec(key)
	ver = strings.SplitN(ver, "(", 2)[0]
	ver = strings.SplitN(ver, "_", 2)[0]
	return name, ver
}

func parsePnpmLock(b []byte) *pnpmLock {
	doc := parseYAMLBlock(b)
	l := &pnpmLock{importers: map[string]*pnpmImporter{}, pkgs: map[string]*jsPkg{}}
	if v := doc.get("lockfileVersion"); v != nil {
		l.version = v.val
	}
	readImporter := func(n *yamlNode) *pnpmImporter {
		im := &pnpmImporter{specs: map[string]string{}}
		if s := n.get("specifiers"); s != nil { // 5.x
			for _, c := range s.kids {
				im.specs[c.key] = c.val
			}
		}
		for _, sec := range []string{"dependencies", "optionalDependencies", "devDependencies"} {
			s := n.get(sec)
			if s == nil {
				continue
			}
			for _, c := range s.kids {
				ref := c.val
				if sp := c.get("specifier"); sp != nil { // 6.x, 9.x
					im.specs[c.key] = sp.val
					ref = c.get("version").val
				}
				im.deps = append(im.deps, pnpmDirect{name: c.key, ref: pnpmRef(c.key, ref), dev: sec == "devDependencies"})
			}
		}
		return im
	}
	if im := doc.get("importers"); im != nil {
		for _, c := range im.kids {
			l.importers[c.key] = readImporter(c)
		}
	}
	if _, ok := l.importers["."]; !ok {
		l.importers["."] = readImporter(doc)
	}
	for _, sec := range []string{"packages", "snapshots"} {
		s := doc.get(sec)
		if s == nil {
			continue
		}
		for _, c := range s.kids {
			key := pnpmRef("", "/"+strings.TrimPrefix(c.key, "/"))
			name, ver := pnpmKeyVersion(key)
			k := l.pkgs[key]
			if k == nil {
				k = &jsPkg{key: key, name: name, version: ver}
				l.pkgs[key] = k
			}
			if v := c.get("version"); v != nil && sec == "packages" && c.get("resolution") != nil && !strings.Contains(v.val, ":") {
				k.version = v.val
			}
			if c.get("hasBin") != nil {
				k.bins = append(k.bins, nodeBins[name]...)
			}
			for _, ds := range []string{"dependencies", "optionalDependencies"} {
				if d := c.get(ds); d != nil {
					for _, e := range d.kids {
						k.deps = append(k.deps, jsDep{e.key, pnpmRef(e.key, e.val)})
					}
				}
			}
		}
	}
	// 9.x keeps dependencies in snapshots (with peers) and metadata in packages
	// (without): a snapshot's key may carry peers its package's key lacks
	return l
}

// pnpmVersion is the pnpm answering: a corepack shim's, else an npm global install's.
func (p *proc) pnpmVersion() (string, int) {
	target := p.selfTarget("pnpm")
	if strings.Contains(target, "/corepack/") {
		return p.corepackVersion("pnpm")
	}
	if i := strings.Index(target, "/node_modules/pnpm/"); i >= 0 {
		if pj, _ := p.readPackageJSONAt(target[:i] + "/node_modules/pnpm"); pj != nil && pj.Version != "" {
			return pj.Version, 0
		}
	}
	return corepackDefault("pnpm"), 0
}

func (p *proc) pnpmErr(code, msg string, more ...string) int {
	p.errln(" %s  %s", code, msg)
	for _, m := range more {
		p.errln("%s", m)
	}
	return 1
}

func cmdPnpx(p *proc) int {
	c := *p
	c.args = append([]string{"dlx"}, p.args...)
	return cmdPnpm(&c)
}

func cmdPnpm(p *proc) int {
	args := p.args
	var filters []string
	for len(args) > 0 {
		a := args[0]
		switch {
		case (a == "--filter" || a == "-F" || a == "-C" || a == "--dir") && len(args) > 1:
			if a == "-C" || a == "--dir" {
				p.dir = p.abs(args[1])
			} else {
				filters = append(filters, args[1])
			}
			args = args[2:]
			continue
		case strings.HasPrefix(a, "--filter="):
			filters = append(filters, strings.TrimPrefix(a, "--filter="))
			args = args[1:]
			continue
		case a == "-r" || a == "--recursive" || a == "--silent" || a == "-s" || strings.HasPrefix(a, "--allow-build") || a == "--reporter=append-only":
			args = args[1:]
			continue
		}
		break
	}
	if len(args) > 0 && (args[0] == "-v" || args[0] == "--version") {
		v, code := p.pnpmVersion()
		if code == 0 {
			p.outf("%s\n", v)
		}
		return code
	}
	ver, code := p.pnpmVersion()
	if code != 0 {
		return code
	}
	sub := "install"
	if len(args) > 0 {
		sub, args = args[0], args[1:]
	}
	switch sub {
	case "install", "i":
		return p.pnpmInstall(ver, args, nil, false)
	case "add":
		named, dev := addArgs(args, "--save-dev")
		return p.pnpmInstall(ver, nil, named, dev)
	case "fetch":
		return p.pnpmFetch(ver, args)
	case "deploy":
		return p.pnpmDeploy(ver, filters, args)
	case "store":
		if len(args) > 0 && args[0] == "path" {
			p.outf("%s\n", p.pnpmStore(ver))
			return 0
		}
		if len(args) > 0 && args[0] == "prune" {
			p.outf("Removed all cached metadata files\nRemoved 0 packages\n")
			return 0
		}
	case "prune", "audit", "config", "list", "ls", "why", "outdated", "approve-builds", "rebuild", "setup":
		if sub == "prune" {
			return p.pnpmInstall(ver, append(args, "--offline"), nil, false)
		}
		return 0
	case "run", "run-script":
		if len(args) == 0 {
			return 0
		}
		return p.pnpmRun(args[0], args[1:])
	case "exec":
		return p.runWithBin(shellJoin(args), p.projectRoot()+"/node_modules/.bin")
	case "dlx", "create":
		return p.runCreate("pnpm", "pnpm/"+ver+" npm/? node/v"+strings.TrimPrefix(p.nodeVersion(), "v")+" linux x64", sub, args)
	case "start", "test", "t":
		if sub == "t" {
			sub = "test"
		}
		return p.pnpmRun(sub, args)
	}
	return p.pnpmRun(sub, args)
}

// pnpmRun runs a script (`pnpm build` is `pnpm run build`), else a bin of the
// project, else fails as pnpm does.
func (p *proc) pnpmRun(script string, args []string) int {
	root := p.projectRoot()
	pj, _ := p.readPackageJSONAt(root)
	if pj != nil {
		if cmd, ok := pj.Scripts[script]; ok {
			if len(args) > 0 {
				cmd += " " + shellJoin(args)
			}
			p.outf("\n> %s@%s %s %s\n> %s\n\n", pj.Name, pj.Version, script, root, cmd)
			code := p.runWithBin(cmd, root+"/node_modules/.bin")
			if code != 0 {
				p.errln(" ELIFECYCLE  Command failed with exit code %d.", code)
			}
			return code
		}
	}
	if p.s.exists(root + "/node_modules/.bin/" + script) {
		return p.runWithBin(shellJoin(append([]string{script}, args...)), root+"/node_modules/.bin")
	}
	return p.pnpmErr("ERR_PNPM_NO_SCRIPT", fmt.Sprintf("Missing script: %s", script), "", fmt.Sprintf("Command \"%s\" not found.", script))
}

// pnpmStore is the content-addressable store's directory for this pnpm.
func (p *proc) pnpmStore(ver string) string {
	if v := p.getenv("PNPM_STORE_DIR"); v != "" {
		return v
	}
	base := firstNonEmpty(p.getenv("PNPM_HOME"), firstNonEmpty(p.getenv("XDG_DATA_HOME"), p.home()+"/.local/share")+"/pnpm")
	sv := "v3"
	if langcatalog.Compare(ver, "10") >= 0 {
		sv = "v10"
	}
	return base + "/store/" + sv
}

// pnpmWorkspaceGlobs reads pnpm-workspace.yaml's packages list.
func (p *proc) pnpmWorkspace(root string) (*yamlNode, []string) {
	b, err := p.readFile(root + "/pnpm-workspace.yaml")
	if err != nil {
		return nil, []string{}
	}
	doc := parseYAMLBlock(b)
	var globs []string
	if pk := doc.get("packages"); pk != nil {
		globs = pk.items
	}
	return doc, globs
}

// pnpmLockNeeds is the lowest pnpm major that reads a lockfile version.
func pnpmLockNeeds(lockVer string) string {
	switch {
	case strings.HasPrefix(lockVer, "9"):
		return "9"
	case strings.HasPrefix(lockVer, "6"):
		return "8"
	}
	return "1"
}

// pnpmInstall is pnpm install (and add): from pnpm-lock.yaml when it matches
// package.json, else resolved afresh and the lockfile written.
func (p *proc) pnpmInstall(ver string, args, named []string, addDev bool) int {
	frozen := p.getenv("CI") != "" && p.getenv("CI") != "false"
	prod := p.getenv("NODE_ENV") == "production"
	offline := false
	for _, a := range args {
		switch a {
		case "--frozen-lockfile":
			frozen = true
		case "--no-frozen-lockfile":
			frozen = false
		case "--prod", "-P", "--production":
			prod = true
		case "--dev", "-D":
			prod = false
		case "--offline", "--prefer-offline":
			offline = a == "--offline"
		}
	}
	root := p.projectRoot()
	pj, code := p.readPackageJSONAt(root)
	if pj == nil {
		if code == 1 {
			return p.pnpmErr("ERR_PNPM_NO_PKG_MANIFEST", "No package.json found in "+root)
		}
		return 1
	}
	if pj.Dependencies == nil {
		pj.Dependencies = map[string]string{}
	}
	if pj.DevDependencies == nil {
		pj.DevDependencies = map[string]string{}
	}
	notFound := func(name string) int {
		return p.pnpmErr("ERR_PNPM_FETCH_404", fmt.Sprintf("GET https://registry.npmjs.org/%s: Not Found - 404", strings.Replace(name, "/", "%2F", 1)), "",
			"This error happened while installing a direct dependency of "+root, "", name+" is not in the npm registry, or you have no permission to fetch it.", "", "No authorization header was set for the request.")
	}
	for _, n := range named {
		name, spec := npmSpecName(n)
		if err := langcatalog.Check(langcatalog.NPM, name); err != nil {
			return notFound(name)
		}
		pk, err := langcatalog.Resolve(langcatalog.NPM, name, spec)
		if err != nil {
			return p.pnpmErr("ERR_PNPM_NO_MATCHING_VERSION", fmt.Sprintf("No matching version found for %s@%s", name, spec))
		}
		if spec == "" || spec == "latest" {
			spec = "^" + pk.Version
		}
		if addDev {
			pj.DevDependencies[name] = spec
		} else {
			pj.Dependencies[name] = spec
		}
	}
	_, globs := p.pnpmWorkspace(root)
	manifests := p.jsManifests(root, pj, globs)
	lb, err := p.readFile(root + "/pnpm-lock.yaml")
	hasLock := err == nil
	var lock *pnpmLock
	if hasLock {
		lock = parsePnpmLock(lb)
		if need := pnpmLockNeeds(lock.version); langcatalog.Compare(ver, need) < 0 {
			if frozen {
				return p.pnpmErr("ERR_PNPM_LOCKFILE_BREAKING_CHANGE", fmt.Sprintf("Lockfile %s/pnpm-lock.yaml not compatible with current pnpm", root), "", fmt.Sprintf("Run with the --force parameter to recreate the lockfile. (pnpm %s reads this lockfile version %s with pnpm %s or newer)", ver, lock.version, need))
			}
			p.outf(" WARN  Ignoring not compatible lockfile at %s/pnpm-lock.yaml\n", root)
			hasLock, lock = false, nil
		}
	}
	if frozen && !hasLock {
		return p.pnpmErr("ERR_PNPM_NO_LOCKFILE", "Cannot install with \"frozen-lockfile\" because pnpm-lock.yaml is absent", "", "Note that in CI environments this setting is true by default. If you still need to run install in such cases, use \"pnpm install --no-frozen-lockfile\"")
	}
	upToDate := hasLock && len(named) == 0
	if hasLock {
		for rel, m := range manifests {
			im := lock.importers[firstNonEmpty(rel, ".")]
			want := map[string]string{}
			for _, d := range append(wantedDeps(m, false), sortedDeps(m.DevDependencies)...) {
				want[d.name] = d.spec
			}
			if im == nil || !sameSpecs(im.specs, want) {
				upToDate = false
				if frozen {
					got := "{}"
					if im != nil {
						got = specsJSON(im.specs)
					}
					return p.pnpmErr("ERR_PNPM_OUTDATED_LOCKFILE", fmt.Sprintf("Cannot install with \"frozen-lockfile\" because pnpm-lock.yaml is not up to date with <ROOT>%s/package.json", strings.TrimSuffix("/"+rel, "/")), "",
						"Note that in CI environments this setting is true by default. If you still need to run install in such cases, use \"pnpm install --no-frozen-lockfile\"", "",
						"  Failure reason:", fmt.Sprintf("  specifiers in the lockfile (%s) don't match specs in package.json (%s)", got, specsJSON(want)))
				}
			}
		}
	}
	var roots map[string][]*pnpmRoot
	if upToDate {
		p.outf("Lockfile is up to date, resolution step is skipped\n")
		roots, code = p.pnpmLockedRoots(lock, manifests, notFound)
	} else {
		roots, code = p.pnpmFreshRoots(manifests, notFound)
	}
	if code != 0 {
		return code
	}
	n, err := p.pnpmLayout(ver, root, roots, prod, offline)
	if err != nil {
		p.errln(" ERR_PNPM_LINK  %v", err)
		return 1
	}
	if !upToDate || len(named) > 0 {
		if len(named) > 0 {
			p.jsSaveManifest(root, pj)
		}
		p.putText(root+"/pnpm-lock.yaml", pnpmLockText(roots))
	}
	p.outf("Packages: +%d\n%s\nProgress: resolved %d, reused 0, downloaded %d, added %d, done\n", n, strings.Repeat("+", min(n, 80)), n, n, n)
	for _, sec := range []bool{false, true} {
		var lines []string
		for _, r := range roots["."] {
			if r.dev == sec && r.pkg.link == "" {
				lines = append(lines, fmt.Sprintf("+ %s %s", r.name, r.pkg.version))
			}
		}
		if len(lines) == 0 {
			continue
		}
		if sec {
			if prod {
				p.outf("\ndevDependencies: skipped\n")
				continue
			}
			p.outf("\ndevDependencies:\n")
		} else {
			p.outf("\ndependencies:\n")
		}
		p.outf("%s\n", strings.Join(lines, "\n"))
	}
	p.outf("\nDone in 3.1s using pnpm v%s\n", ver)
	return 0
}

func sameSpecs(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func specsJSON(m map[string]string) string {
	b, _ := json.Marshal(m)
	return string(b)
}

// pnpmRoot is one direct dependency of one importer (project or workspace package).
type pnpmRoot struct {
	name string
	pkg  *jsPkg
	dev  bool
}

func (p *proc) pnpmLockedRoots(lock *pnpmLock, manifests map[string]*packageJSON, notFound func(string) int) (map[string][]*pnpmRoot, int) {
	out := map[string][]*pnpmRoot{}
	var resolve func(k *jsPkg, seen map[*jsPkg]bool)
	resolve = func(k *jsPkg, seen map[*jsPkg]bool) {
		if seen[k] {
			return
		}
		seen[k] = true
		for _, d := range k.deps {
			c := lock.pkgs[d.spec]
			if c == nil {
				name, ver := pnpmKeyVersion(d.spec)
				// 9.x: a snapshot's dependency names its key; packages alone lack peers
				c = &jsPkg{key: d.spec, name: name, version: ver}
				lock.pkgs[d.spec] = c
			}
			k.children = append(k.children, c)
			resolve(c, seen)
		}
	}
	seen := map[*jsPkg]bool{}
	for rel := range manifests {
		im := lock.importers[firstNonEmpty(rel, ".")]
		if im == nil {
			continue
		}
		for _, d := range im.deps {
			r := &pnpmRoot{name: d.name, dev: d.dev}
			if link, ok := strings.CutPrefix(d.ref, "link:"); ok {
				r.pkg = &jsPkg{name: d.name, link: path.Clean(path.Join(rel, link))}
			} else {
				k := lock.pkgs[d.ref]
				if k == nil {
					name, ver := pnpmKeyVersion(d.ref)
					k = &jsPkg{key: d.ref, name: name, version: ver}
					lock.pkgs[d.ref] = k
				}
				r.pkg = k
				resolve(k, seen)
			}
			out[firstNonEmpty(rel, ".")] = append(out[firstNonEmpty(rel, ".")], r)
		}
	}
	return out, 0
}

func (p *proc) pnpmFreshRoots(manifests map[string]*packageJSON, notFound func(string) int) (map[string][]*pnpmRoot, int) {
	out := map[string][]*pnpmRoot{}
	for rel, m := range manifests {
		prod, dev, code := p.jsFreshGraph(map[string]*packageJSON{"": m}, true, notFound)
		if code != 0 {
			return nil, code
		}
		for i, list := range [][]*jsPkg{prod, dev} {
			for _, k := range list {
				if k.link != "" && rel != "" {
					k.link = path.Clean(path.Join(rel, k.link))
				}
				out[firstNonEmpty(rel, ".")] = append(out[firstNonEmpty(rel, ".")], &pnpmRoot{name: k.name, pkg: k, dev: i == 1})
			}
		}
	}
	return out, 0
}

// pnpmDirName is the .pnpm directory of a package key, as pnpm names it: / becomes +,
// the peer suffix's parentheses become _, and an over-long name is cut and hashed.
func pnpmDirName(key string) string {
	s := strings.ReplaceAll(key, "/", "+")
	s = strings.ReplaceAll(s, ")(", "_")
	s = strings.ReplaceAll(s, "(", "_")
	s = strings.ReplaceAll(s, ")", "")
	if len(s) > 120 {
		h := fnv.New64a()
		h.Write([]byte(s))
		s = fmt.Sprintf("%s_%016x", s[:100], h.Sum64())
	}
	return s
}

// pnpmLayout writes node_modules the pnpm way and returns the number of packages.
func (p *proc) pnpmLayout(ver, root string, roots map[string][]*pnpmRoot, prod, offline bool) (int, error) {
	// every package reachable from the kept roots
	var all []*jsPkg
	seen := map[*jsPkg]bool{}
	var walk func(k *jsPkg)
	walk = func(k *jsPkg) {
		if seen[k] || k.link != "" {
			return
		}
		seen[k] = true
		all = append(all, k)
		for _, c := range k.children {
			walk(c)
		}
	}
	for _, rs := range roots {
		for _, r := range rs {
			if !(prod && r.dev) {
				walk(r.pkg)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].key < all[j].key })
	vstore := root + "/node_modules/.pnpm"
	store := p.pnpmStore(ver)
	direct := map[string]bool{}
	for _, rs := range roots {
		for _, r := range rs {
			direct[r.name] = true
		}
	}
	written := 0
	synth := map[string]bool{}
	first := map[string]string{} // name@version -> the directory holding its files
	for _, k := range all {
		pk, err := jsCatalogPackage(k.name, k.version, k.bins)
		if err != nil {
			return 0, err
		}
		if pk.Synthesized && !synth[k.name] {
			synth[k.name] = true
			p.outf("layerlab: %s is not in the playground's npm catalog; installing a stand-in synthesized from its name\n", k.name)
		}
		d := vstore + "/" + pnpmDirName(k.key) + "/node_modules"
		if !p.isFile(d + "/" + k.name + "/package.json") {
			// a release installed with different peers is the same files under another
			// directory: hard links to the first copy, as pnpm's store makes them
			if err := p.jsWritePkg(d+"/"+k.name, pk, "", false, first[k.name+"@"+k.version]); err != nil {
				return 0, err
			}
			written++
		}
		if first[k.name+"@"+k.version] == "" {
			first[k.name+"@"+k.version] = d + "/" + k.name
		}
		// the store's index of this package (its files are hard links into it on a
		// real disk; the layer holds them once either way)
		p.putText(fmt.Sprintf("%s/index/%02x/%s@%s.json", store, seedOf("pnpm", k.key)&0xff, strings.ReplaceAll(k.name, "/", "+"), k.version), fmt.Sprintf("{\"name\":%q,\"version\":%q}\n", k.name, k.version))
		for _, c := range k.children {
			if c.link != "" || c.name == k.name {
				continue
			}
			if err := p.npmLink(d+"/"+c.name, vstore+"/"+pnpmDirName(c.key)+"/node_modules/"+c.name); err != nil {
				return 0, err
			}
		}
		if !direct[k.name] {
			if err := p.npmLink(vstore+"/node_modules/"+k.name, d+"/"+k.name); err != nil {
				return 0, err
			}
		}
	}
	for rel, rs := range roots {
		base := root
		if rel != "." {
			base = root + "/" + rel
		}
		for _, r := range rs {
			if prod && r.dev {
				continue
			}
			if r.pkg.link != "" {
				if err := p.npmLink(base+"/node_modules/"+r.name, root+"/"+r.pkg.link); err != nil {
					return 0, err
				}
				continue
			}
			target := vstore + "/" + pnpmDirName(r.pkg.key) + "/node_modules/" + r.pkg.name
			if err := p.npmLink(base+"/node_modules/"+r.name, target); err != nil {
				return 0, err
			}
			pk, _ := jsCatalogPackage(r.pkg.name, r.pkg.version, r.pkg.bins)
			for _, b := range pk.Bins {
				rel := relPath(base+"/node_modules/.bin", target+"/bin/"+b+".js")
				shim := fmt.Sprintf("#!/bin/sh\nbasedir=$(dirname \"$(echo \"$0\" | sed -e 's,\\\\,/,g')\")\nexec node \"$basedir/%s\" \"$@\"\n", rel)
				if err := p.put(base+"/node_modules/.bin/"+b, rootfs.Bytes(shim), 0o755, p.s.uid, p.s.gid); err != nil {
					return 0, err
				}
			}
		}
	}
	p.putText(root+"/node_modules/.modules.yaml", fmt.Sprintf("hoistPattern:\n  - '*'\nlayoutVersion: 5\nnodeLinker: isolated\npackageManager: pnpm@%s\nstoreDir: %s\nvirtualStoreDir: .pnpm\n", ver, path.Dir(p.pnpmStore(ver))))
	if b, err := p.readFile(root + "/pnpm-lock.yaml"); err == nil {
		p.putText(vstore+"/lock.yaml", string(b))
	}
	_ = offline
	return len(all), nil
}

// pnpmLockText writes a 9.0 lockfile for a fresh resolution.
func pnpmLockText(roots map[string][]*pnpmRoot) string {
	var b strings.Builder
	b.WriteString("lockfileVersion: '9.0'\n\nsettings:\n  autoInstallPeers: true\n  excludeLinksFromLockfile: false\n\nimporters:\n")
	rels := make([]string, 0, len(roots))
	for r := range roots {
		rels = append(rels, r)
	}
	sort.Strings(rels)
	var all []*jsPkg
	seen := map[*jsPkg]bool{}
	var walk func(*jsPkg)
	walk = func(k *jsPkg) {
		if seen[k] || k.link != "" {
			return
		}
		seen[k] = true
		all = append(all, k)
		for _, c := range k.children {
			walk(c)
		}
	}
	for _, rel := range rels {
		fmt.Fprintf(&b, "\n  %s:\n", rel)
		for _, sec := range []bool{false, true} {
			head := false
			for _, r := range roots[rel] {
				if r.dev != sec {
					continue
				}
				if !head {
					b.WriteString(map[bool]string{false: "    dependencies:\n", true: "    devDependencies:\n"}[sec])
					head = true
				}
				v := r.pkg.version
				if r.pkg.link != "" {
					v = "link:" + r.pkg.link
				}
				fmt.Fprintf(&b, "      %s:\n        specifier: ^%s\n        version: %s\n", yamlKey(r.name), r.pkg.version, v)
				walk(r.pkg)
			}
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].key < all[j].key })
	b.WriteString("\npackages:\n")
	for _, k := range all {
		fmt.Fprintf(&b, "\n  %s:\n    resolution: {integrity: sha512-%016x}\n", yamlKey(k.key), seedOf("pnpm-int", k.key))
	}
	b.WriteString("\nsnapshots:\n")
	for _, k := range all {
		fmt.Fprintf(&b, "\n  %s:", yamlKey(k.key))
		if len(k.children) == 0 {
			b.WriteString(" {}\n")
			continue
		}
		b.WriteString("\n    dependencies:\n")
		for _, c := range k.children {
			fmt.Fprintf(&b, "      %s: %s\n", yamlKey(c.name), c.version)
		}
	}
	return b.String()
}

func yamlKey(s string) string {
	if strings.HasPrefix(s, "@") {
		return "'" + s + "'"
	}
	return s
}

// pnpmFetch fills the store from pnpm-lock.yaml alone (no package.json needed), so a
// later `pnpm install --offline` links from it.
func (p *proc) pnpmFetch(ver string, args []string) int {
	root := p.projectRoot()
	lb, err := p.readFile(root + "/pnpm-lock.yaml")
	if err != nil {
		return p.pnpmErr("ERR_PNPM_NO_LOCKFILE", "Cannot fetch dependencies without a lockfile", "", "Run \"pnpm install\" to create a lockfile")
	}
	lock := parsePnpmLock(lb)
	prodOnly := contains(args, "--prod") || contains(args, "-P")
	devOnly := contains(args, "--dev") || contains(args, "-D")
	store := p.pnpmStore(ver)
	n := 0
	for _, k := range lock.pkgs {
		_ = prodOnly
		_ = devOnly
		pk, err := jsCatalogPackage(k.name, k.version, nil)
		if err != nil {
			continue
		}
		if err := p.put(fmt.Sprintf("%s/files/%02x/%014x-%s", store, seedOf("pnpmfile", k.name, k.version)&0xff, seedOf("pnpmfile2", k.name, k.version)&0xffffffffffffff, strings.ReplaceAll(k.name, "/", "+")), rootfs.Generated{Seed: seedOf("npm", pk.Name, pk.Version), N: pk.Size}, 0o644, p.s.uid, p.s.gid); err != nil {
			p.errln(" ERR_PNPM_FETCH  %v", err)
			return 1
		}
		n++
	}
	p.outf("Packages: +%d\nProgress: resolved %d, reused 0, downloaded %d, added 0, done\nDone in 2.2s using pnpm v%s\n", n, n, n, ver)
	return 0
}

// pnpmDeploy copies one workspace package with its production dependencies into a
// directory; pnpm 10 requires injected workspace packages (or --legacy) as it does.
func (p *proc) pnpmDeploy(ver string, filters, args []string) int {
	var target string
	legacy := false
	prod := true
	for _, a := range args {
		switch {
		case a == "--legacy":
			legacy = true
		case a == "--dev" || a == "-D":
			prod = false
		case !strings.HasPrefix(a, "-"):
			target = a
		}
	}
	if len(filters) == 0 {
		return p.pnpmErr("ERR_PNPM_CANNOT_DEPLOY", "A deploy is only possible from inside a workspace")
	}
	if target == "" {
		return p.pnpmErr("ERR_PNPM_INVALID_DEPLOY_TARGET", "This command requires one parameter")
	}
	root := p.projectRoot()
	doc, globs := p.pnpmWorkspace(root)
	if langcatalog.Compare(ver, "10") >= 0 && !legacy {
		inject := doc != nil && doc.get("injectWorkspacePackages") != nil && doc.get("injectWorkspacePackages").val == "true"
		if b, err := p.readFile(root + "/.npmrc"); err == nil && strings.Contains(string(b), "inject-workspace-packages=true") {
			inject = true
		}
		if !inject {
			return p.pnpmErr("ERR_PNPM_DEPLOY_NONINJECTED_WORKSPACE", "By default, dependencies that are linked from workspace packages are not injected. Set inject-workspace-packages=true to use pnpm deploy, or use the --legacy flag")
		}
	}
	pj, _ := p.readPackageJSONAt(root)
	if pj == nil {
		return 1
	}
	var src string
	for rel, m := range p.jsManifests(root, pj, globs) {
		for _, f := range filters {
			if m.Name == f || "./"+rel == f || rel == strings.TrimPrefix(f, "./") {
				src = firstNonEmpty(rel, ".")
			}
		}
	}
	if src == "" {
		return p.pnpmErr("ERR_PNPM_NOTHING_TO_DEPLOY", "No project was selected for deployment")
	}
	out := p.abs(target)
	from := path.Join(root, src)
	for _, rel := range p.findFiles(from, map[string]bool{"node_modules": true, ".git": true}, func(string) bool { return true }) {
		e, err := p.s.stat(path.Join(from, rel))
		if err != nil || !p.writeArtefact(path.Join(out, rel), dataOf(e), e.Mode) {
			return 1
		}
	}
	c := *p
	c.dir = out
	if prod {
		return c.pnpmInstall(ver, []string{"--prod"}, nil, false)
	}
	return c.pnpmInstall(ver, nil, nil, false)
}

// errln prints a line to stderr as the tool itself words it (errf would prefix the
// command's name, which yarn, pnpm, gem, bundler and composer do not).
func (p *proc) errln(format string, a ...any) {
	fmt.Fprintf(p.errw, format+"\n", a...)
}

// addArgs splits the arguments of yarn add / pnpm add: the packages named, and whether
// -D or the tool's long flag (devFlag) asked for devDependencies; other flags are left.
func addArgs(args []string, devFlag string) (named []string, dev bool) {
	for _, a := range args {
		switch {
		case a == "-D" || a == devFlag:
			dev = true
		case !strings.HasPrefix(a, "-"):
			named = append(named, a)
		}
	}
	return named, dev
}
