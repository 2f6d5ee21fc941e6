package handlers

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// readAnnounce reads the feed's next message (the deadline only keeps a broken feed
// from hanging the test).
func readAnnounce(t *testing.T, conn *websocket.Conn) feedAnnounce {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	_, data, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read the feed: %v", err)
	}
	var a feedAnnounce
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatalf("feed message %s: %v", data, err)
	}
	return a
}

func dialFeed(t *testing.T, b *browser) *websocket.Conn {
	t.Helper()
	conn, _, err := b.dial("/ws/workspace")
	if err != nil {
		t.Fatalf("dial /ws/workspace: %v", err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// dialOpenFeed is dialFeed once the feed has said it is open.
func dialOpenFeed(t *testing.T, b *browser) *websocket.Conn {
	t.Helper()
	conn := dialFeed(t, b)
	if a := readAnnounce(t, conn); a.Type != "feed.open" {
		t.Fatalf("the feed's first message is %+v, want feed.open", a)
	}
	return conn
}

// TestWorkspaceFeedAnnouncesBuilds: a page's feed is told of every build of its
// workspace, whichever route started it, with where it came from and the docker
// command; another workspace's builds are not announced to it.
func TestWorkspaceFeedAnnouncesBuilds(t *testing.T) {
	env := newTestServer(t)
	env.setContext(map[string]string{"Dockerfile": demoDockerfile, "main.py": demoMain})
	other := env.newBrowser()
	other.setContext(map[string]string{"Dockerfile": demoDockerfile, "main.py": demoMain})
	feed := dialOpenFeed(t, env.browser)
	otherFeed := dialOpenFeed(t, other)

	tests := []struct {
		name    string
		start   func(t *testing.T) string // starts a build, returns its ID
		via     string
		command string
	}{
		{"the Build button", func(t *testing.T) string {
			var res struct{ ID string }
			env.withT(t).postJSON("/api/builds", map[string]any{"tags": []string{"a:1"}}).wantCode(http.StatusAccepted).json(&res)
			if _, err := env.Server.builds.waitFor(env.workspace(), res.ID); err != nil {
				t.Fatal(err)
			}
			return res.ID
		}, viaPage, "docker build -t a:1 ."},
		{"the web terminal", func(t *testing.T) string {
			if got := term(env.withT(t), "docker build -t b:1 ."); got.ExitCode != 0 {
				t.Fatalf("terminal build: %+v", got)
			}
			bs, err := env.workspace().Builds(t.Context(), 1)
			if err != nil || len(bs) != 1 {
				t.Fatalf("builds = %v, %v", bs, err)
			}
			return bs[0].ID
		}, viaTerminal, "docker build -t b:1 ."},
		{"a docker CLI through the Engine API", func(t *testing.T) string {
			tar := contextTarOf(t, map[string]string{"Dockerfile": "FROM busybox\nRUN echo from a terminal\n"})
			if r := env.engineBuildPost(env.engineBase(env.workspace()), "t=c:1", tar); r.Code != http.StatusOK || !strings.Contains(r.Body, "Successfully tagged c:1") {
				t.Fatalf("POST /build: %d %s", r.Code, r.Body)
			}
			bs, err := env.workspace().Builds(t.Context(), 1)
			if err != nil || len(bs) != 1 {
				t.Fatalf("builds = %v, %v", bs, err)
			}
			return bs[0].ID
		}, viaEngine, "docker build -t c:1 ."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := tc.start(t)
			got := readAnnounce(t, feed)
			want := feedAnnounce{Type: "build.started", ID: id, Via: tc.via, Command: tc.command}
			if got != want {
				t.Errorf("announced %+v, want %+v", got, want)
			}
			// The build keeps where it came from (a reloaded page says so too).
			var bj buildJSON
			env.withT(t).get("/api/builds/" + id).wantCode(http.StatusOK).json(&bj)
			if bj.Via != tc.via {
				t.Errorf("GET /api/builds/%s: via %q, want %q", id, bj.Via, tc.via)
			}
		})
	}

	// The other workspace's feed got nothing of these; its own build it gets.
	var res struct{ ID string }
	other.postJSON("/api/builds", map[string]any{}).wantCode(http.StatusAccepted).json(&res)
	if got := readAnnounce(t, otherFeed); got.ID != res.ID {
		t.Errorf("the other workspace's feed got %+v first, want its own build %s", got, res.ID)
	}
}

// waitFor waits for the workspace's build id to end (tests).
func (r *runner) waitFor(ws interface{ Name() string }, id string) (bool, error) {
	r.mu.Lock()
	rb := r.running[ws.Name()]
	r.mu.Unlock()
	if rb == nil || rb.ID != id {
		return false, nil // ended and released already
	}
	<-rb.done
	return true, nil
}

// TestWorkspaceFeedTellsTheRunningBuild: a page that connects while a build runs is
// told of it first; once it has ended, a new page is told nothing.
func TestWorkspaceFeedTellsTheRunningBuild(t *testing.T) {
	env := newTestServer(t)
	env.setContext(map[string]string{"Dockerfile": demoDockerfile})
	name := env.workspace().Name()
	rb := &runningBuild{ID: "b-running", done: make(chan struct{})}
	r := env.Server.builds
	r.mu.Lock()
	r.running[name] = rb
	r.mu.Unlock()
	env.Server.workspaceBuildStarted(name, rb.ID, buildRequest{Via: viaEngine, Tags: []string{"x:1"}})

	conn := dialOpenFeed(t, env.browser)
	if got := readAnnounce(t, conn); got.ID != rb.ID || got.Via != viaEngine || got.Command != "docker build -t x:1 ." {
		t.Errorf("a page connecting while the build runs got %+v", got)
	}

	rb.ended.Store(true)
	sub, leave := env.Server.subscribeFeed(name)
	defer leave()
	select {
	case msg := <-sub.send:
		t.Errorf("a page connecting after the build ended was told %s", msg)
	default:
	}
}

// TestWorkspaceFeedDropsASlowPage: a page that does not read is dropped once its
// buffer is full; the build never waits for it.
func TestWorkspaceFeedDropsASlowPage(t *testing.T) {
	env := newTestServer(t)
	sub, leave := env.Server.subscribeFeed("ws-slow")
	defer leave()
	for i := range feedBuffer {
		env.Server.workspaceBuildStarted("ws-slow", "b"+itoa(i), buildRequest{})
	}
	select {
	case <-sub.dropped:
		t.Fatalf("dropped with %d announcements, the buffer holds %d", feedBuffer, feedBuffer)
	default:
	}
	env.Server.workspaceBuildStarted("ws-slow", "b-last", buildRequest{}) // returns at once
	select {
	case <-sub.dropped:
	default:
		t.Fatal("a page that cannot take an announcement is not dropped")
	}
}

// TestWorkspaceFeedLimit: a workspace's feeds count against WatchersPerWorkspace; at
// the bound they open, past it the page is told the limit and the socket closed.
func TestWorkspaceFeedLimit(t *testing.T) {
	env := newTestServer(t, func(d *Deps) { d.Limits.WatchersPerWorkspace = 2 })
	env.setContext(map[string]string{"Dockerfile": demoDockerfile})
	dialOpenFeed(t, env.browser)
	second := dialOpenFeed(t, env.browser)
	third := dialFeed(t, env.browser)
	got := readAnnounce(t, third)
	if got.Type != "error" || !strings.Contains(got.Error, "the limit is 2 open playground pages per workspace") {
		t.Errorf("past the limit the page got %+v", got)
	}
	_, _, err := third.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != feedRefused {
		t.Errorf("past the limit: %v, want close %d", err, feedRefused)
	}

	// One closed, one more opens (the count is released).
	second.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn := dialFeed(t, env.browser)
		a := readAnnounce(t, conn)
		if a.Type == "feed.open" {
			break // admitted
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatalf("no feed admitted after one closed: %+v", a)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestWorkspaceFeedNoWorkspace: a session with nothing stored is closed with 4001.
func TestWorkspaceFeedNoWorkspace(t *testing.T) {
	env := newTestServer(t)
	b := env.newBrowser()
	conn, _, err := b.dial("/ws/workspace")
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	_, _, err = conn.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != feedNoWorkspace {
		t.Errorf("got %v, want close %d", err, feedNoWorkspace)
	}
}
