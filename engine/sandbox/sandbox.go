// Package sandbox simulates a Dockerfile RUN step. Nothing is ever executed on the host:
// the shell script is interpreted by mvdan.cc/sh over an in-memory rootfs.FS, every
// interpreter handler (exec, open, stat, access, readdir) is virtual, and the commands
// (a coreutils subset, package managers, network stand-ins) are Go code with
// deterministic effects. Time, output, written bytes, memory and processes are
// limited per step (memory.go).
package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"layerlab/engine/rootfs"

	"mvdan.cc/sh/v3/interp"
)

// Options describe one RUN process.
type Options struct {
	Argv   []string  // what Docker would exec: shell form ["/bin/sh","-c","echo hi"], exec form as written
	Env    []string  // KEY=VALUE, already including build args
	Dir    string    // working directory ("" = "/"); the builder creates WORKDIR beforehand
	User   string    // "", "root", "1000", "1000:1000", "app", "app:app"; names resolved in the FS
	Stdout io.Writer // the step's log; stdout and stderr both go here, as in `docker build`
	Now    time.Time // mtime for created and modified files (deterministic builds)
	Limits Limits
	// Hostname is the container's hostname ($HOSTNAME, hostname, uname -n). The classic
	// builder's RUN containers are named by their 12-hex container ID; "" keeps the
	// previous default, BuildKit's "buildkitsandbox".
	Hostname string
}

// Limits bound one RUN. Zero fields take the DefaultLimits value.
type Limits struct {
	Timeout   time.Duration
	MaxOutput int64
	MaxWrite  int64 // bytes written to the filesystem, open files' buffers included as they grow
	// MaxMemory bounds what the RUN holds in memory at once besides its files:
	// shell variables and the words it expands, command substitution output,
	// buffers of standard input and of files read whole (memory.go).
	MaxMemory int64
	// MaxProcs bounds the background jobs and pipeline stages running at once
	// (each is a goroutine of this RUN's interpreter).
	MaxProcs int
}

// DefaultLimits are the playground's per-step limits.
var DefaultLimits = Limits{Timeout: 10 * time.Second, MaxOutput: 1 << 20, MaxWrite: 512 << 20,
	MaxMemory: 256 << 20, MaxProcs: 1024}

// Hard bounds that protect the host process whatever the script does.
const (
	maxShellDepth  = 64      // nested sh/bash/script invocations
	maxStackFrames = 6000    // Go frames: bounds shell function recursion
	maxBuffer      = 8 << 20 // largest in-memory buffer of stdin a command collects
)

const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Run runs opt.Argv over fsys, changing fsys in place (the builder passes a clone).
// It returns the process exit code. err != nil only when the process could not
// start (errors wrapping ErrStart) or a limit was hit (*LimitError).
func Run(ctx context.Context, fsys *rootfs.FS, opt Options) (exitCode int, err error) {
	if len(opt.Argv) == 0 {
		return 0, &StartError{Msg: "no command specified", Err: errors.New("empty argv")}
	}
	lim := opt.Limits
	if lim.Timeout <= 0 {
		lim.Timeout = DefaultLimits.Timeout
	}
	if lim.MaxOutput <= 0 {
		lim.MaxOutput = DefaultLimits.MaxOutput
	}
	if lim.MaxWrite <= 0 {
		lim.MaxWrite = DefaultLimits.MaxWrite
	}
	if lim.MaxMemory <= 0 {
		lim.MaxMemory = DefaultLimits.MaxMemory
	}
	if lim.MaxProcs <= 0 {
		lim.MaxProcs = DefaultLimits.MaxProcs
	}
	if opt.Stdout == nil {
		opt.Stdout = io.Discard
	}
	s := &session{fs: fsys, opt: opt, lim: lim, start: time.Now(), secret: newSecret()}
	if opt.Now.IsZero() {
		s.opt.Now = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	s.busybox = s.exists("/bin/busybox")
	s.hostname = opt.Hostname
	if s.hostname == "" {
		s.hostname = hostname
	}

	uid, gid, home, err := s.resolveUser(opt.User)
	if err != nil {
		return 0, err
	}
	s.uid, s.gid = uid, gid

	env := append([]string(nil), opt.Env...)
	if lookupEnv(env, "PATH") == "" {
		env = append(env, "PATH="+defaultPath)
	}
	if lookupEnv(env, "HOSTNAME") == "" {
		env = append(env, "HOSTNAME="+s.hostname)
	}
	if lookupEnv(env, "HOME") == "" {
		env = append(env, "HOME="+home)
	}
	dir := opt.Dir
	if dir == "" {
		dir = "/"
	}
	dir = "/" + rootfs.Clean(dir)

	// Docker execs argv directly: it must exist in the image.
	arg0 := opt.Argv[0]
	var path string
	if strings.Contains(arg0, "/") {
		p := arg0
		if !strings.HasPrefix(p, "/") {
			p = joinPath(dir, p)
		}
		if !s.exists(p) {
			return 0, ociStart(fmt.Sprintf("exec: %q: stat %s: no such file or directory", arg0, arg0))
		}
		path = p
	} else {
		p, ok := s.lookPath(lookupEnv(env, "PATH"), dir, arg0)
		if !ok {
			return 0, ociStart(fmt.Sprintf("exec: %q: executable file not found in $PATH", arg0))
		}
		path = p
	}

	rctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	s.cancel = cancel
	defer func() {
		cancel()
		s.close()
	}()

	out := &limitWriter{s: s, w: opt.Stdout}
	s.log = out
	p := &proc{
		s: s, ctx: rctx, name: arg0, args: opt.Argv[1:], dir: dir,
		env: newEnv(env), out: out, errw: out, depth: 0, mem: &procMem{},
	}
	code := p.execResolved(path, arg0)
	p.releaseHeld()

	if le := s.limitErr(); le != nil {
		return exitCodeOnLimit, le
	}
	if ctx.Err() != nil {
		return exitCodeOnLimit, fmt.Errorf("run cancelled: %w", ctx.Err())
	}
	if rctx.Err() != nil {
		return exitCodeOnLimit, timeLimit(lim.Timeout)
	}
	if s.startErr != nil {
		return 0, s.startErr
	}
	return code, nil
}

// exitCodeOnLimit is what Run reports with a *LimitError: the process was killed.
const exitCodeOnLimit = 137

// session is the state shared by every command of one Run.
type session struct {
	mu       sync.Mutex // guards fs and closed; never held while reading or writing a stream
	fs       *rootfs.FS
	closed   bool
	opt      Options
	lim      Limits
	busybox  bool
	hostname string
	uid      int
	gid      int
	pids     atomic.Int64 // shells started so far: they get deterministic process IDs

	timeMu    sync.Mutex
	timeStack []time.Duration // virtual start times of the open `time` clauses

	start   time.Time
	virtual atomic.Int64 // nanoseconds of simulated sleep
	written atomic.Int64 // bytes written to the filesystem
	outN    atomic.Int64

	// memory.go: bytes commands hold against MaxMemory, processes running, commands
	// an estimate of their growth since the variables were last summed, the per-run secret of the
	// input guard's path, the guards open, the step log for limit lines
	memUsed atomic.Int64
	procs   atomic.Int64
	pending atomic.Int64  // bytes the variables may have grown by since they were summed
	stackN  atomic.Uint64 // commands run: every stackCheckEvery-th counts the Go frames (shell.go)
	secret  string
	guardMu sync.Mutex
	guards  []*inputGuard
	log     io.Writer

	pipes   procPipes // open <(...) outputs (shell.go)
	sources sync.Map  // path -> rewritten text of a file being sourced (shell.go)
	srcN    atomic.Uint64

	limMu    sync.Mutex
	limit    *LimitError
	startErr error
	cancel   context.CancelFunc
}

// close forbids any further filesystem access: background goroutines of the script
// that outlive Run can no longer touch the snapshot the builder now owns.
func (s *session) close() {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

var errClosed = errors.New("sandbox closed")

// withFS runs fn with exclusive access to the filesystem.
func (s *session) withFS(fn func(f *rootfs.FS) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	return fn(s.fs)
}

func (s *session) setLimit(le *LimitError) {
	s.limMu.Lock()
	if s.limit == nil {
		s.limit = le
	}
	s.limMu.Unlock()
	if s.cancel != nil {
		s.cancel()
	}
}

func (s *session) limitErr() *LimitError {
	s.limMu.Lock()
	defer s.limMu.Unlock()
	return s.limit
}

// account adds n bytes to the filesystem write budget.
func (s *session) account(n int64) error {
	if s.written.Add(n) > s.lim.MaxWrite {
		le := writeLimit(s.lim.MaxWrite)
		s.setLimit(le)
		return le
	}
	return nil
}

// now is the simulated wall clock: opt.Now plus simulated sleeps.
func (s *session) now() time.Time { return s.opt.Now.Add(time.Duration(s.virtual.Load())) }

// sleep advances the virtual clock; it fails with the time limit when real time plus
// simulated time passes the timeout.
func (s *session) sleep(d time.Duration) error {
	v := s.virtual.Add(int64(d))
	if time.Since(s.start)+time.Duration(v) > s.lim.Timeout {
		le := timeLimit(s.lim.Timeout)
		s.setLimit(le)
		return le
	}
	return nil
}

// limitWriter is the step log: it serialises writers and enforces MaxOutput.
type limitWriter struct {
	s  *session
	mu sync.Mutex
	w  io.Writer
}

var errOutputLimit = errors.New("output limit")

func (l *limitWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.s.limitErr() != nil {
		return 0, errOutputLimit
	}
	n := l.s.outN.Add(int64(len(b)))
	if n > l.s.lim.MaxOutput {
		keep := int64(len(b)) - (n - l.s.lim.MaxOutput)
		if keep > 0 {
			l.w.Write(b[:keep])
		}
		l.s.setLimit(outputLimit(l.s.lim.MaxOutput))
		return int(max(keep, 0)), errOutputLimit
	}
	return l.w.Write(b)
}

func lookupEnv(env []string, key string) string {
	v := ""
	for _, kv := range env {
		if k, val, ok := strings.Cut(kv, "="); ok && k == key {
			v = val
		}
	}
	return v
}

func joinPath(dir, p string) string {
	if strings.HasPrefix(p, "/") {
		return "/" + rootfs.Clean(p)
	}
	return "/" + rootfs.Clean(dir+"/"+p)
}

// exitCode extracts a shell exit status from an interpreter error.
func exitCode(err error) (int, bool) {
	if err == nil {
		return 0, true
	}
	var es interp.ExitStatus
	if errors.As(err, &es) {
		return int(es), true
	}
	return 1, false
}
