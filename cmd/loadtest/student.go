package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// baseImage is a built-in stand-in (engine/baseimage): pulling it needs no network.
const baseImage = "alpine:3.20"

// project is a student's build context: a 15-instruction Dockerfile (FROM, ENV, WORKDIR,
// COPY, RUN, EXPOSE, CMD) and the files it copies. %d is the revision of the line a
// student edits in the Dockerfile.
var project = map[string]string{
	"Dockerfile": `FROM ` + baseImage + `
ENV APP_HOME=/app
WORKDIR /app
ENV GREETING=hello
COPY config.txt ./
RUN mkdir -p /app/data && echo setup > /app/data/setup.txt
COPY lib/util.sh ./lib/
RUN sh ./lib/util.sh > /app/data/util.out
COPY app/main.sh ./app/
RUN cat config.txt app/main.sh | wc -l > /app/data/lines.txt
COPY app/handler.sh ./app/
RUN sha256sum app/main.sh app/handler.sh > /app/data/sums.txt && echo rev 0 >> /app/data/sums.txt
ENV PORT=8080
EXPOSE 8080
CMD ["sh", "app/main.sh"]
`,
	"config.txt":     "name=demo\nlevel=0\n",
	"lib/util.sh":    "#!/bin/sh\necho util ready\n",
	"app/main.sh":    "#!/bin/sh\necho main v0\n. ./app/handler.sh\n",
	"app/handler.sh": "#!/bin/sh\necho handler v0\n",
}

// projectSteps is the number of instructions in project's Dockerfile.
const projectSteps = 15

// edit is one change a student makes before a build: a file and its new content,
// from the revision number. The edits cycle like a student's day: the application code
// most often (a late COPY changes, two steps rebuild), sometimes the Dockerfile's last
// RUN, sometimes a file copied early (most steps rebuild).
type edit struct {
	path string
	with func(old string, rev int) string
}

var reRev = regexp.MustCompile(`(v|rev |level=)\d+`)

func bump(old string, rev int) string {
	return reRev.ReplaceAllStringFunc(old, func(m string) string {
		return strings.TrimRight(m, "0123456789") + fmt.Sprint(rev)
	})
}

var edits = []edit{
	{"app/handler.sh", bump}, // step 11 changes; 12-15 downstream
	{"app/main.sh", bump},    // step 9 changes; 10-15 downstream
	{"Dockerfile", bump},     // step 12 (its RUN line) changes; 13-15 downstream
	{"app/handler.sh", bump},
	{"config.txt", bump}, // step 5 changes; 6-15 downstream
}

// latencies of one build, from the moment its request is sent.
type sample struct {
	student   int
	at        time.Duration // when the build was asked for, from the start of the timed phase
	first     bool          // the student's first build (all steps new, base pulled)
	edit      time.Duration // PUT of the edited file
	request   time.Duration // POST /api/builds -> 202
	firstEv   time.Duration // -> first event on the websocket
	lastEv    time.Duration // -> build.done or build.failed
	events    int
	reconnect int            // websocket reconnects (a client dropped by the hub resumes with ?after=)
	states    map[string]int // step.done events by state: cached, changed, downstream, new, base
	ok        bool
	build     string    // its ID
	endAt     time.Time // when the student's websocket gave its last event (class mode's dashboard latency)
}

// results is what the students measured.
type results struct {
	mu        sync.Mutex
	samples   []sample
	errors    map[string]int
	errSample map[string]string
	late      int // builds that started later than their slot (the previous build overran)
	requested int // build requests sent
	setup     time.Duration
	phase     time.Duration
	dash      *DashboardStats // class mode: what the teacher's dashboard showed
}

func (r *results) fail(kind, detail string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors[kind]++
	if _, ok := r.errSample[kind]; !ok {
		r.errSample[kind] = detail
	}
}

// classroom is the set of students against one server.
type classroom struct {
	base     *url.URL
	c        config
	progress func(string, ...any)
	tr       *http.Transport
	class    *classSession // class mode: the teacher, its class and dashboard (class.go); nil by default
}

func newClassroom(base string, c config, progress func(string, ...any)) *classroom {
	u, _ := url.Parse(strings.TrimRight(base, "/"))
	tr := &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        4 * c.Students,
		MaxIdleConnsPerHost: 4 * c.Students, // a browser each: connections are kept, not churned
		IdleConnTimeout:     90 * time.Second,
	}
	return &classroom{base: u, c: c, progress: progress, tr: tr}
}

// run sets every student up (a session and the project's files), then runs the timed
// phase: student i starts i*interval/N into it, then edits and builds every interval
// until the duration is over; a build in flight at the end is waited for.
func (cl *classroom) run(ctx context.Context) (*results, error) {
	defer cl.tr.CloseIdleConnections()
	res := &results{errors: map[string]int{}, errSample: map[string]string{}}
	students := make([]*student, cl.c.Students)
	t0 := time.Now()
	if cl.class != nil {
		if err := cl.class.start(ctx, res); err != nil {
			return nil, fmt.Errorf("class mode: %w", err)
		}
		cl.progress("class %s created (join code %s); the teacher's dashboard is open", cl.class.id, cl.class.code)
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range students {
		students[i] = cl.newStudent(i)
		students[i].res = res
		wg.Add(1)
		go func(s *student) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if kind, err := s.setup(ctx); err != nil {
				res.fail(kind, err.Error())
				s.broken = true
			}
		}(students[i])
	}
	wg.Wait()
	res.setup = time.Since(t0)
	ready := 0
	for _, s := range students {
		if !s.broken {
			ready++
		}
	}
	if ready == 0 {
		return nil, fmt.Errorf("no student could start a session: %v", res.errSample)
	}
	cl.progress("%d students ready in %s; building every %s for %s", ready, res.setup.Round(time.Millisecond), cl.c.Interval, cl.c.Duration)

	start := time.Now()
	end := start.Add(cl.c.Duration)
	for i, s := range students {
		if s.broken {
			continue
		}
		wg.Add(1)
		s.phase = start
		go func(s *student, offset time.Duration) {
			defer wg.Done()
			s.loop(ctx, start.Add(offset), end, res)
		}(s, time.Duration(i)*cl.c.Interval/time.Duration(len(students)))
	}
	wg.Wait()
	res.phase = time.Since(start)
	if cl.class != nil {
		res.dash = cl.class.finish(ctx, res, students)
		for _, s := range students {
			s.closePresence()
		}
	}
	if ctx.Err() != nil {
		return nil, ctx.Err()
	}
	return res, nil
}

// student is one browser: a cookie jar (the session), the page's CSRF token, and the
// project as last saved.
type student struct {
	id     int
	cl     *classroom
	http   *http.Client
	ws     *websocket.Dialer
	csrf   string
	files  map[string]string
	rev    int
	broken bool
	res    *results
	phase  time.Time // start of the timed phase
	// requests are the times its build requests were sent, in order (class mode: a
	// build the dashboard never showed finished was superseded by the next one).
	requests []time.Time
	presence *websocket.Conn // class mode: the page's presence websocket (class.go)
}

func (cl *classroom) newStudent(i int) *student {
	jar, _ := cookiejar.New(nil)
	files := map[string]string{}
	for p, d := range project {
		files[p] = d
	}
	return &student{
		id:    i,
		cl:    cl,
		http:  &http.Client{Transport: cl.tr, Jar: jar, Timeout: 30 * time.Second},
		ws:    &websocket.Dialer{Jar: jar, HandshakeTimeout: 10 * time.Second, ReadBufferSize: 16 << 10, WriteBufferSize: 1024},
		files: files,
	}
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)"`)

// setup opens the playground (which sets the session cookie; the page carries the
// CSRF token) and saves the project's files. It returns the error's kind with it.
func (s *student) setup(ctx context.Context) (string, error) {
	if s.cl.class != nil {
		if kind, err := s.join(ctx, s.cl.class.code); err != nil {
			return "setup: " + kind, err
		}
		if kind, err := s.putProject(ctx); err != nil {
			return kind, err
		}
		return s.openPresence(ctx)
	}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.cl.base.String()+"/", nil)
	resp, err := s.http.Do(req)
	if err != nil {
		return "setup: GET /", err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return "setup: GET /", err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("setup: GET / HTTP %d", resp.StatusCode), errors.New(snippet(body))
	}
	m := csrfMeta.FindSubmatch(body)
	if m == nil {
		return "setup: no csrf-token", errors.New("the playground page has no <meta name=\"csrf-token\">")
	}
	s.csrf = string(m[1])
	return s.putProject(ctx)
}

// putProject saves the project's files, as the editor does.
func (s *student) putProject(ctx context.Context) (string, error) {
	for _, p := range []string{"config.txt", "lib/util.sh", "app/main.sh", "app/handler.sh", "Dockerfile"} {
		if _, kind, err := s.put(ctx, p); err != nil {
			return "setup: " + kind, err
		}
	}
	return "", nil
}

// loop edits and builds at first, first+interval, ... while the slot is before end.
func (s *student) loop(ctx context.Context, first, end time.Time, res *results) {
	for k := 0; ; k++ {
		slot := first.Add(time.Duration(k) * s.cl.c.Interval)
		if !slot.Before(end) {
			return
		}
		if d := time.Until(slot); d > 0 {
			select {
			case <-time.After(d):
			case <-ctx.Done():
				return
			}
		} else if k > 0 {
			res.mu.Lock()
			res.late++
			res.mu.Unlock()
		}
		if ctx.Err() != nil {
			return
		}
		sm := sample{student: s.id, first: k == 0, at: time.Since(s.phase)}
		if k > 0 { // the first build is of the project as saved at setup
			e := edits[(k-1+s.id)%len(edits)]
			s.rev++
			s.files[e.path] = e.with(s.files[e.path], s.rev)
			d, kind, err := s.put(ctx, e.path)
			if err != nil {
				res.fail(kind, err.Error())
				continue
			}
			sm.edit = d
		}
		if kind, err := s.build(ctx, &sm); err != nil {
			if ctx.Err() != nil {
				return
			}
			res.fail(kind, err.Error())
			continue
		}
		res.mu.Lock()
		res.samples = append(res.samples, sm)
		res.mu.Unlock()
	}
}

// put saves one file of the project, as the editor does.
func (s *student) put(ctx context.Context, path string) (time.Duration, string, error) {
	body, _ := json.Marshal(map[string]string{"path": path, "content": s.files[path]})
	t0 := time.Now()
	code, resp, err := s.send(ctx, http.MethodPut, "/api/context/file", body)
	d := time.Since(t0)
	if err != nil {
		return d, "edit: PUT /api/context/file", err
	}
	if code != http.StatusOK {
		return d, fmt.Sprintf("edit: HTTP %d", code), errors.New(snippet(resp))
	}
	return d, "", nil
}

// send does a state-changing JSON request as the page's fetch does: the session
// cookie, the CSRF header and this origin.
func (s *student) send(ctx context.Context, method, path string, body []byte) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, s.cl.base.String()+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", s.csrf)
	req.Header.Set("Origin", s.cl.base.Scheme+"://"+s.cl.base.Host)
	resp, err := s.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, b, err
}

// build asks for a build and follows it on the websocket to its last event, as the page
// does, reconnecting with ?after= when the server drops the socket. Times are from the
// moment the build request is sent.
func (s *student) build(ctx context.Context, sm *sample) (string, error) {
	body, _ := json.Marshal(map[string]any{
		"tags": []string{fmt.Sprintf("student%d:v%d", s.id, s.rev)}, "build_args": map[string]string{},
		"target": "", "no_cache": false,
	})
	s.res.mu.Lock()
	s.res.requested++
	s.res.mu.Unlock()
	t0 := time.Now()
	s.requests = append(s.requests, t0)
	code, resp, err := s.send(ctx, http.MethodPost, "/api/builds", body)
	sm.request = time.Since(t0)
	if err != nil {
		return "build: POST /api/builds", err
	}
	if code != http.StatusAccepted {
		return fmt.Sprintf("build: HTTP %d", code), errors.New(snippet(resp))
	}
	var started struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(resp, &started); err != nil || started.ID == "" {
		return "build: bad response", fmt.Errorf("no build id in %s", snippet(resp))
	}
	sm.build = started.ID

	deadline := t0.Add(s.cl.c.BuildTimeout)
	wsBase := "ws" + strings.TrimPrefix(s.cl.base.String(), "http")
	hdr := http.Header{"Origin": {s.cl.base.Scheme + "://" + s.cl.base.Host}}
	var last int64
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			sm.reconnect++
			if attempt > 20 {
				return "ws: too many reconnects", fmt.Errorf("build %s: dropped %d times", started.ID, attempt)
			}
		}
		dctx, cancel := context.WithDeadline(ctx, deadline)
		conn, hresp, err := s.ws.DialContext(dctx, fmt.Sprintf("%s/ws/builds/%s?after=%d", wsBase, started.ID, last), hdr)
		cancel()
		if err != nil {
			if hresp != nil {
				return fmt.Sprintf("ws: dial HTTP %d", hresp.StatusCode), err
			}
			if time.Now().After(deadline) {
				return "timeout", fmt.Errorf("build %s: no last event within %s", started.ID, s.cl.c.BuildTimeout)
			}
			return "ws: dial", err
		}
		conn.SetReadDeadline(deadline)
		done, kind, err := s.follow(conn, t0, sm, &last)
		conn.Close()
		if err != nil {
			return kind, err
		}
		if done {
			if !sm.ok {
				return "build.failed", fmt.Errorf("build %s: %s", started.ID, kind)
			}
			return "", nil
		}
	}
}

// follow reads one websocket until the build's last event (done true) or a close that
// asks for a reconnect (done false).
func (s *student) follow(conn *websocket.Conn, t0 time.Time, sm *sample, last *int64) (done bool, kind string, err error) {
	for {
		_, msg, err := conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			switch {
			case errors.As(err, &ce) && ce.Code == websocket.CloseTryAgainLater:
				return false, "", nil // dropped as too slow: resume from the store
			case errors.As(err, &ce):
				return false, fmt.Sprintf("ws: closed %d before the last event", ce.Code), err
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return false, "timeout", fmt.Errorf("no last event within %s: %w", s.cl.c.BuildTimeout, err)
			}
			return false, "ws: read", err
		}
		now := time.Since(t0)
		var e struct {
			Seq   int64  `json:"seq"`
			Type  string `json:"type"`
			Error string `json:"error"`
			State string `json:"state"`
		}
		if err := json.Unmarshal(msg, &e); err != nil {
			return false, "ws: bad event", fmt.Errorf("%v: %s", err, snippet(msg))
		}
		if e.Seq <= *last {
			return false, "ws: repeated event", fmt.Errorf("event %d after %d", e.Seq, *last)
		}
		if e.Seq != *last+1 {
			return false, "ws: missed event", fmt.Errorf("event %d after %d", e.Seq, *last)
		}
		*last = e.Seq
		sm.events++
		if sm.events == 1 {
			sm.firstEv = now
		}
		switch e.Type {
		case "step.done":
			if sm.states == nil {
				sm.states = map[string]int{}
			}
			sm.states[e.State]++
		case "build.done":
			sm.lastEv, sm.ok, sm.endAt = now, true, t0.Add(now)
			return true, "", nil
		case "build.failed":
			sm.lastEv, sm.endAt = now, t0.Add(now)
			return true, e.Error, nil
		}
	}
}

// snippet is the start of a response body, for an error message.
func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
