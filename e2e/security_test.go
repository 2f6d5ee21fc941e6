package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// client is one browser as the server sees it: its own cookie jar (so its own
// session and workspace) and the CSRF token of its pages.
type client struct {
	t    *testing.T
	srv  *server
	http *http.Client
	csrf string
}

var csrfMeta = regexp.MustCompile(`<meta name="csrf-token" content="([^"]+)"`)

// newClient opens / with a new cookie jar, as a new browser would.
func newClient(t *testing.T, srv *server) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, srv: srv, http: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
	code, body := c.get("/")
	if code != http.StatusOK {
		t.Fatalf("GET /: %d\n%s", code, body)
	}
	m := csrfMeta.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("GET /: no <meta name=\"csrf-token\"> in the page")
	}
	c.csrf = m[1]
	return c
}

func (c *client) get(path string) (int, string) {
	c.t.Helper()
	res, err := c.http.Get(c.srv.URL + path)
	if err != nil {
		c.t.Fatalf("GET %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// post sends JSON with the session's CSRF token, as the page's fetch does.
func (c *client) post(path string, body any) (int, string) {
	c.t.Helper()
	j, err := json.Marshal(body)
	if err != nil {
		c.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, c.srv.URL+path, bytes.NewReader(j))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("POST %s: %v", path, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// smallDockerfile builds in a moment (the FastAPI example's base image takes seconds to
// make on a new data directory).
const smallDockerfile = "FROM alpine:3.19\nRUN echo hello > /hello.txt\n"

// put stores a file of the workspace's build context.
func (c *client) put(path, content string) {
	c.t.Helper()
	j, _ := json.Marshal(map[string]string{"path": path, "content": content})
	req, err := http.NewRequest(http.MethodPut, c.srv.URL+"/api/context/file", bytes.NewReader(j))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", c.csrf)
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatalf("PUT /api/context/file: %v", err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		c.t.Fatalf("PUT /api/context/file %s: %d %s", path, res.StatusCode, b)
	}
}

// startBuild starts a build of the workspace's context and returns its ID.
func (c *client) startBuild(tags ...string) string {
	c.t.Helper()
	code, body := c.post("/api/builds", map[string]any{"tags": tags})
	if code != http.StatusAccepted {
		c.t.Fatalf("POST /api/builds: %d %s", code, body)
	}
	var res struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal([]byte(body), &res); err != nil || res.ID == "" {
		c.t.Fatalf("POST /api/builds: %s: %v", body, err)
	}
	return res.ID
}

// dialBuild opens the build's websocket with the given Origin header.
func (c *client) dialBuild(id, origin string) (*websocket.Conn, *http.Response, error) {
	d := websocket.Dialer{Jar: c.http.Jar, HandshakeTimeout: 10 * time.Second}
	h := http.Header{}
	if origin != "" {
		h.Set("Origin", origin)
	}
	return d.Dial("ws"+strings.TrimPrefix(c.srv.URL, "http")+"/ws/builds/"+id, h)
}

// follow reads a build's events from its websocket until the server closes it, and
// checks their sequence numbers run 1, 2, 3 … It returns the last event's type.
func (c *client) follow(conn *websocket.Conn) string {
	c.t.Helper()
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(60 * time.Second))
	var last int64
	typ := ""
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.CloseNormalClosure {
				c.t.Errorf("the build's websocket ended with %v, want a normal close after the last event", err)
			}
			return typ
		}
		var e struct {
			Seq  int64  `json:"seq"`
			Type string `json:"type"`
		}
		if err := json.Unmarshal(data, &e); err != nil {
			c.t.Fatalf("event %s: %v", data, err)
		}
		if e.Seq != last+1 {
			c.t.Errorf("event seq %d after %d", e.Seq, last)
		}
		last, typ = e.Seq, e.Type
	}
}

// TestWebsocketRefusesForeignOrigin: a page on another site cannot watch a build with
// the student's cookie (cross-site websocket hijacking): the handshake gets 403, while
// the same request from the playground's own origin streams the build.
func TestWebsocketRefusesForeignOrigin(t *testing.T) {
	srv := startServer(t)
	c := newClient(t, srv)
	c.put("Dockerfile", smallDockerfile)
	id := c.startBuild("demo:v1")

	conn, res, err := c.dialBuild(id, "http://evil.example")
	if err == nil {
		conn.Close()
		t.Fatal("a websocket handshake with Origin http://evil.example was accepted")
	}
	if !errors.Is(err, websocket.ErrBadHandshake) || res == nil || res.StatusCode != http.StatusForbidden {
		code := 0
		if res != nil {
			code = res.StatusCode
		}
		t.Errorf("handshake with a foreign Origin: %v, status %d; want 403", err, code)
	}

	conn, _, err = c.dialBuild(id, srv.URL)
	if err != nil {
		t.Fatalf("handshake from the playground's own origin: %v", err)
	}
	if typ := c.follow(conn); typ != "build.done" {
		t.Errorf("the build's stream ended with %q, want build.done", typ)
	}
}

// TestWorkspacesAreIsolated: a second browser (its own cookies) sees none of the first
// one's builds or images, and cannot watch its build.
func TestWorkspacesAreIsolated(t *testing.T) {
	srv := startServer(t)
	alice := newClient(t, srv)
	alice.put("Dockerfile", smallDockerfile)
	id := alice.startBuild("alice:v1")
	conn, _, err := alice.dialBuild(id, srv.URL)
	if err != nil {
		t.Fatalf("watch the build: %v", err)
	}
	if typ := alice.follow(conn); typ != "build.done" {
		t.Fatalf("alice's build ended with %q", typ)
	}
	var b struct {
		Image string `json:"image"`
	}
	code, body := alice.get("/api/builds/" + id)
	if code != http.StatusOK || json.Unmarshal([]byte(body), &b) != nil || b.Image == "" {
		t.Fatalf("GET /api/builds/%s: %d %s", id, code, body)
	}
	short := strings.TrimPrefix(b.Image, "sha256:")[:12]
	if code, body := alice.get("/images"); code != http.StatusOK || !strings.Contains(body, "alice") || !strings.Contains(body, short) {
		t.Errorf("alice's /images (%d) does not list alice:v1 (%s)", code, short)
	}

	bob := newClient(t, srv)
	if alice.csrf == bob.csrf {
		t.Errorf("two browsers got the same CSRF token")
	}
	for _, path := range []string{"/api/builds/" + id, "/api/builds/" + id + "/events", "/api/builds/" + id + "/compare", "/images/" + short + "/history", "/images/" + short + "/inspect"} {
		if code, body := bob.get(path); code != http.StatusNotFound {
			t.Errorf("bob GET %s: %d, want 404\n%.300s", path, code, body)
		}
	}
	code, body = bob.get("/images")
	if code != http.StatusOK {
		t.Errorf("bob GET /images: %d", code)
	}
	if strings.Contains(body, "alice") || strings.Contains(body, short) {
		t.Errorf("bob's /images shows alice's image (alice:v1, %s)", short)
	}
	code, body = bob.get("/api/builds")
	if code != http.StatusOK || strings.Contains(body, id) {
		t.Errorf("bob GET /api/builds: %d, lists alice's build %s: %s", code, id, body)
	}
	conn, res, err := bob.dialBuild(id, srv.URL)
	if err == nil {
		conn.Close()
		t.Fatalf("bob could watch alice's build %s", id)
	}
	if res == nil || res.StatusCode != http.StatusNotFound {
		t.Errorf("bob watching alice's build: %v, want a 404 handshake", err)
	}
}
