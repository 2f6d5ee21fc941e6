package handlers

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"layerlab/db"
	"layerlab/engine/build"
)

// pgBrowser is one browser: its own cookie jar (so its own workspace) and CSRF token.
type pgBrowser struct {
	t    *testing.T
	srv  *httptest.Server
	c    *http.Client
	csrf string
}

func newPGServer(t *testing.T) *httptest.Server {
	t.Helper()
	st, err := db.Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	h := New(Deps{Store: st})
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := h.Close(ctx); err != nil {
			t.Errorf("close: %v", err)
		}
		st.Close()
	})
	return srv
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([0-9a-f]+)">`)

func newPGBrowser(t *testing.T, srv *httptest.Server) *pgBrowser {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &pgBrowser{t: t, srv: srv, c: &http.Client{Jar: jar}}
	code, body := b.do("GET", "/", "", nil)
	if code != 200 {
		t.Fatalf("GET /: %d %s", code, body)
	}
	m := csrfMeta.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf meta tag on the playground page")
	}
	b.csrf = m[1]
	return b
}

// do sends a request with the CSRF header (when the browser has one) and returns the
// status and body.
func (b *pgBrowser) do(method, path, ctype string, body io.Reader) (int, string) {
	b.t.Helper()
	req, err := http.NewRequest(method, b.srv.URL+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if b.csrf != "" {
		req.Header.Set("X-CSRF-Token", b.csrf)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out)
}

func (b *pgBrowser) json(method, path string, in any, out any) int {
	b.t.Helper()
	var body io.Reader
	if in != nil {
		j, _ := json.Marshal(in)
		body = bytes.NewReader(j)
	}
	code, s := b.do(method, path, "application/json", body)
	if out != nil {
		if err := json.Unmarshal([]byte(s), out); err != nil {
			b.t.Fatalf("%s %s: %d, not JSON: %q", method, path, code, s)
		}
	}
	return code
}

func (b *pgBrowser) put(path, content string) {
	b.t.Helper()
	var res map[string]any
	if code := b.json("PUT", "/api/context/file", map[string]string{"path": path, "content": content}, &res); code != 200 {
		b.t.Fatalf("put %s: %d %v", path, code, res)
	}
}

func (b *pgBrowser) context() map[string]string {
	b.t.Helper()
	var res struct {
		Files []contextFileJSON `json:"files"`
	}
	b.json("GET", "/api/context", nil, &res)
	out := map[string]string{}
	for _, f := range res.Files {
		out[f.Path] = f.Data
	}
	return out
}

// dial opens the build's websocket with the browser's cookies.
func (b *pgBrowser) dial(id string, after int64, origin string) (*websocket.Conn, *http.Response, error) {
	u := "ws" + strings.TrimPrefix(b.srv.URL, "http") + "/ws/builds/" + id + "?after=" + itoa(int(after))
	h := http.Header{}
	if origin == "" {
		origin = b.srv.URL
	}
	h.Set("Origin", origin)
	req, _ := http.NewRequest("GET", b.srv.URL, nil)
	for _, c := range b.c.Jar.Cookies(req.URL) {
		h.Add("Cookie", c.Name+"="+c.Value)
	}
	return websocket.DefaultDialer.Dial(u, h)
}

// watch reads a build's events over the websocket until it closes.
func (b *pgBrowser) watch(id string, after int64) []build.Event {
	b.t.Helper()
	conn, _, err := b.dial(id, after, "")
	if err != nil {
		b.t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var evs []build.Event
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			if !websocket.IsCloseError(err, websocket.CloseNormalClosure) {
				b.t.Fatalf("read: %v (after %d events)", err, len(evs))
			}
			return evs
		}
		var e build.Event
		if err := json.Unmarshal(data, &e); err != nil {
			b.t.Fatal(err)
		}
		evs = append(evs, e)
	}
}

// build starts a build and returns its ID and every event, checking the sequence.
func (b *pgBrowser) build(tags ...string) (string, []build.Event) {
	b.t.Helper()
	var res struct {
		ID      string `json:"id"`
		Command string `json:"command"`
		Error   string `json:"error"`
	}
	if code := b.json("POST", "/api/builds", map[string]any{"tags": tags}, &res); code != http.StatusAccepted {
		b.t.Fatalf("start build: %d %s", code, res.Error)
	}
	evs := b.watch(res.ID, 0)
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			b.t.Fatalf("event %d has seq %d: events must come in order, none lost or repeated", i, e.Seq)
		}
	}
	return res.ID, evs
}

// states lists the state of each step.done event, in step order.
func states(evs []build.Event) []string {
	var out []string
	for _, e := range evs {
		if e.Type == build.EventStepDone && !e.Trigger {
			out = append(out, e.State)
		}
	}
	return out
}

func TestPlaygroundPageStartsWithTheLesson(t *testing.T) {
	srv := newPGServer(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	res, err := c.Get(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET /: %d", res.StatusCode)
	}
	for _, want := range []string{`data-testid="file-Dockerfile"`, `data-testid="file-app/main.py"`, `data-testid="example-fastapi"`, "docker build"} {
		if !strings.Contains(string(body), want) {
			t.Errorf("the playground page lacks %s", want)
		}
	}
	var cookie *http.Cookie
	for _, ck := range res.Cookies() {
		if ck.Name == sessionCookie {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode {
		t.Fatalf("session cookie must be HttpOnly and SameSite=Lax: %+v", cookie)
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP = %q", csp)
	}
}

func TestContextFiles(t *testing.T) {
	srv := newPGServer(t)
	b := newPGBrowser(t, srv)
	b.put("app/util.py", "X = 1\n")
	if got := b.context()["app/util.py"]; got != "X = 1\n" {
		t.Fatalf("saved file reads back %q", got)
	}
	var res map[string]string
	if code := b.json("POST", "/api/context/rename", map[string]string{"from": "app/util.py", "to": "lib/util.py"}, &res); code != 200 {
		t.Fatalf("rename: %d %v", code, res)
	}
	if code := b.json("POST", "/api/context/rename", map[string]string{"from": "lib/util.py", "to": "Dockerfile"}, &res); code != 400 || !strings.Contains(res["error"], "already exists") {
		t.Errorf("rename onto an existing file: %d %v", code, res)
	}
	if code, _ := b.do("DELETE", "/api/context/file?path=lib/util.py", "", nil); code != 200 {
		t.Errorf("delete: %d", code)
	}
	if code, body := b.do("DELETE", "/api/context/file?path=lib/util.py", "", nil); code != 404 {
		t.Errorf("delete again: %d %s", code, body)
	}

	tests := []struct {
		name, path, content string
		code                int
		msg                 string
	}{
		{"dot dot", "../etc/passwd", "x", 400, `".." parts are not allowed`},
		{"absolute", "/etc/passwd", "x", 400, "relative path"},
		{"too big", "big.bin", strings.Repeat("x", maxFileBytes+1), 413, "may be up to"},
		{"control char", "a\x01b", "x", 400, "control characters"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var res map[string]string
			code := b.json("PUT", "/api/context/file", map[string]string{"path": tc.path, "content": tc.content}, &res)
			if code != tc.code || !strings.Contains(res["error"], tc.msg) {
				t.Errorf("PUT %q: %d %q; want %d and a message with %q", tc.path, code, res["error"], tc.code, tc.msg)
			}
		})
	}
	if _, ok := b.context()["big.bin"]; ok {
		t.Error("a refused file was stored")
	}
}

func tarOf(t *testing.T, entries ...*tar.Header) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range entries {
		data := []byte("content of " + h.Name)
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(data))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			tw.Write(data)
		}
	}
	tw.Close()
	return buf.Bytes()
}

func TestUpload(t *testing.T) {
	srv := newPGServer(t)
	b := newPGBrowser(t, srv)
	upload := func(field, name string, data []byte) (int, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile(field, name)
		fw.Write(data)
		mw.Close()
		return b.do("POST", "/api/context/upload", mw.FormDataContentType(), &buf)
	}
	if code, body := upload("files", "notes.txt", []byte("hello")); code != 200 {
		t.Fatalf("upload a file: %d %s", code, body)
	}
	if b.context()["notes.txt"] != "hello" {
		t.Error("uploaded file not in the context")
	}
	good := tarOf(t, &tar.Header{Name: "src/", Typeflag: tar.TypeDir, Mode: 0o755}, &tar.Header{Name: "src/a.txt", Typeflag: tar.TypeReg, Mode: 0o644})
	if code, body := upload("tar", "ctx.tar", good); code != 200 {
		t.Fatalf("upload a tar: %d %s", code, body)
	}
	if b.context()["src/a.txt"] != "content of src/a.txt" {
		t.Error("tar entry not in the context")
	}
	bad := []struct {
		name string
		data []byte
		msg  string
	}{
		{"escape", tarOf(t, &tar.Header{Name: "../evil", Typeflag: tar.TypeReg}), "parts are not allowed"},
		{"symlink", tarOf(t, &tar.Header{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}), "regular files only"},
		{"not a tar", []byte("this is not a tar archive at all, just text that goes on and on"), "not a tar"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			before := b.context()
			code, body := upload("tar", "x.tar", tc.data)
			if code != 400 || !strings.Contains(body, tc.msg) {
				t.Errorf("%d %s; want 400 with %q", code, body, tc.msg)
			}
			if after := b.context(); len(after) != len(before) {
				t.Errorf("a refused upload changed the context: %d files, was %d", len(after), len(before))
			}
		})
	}
}

func TestLint(t *testing.T) {
	srv := newPGServer(t)
	b := newPGBrowser(t, srv)
	var res struct {
		Diagnostics []diagnostic `json:"diagnostics"`
	}
	b.json("POST", "/api/lint", map[string]string{"dockerfile": "FROM busybox\nRUNN echo hi\n"}, &res)
	if len(res.Diagnostics) != 1 || res.Diagnostics[0].Line != 2 || res.Diagnostics[0].Severity != "error" ||
		!strings.Contains(res.Diagnostics[0].Message, "unknown instruction: RUNN") {
		t.Fatalf("diagnostics = %+v", res.Diagnostics)
	}
	b.json("POST", "/api/lint", map[string]string{"dockerfile": "from busybox as Base\nRUN true\n"}, &res)
	if len(res.Diagnostics) == 0 || res.Diagnostics[0].Severity != "warning" {
		t.Fatalf("linter warnings = %+v", res.Diagnostics)
	}
}

// The lesson, through the API the page uses: first build all new, rebuild all cached,
// an edit of the COPY'd source makes that step changed and every later one downstream;
// the comparison names the changed file.
func TestBuildLessonOverWebsocket(t *testing.T) {
	srv := newPGServer(t)
	b := newPGBrowser(t, srv)
	b.put("Dockerfile", "FROM busybox\nWORKDIR /app\nCOPY req.txt .\nRUN cat req.txt > /deps\nCOPY src ./src\nRUN ls src > /files\nCMD [\"sh\"]\n")
	b.put("req.txt", "flask\n")
	b.put("src/main.py", "print('hi')\n")
	for _, p := range []string{".dockerignore", "app/__init__.py", "app/main.py", "requirements.txt"} {
		b.do("DELETE", "/api/context/file?path="+p, "", nil)
	}

	id1, evs := b.build("demo:v1")
	if got, want := strings.Join(states(evs), " "), "base new new new new new new"; got != want {
		t.Fatalf("first build states = %s, want %s", got, want)
	}
	if last := evs[len(evs)-1]; last.Type != build.EventBuildDone || len(last.Tags) != 1 {
		t.Fatalf("last event = %+v", last)
	}
	var first comparison
	b.json("GET", "/api/builds/"+id1+"/compare", nil, &first)
	if first.Previous != nil || first.Reasoning != "no earlier build of this tag to compare with" || len(first.Steps) != 7 {
		t.Fatalf("the first build compared with %+v (%q, %d steps), want no earlier build", first.Previous, first.Reasoning, len(first.Steps))
	}
	id2, evs := b.build("demo:v1")
	if got, want := strings.Join(states(evs), " "), "base cached cached cached cached cached cached"; got != want {
		t.Fatalf("rebuild states = %s, want %s", got, want)
	}
	b.put("src/main.py", "print('hello')\n")
	id3, evs := b.build("demo:v1")
	if got, want := strings.Join(states(evs), " "), "base cached cached cached changed downstream downstream"; got != want {
		t.Fatalf("after the edit: %s, want %s", got, want)
	}

	var c comparison
	b.json("GET", "/api/builds/"+id3+"/compare", nil, &c)
	if c.Previous == nil || c.Previous.ID != id2 {
		t.Fatalf("compared with %+v, want build %s", c.Previous, id2)
	}
	if len(c.Files) != 1 || c.Files[0].Path != "src/main.py" || c.Files[0].Change != "changed" {
		t.Errorf("changed files = %+v", c.Files)
	}
	if !strings.Contains(c.Reasoning, "step 5 (COPY src ./src) changed") {
		t.Errorf("summary = %q", c.Reasoning)
	}
	if d := c.Steps[4]; d.Before == nil || d.Before.State != "cached" || d.Now.State != "changed" || !d.StateChanged {
		t.Errorf("step 5 diff = %+v", d)
	}

	// Replay after a given sequence number: nothing lost, nothing repeated.
	all := b.watch(id3, 0)
	part := b.watch(id3, 4)
	if len(part) != len(all)-4 || part[0].Seq != 5 {
		t.Fatalf("resume after 4: got %d events from seq %d; all = %d", len(part), part[0].Seq, len(all))
	}
}

func TestBuildFailureNamesTheLine(t *testing.T) {
	srv := newPGServer(t)
	b := newPGBrowser(t, srv)
	b.put("Dockerfile", "FROM busybox\nRUN echo ok\nRUN exit 3\nRUN echo never\n")
	id, evs := b.build("bad:1")
	last := evs[len(evs)-1]
	if last.Type != build.EventBuildFailed || last.Line != 3 || last.ExitCode != 3 {
		t.Fatalf("last event = %+v", last)
	}
	var bj buildJSON
	b.json("GET", "/api/builds/"+id, nil, &bj)
	if bj.State != "failed" || !strings.HasPrefix(bj.Error, "line 3: ") {
		t.Errorf("recorded build = %+v", bj)
	}
	// No Dockerfile: a clear error before anything starts.
	b.do("DELETE", "/api/context/file?path=Dockerfile", "", nil)
	var res map[string]string
	if code := b.json("POST", "/api/builds", map[string]any{"tags": []string{"x"}}, &res); code != 400 || !strings.Contains(res["error"], "has no Dockerfile") {
		t.Errorf("build without a Dockerfile: %d %v", code, res)
	}
}

func TestWorkspacesAreSeparate(t *testing.T) {
	srv := newPGServer(t)
	alice, bob := newPGBrowser(t, srv), newPGBrowser(t, srv)
	alice.put("Dockerfile", "FROM busybox\nRUN echo alice > /who\n")
	id, _ := alice.build("alice:1")
	if code, _ := bob.do("GET", "/api/builds/"+id, "", nil); code != 404 {
		t.Errorf("bob reads alice's build: %d", code)
	}
	if code, _ := bob.do("GET", "/api/builds/"+id+"/events", "", nil); code != 404 {
		t.Errorf("bob reads alice's events: %d", code)
	}
	if _, res, err := bob.dial(id, 0, ""); err == nil || res == nil || res.StatusCode != 404 {
		t.Errorf("bob watches alice's build: %v %v", res, err)
	}
	if bob.context()["Dockerfile"] == alice.context()["Dockerfile"] {
		t.Error("bob sees alice's Dockerfile")
	}
}

func TestWebsocketRefusesOtherOrigins(t *testing.T) {
	srv := newPGServer(t)
	b := newPGBrowser(t, srv)
	b.put("Dockerfile", "FROM busybox\n")
	id, _ := b.build("o:1")
	_, res, err := b.dial(id, 0, "http://evil.example")
	if err == nil || res == nil || res.StatusCode != http.StatusForbidden {
		t.Fatalf("foreign origin handshake: %v %v, want 403", res, err)
	}
}

func TestCSRF(t *testing.T) {
	srv := newPGServer(t)
	b := newPGBrowser(t, srv)
	token := b.csrf
	b.csrf = ""
	if code, body := b.do("PUT", "/api/context/file", "application/json", strings.NewReader(`{"path":"x","content":"y"}`)); code != 403 || !strings.Contains(body, "CSRF") {
		t.Errorf("no token: %d %s", code, body)
	}
	b.csrf = "0123456789abcdef0123456789abcdef"
	if code, _ := b.do("POST", "/api/builds", "application/json", strings.NewReader(`{}`)); code != 403 {
		t.Errorf("wrong token: %d", code)
	}
	b.csrf = token
	req, _ := http.NewRequest("POST", srv.URL+"/api/builds", strings.NewReader(`{}`))
	req.Header.Set("X-CSRF-Token", token)
	req.Header.Set("Origin", "http://evil.example")
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 403 {
		t.Errorf("other origin with a token: %d", res.StatusCode)
	}
}

func TestFileNamesAreEscaped(t *testing.T) {
	srv := newPGServer(t)
	b := newPGBrowser(t, srv)
	b.put("<script>alert(1)</script>.txt", "x")
	_, page := b.do("GET", "/", "", nil)
	if strings.Contains(page, "<script>alert(1)</script>") {
		t.Fatal("a file name reached the page as HTML")
	}
	if !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;.txt") {
		t.Error("the escaped file name is not on the page")
	}
}

func TestExamples(t *testing.T) {
	srv := newPGServer(t)
	b := newPGBrowser(t, srv)
	for _, name := range []string{"node", "go-multistage", "fastapi"} {
		if code, body := b.do("POST", "/api/examples/"+name, "", nil); code != 200 {
			t.Fatalf("load %s: %d %s", name, code, body)
		}
	}
	ctx := b.context()
	if !strings.HasPrefix(ctx["Dockerfile"], "FROM python:3.9") || ctx["app/main.py"] == "" {
		t.Errorf("fastapi example not loaded: %v", ctx)
	}
	if code, body := b.do("POST", "/api/examples/nope", "", nil); code != 404 || !strings.Contains(body, "examples are") {
		t.Errorf("unknown example: %d %s", code, body)
	}
}

// TestPlaygroundPageNamesTheLastBuild: a reload shows the workspace's newest build (the
// page's script renders it from data-last-build), the heading says what to do first,
// and the file tree gives each file's size.
func TestPlaygroundPageNamesTheLastBuild(t *testing.T) {
	b := newPGBrowser(t, newPGServer(t))
	_, page := b.do("GET", "/", "", nil)
	if !strings.Contains(page, `data-last-build=""`) {
		t.Errorf("before any build the page names a last build: %s", regexp.MustCompile(`data-last-build="[^"]*"`).FindString(page))
	}
	for _, want := range []string{"edit the Dockerfile, press Build, and watch each layer", `data-testid="present-toggle"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the playground page lacks %q", want)
		}
	}
	if !regexp.MustCompile(`data-testid="file-Dockerfile">Dockerfile<span class="muted size"> \d+B</span>`).MatchString(page) {
		t.Errorf("the file tree gives no size for the Dockerfile")
	}
	b.put("Dockerfile", "FROM busybox\nRUN echo one\n")
	b.build("x:1")
	id, _ := b.build("x:2")
	_, page = b.do("GET", "/", "", nil)
	if want := `data-last-build="` + id + `"`; !strings.Contains(page, want) {
		t.Errorf("after two builds the page lacks %s", want)
	}
}
