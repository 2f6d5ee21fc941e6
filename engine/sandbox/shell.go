package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"layerlab/engine/rootfs"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"
)

// proc is one simulated process: a command with its arguments, directory,
// environment and standard streams.
type proc struct {
	s     *session
	ctx   context.Context
	name  string   // the name the command reports itself as ("ls", "apt-get")
	argv0 string   // how it was invoked ("/bin/sh"): a shell reports errors with it
	args  []string // arguments after argv[0]
	dir   string
	env   expand.Environ // exported variables only
	in    io.Reader      // may be nil: empty stdin
	out   io.Writer
	errw  io.Writer
	depth int      // nested shells
	mem   *procMem // what the command holds against the memory budget (memory.go)

	failed bool // a command's helper reports a failure to the command
}

func newEnv(list []string) expand.Environ { return expand.ListEnviron(list...) }

func (p *proc) getenv(k string) string { return p.env.Get(k).String() }

// environ lists the exported variables as KEY=VALUE, sorted.
func (p *proc) environ() []string {
	var out []string
	seen := map[string]bool{}
	p.env.Each(func(name string, vr expand.Variable) bool {
		if vr.Exported && vr.IsSet() && !seen[name] {
			seen[name] = true
			out = append(out, name+"="+vr.String())
		}
		return true
	})
	sort.Strings(out)
	return out
}

func (p *proc) abs(name string) string { return joinPath(p.dir, name) }

// errf prints "name: message" to the process's stderr.
func (p *proc) errf(format string, a ...any) {
	fmt.Fprintf(p.errw, p.name+": "+format+"\n", a...)
}

// pick returns the busybox wording on busybox images, else the GNU wording.
func (p *proc) pick(bb, gnu string) string {
	if p.s.busybox {
		return bb
	}
	return gnu
}

func (p *proc) outf(format string, a ...any) { fmt.Fprintf(p.out, format, a...) }

// stdin returns the process's input; reads stop when the run is cancelled.
func (p *proc) stdin() io.Reader {
	if p.in == nil {
		return strings.NewReader("")
	}
	if f, ok := p.in.(*os.File); ok {
		stop := context.AfterFunc(p.ctx, func() { f.SetReadDeadline(time.Now()) })
		_ = stop
	}
	return p.in
}

// The sandbox holds what a command reads whole (sort, tac, wc of a file, ...) in
// memory, so it bounds it: at most maxStdin of standard input and maxFileRead of one
// file or device. Past a bound the step fails with a line that names it (limitf),
// never with a shorter input than the script gave: a silent cut would print a
// different result than the real command.
const (
	maxStdin    = maxBuffer     // 8 MiB
	maxFileRead = maxBuffer * 8 // 64 MiB
)

// limitf fails the step with "layerlab: NAME: " and the message, naming a bound of
// the sandbox: the message goes to the command's stderr and is the step's error.
func (p *proc) limitf(format string, a ...any) {
	msg := "layerlab: " + p.name + ": " + fmt.Sprintf(format, a...)
	fmt.Fprintln(p.errw, msg)
	p.s.setLimit(&LimitError{Limit: "input", Msg: msg})
}

// readStdin reads all of the command's standard input; past maxStdin it fails the step
// (limitf) and returns false.
func (p *proc) readStdin() ([]byte, bool) {
	b, err := io.ReadAll(io.LimitReader(&heldReader{p: p, r: p.stdin(), what: "standard input buffers"}, maxStdin+1))
	if le := p.s.limitErr(); le != nil && le.Limit == "memory" {
		return nil, false
	}
	if len(b) > maxStdin {
		p.limitf("the sandbox holds at most %s of a command's standard input in memory, and this input is longer", humanBytes(maxStdin))
		return nil, false
	}
	if p.stopped() {
		// the input ended because the run stopped (streams.go): it is not whole, and
		// an answer for it (sort's, tac's) would be another answer
		return nil, false
	}
	return b, err == nil
}

// readInput reads stdin or the named files, concatenated; past a bound the step fails.
func (p *proc) readInput(files []string) ([]byte, int) {
	if len(files) == 0 {
		b, ok := p.readStdin()
		if !ok {
			return b, 1
		}
		return b, 0
	}
	var buf bytes.Buffer
	code := 0
	for _, f := range files {
		if f == "-" {
			b, ok := p.readStdin()
			if !ok {
				return nil, 1
			}
			buf.Write(b)
			continue
		}
		b, err := p.readFile(f)
		if err != nil {
			p.errf("%s", p.pick("can't open '"+f+"': "+errno(err), f+": "+errno(err)))
			code = 1
			continue
		}
		buf.Write(b)
	}
	return buf.Bytes(), code
}

// readFile reads a whole file (or device); past maxFileRead the step fails (limitf)
// and the error says so.
func (p *proc) readFile(name string) ([]byte, error) {
	ap := p.abs(name)
	if pseudo(ap) {
		return nil, &os.PathError{Op: "open", Path: ap, Err: errPerm}
	}
	r, err := p.s.openRead(ap)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(&heldReader{p: p, r: r, what: "files read into memory"}, maxFileRead+1))
	if le := p.s.limitErr(); le != nil && le.Limit == "memory" {
		return nil, le
	}
	if len(b) > maxFileRead {
		if isDevice(ap) {
			p.limitf("the sandbox's %s stops at %s per read; the command reads it to the end", ap, humanBytes(maxFileRead))
		} else {
			p.limitf("the sandbox reads at most %s of a file into memory at once, and %s is larger", humanBytes(maxFileRead), name)
		}
		return nil, &os.PathError{Op: "read", Path: ap, Err: errTooLarge}
	}
	return b, err
}

// errTooLarge: an input past one of the sandbox's bounds (the step fails with limitf's line).
var errTooLarge = errors.New("larger than the sandbox reads into memory")

// shellEnv is the environment a shell runner starts with: the exported variables plus
// the shell's own unexported ones (UID, EUID, GID). During the runner's first Reset it
// reports an unguessable TMPDIR so the interpreter's named-pipe shortcut, which opens
// host files directly, can never match a path a script names.
type shellEnv struct {
	base    expand.Environ
	extra   map[string]expand.Variable
	resetMu atomic.Bool
	sentry  string
	s       *session
	pid     int // $$ of this shell
	ppid    int // $PPID
}

func (e *shellEnv) Get(name string) expand.Variable {
	if name == "TMPDIR" && !e.resetMu.Load() {
		return expand.Variable{Set: true, Kind: expand.String, Str: e.sentry}
	}
	if v, ok := e.extra[name]; ok {
		return v
	}
	switch name {
	case varPID:
		return expand.Variable{Set: true, Kind: expand.String, Str: strconv.Itoa(e.pid)}
	case varPPID:
		return expand.Variable{Set: true, Kind: expand.String, Str: strconv.Itoa(e.ppid)}
	}
	if user, ok := strings.CutPrefix(name, "HOME "); ok {
		// ~user: the image's passwd, never the host's (the interpreter would ask os/user).
		home := "~" + user
		if u, ok := e.s.userByName(user); ok {
			home = u.home
		}
		return expand.Variable{Set: true, Kind: expand.String, Str: home}
	}
	return e.base.Get(name)
}

func (e *shellEnv) Each(fn func(name string, vr expand.Variable) bool) {
	cont := true
	e.base.Each(func(name string, vr expand.Variable) bool {
		if _, ok := e.extra[name]; ok {
			return true
		}
		cont = fn(name, vr)
		return cont
	})
	if !cont {
		return
	}
	for k, v := range e.extra {
		if !fn(k, v) {
			return
		}
	}
}

var sentryN atomic.Uint64

// stackCheckEvery: the call handler counts the Go frames at one command in this many.
const stackCheckEvery = 8

var pcPool = sync.Pool{New: func() any { b := make([]uintptr, maxStackFrames+1); return &b }}

// runShell interprets script (already parsed) as a new shell process.
func (p *proc) runShell(file *syntax.File, params []string) int {
	if p.depth >= maxShellDepth {
		p.s.setLimit(procLimit("nested shell depth"))
		return 2
	}
	if code, bad := rejectProcSubst(file); bad {
		fmt.Fprintf(p.errw, "%s: %v\n", p.name, ErrProcSubst)
		return code
	}
	rewriteProcSubst(file)
	s := p.s
	ro := func(v string) expand.Variable {
		return expand.Variable{Set: true, ReadOnly: true, Kind: expand.String, Str: v}
	}
	env := &shellEnv{
		base: p.env,
		extra: map[string]expand.Variable{
			"UID":  ro(fmt.Sprint(p.s.uid)),
			"EUID": ro(fmt.Sprint(p.s.uid)),
			"GID":  ro(fmt.Sprint(p.s.gid)),
		},
		s:      p.s,
		sentry: fmt.Sprintf("/\x00layerlab-no-host-tmp-%d-%p", sentryN.Add(1), p),
	}
	env.pid, env.ppid = p.s.nextPID()
	rewriteScript(file)
	s.newRewriter().rewrite(file)
	depth := p.depth + 1
	execMW := func(next interp.ExecHandlerFunc) interp.ExecHandlerFunc {
		return func(ctx context.Context, args []string) error {
			if le := s.limitErr(); le != nil {
				return le
			}
			hc := interp.HandlerCtx(ctx)
			out := hc.Stdout
			if sb, ok := out.(*strings.Builder); ok {
				// a command substitution's output: bounded as it grows
				out = substWriter{s: s, b: sb}
			}
			c := &proc{
				s: s, ctx: ctx, name: args[0], args: args[1:], dir: hc.Dir,
				env: exportedOnly(hc.Env), in: hc.Stdin, out: out, errw: hc.Stderr, depth: depth,
				mem: &procMem{}, // shared by the copies a command makes to run another
			}
			code := c.dispatch()
			c.releaseHeld()
			if le := s.limitErr(); le != nil {
				return le
			}
			if code == 0 {
				return nil
			}
			return interp.ExitStatus(uint8(code))
		}
	}
	callH := func(ctx context.Context, args []string) ([]string, error) {
		if le := s.limitErr(); le != nil {
			return nil, le
		}
		// Counting the Go frames walks the whole stack (a third of a loop's time when
		// it ran at every command), so it runs at one command in stackCheckEvery:
		// a recursion deep enough to matter calls that many functions many times
		// over, and a few more levels past maxStackFrames cost the Go stack little.
		if s.stackN.Add(1)%stackCheckEvery == 0 {
			pcs := pcPool.Get().(*[]uintptr)
			n := runtime.Callers(0, *pcs)
			pcPool.Put(pcs)
			if n > maxStackFrames {
				le := procLimit("recursion depth")
				s.setLimit(le)
				return nil, le
			}
		}
		if err := s.budgetCall(ctx, args); err != nil {
			return nil, err
		}
		if args[0] == cmdMemCheck {
			return []string{":"}, nil
		}
		return s.rewriteForBudgets(ctx, rewriteCall(ctx, s, args)), nil
	}
	r, err := interp.New(
		interp.Env(env),
		interp.StdIO(p.in, p.out, p.errw),
		interp.ExecHandlers(execMW),
		interp.CallHandler(callH),
		interp.OpenHandler(s.openHandler),
		interp.StatHandler(s.statHandler),
		interp.ReadDirHandler2(s.readDirHandler),
		interp.AccessHandler(s.accessHandler),
		interp.Params(params...),
	)
	if err != nil {
		fmt.Fprintf(p.errw, "%s: %v\n", p.name, err)
		return 2
	}
	// interp.Dir would os.Stat a host path; the directory lives in the image instead.
	r.Dir = p.dir
	r.Reset()
	env.resetMu.Store(true)
	err = r.Run(p.ctx, file)
	code, ok := exitCode(err)
	if !ok && s.limitErr() == nil && p.ctx.Err() == nil {
		fmt.Fprintf(p.errw, "%s: %v\n", p.name, err)
	}
	return code
}

// exportedOnly is what a child process inherits: the exported variables.
func exportedOnly(env expand.Environ) expand.Environ {
	var list []string
	env.Each(func(name string, vr expand.Variable) bool {
		if vr.Exported && vr.IsSet() {
			list = append(list, name+"="+vr.String())
		}
		return true
	})
	return expand.ListEnviron(list...)
}

// rejectProcSubst refuses >(...): its command would read what the outer command
// writes while that command runs, which the sandbox cannot do without a host named
// pipe (the interpreter's way). <(...) is rewritten instead (rewriteProcSubst).
func rejectProcSubst(file *syntax.File) (int, bool) {
	bad := false
	syntax.Walk(file, func(n syntax.Node) bool {
		if ps, ok := n.(*syntax.ProcSubst); ok && ps.Op != syntax.CmdIn {
			bad = true
		}
		return !bad
	})
	if bad {
		return 2, true
	}
	return 0, false
}

// Internal command names the call handler rewrites builtins to, for builtins whose
// interpreter implementation would look at the host's PATH.
const (
	cmdCommandV = "\x00command-v"
	cmdType     = "\x00type"
)

func rewriteCall(ctx context.Context, s *session, args []string) []string {
	switch args[0] {
	case "command":
		if len(args) > 1 && (args[1] == "-v" || args[1] == "-V") {
			return append([]string{cmdCommandV}, args[1:]...)
		}
	case "type":
		return append([]string{cmdType}, args[1:]...)
	case "kill", "umask", "ulimit", "jobs", "disown":
		// builtins of every real shell that the interpreter does not implement
		return append([]string{builtinPrefix + args[0]}, args[1:]...)
	case "source", ".":
		if len(args) > 1 && !strings.Contains(args[1], "/") {
			hc := interp.HandlerCtx(ctx)
			if p, ok := s.lookPath(hc.Env.Get("PATH").String(), hc.Dir, args[1]); ok {
				out := append([]string(nil), args...)
				out[1] = p
				return out
			}
			out := append([]string(nil), args...)
			out[1] = "./" + args[1]
			return out
		}
	}
	return args
}

func parseScript(src io.Reader, name string) (*syntax.File, error) {
	return syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(src, name)
}

// dispatch runs a command the shell could not handle itself: it looks the name up
// in PATH inside the image, as /bin/sh does.
func (p *proc) dispatch() int {
	switch p.name {
	case cmdProcOpen:
		return p.procSubstOpen()
	case cmdProcRelease:
		return p.procSubstRelease()
	case standinCmd:
		return p.standin()
	case cmdCommandV, cmdType:
		return p.commandV(p.name == cmdType)
	case cmdTimeStart, cmdTimeEnd:
		return p.timeClause(p.name == cmdTimeStart)
	}
	if name, ok := strings.CutPrefix(p.name, builtinPrefix); ok {
		p.name = name
		return shellBuiltin(p)
	}
	path, ok := p.s.lookPath(p.getenv("PATH"), p.dir, p.name)
	if !ok {
		if strings.Contains(p.name, "/") {
			if e, err := p.s.stat(p.abs(p.name)); err == nil && (e.Kind == rootfs.KindDir || e.Mode&0o111 == 0) {
				fmt.Fprintf(p.errw, "/bin/sh: %s: Permission denied\n", p.name)
				return 126
			}
		}
		fmt.Fprintf(p.errw, "/bin/sh: %s: not found\n", p.name)
		return 127
	}
	return p.execResolved(path, p.name)
}

// execResolved runs the executable file at path (absolute), invoked as invoked.
func (p *proc) execResolved(path, invoked string) int {
	p.argv0 = invoked
	e, err := p.s.stat(path)
	if err != nil {
		fmt.Fprintf(p.errw, "/bin/sh: %s: not found\n", invoked)
		return 127
	}
	if e.Kind == rootfs.KindDir || !p.s.can(e, 1) {
		fmt.Fprintf(p.errw, "/bin/sh: %s: Permission denied\n", invoked)
		return 126
	}
	head := p.head(path)
	if wrapperScripts[pathBase(invoked)] && lookupImpl(pathBase(invoked)) != nil {
		// ./mvnw and ./gradlew fetch their tool and exec it on a JVM: the sandbox runs
		// the tool in their place (buildtools_java.go).
		p.name = pathBase(invoked)
		return lookupImpl(p.name)(p)
	}
	if bytes.HasPrefix(head, []byte("#!")) {
		// A script for an interpreter the sandbox does not run (pip, npm and the like
		// are Python and Node scripts in real images) is simulated by its own name.
		if !shellShebang(head) {
			if impl := lookupImpl(pathBase(invoked)); impl != nil {
				p.name = pathBase(invoked)
				return impl(p)
			}
		}
		return p.execScript(path, invoked, head)
	}
	names := []string{pathBase(invoked)}
	var target string
	p.s.withFS(func(f *rootfs.FS) error {
		target, _ = f.Resolve(path)
		return nil
	})
	if tb := pathBase(target); tb != names[0] {
		names = append(names, tb)
	}
	if names[0] == "busybox" || (len(names) > 1 && names[1] == "busybox" && lookupImpl(names[0]) == nil) {
		if names[0] != "busybox" {
			// an applet name the sandbox does not simulate
			return p.notSimulated(names[0])
		}
		if len(p.args) == 0 {
			p.outf("BusyBox v1.36.1 (layerlab sandbox) multi-call binary.\n")
			return 0
		}
		p.name = pathBase(p.args[0])
		p.args = p.args[1:]
		if impl := lookupImpl(p.name); impl != nil {
			return impl(p)
		}
		fmt.Fprintf(p.errw, "%s: applet not found\n", p.name)
		return 127
	}
	for _, n := range names {
		if impl := lookupImpl(n); impl != nil {
			p.name = n
			return impl(p)
		}
	}
	return p.notSimulated(names[0])
}

func (p *proc) notSimulated(name string) int {
	fmt.Fprintf(p.errw, "%s: command not simulated by the layerlab sandbox\n", name)
	return 127
}

func (p *proc) head(path string) []byte {
	r, err := p.s.openRead(path)
	if err != nil {
		return nil
	}
	b := make([]byte, 256)
	n, _ := io.ReadFull(r, b)
	return b[:n]
}

func pathBase(p string) string {
	if p == "" {
		return ""
	}
	return path.Base(p)
}

// execScript runs a file starting with #!: shells run it through the interpreter,
// other interpreters are looked up as commands.
func (p *proc) execScript(path, invoked string, head []byte) int {
	line, _, _ := bytes.Cut(head[2:], []byte("\n"))
	fields := strings.Fields(string(line))
	if len(fields) == 0 {
		return p.runShellFile(path, p.args, nil)
	}
	interpPath, extra := fields[0], fields[1:]
	if pathBase(interpPath) == "env" && len(extra) > 0 {
		ip, ok := p.s.lookPath(p.getenv("PATH"), p.dir, extra[0])
		if !ok {
			fmt.Fprintf(p.errw, "/usr/bin/env: '%s': No such file or directory\n", extra[0])
			return 127
		}
		interpPath, extra = ip, extra[1:]
	}
	if !p.s.exists(interpPath) {
		fmt.Fprintf(p.errw, "/bin/sh: %s: not found\n", invoked)
		return 127
	}
	c := *p
	c.args = append(append(append([]string(nil), extra...), path), p.args...)
	return c.execResolved(interpPath, interpPath)
}

// runShellFile runs the script file at path with positional parameters args.
func (p *proc) runShellFile(path string, args, flags []string) int {
	src, err := p.readFile(path)
	if err != nil {
		fmt.Fprintf(p.errw, "%s: can't open %s: %s\n", p.name, path, errno(err))
		return 2
	}
	file, err := parseScript(bytes.NewReader(src), path)
	if err != nil {
		fmt.Fprintf(p.errw, "%s: %v\n", path, err)
		return 2
	}
	return p.runShell(file, append(append(flags, "--"), args...))
}

// cmdSh is /bin/sh and /bin/bash: `sh -c script [name args...]`, `sh file args`, `sh < script`.
func cmdSh(p *proc) int {
	var flags []string
	args := p.args
	var script *string
	fromStdin := false // -s, or a lone "-": the script is stdin, the arguments are $1...
	for len(args) > 0 {
		a := args[0]
		if a == "--" {
			args = args[1:]
			break
		}
		if a == "-" {
			args = args[1:]
			fromStdin = true
			break
		}
		if a == "-c" {
			args = args[1:]
			if len(args) == 0 {
				fmt.Fprintf(p.errw, "%s: -c requires an argument\n", p.shellName())
				return 2
			}
			script = &args[0]
			args = args[1:]
			break
		}
		if a == "-o" || a == "+o" {
			if len(args) > 1 {
				flags = append(flags, a, args[1])
				args = args[2:]
				continue
			}
		}
		if len(a) > 1 && (a[0] == '-' || a[0] == '+') {
			for _, ch := range a[1:] {
				switch ch {
				case 'c':
					if len(args) < 2 {
						fmt.Fprintf(p.errw, "%s: -c requires an argument\n", p.shellName())
						return 2
					}
					script = &args[1]
				case 's':
					fromStdin = true
				case 'l', 'i', 'p':
				default:
					flags = append(flags, string(a[0])+string(ch))
				}
			}
			args = args[1:]
			if script != nil {
				args = args[1:]
				break
			}
			continue
		}
		break
	}
	if script != nil {
		name := p.name
		if len(args) > 0 {
			name, args = args[0], args[1:]
		}
		file, err := parseScript(strings.NewReader(*script), name)
		if err != nil {
			fmt.Fprintf(p.errw, "/bin/%s: %v\n", p.name, err)
			return 2
		}
		return p.runShell(file, append(append(flags, "--"), args...))
	}
	if len(args) > 0 && !fromStdin {
		return p.runShellFile(p.abs(args[0]), args[1:], flags)
	}
	src, ok := p.readStdin()
	if !ok {
		return 2
	}
	file, err := parseScript(bytes.NewReader(src), p.name)
	if err != nil {
		fmt.Fprintf(p.errw, "/bin/%s: %v\n", p.name, err)
		return 2
	}
	return p.runShell(file, append(append(flags, "--"), args...))
}

// commandV implements `command -v/-V` and `type` over the image's PATH.
func (p *proc) commandV(isType bool) int {
	args := p.args
	verbose := isType
	if !isType && len(args) > 0 {
		verbose = args[0] == "-V"
		args = args[1:]
	}
	code := 0
	for _, a := range args {
		switch {
		case syntax.IsKeyword(a):
			if verbose {
				p.outf("%s is a shell keyword\n", a)
			} else {
				p.outf("%s\n", a)
			}
		case interp.IsBuiltin(a):
			if verbose {
				p.outf("%s is a shell builtin\n", a)
			} else {
				p.outf("%s\n", a)
			}
		default:
			if path, ok := p.s.lookPath(p.getenv("PATH"), p.dir, a); ok {
				if verbose {
					p.outf("%s is %s\n", a, path)
				} else {
					p.outf("%s\n", path)
				}
			} else {
				if verbose {
					fmt.Fprintf(p.errw, "%s: not found\n", a)
				}
				code = 1
			}
		}
	}
	return code
}

// shellShebang reports whether a #! line names a shell the sandbox interprets.
func shellShebang(head []byte) bool {
	line, _, _ := bytes.Cut(head[2:], []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) == 0 {
		return false
	}
	name := pathBase(f[0])
	if name == "env" && len(f) > 1 {
		name = pathBase(f[1])
	}
	switch name {
	case "sh", "bash", "dash", "ash":
		return true
	}
	return false
}

// shellName is $0 as a shell reports it in its own errors: the path it was run by.
func (p *proc) shellName() string {
	if p.argv0 != "" {
		return p.argv0
	}
	return p.name
}

// Process substitution. `cmd <(list)` runs list in a subshell and gives cmd a path that
// reads list's output, /dev/fd/63 as bash names it (62, 61, ... for more in one
// command). The interpreter would make a named pipe on the host for this, so the
// sandbox rewrites the syntax instead: the <(list) word part becomes
// $( { list; } | OPEN SITE ), whose OPEN keeps the output in memory (at most maxStdin,
// past which the step fails naming the limit) and prints the path; the statement
// that holds the word becomes { statement; RELEASE SITE... $?; }, which frees the
// paths once the statement ends and keeps its exit status, as bash closes the pipe's
// descriptor when the command is done. Differences from bash, none visible in a
// result: list has finished before cmd starts (bash runs them side by side, so a list
// that never ends fails here at the limit), and a path read twice gives its output
// once, as a pipe does.
const (
	cmdProcOpen    = "\x00procsubst-open"
	cmdProcRelease = "\x00procsubst-release"

	procFDFirst = 63 // bash's first descriptor for <(...)
	procFDLast  = 10 // bash's lowest descriptor for its own use
)

var procSiteN atomic.Uint64

// procPipes are the session's open <(...) outputs by descriptor number.
type procPipes struct {
	mu   sync.Mutex
	open map[int]*procPipe
}

type procPipe struct {
	site string
	data []byte
	read bool // a pipe gives its bytes to the first reader only
}

// rewriteProcSubst turns each <(...) of file into the sandbox's own form (see above).
func rewriteProcSubst(file *syntax.File) {
	var stack []syntax.Node
	sites := map[*syntax.Stmt][]string{}
	syntax.Walk(file, func(n syntax.Node) bool {
		if n == nil {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if st, ok := top.(*syntax.Stmt); ok && len(sites[st]) > 0 {
				wrapProcRelease(st, sites[st])
			}
			return true
		}
		stack = append(stack, n)
		w, ok := n.(*syntax.Word)
		if !ok {
			return true
		}
		var owner *syntax.Stmt
		for i := len(stack) - 1; i >= 0 && owner == nil; i-- {
			owner, _ = stack[i].(*syntax.Stmt)
		}
		for i, part := range w.Parts {
			ps, ok := part.(*syntax.ProcSubst)
			if !ok || ps.Op != syntax.CmdIn {
				continue
			}
			site := strconv.FormatUint(procSiteN.Add(1), 10)
			if owner != nil {
				sites[owner] = append(sites[owner], site)
			}
			pipe := &syntax.BinaryCmd{
				OpPos: ps.OpPos, Op: syntax.Pipe,
				X: &syntax.Stmt{Position: ps.OpPos, Cmd: &syntax.Block{Lbrace: ps.OpPos, Rbrace: ps.Rparen, Stmts: ps.Stmts, Last: ps.Last}},
				Y: &syntax.Stmt{Position: ps.OpPos, Cmd: &syntax.CallExpr{Args: []*syntax.Word{litWord(cmdProcOpen), litWord(site)}}},
			}
			w.Parts[i] = &syntax.CmdSubst{Left: ps.OpPos, Right: ps.Rparen, Stmts: []*syntax.Stmt{{Position: ps.OpPos, Cmd: pipe}}}
		}
		return true
	})
}

// wrapProcRelease makes st `{ st; RELEASE sites... $?; }`: the block ends with st's
// status, and a negation or & stays on the outside as it was.
func wrapProcRelease(st *syntax.Stmt, sites []string) {
	inner := *st
	inner.Negated, inner.Background, inner.Coprocess = false, false, false
	args := []*syntax.Word{litWord(cmdProcRelease)}
	for _, s := range sites {
		args = append(args, litWord(s))
	}
	args = append(args, &syntax.Word{Parts: []syntax.WordPart{&syntax.ParamExp{Short: true, Param: &syntax.Lit{Value: "?"}}}})
	st.Cmd = &syntax.Block{Lbrace: st.Position, Rbrace: st.End(), Stmts: []*syntax.Stmt{&inner, {Position: st.Position, Cmd: &syntax.CallExpr{Args: args}}}}
	st.Redirs = nil
}

// procSubstOpen keeps its standard input (the list's output) under the highest free
// descriptor and prints that descriptor's path.
func (p *proc) procSubstOpen() int {
	b, err := io.ReadAll(io.LimitReader(&heldReader{p: p, r: p.stdin(), what: "<(...) outputs"}, maxStdin+1))
	if p.s.limitErr() != nil {
		return 1
	}
	if len(b) > maxStdin {
		msg := "layerlab: <(...): the sandbox holds a process substitution's output in memory, at most " + humanBytes(maxStdin) + ", and this output is longer"
		fmt.Fprintln(p.errw, msg)
		p.s.setLimit(&LimitError{Limit: "input", Msg: msg})
		return 1
	}
	if err != nil {
		fmt.Fprintf(p.errw, "/bin/sh: <(...): %v\n", err)
		return 1
	}
	site := ""
	if len(p.args) > 0 {
		site = p.args[0]
	}
	pp := &p.s.pipes
	pp.mu.Lock()
	defer pp.mu.Unlock()
	if pp.open == nil {
		pp.open = map[int]*procPipe{}
	}
	for fd := procFDFirst; fd >= procFDLast; fd-- {
		if pp.open[fd] == nil {
			// the output stays in memory until its statement ends: what this
			// command held for it is the pipe's now, given back by procSubstRelease
			if p.mem != nil {
				p.mem.held.add(-int64(len(b)))
			}
			pp.open[fd] = &procPipe{site: site, data: b}
			p.outf("/dev/fd/%d\n", fd)
			return 0
		}
	}
	msg := fmt.Sprintf("layerlab: <(...): the sandbox keeps at most %d process substitutions open at once", procFDFirst-procFDLast+1)
	fmt.Fprintln(p.errw, msg)
	p.s.setLimit(&LimitError{Limit: "processes", Msg: msg})
	return 1
}

// procSubstRelease frees the descriptors of the given sites and exits with the status
// it was given last (the statement's).
func (p *proc) procSubstRelease() int {
	if len(p.args) == 0 {
		return 0
	}
	sites := p.args[:len(p.args)-1]
	code, _ := strconv.Atoi(p.args[len(p.args)-1])
	pp := &p.s.pipes
	pp.mu.Lock()
	for fd, pipe := range pp.open {
		for _, s := range sites {
			if pipe.site == s {
				p.s.release(int64(len(pipe.data)))
				delete(pp.open, fd)
			}
		}
	}
	pp.mu.Unlock()
	return code
}

// procPipeFD returns the descriptor number of a /dev/fd/N path.
func procPipeFD(p string) (int, bool) {
	n, ok := strings.CutPrefix(p, "/dev/fd/")
	if !ok {
		return 0, false
	}
	fd, err := strconv.Atoi(n)
	return fd, err == nil
}

// readPipe opens /dev/fd/N of an open <(...): its bytes the first time, nothing after
// (a drained pipe); ok is false when p is no such path. An N that is not open is
// ENOENT, as /dev/fd/N of a closed descriptor is.
func (s *session) readPipe(p string) (io.Reader, bool, error) {
	fd, ok := procPipeFD(p)
	if !ok {
		return nil, false, nil
	}
	s.pipes.mu.Lock()
	defer s.pipes.mu.Unlock()
	pipe := s.pipes.open[fd]
	if pipe == nil {
		return nil, true, &os.PathError{Op: "open", Path: p, Err: rootfs.ErrNotExist}
	}
	if pipe.read {
		return strings.NewReader(""), true, nil
	}
	pipe.read = true
	return bytes.NewReader(pipe.data), true, nil
}

// statPipe is stat(2) of /dev/fd/N of an open <(...): a named pipe, as bash's is.
func (s *session) statPipe(p string) (fs.FileInfo, bool) {
	fd, ok := procPipeFD(p)
	if !ok {
		return nil, false
	}
	s.pipes.mu.Lock()
	defer s.pipes.mu.Unlock()
	if s.pipes.open[fd] == nil {
		return nil, false
	}
	return pipeInfo(path.Base(p)), true
}

// pipeInfo is the fs.FileInfo of a pipe.
type pipeInfo string

func (pi pipeInfo) Name() string    { return string(pi) }
func (pipeInfo) Size() int64        { return 0 }
func (pipeInfo) Mode() fs.FileMode  { return fs.ModeNamedPipe | 0o600 }
func (pipeInfo) ModTime() time.Time { return time.Time{} }
func (pipeInfo) IsDir() bool        { return false }
func (pipeInfo) Sys() any           { return nil }
