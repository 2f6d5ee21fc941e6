package sandbox

// The memory and process budgets of one RUN (issue 12). A RUN's memory is what its
// shell holds (variables, the words it expands, command substitution output) and
// what its commands buffer (standard input read whole, files read whole, <(...)
// outputs, files open for writing); its processes are the goroutines the
// interpreter starts for background jobs and pipeline stages. Every bound here is
// this RUN's own: another student's load never counts against it.
//
// Variables. mvdan.cc/sh keeps a script's variables in its own environment and has
// no hook on assignment, so the sandbox cannot see a string before the interpreter
// builds it. It rewrites the parsed script instead (budgetRewriter): a word that
// can make a string larger than any one value it reads (two values, "$*" or
// ${a[*]} joined, ${a/x/y}, ${a@Q}, a brace expansion of a value, a += or an array
// element), and the first of several words of one command that copy a value next
// to text (cmd $a. $a. $a.), get an extra part in front of their first expansion,
// which the interpreter expands before the rest of the word, so before the string
// exists:
//
//	${?:0:SIZE > Q || (RANDOM & 255) == 0 ? $(__layerlab_memory $((SIZE)) 2>/dev/null) : 0}
//
// SIZE is an arithmetic sum of ${#var} lengths (the interpreter knows a value's
// length without copying it) and constants, an upper bound of the result: ${a/x/y}
// counts |a|*(|y|+2), ${a:-w} counts |a|+|w|, a brace expansion multiplies by its
// count, the first such word of a command adds every later one. Why it is sound: a
// word that copies one value next to text makes at most that value and the text,
// so growing past the budget needs words of the first kind, every one of which is
// checked before it is built; SIZE reads only lengths, which a script cannot make
// lie; and the check aborts the word by failing (the command substitution returns
// the limit error, which ends the expansion). Why it changes nothing else: ${?:0:0}
// expands to nothing, the arithmetic assigns nothing, $? and set -e see the same
// statuses, xtrace prints the words' values (in which the check is empty) and the
// check's own command prints to /dev/null, and set -u fails where the expansion
// itself would (${v:-w} and the like, which read an unset v as empty, are measured
// by a ternary that expands ${#v} only when v is set). Only a word over Q (a
// 1024th of the budget), or at random one time in 256 for an array element or a
// +=, runs __layerlab_memory, which the call handler answers in Go: the word's
// size plus every variable's size (the handler context's Env.Each) plus the
// buffers the session holds, against the budget; past it the step fails naming the
// budget. Summing every variable costs their number, so it runs once an estimate
// of their growth since the last sum passes a 16th of the budget: every command
// adds its arguments' size (what declare, export or local can store), every
// sampled assignment its size times 256. What it costs (BenchmarkRun): about one
// arithmetic expansion per checked word, which with the cheaper recursion check of
// shell.go left every script shape's CPU time below what it was before; a subshell
// only for a word over Q or with "$*"-like parts (their sizes need Go). Lengths are
// in characters, as the shell counts them: multi-byte text may hold up to 4 bytes
// per character counted.
//
// Code the interpreter parses itself (eval's argument, a sourced file, a trap's
// command) gets the same rewrite in the call handler before the interpreter sees
// it (rewriteForBudgets). Two reads escape the rewrite and are bounded otherwise:
// `read` takes one byte per system call from a pipe, so the time limit bounds its
// line (about 0.5-2 MB a second); mapfile and readarray read through a guard
// redirect the rewrite adds (inputGuard), and the call handler refuses them where
// no guard was added (the name coming from a variable). A command substitution's
// output is bounded as it is written (substWriter, and the call handler for
// builtins writing to it); printf's widths before it builds its output.
//
// Processes. The rewrite gives every background statement and every left side of
// a pipe (the statements the interpreter starts a goroutine for) a first redirect,
// 2>>/dev/.layerlab-process, which the open handler counts (refusing past the
// limit) and whose Close, at the statement's end whatever ends it (errexit, exit,
// return), uncounts; it writes through to the statement's standard error, so
// nothing else changes. A script opening that path itself only counts one more.
// The count starts in the new goroutine, so a loop that starts jobs may run a few
// past the limit before the step stops.

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
)

// Names the rewrite gives the interpreter. They are plain text (eval's argument is
// printed and parsed again, which would drop a NUL byte), and none of them lets a
// script escape a budget: calling __layerlab_memory with made-up sizes checks
// those, opening the process path counts one more process, and the input guard's
// path holds a per-run secret.
const (
	cmdMemCheck = "__layerlab_memory"
	procPath    = "/dev/.layerlab-process"
	inputPrefix = "/dev/.layerlab-input-"
)

// memSampleMask: an assignment that can make the variables grow (an array element,
// +=) runs the Go check at random one time in memSampleMask+1 ($RANDOM & mask), and
// the check counts it for that many.
const memSampleMask = 255

// memoryLimit fails the step naming the budget and what filled it.
func memoryLimit(budget int64, what, detail string) *LimitError {
	msg := fmt.Sprintf("RUN exceeded the sandbox's memory budget (%s) for %s", humanBytes(budget), what)
	if detail != "" {
		msg += ": " + detail
	}
	return &LimitError{Limit: "memory", Msg: msg}
}

// failMemory sets the memory limit (the step fails) and prints its line to the step
// log, as limitf does for the other bounds.
func (s *session) failMemory(what, detail string) *LimitError {
	le := memoryLimit(s.lim.MaxMemory, what, detail)
	if s.limitErr() == nil && s.log != nil {
		fmt.Fprintln(s.log, "layerlab: "+le.Msg)
	}
	s.setLimit(le)
	return le
}

// reserve counts n bytes a command is about to hold against the session's budget;
// past it the step fails and nothing is counted.
func (s *session) reserve(n int64, what string) error {
	if n <= 0 {
		return nil
	}
	if u := s.memUsed.Add(n); u > s.lim.MaxMemory {
		s.memUsed.Add(-n)
		return s.failMemory(what, fmt.Sprintf("%s more would make %s held at once", humanBytes(n), humanBytes(u)))
	}
	return nil
}

func (s *session) release(n int64) {
	if n > 0 {
		s.memUsed.Add(-n)
	}
}

// procMem is what one command holds against the budget until it exits; copies of
// a proc (a command running another) share it.
type procMem struct{ held atomic64 }

type atomic64 struct {
	mu sync.Mutex
	n  int64
}

func (a *atomic64) add(n int64) {
	a.mu.Lock()
	a.n += n
	a.mu.Unlock()
}

func (a *atomic64) take() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := a.n
	a.n = 0
	return n
}

// hold reserves n bytes for p until the command exits (releaseHeld). A proc
// made elsewhere than the exec handler (none is) would hold nothing.
func (p *proc) hold(n int64, what string) error {
	if p.mem == nil {
		return nil
	}
	if err := p.s.reserve(n, what); err != nil {
		return err
	}
	p.mem.held.add(n)
	return nil
}

// releaseHeld gives back what the command held.
func (p *proc) releaseHeld() {
	if p.mem != nil {
		p.s.release(p.mem.held.take())
	}
}

// heldReader reserves what it reads for its command before reading it.
type heldReader struct {
	p    *proc
	r    io.Reader
	what string
}

func (h *heldReader) Read(b []byte) (int, error) {
	if err := h.p.hold(int64(len(b)), h.what); err != nil {
		return 0, err
	}
	n, err := h.r.Read(b)
	if h.p.mem != nil {
		// give back what the buffer did not fill
		h.p.s.release(int64(len(b) - n))
		h.p.mem.held.add(-int64(len(b) - n))
	}
	return n, err
}

// varsSize is the bytes the variables of env hold: names, values, elements, keys.
func varsSize(env expand.Environ) int64 {
	var n int64
	env.Each(func(name string, vr expand.Variable) bool {
		// the interpreter's entry for a variable (its map slot and struct) is
		// about 128 bytes; an element, a string header and an index
		n += int64(len(name)) + 128
		switch vr.Kind {
		case expand.Indexed:
			for _, e := range vr.List {
				n += int64(len(e)) + 24
			}
		case expand.Associative:
			for k, v := range vr.Map {
				n += int64(len(k)+len(v)) + 64
			}
		default:
			n += int64(len(vr.Str))
		}
		return true
	})
	return n
}

// checkVars fails the step when the variables of env, plus add bytes about to be
// built, plus the buffers the session holds, pass the budget. grown is what the
// variables may have grown by since the last look: summing every variable costs
// their number, so it is done only once that estimate passes a 16th of the budget
// (or when add is large), which keeps the sums linear in what a script stores.
func (s *session) checkVars(env expand.Environ, add, grown int64, what string) error {
	if add > s.lim.MaxMemory {
		return s.failMemory(what, fmt.Sprintf("this expansion would make %d characters", add))
	}
	if s.pending.Add(grown) < s.lim.MaxMemory/16 && add <= s.rewriteQ() {
		return nil
	}
	s.pending.Store(0)
	vars := varsSize(env)
	if total := vars + add + s.memUsed.Load(); total > s.lim.MaxMemory {
		detail := fmt.Sprintf("the variables hold %s", humanBytes(vars))
		if add > 0 {
			detail += fmt.Sprintf(" and this expansion would make %d characters more", add)
		}
		return s.failMemory(what, detail)
	}
	return nil
}

// memCheckCall answers __layerlab_memory SIZE [MULT COUNT FIELD...]...: SIZE is the
// word's known size, each group a "$@"-like part whose COUNT fields are counted
// MULT times.
func (s *session) memCheckCall(hc interp.HandlerContext, args []string) error {
	total, _ := strconv.ParseInt(firstArg(args), 10, 64)
	// a word at most Q long calls here for one in memSampleMask+1 of its kind
	grown := total
	if total <= s.rewriteQ() {
		grown = total * (memSampleMask + 1)
	}
	rest := args[min(1, len(args)):]
	for len(rest) >= 2 {
		mult, _ := strconv.ParseInt(rest[0], 10, 64)
		count, _ := strconv.Atoi(rest[1])
		rest = rest[2:]
		count = min(max(count, 0), len(rest))
		var n int64
		for _, f := range rest[:count] {
			n += int64(len(f)) + 1
		}
		rest = rest[count:]
		total += max(mult, 1) * n
		grown = max(grown, total)
	}
	return s.checkVars(hc.Env, total, grown, "shell variables and the words it expands")
}

// substWriter bounds a command substitution's output as it is produced: the
// interpreter collects it in a strings.Builder, then makes a variable or a word of it.
type substWriter struct {
	s *session
	b *strings.Builder
}

func (w substWriter) Write(p []byte) (int, error) {
	if err := w.s.checkSubst(w.b.Len() + len(p)); err != nil {
		return 0, err
	}
	return w.b.Write(p)
}

// checkSubst bounds a command substitution's output of n bytes: the interpreter's
// buffer grows by copying, so it holds up to twice the output while it grows
// (half the budget is the longest output: 128 MiB of the default 256).
func (s *session) checkSubst(n int) error {
	if 2*int64(n) > s.lim.MaxMemory-s.memUsed.Load() {
		return s.failMemory("command substitution output",
			fmt.Sprintf("$(...) collected %s, and its buffer holds up to twice its output while it grows", humanBytes(int64(n))))
	}
	return nil
}

// printfSize estimates what the printf builtin builds before printing it: its
// format once per round of arguments, with every field width and precision
// (numbers or * from the arguments) as wide as asked.
func printfSize(args []string) int64 {
	if len(args) == 0 {
		return 0
	}
	format, rest := args[0], args[1:]
	var per int64 // fields' widths in one round
	specs := 0
	for i := 0; i < len(format); i++ {
		if format[i] != '%' {
			continue
		}
		i++
		if i < len(format) && format[i] == '%' {
			continue
		}
		specs++
		for i < len(format) && strings.IndexByte("-+ #0'", format[i]) >= 0 {
			i++
		}
		for part := 0; part < 2; part++ {
			if i < len(format) && format[i] == '*' {
				// the interpreter's printf refuses * ("invalid format char")
				i++
			} else {
				j := i
				for i < len(format) && format[i] >= '0' && format[i] <= '9' {
					i++
				}
				if n, err := strconv.ParseInt(format[j:i], 10, 64); err == nil {
					per += n
				}
			}
			if part == 0 && i < len(format) && format[i] == '.' {
				i++
				continue
			}
			break
		}
	}
	rounds := int64(1)
	if specs > 0 && len(rest) > specs {
		rounds = int64((len(rest) + specs - 1) / specs)
	}
	var argBytes int64
	for _, a := range rest {
		argBytes += int64(len(a))
	}
	return rounds*(per+int64(len(format))) + argBytes
}

// Processes: the count of goroutines this session's interpreter runs statements in.

// procHandle is the 2>>/dev/.layerlab-process redirect: it counts one process
// while its statement runs, and writes through to the statement's standard error.
type procHandle struct {
	s      *session
	w      io.Writer
	closed bool
}

func (h *procHandle) Read([]byte) (int, error) { return 0, syscall.EBADF }
func (h *procHandle) Write(b []byte) (int, error) {
	if h.w == nil {
		return len(b), nil
	}
	return h.w.Write(b)
}
func (h *procHandle) Close() error {
	if !h.closed {
		h.closed = true
		h.s.procs.Add(-1)
	}
	return nil
}

// openProc counts a process the interpreter is starting; past the limit the step
// fails and the statement does not run.
func (s *session) openProc(stderr io.Writer) (io.ReadWriteCloser, error) {
	if n := s.procs.Add(1); n > int64(s.lim.MaxProcs) {
		s.procs.Add(-1)
		le := procCountLimit(s.lim.MaxProcs)
		s.setLimit(le)
		return nil, le
	}
	return &procHandle{s: s, w: stderr}, nil
}

// inputGuard is the redirect the rewrite puts on mapfile and readarray: it reads
// the statement's standard input, holding what it reads against the budget until
// the statement ends (the array then counts as variables).
type inputGuard struct {
	s        *session
	r        io.Reader
	held     int64
	consumed bool
	closed   bool
}

func (g *inputGuard) Read(b []byte) (int, error) {
	if g.r == nil {
		return 0, io.EOF
	}
	if err := g.s.reserve(int64(len(b)), "mapfile's input"); err != nil {
		return 0, err
	}
	n, err := g.r.Read(b)
	g.s.release(int64(len(b) - n))
	g.held += int64(n)
	// each line becomes an element: a string header and its slot in the array
	// (doubled as the array grows), counted once the lines are seen
	if lines := int64(bytes.Count(b[:n], []byte{'\n'})) * 48; lines > 0 {
		if rerr := g.s.reserve(lines, "mapfile's lines"); rerr != nil {
			return 0, rerr
		}
		g.held += lines
	}
	return n, err
}
func (g *inputGuard) Write([]byte) (int, error) { return 0, syscall.EBADF }
func (g *inputGuard) Close() error {
	if g.closed {
		return nil
	}
	g.closed = true
	g.s.release(g.held)
	g.s.guardMu.Lock()
	for i, x := range g.s.guards {
		if x == g {
			g.s.guards = append(g.s.guards[:i], g.s.guards[i+1:]...)
			break
		}
	}
	g.s.guardMu.Unlock()
	return nil
}

func (s *session) openGuard(stdin io.Reader) io.ReadWriteCloser {
	g := &inputGuard{s: s, r: stdin}
	s.guardMu.Lock()
	s.guards = append(s.guards, g)
	s.guardMu.Unlock()
	return g
}

// takeGuard reports whether a mapfile about to run was given a guard (and uses it up).
func (s *session) takeGuard() bool {
	s.guardMu.Lock()
	defer s.guardMu.Unlock()
	for _, g := range s.guards {
		if !g.consumed {
			g.consumed = true
			return true
		}
	}
	return false
}

func newSecret() string {
	b := make([]byte, 8)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// The rewrite.

// budgetRewriter adds the checks described at the top of this file to a parsed script.
type budgetRewriter struct {
	q       int64  // words larger than this always run the Go check
	guard   string // the session's input guard path
	parser  *syntax.Parser
	printer *syntax.Printer
}

// rewriteQ is the size past which a word always runs the Go check.
func (s *session) rewriteQ() int64 { return max(s.lim.MaxMemory/1024, 4096) }

func (s *session) newRewriter() *budgetRewriter {
	return &budgetRewriter{
		q:       s.rewriteQ(),
		guard:   inputPrefix + s.secret,
		parser:  syntax.NewParser(syntax.Variant(syntax.LangBash)),
		printer: syntax.NewPrinter(),
	}
}

// rewrite adds the checks to file, in place (see the top of this file).
func (b *budgetRewriter) rewrite(file *syntax.File) {
	type pending struct {
		words   []*syntax.Word
		assigns []*syntax.Assign
	}
	var lists []pending
	var stmts []*syntax.Stmt
	var pipes []*syntax.Stmt
	var guards []*syntax.Stmt
	syntax.Walk(file, func(n syntax.Node) bool {
		switch x := n.(type) {
		case *syntax.ArithmExp, *syntax.ArithmCmd, *syntax.LetClause:
			// numbers and names: no string is built there, and a word of an
			// arithmetic expression must stay as written (i++ needs its name)
			walkSubsts(x, func(cs *syntax.CmdSubst) {
				for _, st := range cs.Stmts {
					b.rewrite(&syntax.File{Stmts: []*syntax.Stmt{st}})
				}
			})
			return false
		case *syntax.Stmt:
			if x.Background {
				stmts = append(stmts, x)
			}
			if call, ok := x.Cmd.(*syntax.CallExpr); ok && isMapfile(call) {
				guards = append(guards, x)
			}
		case *syntax.BinaryCmd:
			if x.Op == syntax.Pipe || x.Op == syntax.PipeAll {
				pipes = append(pipes, x.X)
			}
		case *syntax.CallExpr:
			lists = append(lists, pending{words: x.Args, assigns: x.Assigns})
		case *syntax.DeclClause:
			lists = append(lists, pending{assigns: x.Args})
		case *syntax.WordIter:
			lists = append(lists, pending{words: x.Items})
		case *syntax.CaseClause:
			lists = append(lists, pending{words: []*syntax.Word{x.Word}})
		case *syntax.CaseItem:
			for _, w := range x.Patterns {
				lists = append(lists, pending{words: []*syntax.Word{w}})
			}
		case *syntax.Redirect:
			if x.Word != nil {
				lists = append(lists, pending{words: []*syntax.Word{x.Word}})
			}
			if x.Hdoc != nil {
				lists = append(lists, pending{words: []*syntax.Word{x.Hdoc}})
			}
		case *syntax.BinaryTest:
			if w, ok := x.X.(*syntax.Word); ok {
				lists = append(lists, pending{words: []*syntax.Word{w}})
			}
			if w, ok := x.Y.(*syntax.Word); ok {
				lists = append(lists, pending{words: []*syntax.Word{w}})
			}
		case *syntax.UnaryTest:
			if w, ok := x.X.(*syntax.Word); ok {
				lists = append(lists, pending{words: []*syntax.Word{w}})
			}
		}
		return true
	})
	for _, l := range lists {
		b.checkList(l.words, l.assigns)
	}
	for _, st := range stmts {
		b.countProcess(st)
	}
	for _, st := range pipes {
		if st != nil && !st.Background {
			b.countProcess(st)
		}
	}
	for _, st := range guards {
		st.Redirs = append(st.Redirs, &syntax.Redirect{Op: syntax.RdrIn, Word: litWord(b.guard)})
	}
}

// walkSubsts calls fn on the command substitutions inside an arithmetic node.
func walkSubsts(n syntax.Node, fn func(*syntax.CmdSubst)) {
	syntax.Walk(n, func(m syntax.Node) bool {
		if cs, ok := m.(*syntax.CmdSubst); ok {
			fn(cs)
			return false
		}
		return true
	})
}

// countProcess gives a statement the interpreter runs in a goroutine its
// process-counting redirect, first, so its own redirects still apply after it.
func (b *budgetRewriter) countProcess(st *syntax.Stmt) {
	for _, r := range st.Redirs {
		if r.Word != nil && r.Word.Lit() == procPath {
			return
		}
	}
	rd := &syntax.Redirect{Op: syntax.AppOut, N: &syntax.Lit{Value: "2"}, Word: litWord(procPath)}
	st.Redirs = append([]*syntax.Redirect{rd}, st.Redirs...)
}

// isMapfile reports a call of mapfile or readarray (also through builtin/command).
func isMapfile(call *syntax.CallExpr) bool {
	for i, w := range call.Args {
		switch w.Lit() {
		case "mapfile", "readarray":
			return true
		case "builtin", "command":
			if i == 0 {
				continue
			}
		}
		return false
	}
	return false
}

// wordSize is what the rewrite knows of a word's expansion.
type wordSize struct {
	terms   []string // arithmetic terms summed: constants and ${#var} lengths
	dynamic int      // parts whose size depends on the variables
	consts  int64    // bytes of literal text
	grows   bool     // builds a string larger than any one value it reads
	copies  bool     // builds a new string of one value and literal text
	opaque  []opaquePart
}

// opaquePart is a "$@"-like part: its fields, passed to the Go check, count mult times.
type opaquePart struct {
	mult   string // arithmetic text
	count  string // arithmetic text: how many fields
	fields string // the word text that expands to them
}

func (ws *wordSize) expr() string {
	if len(ws.terms) == 0 && ws.consts == 0 {
		return "0"
	}
	t := append([]string(nil), ws.terms...)
	if ws.consts > 0 {
		t = append(t, strconv.FormatInt(ws.consts, 10))
	}
	return strings.Join(t, "+")
}

// checkList adds the check to the first word of a command (or list) that builds a
// string, sized for all its words; later words that build strings get their own
// (a ${x:=...} of one word can change what a later one expands to).
func (b *budgetRewriter) checkList(words []*syntax.Word, assigns []*syntax.Assign) {
	type item struct {
		w          *syntax.Word
		ws         wordSize
		accumulate bool
	}
	var items []item
	for _, a := range assigns {
		if a.Array != nil {
			var ws wordSize
			for _, el := range a.Array.Elems {
				if el.Value == nil {
					continue
				}
				es := b.sizeOf(el.Value)
				ws.terms = append(ws.terms, es.terms...)
				ws.consts += es.consts + 16
				ws.dynamic += es.dynamic
				ws.opaque = append(ws.opaque, es.opaque...)
			}
			ws.grows = true
			for _, el := range a.Array.Elems {
				if el.Value != nil {
					items = append(items, item{w: el.Value, ws: ws, accumulate: true})
					break
				}
			}
			continue
		}
		if a.Value == nil {
			continue
		}
		ws := b.sizeOf(a.Value)
		acc := a.Append || a.Index != nil
		if a.Append && a.Name != nil && syntax.ValidName(a.Name.Value) {
			ws.terms = append(ws.terms, lengthOf(a.Name.Value, "", true))
			ws.dynamic++
			ws.grows = true
		}
		if acc {
			ws.consts += 16
			ws.grows = true
		}
		items = append(items, item{w: a.Value, ws: ws, accumulate: acc})
	}
	for _, w := range words {
		ws := b.sizeOf(w)
		if loneElems(w) {
			// "$@" or "${a[@]}" as a whole word makes a field of each value: shared
			ws.grows, ws.copies = false, false
		}
		items = append(items, item{w: w, ws: ws})
	}
	// A word that copies one value (x$a) cannot grow past the value and its
	// text, but several such words of one command (cmd $a. $a. $a.) can: the first
	// check then bounds them all.
	copies := 0
	for _, it := range items {
		if it.ws.grows || it.ws.copies {
			copies++
		}
	}
	first := true
	for i, it := range items {
		if !it.ws.grows && !(first && it.ws.copies && copies >= 2) {
			continue
		}
		ws := it.ws
		if first {
			// the first check bounds the whole command: every later word too
			for _, later := range items[i+1:] {
				if later.ws.grows || later.ws.copies {
					ws.terms = append(ws.terms, later.ws.terms...)
					ws.consts += later.ws.consts
					ws.opaque = append(ws.opaque, later.ws.opaque...)
				}
			}
			first = false
		}
		b.insertCheck(it.w, &ws, it.accumulate)
	}
}

// insertCheck puts the check part in front of w's first part that is not literal
// text (a leading ~ stays first, for tilde expansion).
func (b *budgetRewriter) insertCheck(w *syntax.Word, ws *wordSize, accumulate bool) {
	var src string
	size := ws.expr()
	if len(ws.opaque) > 0 {
		var sb strings.Builder
		fmt.Fprintf(&sb, "${?:0:$(%s $((%s))", cmdMemCheck, size)
		for _, o := range ws.opaque {
			fmt.Fprintf(&sb, " $((%s)) $((%s)) %s", o.mult, o.count, o.fields)
		}
		sb.WriteString(" 2>/dev/null)}")
		src = sb.String()
	} else {
		cond := fmt.Sprintf("(%s) > %d", size, b.q)
		if accumulate {
			cond += fmt.Sprintf(" || (RANDOM & %d) == 0", memSampleMask)
		}
		src = fmt.Sprintf("${?:0:%s ? $(%s $((%s)) 2>/dev/null) : 0}", cond, cmdMemCheck, size)
	}
	part := b.parsePart(src)
	if part == nil {
		// cannot happen: the text is built from valid names and numbers
		return
	}
	at := 0
	for at < len(w.Parts) {
		if _, ok := w.Parts[at].(*syntax.Lit); !ok {
			break
		}
		at++
	}
	if at == len(w.Parts) {
		at = 0
	}
	parts := make([]syntax.WordPart, 0, len(w.Parts)+1)
	parts = append(parts, w.Parts[:at]...)
	parts = append(parts, part)
	parts = append(parts, w.Parts[at:]...)
	w.Parts = parts
}

// parsePart parses the check's text into the word part it is.
func (b *budgetRewriter) parsePart(src string) syntax.WordPart {
	f, err := b.parser.Parse(strings.NewReader(": "+src), "")
	if err != nil || len(f.Stmts) != 1 {
		return nil
	}
	call, ok := f.Stmts[0].Cmd.(*syntax.CallExpr)
	if !ok || len(call.Args) != 2 || len(call.Args[1].Parts) != 1 {
		return nil
	}
	return call.Args[1].Parts[0]
}

// lengthOf is an arithmetic term for the length of $name (or ${name[index]}).
// Where the expansion reads an unset variable as empty (${v:-w}, ${v+w}, a += of a
// new name), safe makes it read an unset variable as 0 under set -u too: the
// interpreter expands the word of ${v+word} even when v is unset, so ${v+${#v}}
// would fail, and a ternary's branches are expanded only when taken. Elsewhere
// ${#v} fails under set -u exactly where the expansion itself would, with the same
// message, so the cheaper form is kept.
func lengthOf(name, index string, safe bool) string {
	ref := name
	if index != "" {
		ref = name + "[" + index + "]"
	}
	if safe {
		return fmt.Sprintf("(${%s+1}0 ? ${#%s} : 0)", ref, ref)
	}
	return "${#" + ref + "}"
}

// sizeOf bounds a word's expansion.
func (b *budgetRewriter) sizeOf(w *syntax.Word) wordSize {
	var ws wordSize
	b.addParts(&ws, w.Parts)
	parts := 0
	for _, p := range w.Parts {
		if dq, ok := p.(*syntax.DblQuoted); ok {
			parts += len(dq.Parts)
		} else {
			parts++
		}
	}
	if len(ws.opaque) > 0 {
		// "$*", ${a[*]}, or "$@" in a string: the values, shared until now, are
		// joined into a new string (checkList exempts a lone "$@" among words)
		ws.grows = true
	}
	if n := ws.dynamic + len(ws.opaque); n >= 2 {
		// two values in one string: a loop of a=$a$a doubles
		ws.grows = true
	} else if n == 1 && (parts > 1 || ws.consts > 0) {
		// one value and literal text: a copy, at most the value and the text
		ws.copies = true
	}
	if n := braceCount(w); n > 1 && ws.dynamic+len(ws.opaque) > 0 {
		ws.grows = true
		for i, t := range ws.terms {
			ws.terms[i] = fmt.Sprintf("(%s)*%d", t, n)
		}
		ws.consts *= n
		for i := range ws.opaque {
			ws.opaque[i].mult = fmt.Sprintf("(%s)*%d", ws.opaque[i].mult, n)
		}
	}
	return ws
}

func (b *budgetRewriter) addParts(ws *wordSize, parts []syntax.WordPart) {
	for _, p := range parts {
		switch x := p.(type) {
		case *syntax.Lit:
			ws.consts += int64(len(x.Value))
		case *syntax.SglQuoted:
			ws.consts += int64(len(x.Value))
		case *syntax.DblQuoted:
			b.addParts(ws, x.Parts)
		case *syntax.ArithmExp, *syntax.ProcSubst:
			ws.consts += 24
		case *syntax.CmdSubst:
			// bounded as it is produced (substWriter); it makes a new string
			ws.dynamic++
		case *syntax.ExtGlob:
			ws.consts += int64(len(x.Pattern.Value)) + 3
		case *syntax.ParamExp:
			b.addParam(ws, x)
		default:
			ws.consts += 64
		}
	}
}

// addParam adds a parameter expansion's bound.
func (b *budgetRewriter) addParam(ws *wordSize, pe *syntax.ParamExp) {
	if pe.Param == nil || pe.Length || pe.Width || pe.IsSet {
		ws.consts += 24
		return
	}
	name := pe.Param.Value
	index := ""
	if pe.Index != nil {
		index = b.print(pe.Index)
	}
	all := index == "@" || index == "*" || name == "@" || name == "*"
	switch {
	case pe.Names != 0:
		// ${!prefix*}: variable names
		ws.opaque = append(ws.opaque, opaquePart{mult: "1", count: "1", fields: fmt.Sprintf(`"${!%s*}"`, name)})
		return
	case pe.Excl && all:
		// ${!a[@]}: the keys
		ws.opaque = append(ws.opaque, opaquePart{mult: "1", count: fmt.Sprintf("${#%s[@]}", name), fields: fmt.Sprintf(`"${!%s[@]}"`, name)})
		return
	case pe.Excl:
		// ${!ref}: the value of the variable ref names
		ws.opaque = append(ws.opaque, opaquePart{mult: b.multOf(pe), count: "1", fields: fmt.Sprintf(`"${!%s}"`, name)})
		if ws.opaque[len(ws.opaque)-1].mult != "1" {
			ws.grows = true
		}
		b.addExpWord(ws, pe)
		return
	case all:
		fields, count := `"$@"`, "$#"
		if name != "@" && name != "*" {
			fields, count = fmt.Sprintf(`"${%s[@]}"`, name), fmt.Sprintf("${#%s[@]}", name)
		}
		ws.opaque = append(ws.opaque, opaquePart{mult: b.multOf(pe), count: count, fields: fields})
		if ws.opaque[len(ws.opaque)-1].mult != "1" {
			ws.grows = true
		}
		b.addExpWord(ws, pe)
		return
	}
	if !syntax.ValidName(name) && !isDigits(name) {
		// $?, $#, $$, $!, $-, the sandbox's own process IDs: short
		ws.consts += 24
		return
	}
	if index != "" && hasSideEffects(pe.Index) {
		// a[i++]: evaluating the index twice would change the script; the element
		// is an existing value, counted with the variables
		ws.dynamic++
		return
	}
	ws.dynamic++
	mult := b.multOf(pe)
	term := lengthOf(name, index, overridingUnset(pe))
	if mult != "1" {
		// ${a/x/y}, ${a@Q}: a new string, larger than the value
		ws.grows = true
		term = "(" + term + ")*" + mult
	}
	ws.terms = append(ws.terms, term)
	b.addExpWord(ws, pe)
}

// multOf is how many times a parameter's value can be in its expansion:
// ${a/x/y} replaces each character at most, ${a@Q} quotes each.
func (b *budgetRewriter) multOf(pe *syntax.ParamExp) string {
	switch {
	case pe.Repl != nil:
		if pe.Repl.With == nil {
			return "1"
		}
		ws := b.sizeOf(pe.Repl.With)
		if !ws.grows && ws.dynamic > 0 {
			ws.grows = true
		}
		return fmt.Sprintf("(%s+2)", ws.expr())
	case pe.Exp != nil && pe.Exp.Op == syntax.OtherParamOps:
		return "4"
	}
	return "1"
}

// loneElems reports a word that is only "$@", "${a[@]}", $@ or ${a[@]}.
func loneElems(w *syntax.Word) bool {
	if len(w.Parts) != 1 {
		return false
	}
	part := w.Parts[0]
	if dq, ok := part.(*syntax.DblQuoted); ok {
		if len(dq.Parts) != 1 {
			return false
		}
		part = dq.Parts[0]
	}
	pe, ok := part.(*syntax.ParamExp)
	if !ok || pe.Param == nil || pe.Excl || pe.Length || pe.Exp != nil || pe.Repl != nil || pe.Slice != nil || pe.Names != 0 {
		return false
	}
	if pe.Param.Value == "@" {
		return true
	}
	if pe.Index != nil {
		if w, ok := pe.Index.(*syntax.Word); ok && w.Lit() == "@" {
			return true
		}
	}
	return false
}

// overridingUnset reports ${v:-w} and the other forms that read an unset v as empty.
func overridingUnset(pe *syntax.ParamExp) bool {
	if pe.Exp == nil {
		return false
	}
	switch pe.Exp.Op {
	case syntax.DefaultUnset, syntax.DefaultUnsetOrNull, syntax.AlternateUnset, syntax.AlternateUnsetOrNull,
		syntax.AssignUnset, syntax.AssignUnsetOrNull, syntax.ErrorUnset, syntax.ErrorUnsetOrNull:
		return true
	}
	return false
}

// addExpWord adds the word of ${a:-word} and the like.
func (b *budgetRewriter) addExpWord(ws *wordSize, pe *syntax.ParamExp) {
	if pe.Exp == nil || pe.Exp.Word == nil {
		return
	}
	switch pe.Exp.Op {
	case syntax.DefaultUnset, syntax.DefaultUnsetOrNull, syntax.AlternateUnset, syntax.AlternateUnsetOrNull,
		syntax.AssignUnset, syntax.AssignUnsetOrNull, syntax.ErrorUnset, syntax.ErrorUnsetOrNull:
		inner := b.sizeOf(pe.Exp.Word)
		ws.terms = append(ws.terms, inner.terms...)
		ws.consts += inner.consts
		ws.dynamic += inner.dynamic
		ws.opaque = append(ws.opaque, inner.opaque...)
		// the interpreter expands the word whether or not it is used
		ws.grows = ws.grows || inner.grows || inner.copies || inner.dynamic+len(inner.opaque) > 0
	}
}

func (b *budgetRewriter) print(n syntax.Node) string {
	var sb strings.Builder
	b.printer.Print(&sb, n)
	return sb.String()
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// hasSideEffects reports an arithmetic expression that assigns or runs a command.
func hasSideEffects(n syntax.Node) bool {
	found := false
	syntax.Walk(n, func(m syntax.Node) bool {
		switch x := m.(type) {
		case *syntax.UnaryArithm:
			if x.Op == syntax.Inc || x.Op == syntax.Dec {
				found = true
			}
		case *syntax.BinaryArithm:
			switch x.Op {
			case syntax.Assgn, syntax.AddAssgn, syntax.SubAssgn, syntax.MulAssgn, syntax.QuoAssgn,
				syntax.RemAssgn, syntax.AndAssgn, syntax.OrAssgn, syntax.XorAssgn, syntax.ShlAssgn, syntax.ShrAssgn:
				found = true
			}
		case *syntax.CmdSubst, *syntax.ProcSubst:
			found = true
		}
		return !found
	})
	return found
}

// braceCount is how many words a brace expansion makes of w (1 without one),
// capped past the interpreter's own limit of 16Ki.
func braceCount(w *syntax.Word) int64 {
	hasBrace := false
	for _, p := range w.Parts {
		if l, ok := p.(*syntax.Lit); ok && strings.Contains(l.Value, "{") {
			hasBrace = true
		}
	}
	if !hasBrace {
		return 1
	}
	cp := &syntax.Word{Parts: append([]syntax.WordPart(nil), w.Parts...)}
	if !syntax.SplitBraces(cp) {
		return 1
	}
	return min(bracePartsCount(cp.Parts), 1<<15)
}

// bracePartsCount multiplies the counts of the brace expansions among parts.
func bracePartsCount(parts []syntax.WordPart) int64 {
	n := int64(1)
	for _, p := range parts {
		be, ok := p.(*syntax.BraceExp)
		if !ok {
			continue
		}
		k := int64(0)
		if be.Sequence && len(be.Elems) >= 2 {
			k = seqLen(be.Elems[0].Lit(), be.Elems[1].Lit())
		} else {
			for _, e := range be.Elems {
				k += bracePartsCount(e.Parts)
			}
		}
		n = min(n*max(k, 1), 1<<15)
	}
	return n
}

// seqLen is the count of {a..b}: numbers, or letters.
func seqLen(a, b string) int64 {
	x, err1 := strconv.ParseInt(a, 10, 64)
	y, err2 := strconv.ParseInt(b, 10, 64)
	if err1 == nil && err2 == nil {
		d := y - x
		if d < 0 {
			d = -d
		}
		return min(d+1, 1<<15)
	}
	if len(a) == 1 && len(b) == 1 {
		d := int64(a[0]) - int64(b[0])
		return max(d, -d) + 1
	}
	return 2
}

// rewriteSource gives code the interpreter is about to parse itself (eval's
// argument, a trap's command, a sourced file) the same checks; ok is false when it
// does not parse, and the interpreter then reports the error as it would have.
func (s *session) rewriteSource(src string) (string, bool) {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(src), "")
	if err != nil {
		return "", false
	}
	b := s.newRewriter()
	b.rewrite(f)
	var sb strings.Builder
	if err := syntax.NewPrinter().Print(&sb, f); err != nil {
		return "", false
	}
	return sb.String(), true
}

// sourcePrefix names the rewritten text of a file being sourced (openHandler serves it once).
const sourcePrefix = "/dev/.layerlab-source-"

// budgetCall runs the budget checks of a command about to run (the call handler).
func (s *session) budgetCall(ctx context.Context, args []string) error {
	hc := interp.HandlerCtx(ctx)
	if sb, ok := hc.Stdout.(*strings.Builder); ok {
		// builtins (echo, printf) write to a command substitution directly
		if err := s.checkSubst(sb.Len()); err != nil {
			return err
		}
	}
	name, rest := args[0], args[1:]
	if (name == "builtin" || name == "command") && len(rest) > 0 {
		name, rest = rest[0], rest[1:]
	}
	switch name {
	case cmdMemCheck:
		return s.memCheckCall(hc, rest)
	case "mapfile", "readarray":
		if !s.takeGuard() {
			msg := "layerlab: " + name + ": the sandbox bounds " + name + "'s input only where the script names " + name +
				" itself (here the name came from a variable or an alias); write " + name + " in the script"
			fmt.Fprintln(hc.Stderr, msg)
			le := &LimitError{Limit: "memory", Msg: msg}
			s.setLimit(le)
			return le
		}
	case "printf":
		if n := printfSize(rest); n > s.lim.MaxMemory/4 && n > s.lim.MaxMemory-s.memUsed.Load() {
			return s.failMemory("printf's output", fmt.Sprintf("its format's widths and arguments make about %d bytes", n))
		}
	}
	// a command stores at most its arguments in variables (declare, export, local,
	// read's input is bounded by time, mapfile's by its guard)
	var grown int64 = 32
	for _, a := range rest {
		grown += int64(len(a)) + 16
	}
	return s.checkVars(hc.Env, 0, grown, "shell variables")
}

// rewriteForBudgets gives code the interpreter parses itself (eval's argument, a
// trap's command, a sourced file) the checks of the rewrite.
func (s *session) rewriteForBudgets(ctx context.Context, args []string) []string {
	switch args[0] {
	case "eval":
		if len(args) > 1 {
			if src, ok := s.rewriteSource(strings.Join(args[1:], " ")); ok {
				return []string{"eval", src}
			}
		}
	case "trap":
		if len(args) >= 3 && args[1] != "" && args[1] != "-" && !strings.HasPrefix(args[1], "-") {
			if src, ok := s.rewriteSource(args[1]); ok {
				out := append([]string(nil), args...)
				out[1] = src
				return out
			}
		}
	case "source", ".":
		if len(args) < 2 {
			return args
		}
		p := s.absFromCtx(ctx, args[1])
		r, err := s.openRead(p)
		if err != nil {
			return args
		}
		b, err := io.ReadAll(io.LimitReader(r, maxFileRead+1))
		if err != nil || len(b) > maxFileRead {
			return args
		}
		src, ok := s.rewriteSource(string(b))
		if !ok {
			return args
		}
		key := fmt.Sprintf("%s%s-%d", sourcePrefix, s.secret, s.srcN.Add(1))
		s.sources.Store(key, src)
		out := append([]string(nil), args...)
		out[1] = key
		return out
	}
	return args
}
