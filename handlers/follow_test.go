package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"layerlab/db"
)

// followClass makes the env's first browser the teacher of a new class and joins n
// other browsers to it as students.
func followClass(t *testing.T, env *testEnv, n int) (teacher *browser, class *db.Class, students []*browser) {
	t.Helper()
	ctx := context.Background()
	teacher = env.browser
	c, err := env.Store.CreateClass(ctx, teacher.workspace().Name(), "Docker 101", "layers")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		s := env.newBrowser()
		if _, err := env.Store.JoinClass(ctx, c.ID, s.workspace().Name(), fmt.Sprintf("student %d", i)); err != nil {
			t.Fatal(err)
		}
		students = append(students, s)
	}
	return teacher, c, students
}

// dialFollow opens /ws/class/live (with query, e.g. "?class=ID") as the browser.
func (b *browser) dialFollow(query string) (*websocket.Conn, *http.Response, error) {
	b.t.Helper()
	b.token()
	base := b.env.HTTP.URL
	h := http.Header{"Origin": {base}}
	req, _ := http.NewRequest(http.MethodGet, base, nil)
	for _, c := range b.client.Jar.Cookies(req.URL) {
		h.Add("Cookie", c.Name+"="+c.Value)
	}
	return websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(base, "http")+"/ws/class/live"+query, h)
}

// followMsg is a message of the live view's websocket.
type followMsg struct {
	Type    string            `json:"type"`
	Files   []followFile      `json:"files"`
	Changed []string          `json:"changed"`
	ID      string            `json:"id"`
	State   string            `json:"state"`
	Last    int64             `json:"last"`
	Command string            `json:"command"`
	Events  []json.RawMessage `json:"events"`
}

// readFollow reads messages until pred holds for one (which it returns).
func readFollow(t *testing.T, conn *websocket.Conn, what string, pred func(followMsg) bool) followMsg {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		var m followMsg
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("message is not JSON: %v: %s", err, data)
		}
		if pred(m) {
			return m
		}
	}
}

// hasEvent reports whether a build message carries an event whose JSON holds all of parts.
func hasEvent(m followMsg, parts ...string) bool {
	for _, e := range m.Events {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(string(e), p)
		}
		if all {
			return true
		}
	}
	return false
}

// TestFollowRules: who may follow whom. A workspace in no class is sent to /join; a
// student follows only their own class's teacher, and sees only that teacher's builds.
func TestFollowRules(t *testing.T) {
	env := newTestServer(t)
	ctx := context.Background()
	teacherA, classA, studentsA := followClass(t, env, 1)
	studentA := studentsA[0]
	teacherB := env.newBrowser()
	classB, err := env.Store.CreateClass(ctx, teacherB.workspace().Name(), "Other class", "layers")
	if err != nil {
		t.Fatal(err)
	}
	loner := env.newBrowser()
	loner.token()

	teacherA.setContext(map[string]string{"Dockerfile": "FROM busybox\nRUN echo a\n"})
	buildA := teacherA.startBuild("FROM busybox\nRUN echo a\n")
	teacherA.waitBuild(buildA)
	buildB := teacherB.startBuild("FROM busybox\nRUN echo b\n")
	teacherB.waitBuild(buildB)
	own := studentA.startBuild("FROM busybox\nRUN echo mine\n")
	studentA.waitBuild(own)

	tests := []struct {
		name string
		b    *browser
		do   func(b *browser) *testResponse
		code int
		want string
	}{
		{"no class: the page", loner, func(b *browser) *testResponse { return b.get("/class/live") }, http.StatusForbidden, "join a class first (/join)"},
		{"no class: the websocket", loner, func(b *browser) *testResponse { return b.get("/ws/class/live") }, http.StatusForbidden, "join a class first (/join)"},
		{"no class: the events", loner, func(b *browser) *testResponse { return b.get("/api/class/builds/" + buildA + "/events") }, http.StatusForbidden, "join a class first (/join)"},
		{"no class: the copy", loner, func(b *browser) *testResponse { return b.postJSON("/api/class/copy-teacher", nil) }, http.StatusForbidden, "join a class first (/join)"},
		{"student: the page", studentA, func(b *browser) *testResponse { return b.get("/class/live") }, http.StatusOK, "Copy into my workspace"},
		{"student: own class by id", studentA, func(b *browser) *testResponse { return b.get("/class/live?class=" + classA.ID) }, http.StatusOK, "Docker 101"},
		{"student: another class", studentA, func(b *browser) *testResponse { return b.get("/class/live?class=" + classB.ID) }, http.StatusForbidden, "you can follow only your own class's teacher"},
		{"student: another class's websocket", studentA, func(b *browser) *testResponse { return b.get("/ws/class/live?class=" + classB.ID) }, http.StatusForbidden, "you can follow only your own class's teacher"},
		{"student: the teacher's build", studentA, func(b *browser) *testResponse { return b.get("/api/class/builds/" + buildA + "/events") }, http.StatusOK, `"type":"build.done"`},
		{"student: the teacher's build after its last event", studentA, func(b *browser) *testResponse {
			return b.get("/api/class/builds/" + buildA + "/events?after=100000")
		}, http.StatusOK, "[]"},
		{"student: another teacher's build", studentA, func(b *browser) *testResponse { return b.get("/api/class/builds/" + buildB + "/events") }, http.StatusNotFound, "is not one of your teacher's builds"},
		{"student: their own build through the teacher's endpoint", studentA, func(b *browser) *testResponse {
			return b.get("/api/class/builds/" + own + "/events")
		}, http.StatusNotFound, "is not one of your teacher's builds"},
		{"teacher: own live view", teacherA, func(b *browser) *testResponse { return b.get("/class/live") }, http.StatusOK, "as your students see it"},
		{"teacher: another teacher's class", teacherA, func(b *browser) *testResponse { return b.get("/class/live?class=" + classB.ID) }, http.StatusForbidden, "this class belongs to another teacher"},
		{"teacher: copy into itself", teacherA, func(b *browser) *testResponse { return b.postJSON("/api/class/copy-teacher", nil) }, http.StatusBadRequest, "nothing to copy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.do(tt.b.withT(t)).wantCode(tt.code)
			if body := html.UnescapeString(r.Body); !strings.Contains(body, tt.want) {
				t.Errorf("body lacks %q:\n%.2000s", tt.want, body)
			}
		})
	}
	t.Run("the teacher's page has no copy button", func(t *testing.T) {
		r := teacherA.withT(t).get("/class/live")
		if n := len(r.find("follow-copy")); n != 0 {
			t.Errorf("the teacher's own live view has %d copy buttons", n)
		}
	})
	t.Run("the student's page says what the copy does", func(t *testing.T) {
		r := studentA.withT(t).get("/class/live")
		if got := r.text("follow-copy-note"); !strings.Contains(got, copyNote) || !strings.Contains(got, "No docker command") {
			t.Errorf("copy note = %q", got)
		}
	})
}

// TestFollowTeacherLive: a class follows the teacher's files and build over one
// websocket each. More students follow than a build admits watchers, and every one of
// them sees the build from the queue to its end: the room subscribes once. The room
// learns of the edit and of the build through classChanged, as the server runs.
func TestFollowTeacherLive(t *testing.T) {
	env := newTestServer(t, func(d *Deps) {
		d.Limits.MaxBuilds = 1
		d.Limits.WatchersPerBuild = 2
	})
	teacher, _, students := followClass(t, env, 5)
	teacher.setContext(map[string]string{"Dockerfile": "FROM busybox\nRUN echo hello-from-teacher\n", "app.py": "print(1)\n"})

	var conns []*websocket.Conn
	for i, s := range students {
		conn, _, err := s.dialFollow("")
		if err != nil {
			t.Fatalf("student %d: dial: %v", i, err)
		}
		defer conn.Close()
		m := readFollow(t, conn, "the teacher's files", func(m followMsg) bool { return m.Type == "files" })
		if len(m.Files) != 2 || m.Files[0].Path != "Dockerfile" || m.Files[1].Content != "print(1)\n" {
			t.Fatalf("student %d: files = %+v, want the Dockerfile first, then app.py with its content", i, m.Files)
		}
		conns = append(conns, conn)
	}

	t.Run("an edit reaches every follower", func(t *testing.T) {
		teacher.withT(t).sendJSON(http.MethodPut, "/api/context/file", map[string]any{"path": "app.py", "content": "print(2)\n"}).wantCode(http.StatusOK)
		for i, conn := range conns {
			m := readFollow(t, conn, "the edit", func(m followMsg) bool { return m.Type == "files" && len(m.Changed) > 0 })
			if len(m.Changed) != 1 || m.Changed[0] != "app.py" || m.Files[1].Content != "print(2)\n" {
				t.Errorf("student %d: changed %v, app.py %q", i, m.Changed, m.Files[1].Content)
			}
		}
	})

	t.Run("the build, from the queue to its end", func(t *testing.T) {
		blocker := env.newBrowser().withT(t)
		busy := blocker.startBuild("FROM busybox\nRUN echo start\nRUN while :; do :; done\n")
		defer blocker.postJSON("/api/builds/"+busy+"/cancel", nil)
		var res struct {
			ID string `json:"id"`
		}
		teacher.withT(t).postJSON("/api/builds", map[string]any{"tags": []string{"demo:v1"}}).wantCode(http.StatusAccepted).json(&res)
		for i, conn := range conns {
			m := readFollow(t, conn, "the queued build", func(m followMsg) bool { return m.Type == "build" && m.ID == res.ID })
			if m.State != "running" || m.Command != "docker build -t demo:v1 ." {
				t.Errorf("student %d: build %s state %q command %q, want running, docker build -t demo:v1 .", i, m.ID, m.State, m.Command)
			}
		}
		blocker.postJSON("/api/builds/"+busy+"/cancel", nil).wantCode(http.StatusAccepted)
		for i, conn := range conns {
			var log, done bool
			var last int64
			readFollow(t, conn, "the build's end", func(m followMsg) bool {
				if m.Type != "build" || m.ID != res.ID {
					return false
				}
				log = log || hasEvent(m, `"type":"step.log"`, "hello-from-teacher")
				done = done || hasEvent(m, `"type":"build.done"`)
				if m.Last < last {
					t.Errorf("student %d: last went back from %d to %d", i, last, m.Last)
				}
				last = m.Last
				return done
			})
			if !log {
				t.Errorf("student %d: the build ended without its step's log line", i)
			}
		}
	})

	t.Run("a reset of the teacher's workspace clears the build", func(t *testing.T) {
		if err := teacher.workspace().Reset(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		env.Server.followChanged(teacher.workspace().Name(), "build") // the room reads the builds again at a wake
		for i, conn := range conns {
			readFollow(t, conn, fmt.Sprintf("student %d: no build", i), func(m followMsg) bool { return m.Type == "build" && m.ID == "" })
		}
	})
}

// TestFollowBounds: the live views of a class and of one workspace are bounded, at
// and past the bound, and a closed view frees its place.
func TestFollowBounds(t *testing.T) {
	env := newTestServer(t)
	env.Server.follow.limitClass, env.Server.follow.limitWorkspace = 3, 2
	teacher, _, students := followClass(t, env, 3)
	a, b, c := students[0], students[1], students[2]
	built := teacher.startBuild("FROM busybox\nRUN echo hi\n")
	teacher.waitBuild(built)

	dial := func(t *testing.T, s *browser) *websocket.Conn {
		t.Helper()
		conn, res, err := s.withT(t).dialFollow("")
		if err != nil {
			t.Fatalf("dial: %v (status %v)", err, res)
		}
		readFollow(t, conn, "the files", func(m followMsg) bool { return m.Type == "files" })
		return conn
	}
	refused := func(t *testing.T, s *browser, want string) {
		t.Helper()
		conn, res, err := s.withT(t).dialFollow("")
		if err == nil {
			conn.Close()
			t.Fatal("the follower past the bound was let in")
		}
		if res == nil || res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("refusal: %v, %v; want 429", err, res)
		}
		r := s.withT(t).get("/ws/class/live")
		if r.Code != http.StatusTooManyRequests || !strings.Contains(r.Body, want) {
			t.Errorf("refusal over HTTP: %d %s, want 429 naming %q", r.Code, r.Body, want)
		}
	}

	a1 := dial(t, a)
	a2 := dial(t, a) // at the workspace's bound (2)
	t.Run("a third tab of one workspace", func(t *testing.T) {
		refused(t, a, "the limit is 2 per workspace")
	})
	b1 := dial(t, b) // at the class's bound (3)
	t.Run("a fourth follower in the class", func(t *testing.T) {
		refused(t, c, "too many live views of the teacher in this class: the limit is 3 per class")
	})
	t.Run("a page at the bounds still fetches what it missed", func(t *testing.T) {
		r := a.withT(t).get("/api/class/builds/" + built + "/events").wantCode(http.StatusOK)
		if !strings.Contains(r.Body, `"type":"build.done"`) {
			t.Errorf("replay: %.300s", r.Body)
		}
	})
	a2.Close()
	t.Run("a closed view frees its place", func(t *testing.T) {
		deadline := time.Now().Add(20 * time.Second)
		for {
			conn, _, err := c.withT(t).dialFollow("")
			if err == nil {
				conn.Close()
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("still refused after a view closed: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	a1.Close()
	b1.Close()
}

// TestFollowTake: live views and replays are bounded per workspace and per class,
// each apart, at and past the bound, and a release frees the place.
func TestFollowTake(t *testing.T) {
	h := followHub{limitClass: 3, limitWorkspace: 2}
	type take struct {
		replay    bool
		class, ws string
		want      string // "" admitted, else in the refusal
	}
	tests := []struct {
		name  string
		takes []take
	}{
		{"views per workspace", []take{{false, "A", "w1", ""}, {false, "A", "w1", ""},
			{false, "A", "w1", "too many live views of the teacher in this workspace: the limit is 2 per workspace"}}},
		{"views per class", []take{{false, "A", "w1", ""}, {false, "A", "w2", ""}, {false, "A", "w3", ""},
			{false, "A", "w4", "too many live views of the teacher in this class: the limit is 3 per class"}, {false, "B", "w4", ""}}},
		{"replays apart from views", []take{{false, "A", "w1", ""}, {false, "A", "w1", ""}, {true, "A", "w1", ""}, {true, "A", "w1", ""},
			{true, "A", "w1", "too many replays of the teacher's build at once in this workspace: the limit is 2 per workspace"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var releases []func()
			for i, tk := range tt.takes {
				release, err := h.take(tk.replay, tk.class, tk.ws)
				switch {
				case tk.want == "" && err != nil:
					t.Fatalf("take %d refused: %v", i, err)
				case tk.want != "" && err == nil:
					t.Fatalf("take %d admitted past the bound", i)
				case tk.want != "":
					if code, msg, _ := status(err); code != http.StatusTooManyRequests || !strings.Contains(msg, tk.want) {
						t.Errorf("take %d: %d %q, want 429 with %q", i, code, msg, tk.want)
					}
					continue
				}
				releases = append(releases, release)
			}
			releases[0]()
			releases[0]() // twice: counted once
			first := tt.takes[0]
			if release, err := h.take(first.replay, first.class, first.ws); err != nil {
				t.Errorf("after a release: %v", err)
			} else {
				releases = append(releases, release)
			}
			for _, r := range releases[1:] {
				r()
			}
			if len(h.perClass) != 0 || len(h.perWorkspace) != 0 {
				t.Errorf("counts left after every release: %v %v", h.perClass, h.perWorkspace)
			}
		})
	}
}

// TestFollowSlowFollowerDropped: a follower whose buffer is full is dropped, and the
// others still get the message: nobody waits for the slowest.
func TestFollowSlowFollowerDropped(t *testing.T) {
	var h followHub
	slow := &follower{send: make(chan []byte, 1), dropped: make(chan struct{})}
	fast := &follower{send: make(chan []byte, 1), dropped: make(chan struct{})}
	room := &followRoom{followers: map[*follower]struct{}{slow: {}, fast: {}}}
	slow.send <- []byte("unread")
	h.fanout(room, []byte("next"), &room.filesMsg)
	select {
	case <-slow.dropped:
	default:
		t.Error("the slow follower was not dropped")
	}
	select {
	case <-fast.dropped:
		t.Error("the follower that kept up was dropped")
	case m := <-fast.send:
		if string(m) != "next" {
			t.Errorf("fast got %q", m)
		}
	}
	if string(room.filesMsg) != "next" {
		t.Errorf("the room's last files message is %q, want the one sent", room.filesMsg)
	}
}

// TestFollowChangedNobody: a change of a workspace nobody follows costs nothing and
// never blocks, on a fresh hub too.
func TestFollowChangedNobody(t *testing.T) {
	env := newTestServer(t)
	done := make(chan struct{})
	go func() {
		for range 1000 {
			env.Server.followChanged("nobody", "build")
			env.Server.followChanged("nobody", "files")
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("followChanged blocked")
	}
}

// TestFollowCopy: "copy into my workspace" makes the student's context the
// teacher's and keeps the student's images; a teacher's context past the
// playground's limits is refused with the limit named, and nothing is copied.
func TestFollowCopy(t *testing.T) {
	env := newTestServer(t)
	teacher, _, students := followClass(t, env, 1)
	student := students[0]
	mine := map[string]string{"Dockerfile": "FROM busybox\n", "mine.txt": "mine\n"}
	student.setContext(mine)
	student.build("FROM busybox\nRUN echo kept\n", nil, "kept:v1")

	files := func(n, size int) map[string]string {
		out := map[string]string{"Dockerfile": "FROM busybox\nCOPY . /app\n"}
		for i := range n - 1 {
			out[fmt.Sprintf("f%03d.txt", i)] = strings.Repeat("x", size)
		}
		return out
	}
	tests := []struct {
		name    string
		teacher map[string]string
		code    int
		want    string
	}{
		{"the lesson's context", map[string]string{"Dockerfile": "FROM busybox\nCOPY app.py /app/\n", "app.py": "print('hi')\n"}, http.StatusOK, copyNote},
		{"a file at the bound", map[string]string{"Dockerfile": "FROM busybox\n", "big.bin": strings.Repeat("b", maxFileBytes)}, http.StatusOK, copyNote},
		{"a file past the bound", map[string]string{"Dockerfile": "FROM busybox\n", "big.bin": strings.Repeat("b", maxFileBytes+1)}, http.StatusRequestEntityTooLarge,
			"may be up to " + humanBytes(maxFileBytes) + "; nothing was copied"},
		{"files at the bound", files(maxContextFiles, 1), http.StatusOK, copyNote},
		{"files past the bound", files(maxContextFiles+1, 1), http.StatusRequestEntityTooLarge, fmt.Sprintf("the playground keeps up to %d; nothing was copied", maxContextFiles)},
		{"bytes past the bound", files(maxContextBytes/maxFileBytes+1, maxFileBytes), http.StatusRequestEntityTooLarge,
			"the playground keeps up to " + humanBytes(maxContextBytes) + "; nothing was copied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			student := student.withT(t)
			student.setContext(mine)
			teacher.withT(t).setContext(tt.teacher)
			r := student.postJSON("/api/class/copy-teacher", nil).wantCode(tt.code)
			if !strings.Contains(r.Body, tt.want) {
				t.Errorf("answer lacks %q: %.500s", tt.want, r.Body)
			}
			got, err := student.workspace().ContextFiles(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := mine
			if tt.code == http.StatusOK {
				want = tt.teacher
			}
			if len(got) != len(want) {
				t.Fatalf("the student's context has %d files, want %d", len(got), len(want))
			}
			for _, f := range got {
				if string(f.Data) != want[f.Path] {
					t.Errorf("%s: %.40q, want %.40q", f.Path, f.Data, want[f.Path])
				}
			}
			if _, err := student.workspace().Lookup(context.Background(), "kept:v1"); err != nil {
				t.Errorf("the student's image went with the copy: %v", err)
			}
		})
	}
}
