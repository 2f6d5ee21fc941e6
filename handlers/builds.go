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
}

// buildInputs is what a build was given, stored with it for the comparison.
type buildInputs struct {
	Files   map[string]string `json:"files"` // path -> sha256 of its bytes
	Args    map[string]string `json:"args"`
	Target  string            `json:"target"`
	NoCache bool              `json:"no_cache"`
	File    string            `json:"file"`
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

func newRunner(s *Server) *runner {
	ctx, stop := context.WithCancel(context.Background())
	return &runner{s: s, ctx: ctx, stop: stop, running: map[string]*runningBuild{}, builder: build.New(nil, remote.Puller{Store: s.store, Fallback: build.StandIns{}})}
}

// maxEventBytes bounds one stored event (a RUN step's log line can be long).
const maxEventBytes = 64 << 10

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
	name := req.File
	if name == "" {
		name = "Dockerfile"
	}
	in := buildInputs{Files: map[string]string{}, Args: req.BuildArgs, Target: req.Target, NoCache: req.NoCache, File: name}
	var bfiles []build.File
	var df []byte
	for _, f := range files {
		sum := sha256.Sum256(f.Data)
		in.Files[f.Path] = "sha256:" + hex.EncodeToString(sum[:])
		bfiles = append(bfiles, build.File{Path: f.Path, Data: f.Data, Mode: f.Mode})
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

	rec, err := ws.CreateBuildWithInputs(r.ctx, string(df), req.Tags, inputs)
	if err != nil {
		r.release(ws, rb)
		return nil, err
	}
	rb.ID = rec.ID
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
	// They are stored by the build's own writer goroutine, in batches: whatever the
	// builder emitted while the previous batch was being committed goes in the next
	// transaction (group commit), so the build never waits on SQLite's write lock for
	// an event, and a busy server commits fewer, larger transactions.
	rec := context.WithoutCancel(ctx)
	finished := false
	finish := func(state db.BuildState, img digest.Digest, msg string) {
		if err := ws.FinishBuild(rec, id, state, img, msg); err != nil {
			r.s.log.Error("finish build", "build", id, "err", err)
		}
		finished = true
		rb.ended.Store(true)
	}
	type pending struct {
		e    build.Event
		data []byte
	}
	queue := make(chan pending, 4096)
	written := make(chan struct{})
	go func() {
		defer close(written)
		var storeErr error
		for p := range queue {
			batch := []pending{p}
		fill:
			for len(batch) < 512 {
				select {
				case q, ok := <-queue:
					if !ok {
						break fill
					}
					batch = append(batch, q)
				default:
					break fill
				}
			}
			if storeErr != nil {
				continue
			}
			data := make([][]byte, len(batch))
			for i, p := range batch {
				data[i] = p.data
			}
			if err := ws.AppendEvents(rec, id, batch[0].e.Seq, data); err != nil {
				storeErr = err
				r.s.log.Error("store build events", "build", id, "seq", batch[0].e.Seq, "err", err)
				continue
			}
			for _, p := range batch {
				e := p.e
				last := false
				switch e.Type {
				case build.EventBuildDone:
					finish(db.BuildSucceeded, digest.Digest(e.Image), "")
					last = true
				case build.EventBuildFailed:
					msg := e.Error
					if ctx.Err() != nil {
						msg = "cancelled"
					} else if e.Line > 0 {
						msg = fmt.Sprintf("line %d: %s", e.Line, e.Error)
					}
					finish(db.BuildFailed, "", msg)
					last = true
				}
				r.s.broadcast.publish(event{build: id, seq: e.Seq, data: p.data, last: last})
			}
		}
	}()
	marshalErr := false
	sink := func(e build.Event) {
		if extra != nil {
			extra(e)
		}
		if marshalErr {
			return
		}
		if len(e.Text) > maxEventBytes {
			e.Text = e.Text[:maxEventBytes] + " … (line cut)"
		}
		data, err := json.Marshal(e)
		if err != nil {
			marshalErr = true
			return
		}
		queue <- pending{e, data}
	}
	res, err := r.builder.Build(ctx, bctx, build.Options{ID: id, Store: ws, Tags: req.Tags, BuildArgs: req.BuildArgs,
		Target: req.Target, NoCache: req.NoCache, Sink: sink})
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
