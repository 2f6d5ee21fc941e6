package sandbox

import (
	"bytes"
	"fmt"
	"path"
	"sort"
	"strings"
)

// C and C++: gcc, cc, g++, c++, clang, clang++, make and cmake. An object or program
// is an artefact of its sources, the headers beside them and in -I directories, and
// the flags that change code (-O, -D, -std, -static, -march, ...). make reads the
// Makefile and runs its recipes through the sandbox's shell, so a Go or C project
// built by `make build` gets the tools' artefacts; cmake writes a Makefile that make
// runs.

func init() {
	register(map[string]cmdFunc{
		"gcc": cmdCC, "cc": cmdCC, "g++": cmdCC, "c++": cmdCC, "clang": cmdCC, "clang++": cmdCC,
		"make": cmdMake, "gmake": cmdMake, "cmake": cmdCmake,
	})
}

func cmdCC(p *proc) int {
	var srcs, objs, incs, codeFlags []string
	out := ""
	compileOnly, shared, static := false, false, false
	for i := 0; i < len(p.args); i++ {
		a := p.args[i]
		switch {
		case a == "--version" || a == "-v" && len(p.args) == 1:
			p.outf("%s (layerlab sandbox) 12.2.0\n", p.name)
			return 0
		case a == "-o" && i+1 < len(p.args):
			i++
			out = p.args[i]
		case strings.HasPrefix(a, "-o") && len(a) > 2:
			out = a[2:]
		case a == "-c":
			compileOnly = true
		case a == "-shared":
			shared = true
			codeFlags = append(codeFlags, a)
		case a == "-static":
			static = true
			codeFlags = append(codeFlags, a)
		case a == "-I" && i+1 < len(p.args):
			i++
			incs = append(incs, p.args[i])
		case strings.HasPrefix(a, "-I"):
			incs = append(incs, a[2:])
		case (a == "-L" || a == "-l" || a == "-x" || a == "-include" || a == "-MF" || a == "-MT") && i+1 < len(p.args):
			codeFlags = append(codeFlags, a+p.args[i+1])
			i++
		case strings.HasPrefix(a, "-O") || strings.HasPrefix(a, "-D") || strings.HasPrefix(a, "-U") || strings.HasPrefix(a, "-std=") || strings.HasPrefix(a, "-m") ||
			strings.HasPrefix(a, "-f") || strings.HasPrefix(a, "-l") || strings.HasPrefix(a, "-L") || strings.HasPrefix(a, "-Wl,") || a == "-g" || strings.HasPrefix(a, "-g") ||
			a == "-pthread" || a == "-s" || a == "-pie" || a == "-no-pie" || a == "-rdynamic":
			codeFlags = append(codeFlags, a)
		case strings.HasPrefix(a, "-W") || a == "-w" || a == "-pedantic" || a == "-MD" || a == "-MMD" || a == "-MP" || a == "-pipe":
			// warnings and dependency files: no effect on the code
		case strings.HasPrefix(a, "-"):
			return p.unsupported("option " + a)
		case strings.HasSuffix(a, ".o") || strings.HasSuffix(a, ".a") || strings.HasSuffix(a, ".so"):
			objs = append(objs, a)
		default:
			srcs = append(srcs, a)
		}
	}
	if len(srcs)+len(objs) == 0 {
		fmt.Fprintf(p.errw, "%s: fatal error: no input files\ncompilation terminated.\n", p.name)
		return 1
	}
	for _, s := range append(append([]string(nil), srcs...), objs...) {
		if !p.isFile(s) {
			fmt.Fprintf(p.errw, "%s: error: %s: No such file or directory\n", p.name, s)
			return 1
		}
	}
	cxx := strings.Contains(p.name, "++")
	// the headers a compile could include: beside the sources and in -I directories
	headerRoots := func(src string) []string {
		roots := []string{src}
		dirs := append([]string{path.Dir(src)}, incs...)
		for _, d := range dirs {
			for _, n := range p.listDir(d) {
				if strings.HasSuffix(n, ".h") || strings.HasSuffix(n, ".hpp") || strings.HasSuffix(n, ".hh") {
					roots = append(roots, path.Join(d, n))
				}
			}
		}
		return roots
	}
	extra := append([]string{p.name}, codeFlags...)
	if compileOnly {
		if out != "" && len(srcs) > 1 {
			fmt.Fprintf(p.errw, "%s: fatal error: cannot specify '-o' with '-c', '-S' or '-E' with multiple files\ncompilation terminated.\n", p.name)
			return 1
		}
		for _, s := range srcs {
			o := out
			if o == "" {
				o = strings.TrimSuffix(path.Base(s), path.Ext(s)) + ".o"
			}
			digest, ok := p.digestOf(headerRoots(s), nil, extra...)
			if !ok {
				return 1
			}
			size := 2*kib + p.fileSize(s)/2
			if !p.writeArtefact(o, artefact("cc", "obj:"+path.Base(s), digest, size, 2*kib), 0o644) {
				return 1
			}
		}
		return 0
	}
	var roots []string
	for _, s := range srcs {
		roots = append(roots, headerRoots(s)...)
	}
	roots = append(roots, objs...)
	digest, ok := p.digestOf(roots, nil, extra...)
	if !ok {
		return 1
	}
	if out == "" {
		out = "a.out"
	}
	// A dynamically linked hello world is about 16 kB; static glibc adds about 800 kB;
	// C++ static adds libstdc++ (about 2 MB); the code grows with the sources.
	size := 16 * kib
	for _, s := range append(srcs, objs...) {
		size += p.fileSize(s) / 2
	}
	if static {
		size += 800 * kib
		if cxx {
			size += 2 * mib
		}
	}
	kind := "exe"
	if shared {
		kind = "shared"
	}
	if !p.writeArtefact(out, artefact("cc", kind+":"+path.Base(out), digest, size, 4*kib), 0o755) {
		return 1
	}
	return 0
}

func (p *proc) fileSize(name string) int64 {
	e, err := p.s.stat(p.abs(name))
	if err != nil || e.Data == nil {
		return 0
	}
	return e.Data.Size()
}

// makefile is a parsed Makefile: variables, rules in order, the default goal.
type makefile struct {
	vars     map[string]mkVar
	rules    map[string]*mkRule
	patterns []*mkRule
	order    []string
	phony    map[string]bool
	goal     string
	file     string
	p        *proc // runs $(shell) and $(wildcard) while parsing
}

type mkVar struct {
	val       string
	recursive bool
	cmdline   bool
}

type mkRule struct {
	target  string
	prereqs []string
	recipe  []string
	lines   []int // each recipe line's line number, for make's error messages
	line    int
}

var mkAssign = newLazyRegexp(`^(?:export\s+|override\s+)?([A-Za-z_.][A-Za-z0-9_.-]*)\s*(\?=|:::=|::=|:=|\+=|!=|=)\s*(.*)$`)

// parseMakefile reads the subset of GNU make real projects' Makefiles use: variables
// (=, :=, ::=, ?=, +=), rules with recipes, .PHONY, .DEFAULT_GOAL, ifdef/ifndef/ifeq/
// ifneq/else/endif, comments and continuations. What it cannot read fails naming it.
func (p *proc) parseMakefile(file string, cmdVars map[string]string) (*makefile, string) {
	b, err := p.readFile(file)
	if err != nil {
		return nil, fmt.Sprintf("%s: %s", file, errno(err))
	}
	mf := &makefile{vars: map[string]mkVar{}, rules: map[string]*mkRule{}, phony: map[string]bool{}, file: file, p: p}
	for k, v := range cmdVars {
		mf.vars[k] = mkVar{val: v, cmdline: true}
	}
	lines := strings.Split(string(b), "\n")
	var cur []*mkRule
	var cond []bool // stack: is this branch active
	active := func() bool {
		for _, c := range cond {
			if !c {
				return false
			}
		}
		return true
	}
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		l := lines[i]
		for strings.HasSuffix(l, "\\") && i+1 < len(lines) {
			i++
			if strings.HasPrefix(l, "\t") {
				l += "\n" + strings.TrimPrefix(lines[i], "\t")
			} else {
				l = strings.TrimSuffix(l, "\\") + " " + strings.TrimSpace(lines[i])
			}
		}
		if strings.HasPrefix(l, "\t") && cur != nil {
			if active() {
				for _, r := range cur {
					r.recipe = append(r.recipe, l[1:])
					r.lines = append(r.lines, lineNo)
				}
			}
			continue
		}
		if j := strings.Index(l, "#"); j >= 0 {
			l = l[:j]
		}
		t := strings.TrimSpace(l)
		if t == "" {
			continue
		}
		word, rest, _ := strings.Cut(t, " ")
		rest = strings.TrimSpace(rest)
		switch word {
		case "ifdef", "ifndef":
			v := mf.expand(rest, nil)
			_, def := mf.vars[strings.TrimSpace(v)]
			def = def && mf.vars[strings.TrimSpace(v)].val != ""
			cond = append(cond, def == (word == "ifdef"))
			continue
		case "ifeq", "ifneq":
			a, b, ok := splitCond(rest)
			if !ok {
				return nil, fmt.Sprintf("%s:%d: %s form not simulated by layerlab", file, lineNo, word)
			}
			eq := strings.TrimSpace(mf.expand(a, nil)) == strings.TrimSpace(mf.expand(b, nil))
			cond = append(cond, eq == (word == "ifeq"))
			continue
		case "else":
			if len(cond) == 0 {
				return nil, fmt.Sprintf("%s:%d: *** extraneous 'else'.  Stop.", file, lineNo)
			}
			if rest != "" {
				return nil, fmt.Sprintf("%s:%d: 'else %s' not simulated by layerlab", file, lineNo, rest)
			}
			cond[len(cond)-1] = !cond[len(cond)-1]
			continue
		case "endif":
			if len(cond) == 0 {
				return nil, fmt.Sprintf("%s:%d: *** extraneous 'endif'.  Stop.", file, lineNo)
			}
			cond = cond[:len(cond)-1]
			continue
		}
		if !active() {
			continue
		}
		switch word {
		case "include", "-include", "sinclude", "define", "vpath":
			if word == "-include" || word == "sinclude" {
				continue
			}
			return nil, fmt.Sprintf("%s:%d: '%s' not simulated by layerlab's make", file, lineNo, word)
		case "export", "unexport":
			if !strings.ContainsAny(rest, "=") {
				continue
			}
		}
		if m := mkAssign.FindStringSubmatch(t); m != nil && !strings.Contains(strings.SplitN(t, "=", 2)[0], ": ") {
			name, op, val := m[1], m[2], m[3]
			cur = nil
			old, exists := mf.vars[name]
			if old.cmdline {
				continue
			}
			switch op {
			case "?=":
				if exists || p.getenv(name) != "" {
					continue
				}
				mf.vars[name] = mkVar{val: val, recursive: true}
			case ":=", "::=", ":::=":
				mf.vars[name] = mkVar{val: mf.expand(val, nil)}
			case "+=":
				if old.recursive || !exists {
					mf.vars[name] = mkVar{val: strings.TrimSpace(old.val + " " + val), recursive: true}
				} else {
					mf.vars[name] = mkVar{val: strings.TrimSpace(old.val + " " + mf.expand(val, nil))}
				}
			case "!=":
				return nil, fmt.Sprintf("%s:%d: '!=' (shell assignment) not simulated by layerlab's make", file, lineNo)
			default:
				mf.vars[name] = mkVar{val: val, recursive: true}
			}
			continue
		}
		colon := strings.Index(t, ":")
		if colon < 0 {
			return nil, fmt.Sprintf("%s:%d: *** missing separator.  Stop.", file, lineNo)
		}
		targets := strings.Fields(mf.expand(t[:colon], nil))
		deps := strings.TrimPrefix(t[colon+1:], ":")
		inline := ""
		if j := strings.Index(deps, ";"); j >= 0 {
			deps, inline = deps[:j], strings.TrimSpace(deps[j+1:])
		}
		prereqs := strings.Fields(mf.expand(deps, nil))
		cur = nil
		for _, tg := range targets {
			switch tg {
			case ".PHONY":
				for _, d := range prereqs {
					mf.phony[d] = true
				}
				continue
			case ".DEFAULT_GOAL":
				continue
			}
			if strings.HasPrefix(tg, ".") && !strings.Contains(tg, "/") {
				continue // special targets (.SUFFIXES, .ONESHELL, ...): no effect simulated
			}
			r := &mkRule{target: tg, prereqs: prereqs, line: lineNo}
			if strings.Contains(tg, "%") {
				mf.patterns = append(mf.patterns, r)
			} else if old, ok := mf.rules[tg]; ok {
				old.prereqs = append(old.prereqs, prereqs...)
				r = old
			} else {
				mf.rules[tg] = r
				mf.order = append(mf.order, tg)
			}
			if inline != "" {
				r.recipe = append(r.recipe, inline)
				r.lines = append(r.lines, lineNo)
			}
			cur = append(cur, r)
		}
	}
	if g, ok := mf.vars[".DEFAULT_GOAL"]; ok {
		mf.goal = mf.expand(g.val, nil)
	}
	if mf.goal == "" && len(mf.order) > 0 {
		mf.goal = mf.order[0]
	}
	return mf, ""
}

// splitCond reads ifeq's "(a,b)" or "'a' 'b'" forms.
func splitCond(s string) (string, string, bool) {
	if strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")") {
		inner := s[1 : len(s)-1]
		depth := 0
		for i, c := range inner {
			switch c {
			case '(':
				depth++
			case ')':
				depth--
			case ',':
				if depth == 0 {
					return inner[:i], inner[i+1:], true
				}
			}
		}
		return "", "", false
	}
	f := strings.Fields(s)
	if len(f) == 2 {
		return strings.Trim(f[0], `'"`), strings.Trim(f[1], `'"`), true
	}
	return "", "", false
}

// expand substitutes variables and the functions make files commonly use; auto holds
// the automatic variables ($@, $<, $^, $*) of a recipe.
func (mf *makefile) expand(s string, auto map[string]string) string {
	return mf.expandDepth(s, auto, 0, mf.p)
}

func (mf *makefile) expandDepth(s string, auto map[string]string, depth int, p *proc) string {
	if depth > 20 || !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '$' || i+1 >= len(s) {
			b.WriteByte(c)
			continue
		}
		n := s[i+1]
		if n == '$' {
			b.WriteByte('$')
			i++
			continue
		}
		if n != '(' && n != '{' {
			b.WriteString(mf.lookup(string(n), auto, depth, p))
			i++
			continue
		}
		closer := byte(')')
		if n == '{' {
			closer = '}'
		}
		d, j := 0, i+2
		for ; j < len(s); j++ {
			if s[j] == n {
				d++
			} else if s[j] == closer {
				if d == 0 {
					break
				}
				d--
			}
		}
		if j >= len(s) {
			b.WriteString(s[i:])
			break
		}
		inner := s[i+2 : j]
		i = j
		if fn, args, ok := strings.Cut(inner, " "); ok && mkFuncs[fn] {
			b.WriteString(mf.call(fn, args, auto, depth, p))
			continue
		}
		if k, sub, ok := strings.Cut(inner, ":"); ok && strings.Contains(sub, "=") {
			// substitution reference $(VAR:.c=.o)
			from, to, _ := strings.Cut(sub, "=")
			var words []string
			for _, w := range strings.Fields(mf.lookup(k, auto, depth, p)) {
				if strings.HasSuffix(w, from) {
					w = strings.TrimSuffix(w, from) + to
				}
				words = append(words, w)
			}
			b.WriteString(strings.Join(words, " "))
			continue
		}
		b.WriteString(mf.lookup(mf.expandDepth(inner, auto, depth+1, p), auto, depth, p))
	}
	return b.String()
}

var mkFuncs = map[string]bool{
	"shell": true, "wildcard": true, "subst": true, "patsubst": true, "notdir": true, "dir": true, "basename": true,
	"addprefix": true, "addsuffix": true, "strip": true, "filter": true, "filter-out": true, "sort": true,
	"firstword": true, "lastword": true, "words": true, "word": true, "if": true, "or": true, "and": true,
	"foreach": true, "call": true, "eval": true, "error": true, "warning": true, "info": true, "abspath": true,
	"realpath": true, "origin": true, "value": true, "findstring": true, "join": true, "suffix": true, "flavor": true,
}

func (mf *makefile) lookup(name string, auto map[string]string, depth int, p *proc) string {
	if v, ok := auto[name]; ok {
		return v
	}
	if v, ok := mf.vars[name]; ok {
		if v.recursive {
			return mf.expandDepth(v.val, auto, depth+1, p)
		}
		return v.val
	}
	if name == "MAKE" {
		return "make"
	}
	if name == "CURDIR" {
		return mf.vars["CURDIR"].val
	}
	if name == "CC" {
		return "cc"
	}
	if name == "CXX" {
		return "g++"
	}
	if p != nil {
		return p.getenv(name)
	}
	return ""
}

// unsupportedFunc is set when a Makefile uses a function layerlab's make does not run.
const unsupportedFunc = "\x00layerlab-unsupported-make-function:"

func (mf *makefile) call(fn, args string, auto map[string]string, depth int, p *proc) string {
	split := func(n int) []string {
		parts := strings.SplitN(args, ",", n)
		for i := range parts {
			parts[i] = mf.expandDepth(parts[i], auto, depth+1, p)
		}
		return parts
	}
	switch fn {
	case "shell":
		if p == nil {
			return ""
		}
		cmd := mf.expandDepth(args, auto, depth+1, p)
		var buf bytes.Buffer
		c := *p
		c.name, c.args, c.out = "sh", []string{"-c", cmd}, &buf
		cmdSh(&c)
		return strings.TrimSpace(strings.ReplaceAll(buf.String(), "\n", " "))
	case "wildcard":
		if p == nil {
			return ""
		}
		var out []string
		for _, pat := range strings.Fields(mf.expandDepth(args, auto, depth+1, p)) {
			dir, base := path.Split(pat)
			for _, n := range p.listDir(firstNonEmpty(dir, ".")) {
				if ok, _ := path.Match(base, n); ok {
					out = append(out, dir+n)
				}
			}
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	case "subst":
		a := split(3)
		if len(a) == 3 {
			return strings.ReplaceAll(a[2], a[0], a[1])
		}
	case "patsubst":
		a := split(3)
		if len(a) == 3 {
			var out []string
			for _, w := range strings.Fields(a[2]) {
				out = append(out, patsubst(strings.TrimSpace(a[0]), strings.TrimSpace(a[1]), w))
			}
			return strings.Join(out, " ")
		}
	case "notdir", "dir", "basename", "suffix", "abspath", "realpath":
		var out []string
		for _, w := range strings.Fields(mf.expandDepth(args, auto, depth+1, p)) {
			switch fn {
			case "notdir":
				w = path.Base(w)
			case "dir":
				w = path.Dir(w) + "/"
			case "basename":
				w = strings.TrimSuffix(w, path.Ext(w))
			case "suffix":
				w = path.Ext(w)
			default:
				if p != nil {
					w = p.abs(w)
				}
			}
			out = append(out, w)
		}
		return strings.Join(out, " ")
	case "addprefix", "addsuffix":
		a := split(2)
		if len(a) == 2 {
			var out []string
			for _, w := range strings.Fields(a[1]) {
				if fn == "addprefix" {
					out = append(out, a[0]+w)
				} else {
					out = append(out, w+a[0])
				}
			}
			return strings.Join(out, " ")
		}
	case "strip":
		return strings.Join(strings.Fields(mf.expandDepth(args, auto, depth+1, p)), " ")
	case "sort":
		w := strings.Fields(mf.expandDepth(args, auto, depth+1, p))
		sort.Strings(w)
		return strings.Join(w, " ")
	case "firstword", "lastword", "words":
		w := strings.Fields(mf.expandDepth(args, auto, depth+1, p))
		switch {
		case fn == "words":
			return fmt.Sprint(len(w))
		case len(w) == 0:
			return ""
		case fn == "firstword":
			return w[0]
		}
		return w[len(w)-1]
	case "filter", "filter-out":
		a := split(2)
		if len(a) == 2 {
			pats := strings.Fields(a[0])
			var out []string
			for _, w := range strings.Fields(a[1]) {
				m := false
				for _, pt := range pats {
					if patsubst(pt, "x", w) == "x" || pt == w {
						m = true
					}
				}
				if m == (fn == "filter") {
					out = append(out, w)
				}
			}
			return strings.Join(out, " ")
		}
	case "findstring":
		a := split(2)
		if len(a) == 2 && strings.Contains(a[1], a[0]) {
			return a[0]
		}
		return ""
	case "if":
		a := split(3)
		if strings.TrimSpace(a[0]) != "" {
			if len(a) > 1 {
				return a[1]
			}
			return ""
		}
		if len(a) > 2 {
			return a[2]
		}
		return ""
	case "info", "warning":
		if p != nil {
			fmt.Fprintln(p.out, mf.expandDepth(args, auto, depth+1, p))
		}
		return ""
	}
	return unsupportedFunc + fn + "\x00"
}

// patsubst replaces a word matching pattern pat (one %) by repl.
func patsubst(pat, repl, w string) string {
	pre, suf, ok := strings.Cut(pat, "%")
	if !ok {
		if w == pat {
			return repl
		}
		return w
	}
	if len(w) >= len(pre)+len(suf) && strings.HasPrefix(w, pre) && strings.HasSuffix(w, suf) {
		stem := w[len(pre) : len(w)-len(suf)]
		return strings.Replace(repl, "%", stem, 1)
	}
	return w
}

func cmdMake(p *proc) int {
	file := ""
	var goals []string
	cmdVars := map[string]string{}
	silent, keepGoing, dryRun := false, false, false
	dir := p.dir
	for i := 0; i < len(p.args); i++ {
		a := p.args[i]
		switch {
		case a == "-f" || a == "--file" || a == "--makefile":
			if i+1 < len(p.args) {
				i++
				file = p.args[i]
			}
		case a == "-C" || a == "--directory":
			if i+1 < len(p.args) {
				i++
				dir = joinPath(dir, p.args[i])
			}
		case strings.HasPrefix(a, "-C") && len(a) > 2:
			dir = joinPath(dir, a[2:])
		case a == "-s" || a == "--silent" || a == "--quiet":
			silent = true
		case a == "-k" || a == "--keep-going":
			keepGoing = true
		case a == "-n" || a == "--dry-run" || a == "--just-print":
			dryRun = true
		case a == "-j" || a == "-l":
			if i+1 < len(p.args) && strings.Trim(p.args[i+1], "0123456789.") == "" {
				i++
			}
		case strings.HasPrefix(a, "-j") || strings.HasPrefix(a, "--jobs") || a == "-B" || a == "--always-make" || a == "-e" || strings.HasPrefix(a, "--no-print-directory") || a == "-w":
		case a == "--version" || a == "-v":
			p.outf("GNU Make 4.3 (layerlab sandbox)\n")
			return 0
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(p.errw, "make: unrecognized option '%s'\n", a)
			return 2
		case strings.Contains(a, "="):
			k, v, _ := strings.Cut(a, "=")
			cmdVars[k] = v
		default:
			goals = append(goals, a)
		}
	}
	c := *p
	c.dir = dir
	if file == "" {
		for _, n := range []string{"GNUmakefile", "makefile", "Makefile"} {
			if c.isFile(n) {
				file = n
				break
			}
		}
	}
	if file == "" {
		if len(goals) == 0 {
			fmt.Fprintf(p.errw, "make: *** No targets specified and no makefile found.  Stop.\n")
		} else {
			fmt.Fprintf(p.errw, "make: *** No rule to make target '%s'.  Stop.\n", goals[0])
		}
		return 2
	}
	mf, errMsg := c.parseMakefile(file, cmdVars)
	if errMsg != "" {
		fmt.Fprintf(p.errw, "make: %s\n", errMsg)
		return 2
	}
	mf.vars["CURDIR"] = mkVar{val: dir}
	if len(goals) == 0 {
		if mf.goal == "" {
			fmt.Fprintf(p.errw, "make: *** No targets.  Stop.\n")
			return 2
		}
		goals = []string{mf.goal}
	}
	// command-line variables reach the recipes' environment, as GNU make exports them
	env := p.environ()
	for k, v := range cmdVars {
		env = append(env, k+"="+v)
	}
	c.env = newEnv(env)
	r := &makeRun{p: &c, mf: mf, silent: silent, dryRun: dryRun, done: map[string]bool{}, busy: map[string]bool{}}
	code := 0
	for _, g := range goals {
		built, rc := r.make(g, "")
		if rc != 0 {
			code = rc
			if !keepGoing {
				return code
			}
		}
		if !built && rc == 0 && !r.ranAny {
			if rule, ok := mf.rules[g]; ok && len(rule.recipe) == 0 {
				fmt.Fprintf(p.out, "make: Nothing to be done for '%s'.\n", g)
			} else {
				fmt.Fprintf(p.out, "make: '%s' is up to date.\n", g)
			}
		}
	}
	return code
}

// makeRun is one make invocation's state.
type makeRun struct {
	p              *proc
	mf             *makefile
	silent, dryRun bool
	done, busy     map[string]bool
	ranAny         bool
}

// make brings target up to date; it reports whether a recipe ran.
func (r *makeRun) make(target, parent string) (bool, int) {
	p, mf := r.p, r.mf
	if r.done[target] {
		return false, 0
	}
	if r.busy[target] {
		fmt.Fprintf(p.errw, "make: Circular %s <- %s dependency dropped.\n", parent, target)
		return false, 0
	}
	r.busy[target] = true
	defer func() { r.busy[target] = false; r.done[target] = true }()
	rule, ok := mf.rules[target]
	stem := ""
	if !ok || len(rule.recipe) == 0 {
		for _, pr := range append(mf.patterns, builtinPatterns...) {
			pre, suf, _ := strings.Cut(pr.target, "%")
			if !strings.HasPrefix(target, pre) || !strings.HasSuffix(target, suf) || len(target) < len(pre)+len(suf) {
				continue
			}
			s := target[len(pre) : len(target)-len(suf)]
			var prereqs []string
			missing := false
			for _, d := range pr.prereqs {
				d = strings.ReplaceAll(d, "%", s)
				if !p.s.exists(p.abs(d)) && mf.rules[d] == nil {
					missing = true
				}
				prereqs = append(prereqs, d)
			}
			if missing {
				continue
			}
			merged := &mkRule{target: target, prereqs: prereqs, recipe: pr.recipe, lines: pr.lines, line: pr.line}
			if ok {
				merged.prereqs = append(merged.prereqs, rule.prereqs...)
			}
			rule, ok, stem = merged, true, s
			break
		}
	}
	if !ok {
		if p.s.exists(p.abs(target)) {
			return false, 0
		}
		if parent != "" {
			fmt.Fprintf(p.errw, "make: *** No rule to make target '%s', needed by '%s'.  Stop.\n", target, parent)
		} else {
			fmt.Fprintf(p.errw, "make: *** No rule to make target '%s'.  Stop.\n", target)
		}
		return false, 2
	}
	newer := false
	for _, d := range rule.prereqs {
		built, rc := r.make(d, target)
		if rc != 0 {
			return false, rc
		}
		newer = newer || built
	}
	te, err := p.s.stat(p.abs(target))
	needed := mf.phony[target] || err != nil || newer
	if !needed {
		for _, d := range rule.prereqs {
			if de, err := p.s.stat(p.abs(d)); err == nil && de.ModTime.After(te.ModTime) {
				needed = true
			}
		}
	}
	if !needed || len(rule.recipe) == 0 {
		return newer, 0
	}
	first := ""
	if len(rule.prereqs) > 0 {
		first = rule.prereqs[0]
	}
	auto := map[string]string{"@": target, "<": first, "^": strings.Join(dedup(rule.prereqs), " "), "+": strings.Join(rule.prereqs, " "), "*": stem}
	for i, line := range rule.recipe {
		lineNo := rule.line
		if i < len(rule.lines) {
			lineNo = rule.lines[i]
		}
		cmd := mf.expandDepth(line, auto, 0, p)
		if i := strings.Index(cmd, unsupportedFunc); i >= 0 {
			fn := strings.TrimSuffix(cmd[i+len(unsupportedFunc):], "\x00")
			fn, _, _ = strings.Cut(fn, "\x00")
			fmt.Fprintf(p.errw, "make: the $(%s ...) function is not simulated by layerlab's make (%s:%d)\n", fn, mf.file, lineNo)
			return false, 2
		}
		silent, ignore := r.silent, false
		for len(cmd) > 0 && strings.ContainsRune("@-+", rune(cmd[0])) {
			switch cmd[0] {
			case '@':
				silent = true
			case '-':
				ignore = true
			}
			cmd = strings.TrimLeft(cmd[1:], " \t")
		}
		if strings.TrimSpace(cmd) == "" {
			continue
		}
		if !silent || r.dryRun {
			fmt.Fprintln(p.out, cmd)
		}
		r.ranAny = true
		if r.dryRun {
			continue
		}
		c := *p
		c.name, c.args = "sh", []string{"-c", cmd}
		if rc := cmdSh(&c); rc != 0 {
			if ignore {
				fmt.Fprintf(p.errw, "make: [%s:%d: %s] Error %d (ignored)\n", mf.file, lineNo, target, rc)
				continue
			}
			fmt.Fprintf(p.errw, "make: *** [%s:%d: %s] Error %d\n", mf.file, lineNo, target, rc)
			return false, 2
		}
	}
	return true, 0
}

// builtinPatterns are GNU make's implicit rules for C and C++ that projects rely on.
var builtinPatterns = []*mkRule{
	{target: "%.o", prereqs: []string{"%.c"}, recipe: []string{"$(CC) $(CFLAGS) $(CPPFLAGS) -c -o $@ $<"}},
	{target: "%.o", prereqs: []string{"%.cpp"}, recipe: []string{"$(CXX) $(CXXFLAGS) $(CPPFLAGS) -c -o $@ $<"}},
	{target: "%", prereqs: []string{"%.c"}, recipe: []string{"$(CC) $(CFLAGS) $(CPPFLAGS) $(LDFLAGS) $^ $(LDLIBS) -o $@"}},
	{target: "%", prereqs: []string{"%.o"}, recipe: []string{"$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@"}},
}

func dedup(list []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range list {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

var cmakeTarget = newLazyRegexp(`(?is)add_(executable|library)\s*\(\s*([\w.+-]+)([^)]*)\)`)

// cmdCmake configures (writes build/Makefile from CMakeLists.txt's add_executable and
// add_library), builds (runs make there) and installs.
func cmdCmake(p *proc) int {
	if len(p.args) == 0 {
		p.outf("Usage\n\n  cmake [options] <path-to-source>\n  cmake [options] -S <path-to-source> -B <path-to-build>\n")
		return 0
	}
	switch p.args[0] {
	case "--version":
		p.outf("cmake version 3.25.1\n")
		return 0
	case "--build":
		if len(p.args) < 2 {
			fmt.Fprintf(p.errw, "Usage: cmake --build <dir> [options] [-- [native-options]]\n")
			return 1
		}
		dir := p.args[1]
		margs := []string{"-C", dir}
		for i := 2; i < len(p.args); i++ {
			switch a := p.args[i]; {
			case (a == "--target" || a == "-t") && i+1 < len(p.args):
				i++
				margs = append(margs, p.args[i])
			case (a == "--config" || a == "-j" || a == "--parallel") && i+1 < len(p.args):
				i++
			case strings.HasPrefix(a, "-j") || strings.HasPrefix(a, "--parallel"):
			case a == "--":
				margs = append(margs, p.args[i+1:]...)
				i = len(p.args)
			default:
				return p.unsupported("--build option " + a)
			}
		}
		if !p.isFile(path.Join(dir, "Makefile")) {
			fmt.Fprintf(p.errw, "Error: %s is not a directory containing a CMake build (no Makefile)\n", p.abs(dir))
			return 1
		}
		c := *p
		c.name, c.args = "make", margs
		return cmdMake(&c)
	case "--install":
		if len(p.args) < 2 {
			return p.unsupported("--install without a directory")
		}
		dir := p.args[1]
		prefix := "/usr/local"
		for i := 2; i < len(p.args); i++ {
			if p.args[i] == "--prefix" && i+1 < len(p.args) {
				prefix = p.args[i+1]
				i++
			}
		}
		b, _ := p.readFile(path.Join(dir, "layerlab-targets"))
		for _, t := range strings.Fields(string(b)) {
			e, err := p.s.stat(p.abs(path.Join(dir, t)))
			if err != nil {
				fmt.Fprintf(p.errw, "CMake Error: file INSTALL cannot find \"%s\"\n", p.abs(path.Join(dir, t)))
				return 1
			}
			if !p.writeArtefact(path.Join(prefix, "bin", t), dataOf(e), 0o755) {
				return 1
			}
			p.outf("-- Installing: %s\n", path.Join(prefix, "bin", t))
		}
		return 0
	}
	src, build := "", "."
	var defs []string
	for i := 0; i < len(p.args); i++ {
		switch a := p.args[i]; {
		case a == "-S" && i+1 < len(p.args):
			i++
			src = p.args[i]
		case a == "-B" && i+1 < len(p.args):
			i++
			build = p.args[i]
		case strings.HasPrefix(a, "-S"):
			src = a[2:]
		case strings.HasPrefix(a, "-B"):
			build = a[2:]
		case strings.HasPrefix(a, "-D"):
			defs = append(defs, a)
		case a == "-G" && i+1 < len(p.args):
			if p.args[i+1] != "Unix Makefiles" {
				return p.unsupported("generator " + p.args[i+1])
			}
			i++
		case strings.HasPrefix(a, "-"):
			return p.unsupported("option " + a)
		default:
			src = a
		}
	}
	if src == "" {
		src = "."
	}
	srcAbs, buildAbs := p.abs(src), p.abs(build)
	b, err := p.readFile(path.Join(srcAbs, "CMakeLists.txt"))
	if err != nil {
		fmt.Fprintf(p.errw, "CMake Error: The source directory \"%s\" does not appear to contain CMakeLists.txt.\n", srcAbs)
		return 1
	}
	var mk, all, names strings.Builder
	flags := ""
	for _, d := range defs {
		if v, ok := strings.CutPrefix(d, "-DCMAKE_BUILD_TYPE="); ok {
			flags = map[string]string{"Release": "-O3 -DNDEBUG", "RelWithDebInfo": "-O2 -g -DNDEBUG", "MinSizeRel": "-Os -DNDEBUG", "Debug": "-g"}[v]
		}
	}
	for _, m := range cmakeTarget.FindAllStringSubmatch(string(b), -1) {
		var srcs []string
		for _, f := range strings.Fields(m[3]) {
			if strings.Contains(f, ".") && !strings.HasPrefix(f, "$") {
				srcs = append(srcs, path.Join(srcAbs, f))
			}
		}
		target := m[2]
		cc := "cc"
		for _, s := range srcs {
			if !strings.HasSuffix(s, ".c") {
				cc = "c++"
			}
		}
		if strings.EqualFold(m[1], "library") {
			target = "lib" + target + ".a"
			fmt.Fprintf(&mk, "%s: %s\n\t%s %s -c %s -o %s.o\n\tcp %s.o %s\n\n", target, strings.Join(srcs, " "), cc, flags, strings.Join(srcs, " "), target, target, target)
		} else {
			fmt.Fprintf(&mk, "%s: %s\n\t%s %s %s -o %s\n\n", target, strings.Join(srcs, " "), cc, flags, strings.Join(srcs, " "), target)
			names.WriteString(target + "\n")
		}
		all.WriteString(" " + target)
	}
	makefile := "# written by the layerlab sandbox's cmake from " + path.Join(srcAbs, "CMakeLists.txt") + "\nall:" + all.String() + "\n.PHONY: all\n\n" + mk.String()
	for _, f := range [][2]string{{"Makefile", makefile}, {"CMakeCache.txt", "# CMake cache (layerlab sandbox)\nCMAKE_HOME_DIRECTORY:INTERNAL=" + srcAbs + "\n" + strings.Join(defs, "\n") + "\n"}, {"layerlab-targets", names.String()}} {
		if err := p.putText(path.Join(buildAbs, f[0]), f[1]); err != nil {
			p.errf("write %s: %s", f[0], errno(err))
			return 1
		}
	}
	p.outf("-- The C compiler identification is GNU 12.2.0\n-- Configuring done\n-- Generating done\n-- Build files have been written to: %s\n", buildAbs)
	return 0
}
