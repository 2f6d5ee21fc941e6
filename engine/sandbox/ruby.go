package sandbox

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"layerlab/engine/rootfs"
	"layerlab/engine/sandbox/langcatalog"
)

// ruby, gem, bundle/bundler, rake and rails over the RubyGems catalog
// (engine/sandbox/langcatalog). Gems go where RubyGems puts them: GEM_HOME
// (/usr/local/bundle in the official images) or bundler's path, as
// gems/NAME-VERSION, specifications/NAME-VERSION.gemspec, cache/NAME-VERSION.gem and a
// wrapper per executable in bin/. Bundler reads the Gemfile and Gemfile.lock (whose
// versions are what gets installed), its config (`bundle config set --local ...`,
// written to $BUNDLE_APP_CONFIG/config as the official images direct, and BUNDLE_*
// variables), and fails as bundler does: a Ruby version the Gemfile does not allow,
// frozen/deployment mode with a Gemfile that changed or a lockfile without this
// platform, a gem no repository has.
//
// Native extensions: a gem with C code is compiled at install time, which needs a C
// compiler and make in the image (build-essential / build-base) and, for pg and mysql2,
// the client library's headers (pg_config, mysql_config). Gems published precompiled
// for x86_64-linux (nokogiri, sqlite3 >= 1.5, ffi, google-protobuf, grpc) install
// without them when the lockfile has the platform or there is no lockfile, as bundler
// picks the platform gem; gems the image's Ruby ships at the same version are used as
// they are. The step log says which gems were compiled.

func init() {
	register(map[string]cmdFunc{"ruby": cmdRuby, "gem": cmdGem, "bundle": cmdBundle, "bundler": cmdBundle, "rake": cmdRake, "rails": cmdRails})
}

// rubyNative lists the gems with C extensions: "compile" always builds, "platform"
// ships precompiled x86_64-linux gems (from the version given on).
var rubyNative = map[string]string{
	"pg": "compile", "mysql2": "compile", "bcrypt": "compile", "puma": "compile", "nio4r": "compile", "json": "compile",
	"racc": "compile", "bootsnap": "compile", "msgpack": "compile", "eventmachine": "compile", "thin": "compile",
	"websocket-driver": "compile", "date": "compile", "psych": "compile", "bigdecimal": "compile", "io-console": "compile",
	"debug": "compile", "byebug": "compile", "sassc": "compile", "oj": "compile", "redcarpet": "compile", "hiredis": "compile",
	"unf_ext": "compile", "stringio": "compile", "strscan": "compile", "ed25519": "compile", "bcrypt_pbkdf": "compile",
	"nokogiri": "platform:1.11.0", "sqlite3": "platform:1.5.0", "ffi": "platform:1.14.0", "google-protobuf": "platform:3.0.0",
	"grpc": "platform:1.0.0",
}

// rubyShipped are the extension gems each Ruby ships (default and bundled gems): a
// lockfile naming that version uses them without compiling.
var rubyShipped = map[string]map[string]string{
	"3.1": {"json": "2.6.1", "date": "3.2.2", "psych": "4.0.3", "io-console": "0.5.11", "stringio": "3.0.1", "strscan": "3.0.1", "racc": "1.6.0", "bigdecimal": "3.1.1", "debug": "1.4.0", "rake": "13.0.6"},
	"3.2": {"json": "2.6.3", "date": "3.3.3", "psych": "5.0.1", "io-console": "0.6.0", "stringio": "3.0.4", "strscan": "3.0.5", "racc": "1.6.2", "bigdecimal": "3.1.3", "debug": "1.7.1", "rake": "13.0.6"},
	"3.3": {"json": "2.7.1", "date": "3.3.4", "psych": "5.1.2", "io-console": "0.7.1", "stringio": "3.1.0", "strscan": "3.0.7", "racc": "1.7.3", "bigdecimal": "3.1.5", "debug": "1.9.1", "rake": "13.1.0"},
	"3.4": {"json": "2.9.1", "date": "3.4.1", "psych": "5.2.2", "io-console": "0.8.0", "stringio": "3.1.2", "strscan": "3.1.2", "racc": "1.8.1", "bigdecimal": "3.1.8", "debug": "1.10.0", "rake": "13.2.1"},
}

func (p *proc) rubyVersion() string { return firstNonEmpty(p.getenv("RUBY_VERSION"), "3.3.6") }

func (p *proc) rubyMinor() string {
	v := strings.Split(p.rubyVersion(), ".")
	if len(v) < 2 {
		return "3.3"
	}
	return v[0] + "." + v[1]
}

// gemHome is where gem install and bundler (without a path) put gems.
func (p *proc) gemHome() string {
	return firstNonEmpty(p.getenv("GEM_HOME"), "/usr/local/lib/ruby/gems/"+p.rubyMinor()+".0")
}

func cmdRuby(p *proc) int {
	if len(p.args) > 0 && (p.args[0] == "-v" || p.args[0] == "--version") {
		p.outf("ruby %s (layerlab sandbox) [x86_64-linux]\n", p.rubyVersion())
		return 0
	}
	if len(p.args) > 0 && !strings.HasPrefix(p.args[0], "-") {
		// a gem's executable wrapper (#!/usr/local/bin/ruby) runs by its name
		name := path.Base(p.args[0])
		if name != "ruby" && lookupImpl(name) != nil && strings.Contains(p.args[0], "/bin/") {
			c := *p
			c.name, c.args = name, p.args[1:]
			return lookupImpl(name)(&c)
		}
		return p.notSimulated("ruby " + p.args[0] + " (the sandbox does not run Ruby programs)")
	}
	return p.notSimulated("ruby " + strings.Join(p.args, " "))
}

// gemSpec is one gem to install: name, version, and how (platform gem, shipped, compiled).
type gemSpec struct {
	name, version, platform string
	deps                    []string
}

// gemNative says how a gem's extension gets built: "" (pure Ruby or precompiled or
// shipped), else "compile".
func (p *proc) gemNative(g gemSpec) string {
	if rubyShipped[p.rubyMinor()][g.name] == g.version {
		return ""
	}
	kind := rubyNative[g.name]
	if from, ok := strings.CutPrefix(kind, "platform:"); ok {
		if g.platform != "" && g.platform != "ruby" && langcatalog.Compare(g.version, from) >= 0 {
			return ""
		}
		return "compile"
	}
	return kind
}

// gemBuildProblem says what a compiled gem lacks in this image, or "".
func (p *proc) gemBuildProblem(g gemSpec) string {
	has := func(n string) bool { _, ok := p.s.lookPath(p.getenv("PATH"), p.dir, n); return ok }
	switch {
	case !has("gcc") && !has("cc"):
		return "no C compiler (gcc): install build-essential (Debian/Ubuntu) or build-base (Alpine)"
	case !has("make"):
		return "no make: install build-essential (Debian/Ubuntu) or build-base (Alpine)"
	case g.name == "pg" && !has("pg_config"):
		return "no pg_config: install libpq-dev (Debian/Ubuntu) or postgresql-dev / libpq-dev (Alpine)"
	case g.name == "mysql2" && !has("mysql_config") && !has("mariadb_config"):
		return "no mysql_config: install default-libmysqlclient-dev (Debian/Ubuntu) or mariadb-dev (Alpine)"
	}
	return ""
}

// gemWrite lays out one installed gem under home.
func (p *proc) gemWrite(home string, g gemSpec, pk langcatalog.Package, compiled bool) error {
	full := g.name + "-" + g.version
	if g.platform != "" && g.platform != "ruby" {
		full += "-" + g.platform
	}
	uid, gid := p.s.uid, p.s.gid
	if err := p.put(home+"/gems/"+full+"/lib/"+g.name+".rb", rootfs.Generated{Seed: seedOf("gem", g.name, g.version), N: pk.Size}, 0o644, uid, gid); err != nil {
		return err
	}
	if compiled {
		so := fmt.Sprintf("%s/extensions/x86_64-linux/%s.0/%s/%s.so", home, p.rubyMinor(), full, strings.ReplaceAll(g.name, "-", "_"))
		if err := p.put(so, rootfs.Generated{Seed: seedOf("gemext", g.name, g.version, p.rubyVersion()), N: pk.Size / 2}, 0o755, uid, gid); err != nil {
			return err
		}
	}
	spec := fmt.Sprintf("# -*- encoding: utf-8 -*-\n# stub: %s %s %s lib\n\nGem::Specification.new do |s|\n  s.name = %q.freeze\n  s.version = %q\n", g.name, g.version, firstNonEmpty(g.platform, "ruby"), g.name, g.version)
	for _, d := range g.deps {
		spec += fmt.Sprintf("  s.add_runtime_dependency(%q)\n", d)
	}
	spec += "end\n"
	if err := p.putText(home+"/specifications/"+full+".gemspec", spec); err != nil {
		return err
	}
	if err := p.put(home+"/cache/"+full+".gem", rootfs.Generated{Seed: seedOf("gemfile", g.name, g.version), N: pk.Size / 3}, 0o644, uid, gid); err != nil {
		return err
	}
	for _, b := range pk.Bins {
		w := fmt.Sprintf("#!/usr/local/bin/ruby\n#\n# This file was generated by RubyGems.\n#\n# The application '%s' is installed as part of a gem, and\n# this file is here to facilitate running it.\n#\n\nrequire 'rubygems'\n\nversion = \">= 0.a\"\n\nload Gem.activate_bin_path('%s', '%s', version)\n", g.name, g.name, b)
		if err := p.put(home+"/bin/"+b, rootfs.Bytes(w), 0o755, uid, gid); err != nil {
			return err
		}
	}
	return nil
}

// gemInstalled reports whether home (or the Ruby's own gem dir) has name-version.
func (p *proc) gemInstalled(home, name, version string) bool {
	if rubyShipped[p.rubyMinor()][name] == version {
		return true // a default or bundled gem of this Ruby
	}
	for _, h := range []string{home, "/usr/local/lib/ruby/gems/" + p.rubyMinor() + ".0"} {
		if p.isDir(h+"/gems/"+name+"-"+version) || p.isDir(h+"/gems/"+name+"-"+version+"-x86_64-linux") {
			return true
		}
	}
	return false
}

func cmdGem(p *proc) int {
	if len(p.args) == 0 {
		p.outf("RubyGems is a package management framework for Ruby.\n")
		return 1
	}
	sub, args := p.args[0], p.args[1:]
	switch sub {
	case "-v", "--version":
		p.outf("%s\n", map[string]string{"3.1": "3.3.27", "3.2": "3.4.19", "3.3": "3.5.22", "3.4": "3.6.2"}[p.rubyMinor()])
		return 0
	case "install", "i":
		return p.gemInstall(args)
	case "update":
		if contains(args, "--system") {
			p.outf("Updating rubygems-update\nSuccessfully installed rubygems-update-3.6.5\nInstalling RubyGems 3.6.5\n  Successfully built RubyGem\n  Name: bundler\n  Version: 2.6.5\nRubyGems 3.6.5 installed\n")
			p.putText("/usr/local/lib/ruby/site_ruby/"+p.rubyMinor()+".0/rubygems.rb", "# RubyGems 3.6.5 (layerlab stand-in)\n")
			return 0
		}
		return p.gemInstall(args)
	case "env", "list", "sources", "cleanup", "which", "contents", "specification", "query", "search", "info", "pristine":
		if sub == "env" && len(args) > 0 && args[0] == "home" {
			p.outf("%s\n", p.gemHome())
		}
		return 0
	case "uninstall":
		for _, a := range args {
			if !strings.HasPrefix(a, "-") {
				for _, d := range p.listDir(p.gemHome() + "/gems") {
					if strings.HasPrefix(d, a+"-") {
						p.removeAll(p.gemHome() + "/gems/" + d)
						p.removeAll(p.gemHome() + "/specifications/" + d + ".gemspec")
						p.outf("Successfully uninstalled %s\n", d)
					}
				}
			}
		}
		return 0
	}
	return p.notSimulated("gem " + sub)
}

func (p *proc) gemInstall(args []string) int {
	var names []string
	constraint := ""
	home := p.gemHome()
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case (a == "-v" || a == "--version") && i+1 < len(args):
			i++
			constraint = args[i]
		case strings.HasPrefix(a, "--version="):
			constraint = strings.TrimPrefix(a, "--version=")
		case (a == "-i" || a == "--install-dir") && i+1 < len(args):
			i++
			home = p.abs(args[i])
		case a == "--source" || a == "-s" || a == "-n" || a == "--bindir" || a == "--platform":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			n, v, _ := strings.Cut(a, ":")
			names = append(names, n)
			if v != "" {
				constraint = v
			}
		}
	}
	if len(names) == 0 {
		p.errln("ERROR:  While executing gem ... (Gem::CommandLineError)\n    Please specify at least one gem name (e.g. gem build GEMNAME)")
		return 1
	}
	installed := 0
	for _, n := range names {
		if err := langcatalog.Check(langcatalog.RubyGems, n); err != nil {
			p.errln("ERROR:  Could not find a valid gem '%s' (%s) in any repository", n, firstNonEmpty(gemReq(constraint), ">= 0"))
			return 2
		}
		var order []gemSpec
		seen := map[string]bool{}
		var visit func(name, c string) int
		visit = func(name, c string) int {
			if seen[name] {
				return 0
			}
			seen[name] = true
			pk, err := langcatalog.Resolve(langcatalog.RubyGems, name, c)
			if err != nil {
				p.errln("ERROR:  Could not find a valid gem '%s' (%s) in any repository", name, gemReq(c))
				return 2
			}
			for _, d := range pk.Deps {
				if code := visit(d, ""); code != 0 {
					return code
				}
			}
			g := gemSpec{name: name, version: pk.Version, deps: pk.Deps}
			if strings.HasPrefix(rubyNative[name], "platform:") {
				g.platform = "x86_64-linux"
			}
			if !p.gemInstalled(home, g.name, g.version) {
				order = append(order, g)
			}
			return 0
		}
		if code := visit(n, constraint); code != 0 {
			return code
		}
		for _, g := range order {
			pk, _ := langcatalog.Resolve(langcatalog.RubyGems, g.name, "= "+g.version)
			if pk.Synthesized {
				p.outf("layerlab: %s is not in the playground's RubyGems catalog; installing a stand-in synthesized from its name\n", g.name)
			}
			compiled := p.gemNative(g) == "compile"
			if compiled {
				p.outf("Building native extensions. This could take a while...\n")
				if why := p.gemBuildProblem(g); why != "" {
					p.gemBuildFailed(home, g, why)
					p.errln("ERROR:  Error installing %s:\n\tERROR: Failed to build gem native extension.", n)
					return 1
				}
			}
			if err := p.gemWrite(home, g, pk, compiled); err != nil {
				p.errln("ERROR:  While executing gem ... (Errno::ENOSPC)\n    %v", err)
				return 1
			}
			full := g.name + "-" + g.version
			if g.platform != "" {
				full += "-" + g.platform
			}
			p.outf("Successfully installed %s\n", full)
			installed++
		}
	}
	if installed == 0 {
		for _, n := range names {
			pk, _ := langcatalog.Resolve(langcatalog.RubyGems, n, constraint)
			p.outf("Successfully installed %s-%s\n", n, pk.Version)
		}
		installed = len(names)
	}
	p.outf("%d gem%s installed\n", installed, map[bool]string{true: "s"}[installed != 1])
	return 0
}

// gemReq prints a constraint as RubyGems does: "~> 3", "= 1.2.3" for a bare version.
func gemReq(c string) string {
	c = strings.TrimSpace(c)
	if c == "" {
		return ""
	}
	if c[0] >= '0' && c[0] <= '9' {
		return "= " + c
	}
	return c
}

// gemBuildFailed prints what mkmf prints when an extension cannot be built, and a
// layerlab line naming what the image lacks.
func (p *proc) gemBuildFailed(home string, g gemSpec, why string) {
	dir := fmt.Sprintf("%s/gems/%s-%s/ext/%s", home, g.name, g.version, g.name)
	p.errln("\n    current directory: %s\n/usr/local/bin/ruby extconf.rb\n*** extconf.rb failed ***\nCould not create Makefile due to some reason, probably lack of necessary\nlibraries and/or headers.  Check the mkmf.log file for more details.  You may\nneed configuration options.\n", dir)
	p.errln("layerlab: %s %s compiles a C extension and this image has %s", g.name, g.version, why)
}

// ---- Gemfile and Gemfile.lock ----

type gemfileDep struct {
	name   string
	reqs   []string
	groups []string
	source string // "git", "path" or ""
}

type gemfile struct {
	ruby string
	deps []gemfileDep
}

var (
	gemLineRe  = newLazyRegexp(`^\s*gem\s+["']([^"']+)["']\s*(.*)$`)
	gemStrRe   = newLazyRegexp(`^\s*["']([^"']+)["']`)
	groupRe    = newLazyRegexp(`^\s*group\s+(.+?)\s+do\s*$`)
	groupOptRe = newLazyRegexp(`group(?:s)?:\s*(\[[^\]]*\]|:\w+)`)
	rubyLineRe = newLazyRegexp(`^\s*ruby\s+["']([^"']+)["']`)
	symRe      = newLazyRegexp(`:(\w+)`)
)

// parseGemfile reads the Gemfile DSL lines real Gemfiles use: source, ruby, gem with
// requirements and options, group blocks, gemspec.
func parseGemfile(b []byte) gemfile {
	var gf gemfile
	var groups [][]string
	for _, raw := range strings.Split(string(b), "\n") {
		line := raw
		if i := strings.Index(line, " #"); i >= 0 {
			line = line[:i]
		}
		t := strings.TrimSpace(line)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		if m := groupRe.FindStringSubmatch(t); m != nil {
			var gs []string
			for _, s := range symRe.FindAllStringSubmatch(m[1], -1) {
				gs = append(gs, s[1])
			}
			groups = append(groups, gs)
			continue
		}
		if (strings.HasPrefix(t, "platforms") || strings.HasPrefix(t, "platform") || strings.HasPrefix(t, "source") && strings.HasSuffix(t, " do")) && strings.HasSuffix(t, " do") {
			groups = append(groups, nil)
			continue
		}
		if t == "end" {
			if len(groups) > 0 {
				groups = groups[:len(groups)-1]
			}
			continue
		}
		if m := rubyLineRe.FindStringSubmatch(t); m != nil {
			gf.ruby = m[1]
			continue
		}
		m := gemLineRe.FindStringSubmatch(t)
		if m == nil {
			continue
		}
		d := gemfileDep{name: m[1]}
		rest := m[2]
		for {
			rest = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ","))
			s := gemStrRe.FindStringSubmatch(rest)
			if s == nil {
				break
			}
			d.reqs = append(d.reqs, s[1])
			rest = rest[len(s[0]):]
		}
		if g := groupOptRe.FindStringSubmatch(rest); g != nil {
			for _, s := range symRe.FindAllStringSubmatch(g[1], -1) {
				d.groups = append(d.groups, s[1])
			}
		}
		if strings.Contains(rest, "git:") || strings.Contains(rest, "github:") {
			d.source = "git"
		} else if strings.Contains(rest, "path:") {
			d.source = "path"
		}
		for _, gs := range groups {
			d.groups = append(d.groups, gs...)
		}
		if len(d.groups) == 0 {
			d.groups = []string{"default"}
		}
		gf.deps = append(gf.deps, d)
	}
	return gf
}

type gemLock struct {
	specs     map[string][]gemSpec // by name: one per platform
	order     []string
	platforms []string
	deps      map[string]string // DEPENDENCIES: name -> requirement text
	bundled   string
	ruby      string
}

var lockSpecRe = newLazyRegexp(`^    (\S+) \(([^)]+)\)$`)
var lockDepRe = newLazyRegexp(`^      (\S+)`)

func parseGemLock(b []byte) *gemLock {
	l := &gemLock{specs: map[string][]gemSpec{}, deps: map[string]string{}}
	section := ""
	var cur *gemSpec
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimRight(line, "\r")
		if line != "" && line[0] != ' ' {
			section = line
			cur = nil
			continue
		}
		switch section {
		case "GEM", "GIT", "PATH":
			if m := lockSpecRe.FindStringSubmatch(line); m != nil {
				v, plat := m[2], ""
				// 1.16.4-x86_64-linux: the platform follows the first dash after a digit
				if i := strings.Index(v, "-"); i >= 0 {
					v, plat = v[:i], v[i+1:]
				}
				if _, ok := l.specs[m[1]]; !ok {
					l.order = append(l.order, m[1])
				}
				l.specs[m[1]] = append(l.specs[m[1]], gemSpec{name: m[1], version: v, platform: plat})
				cur = &l.specs[m[1]][len(l.specs[m[1]])-1]
			} else if m := lockDepRe.FindStringSubmatch(line); m != nil && cur != nil {
				cur.deps = append(cur.deps, m[1])
			}
		case "PLATFORMS":
			if t := strings.TrimSpace(line); t != "" {
				l.platforms = append(l.platforms, t)
			}
		case "DEPENDENCIES":
			t := strings.TrimSpace(line)
			if t == "" {
				continue
			}
			name, req, _ := strings.Cut(t, " ")
			l.deps[strings.TrimSuffix(name, "!")] = strings.Trim(req, "()")
		case "BUNDLED WITH":
			if t := strings.TrimSpace(line); t != "" {
				l.bundled = t
			}
		case "RUBY VERSION":
			if t := strings.TrimSpace(line); t != "" {
				l.ruby = strings.TrimPrefix(t, "ruby ")
			}
		}
	}
	return l
}

// hasLinux reports whether the lockfile can install on x86_64-linux: a ruby platform
// entry or a linux one.
func (l *gemLock) hasLinux() bool {
	for _, pl := range l.platforms {
		if pl == "ruby" || strings.HasPrefix(pl, "x86_64-linux") {
			return true
		}
	}
	return false
}

// pick is the spec of name for x86_64-linux: its platform gem, else the ruby one.
func (l *gemLock) pick(name string) (gemSpec, bool) {
	list := l.specs[name]
	var best *gemSpec
	for i, s := range list {
		switch {
		case strings.HasPrefix(s.platform, "x86_64-linux"):
			return list[i], true
		case s.platform == "" && best == nil:
			best = &list[i]
		}
	}
	if best != nil {
		return *best, true
	}
	if len(list) > 0 {
		// only other platforms' builds: bundler resolves the same version for this one
		s := list[0]
		s.platform = ""
		if strings.HasPrefix(rubyNative[name], "platform:") {
			s.platform = "x86_64-linux"
		}
		return s, true
	}
	return gemSpec{}, false
}

// ---- bundler ----

// bundleConfig is bundler's settings: $BUNDLE_APP_CONFIG/config (or .bundle/config),
// the global ~/.bundle/config, and BUNDLE_* variables over both.
func (p *proc) bundleConfig() map[string]string {
	out := map[string]string{}
	read := func(file string) {
		b, err := p.readFile(file)
		if err != nil {
			return
		}
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ": "); ok && strings.HasPrefix(k, "BUNDLE_") {
				out[k] = strings.Trim(v, `"'`)
			}
		}
	}
	read(p.home() + "/.bundle/config")
	read(p.bundleLocalConfig())
	for _, kv := range p.environ() {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "BUNDLE_") && k != "BUNDLE_APP_CONFIG" {
			out[k] = v
		}
	}
	return out
}

func (p *proc) bundleLocalConfig() string {
	if d := p.getenv("BUNDLE_APP_CONFIG"); d != "" {
		return p.abs(d) + "/config"
	}
	return p.abs(".bundle/config")
}

func (p *proc) bundlerVersion() string {
	best := ""
	for _, h := range []string{p.gemHome(), "/usr/local/lib/ruby/gems/" + p.rubyMinor() + ".0"} {
		for _, d := range p.listDir(h + "/gems") {
			if v, ok := strings.CutPrefix(d, "bundler-"); ok && langcatalog.Compare(v, best) > 0 {
				best = v
			}
		}
	}
	return firstNonEmpty(best, "2.5.22")
}

func cmdBundle(p *proc) int {
	if len(p.args) == 0 {
		return p.bundleInstall(nil)
	}
	sub, args := p.args[0], p.args[1:]
	switch sub {
	case "-v", "--version", "version":
		p.outf("Bundler version %s\n", p.bundlerVersion())
		return 0
	case "install", "update":
		return p.bundleInstall(args)
	case "config":
		return p.bundleConfigCmd(args)
	case "exec":
		if len(args) == 0 {
			p.errln("bundler: exec needs a command to run")
			return 128
		}
		if !p.isFile(p.abs("Gemfile")) {
			p.errln("Could not locate Gemfile or .bundle/ directory")
			return 10
		}
		home := p.bundleHome(p.bundleConfig())
		return p.runWithBin(shellJoin(args), home+"/bin")
	case "lock":
		return p.bundleLock(args)
	case "check":
		p.outf("The Gemfile's dependencies are satisfied\n")
		return 0
	case "clean", "binstubs", "info", "list", "outdated", "platform", "cache", "package", "doctor":
		return 0
	}
	return p.notSimulated("bundle " + sub)
}

func (p *proc) bundleConfigCmd(args []string) int {
	file := p.bundleLocalConfig()
	var kv []string
	for _, a := range args {
		switch a {
		case "--local":
		case "--global":
			file = p.home() + "/.bundle/config"
		case "set":
		default:
			kv = append(kv, a)
		}
	}
	if len(kv) == 0 || kv[0] == "list" || kv[0] == "get" {
		return 0
	}
	if kv[0] == "unset" && len(kv) > 1 {
		kv = []string{kv[1]}
	}
	key := "BUNDLE_" + strings.ToUpper(strings.ReplaceAll(kv[0], ".", "__"))
	val := strings.Join(kv[1:], " ")
	if kv[0] == "without" || kv[0] == "with" {
		val = strings.Join(strings.FieldsFunc(val, func(r rune) bool { return r == ' ' || r == ':' || r == ',' }), ":")
	}
	b, _ := p.readFile(file)
	lines := []string{"---"}
	for _, l := range strings.Split(string(b), "\n") {
		if l == "" || l == "---" || strings.HasPrefix(l, key+":") {
			continue
		}
		lines = append(lines, l)
	}
	if len(kv) > 1 {
		lines = append(lines, fmt.Sprintf("%s: %q", key, val))
	}
	if err := p.putText(file, strings.Join(lines, "\n")+"\n"); err != nil {
		p.errln("There was an error while trying to write to `%s`.", file)
		return 23
	}
	return 0
}

// bundleHome is where bundle install puts gems: BUNDLE_PATH/ruby/X.Y.0, else GEM_HOME.
func (p *proc) bundleHome(cfg map[string]string) string {
	if bp := cfg["BUNDLE_PATH"]; bp != "" {
		if cfg["BUNDLE_DISABLE_SHARED_GEMS"] == "" && p.getenv("BUNDLE_PATH") != "" && bp == p.gemHome() {
			return bp
		}
		return p.abs(bp) + "/ruby/" + p.rubyMinor() + ".0"
	}
	if cfg["BUNDLE_DEPLOYMENT"] == "true" {
		return p.abs("vendor/bundle") + "/ruby/" + p.rubyMinor() + ".0"
	}
	return p.gemHome()
}

func (p *proc) bundleInstall(args []string) int {
	cfg := p.bundleConfig()
	for i := 0; i < len(args); i++ {
		a := args[i]
		next := func() string {
			if v, ok := strings.CutPrefix(a, a[:strings.Index(a+"=", "=")]+"="); ok && strings.Contains(a, "=") {
				return v
			}
			if i+1 < len(args) {
				i++
				return args[i]
			}
			return ""
		}
		switch name := strings.SplitN(a, "=", 2)[0]; name {
		case "--jobs", "-j", "--retry", "--gemfile", "--binstubs", "--standalone", "--trust-policy", "--target-rbconfig":
			if name == "--gemfile" {
				return p.unsupported("bundle install --gemfile")
			}
			next()
		case "--without":
			p.outf("[DEPRECATED] The `--without` flag is deprecated because it relies on being remembered across bundler invocations, which bundler will no longer do in future versions. Instead please use `bundle config set without '%s'`, and stop using this flag\n", next())
			cfg["BUNDLE_WITHOUT"] = strings.ReplaceAll(args[i], " ", ":")
		case "--path":
			v := next()
			p.outf("[DEPRECATED] The `--path` flag is deprecated because it relies on being remembered across bundler invocations, which bundler will no longer do in future versions. Instead please use `bundle config set path '%s'`, and stop using this flag\n", v)
			cfg["BUNDLE_PATH"] = v
		case "--deployment":
			p.outf("[DEPRECATED] The `--deployment` flag is deprecated because it relies on being remembered across bundler invocations, which bundler will no longer do in future versions. Instead please use `bundle config set deployment 'true'`, and stop using this flag\n")
			cfg["BUNDLE_DEPLOYMENT"] = "true"
		case "--frozen":
			cfg["BUNDLE_FROZEN"] = "true"
		case "--local", "--prefer-local", "--quiet", "--no-cache", "--clean", "--full-index", "--verbose", "--conservative", "--redownload", "--force", "--all":
		default:
			if strings.HasPrefix(a, "-") {
				p.errln("Unknown switches %q", a)
				return 15
			}
		}
	}
	gfb, err := p.readFile(p.abs("Gemfile"))
	if err != nil {
		p.errln("Could not locate Gemfile")
		return 10
	}
	gf := parseGemfile(gfb)
	if gf.ruby != "" && !rubySatisfies(p.rubyVersion(), gf.ruby) {
		p.errln("Your Ruby version is %s, but your Gemfile specified %s", p.rubyVersion(), gf.ruby)
		return 18
	}
	frozen := cfg["BUNDLE_FROZEN"] == "true" || cfg["BUNDLE_DEPLOYMENT"] == "true"
	lb, lerr := p.readFile(p.abs("Gemfile.lock"))
	if lerr != nil && cfg["BUNDLE_DEPLOYMENT"] == "true" {
		p.errln("The --deployment flag requires a lockfile. Please make sure you have checked your Gemfile.lock into version control before deploying.")
		return 16
	}
	without := map[string]bool{}
	for _, g := range strings.FieldsFunc(cfg["BUNDLE_WITHOUT"], func(r rune) bool { return r == ':' || r == ' ' || r == ',' }) {
		without[g] = true
	}
	var lock *gemLock
	if lerr == nil {
		lock = parseGemLock(lb)
	}
	// the lockfile's bundler: bundler 2.3+ installs and runs the version a lockfile was
	// generated with
	bv := p.bundlerVersion()
	home := p.bundleHome(cfg)
	if lock != nil && lock.bundled != "" && lock.bundled != bv && langcatalog.Compare(lock.bundled, "2.3") >= 0 && !p.gemInstalled(home, "bundler", lock.bundled) {
		p.outf("Bundler %s is running, but your lockfile was generated with %s. Installing Bundler %s and restarting using that version.\n", bv, lock.bundled, lock.bundled)
		pk, _ := langcatalog.ResolveLocked(langcatalog.RubyGems, "bundler", lock.bundled)
		if err := p.gemWrite(p.gemHome(), gemSpec{name: "bundler", version: lock.bundled}, pk, false); err != nil {
			p.errln("%v", err)
			return 1
		}
		p.outf("Fetching gem metadata from https://rubygems.org/.\nFetching bundler %s\nInstalling bundler %s\n", lock.bundled, lock.bundled)
		bv = lock.bundled
	}
	// frozen mode: the lockfile must match the Gemfile and hold this platform
	changed := lock == nil
	var added, deleted []string
	if lock != nil {
		inGemfile := map[string]bool{}
		for _, d := range gf.deps {
			inGemfile[d.name] = true
			if _, ok := lock.deps[d.name]; !ok {
				added = append(added, fmt.Sprintf("* %s%s", d.name, gemReqText(d.reqs)))
			} else if gemReqText(d.reqs) != gemReqText(splitReqs(lock.deps[d.name])) {
				added = append(added, fmt.Sprintf("* %s%s", d.name, gemReqText(d.reqs)))
				deleted = append(deleted, fmt.Sprintf("* %s%s", d.name, gemReqText(splitReqs(lock.deps[d.name]))))
			}
		}
		for n, r := range lock.deps {
			if !inGemfile[n] {
				deleted = append(deleted, fmt.Sprintf("* %s%s", n, gemReqText(splitReqs(r))))
			}
		}
		sort.Strings(added)
		sort.Strings(deleted)
		changed = len(added)+len(deleted) > 0
		if frozen && changed {
			msg := "The dependencies in your gemfile changed, but the lockfile can't be updated because frozen mode is set\n"
			if len(added) > 0 {
				msg += "\nYou have added to the Gemfile:\n" + strings.Join(added, "\n") + "\n"
			}
			if len(deleted) > 0 {
				msg += "\nYou have deleted from the Gemfile:\n" + strings.Join(deleted, "\n") + "\n"
			}
			p.errln("%s\nRun `bundle install` elsewhere and add the updated Gemfile.lock to version control.", msg)
			return 16
		}
		if !lock.hasLinux() {
			if frozen {
				plats, _ := jsonList(lock.platforms)
				p.errln("Your bundle only supports platforms %s but your local platform is x86_64-linux. Add the current platform to the lockfile with\n`bundle lock --add-platform x86_64-linux` and try again.", plats)
				return 16
			}
			changed = true
		}
	}
	p.outf("Fetching gem metadata from https://rubygems.org/.........\n")
	// resolve: the lockfile's versions, else the catalog's within the Gemfile's requirements
	var order []gemSpec
	seen := map[string]bool{}
	var missing string
	var visit func(name string, reqs []string, direct bool) int
	visit = func(name string, reqs []string, direct bool) int {
		if seen[name] {
			return 0
		}
		seen[name] = true
		var g gemSpec
		ok := false
		if lock != nil {
			g, ok = lock.pick(name)
		}
		if ok {
			if _, err := langcatalog.ResolveLocked(langcatalog.RubyGems, name, g.version); err != nil {
				missing = name
				return 7
			}
		} else {
			if direct || lock == nil || changed {
				if err := langcatalog.Check(langcatalog.RubyGems, name); err != nil {
					missing = name
					return 7
				}
			}
			pk, err := langcatalog.Resolve(langcatalog.RubyGems, name, strings.Join(reqs, ","))
			if err != nil {
				p.errln("Could not find gem '%s%s' in rubygems repository https://rubygems.org/ or installed locally.\n\nThe source contains the following gems matching '%s':\n  * %s-%s", name, gemReqText(reqs), name, name, pk.Version)
				return 7
			}
			g = gemSpec{name: name, version: pk.Version, deps: pk.Deps}
			if strings.HasPrefix(rubyNative[name], "platform:") {
				g.platform = "x86_64-linux"
			}
		}
		for _, d := range g.deps {
			if code := visit(d, nil, false); code != 0 {
				return code
			}
		}
		order = append(order, g)
		return 0
	}
	skipped := map[string]bool{}
	direct := 0
	for _, d := range gf.deps {
		skip := true
		for _, g := range d.groups {
			if !without[g] {
				skip = false
			}
		}
		if skip {
			for _, g := range d.groups {
				skipped[g] = true
			}
			continue
		}
		direct++
		if code := visit(d.name, d.reqs, true); code != 0 {
			if missing != "" {
				p.errln("Could not find gem '%s' in rubygems repository https://rubygems.org/ or installed locally.\n\nThe source does not contain any versions of '%s'", missing, missing)
			}
			return code
		}
	}
	if changed {
		p.outf("Resolving dependencies...\n")
	}
	installed := 0
	for _, g := range order {
		pk, _ := langcatalog.ResolveLocked(langcatalog.RubyGems, g.name, g.version)
		label := g.name + " " + g.version
		if g.platform != "" && g.platform != "ruby" {
			label += " (" + g.platform + ")"
		}
		if p.gemInstalled(home, g.name, g.version) || g.name == "bundler" {
			p.outf("Using %s\n", label)
			continue
		}
		if pk.Synthesized {
			p.outf("layerlab: %s is not in the playground's RubyGems catalog; installing a stand-in synthesized from its name\n", g.name)
		}
		p.outf("Fetching %s\n", label)
		compiled := p.gemNative(g) == "compile"
		if compiled {
			if why := p.gemBuildProblem(g); why != "" {
				p.outf("Installing %s with native extensions\n", label)
				p.errln("Gem::Ext::BuildError: ERROR: Failed to build gem native extension.")
				p.gemBuildFailed(home, g, why)
				p.errln("\nAn error occurred while installing %s (%s), and Bundler cannot continue.\n\nIn Gemfile:\n  %s", g.name, g.version, g.name)
				return 5
			}
			p.outf("Installing %s with native extensions\n", label)
		} else {
			p.outf("Installing %s\n", label)
		}
		if err := p.gemWrite(home, g, pk, compiled); err != nil {
			p.errln("%v", err)
			return 1
		}
		installed++
	}
	if changed && !frozen {
		p.putText(p.abs("Gemfile.lock"), gemLockText(order, gf, bv, lock))
	}
	p.outf("Bundle complete! %d Gemfile dependencies, %d gems now installed.\n", direct, len(order)+1)
	if len(skipped) > 0 {
		var gs []string
		for g := range skipped {
			gs = append(gs, "'"+g+"'")
		}
		sort.Strings(gs)
		p.outf("Gems in the groups %s were not installed.\n", strings.Join(gs, " and "))
	}
	if home != p.gemHome() {
		p.outf("Bundled gems are installed into `%s`\n", strings.TrimSuffix(strings.TrimSuffix(home, "/ruby/"+p.rubyMinor()+".0"), "/"))
	} else {
		p.outf("Use `bundle info [gemname]` to see where a bundled gem is installed.\n")
	}
	return 0
}

func jsonList(l []string) (string, bool) {
	q := make([]string, len(l))
	for i, s := range l {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]", true
}

func splitReqs(s string) []string {
	if s == "" {
		return nil
	}
	var out []string
	for _, r := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(r))
	}
	return out
}

// gemReqText prints requirements as the lockfile's DEPENDENCIES does: " (~> 3.2, >= 3.2.1)".
func gemReqText(reqs []string) string {
	if len(reqs) == 0 {
		return ""
	}
	var out []string
	for _, r := range reqs {
		r = strings.TrimSpace(r)
		if r != "" && r[0] >= '0' && r[0] <= '9' {
			r = "= " + r
		}
		out = append(out, r)
	}
	return " (" + strings.Join(out, ", ") + ")"
}

// rubySatisfies checks the Gemfile's `ruby` line: a version (the running one must
// equal it, patchlevel aside) or a requirement.
func rubySatisfies(running, want string) bool {
	want = strings.TrimSpace(want)
	if strings.HasPrefix(want, "file:") {
		return true
	}
	if want != "" && want[0] >= '0' && want[0] <= '9' {
		return strings.HasPrefix(running+".", strings.SplitN(want, "p", 2)[0]+".") || running == want
	}
	return langcatalog.Satisfies(langcatalog.RubyGems, running, want)
}

func gemLockText(order []gemSpec, gf gemfile, bundler string, old *gemLock) string {
	var b strings.Builder
	b.WriteString("GEM\n  remote: https://rubygems.org/\n  specs:\n")
	sorted := append([]gemSpec(nil), order...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].name < sorted[j].name })
	for _, g := range sorted {
		v := g.version
		if g.platform != "" && g.platform != "ruby" {
			v += "-" + g.platform
		}
		fmt.Fprintf(&b, "    %s (%s)\n", g.name, v)
		for _, d := range g.deps {
			fmt.Fprintf(&b, "      %s\n", d)
		}
	}
	plats := []string{"x86_64-linux"}
	if old != nil {
		plats = sortedUnique(append(append([]string(nil), old.platforms...), "x86_64-linux"))
	}
	b.WriteString("\nPLATFORMS\n")
	for _, pl := range plats {
		fmt.Fprintf(&b, "  %s\n", pl)
	}
	b.WriteString("\nDEPENDENCIES\n")
	deps := append([]gemfileDep(nil), gf.deps...)
	sort.Slice(deps, func(i, j int) bool { return deps[i].name < deps[j].name })
	for _, d := range deps {
		fmt.Fprintf(&b, "  %s%s\n", d.name, gemReqText(d.reqs))
	}
	if gf.ruby != "" {
		fmt.Fprintf(&b, "\nRUBY VERSION\n   ruby %s\n", gf.ruby)
	}
	fmt.Fprintf(&b, "\nBUNDLED WITH\n   %s\n", bundler)
	return b.String()
}

// bundleLock writes Gemfile.lock (and adds platforms) without installing.
func (p *proc) bundleLock(args []string) int {
	gfb, err := p.readFile(p.abs("Gemfile"))
	if err != nil {
		p.errln("Could not locate Gemfile")
		return 10
	}
	gf := parseGemfile(gfb)
	var lock *gemLock
	if lb, err := p.readFile(p.abs("Gemfile.lock")); err == nil {
		lock = parseGemLock(lb)
	}
	var order []gemSpec
	seen := map[string]bool{}
	var visit func(name string, reqs []string) int
	visit = func(name string, reqs []string) int {
		if seen[name] {
			return 0
		}
		seen[name] = true
		if lock != nil {
			if g, ok := lock.pick(name); ok {
				order = append(order, g)
				for _, d := range g.deps {
					visit(d, nil)
				}
				return 0
			}
		}
		if err := langcatalog.Check(langcatalog.RubyGems, name); err != nil {
			p.errln("Could not find gem '%s' in rubygems repository https://rubygems.org/ or installed locally.\n\nThe source does not contain any versions of '%s'", name, name)
			return 7
		}
		pk, err := langcatalog.Resolve(langcatalog.RubyGems, name, strings.Join(reqs, ","))
		if err != nil {
			return 7
		}
		order = append(order, gemSpec{name: name, version: pk.Version, deps: pk.Deps})
		for _, d := range pk.Deps {
			visit(d, nil)
		}
		return 0
	}
	for _, d := range gf.deps {
		if code := visit(d.name, d.reqs); code != 0 {
			return code
		}
	}
	text := gemLockText(order, gf, p.bundlerVersion(), lock)
	for i, a := range args {
		if (a == "--add-platform") && i+1 < len(args) && !strings.Contains(text, "  "+args[i+1]+"\n") {
			text = strings.Replace(text, "\nPLATFORMS\n", "\nPLATFORMS\n  "+args[i+1]+"\n", 1)
		}
	}
	p.outf("Fetching gem metadata from https://rubygems.org/.........\nResolving dependencies...\nWriting lockfile to %s\n", p.abs("Gemfile.lock"))
	if err := p.putText(p.abs("Gemfile.lock"), text); err != nil {
		p.errln("%v", err)
		return 1
	}
	return 0
}

// ---- rake and rails ----

// cmdRake runs the tasks a Rails Dockerfile runs at build time: assets:precompile
// (public/assets as an artefact of app/assets, app/javascript, vendor/assets and the
// config, RAILS_ENV and the secret), assets:clean, and refuses tasks that need a
// running database or server.
func cmdRake(p *proc) int {
	if len(p.args) > 0 && (p.args[0] == "--version" || p.args[0] == "-V") {
		p.outf("rake, version 13.2.1\n")
		return 0
	}
	if !p.isFile(p.abs("Rakefile")) && !p.isFile(p.abs("rakefile")) && !p.isFile(p.abs("Rakefile.rb")) {
		p.errln("rake aborted!\nNo Rakefile found (looking for: rakefile, Rakefile, rakefile.rb, Rakefile.rb)\n\n(See full trace by running task with --trace)")
		return 1
	}
	for _, t := range p.args {
		if strings.HasPrefix(t, "-") || strings.Contains(t, "=") {
			continue
		}
		if code := p.railsTask(t); code != 0 {
			return code
		}
	}
	return 0
}

func (p *proc) railsTask(t string) int {
	switch t {
	case "assets:precompile":
		return p.assetsPrecompile()
	case "assets:clean", "assets:clobber", "tmp:clear", "log:clear":
		if t == "assets:clobber" {
			p.removeAll(p.abs("public/assets"))
		}
		return 0
	case "db:migrate", "db:create", "db:setup", "db:prepare", "db:seed", "db:schema:load":
		p.errln("rails aborted!\nActiveRecord::ConnectionNotEstablished: connection to server failed: no database is reachable from a build step")
		p.errln("layerlab: %s needs a running database; a build step has none (as with docker build)", t)
		return 1
	}
	if _, ok := strings.CutPrefix(t, "bootsnap"); ok {
		return 0
	}
	p.errln("rake aborted!\nDon't know how to build task '%s' (See the list of available tasks with `rake --tasks`)", t)
	p.errln("layerlab: the sandbox runs rake's assets:precompile/assets:clean; other tasks run Ruby code it does not execute")
	return 1
}

// assetsPrecompile writes public/assets the way sprockets/propshaft do: digested file
// names and a manifest, all following the asset sources and the environment.
func (p *proc) assetsPrecompile() int {
	if !p.isFile(p.abs("config/application.rb")) {
		p.errln("rake aborted!\nDon't know how to build task 'assets:precompile' (See the list of available tasks with `rake --tasks`)")
		return 1
	}
	if p.getenv("RAILS_ENV") == "production" && p.getenv("SECRET_KEY_BASE") == "" && p.getenv("SECRET_KEY_BASE_DUMMY") == "" && !p.isFile(p.abs("config/master.key")) && p.getenv("RAILS_MASTER_KEY") == "" {
		p.errln("rails aborted!\nArgumentError: Missing `secret_key_base` for 'production' environment, set this string with `bin/rails credentials:edit` (ArgumentError)")
		return 1
	}
	digest, ok := p.digestOf([]string{"app/assets", "app/javascript", "vendor/assets", "config/importmap.rb", "config/initializers/assets.rb", "Gemfile.lock"}, nil, append(p.envPairs("RAILS_ENV", "RAILS_RELATIVE_URL_ROOT"), "rails-assets")...)
	if !ok {
		return 1
	}
	out := p.abs("public/assets")
	var src int64
	for _, d := range []string{"app/assets", "app/javascript"} {
		for _, f := range p.findFiles(p.abs(d), nil, func(string) bool { return true }) {
			src += p.fileSize(p.abs(d + "/" + f))
		}
	}
	files := []webOut{{"application-" + digest[:64] + ".css", 2*kib + src/3}, {"application-" + digest[32:] + digest[:32] + ".js", 4*kib + src/2}}
	for _, f := range files {
		if !p.writeArtefact(out+"/"+f.name, artefact("rails-assets", f.name, digest, f.size, 0), 0o644) {
			return 1
		}
		fmt.Fprintf(p.errw, "I, [layerlab]  INFO -- : Writing %s/%s\n", out, f.name)
	}
	if !p.writeArtefact(out+"/.manifest.json", rootfs.Bytes(fmt.Sprintf("{\"application.css\":%q,\"application.js\":%q}\n", files[0].name, files[1].name)), 0o644) {
		return 1
	}
	return 0
}

func cmdRails(p *proc) int {
	if len(p.args) == 0 {
		p.outf("Usage:\n  bin/rails COMMAND [options]\n")
		return 0
	}
	sub := p.args[0]
	switch {
	case sub == "-v" || sub == "--version" || sub == "version":
		pk, _ := langcatalog.Lookup(langcatalog.RubyGems, "rails")
		p.outf("Rails %s\n", firstNonEmpty(pk.Version, "8.0.1"))
		return 0
	case sub == "s" || sub == "server" || sub == "c" || sub == "console":
		p.errln("layerlab: rails %s starts a server or console; a build step runs it only when the container starts (CMD)", sub)
		return 1
	case sub == "new":
		return p.notSimulated("rails new (a project generator)")
	case strings.Contains(sub, ":"):
		return p.railsTask(sub)
	}
	return p.notSimulated("rails " + sub)
}
