package handlers

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"layerlab/db"
	"layerlab/web"
)

// workspaceCount is the number of workspace rows in the store.
func (e *testEnv) workspaceCount() int {
	e.t.Helper()
	n, err := e.Store.CountWorkspaces(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// rawGet sends a GET with the given cookies and no jar, and returns the answer and the
// session cookie it set (nil if none).
func rawGet(t *testing.T, url string, cookies ...*http.Cookie) (*http.Response, string, *http.Cookie) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	var set *http.Cookie
	for _, c := range res.Cookies() {
		if c.Name == sessionCookie {
			set = c
		}
	}
	return res, string(body), set
}

// A GET, with or without a cookie, stores no workspace: crawlers, health checks and
// first visits cost the store nothing. The pages show what a new workspace holds (the
// lesson's example), and the first change stores the workspace, seeded with it.
func TestGetCreatesNoWorkspace(t *testing.T) {
	e := newTestServer(t)
	for _, p := range []string{"/", "/images", "/base-images", "/api/context", "/api/builds", "/api/images", "/images/prune", "/healthz", "/nowhere"} {
		for i := 0; i < 3; i++ {
			if res, _, _ := rawGet(t, e.HTTP.URL+p); res.StatusCode >= 500 {
				t.Fatalf("GET %s: %d", p, res.StatusCode)
			}
		}
	}
	b := e.browser
	page := b.get("/").wantCode(200)
	if len(page.find("file-Dockerfile")) == 0 || len(page.find("file-app/main.py")) == 0 {
		t.Error("the playground of a new session does not show the lesson's example")
	}
	var ctxFiles struct {
		Files []contextFileJSON `json:"files"`
	}
	b.get("/api/context").wantCode(200).json(&ctxFiles)
	if len(ctxFiles.Files) == 0 {
		t.Error("GET /api/context of a new session: no files, want the lesson's example")
	}
	b.get("/images").wantCode(200)
	if n := e.workspaceCount(); n != 0 {
		t.Fatalf("after GETs only: %d workspaces stored, want 0", n)
	}
	// Read-only POSTs start nothing either.
	b.postJSON("/api/lint", map[string]string{"dockerfile": "FROM alpine\n"}).wantCode(200)
	if n := e.workspaceCount(); n != 0 {
		t.Fatalf("after a lint: %d workspaces stored, want 0", n)
	}
	b.sendJSON(http.MethodPut, "/api/context/file", map[string]string{"path": "notes.txt", "content": "hi"}).wantCode(200)
	if n := e.workspaceCount(); n != 1 {
		t.Fatalf("after the first change: %d workspaces, want 1", n)
	}
	files, err := b.workspace().ContextFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, f := range files {
		paths = append(paths, f.Path)
	}
	if got := strings.Join(paths, " "); !strings.Contains(got, "Dockerfile") || !strings.Contains(got, "notes.txt") {
		t.Errorf("the new workspace holds %s; want the lesson's example and notes.txt", got)
	}
	// A cross-site POST (no CSRF token) from a new session starts nothing.
	other := e.newBrowser()
	other.get("/")
	other.postRawForm("/images/tag", nil).wantCode(http.StatusForbidden)
	if n := e.workspaceCount(); n != 1 {
		t.Fatalf("after a refused POST: %d workspaces, want 1", n)
	}
}

// Only a token the server issued names a workspace: a well-formed token it did not
// issue is replaced by a new one (session fixation), and a request carrying it is
// refused; an unsigned token from before signing keeps its workspace if it has one.
func TestSessionTokenMustBeIssued(t *testing.T) {
	e := newTestServer(t)
	key, err := e.Server.sessionKey(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	id := base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{7}, 24))
	otherKey := bytes.Repeat([]byte{1}, 32)
	tests := []struct {
		name   string
		token  string
		before func() // stores what the token should find
		keep   bool   // the server keeps the token
	}{
		{name: "issued", token: newToken(key), keep: true},
		{name: "well-formed, never issued", token: id},
		{name: "signed with another key", token: newToken(otherKey)},
		{name: "issued id, edited signature", token: id + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 16))},
		{name: "garbage", token: "x"},
		{name: "unsigned from before signing, with its workspace", token: id, keep: true, before: func() {
			if _, err := e.Store.Workspace(context.Background(), workspaceName(id)); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.before != nil {
				tt.before()
			}
			before := e.workspaceCount()
			res, body, set := rawGet(t, e.HTTP.URL+"/images", &http.Cookie{Name: sessionCookie, Value: tt.token})
			if res.StatusCode != 200 {
				t.Fatalf("GET: %d", res.StatusCode)
			}
			if tt.keep != (set == nil) {
				t.Fatalf("Set-Cookie %v: want the token kept = %v", set, tt.keep)
			}
			if !tt.keep && set.Value == tt.token {
				t.Fatal("the server issued the token it was sent")
			}
			m := csrfMeta.FindStringSubmatch(body)
			if m == nil {
				t.Fatal("no CSRF token on the page")
			}
			if !tt.keep && m[1] == csrfToken(tt.token) {
				t.Fatal("the page carries the CSRF token of the token it refused")
			}
			// The token's own CSRF token (which its maker can compute) does not pass.
			req, _ := http.NewRequest(http.MethodPut, e.HTTP.URL+"/api/context/file", strings.NewReader(`{"path":"a","content":"b"}`))
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: tt.token})
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-CSRF-Token", csrfToken(tt.token))
			r2, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			r2.Body.Close()
			want, wantN := http.StatusForbidden, before
			if tt.keep {
				want = http.StatusOK
				if tt.before == nil {
					wantN++
				}
			}
			if r2.StatusCode != want {
				t.Fatalf("PUT with the token: %d, want %d", r2.StatusCode, want)
			}
			if n := e.workspaceCount(); n != wantN {
				t.Fatalf("workspaces: %d, want %d", n, wantN)
			}
		})
	}
}

// A client address starts at most NewWorkspacesPerMinute workspaces a minute: the one
// past the bound gets a 429 that names the limit and says when to retry; a minute later
// it may again. Workspaces that exist are not counted again.
func TestNewWorkspacesPerMinute(t *testing.T) {
	var mu sync.Mutex
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	e := newTestServer(t, func(d *Deps) { d.Now = clock; d.Limits.NewWorkspacesPerMinute = 3 })
	start := func(b *browser) *testResponse {
		return b.sendJSON(http.MethodPut, "/api/context/file", map[string]string{"path": "a.txt", "content": "x"})
	}
	var first *browser
	for i := 0; i < 3; i++ { // at the bound
		b := e.newBrowser()
		start(b).wantCode(200)
		if first == nil {
			first = b
		}
	}
	start(first).wantCode(200) // its workspace exists: not a new one
	late := e.newBrowser()
	mu.Lock()
	now = now.Add(20 * time.Second)
	mu.Unlock()
	res := start(late).wantCode(http.StatusTooManyRequests) // past it
	var body map[string]string
	res.json(&body)
	for _, want := range []string{"--new-workspaces-per-minute 3", "127.0.0.1", "try again in 40 s"} {
		if !strings.Contains(body["error"], want) {
			t.Errorf("429 message %q does not say %q", body["error"], want)
		}
	}
	if got := res.Header.Get("Retry-After"); got != "40" {
		t.Errorf("Retry-After %q, want 40", got)
	}
	if n := e.workspaceCount(); n != 3 {
		t.Fatalf("workspaces: %d, want 3", n)
	}
	// The page (no JSON) says it too.
	page := late.postForm("/images/tag", map[string][]string{"source": {"a"}, "target": {"b"}})
	if page.Code != http.StatusTooManyRequests || !strings.Contains(page.Body, "try again in 40 s") {
		t.Errorf("form POST past the bound: %d, want 429 with when to retry", page.Code)
	}
	mu.Lock()
	now = now.Add(40 * time.Second)
	mu.Unlock()
	start(late).wantCode(200)
}

func TestRateLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := newRateLimiter(2, func() time.Time { return now }, func(k string) string { return "too many for " + k })
	tests := []struct {
		name    string
		advance time.Duration
		key     string
		ok      bool
	}{
		{name: "first", key: "a", ok: true},
		{name: "second, at the bound", advance: 10 * time.Second, key: "a", ok: true},
		{name: "past the bound", key: "a"},
		{name: "another key", key: "b", ok: true},
		{name: "still past it just before the first leaves", advance: 50*time.Second - time.Millisecond, key: "a"},
		{name: "the first has left the window", advance: time.Millisecond, key: "a", ok: true},
		{name: "full again", key: "a"},
	}
	for _, tt := range tests {
		now = now.Add(tt.advance)
		err := l.take(tt.key)
		if (err == nil) != tt.ok {
			t.Fatalf("%s: take(%s) = %v, want ok %v", tt.name, tt.key, err, tt.ok)
		}
		if err != nil {
			if code, msg, _ := status(err); code != http.StatusTooManyRequests || !strings.Contains(msg, "too many for "+tt.key) {
				t.Fatalf("%s: status %d %q", tt.name, code, msg)
			}
		}
	}
	now = now.Add(2 * time.Minute)
	l.take("c")
	if len(l.hits) != 1 {
		t.Errorf("after a quiet minute the limiter holds %d keys, want only the new one", len(l.hits))
	}
}

func TestClientAddr(t *testing.T) {
	tests := []struct{ name, remote, want string }{
		{name: "IPv4", remote: "203.0.113.5:4321", want: "203.0.113.5"},
		{name: "IPv4-mapped IPv6", remote: "[::ffff:203.0.113.5]:4321", want: "203.0.113.5"},
		{name: "IPv6 /64", remote: "[2001:db8:1:2:3:4:5:6]:4321", want: "2001:db8:1:2::/64"},
		{name: "same /64", remote: "[2001:db8:1:2:ffff::1]:1", want: "2001:db8:1:2::/64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tt.remote
			r.Header.Set("X-Forwarded-For", "198.51.100.1")
			if got := clientAddr(r); got != tt.want {
				t.Errorf("clientAddr(%s) = %s, want %s", tt.remote, got, tt.want)
			}
		})
	}
}

// --secure-cookies marks the session and flash cookies Secure; without it they are not
// (a browser would drop them over plain HTTP).
func TestSecureCookies(t *testing.T) {
	for _, secure := range []bool{false, true} {
		e := newTestServer(t, func(d *Deps) { d.Secure = secure })
		_, _, set := rawGet(t, e.HTTP.URL+"/")
		if set == nil || set.Secure != secure || !set.HttpOnly || set.SameSite != http.SameSiteLaxMode {
			t.Errorf("secure %v: session cookie %+v", secure, set)
		}
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/images/tag", nil)
		r = r.WithContext(context.WithValue(r.Context(), keyToken, "tok"))
		e.Server.setFlash(w, r, &web.Flash{Cmd: "docker tag a b", OK: true})
		cs := w.Result().Cookies()
		if len(cs) != 1 || cs[0].Name != flashCookie || cs[0].Secure != secure {
			t.Errorf("secure %v: flash cookie %+v", secure, cs)
		}
	}
}

// The flash cookie is signed for the session: an edited one, one of another session
// and an unsigned one are ignored.
func TestFlashIsSigned(t *testing.T) {
	e := newTestServer(t)
	reqFor := func(token string, c *http.Cookie) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/images", nil)
		if c != nil {
			r.AddCookie(c)
		}
		return r.WithContext(context.WithValue(r.Context(), keyToken, token))
	}
	w := httptest.NewRecorder()
	e.Server.setFlash(w, reqFor("tok", nil), &web.Flash{Cmd: "docker tag a b", Output: "done", OK: true})
	good := w.Result().Cookies()[0]
	payload, mac, _ := strings.Cut(good.Value, ".")
	forged, _ := json.Marshal(web.Flash{Cmd: "docker rmi everything", Output: "<b>hacked</b>", OK: true})
	forgedPayload := base64.RawURLEncoding.EncodeToString(forged)
	tests := []struct {
		name  string
		token string
		value string
		want  string // the flash's command, "" for none
	}{
		{name: "as set", token: "tok", value: good.Value, want: "docker tag a b"},
		{name: "edited payload", token: "tok", value: forgedPayload + "." + mac},
		{name: "unsigned, as before", token: "tok", value: forgedPayload},
		{name: "edited signature", token: "tok", value: payload + "." + base64.RawURLEncoding.EncodeToString(make([]byte, 16))},
		{name: "another session's", token: "other", value: good.Value},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := e.Server.takeFlash(httptest.NewRecorder(), reqFor(tt.token, &http.Cookie{Name: flashCookie, Value: tt.value}))
			got := ""
			if f != nil {
				got = f.Cmd
			}
			if got != tt.want {
				t.Errorf("takeFlash = %q, want %q", got, tt.want)
			}
		})
	}
}

// The hub's login challenge names --public-url, or else the address the client
// connected to: never the request's Host or X-Forwarded-Proto, which a client writes.
func TestRegistryChallengeIgnoresHost(t *testing.T) {
	tests := []struct {
		name      string
		publicURL string
		want      func(e *testEnv) string
	}{
		{name: "listener address", want: func(e *testEnv) string { return e.HTTP.URL }},
		{name: "public URL", publicURL: "https://lab.example.org", want: func(*testEnv) string { return "https://lab.example.org" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newTestServer(t, func(d *Deps) { d.PublicURL = tt.publicURL })
			req, _ := http.NewRequest(http.MethodGet, e.HTTP.URL+"/v2/", nil)
			req.Host = "evil.example:443"
			req.Header.Set("X-Forwarded-Proto", "https")
			req.Header.Set("X-Forwarded-Host", "evil.example")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			got := res.Header.Get("WWW-Authenticate")
			if want := `Bearer realm="` + tt.want(e) + `/v2/token"`; !strings.HasPrefix(got, want) {
				t.Errorf("challenge %q, want it to start with %s", got, want)
			}
			if strings.Contains(got, "evil") {
				t.Errorf("challenge %q names the Host header", got)
			}
		})
	}
}

// The playground refuses hidden characters in file names, and a file and a directory
// of one name, whichever way the files arrive (the editor, a rename, an upload).
func TestContextNamesRefused(t *testing.T) {
	e := newTestServer(t)
	b := e.browser
	b.sendJSON(http.MethodPut, "/api/context/file", map[string]string{"path": "conf", "content": "x"}).wantCode(200)
	upload := func(data []byte) *testResponse {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("tar", "ctx.tar")
		fw.Write(data)
		mw.Close()
		req, _ := http.NewRequest(http.MethodPost, b.url("/api/context/upload"), &buf)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.Header.Set("X-CSRF-Token", b.token())
		return b.do(req)
	}
	tarOfFiles := func(names ...string) []byte {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		for _, n := range names {
			tw.WriteHeader(&tar.Header{Name: n, Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
			tw.Write([]byte("x"))
		}
		tw.Close()
		return buf.Bytes()
	}
	tests := []struct {
		name string
		do   func() *testResponse
		want []string
	}{
		{name: "right-to-left override", want: []string{"U+202E RIGHT-TO-LEFT OVERRIDE", `invoice\u202egpj.exe`},
			do: func() *testResponse {
				return b.sendJSON(http.MethodPut, "/api/context/file", map[string]string{"path": "invoice\u202egpj.exe", "content": "x"})
			}},
		{name: "zero width space", want: []string{"U+200B ZERO WIDTH SPACE"},
			do: func() *testResponse {
				return b.sendJSON(http.MethodPut, "/api/context/file", map[string]string{"path": "Docker\u200bfile", "content": "x"})
			}},
		{name: "file under a file", want: []string{`"conf/g"`, `"conf" is a file`},
			do: func() *testResponse {
				return b.sendJSON(http.MethodPut, "/api/context/file", map[string]string{"path": "conf/g", "content": "x"})
			}},
		{name: "rename under a file", want: []string{`"conf" is a file`},
			do: func() *testResponse {
				return b.postJSON("/api/context/rename", map[string]string{"from": "Dockerfile", "to": "conf/Dockerfile"})
			}},
		{name: "tar with a file and a directory of one name", want: []string{`"conf/g"`, `"conf" is a file`},
			do: func() *testResponse { return upload(tarOfFiles("conf", "conf/g")) }},
		{name: "tar with a zero-width name", want: []string{"U+FEFF ZERO WIDTH NO-BREAK SPACE"},
			do: func() *testResponse { return upload(tarOfFiles("\ufeffa")) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.do()
			if res.Code != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", res.Code, res.Body)
			}
			var body map[string]string
			res.json(&body)
			for _, w := range tt.want {
				if !strings.Contains(body["error"], w) {
					t.Errorf("error %q does not say %s", body["error"], w)
				}
			}
		})
	}
}

// Two first changes of one new session that both passed the session middleware before
// either stored the workspace (both see it unstored): the second finds it stored, so
// the workspace is created, counted against the address and seeded once, and what the
// first wrote stays.
func TestSecondFirstChangeKeepsTheFirst(t *testing.T) {
	e := newTestServer(t, func(d *Deps) { d.Limits.NewWorkspacesPerMinute = 1 })
	ctx := context.Background()
	key, err := e.Server.sessionKey(ctx)
	if err != nil {
		t.Fatal(err)
	}
	name := workspaceName(newToken(key))
	first := &sessionInfo{name: name, client: "192.0.2.1"}
	second := *first
	if err := e.Server.storeWorkspace(ctx, httptest.NewRecorder(), first); err != nil || !first.stored {
		t.Fatalf("first: %v, stored %v", err, first.stored)
	}
	ws, err := e.Store.ExistingWorkspace(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := ws.PutContextFile(ctx, db.ContextFile{Path: "mine.txt", Data: []byte("x")}); err != nil {
		t.Fatal(err)
	}
	if err := e.Server.storeWorkspace(ctx, httptest.NewRecorder(), &second); err != nil || !second.stored {
		t.Fatalf("second: %v (the address's one creation was counted twice?), stored %v", err, second.stored)
	}
	files, err := ws.ContextFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, f := range files {
		have[f.Path] = true
	}
	if !have["mine.txt"] || !have["Dockerfile"] {
		t.Errorf("files %v: want the lesson's example and mine.txt", have)
	}
	if n := e.workspaceCount(); n != 1 {
		t.Fatalf("workspaces: %d, want 1", n)
	}
}
