package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/gorilla/websocket"

	"layerlab/db"
	"layerlab/engine/build"
)

func (s *Server) startBuild(w http.ResponseWriter, r *http.Request) {
	var req buildRequest
	if err := decodeJSON(w, r, 64<<10, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	var tags []string
	for _, t := range req.Tags {
		tags = append(tags, strings.Fields(t)...)
	}
	req.Tags = tags
	req.Via = viaPage
	rb, err := s.builds.start(workspace(r), req, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"id": rb.ID, "command": dockerBuildCommand(req)})
}

// dockerBuildCommand is the docker command line that does what req asks.
func dockerBuildCommand(req buildRequest) string {
	var b strings.Builder
	b.WriteString("docker build")
	for _, t := range req.Tags {
		b.WriteString(" -t " + shellQuote(t))
	}
	keys := make([]string, 0, len(req.BuildArgs))
	for k := range req.BuildArgs {
		keys = append(keys, k)
	}
	sortStrings(keys)
	for _, k := range keys {
		b.WriteString(" --build-arg " + shellQuote(k+"="+req.BuildArgs[k]))
	}
	if req.Target != "" {
		b.WriteString(" --target " + shellQuote(req.Target))
	}
	if req.NoCache {
		b.WriteString(" --no-cache")
	}
	if req.File != "" && req.File != "Dockerfile" {
		b.WriteString(" -f " + shellQuote(req.File))
	}
	b.WriteString(" .")
	return b.String()
}

// shellQuote quotes a word for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:=@%+,") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// buildJSON is a build as the page shows it.
type buildJSON struct {
	ID       string    `json:"id"`
	State    string    `json:"state"`
	Tags     []string  `json:"tags"`
	Image    string    `json:"image,omitempty"`
	Error    string    `json:"error,omitempty"`
	Created  time.Time `json:"created"`
	Finished time.Time `json:"finished,omitzero"`
	// Via is where the build was started from (workspacefeed.go's via*): a page does
	// not mark its editor's lines with the steps of a build whose Dockerfile a docker
	// CLI sent. "" for builds stored before it was recorded.
	Via string `json:"via,omitempty"`
}

func toBuildJSON(b *db.Build) buildJSON {
	var in struct {
		Via string `json:"via"`
	}
	_ = json.Unmarshal(b.Inputs, &in) // "{}" or older inputs: no via
	return buildJSON{ID: b.ID, State: string(b.State), Tags: b.Tags, Image: b.Image.String(), Error: b.Error, Created: b.Created, Finished: b.Finished, Via: in.Via}
}

func (s *Server) listBuilds(w http.ResponseWriter, r *http.Request) {
	bs, err := workspace(r).Builds(r.Context(), 20)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := []buildJSON{}
	for _, b := range bs {
		out = append(out, toBuildJSON(b))
	}
	writeJSON(w, http.StatusOK, map[string]any{"builds": out})
}

func (s *Server) getBuild(w http.ResponseWriter, r *http.Request) {
	b, err := workspace(r).Build(r.Context(), chi.URLParam(r, "id"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toBuildJSON(b))
}

func (s *Server) cancelBuild(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if !s.builds.cancel(workspace(r), id) {
		s.fail(w, r, errConflict("build "+id+" is not running"))
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"cancelled": id})
}

func afterParam(r *http.Request) (int64, error) {
	a := r.URL.Query().Get("after")
	if a == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(a, 10, 64)
	if err != nil || n < 0 {
		return 0, errBadRequest("after=" + a + ": give the last sequence number seen (0 for all)")
	}
	return n, nil
}

// buildEvents returns the stored events after a sequence number, as a JSON array. It
// streams them from the store a page at a time, each write with a deadline, so a long
// log is never held in memory and a client that does not read is let go. It counts as
// a watcher of the build.
func (s *Server) buildEvents(w http.ResponseWriter, r *http.Request) {
	ws, id := workspace(r), chi.URLParam(r, "id")
	after, err := afterParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := ws.Build(r.Context(), id); err != nil {
		s.fail(w, r, err)
		return
	}
	release, err := s.broadcast.watch(ws.Name(), id, s.limits.WatchersPerBuild, s.limits.WatchersPerWorkspace)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer release()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	sep := []byte("[")
	sinceDeadline := 0
	err = ws.EachEvent(r.Context(), id, after, func(_ int64, data []byte) error {
		if sinceDeadline == 0 {
			rc.SetWriteDeadline(time.Now().Add(wsWriteWait)) // not every writer has one (tests)
		}
		if _, err := w.Write(sep); err != nil {
			return err
		}
		sep = []byte(",")
		if _, err := w.Write(data); err != nil {
			return err
		}
		if sinceDeadline += len(data) + 1; sinceDeadline >= 256<<10 {
			sinceDeadline = 0
		}
		return nil
	})
	if err != nil {
		// The status is sent: the client sees a cut array (and the connection closed).
		s.log.Warn("replay build events", "build", id, "err", err)
		return
	}
	if sep[0] == '[' { // no event
		w.Write([]byte("[]\n"))
		return
	}
	w.Write([]byte("]\n"))
}

// Websocket limits: a client sends nothing but pongs and a close.
const (
	wsReadLimit  = 4 << 10
	wsPongWait   = 60 * time.Second
	wsPingPeriod = 25 * time.Second
	wsWriteWait  = 10 * time.Second
)

// upgrader keeps gorilla's default same-origin check: a handshake whose Origin is not
// this host gets 403.
var upgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 16 << 10}

// stream is a server-to-browser websocket: the browser sends nothing but pongs and a
// close, which a reader goroutine takes; gone closes when the connection ends.
type stream struct {
	conn *websocket.Conn
	gone chan struct{}
	ping *time.Ticker
}

// openStream upgrades the request, or returns nil when the upgrader has answered (403
// for another origin, 400 for a bad handshake). Close it when done.
func openStream(w http.ResponseWriter, r *http.Request) *stream {
	conn, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return nil
	}
	conn.SetReadLimit(wsReadLimit)
	conn.SetReadDeadline(time.Now().Add(wsPongWait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(wsPongWait)) })
	st := &stream{conn: conn, gone: make(chan struct{}), ping: time.NewTicker(wsPingPeriod)}
	go func() { // the reader: pongs and the close frame; any error ends the stream
		defer close(st.gone)
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	return st
}

func (st *stream) Close() {
	st.ping.Stop()
	st.conn.Close()
}

// send writes one text message.
func (st *stream) send(data []byte) bool {
	st.conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
	return st.conn.WriteMessage(websocket.TextMessage, data) == nil
}

// pingNow sends a ping (on st.ping's ticks); false when the connection is gone.
// pump sends each message of send until the client goes or ctx ends; when the sender
// drops this client for falling behind (dropped closes), the close frame says slow and
// asks it to reconnect; when the server stops (stopping closes), it says so. It pings
// the client meanwhile. The follow-the-teacher and workspace feeds use it.
func (st *stream) pump(ctx context.Context, send <-chan []byte, dropped, stopping <-chan struct{}, slow string) {
	for {
		select {
		case msg := <-send:
			if !st.send(msg) {
				return
			}
		case <-dropped:
			st.closeWith(websocket.CloseTryAgainLater, slow)
			return
		case <-st.ping.C:
			if !st.pingNow() {
				return
			}
		case <-st.gone:
			return
		case <-ctx.Done():
			return
		case <-stopping:
			st.closeWith(websocket.CloseGoingAway, "the server is stopping")
			return
		}
	}
}

func (st *stream) pingNow() bool {
	st.conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
	return st.conn.WriteMessage(websocket.PingMessage, nil) == nil
}

// closeWith sends a close frame.
func (st *stream) closeWith(code int, text string) {
	st.conn.SetWriteDeadline(time.Now().Add(wsWriteWait))
	st.conn.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(code, text))
}

// watchBuild streams a build's events over a websocket: it subscribes first, replays
// the stored events after ?after=N, then forwards live ones, skipping any it already
// sent, so a reconnecting browser loses and repeats nothing. It closes after the
// build's last event. A client that falls too far behind live events is dropped by
// the broadcaster: it is subscribed again and catches up from the store, a page at a
// time; one that does not read at all is let go when a write times out (wsWriteWait).
// A build's and a workspace's watchers are bounded (Limits.WatchersPerBuild and
// WatchersPerWorkspace): past them the handshake is refused with 429 and a JSON error
// that names the limit.
func (s *Server) watchBuild(w http.ResponseWriter, r *http.Request) {
	ws, id := workspace(r), chi.URLParam(r, "id")
	after, err := afterParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := ws.Build(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	release, err := s.broadcast.watch(ws.Name(), id, s.limits.WatchersPerBuild, s.limits.WatchersPerWorkspace)
	if err != nil {
		code, msg, _ := status(err)
		writeJSON(w, code, map[string]string{"error": msg}) // a handshake's answer: the page cannot read a close reason it never got
		return
	}
	defer release()
	st := openStream(w, r)
	if st == nil {
		return
	}
	defer st.Close()

	live := b.State == db.BuildRunning
	last := after
	for {
		var c *client
		if live {
			if c = s.broadcast.subscribe(id); c == nil {
				return
			}
		}
		ended, ok := s.replayEvents(r.Context(), st, ws, id, &last)
		if !ok {
			if c != nil {
				s.broadcast.unsubscribe(c)
			}
			return
		}
		if ended || c == nil {
			if c != nil {
				s.broadcast.unsubscribe(c)
			}
			st.closeWith(websocket.CloseNormalClosure, "build ended")
			return
		}
		dropped := s.followEvents(r.Context(), st, c, &last)
		s.broadcast.unsubscribe(c)
		if !dropped {
			return
		}
		// Dropped as too slow: subscribed again, it catches up from the store.
	}
}

// errGone stops a replay whose client has gone.
var errGone = errors.New("websocket closed")

// replayEvents sends the stored events after *last, a page at a time, advancing *last.
// ended: the build's last event was among them; ok false: the connection is gone.
func (s *Server) replayEvents(ctx context.Context, st *stream, ws *db.Workspace, id string, last *int64) (ended, ok bool) {
	err := ws.EachEvent(ctx, id, *last, func(seq int64, data []byte) error {
		select {
		case <-st.gone:
			return errGone
		case <-st.ping.C: // a long replay keeps the connection's pongs coming
			if !st.pingNow() {
				return errGone
			}
		default:
		}
		if !st.send(data) {
			return errGone
		}
		*last = seq
		ended = ended || isEndEvent(data)
		return nil
	})
	if err != nil {
		if !errors.Is(err, errGone) {
			s.log.Error("replay build events", "build", id, "err", err)
		}
		return false, false
	}
	return ended, true
}

// followEvents forwards a subscription's live events, skipping those at or before
// *last, until the build's last event (then it closes the websocket), the connection
// ends, or the broadcaster drops the client (dropped true).
func (s *Server) followEvents(ctx context.Context, st *stream, c *client, last *int64) (dropped bool) {
	for {
		select {
		case e, ok := <-c.send:
			if !ok {
				return true
			}
			for i, data := range e.data {
				seq := e.first + int64(i)
				if seq <= *last {
					continue
				}
				if !st.send(data) {
					return false
				}
				*last = seq
			}
			if e.last {
				st.closeWith(websocket.CloseNormalClosure, "build ended")
				return false
			}
		case <-st.ping.C:
			if !st.pingNow() {
				return false
			}
		case <-st.gone:
			return false
		case <-ctx.Done():
			return false
		}
	}
}

// isEndEvent reports whether an event is build.done or build.failed. Log lines, the
// bulk of a long replay, are told apart without decoding them.
func isEndEvent(data []byte) bool {
	if bytes.Contains(data, []byte(`"type":"step.log"`)) {
		return false
	}
	_, typ := peekEvent(data)
	return typ == build.EventBuildDone || typ == build.EventBuildFailed
}

// peekEvent reads an event's sequence number and type.
func peekEvent(data []byte) (int64, string) {
	var e struct {
		Seq  int64  `json:"seq"`
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &e); err != nil {
		return 0, ""
	}
	return e.Seq, e.Type
}

func itoa(n int) string { return strconv.Itoa(n) }

func sortStrings(s []string) { sort.Strings(s) }
