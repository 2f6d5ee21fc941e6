package main

// Class mode (-class): the classroom of issue 13. A teacher opens the teacher link,
// creates a class and keeps its dashboard's websocket open; every student joins the
// class by its code (POST /join) instead of starting a bare workspace, then edits and
// builds as in the default mode. Besides the default figures, the run measures how
// long a build's end takes to reach the teacher: for each student build, the time from
// the last event the student's websocket gave to the first dashboard message whose
// card for that student shows that build finished.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// targetDashboard is the bound on a build's end reaching the dashboard, at p95.
const targetDashboard = time.Second

// dashboardCatchUp is how long the run waits, after the last build, for the dashboard
// to show the builds it has not shown yet: well past targetDashboard, so a build not
// shown by then is reported, not cut short.
const dashboardCatchUp = 5 * time.Second

// DashboardStats is what the teacher's dashboard websocket received in a class run.
type DashboardStats struct {
	Class string `json:"class"`
	// Update: a build's last event at the student -> the first dashboard message whose
	// card for that student shows the build finished (0 when the dashboard was first).
	Update Dist `json:"update_ms"`
	// Shown counts the builds whose end a dashboard message showed; Early those shown
	// before the student's own websocket gave the build's last event.
	Shown int `json:"builds_shown"`
	Early int `json:"shown_before_student"`
	// Superseded counts the builds never shown finished because the student asked for
	// the next one within targetDashboard of its end (the card shows the last build
	// only, and it moved on): not an error. A build neither shown nor superseded is one
	// (kind "dashboard: build end never shown").
	Superseded int   `json:"builds_superseded"`
	Messages   int   `json:"messages"`
	Bytes      int64 `json:"bytes"`
	Snapshots  int   `json:"snapshots"` // every card at once: at connect, and after the hub dropped a slow dashboard
	Reconnects int   `json:"reconnects"`
	// OnlineMax is the most students the dashboard showed online at once (each
	// student holds a presence websocket, as every page does).
	OnlineMax int `json:"online_max"`
}

// teacherLinkFor is the teacher link of the started server: the line serve prints
// after its address, else (a server that printed none within a few seconds) what
// `layerlab teacher link` says on the same data directory.
func (s *server) teacherLinkFor(ctx context.Context) (string, error) {
	select {
	case link := <-s.teacher:
		return link, nil
	case <-time.After(5 * time.Second):
	case <-ctx.Done():
		return "", ctx.Err()
	}
	out, err := exec.CommandContext(ctx, s.bin, "--data-dir", s.dataDir, "teacher", "link", "--public-url", s.url).CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("layerlab teacher link: %v: %s (a server before issue 13 has no teacher link: -class needs one)", err, snippet(out))
	}
	for _, line := range strings.Split(string(out), "\n") {
		if m := teacherLine.FindStringSubmatch(line); m != nil {
			return m[1], nil
		}
	}
	return "", fmt.Errorf("layerlab teacher link printed no link: %s", snippet(out))
}

// classSession is the teacher's browser: its cookie jar (the session and the teacher
// cookie), the class it made, and the dashboard websocket it watches.
type classSession struct {
	cl   *classroom
	link string
	http *http.Client
	ws   *websocket.Dialer
	csrf string
	id   string // the class
	code string // its join code

	mu    sync.Mutex
	seen  map[string]time.Time // build id -> the first dashboard message showing it finished
	on    map[string]bool      // workspace -> online, as the last card of it showed
	stats DashboardStats
	conn  *websocket.Conn
	stop  bool
	done  chan struct{} // closed when the reader has returned
}

func (cl *classroom) newClassSession(link string) *classSession {
	jar, _ := cookiejar.New(nil)
	return &classSession{
		cl: cl, link: link, seen: map[string]time.Time{}, on: map[string]bool{}, done: make(chan struct{}),
		http: &http.Client{Transport: cl.tr, Jar: jar, Timeout: 30 * time.Second},
		ws:   &websocket.Dialer{Jar: jar, HandshakeTimeout: 10 * time.Second, ReadBufferSize: 64 << 10, WriteBufferSize: 1024},
	}
}

var lessonOption = regexp.MustCompile(`<option value="([^"]+)"`)

// start logs the teacher in, creates the class (the first lesson /teach offers), opens
// its dashboard page and websocket, and waits for the websocket's first message (every
// card) before it returns, so no student build goes unwatched.
func (t *classSession) start(ctx context.Context, res *results) error {
	u, err := url.Parse(t.link)
	if err != nil {
		return fmt.Errorf("teacher link %q: %w", t.link, err)
	}
	// The link names the server as serve saw it; the run reaches it at base.
	body, final, err := t.get(ctx, u.RequestURI())
	if err != nil {
		return fmt.Errorf("open the teacher link: %w", err)
	}
	if final != "/teach" {
		return fmt.Errorf("the teacher link led to %s, not /teach: %s", final, snippet(body))
	}
	m := csrfMeta.FindSubmatch(body)
	if m == nil {
		return errors.New("the /teach page has no <meta name=\"csrf-token\">")
	}
	t.csrf = string(m[1])
	lesson := lessonOption.FindSubmatch(body)
	if lesson == nil {
		return errors.New("the /teach page offers no lesson (<option value=...>)")
	}
	req, _ := json.Marshal(map[string]string{"name": "loadtest", "lesson": string(lesson[1])})
	code, resp, err := t.send(ctx, http.MethodPost, "/teach/classes", "application/json", strings.NewReader(string(req)))
	if err != nil {
		return fmt.Errorf("create the class: %w", err)
	}
	if code != http.StatusCreated {
		return fmt.Errorf("create the class: HTTP %d: %s", code, snippet(resp))
	}
	var class struct {
		ID   string `json:"id"`
		Code string `json:"code"`
	}
	if err := json.Unmarshal(resp, &class); err != nil || class.ID == "" || class.Code == "" {
		return fmt.Errorf("create the class: no id and code in %s", snippet(resp))
	}
	t.id, t.code, t.stats.Class = class.ID, class.Code, class.ID
	if _, _, err := t.get(ctx, "/teach/"+t.id); err != nil {
		return fmt.Errorf("open the dashboard: %w", err)
	}
	conn, err := t.dial(ctx)
	if err != nil {
		return err
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // the snapshot comes at once
	if err := t.read(conn); err != nil {
		conn.Close()
		return fmt.Errorf("the dashboard's first message: %w", err)
	}
	conn.SetReadDeadline(time.Time{}) // the server pings; updates come as students build
	t.conn = conn
	go t.follow(ctx, res)
	return nil
}

// get does a GET as the teacher's browser, following redirects; it returns the body and
// the path it ended at.
func (t *classSession) get(ctx context.Context, path string) ([]byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.cl.base.String()+path, nil)
	if err != nil {
		return nil, "", err
	}
	resp, err := t.http.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return nil, "", err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("GET %s: HTTP %d: %s", path, resp.StatusCode, snippet(b))
	}
	return b, resp.Request.URL.Path, nil
}

// send does a state-changing request as the teacher's pages do.
func (t *classSession) send(ctx context.Context, method, path, ctype string, body io.Reader) (int, []byte, error) {
	return sendAs(ctx, t.http, t.cl.base, t.csrf, method, path, ctype, body)
}

// sendAs does a state-changing request as a page of base does: the session cookie (in
// the client's jar), the CSRF header, this origin; it asks for JSON.
func sendAs(ctx context.Context, c *http.Client, base *url.URL, csrf, method, path, ctype string, body io.Reader) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, base.String()+path, body)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", csrf)
	req.Header.Set("Origin", base.Scheme+"://"+base.Host)
	resp, err := c.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}

func (t *classSession) dial(ctx context.Context) (*websocket.Conn, error) {
	wsBase := "ws" + strings.TrimPrefix(t.cl.base.String(), "http")
	hdr := http.Header{"Origin": {t.cl.base.Scheme + "://" + t.cl.base.Host}}
	conn, resp, err := t.ws.DialContext(ctx, wsBase+"/ws/teach/"+t.id, hdr)
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dashboard websocket: HTTP %d: %w", resp.StatusCode, err)
		}
		return nil, fmt.Errorf("dashboard websocket: %w", err)
	}
	conn.SetReadLimit(64 << 20) // a snapshot holds every card's HTML
	return conn, nil
}

// dashCard is what the run reads of a card in a dashboard message.
type dashCard struct {
	Workspace  string `json:"workspace"`
	Build      string `json:"build"`
	BuildState string `json:"build_state"`
	Online     bool   `json:"online"`
}

// read reads one dashboard message and notes the builds it shows finished.
func (t *classSession) read(conn *websocket.Conn) error {
	_, msg, err := conn.ReadMessage()
	if err != nil {
		return err
	}
	now := time.Now()
	var m struct {
		Type     string     `json:"type"`
		Snapshot bool       `json:"snapshot"`
		Cards    []dashCard `json:"cards"`
	}
	if err := json.Unmarshal(msg, &m); err != nil {
		return fmt.Errorf("bad dashboard message: %v: %s", err, snippet(msg))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stats.Messages++
	t.stats.Bytes += int64(len(msg))
	if m.Snapshot {
		t.stats.Snapshots++
	}
	if m.Snapshot {
		clear(t.on)
	}
	for _, c := range m.Cards {
		t.on[c.Workspace] = c.Online
	}
	online := 0
	for _, on := range t.on {
		if on {
			online++
		}
	}
	t.stats.OnlineMax = max(t.stats.OnlineMax, online)
	for _, c := range m.Cards {
		if c.Build == "" || (c.BuildState != "succeeded" && c.BuildState != "failed") {
			continue
		}
		if _, ok := t.seen[c.Build]; !ok {
			t.seen[c.Build] = now
		}
	}
	return nil
}

// follow reads the dashboard until finish stops it, dialling again when the server
// closes the socket (at most 20 times).
func (t *classSession) follow(ctx context.Context, res *results) {
	defer close(t.done)
	conn := t.conn
	for {
		err := t.read(conn)
		if err == nil {
			continue
		}
		conn.Close()
		t.mu.Lock()
		stop := t.stop
		t.mu.Unlock()
		if stop || ctx.Err() != nil {
			return
		}
		res.fail("dashboard: websocket closed", err.Error())
		t.mu.Lock()
		t.stats.Reconnects++
		n := t.stats.Reconnects
		t.mu.Unlock()
		if n > 20 {
			res.fail("dashboard: too many reconnects", fmt.Sprintf("closed %d times", n))
			return
		}
		if conn, err = t.dial(ctx); err != nil {
			res.fail("dashboard: dial", err.Error())
			return
		}
		t.mu.Lock()
		t.conn = conn
		stop = t.stop
		t.mu.Unlock()
		if stop { // finish closed the socket before this one
			conn.Close()
			return
		}
	}
}

// finish waits (at most dashboardCatchUp) for the dashboard to show every sampled
// build finished, closes the websocket and measures; a build neither shown nor
// superseded by the student's next request counts as an error.
func (t *classSession) finish(ctx context.Context, res *results, students []*student) *DashboardStats {
	wait := time.Now().Add(dashboardCatchUp)
	if ctx.Err() != nil { // interrupted: no catching up
		wait = time.Now()
	}
	for {
		t.mu.Lock()
		missing := 0
		for _, sm := range res.samples {
			if _, ok := t.seen[sm.build]; !ok {
				missing++
			}
		}
		t.mu.Unlock()
		if missing == 0 || time.Now().After(wait) {
			break
		}
		time.Sleep(50 * time.Millisecond) // a tool's poll, not a test's
	}
	t.mu.Lock()
	t.stop = true
	if t.conn != nil {
		t.conn.Close()
	}
	t.mu.Unlock()
	<-t.done
	return t.verdicts(res, students)
}

// verdicts measures each sampled build against what the dashboard showed.
func (t *classSession) verdicts(res *results, students []*student) *DashboardStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	st := t.stats
	var ds []time.Duration
	for _, sm := range res.samples {
		at, ok := t.seen[sm.build]
		if ok {
			st.Shown++
			d := at.Sub(sm.endAt)
			if d < 0 {
				st.Early++
				d = 0
			}
			ds = append(ds, d)
			continue
		}
		if requestedWithin(students[sm.student].requests, sm.endAt, targetDashboard) {
			st.Superseded++
			continue
		}
		res.fail("dashboard: build end never shown", fmt.Sprintf("build %s of student %d ended at the student and no dashboard message showed it finished within %s",
			sm.build, sm.student, dashboardCatchUp))
	}
	st.Update = distOf(ds)
	return &st
}

// requestedWithin reports whether one of the times (sorted) is in [from, from+d].
func requestedWithin(times []time.Time, from time.Time, d time.Duration) bool {
	i := sort.Search(len(times), func(i int) bool { return !times[i].Before(from) })
	return i < len(times) && !times[i].After(from.Add(d))
}

// join makes the student's browser a student of the class: the join page (the session
// cookie and the CSRF token), then the form's POST with the code and a display name.
func (s *student) join(ctx context.Context, code string) (string, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.cl.base.String()+"/join?code="+url.QueryEscape(code), nil)
	resp, err := s.http.Do(req)
	if err != nil {
		return "join: GET /join", err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return "join: GET /join", err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("join: GET /join HTTP %d", resp.StatusCode), errors.New(snippet(body))
	}
	m := csrfMeta.FindSubmatch(body)
	if m == nil {
		return "join: no csrf-token", errors.New("the join page has no <meta name=\"csrf-token\">")
	}
	s.csrf = string(m[1])
	form := url.Values{"code": {code}, "name": {fmt.Sprintf("student-%03d", s.id)}, "csrf": {s.csrf}}
	status, out, err := sendAs(ctx, s.http, s.cl.base, s.csrf, http.MethodPost, "/join", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		return "join: POST /join", err
	}
	if status != http.StatusOK {
		return fmt.Sprintf("join: HTTP %d", status), errors.New(snippet(out))
	}
	return "", nil
}

// openPresence opens the presence websocket every page of a student holds
// (static/presence.js): while it is open the student is online on the dashboard. Its
// reader answers the server's pings and ends when the socket closes.
func (s *student) openPresence(ctx context.Context) (string, error) {
	wsBase := "ws" + strings.TrimPrefix(s.cl.base.String(), "http")
	hdr := http.Header{"Origin": {s.cl.base.Scheme + "://" + s.cl.base.Host}}
	conn, resp, err := s.ws.DialContext(ctx, wsBase+"/ws/presence", hdr)
	if err != nil {
		if resp != nil {
			return fmt.Sprintf("setup: presence HTTP %d", resp.StatusCode), err
		}
		return "setup: presence", err
	}
	s.presence = conn
	go func() {
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}()
	return "", nil
}

// closePresence closes the presence websocket: the student goes offline.
func (s *student) closePresence() {
	if s.presence != nil {
		s.presence.Close()
	}
}

// writeDashboardText is the class run's lines of the text report.
func (r *Report) writeDashboardText(b *strings.Builder) {
	d := r.Dashboard
	if d == nil {
		return
	}
	fmt.Fprintf(b, "\nclass %s, the teacher's dashboard (/ws/teach/%s): %d messages, %.2f MiB (%d snapshots of every card), %d reconnects\n",
		d.Class, d.Class, d.Messages, float64(d.Bytes)/(1<<20), d.Snapshots, d.Reconnects)
	fmt.Fprintf(b, "  students shown online at once: at most %d of %d\n", d.OnlineMax, r.Students)
	fmt.Fprintf(b, "  builds shown finished %d of %d done (%d before the student's own last event), %d superseded by the student's next build within %s\n",
		d.Shown, r.Succeeded, d.Early, d.Superseded, targetDashboard)
	fmt.Fprintf(b, "  dashboard update (ms, the student's last event -> the card shows the build finished): n %d, p50 %.1f, p95 %.1f, max %.1f\n",
		d.Update.N, d.Update.P50, d.Update.P95, d.Update.Max)
}
