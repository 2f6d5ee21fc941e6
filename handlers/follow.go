package handlers

// Follow the teacher (issue 13, item 4): a student of a class opens /class/live and
// sees the teacher's workspace as it changes: the build context (read-only, a tab per
// file) and the teacher's builds as they run, and may copy the teacher's context into
// their own workspace.
//
// One websocket per follower (/ws/class/live). The followers of one teacher share a
// room: the room alone reads the teacher's files and subscribes to the teacher's
// running build in the broadcaster (one subscription for the whole class: a build
// admits only Limits.WatchersPerBuild watchers, 16 by default, against a class of
// 100), and fans each message out to its followers. A follower too slow to take a
// message is dropped, never waited for; its page reconnects and catches up.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"

	"layerlab/db"
	"layerlab/web"
)

// Follow bounds.
const (
	// maxFollowersPerClass bounds the open live views (websockets) of one class, and
	// apart from them the event replays of the teacher's builds its students run at
	// once.
	maxFollowersPerClass = 200
	// maxFollowersPerWorkspace bounds one workspace's open live views (tabs), and
	// apart from them its replays at once.
	maxFollowersPerWorkspace = 4
	// followBuffer is the messages a follower may fall behind before it is dropped.
	followBuffer = 64
	// followFileBytes is the largest file whose content the live view shows, and
	// followContextBytes the most content one files message carries: a teacher's
	// context may hold 16 MiB, and every save goes to the whole class. A file past
	// them is listed with its size and a note saying so.
	followFileBytes    = 256 << 10
	followContextBytes = 2 << 20
	// followEventsBytes is about the most event JSON one build message carries.
	followEventsBytes = 256 << 10
)

// copyNote is what "Copy into my workspace" does: Docker has no command for it.
const copyNote = "copies the teacher's Dockerfile and files into your build context (your images stay)"

// errNoClass is the answer to a workspace in no class (and no teacher of one).
func errNoClass() error {
	return errForbidden("you are in no class: join a class first (/join) with the code your teacher shows")
}

// followHub holds the rooms, one per teacher workspace with followers, and counts the
// followers. Its zero value is ready; the mutex guards everything but a room's own
// loop state.
type followHub struct {
	mu           sync.Mutex
	rooms        map[string]*followRoom // by the teacher's workspace
	perClass     map[string]int         // open views and replays by class key
	perWorkspace map[string]int         // by the follower's workspace
	// limitClass and limitWorkspace are the bounds (0: the constants); tests lower them.
	limitClass, limitWorkspace int
}

// followRoom is one teacher's followers and the loop that feeds them.
type followRoom struct {
	teacher   string
	followers map[*follower]struct{} // guarded by followHub.mu
	// filesMsg and buildMsg are the last files message and the current build's
	// header (its id, state and last sequence sent), guarded by followHub.mu: a
	// follower that joins gets them first, then what the room sends next.
	filesMsg, buildMsg []byte
	wakeFiles          chan struct{} // buffered 1: the teacher's files changed
	wakeBuild          chan struct{} // buffered 1: the teacher's builds changed
	stop               chan struct{} // closed when the last follower leaves
}

// follower is one open live view.
type follower struct {
	send    chan []byte   // messages, shared by every follower of the room
	dropped chan struct{} // closed (once) when it could not keep up
	once    sync.Once
}

func (f *follower) drop() { f.once.Do(func() { close(f.dropped) }) }

// followChanged tells the room following a teacher's workspace that its files or
// builds changed (classChanged calls it for every workspace). It never blocks and
// costs a map lookup when nobody follows the workspace: rooms exist only while a
// student follows, so no list of teachers is kept or read.
func (s *Server) followChanged(workspace, what string) {
	h := &s.follow
	h.mu.Lock()
	room := h.rooms[workspace]
	h.mu.Unlock()
	if room == nil {
		return
	}
	wake := room.wakeBuild
	if what == "files" {
		wake = room.wakeFiles
	} else if what != "build" {
		return
	}
	select {
	case wake <- struct{}{}:
	default: // a wake is pending: the room reads the latest state anyway
	}
}

// take counts one more live view (replay false) or event replay (replay true) of
// class key by workspace ws, or refuses it (429) naming the limit. Views and replays
// are counted apart: a page at the bound of views must still fetch what it missed.
func (h *followHub) take(replay bool, classKey, ws string) (release func(), err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.perClass == nil {
		h.perClass, h.perWorkspace = map[string]int{}, map[string]int{}
	}
	lc, lw := h.limitClass, h.limitWorkspace
	if lc <= 0 {
		lc = maxFollowersPerClass
	}
	if lw <= 0 {
		lw = maxFollowersPerWorkspace
	}
	what := "live views of the teacher"
	if replay {
		what = "replays of the teacher's build at once"
		classKey, ws = "replay "+classKey, "replay "+ws
	}
	if h.perWorkspace[ws] >= lw {
		return nil, &httpError{http.StatusTooManyRequests, fmt.Sprintf(
			"too many %s in this workspace: the limit is %d per workspace; close another tab following the teacher and reload", what, lw)}
	}
	if h.perClass[classKey] >= lc {
		return nil, &httpError{http.StatusTooManyRequests, fmt.Sprintf(
			"too many %s in this class: the limit is %d per class; close this page and watch the projector, or try again in a minute", what, lc)}
	}
	h.perClass[classKey]++
	h.perWorkspace[ws]++
	var once sync.Once
	return func() {
		once.Do(func() {
			h.mu.Lock()
			defer h.mu.Unlock()
			if h.perClass[classKey]--; h.perClass[classKey] <= 0 {
				delete(h.perClass, classKey)
			}
			if h.perWorkspace[ws]--; h.perWorkspace[ws] <= 0 {
				delete(h.perWorkspace, ws)
			}
		})
	}, nil
}

// join adds a follower to the teacher's room, starting the room if it is the first;
// the follower first gets the room's last files and build messages. leave removes it
// and stops the room after the last one.
func (s *Server) joinRoom(teacher string) (*follower, func()) {
	h := &s.follow
	f := &follower{send: make(chan []byte, followBuffer), dropped: make(chan struct{})}
	h.mu.Lock()
	if h.rooms == nil {
		h.rooms = map[string]*followRoom{}
	}
	room := h.rooms[teacher]
	if room == nil {
		room = &followRoom{teacher: teacher, followers: map[*follower]struct{}{},
			wakeFiles: make(chan struct{}, 1), wakeBuild: make(chan struct{}, 1), stop: make(chan struct{})}
		h.rooms[teacher] = room
		go s.runRoom(room)
	}
	room.followers[f] = struct{}{}
	for _, m := range [][]byte{room.filesMsg, room.buildMsg} {
		if m != nil {
			f.send <- m // a new channel has room for two
		}
	}
	h.mu.Unlock()
	return f, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(room.followers, f)
		if len(room.followers) == 0 && h.rooms[teacher] == room {
			delete(h.rooms, teacher)
			close(room.stop)
		}
	}
}

// fanout sends a message to every follower of the room, dropping those whose buffer
// is full. cache, if not nil, is set to msg first (under the same lock, so a follower
// joining now gets either the cached message or the fanned-out one, never neither).
func (h *followHub) fanout(room *followRoom, msg []byte, cache *[]byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cache != nil {
		*cache = msg
	}
	for f := range room.followers {
		select {
		case f.send <- msg:
		default:
			f.drop() // too slow: its page reconnects and gets the state again
		}
	}
}

// followFile is one file of the teacher's context as the live view shows it.
type followFile struct {
	Path    string `json:"path"`
	Size    int64  `json:"size"`
	Text    bool   `json:"text"`
	Content string `json:"content,omitempty"`
	// Omitted says why a text file's content is not shown.
	Omitted string `json:"omitted,omitempty"`
}

// filesMessage is the teacher's context, the Dockerfile first, as one websocket
// message; changed names the files that differ from prev (the page opens the last).
func filesMessage(files []db.ContextFile, prev map[string][]byte) ([]byte, map[string][]byte, error) {
	sort.SliceStable(files, func(i, j int) bool {
		if (files[i].Path == "Dockerfile") != (files[j].Path == "Dockerfile") {
			return files[i].Path == "Dockerfile"
		}
		return files[i].Path < files[j].Path
	})
	out := make([]followFile, 0, len(files))
	var changed []string
	cur := make(map[string][]byte, len(files))
	budget := followContextBytes
	for _, f := range files {
		cur[f.Path] = f.Data
		if old, ok := prev[f.Path]; prev != nil && (!ok || !bytes.Equal(old, f.Data)) {
			changed = append(changed, f.Path)
		}
		j := followFile{Path: f.Path, Size: int64(len(f.Data)), Text: isText(f.Data)}
		switch {
		case !j.Text:
		case len(f.Data) > followFileBytes:
			j.Omitted = fmt.Sprintf("%s: the live view shows files up to %s; copy into your workspace to open it", humanBytes(j.Size), humanBytes(followFileBytes))
		case len(f.Data) > budget:
			j.Omitted = fmt.Sprintf("not shown: the live view sends up to %s of the teacher's files at a time; copy into your workspace to open it", humanBytes(followContextBytes))
		default:
			j.Content = string(f.Data)
			budget -= len(f.Data)
		}
		out = append(out, j)
	}
	msg, err := json.Marshal(map[string]any{"type": "files", "files": out, "changed": changed})
	if err != nil {
		return nil, nil, fmt.Errorf("files message: %w", err)
	}
	return msg, cur, nil
}

// buildMessage is a run of a build's stored events (raw JSON) with the build's id,
// state and the last sequence number the room has sent.
func buildMessage(b *db.Build, last int64, events []json.RawMessage) ([]byte, error) {
	if events == nil {
		events = []json.RawMessage{}
	}
	var in buildInputs // the options it was given, for the docker command that does the same
	if len(b.Inputs) > 0 {
		_ = json.Unmarshal(b.Inputs, &in) // an older build without them shows its tags only
	}
	cmd := dockerBuildCommand(buildRequest{Tags: b.Tags, BuildArgs: in.Args, Target: in.Target, NoCache: in.NoCache, File: in.File})
	msg, err := json.Marshal(map[string]any{"type": "build", "id": b.ID, "state": string(b.State), "last": last,
		"command": cmd, "created": b.Created, "events": events})
	if err != nil {
		return nil, fmt.Errorf("build message: %w", err)
	}
	return msg, nil
}

// runRoom feeds a teacher's room until its last follower leaves or the server stops.
// It alone reads the teacher's workspace for the room, and it holds at most one
// subscription to the broadcaster: the teacher's running build.
func (s *Server) runRoom(room *followRoom) {
	h := &s.follow
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-room.stop:
		case <-s.broadcast.done:
		}
		cancel()
	}()
	ws, err := s.store.UnstoredWorkspace(room.teacher) // reads only
	if err != nil {
		s.log.Error("follow room", "teacher", room.teacher, "err", err)
		return
	}
	var (
		prevFiles map[string][]byte
		cur       *db.Build // the teacher's newest build, nil before the first
		last      int64     // the last of cur's events sent
		sub       *client   // the broadcaster's events of cur while it runs
	)
	defer func() {
		if sub != nil {
			s.broadcast.unsubscribe(sub)
		}
	}()
	loadFiles := func() {
		files, err := ws.ContextFiles(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("follow: teacher's files", "teacher", room.teacher, "err", err)
			}
			return
		}
		msg, next, err := filesMessage(files, prevFiles)
		if err != nil {
			s.log.Error("follow", "err", err)
			return
		}
		h.mu.Lock()
		same := bytes.Equal(room.filesMsg, msg)
		h.mu.Unlock()
		prevFiles = next
		if !same {
			h.fanout(room, msg, &room.filesMsg)
		}
	}
	// header sends cur's id, state and last sequence (the page fetches what it lacks).
	header := func() {
		if msg, err := buildMessage(cur, last, nil); err == nil {
			h.fanout(room, msg, &room.buildMsg)
		}
	}
	// catchUp sends cur's stored events after last, in runs of about followEventsBytes.
	catchUp := func() {
		var run []json.RawMessage
		size := 0
		flush := func() {
			if len(run) == 0 {
				return
			}
			if msg, err := buildMessage(cur, last, run); err == nil {
				h.fanout(room, msg, nil)
			}
			run, size = nil, 0
		}
		err := ws.EachEvent(ctx, cur.ID, last, func(seq int64, data []byte) error {
			run = append(run, json.RawMessage(bytes.Clone(data)))
			size += len(data)
			last = seq
			if size >= followEventsBytes {
				flush()
			}
			return nil
		})
		flush()
		if err != nil && ctx.Err() == nil {
			s.log.Error("follow: teacher's build events", "build", cur.ID, "err", err)
		}
	}
	// loadBuild finds the teacher's newest build; a new one is announced, a running
	// one subscribed to (before its stored events are read, so none falls between).
	loadBuild := func() {
		bs, err := ws.Builds(ctx, 1)
		if err != nil {
			if ctx.Err() == nil {
				s.log.Error("follow: teacher's builds", "teacher", room.teacher, "err", err)
			}
			return
		}
		if len(bs) == 0 {
			if cur != nil { // the teacher's builds were removed (a reset): say so
				if sub != nil {
					s.broadcast.unsubscribe(sub)
					sub = nil
				}
				cur, last = nil, 0
				h.fanout(room, []byte(`{"type":"build","id":""}`), &room.buildMsg)
			}
			return
		}
		b := bs[0]
		if cur == nil || b.ID != cur.ID {
			if sub != nil {
				s.broadcast.unsubscribe(sub)
				sub = nil
			}
			cur, last = b, 0
		}
		cur = b
		if b.State == db.BuildRunning && sub == nil {
			if sub = s.broadcast.subscribe(b.ID); sub == nil {
				return // the server is stopping
			}
		}
		if sub != nil || last == 0 {
			catchUp()
		}
		header()
	}
	loadFiles()
	loadBuild()
	for {
		var live chan event
		if sub != nil {
			live = sub.send
		}
		select {
		case <-ctx.Done():
			return
		case <-room.wakeFiles:
			loadFiles()
		case <-room.wakeBuild:
			loadBuild()
		case e, ok := <-live:
			if !ok { // dropped by the broadcaster as too slow: subscribe again, catch up
				sub = nil
				loadBuild()
				continue
			}
			var run []json.RawMessage
			for i, data := range e.data {
				if seq := e.first + int64(i); seq > last {
					run = append(run, json.RawMessage(data))
					last = seq
				}
			}
			if e.last {
				s.broadcast.unsubscribe(sub)
				sub = nil
				if b, err := ws.Build(ctx, cur.ID); err == nil {
					cur = b // its end state and time
				}
			}
			if len(run) > 0 {
				if msg, err := buildMessage(cur, last, run); err == nil {
					h.fanout(room, msg, nil)
				}
			}
			if e.last {
				header()
			}
		}
	}
}

// followRoutes are the live view's page, websocket, replay and copy.
func (s *Server) followRoutes(r chi.Router) {
	r.Get("/class/live", s.followPage)
	r.Get("/ws/class/live", s.followSocket)
	r.Get("/api/class/builds/{id}/events", s.teacherBuildEvents)
	r.Post("/api/class/copy-teacher", s.copyTeacher)
}

// followed is whom a workspace follows.
type followed struct {
	Teacher   string // the teacher's workspace
	ClassKey  string // what followers are counted by: the class, or the teacher's own views
	ClassName string
	IsTeacher bool // the requester is the teacher (it follows its own workspace)
}

// whomToFollow finds the teacher a workspace follows: a student follows its class's
// teacher, a teacher its own workspace. A class asked for (?class=ID) must be the
// student's own, or one of the teacher's.
func (s *Server) whomToFollow(r *http.Request) (followed, error) {
	ctx, ws := r.Context(), workspace(r)
	want := r.URL.Query().Get("class")
	m, err := s.store.MemberOf(ctx, ws.Name())
	switch {
	case err == nil:
		c, err := s.store.Class(ctx, m.Class)
		if err != nil {
			return followed{}, fmt.Errorf("follow: class of %s: %w", ws.Name(), err)
		}
		if want != "" && want != c.ID {
			return followed{}, errForbidden(fmt.Sprintf("you are a student of the class %q: you can follow only your own class's teacher", c.Name))
		}
		return followed{Teacher: c.Teacher, ClassKey: c.ID, ClassName: c.Name}, nil
	case !errors.Is(err, db.ErrNotFound):
		return followed{}, fmt.Errorf("follow: membership of %s: %w", ws.Name(), err)
	}
	cs, err := s.store.ClassesOf(ctx, ws.Name())
	if err != nil {
		return followed{}, fmt.Errorf("follow: classes of %s: %w", ws.Name(), err)
	}
	if len(cs) == 0 {
		return followed{}, errNoClass()
	}
	// The session's workspace is the classes' teacher: it watches its own live view.
	f := followed{Teacher: ws.Name(), ClassKey: "teacher:" + ws.Name(), ClassName: cs[0].Name, IsTeacher: true}
	if want != "" {
		found := false
		for _, c := range cs {
			if c.ID == want {
				found, f.ClassName = true, c.Name
			}
		}
		if !found {
			return followed{}, errForbidden("this class belongs to another teacher")
		}
	}
	return f, nil
}

// followPage is the live view's frame; follow.js fills it from the websocket.
func (s *Server) followPage(w http.ResponseWriter, r *http.Request) {
	f, err := s.whomToFollow(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	v := web.FollowView{ClassName: f.ClassName, IsTeacher: f.IsTeacher, CopyNote: copyNote}
	web.FollowPage(s.page(r, "Follow the teacher", "follow"), v).Render(r.Context(), w)
}

// followSocket is one follower's websocket: the room's messages, and pings. Refused
// (429, before the upgrade) past the followers' bounds.
func (s *Server) followSocket(w http.ResponseWriter, r *http.Request) {
	f, err := s.whomToFollow(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	release, err := s.follow.take(false, f.ClassKey, workspace(r).Name())
	if err != nil {
		code, msg, _ := status(err)
		writeJSON(w, code, map[string]string{"error": msg}) // a handshake's answer
		return
	}
	defer release()
	st := openStream(w, r)
	if st == nil {
		return
	}
	defer st.Close()
	fl, leave := s.joinRoom(f.Teacher)
	defer leave()
	st.pump(r.Context(), fl.send, fl.dropped, s.broadcast.done, "too slow: reconnect")
}

// teacherBuildEvents returns the stored events of a build of the teacher the
// requester follows, after ?after=N, as a JSON array (as /api/builds/{id}/events does
// for one's own builds). A build of anyone else is not found. Replays count against
// the followers' bounds, not the build's watchers.
func (s *Server) teacherBuildEvents(w http.ResponseWriter, r *http.Request) {
	f, err := s.whomToFollow(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id := chi.URLParam(r, "id")
	after, err := afterParam(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	tws, err := s.store.UnstoredWorkspace(f.Teacher)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, err := tws.Build(r.Context(), id); err != nil {
		if errors.Is(err, db.ErrNotFound) {
			err = errNotFound(fmt.Sprintf("build %s is not one of your teacher's builds", id))
		}
		s.fail(w, r, err)
		return
	}
	release, err := s.follow.take(true, f.ClassKey, workspace(r).Name())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer release()
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	sep := []byte("[")
	written := 0
	err = tws.EachEvent(r.Context(), id, after, func(_ int64, data []byte) error {
		if written == 0 {
			rc.SetWriteDeadline(time.Now().Add(wsWriteWait)) // a client that does not read is let go
		}
		if _, err := w.Write(sep); err != nil {
			return err
		}
		sep = []byte(",")
		if _, err := w.Write(data); err != nil {
			return err
		}
		if written += len(data) + 1; written >= 256<<10 {
			written = 0
		}
		return nil
	})
	if err != nil {
		s.log.Warn("replay teacher's build events", "build", id, "err", err)
		return
	}
	if sep[0] == '[' {
		w.Write([]byte("[]\n"))
		return
	}
	w.Write([]byte("]\n"))
}

// copyTeacher makes the student's build context the teacher's (the student's images,
// tags and builds stay), within the playground's context limits.
func (s *Server) copyTeacher(w http.ResponseWriter, r *http.Request) {
	f, err := s.whomToFollow(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ws := workspace(r)
	if f.IsTeacher {
		s.fail(w, r, errBadRequest("this is the teacher's own workspace: there is nothing to copy"))
		return
	}
	tws, err := s.store.UnstoredWorkspace(f.Teacher)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	files, err := tws.ContextFiles(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := checkCopy(files); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := ws.ReplaceContext(r.Context(), files); err != nil {
		s.fail(w, r, err)
		return
	}
	s.classChanged(ws.Name(), "files")
	paths := make([]string, 0, len(files))
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	writeJSON(w, http.StatusOK, map[string]any{"copied": paths, "note": copyNote})
}

// checkCopy applies the playground's context limits (playground.go) to the teacher's
// context as the student's would become: the teacher's own edits went through them,
// but a context made another way (a lesson's starter, a larger server) need not have.
func checkCopy(files []db.ContextFile) error {
	var total int64
	for _, f := range files {
		if int64(len(f.Data)) > maxFileBytes {
			return errTooLarge(fmt.Sprintf("the teacher's %s is %s: a file in the playground may be up to %s; nothing was copied",
				f.Path, humanBytes(int64(len(f.Data))), humanBytes(maxFileBytes)))
		}
		total += int64(len(f.Data))
	}
	if len(files) > maxContextFiles {
		return errTooLarge(fmt.Sprintf("the teacher's build context has %d files: the playground keeps up to %d; nothing was copied",
			len(files), maxContextFiles))
	}
	if total > maxContextBytes {
		return errTooLarge(fmt.Sprintf("the teacher's build context holds %s: the playground keeps up to %s; nothing was copied",
			humanBytes(total), humanBytes(maxContextBytes)))
	}
	return nil
}
