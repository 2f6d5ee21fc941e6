package handlers

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"layerlab/db"
	"layerlab/engine/build"
)

// dialBuild opens a build's websocket on the server at base with the browser's cookies.
func (b *browser) dialBuild(base, id string, after int64) (*websocket.Conn, *http.Response, error) {
	b.t.Helper()
	b.token()
	h := http.Header{"Origin": {base}}
	req, _ := http.NewRequest(http.MethodGet, base, nil)
	for _, c := range b.client.Jar.Cookies(req.URL) {
		h.Add("Cookie", c.Name+"="+c.Value)
	}
	u := "ws" + strings.TrimPrefix(base, "http") + "/ws/builds/" + id + "?after=" + fmt.Sprint(after)
	return websocket.DefaultDialer.Dial(u, h)
}

// readAll reads a websocket's messages until the server closes it, and how it closed.
func readAll(t *testing.T, conn *websocket.Conn) ([][]byte, error) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	var msgs [][]byte
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			return msgs, err
		}
		msgs = append(msgs, data)
	}
}

// startBuild puts dockerfile in the browser's context and starts a build of it.
func (b *browser) startBuild(dockerfile string) string {
	b.t.Helper()
	b.setContext(map[string]string{"Dockerfile": dockerfile})
	var res struct {
		ID string `json:"id"`
	}
	b.postJSON("/api/builds", map[string]any{}).wantCode(http.StatusAccepted).json(&res)
	return res.ID
}

// waitBuild waits for a build to end and returns it as the API shows it.
func (b *browser) waitBuild(id string) buildJSON {
	b.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var bj buildJSON
		b.get("/api/builds/" + id).wantCode(http.StatusOK).json(&bj)
		if bj.State != string(db.BuildRunning) {
			return bj
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("build %s still running", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// chunkRows counts the rows a build's events are stored in.
func chunkRows(t *testing.T, st *db.Store, id string) int {
	t.Helper()
	d, err := sql.Open("sqlite3", "file:"+filepath.Join(st.Dir(), "layerlab.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var n int
	if err := d.QueryRow(`SELECT count(*) FROM build_event_chunks WHERE build = ?`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestBuildLogStoredInChunks: a step printing 32,768 lines is stored in a few rows,
// and the websocket and GET /api/builds/ID/events both give every event, one message
// (one array element) per event with seq 1, 2, 3 ..., as before chunks; a replay
// after any seq gives the rest.
func TestBuildLogStoredInChunks(t *testing.T) {
	env := newTestServer(t)
	b := env.browser
	const lines = 32768
	id := b.startBuild("FROM busybox\nRUN yes | head -c 65536\n")
	conn, _, err := b.dialBuild(env.HTTP.URL, id, 0)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := readAll(t, conn)
	conn.Close()
	if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Fatalf("the websocket ended with %v, want a normal close after the build's end", err)
	}
	if bj := b.waitBuild(id); bj.State != string(db.BuildSucceeded) {
		t.Fatalf("build %+v", bj)
	}
	logs := 0
	for i, m := range msgs {
		var e build.Event
		if err := json.Unmarshal(m, &e); err != nil {
			t.Fatal(err)
		}
		if e.Seq != int64(i+1) {
			t.Fatalf("message %d has seq %d", i, e.Seq)
		}
		if e.Type == build.EventStepLog && e.Text == "y" {
			logs++
		}
	}
	if logs != lines || !strings.Contains(string(msgs[len(msgs)-1]), `"type":"build.done"`) {
		t.Errorf("the websocket gave %d log lines of y, last %s; want %d and build.done", logs, msgs[len(msgs)-1], lines)
	}
	rows := chunkRows(t, env.Store, id)
	t.Logf("%d events in %d rows", len(msgs), rows)
	if rows > 100 {
		t.Errorf("%d events stored in %d rows; want chunks (a few dozen rows)", len(msgs), rows)
	}
	for _, after := range []int{0, 1, 20000, len(msgs) - 1, len(msgs)} {
		var got []json.RawMessage
		b.get(fmt.Sprintf("/api/builds/%s/events?after=%d", id, after)).wantCode(http.StatusOK).json(&got)
		if len(got) != len(msgs)-after {
			t.Errorf("after %d: %d events, want %d", after, len(got), len(msgs)-after)
			continue
		}
		for i := range got {
			if string(got[i]) != string(msgs[after+i]) {
				t.Errorf("after %d: event %d is %s, the websocket gave %s", after, i, got[i], msgs[after+i])
				break
			}
		}
	}
	// A websocket resuming mid-log gets the rest, from the next seq.
	conn, _, err = b.dialBuild(env.HTTP.URL, id, 12345)
	if err != nil {
		t.Fatal(err)
	}
	rest, _ := readAll(t, conn)
	conn.Close()
	if len(rest) != len(msgs)-12345 || string(rest[0]) != string(msgs[12345]) {
		t.Errorf("resuming after 12345: %d events, want %d", len(rest), len(msgs)-12345)
	}
}

func TestWatchLimits(t *testing.T) {
	tests := []struct {
		name         string
		perBuild     int
		perWorkspace int
		open         int // watchers of one running build that are accepted
		wantMsg      string
	}{
		{name: "per build", perBuild: 2, perWorkspace: 10, open: 2, wantMsg: "the limit is 2 open event streams (pages, replays) per build"},
		{name: "per workspace", perBuild: 10, perWorkspace: 3, open: 3, wantMsg: "the limit is 3 open event streams (pages, replays) per workspace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestServer(t, func(d *Deps) {
				d.Limits.WatchersPerBuild, d.Limits.WatchersPerWorkspace = tt.perBuild, tt.perWorkspace
			})
			b := env.browser
			id := b.startBuild("FROM busybox\nRUN echo start\nRUN while :; do :; done\n")
			defer b.postJSON("/api/builds/"+id+"/cancel", nil)
			var conns []*websocket.Conn
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			for i := range tt.open {
				conn, res, err := b.dialBuild(env.HTTP.URL, id, 0)
				if err != nil {
					t.Fatalf("watcher %d of %d refused: %v %v", i+1, tt.open, res.Status, err)
				}
				conns = append(conns, conn)
			}
			// Past the limit: the handshake is refused with 429 and a JSON error, and a
			// replay too.
			_, res, err := b.dialBuild(env.HTTP.URL, id, 0)
			if err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests {
				t.Fatalf("watcher %d: %v, want 429", tt.open+1, err)
			}
			body, _ := io.ReadAll(res.Body)
			var msg struct{ Error string }
			if json.Unmarshal(body, &msg); !strings.Contains(msg.Error, tt.wantMsg) {
				t.Errorf("refusal %s; want a JSON error with %q", body, tt.wantMsg)
			}
			r := b.get("/api/builds/" + id + "/events")
			if r.Code != http.StatusTooManyRequests || !strings.Contains(r.Body, tt.wantMsg) {
				t.Errorf("replay past the limit: %d %s", r.Code, r.Body)
			}
			// Closing one lets the next in.
			conns[0].Close()
			conns = conns[1:]
			deadline := time.Now().Add(10 * time.Second)
			for {
				conn, _, err := b.dialBuild(env.HTTP.URL, id, 0)
				if err == nil {
					conns = append(conns, conn)
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("a watcher is still refused after one closed: %v", err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

// TestWatchCounts: the broadcaster's count of watchers, at and past each bound, and
// released once however often release is called.
func TestWatchCounts(t *testing.T) {
	h := newBroadcaster()
	defer h.close()
	type watcher struct{ ws, build string }
	steps := []struct {
		name    string
		w       watcher
		wantErr string
	}{
		{name: "first of b1", w: watcher{"alice", "b1"}},
		{name: "second of b1: at the build's bound", w: watcher{"alice", "b1"}},
		{name: "third of b1: past it", w: watcher{"alice", "b1"}, wantErr: "the limit is 2 open event streams (pages, replays) per build"},
		{name: "b2: at the workspace's bound", w: watcher{"alice", "b2"}},
		{name: "b3: past the workspace's bound", w: watcher{"alice", "b3"}, wantErr: "the limit is 3 open event streams (pages, replays) per workspace"},
		{name: "another workspace", w: watcher{"bob", "b4"}},
	}
	var releases []func()
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			release, err := h.watch(st.w.ws, st.w.build, 2, 3)
			if st.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				releases = append(releases, release)
				return
			}
			if code, msg, _ := status(err); code != http.StatusTooManyRequests || !strings.Contains(msg, st.wantErr) {
				t.Errorf("got %d %q, want 429 %q", code, msg, st.wantErr)
			}
		})
	}
	releases[0]()
	releases[0]() // twice: counted once
	if _, err := h.watch("alice", "b3", 2, 3); err != nil {
		t.Errorf("after one release: %v", err)
	}
	if _, err := h.watch("alice", "b1", 2, 3); err == nil {
		t.Error("a second release freed a second place")
	}
}

// TestKeepBuilds: a workspace keeps its last KeepBuilds builds; older ones and their
// events are deleted when a new build starts.
func TestKeepBuilds(t *testing.T) {
	env := newTestServer(t, func(d *Deps) { d.Limits.KeepBuilds = 2 })
	b := env.browser
	var ids []string
	for i := range 3 {
		id := b.startBuild(fmt.Sprintf("FROM busybox\nRUN echo %d\n", i))
		if bj := b.waitBuild(id); bj.State != string(db.BuildSucceeded) {
			t.Fatalf("build %d: %+v", i, bj)
		}
		ids = append(ids, id)
	}
	var list struct{ Builds []buildJSON }
	b.get("/api/builds").wantCode(http.StatusOK).json(&list)
	var got []string
	for _, bj := range list.Builds {
		got = append(got, bj.ID)
	}
	if want := []string{ids[2], ids[1]}; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("builds %v, want the last two %v", got, want)
	}
	b.get("/api/builds/" + ids[0] + "/events").wantCode(http.StatusNotFound)
	if rows := chunkRows(t, env.Store, ids[0]); rows != 0 {
		t.Errorf("the trimmed build keeps %d rows of events", rows)
	}
}

// TestInterruptedBuildFailedAtStart: a build the store has as running when a server
// starts (the last one was killed mid-build) is failed with the reason; a watcher
// replays its events and the end, and the websocket closes; cancel says it is not
// running.
func TestInterruptedBuildFailedAtStart(t *testing.T) {
	env := newTestServer(t)
	b := env.browser
	ws := b.workspace()
	ctx := context.Background()
	rec, err := ws.CreateBuild(ctx, "FROM busybox\nRUN echo hi\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	started, _ := json.Marshal(build.Event{Seq: 1, Build: rec.ID, Type: build.EventBuildStarted, Steps: 2})
	if err := ws.AppendEvent(ctx, rec.ID, 1, started); err != nil {
		t.Fatal(err)
	}
	// The restart: a new server over the same store.
	srv := New(Deps{Store: env.Store, Log: env.Server.log})
	hs := httptest.NewServer(srv)
	defer func() {
		hs.Close()
		srv.Close(ctx)
	}()

	var bj buildJSON
	res, err := b.client.Get(hs.URL + "/api/builds/" + rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(res.Body).Decode(&bj)
	res.Body.Close()
	if bj.State != string(db.BuildFailed) || bj.Error != interruptedReason {
		t.Errorf("after the restart the build is %s (%q), want failed (%q)", bj.State, bj.Error, interruptedReason)
	}
	conn, _, err := b.dialBuild(hs.URL, rec.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := readAll(t, conn)
	conn.Close()
	if !websocket.IsCloseError(err, websocket.CloseNormalClosure) || len(msgs) != 2 {
		t.Fatalf("the watcher got %d events and %v, want 2 and a normal close", len(msgs), err)
	}
	var end build.Event
	json.Unmarshal(msgs[1], &end)
	if end.Seq != 2 || end.Type != build.EventBuildFailed || end.Error != interruptedReason {
		t.Errorf("the watcher's last event %+v, want build.failed seq 2 with the reason", end)
	}
	req, _ := http.NewRequest(http.MethodPost, hs.URL+"/api/builds/"+rec.ID+"/cancel", nil)
	req.Header.Set("X-CSRF-Token", b.token())
	req.Header.Set("Accept", "application/json")
	res, err = b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusConflict {
		t.Errorf("cancel: %d, want 409 (not running)", res.StatusCode)
	}
}

func TestMarshalEventBounds(t *testing.T) {
	long := strings.Repeat("\x01", db.MaxEventBytes) // JSON escapes each byte as \u0001
	tests := []struct {
		name    string
		e       build.Event
		wantCut bool
	}{
		{name: "a short line", e: build.Event{Type: build.EventStepLog, Text: "y"}},
		{name: "a line at the bound", e: build.Event{Type: build.EventStepLog, Text: strings.Repeat("a", maxEventBytes)}},
		{name: "a line past it", e: build.Event{Type: build.EventStepLog, Text: strings.Repeat("a", maxEventBytes+1)}, wantCut: true},
		{name: "an error whose JSON passes the store's bound", e: build.Event{Type: build.EventBuildFailed, Error: long}, wantCut: true},
		{name: "an instruction whose JSON passes it", e: build.Event{Type: build.EventStepStarted, Instruction: long}, wantCut: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := marshalEvent(tt.e)
			if err != nil {
				t.Fatal(err)
			}
			if len(data) > db.MaxEventBytes {
				t.Errorf("%d bytes, past the store's bound %d", len(data), db.MaxEventBytes)
			}
			if cut := strings.Contains(string(data), "(line cut)") || strings.Contains(string(data), "(cut)"); cut != tt.wantCut {
				t.Errorf("cut %v, want %v", cut, tt.wantCut)
			}
		})
	}
}

// TestWatcherDroppedCatchesUp: a watcher that falls behind the live events by more
// than its buffer (here: one that stops reading while 25 MB of log goes by) is dropped
// by the broadcaster, and its websocket catches up from the store on the same
// connection: every event once, in order, then the end and a normal close.
func TestWatcherDroppedCatchesUp(t *testing.T) {
	env := newTestServer(t)
	b := env.browser
	ws := b.workspace()
	ctx := context.Background()
	rec, err := ws.CreateBuild(ctx, "FROM busybox\n", nil) // running, as far as watchers know
	if err != nil {
		t.Fatal(err)
	}
	conn, _, err := b.dialBuild(env.HTTP.URL, rec.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	const n = 400
	line := strings.Repeat("y", 64<<10)
	publish := func(e build.Event) {
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		if err := ws.AppendEvent(ctx, rec.ID, e.Seq, data); err != nil {
			t.Fatal(err)
		}
		env.Server.broadcast.publish(event{build: rec.ID, first: e.Seq, data: [][]byte{data}, last: e.Type == build.EventBuildFailed})
	}
	// Wait for the watcher's subscription: its first live event arrives.
	publish(build.Event{Seq: 1, Build: rec.ID, Type: build.EventBuildStarted, Steps: 1})
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, data, err := conn.ReadMessage(); err != nil || !strings.Contains(string(data), `"seq":1,`) {
		t.Fatalf("first event: %s, %v", data, err)
	}
	for seq := int64(2); seq <= n; seq++ {
		publish(build.Event{Seq: seq, Build: rec.ID, Type: build.EventStepLog, Step: 1, Text: line})
	}
	time.Sleep(300 * time.Millisecond) // not reading: the socket's buffers fill, then the client's
	if err := ws.FinishBuild(ctx, rec.ID, db.BuildFailed, "", "stop"); err != nil {
		t.Fatal(err)
	}
	publish(build.Event{Seq: n + 1, Build: rec.ID, Type: build.EventBuildFailed, Error: "stop"})
	msgs, err := readAll(t, conn)
	if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
		t.Errorf("the websocket ended with %v after %d events, want a normal close after the build's end", err, len(msgs))
	}
	for i, m := range msgs {
		if want := fmt.Sprintf(`"seq":%d,`, i+2); !strings.Contains(string(m[:min(len(m), 40)]), want) {
			t.Fatalf("message %d: %.60s; want seq %d (every event once, in order)", i, m, i+2)
		}
	}
	if len(msgs) != n {
		t.Errorf("got events 2..%d, want 2..%d", len(msgs)+1, n+1)
	}
}
