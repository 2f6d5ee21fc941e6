// Package build is layerlab's image builder: Docker's classic builder, step for step.
//
// Each instruction is one step. A step first asks the store for a cached image (a
// child of the current image whose container config matches: Docker's rule); on a hit
// the build moves on to that image, on a miss the step runs (metadata steps change only
// the config; RUN, COPY, ADD and WORKDIR change the filesystem and may add a layer) and
// commits a new intermediate image whose parent is the current one. The first miss makes
// every later step a miss, because every later parent is new. Every step reports its
// state and, when it was rebuilt, why.
package build

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/dockerfile"
	"layerlab/engine/image"
	"layerlab/engine/rootfs"
	"layerlab/engine/sandbox"
)

// Puller brings an image that is not in the store into it: the built-in stand-in base
// images now, the hub later. It returns the stored record and, when it has one, the
// image's final filesystem (so the builder need not read the layers back).
type Puller interface {
	Pull(ctx context.Context, s Store, ref image.Ref) (*image.Record, *rootfs.FS, error)
}

// Builder builds images into a Store. It is safe for concurrent builds; it keeps a
// cache of recent filesystem snapshots between builds.
type Builder struct {
	Store  Store
	Puller Puller
	// Now is the clock for image and history timestamps (time.Now when nil).
	Now   func() time.Time
	snaps *snapCache

	mu     sync.Mutex
	parsed map[digest.Digest]*dockerfile.File // recent parses; a File is never changed
}

// New returns a Builder over a store.
func New(s Store, p Puller) *Builder {
	return &Builder{Store: s, Puller: p, snaps: newSnapCache(DefaultSnapshotCacheBytes), parsed: map[digest.Digest]*dockerfile.File{}}
}

// maxParsedSource is the largest Dockerfile whose parse is kept for reuse.
const maxParsedSource = 64 << 10

// parse parses a Dockerfile, reusing the result for the same bytes: an edit-build loop
// rebuilds the same file many times, and a cached rebuild is mostly parsing otherwise.
func (b *Builder) parse(src []byte) (*dockerfile.File, error) {
	key := digest.FromBytes(src)
	b.mu.Lock()
	f, ok := b.parsed[key]
	b.mu.Unlock()
	if ok {
		return f, nil
	}
	f, err := dockerfile.Parse(src)
	if err != nil {
		return nil, err
	}
	if len(src) > maxParsedSource {
		return f, nil // not kept: 64 files of dockerfile.MaxSize would hold 64 MiB and more
	}
	b.mu.Lock()
	if len(b.parsed) >= 64 {
		b.parsed = map[digest.Digest]*dockerfile.File{}
	}
	b.parsed[key] = f
	b.mu.Unlock()
	return f, nil
}

// Options are `docker build`'s flags.
type Options struct {
	ID        string            // build ID for events; generated when empty
	Tags      []string          // -t, repeatable
	BuildArgs map[string]string // --build-arg NAME=value
	Target    string            // --target
	NoCache   bool              // --no-cache
	Sink      Sink              // events; may be nil
	Limits    sandbox.Limits    // per RUN step
	Budget    Budget            // per build; zero fields take DefaultBudget's
	// Store, when set, is the store this build reads and writes instead of the
	// Builder's: one Builder (and its snapshot cache, keyed by content) can serve many
	// workspaces.
	Store Store
}

// StepResult is what one step did.
type StepResult struct {
	Step        int           `json:"step"`
	Line        int           `json:"line"`
	EndLine     int           `json:"end_line"`
	Stage       string        `json:"stage,omitempty"`
	Keyword     string        `json:"keyword"`
	Instruction string        `json:"instruction"`
	State       string        `json:"state"`
	Reason      string        `json:"reason,omitempty"`
	Image       digest.Digest `json:"image,omitempty"`
	Layer       digest.Digest `json:"layer,omitempty"`
	Size        int64         `json:"size"`
	EmptyLayer  bool          `json:"empty_layer"`
	// Trigger marks an ONBUILD trigger of the base image, run inside its FROM step.
	Trigger   bool    `json:"trigger,omitempty"`
	CreatedBy string  `json:"created_by,omitempty"`
	Ms        float64 `json:"ms"`
}

// Result is a finished build.
type Result struct {
	ID       string
	Image    digest.Digest
	Tags     []string // familiar forms, as tagged
	Steps    []StepResult
	Warnings []string
	Ms       float64
}

// StepError is a build that failed at a step: the line, the instruction and Docker's
// message. ExitCode is the failing RUN's exit status (the classic CLI exits with it).
type StepError struct {
	Step        int
	Line        int
	EndLine     int
	Instruction string
	Err         error
	ExitCode    int
	Hint        string
}

func (e *StepError) Error() string { return e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

func (b *Builder) now() time.Time {
	if b.Now != nil {
		return b.Now().UTC()
	}
	return time.Now().UTC()
}

// run is the state of one build.
type run struct {
	b       *Builder
	store   Store // opt.Store, else the Builder's
	ctx     context.Context
	opt     Options
	file    *dockerfile.File
	bctx    *Context
	lex     *dockerfile.Lexer
	seq     int64
	res     *Result
	stages  []*stage // built stages, by index
	meta    map[string]*string
	used    map[string]bool // build args consumed by some ARG
	start   time.Time
	srcHash map[string]string // context path -> tarsum, computed once per build
	total   int               // the N of "Step i/N"
	held    bool              // the build holds images (see Store.Hold)
	budget  Budget            // opt.Budget with its defaults
	unpack  *unpackBudget     // what ADD archives may still unpack to
	written int64             // file content the build's RUN steps left in their layers
	output  int64             // bytes the build's RUN steps printed
}

// Build runs a build of the context's Dockerfile.
func (b *Builder) Build(ctx context.Context, c *Context, opt Options) (*Result, error) {
	if opt.ID == "" {
		opt.ID = digest.FromString(fmt.Sprint(time.Now().UnixNano())).Encoded()[:12]
	}
	store := opt.Store
	if store == nil {
		store = b.Store
	}
	r := &run{b: b, store: store, ctx: ctx, opt: opt, bctx: c, start: time.Now(),
		res: &Result{ID: opt.ID}, meta: map[string]*string{}, used: map[string]bool{}, srcHash: map[string]string{},
		budget: opt.Budget.withDefaults()}
	r.unpack = &unpackBudget{lim: r.budget}
	defer func() {
		if r.held {
			// Released whatever happened; a killed build's holds expire instead.
			_ = r.store.Unhold(context.WithoutCancel(ctx), opt.ID)
		}
	}()
	var refs []image.Ref
	for _, t := range opt.Tags {
		ref, err := image.ParseRef(t)
		if err != nil {
			return nil, r.fail(0, nil, fmt.Errorf("invalid argument %q for \"-t, --tag\" flag: %w", t, err), "")
		}
		if ref.Digest() != "" {
			return nil, r.fail(0, nil, fmt.Errorf("invalid argument %q for \"-t, --tag\" flag: a tag cannot contain a digest", t), "")
		}
		refs = append(refs, ref)
	}
	f, err := b.parse(c.Dockerfile)
	if err != nil {
		var pe *dockerfile.Error
		if errors.As(err, &pe) {
			r.emit(Event{Type: EventBuildFailed, Line: pe.Line, EndLine: pe.Line, Error: pe.Msg, Hint: pe.Hint})
			return nil, err
		}
		return nil, r.fail(0, nil, err, "")
	}
	r.file = f
	r.lex = dockerfile.NewLexer(f.Escape)
	last := len(f.Stages) - 1
	if opt.Target != "" {
		last = -1
		for i, s := range f.Stages {
			if strings.EqualFold(s.Name, opt.Target) {
				last = i
				break
			}
		}
		if last < 0 {
			// Checked before anything runs: the daemon answers it as a request error.
			pe := &dockerfile.Error{Msg: fmt.Sprintf("failed to reach build target %s in Dockerfile", opt.Target),
				Hint: "the stages are named with FROM ... AS name"}
			r.emit(Event{Type: EventBuildFailed, Error: pe.Msg, Hint: pe.Hint})
			return nil, pe
		}
	}
	// The classic builder drops the stages after --target before it counts: the N of
	// "Step i/N" ends at the target stage's last instruction.
	r.total = f.Steps
	if last < len(f.Stages)-1 {
		ts := f.Stages[last]
		r.total = ts.From.Step
		if n := len(ts.Steps); n > 0 {
			r.total = ts.Steps[n-1].Step
		}
	}
	r.emit(Event{Type: EventBuildStarted, Steps: r.total})
	if err := r.metaArgs(); err != nil {
		return nil, err
	}
	var final *stage
	for i := 0; i <= last; i++ {
		st, err := r.buildStage(&f.Stages[i])
		if err != nil {
			return nil, err
		}
		r.stages = append(r.stages, st)
		final = st
	}
	r.res.Image = final.id
	if final.id == "" {
		//lint:ignore ST1005 Docker 20.10's text, word for word
		return nil, r.fail(0, nil, errors.New("No image was generated. Is your Dockerfile empty?"),
			"FROM scratch alone makes no image: add an instruction after it")
	}
	if w := r.unusedArgs(); w != "" {
		r.res.Warnings = append(r.res.Warnings, w)
		r.emit(Event{Type: EventWarning, Text: w})
	}
	for _, ref := range refs {
		if err := r.store.Tag(ctx, ref, final.id); err != nil {
			return nil, r.fail(0, nil, fmt.Errorf("tag %s: %w", ref.Familiar(), err), "")
		}
		r.res.Tags = append(r.res.Tags, ref.Familiar())
	}
	r.res.Ms = ms(time.Since(r.start))
	r.emit(Event{Type: EventBuildDone, Image: final.id.String(), Tags: r.res.Tags, Ms: r.res.Ms})
	return r.res, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r *run) emit(e Event) {
	if r.opt.Sink == nil {
		return
	}
	r.seq++
	e.Seq = r.seq
	e.Build = r.opt.ID
	r.opt.Sink(e)
}

// fail reports a failed build and returns the error to give the caller.
func (r *run) fail(step int, in *dockerfile.Instruction, err error, hint string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		err = fmt.Errorf("%w: %v", ErrCanceled, err)
	}
	se := &StepError{Step: step, Err: err, Hint: hint}
	var ee *exitError
	if errors.As(err, &ee) {
		se.ExitCode = ee.code
	}
	if in != nil {
		se.Line, se.EndLine, se.Instruction = in.Line, in.EndLine, in.Original
	}
	r.emit(Event{Type: EventBuildFailed, Step: step, Line: se.Line, EndLine: se.EndLine,
		Instruction: se.Instruction, Error: err.Error(), Hint: hint, ExitCode: se.ExitCode})
	return se
}

// exitError is a RUN whose command exited non-zero.
type exitError struct {
	cmd  string
	code int
}

func (e *exitError) Error() string {
	return fmt.Sprintf("The command '%s' returned a non-zero code: %d", e.cmd, e.code)
}

// metaArgs handles ARG before the first FROM: they only feed FROM lines and later
// ARG declarations, and make no image.
func (r *run) metaArgs() error {
	for i := range r.file.MetaArgs {
		in := &r.file.MetaArgs[i]
		r.emit(Event{Type: EventStepStarted, Step: in.Step, Of: r.total, Line: in.Line, EndLine: in.EndLine, Instruction: in.Original})
		for _, a := range in.Arg {
			r.used[a.Key] = true
			if v, ok := r.opt.BuildArgs[a.Key]; ok {
				v := v
				r.meta[a.Key] = &v
				continue
			}
			if a.Default != nil {
				v, err := r.lex.Word(*a.Default, r.metaEnv())
				if err != nil {
					return r.fail(in.Step, in, err, "")
				}
				r.meta[a.Key] = &v
			} else {
				r.meta[a.Key] = nil
			}
		}
		r.res.Steps = append(r.res.Steps, StepResult{Step: in.Step, Line: in.Line, EndLine: in.EndLine, Keyword: in.Keyword, Instruction: in.Original, State: StateMeta})
		r.emit(Event{Type: EventStepDone, Step: in.Step, Of: r.total, Line: in.Line, EndLine: in.EndLine, Instruction: in.Original, State: StateMeta})
	}
	return nil
}

func (r *run) metaEnv() []string {
	var env []string
	keys := make([]string, 0, len(r.meta))
	for k := range r.meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := r.meta[k]; v != nil {
			env = append(env, k+"="+*v)
		}
	}
	return env
}

// builtinArgs are the proxy build args Docker accepts without an ARG declaration.
var builtinArgs = map[string]bool{
	"HTTP_PROXY": true, "http_proxy": true, "HTTPS_PROXY": true, "https_proxy": true,
	"FTP_PROXY": true, "ftp_proxy": true, "NO_PROXY": true, "no_proxy": true,
	"ALL_PROXY": true, "all_proxy": true,
}

func (r *run) unusedArgs() string {
	var left []string
	for k := range r.opt.BuildArgs {
		if !r.used[k] && !builtinArgs[k] {
			left = append(left, k)
		}
	}
	if len(left) == 0 {
		return ""
	}
	sort.Strings(left)
	return fmt.Sprintf("[Warning] One or more build-args %v were not consumed", left)
}
