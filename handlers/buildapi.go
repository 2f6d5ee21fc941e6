package handlers

import (
	"encoding/json"
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
}

func toBuildJSON(b *db.Build) buildJSON {
	return buildJSON{ID: b.ID, State: string(b.State), Tags: b.Tags, Image: b.Image.String(), Error: b.Error, Created: b.Created, Finished: b.Finished}
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

// buildEvents returns the stored events after a sequence number, as a JSON array.
func (s *Server) buildEvents(w http.ResponseWriter, r *http.Request) {
	after, err := afterParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	evs, err := workspace(r).Events(r.Context(), chi.URLParam(r, "id"), after)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write([]byte("["))
	for i, e := range evs {
		if i > 0 {
			w.Write([]byte(","))
		}
		w.Write(e)
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
// build's last event. A client that falls too far behind is dropped by the broadcaster and
// reconnects.
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
	st := openStream(w, r)
	if st == nil {
		return
	}
	defer st.Close()

	var c *client
	if b.State == db.BuildRunning {
		if c = s.broadcast.subscribe(id); c == nil {
			return
		}
		defer s.broadcast.unsubscribe(c)
	}
	send := st.send
	last := after
	ended := false
	stored, err := ws.Events(r.Context(), id, after)
	if err != nil {
		s.log.Error("replay build events", "build", id, "err", err)
		return
	}
	for _, data := range stored {
		seq, typ := peekEvent(data)
		if seq <= last {
			continue
		}
		if !send(data) {
			return
		}
		last = seq
		ended = ended || typ == build.EventBuildDone || typ == build.EventBuildFailed
	}
	closeWith := st.closeWith
	if ended || c == nil {
		closeWith(websocket.CloseNormalClosure, "build ended")
		return
	}
	for {
		select {
		case e, ok := <-c.send:
			if !ok {
				// Dropped as too slow, or the server is stopping: the browser reconnects
				// with ?after=<last> and catches up from the store.
				closeWith(websocket.CloseTryAgainLater, "reconnect")
				return
			}
			if e.seq <= last {
				continue
			}
			if !send(e.data) {
				return
			}
			last = e.seq
			if e.last {
				closeWith(websocket.CloseNormalClosure, "build ended")
				return
			}
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
