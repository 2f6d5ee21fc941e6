package handlers

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/websocket"

	"layerlab/db"
	"layerlab/remote"
)

// A transfer is one `docker pull` or `docker push` started from the images page. It
// runs in the server, not in the request, and its progress is kept in memory while it
// runs and for a while after: the status lines in order (what the docker CLI prints)
// and each layer's latest byte count (the bars). Its result, the image and its tags,
// is in the store like any other. Browsers watch it over a websocket; one that connects
// late or reconnects gets the lines so far and the bars as they are now, then the rest.
type transfer struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"` // pull or push
	Ref       string    `json:"ref"`  // as typed
	Cmd       string    `json:"cmd"`  // the docker command it is
	Repo      string    `json:"repo"` // the hub repository it reads or writes
	Started   time.Time `json:"started"`
	workspace string
	cancel    context.CancelFunc
	slot      bool          // holds a slot (guarded by transfers.mu)
	granted   chan struct{} // closed when a slot is handed to it while it waits
	moved     chan struct{} // nudged when the queue moves

	mu     sync.Mutex
	lines  []remote.Message           // status messages, in order (no bars)
	bars   map[string]*barState       // a layer's latest bar
	barSeq int64                      // bumps on every bar update
	ended  *transferEnd               // nil while running
	wake   map[chan struct{}]struct{} // watchers to nudge; each channel holds at most one nudge
}

// barState is a layer's latest bar: seq orders updates, at is how many lines there
// were when it moved, so a watcher gets it between the lines it came between.
type barState struct {
	msg remote.Message
	seq int64
	at  int
}

// transferEnd is how a transfer ended: Docker's error message shape when it failed.
type transferEnd struct {
	OK       bool      `json:"ok"`
	Error    string    `json:"error,omitempty"`
	Hint     string    `json:"hint,omitempty"` // layerlab's word on what to do
	Ended    time.Time `json:"ended"`
	Canceled bool      `json:"canceled,omitempty"`
	err      error     // the pull's or push's own error, for status()
}

// Bounds: how long an ended transfer is kept, how many ended ones a workspace keeps.
// How many run at once (limits.TransferSlots) and per workspace
// (limits.TransfersPerWorkspace) are the server's limits.
const (
	transferKeep      = 15 * time.Minute
	maxWorkspaceEnded = 8
	maxTransferLines  = 10_000 // far more than 500 layers print; a guard, not a limit users meet
	transferTimeout   = 30 * time.Minute
)

// transfers runs and remembers the web's pulls and pushes. At most slots run at once
// (each reads and writes layers); the others wait for a slot, and the slots are shared
// fairly across workspaces: a workspace may have perWorkspace transfers running or
// waiting; a freed slot goes to the waiting transfer whose workspace runs the fewest
// (the earliest among equals); and a workspace that runs one already takes another slot
// only while more than a quarter of them are free, so a classmate with none running
// never waits behind a few workspaces holding them all.
type transfers struct {
	mu           sync.Mutex
	byID         map[string]*transfer
	ctx          context.Context // cancelled by close
	stop         context.CancelFunc
	wg           sync.WaitGroup
	now          func() time.Time
	slots        int         // limits.TransferSlots
	perWorkspace int         // limits.TransfersPerWorkspace
	running      int         // slots held
	waiting      []*transfer // for a slot, in arrival order
}

func newTransfers(now func() time.Time) *transfers {
	ctx, stop := context.WithCancel(context.Background())
	d := DefaultLimits()
	return &transfers{byID: map[string]*transfer{}, ctx: ctx, stop: stop, now: now,
		slots: d.TransferSlots, perWorkspace: d.TransfersPerWorkspace}
}

// close cancels the running transfers and waits for them to end.
func (ts *transfers) close(ctx context.Context) error {
	ts.stop()
	done := make(chan struct{})
	go func() { ts.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("transfers still running: %w", ctx.Err())
	}
}

// start registers a transfer and runs fn for it in the background. fn gets a context
// that close and cancel end, and the transfer's progress sink.
func (ts *transfers) start(ws, kind, ref, cmd, repo string, fn func(ctx context.Context, progress func(remote.Message)) error) (*transfer, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.ctx.Err() != nil {
		return nil, &httpError{http.StatusServiceUnavailable, "the server is stopping"}
	}
	ts.expireLocked()
	mine := 0
	for _, t := range ts.byID {
		if t.end() == nil && t.workspace == ws {
			mine++
		}
	}
	if mine >= ts.perWorkspace {
		return nil, &httpError{http.StatusTooManyRequests, fmt.Sprintf(
			"you have %d pulls or pushes running or waiting, the server's limit per workspace (%d): wait for one to finish, then try again",
			mine, ts.perWorkspace)}
	}
	var b [8]byte
	rand.Read(b[:])
	ctx, cancel := context.WithTimeout(ts.ctx, transferTimeout)
	t := &transfer{ID: hex.EncodeToString(b[:]), Kind: kind, Ref: ref, Cmd: cmd, Repo: repo, Started: ts.now(),
		workspace: ws, cancel: cancel, bars: map[string]*barState{}, wake: map[chan struct{}]struct{}{},
		granted: make(chan struct{}), moved: make(chan struct{}, 1)}
	ts.byID[t.ID] = t
	ts.wg.Add(1)
	go func() {
		defer ts.wg.Done()
		defer cancel()
		err := ts.acquire(ctx, t)
		if err == nil {
			err = fn(ctx, t.progress)
			ts.release(t)
		}
		end := &transferEnd{OK: err == nil, Ended: ts.now()}
		if err != nil {
			end.Error, end.err = err.Error(), err
			end.Canceled = errors.Is(err, context.Canceled)
			if end.Canceled {
				end.Error = "context canceled"
				end.Hint = "the " + kind + " was cancelled: nothing was tagged; layers it stored go with the next prune"
			}
		}
		t.finish(end)
	}()
	return t, nil
}

// acquire waits for t's slot, fairly (see transfers), telling the student its place
// in the queue while it waits. It fails only with ctx's error (cancelled, or the
// server stops).
func (ts *transfers) acquire(ctx context.Context, t *transfer) error {
	ts.mu.Lock()
	ts.waiting = append(ts.waiting, t)
	ts.grantLocked() // t, or one more deserving, may take a free slot now
	if t.slot {
		ts.mu.Unlock()
		return nil
	}
	ts.mu.Unlock()
	shown := 0
	for {
		ts.mu.Lock()
		place := slices.Index(ts.waiting, t) + 1
		ts.mu.Unlock()
		if place != 0 && place != shown {
			shown = place
			t.progress(remote.Message{Status: fmt.Sprintf(
				"[layerlab] waiting for a transfer slot: %s in the queue (%d pulls and pushes run at once on this server)",
				ordinal(place), ts.slots)})
		}
		select {
		case <-t.granted:
			return nil
		case <-t.moved:
		case <-ctx.Done():
			ts.mu.Lock()
			if t.slot { // granted meanwhile: give it on
				ts.mu.Unlock()
				ts.release(t)
				return ctx.Err()
			}
			if i := slices.Index(ts.waiting, t); i >= 0 {
				ts.waiting = slices.Delete(ts.waiting, i, i+1)
			}
			ts.grantLocked()
			ts.mu.Unlock()
			return ctx.Err()
		}
	}
}

// release gives t's slot back and hands the free slots on.
func (ts *transfers) release(t *transfer) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if t.slot {
		t.slot = false
		ts.running--
	}
	ts.grantLocked()
}

// holdingLocked is how many slots workspace ws holds.
func (ts *transfers) holdingLocked(ws string) int {
	n := 0
	for _, t := range ts.byID {
		if t.slot && t.workspace == ws {
			n++
		}
	}
	return n
}

// admitLocked reports whether workspace ws may take a free slot now: any free slot
// when it holds none, else only while more than a quarter of the slots are free.
func (ts *transfers) admitLocked(ws string) bool {
	free := ts.slots - ts.running
	if free <= 0 {
		return false
	}
	return ts.holdingLocked(ws) == 0 || free > ts.slots/4
}

// grantLocked hands free slots to waiting transfers: each time to the one whose
// workspace holds the fewest (the earliest among equals), while it may take one.
func (ts *transfers) grantLocked() {
	for len(ts.waiting) > 0 {
		best, bestHeld := -1, 0
		for i, t := range ts.waiting {
			if h := ts.holdingLocked(t.workspace); best < 0 || h < bestHeld {
				best, bestHeld = i, h
			}
		}
		t := ts.waiting[best]
		if !ts.admitLocked(t.workspace) {
			break
		}
		ts.waiting = slices.Delete(ts.waiting, best, best+1)
		ts.running++
		t.slot = true
		close(t.granted)
	}
	for _, t := range ts.waiting {
		select {
		case t.moved <- struct{}{}:
		default:
		}
	}
}

// get returns a transfer of workspace ws.
func (ts *transfers) get(ws, id string) (*transfer, error) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	t, ok := ts.byID[id]
	if !ok || t.workspace != ws {
		return nil, errNotFound("no pull or push " + id + " here (they are kept for 15 minutes after they end)")
	}
	return t, nil
}

// expireLocked forgets ended transfers past transferKeep, and the oldest ended ones of
// a workspace beyond maxWorkspaceEnded.
func (ts *transfers) expireLocked() {
	now := ts.now()
	ended := map[string][]*transfer{}
	for id, t := range ts.byID {
		e := t.end()
		switch {
		case e == nil:
		case now.Sub(e.Ended) > transferKeep:
			delete(ts.byID, id)
		default:
			ended[t.workspace] = append(ended[t.workspace], t)
		}
	}
	for _, list := range ended {
		for len(list) > maxWorkspaceEnded {
			oldest := 0
			for i, t := range list {
				if t.end().Ended.Before(list[oldest].end().Ended) {
					oldest = i
				}
			}
			delete(ts.byID, list[oldest].ID)
			list = append(list[:oldest], list[oldest+1:]...)
		}
	}
}

// progress records one message from remote.Pull or Push. It never blocks: watchers
// are nudged, and read what changed when they get to it.
func (t *transfer) progress(m remote.Message) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if m.Progress != nil {
		t.barSeq++
		t.bars[m.ID] = &barState{msg: m, seq: t.barSeq, at: len(t.lines)}
	} else if len(t.lines) < maxTransferLines {
		t.lines = append(t.lines, m)
	}
	t.nudgeLocked()
}

func (t *transfer) finish(e *transferEnd) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ended = e
	t.nudgeLocked()
}

func (t *transfer) nudgeLocked() {
	for c := range t.wake {
		select {
		case c <- struct{}{}:
		default: // a nudge is pending already
		}
	}
}

// watch returns a channel nudged whenever the transfer moves; unwatch it when done.
func (t *transfer) watch() chan struct{} {
	c := make(chan struct{}, 1)
	t.mu.Lock()
	t.wake[c] = struct{}{}
	t.mu.Unlock()
	return c
}

func (t *transfer) unwatch(c chan struct{}) {
	t.mu.Lock()
	delete(t.wake, c)
	t.mu.Unlock()
}

func (t *transfer) end() *transferEnd {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.ended
}

// cursor is how far one watcher has read.
type cursor struct {
	lines  int   // lines sent
	barSeq int64 // bar updates sent
}

// since returns what the watcher at c has not seen, in the order it happened: the new
// lines, and between them each layer's bar as it is now if it moved since the watcher
// last read (earlier positions of a bar are skipped: a slow watcher gets fewer bar
// frames, never a late one), then the end once it is there. Every bar that moved is
// sent at least once, so a layer that went fast still shows its bar, full, before
// its next line.
func (t *transfer) since(c *cursor) ([]remote.Message, *transferEnd) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var bars []*barState
	for _, b := range t.bars {
		if b.seq > c.barSeq {
			bars = append(bars, b) // b.at >= c.lines: it moved after the watcher's last read
		}
	}
	slices.SortFunc(bars, func(a, b *barState) int { return cmp.Compare(a.seq, b.seq) })
	slices.SortStableFunc(bars, func(a, b *barState) int { return cmp.Compare(a.at, b.at) })
	msgs := make([]remote.Message, 0, len(t.lines)-c.lines+len(bars))
	for i := c.lines; i <= len(t.lines); i++ {
		for len(bars) > 0 && bars[0].at <= i {
			msgs = append(msgs, bars[0].msg)
			bars = bars[1:]
		}
		if i < len(t.lines) {
			msgs = append(msgs, t.lines[i])
		}
	}
	c.lines, c.barSeq = len(t.lines), t.barSeq
	return msgs, t.ended
}

// snapshot is a transfer as JSON: what GET /api/transfers/ID answers.
type transferSnapshot struct {
	*transfer
	Messages []remote.Message `json:"messages"`
	Output   string           `json:"output"` // the lines as the docker CLI prints them
	End      *transferEnd     `json:"end"`
}

func (t *transfer) snapshot() transferSnapshot {
	msgs, end := t.since(&cursor{})
	var b strings.Builder
	for _, m := range msgs {
		if m.Progress == nil {
			b.WriteString(cliLine(m))
			b.WriteByte('\n')
		}
	}
	return transferSnapshot{transfer: t, Messages: msgs, Output: b.String(), End: end}
}

// cliLine is a message as the docker CLI prints it without a terminal.
func cliLine(m remote.Message) string {
	if m.ID != "" {
		return m.ID + ": " + m.Status
	}
	return m.Status
}

// ---- HTTP ----

func (s *Server) transferRoutes(r chi.Router) {
	r.Post("/api/pulls", s.startPull)
	r.Post("/api/pushes", s.startPush)
	r.Get("/api/transfers/{id}", s.getTransfer)
	r.Post("/api/transfers/{id}/cancel", s.cancelTransfer)
	r.Get("/ws/transfers/{id}", s.watchTransfer)
	r.Post("/images/pull", s.formTransfer(false)) // the forms, without JavaScript
	r.Post("/images/push", s.formTransfer(true))
}

type transferRequest struct {
	Ref string `json:"ref"`
}

func (s *Server) startPull(w http.ResponseWriter, r *http.Request) { s.startTransfer(w, r, false) }
func (s *Server) startPush(w http.ResponseWriter, r *http.Request) { s.startTransfer(w, r, true) }

func (s *Server) startTransfer(w http.ResponseWriter, r *http.Request, push bool) {
	var req transferRequest
	if err := decodeJSON(w, r, 4<<10, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.beginTransfer(workspace(r), push, req.Ref)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, t.snapshot())
}

// beginTransfer checks what the user asked for (the errors the terminal prints, as
// HTTP errors) and starts it.
func (s *Server) beginTransfer(ws *db.Workspace, push bool, arg string) (*transfer, error) {
	arg = strings.TrimSpace(arg)
	kind := "pull"
	if push {
		kind = "push"
	}
	if arg == "" {
		return nil, errBadRequest(fmt.Sprintf("\"docker %s\" requires exactly 1 argument: type an image name, such as %s", kind, map[bool]string{false: "alpine:3.20", true: "demo:v1"}[push]))
	}
	if len(arg) > maxRefLen {
		return nil, errBadRequest(fmt.Sprintf("the image name is longer than %d characters", maxRefLen))
	}
	target, err := s.hubTarget(ws, push, arg)
	switch {
	case errors.Is(err, remote.ErrDenied):
		return nil, err // a push into another namespace: the hub's refusal, 403 (status)
	case err != nil:
		return nil, errBadRequest(err.Error()) // the name as typed: malformed, or not the hub's
	}
	// A workspace at its storage quota is told so now, not after a download; one under
	// it is checked again at every layer the pull or push writes.
	if err := ws.CheckQuota(s.transfers.ctx, 1, "this "+kind); err != nil {
		return nil, err
	}
	cmd := "docker " + kind + " " + shellQuote(arg)
	return s.transfers.start(ws.Name(), kind, arg, cmd, target.hub.Repo(target.name.Ref.Path()),
		func(ctx context.Context, progress func(remote.Message)) error {
			if target.name.DefaultTag {
				progress(remote.Message{Status: "Using default tag: latest"})
			}
			var err error
			if push {
				_, err = remote.Push(ctx, ws, target.hub, target.name.Ref, remote.PushOptions{Progress: progress})
			} else {
				_, err = target.pull(ctx, ws, remote.PullOptions{Progress: progress})
			}
			if err != nil && !errors.Is(err, context.Canceled) {
				s.log.Info("web "+kind+" failed", "ref", arg, "workspace", ws.Name(), "err", err)
			}
			return err
		})
}

func (s *Server) getTransfer(w http.ResponseWriter, r *http.Request) {
	t, err := s.transfers.get(workspace(r).Name(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, t.snapshot())
}

func (s *Server) cancelTransfer(w http.ResponseWriter, r *http.Request) {
	t, err := s.transfers.get(workspace(r).Name(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t.cancel()
	writeJSON(w, http.StatusAccepted, map[string]string{"id": t.ID})
}

// formTransfer runs a pull or push from a form post (a browser without JavaScript):
// it waits for the end and shows Docker's lines on the images page.
func (s *Server) formTransfer(push bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		in, err := readAction(w, r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		kind := map[bool]string{false: "pull", true: "push"}[push]
		in.Form = kind
		t, err := s.beginTransfer(workspace(r), push, in.Ref)
		if err != nil {
			// The run's status is status(err)'s, as for a transfer that failed later.
			_, msg, _ := status(err)
			s.answerAction(w, r, in, &dockerRun{Cmd: "docker " + kind + " " + shellQuote(in.Ref), Error: msg, Code: 1, err: err})
			return
		}
		wake := t.watch()
		defer t.unwatch(wake)
		for t.end() == nil {
			select {
			case <-wake:
			case <-r.Context().Done():
				return // the transfer goes on; its result shows on the images page
			}
		}
		snap := t.snapshot()
		res := &dockerRun{Cmd: t.Cmd, Output: snap.Output}
		if !snap.End.OK {
			res.Error, res.Code, res.err = strings.TrimSpace(snap.End.Error+"\n"+snap.End.Hint), 1, snap.End.err
		}
		s.answerAction(w, r, in, res)
	}
}

// watchTransfer streams a transfer over a websocket. Each text frame is one message in
// the Docker Engine API's JSON stream shape ({"id","status","progressDetail"}); an
// error ends the stream as Docker's does ({"error","errorDetail"}), then the server
// closes with 1000. A connection (or a reconnection) first gets every line so far and
// the bars as they are now, so the browser can always draw the whole picture from
// what one connection sent. A client that reads slowly only ever gets the latest bar of
// each layer: nothing queues up for it.
func (s *Server) watchTransfer(w http.ResponseWriter, r *http.Request) {
	t, err := s.transfers.get(workspace(r).Name(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	st := openStream(w, r)
	if st == nil {
		return
	}
	defer st.Close()
	wake := t.watch()
	defer t.unwatch(wake)

	write := func(v any) bool {
		data, err := json.Marshal(v)
		return err == nil && st.send(data)
	}
	var c cursor
	for {
		msgs, end := t.since(&c)
		for _, m := range msgs {
			if !write(m) {
				return
			}
		}
		if end != nil {
			if !end.OK && !write(dockerError{Error: end.Error, Detail: errorDetail{Message: end.Error}, Hint: end.Hint}) {
				return
			}
			st.closeWith(websocket.CloseNormalClosure, t.Kind+" ended")
			return
		}
		select {
		case <-wake:
		case <-st.ping.C:
			if !st.pingNow() {
				return
			}
		case <-st.gone:
			return
		case <-r.Context().Done():
			return
		}
	}
}

// dockerError is how the Docker Engine API's JSON stream reports a failure.
type dockerError struct {
	Error  string      `json:"error"`
	Detail errorDetail `json:"errorDetail"`
	Hint   string      `json:"hint,omitempty"` // layerlab's, not Docker's
}

type errorDetail struct {
	Message string `json:"message"`
}
