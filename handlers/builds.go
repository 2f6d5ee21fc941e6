package handlers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
	"layerlab/engine/build"
	"layerlab/engine/dockerfile"
	"layerlab/remote"
)

// buildRequest is what a build is asked to do: docker build's options. The context is
// always the workspace's files; the Dockerfile is the one named File (default "Dockerfile").
type buildRequest struct {
	Tags      []string          `json:"tags"`
	BuildArgs map[string]string `json:"build_args"`
	Target    string            `json:"target"`
	NoCache   bool              `json:"no_cache"`
	File      string            `json:"file"`
	// Via is where the build was started from (viaPage, viaTerminal, viaEngine:
	// workspacefeed.go); the playground page says so. Not settable by a client.
	Via string `json:"-"`
}

// buildInputs is what a build was given, stored with it for the comparison.
type buildInputs struct {
	Files   map[string]string `json:"files"` // path -> sha256 of its bytes
	Args    map[string]string `json:"args"`
	Target  string            `json:"target"`
	NoCache bool              `json:"no_cache"`
	File    string            `json:"file"`
	Via     string            `json:"via,omitempty"` // where it was started from (workspacefeed.go)
}

// runner runs the workspaces' builds, one at a time per workspace, each in its own
// goroutine: events are stored, then published to the broadcaster.
type runner struct {
	s       *Server
	ctx     context.Context // cancelled by close
	stop    context.CancelFunc
	mu      sync.Mutex
	running map[string]*runningBuild // by workspace name
	wg      sync.WaitGroup
	// builder is shared by every workspace (each build names its store): its caches
	// of parsed Dockerfiles and filesystem snapshots are keyed by content.
	builder *build.Builder
}

// runningBuild is a build in progress (or just finished).
type runningBuild struct {
	ID     string
	ended  atomic.Bool // its end is recorded; cancelling now changes nothing
	cancel context.CancelFunc
	done   chan struct{}
	res    *build.Result
	err    error
}

// wait returns the build's result once it has ended (or ctx's error first).
func (rb *runningBuild) wait(ctx context.Context) (*build.Result, error) {
	select {
	case <-rb.done:
		return rb.res, rb.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// newRunner makes the server's runner. It first ends the builds a crash left running
// (see failInterrupted): the server is the one process that runs builds of its store.
func newRunner(s *Server) *runner {
	ctx, stop := context.WithCancel(context.Background())
	r := &runner{s: s, ctx: ctx, stop: stop, running: map[string]*runningBuild{}, builder: build.New(nil, remote.Puller{Store: s.store, Fallback: build.StandIns{}})}
	r.failInterrupted()
	return r
}

// interruptedReason is the error of a build the server stopped in the middle of.
const interruptedReason = "the server stopped while this build ran (layerlab restarted): build again"

// failInterrupted marks failed, with interruptedReason, every build the store has as
// running: at start no build of this server runs, so those are builds a crash or a
// kill interrupted. Each gets a build.failed event, so a page watching it (after it
// reconnects) shows the end, and cancel no longer finds a build that never ends.
func (r *runner) failInterrupted() {
	if r.s.store == nil {
		return
	}
	ctx, cancel := context.WithTimeout(r.ctx, 30*time.Second)
	defer cancel()
	ids, err := r.s.store.FailInterruptedBuilds(ctx, interruptedReason)
	if err != nil {
		r.s.log.Error("fail interrupted builds", "err", err)
		return
	}
	if len(ids) > 0 {
		r.s.log.Warn("builds interrupted by the last stop marked failed", "builds", ids)
	}
}

// maxEventBytes bounds one stored event (a RUN step's log line can be long).
const maxEventBytes = 64 << 10

// maxBuildTags bounds the tags one build is given (-t): each is a write to the store
// when the build ends, and a 64 KiB request could otherwise name thousands of them,
// holding the store's writer for seconds after every build. Docker has no such bound.
const maxBuildTags = 32

// start begins a build of the workspace's context. extra, if not nil, also receives
// every event (the terminal prints them as docker build does). A workspace runs one
// build at a time: a second start while one runs is a conflict.
func (r *runner) start(ws *db.Workspace, req buildRequest, extra build.Sink) (*runningBuild, error) {
	if r.ctx.Err() != nil {
		return nil, errConflict("the server is shutting down")
	}
	files, err := ws.ContextFiles(r.ctx)
	if err != nil {
		return nil, err
	}
	bfiles := make([]build.File, 0, len(files))
	for _, f := range files {
		bfiles = append(bfiles, build.File{Path: f.Path, Data: f.Data, Mode: f.Mode})
	}
	return r.startFiles(ws, req, bfiles, extra)
}

// startFiles is start with the given files as the context instead of the workspace's
// stored ones (the Engine API's POST /build sends its own tar): the build is stored,
// queued and bounded as any other of the workspace's, and the workspace's files stay
// as they are.
func (r *runner) startFiles(ws *db.Workspace, req buildRequest, bfiles []build.File, extra build.Sink) (*runningBuild, error) {
	if r.ctx.Err() != nil {
		return nil, errConflict("the server is shutting down")
	}
	if len(req.Tags) > maxBuildTags {
		return nil, errBadRequest(fmt.Sprintf("%d tags for one build: layerlab's limit is %d tags (-t) a build; tag the image afterwards with docker tag for more",
			len(req.Tags), maxBuildTags))
	}
	name := req.File
	if name == "" {
		name = "Dockerfile"
	}
	in := buildInputs{Files: map[string]string{}, Args: req.BuildArgs, Target: req.Target, NoCache: req.NoCache, File: name, Via: req.Via}
	var df []byte
	for _, f := range bfiles {
		if f.Dir || f.Symlink != "" {
			continue
		}
		sum := sha256.Sum256(f.Data)
		in.Files[f.Path] = "sha256:" + hex.EncodeToString(sum[:])
		if f.Path == name {
			df = f.Data
		}
	}
	if df == nil {
		return nil, errBadRequest(fmt.Sprintf("the build context has no %s: add one in the file tree (or load an example)", name))
	}
	bctx, err := build.NewContext(bfiles, name)
	if err != nil {
		return nil, errBadRequest("build context: " + err.Error())
	}
	inputs, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}

	r.mu.Lock()
	if cur := r.running[ws.Name()]; cur != nil && !cur.ended.Load() {
		r.mu.Unlock()
		return nil, errConflict("a build is already running in this workspace: wait for it or cancel it")
	}
	rb := &runningBuild{done: make(chan struct{})}
	r.running[ws.Name()] = rb
	r.mu.Unlock()
	if err := r.s.queue.allow(ws.Name()); err != nil { // builds per minute (queue.go)
		r.release(ws, rb)
		return nil, err
	}

	rec, err := ws.CreateBuildWithInputs(r.ctx, string(df), req.Tags, inputs)
	if err != nil {
		r.release(ws, rb)
		return nil, err
	}
	rb.ID = rec.ID
	r.s.workspaceBuildStarted(ws.Name(), rec.ID, req) // the workspace's open pages follow it (workspacefeed.go)
	// The workspace keeps its last KeepBuilds builds (this one among them); older ones
	// and their events go now, so a student's builds never pile up.
	if _, err := ws.TrimBuilds(r.ctx, r.s.limits.KeepBuilds); err != nil {
		r.s.log.Error("trim builds", "workspace", ws.Name(), "err", err)
	}
	ctx, cancel := context.WithCancel(r.ctx)
	rb.cancel = cancel
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer cancel()
		defer r.release(ws, rb)
		defer close(rb.done)
		rb.res, rb.err = r.run(ctx, ws, rb, bctx, req, extra)
	}()
	return rb, nil
}

func (r *runner) release(ws *db.Workspace, rb *runningBuild) {
	r.mu.Lock()
	if r.running[ws.Name()] == rb {
		delete(r.running, ws.Name())
	}
	r.mu.Unlock()
}

// cancel stops the workspace's build with the given ID; false if it is not running.
func (r *runner) cancel(ws *db.Workspace, id string) bool {
	r.mu.Lock()
	rb := r.running[ws.Name()]
	r.mu.Unlock()
	if rb == nil || rb.ID != id || rb.ended.Load() {
		return false
	}
	rb.cancel()
	return true
}

func (r *runner) run(ctx context.Context, ws *db.Workspace, rb *runningBuild, bctx *build.Context, req buildRequest, extra build.Sink) (*build.Result, error) {
	id := rb.ID
	// Events are stored before they are published, so a client that connects (or
	// reconnects) at any moment replays what it missed and then follows the stream.
	// They are stored by the build's own writer goroutine (storeEvents), in chunks, so
	// the build never waits on SQLite's write lock for an event.
	rec := context.WithoutCancel(ctx)
	finished := false
	finish := func(state db.BuildState, img digest.Digest, msg string) {
		if err := ws.FinishBuild(rec, id, state, img, msg); err != nil {
			r.s.log.Error("finish build", "build", id, "err", err)
		}
		finished = true
		rb.ended.Store(true)
		r.s.evaluateLater(ws) // the lesson's checks, in the background (lesson.go)
	}
	queue := make(chan pendingEvent, 4096)
	written := make(chan struct{})
	go func() {
		defer close(written)
		r.storeEvents(rec, ws, id, queue, func(e build.Event) {
			switch e.Type {
			case build.EventBuildDone:
				finish(db.BuildSucceeded, digest.Digest(e.Image), "")
			case build.EventBuildFailed:
				msg := e.Error
				if ctx.Err() != nil {
					msg = "cancelled"
				} else if e.Line > 0 {
					msg = fmt.Sprintf("line %d: %s", e.Line, e.Error)
				}
				finish(db.BuildFailed, "", msg)
			}
		})
	}()
	marshalErr := false
	var queued int64 // the queue's lines (queue.go) come first: the build's own events follow them
	sink := func(e build.Event) {
		e.Seq += queued
		if extra != nil {
			extra(e)
		}
		if marshalErr {
			return
		}
		data, err := marshalEvent(e)
		if err != nil {
			marshalErr = true
			r.s.log.Error("marshal build event", "build", id, "seq", e.Seq, "err", err)
			return
		}
		queue <- pendingEvent{e, data}
	}
	// A slot of the server's MaxBuilds (queue.go); cancelling a queued build ends it here.
	releaseSlot, err := r.s.queue.acquireAs(ctx, ws.Name(), func(text string) {
		queued++
		sink(build.Event{Build: id, Type: build.EventWarning, Text: text})
	})
	var res *build.Result
	if err != nil {
		queued++
		sink(build.Event{Build: id, Type: build.EventBuildFailed, Error: "cancelled while waiting for a build slot"})
	} else {
		res, err = r.builder.Build(ctx, bctx, build.Options{ID: id, Store: ws, Tags: req.Tags, BuildArgs: req.BuildArgs,
			Target: req.Target, NoCache: req.NoCache, Sink: sink})
		releaseSlot()
	}
	close(queue)
	<-written
	if !finished {
		if err != nil {
			finish(db.BuildFailed, "", buildErrorText(err))
		} else {
			finish(db.BuildSucceeded, res.Image, "")
		}
	}
	return res, err
}

// pendingEvent is an event on its way from the builder to the store.
type pendingEvent struct {
	e    build.Event
	data []byte
}

// flushDelay is how long a log line may wait to be stored with the next ones: a
// watcher sees a step's output at most this late, and a step that prints a line at a
// time fills chunks instead of writing a row per line.
const flushDelay = 100 * time.Millisecond

// storeEvents stores a build's events from queue until it is closed, and publishes
// each chunk once it is stored; ended is called (after the store) for each build.done
// or build.failed. Consecutive events are gathered into one chunk of up to
// db.ChunkBytes: log lines wait up to flushDelay for more; any other event (a step
// starting or ending, the build's end) is stored at once with what waits before it,
// so the page shows steps as they happen. Whatever the builder emitted while a chunk
// was being committed goes into the next one (group commit).
func (r *runner) storeEvents(ctx context.Context, ws *db.Workspace, id string, queue <-chan pendingEvent, ended func(build.Event)) {
	var (
		pend     []pendingEvent
		size     int
		urgent   bool // pend holds an event that is not a log line
		open     = true
		storeErr error
		timer    = time.NewTimer(time.Hour)
	)
	timer.Stop()
	defer timer.Stop()
	add := func(p pendingEvent) {
		pend = append(pend, p)
		size += len(p.data) + 1
		urgent = urgent || p.e.Type != build.EventStepLog
	}
	flush := func() {
		if len(pend) == 0 {
			return
		}
		data := make([][]byte, len(pend))
		for i, p := range pend {
			data[i] = p.data
		}
		if storeErr == nil {
			if storeErr = ws.AppendEvents(ctx, id, pend[0].e.Seq, data); storeErr != nil {
				r.s.log.Error("store build events", "build", id, "seq", pend[0].e.Seq, "err", storeErr)
			}
		}
		if storeErr == nil {
			last, steps := false, false
			for _, p := range pend {
				if p.e.Type == build.EventBuildDone || p.e.Type == build.EventBuildFailed {
					ended(p.e)
					last = true
				}
				steps = steps || p.e.Type != build.EventStepLog
			}
			r.s.broadcast.publish(event{build: id, first: pend[0].e.Seq, data: data, last: last})
			if steps {
				r.s.classChanged(ws.Name(), "build") // a class dashboard shows its steps' states
			}
		}
		pend, size, urgent = nil, 0, false
	}
	for open {
		waiting := len(pend) > 0
		select {
		case p, ok := <-queue:
			if !ok {
				open = false
				break
			}
			if !waiting {
				timer.Reset(flushDelay)
			}
			add(p)
		case <-timer.C:
			urgent = true
		}
		// Take what else is queued, without waiting, up to a chunk.
	fill:
		for open && size < db.ChunkBytes {
			select {
			case p, ok := <-queue:
				if !ok {
					open = false
					break fill
				}
				add(p)
			default:
				break fill
			}
		}
		if !open || urgent || size >= db.ChunkBytes {
			timer.Stop()
			flush()
		}
	}
}

// marshalEvent is an event's JSON as it is stored and sent. A log line is cut at
// maxEventBytes, and an event whose JSON would pass db.MaxEventBytes (a huge
// instruction or error text) has its long fields cut, each saying so.
func marshalEvent(e build.Event) ([]byte, error) {
	const cut = " … (line cut)"
	if len(e.Text) > maxEventBytes {
		e.Text = e.Text[:maxEventBytes] + cut
	}
	data, err := json.Marshal(e)
	if err != nil || len(data) <= db.MaxEventBytes {
		return data, err
	}
	for _, f := range []*string{&e.Text, &e.Instruction, &e.Error, &e.Hint, &e.Reason} {
		if len(*f) > maxEventBytes {
			*f = (*f)[:maxEventBytes] + " … (cut)"
		}
	}
	return json.Marshal(e)
}

// buildErrorText is the error a user sees for a failed build, with the line when known.
func buildErrorText(err error) string {
	var pe *dockerfile.Error
	var se *build.StepError
	switch {
	case errors.Is(err, build.ErrCanceled):
		return "cancelled"
	case errors.As(err, &pe) && pe.Line > 0:
		return fmt.Sprintf("line %d: %s", pe.Line, pe.Msg)
	case errors.As(err, &se) && se.Line > 0:
		return fmt.Sprintf("line %d: %s", se.Line, se.Err)
	}
	return err.Error()
}

// close cancels every running build and waits for them to record their end.
func (r *runner) close(ctx context.Context) error {
	r.stop()
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("builds still running at shutdown: %w", ctx.Err())
	}
}
