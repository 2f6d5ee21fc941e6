package handlers

// The workspace feed (issue 14): a playground page learns at once that a build began
// in its workspace by any route (the Engine API's `docker build` from a terminal, the
// web terminal, the Build button of another tab) and follows it as it follows its own
// Build button's build: it opens the build's own stream (/ws/builds/{id}).
//
// One websocket per open page (/ws/workspace). The feed carries only announcements,
// never a build's events, so it costs a map entry and a parked goroutine per page:
// no goroutine of its own, a mutex over the subscribers, and a send that never waits
// (a page whose small buffer is full is dropped; its page reconnects and is told the
// running build again).

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
)

// Where a build was started from (buildRequest.Via); the page says so.
const (
	viaPage     = "page"     // the playground's Build button (POST /api/builds)
	viaTerminal = "terminal" // docker build in the page's web terminal
	viaEngine   = "engine"   // a docker CLI through the Engine API (POST /ws/<token>/build)
)

const (
	// feedBuffer is the announcements a page may fall behind before it is dropped: a
	// workspace runs one build at a time, so a page that misses more than this is
	// not reading at all.
	feedBuffer = 8
	// feedRemember bounds the announcements remembered for pages that connect while
	// the build runs; past it those of builds no longer running are forgotten.
	feedRemember = 256
	// feedNoWorkspace is the close code for a session with no stored workspace yet:
	// nothing can build in it, and the page tries again later.
	feedNoWorkspace = 4001
	// feedRefused is the close code after the refusal message (the watchers limit).
	feedRefused = 4029
)

// feedAnnounce is what the feed sends: a build began (or, to a page that connects
// while it runs, is running).
type feedAnnounce struct {
	// Type is "feed.open" (the first message of an admitted feed: the page is now told
	// of every build), "build.started", or "error" (refused: Error says why).
	Type    string `json:"type"`
	ID      string `json:"id,omitempty"`
	Via     string `json:"via,omitempty"`     // viaPage, viaTerminal, viaEngine; "" unknown
	Command string `json:"command,omitempty"` // the docker command line that does the same
	Error   string `json:"error,omitempty"`
}

// workspaceFeed holds the open feeds by workspace and the running builds'
// announcements. Its zero value is ready.
type workspaceFeed struct {
	mu    sync.Mutex
	subs  map[string]map[*feedSub]struct{} // by workspace name
	last  map[string]feedAnnounce          // by workspace: its latest build's announcement
	count map[string]int                   // open feeds by workspace (the watchers limit)
}

// feedSub is one open page's feed.
type feedSub struct {
	send    chan []byte
	dropped chan struct{} // closed (once, under workspaceFeed.mu) when it could not keep up
	gone    bool
}

// workspaceBuildStarted announces a build to the workspace's open pages. The runner
// calls it once the build is stored (so the page's stream finds it) and before it
// runs (so the page sees its first step). It never blocks.
func (s *Server) workspaceBuildStarted(workspace, id string, req buildRequest) {
	a := feedAnnounce{Type: "build.started", ID: id, Via: req.Via, Command: dockerBuildCommand(req)}
	msg, err := json.Marshal(a)
	if err != nil {
		s.log.Error("announce build", "build", id, "err", err)
		return
	}
	f := &s.feed
	f.mu.Lock()
	if f.last == nil {
		f.last = map[string]feedAnnounce{}
	}
	if len(f.last) >= feedRemember {
		for ws, old := range f.last {
			if !s.builds.isRunning(ws, old.ID) {
				delete(f.last, ws)
			}
		}
	}
	f.last[workspace] = a
	for sub := range f.subs[workspace] {
		select {
		case sub.send <- msg:
		default:
			f.dropLocked(sub) // too slow: its page reconnects and is told the running build
		}
	}
	f.mu.Unlock()
}

func (f *workspaceFeed) dropLocked(sub *feedSub) {
	if !sub.gone {
		sub.gone = true
		close(sub.dropped)
	}
}

// take counts one more open feed of the workspace, or refuses it when the workspace
// already has limit (Limits.WatchersPerWorkspace: a feed is one of the workspace's
// open event streams, beside its build streams and replays).
func (f *workspaceFeed) take(workspace string, limit int) (release func(), err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.count == nil {
		f.count = map[string]int{}
	}
	if f.count[workspace] >= limit {
		return nil, &httpError{http.StatusTooManyRequests, fmt.Sprintf(
			"too many live feeds in this workspace: the limit is %d open playground pages per workspace (--watchers-per-workspace); close other tabs of this playground and reload", limit)}
	}
	f.count[workspace]++
	var once sync.Once
	return func() {
		once.Do(func() {
			f.mu.Lock()
			defer f.mu.Unlock()
			if f.count[workspace]--; f.count[workspace] <= 0 {
				delete(f.count, workspace)
			}
		})
	}, nil
}

// subscribe adds a page's feed; its first message, if a build of the workspace is
// running, is that build's announcement (a page that connects, or reconnects, while a
// build runs follows it too).
func (s *Server) subscribeFeed(workspace string) (*feedSub, func()) {
	f := &s.feed
	sub := &feedSub{send: make(chan []byte, feedBuffer), dropped: make(chan struct{})}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.subs == nil {
		f.subs = map[string]map[*feedSub]struct{}{}
	}
	if f.subs[workspace] == nil {
		f.subs[workspace] = map[*feedSub]struct{}{}
	}
	f.subs[workspace][sub] = struct{}{}
	if a, ok := f.last[workspace]; ok && s.builds.isRunning(workspace, a.ID) {
		if msg, err := json.Marshal(a); err == nil {
			sub.send <- msg // a new channel has room
		}
	}
	return sub, func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		delete(f.subs[workspace], sub)
		if len(f.subs[workspace]) == 0 {
			delete(f.subs, workspace)
		}
	}
}

// isRunning reports whether the workspace's build id is running (not yet ended).
func (r *runner) isRunning(workspace, id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	rb := r.running[workspace]
	return rb != nil && rb.ID == id && !rb.ended.Load()
}

// workspaceFeedSocket is the page's feed (static/playground.js opens it): it sends
// each build's announcement as one JSON message and nothing else. The watchers limit
// is checked before anything is spent; past it the page is told why in a message
// (a refused handshake hides its reason from the browser) and the socket closed.
func (s *Server) workspaceFeedSocket(w http.ResponseWriter, r *http.Request) {
	if !sessionStored(r) {
		// A close frame rather than a refused handshake: the browser logs no error.
		if st := openStream(w, r); st != nil {
			st.closeWith(feedNoWorkspace, "no workspace yet")
			st.Close()
		}
		return
	}
	name := workspace(r).Name()
	release, err := s.feed.take(name, s.limits.WatchersPerWorkspace)
	if err != nil {
		_, msg, _ := status(err)
		if st := openStream(w, r); st != nil {
			if data, err := json.Marshal(feedAnnounce{Type: "error", Error: msg}); err == nil {
				st.send(data)
			}
			st.closeWith(feedRefused, "too many live feeds in this workspace")
			st.Close()
		}
		return
	}
	defer release()
	st := openStream(w, r)
	if st == nil {
		return
	}
	defer st.Close()
	sub, leave := s.subscribeFeed(name)
	defer leave()
	if !st.send([]byte(`{"type":"feed.open"}`)) {
		return
	}
	st.pump(r.Context(), sub.send, sub.dropped, s.builds.ctx.Done(), "fell behind: reconnect")
}
