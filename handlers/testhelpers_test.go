package handlers

// Shared test helpers: a real store under t.TempDir(), the real handler behind
// httptest, and browsers (cookie jars) that fetch pages, read the CSRF token from the
// page's meta tag and send it back, as the pages' JavaScript does.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"layerlab/db"
	"layerlab/engine/build"
)

// testEnv is a running server over a fresh store, and a first browser using it.
type testEnv struct {
	*browser // the first browser: env.get(...), env.postJSON(...)
	t        *testing.T
	Store    *db.Store
	Server   *Server
	HTTP     *httptest.Server
}

// newTestServer starts handlers.New over a store in t.TempDir(); everything is closed
// when the test ends. Options adjust the Deps (e.g. a fixed clock).
func newTestServer(t *testing.T, opts ...func(*Deps)) *testEnv {
	t.Helper()
	ctx := context.Background()
	st, err := db.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	d := Deps{Store: st, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for _, o := range opts {
		o(&d)
	}
	srv := New(d)
	hs := httptest.NewServer(srv)
	env := &testEnv{t: t, Store: st, Server: srv, HTTP: hs}
	t.Cleanup(func() {
		hs.Close()
		cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := srv.Close(cctx); err != nil {
			t.Errorf("close server: %v", err)
		}
		if err := st.Close(); err != nil {
			t.Errorf("close store: %v", err)
		}
	})
	env.browser = env.newBrowser()
	return env
}

// withClock makes the server's clock (relative times: "2 minutes ago") return now.
func withClock(now time.Time) func(*Deps) {
	return func(d *Deps) { d.Now = func() time.Time { return now } }
}

// browser is one person's browser: its own cookie jar, hence its own session and
// workspace.
type browser struct {
	env    *testEnv
	t      *testing.T
	client *http.Client
	csrf   string
}

// newBrowser is another browser on the same server (another cookie jar).
func (e *testEnv) newBrowser() *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return &browser{env: e, t: e.t, client: &http.Client{Jar: jar, Timeout: 2 * time.Minute}}
}

// testResponse is an answer, read whole.
type testResponse struct {
	t      *testing.T
	Code   int
	Header http.Header
	Body   string
	URL    *url.URL // after redirects
	// Redirected lists the statuses of the redirects followed to get here (303 ...).
	Redirected []int
}

// do sends a request as this browser, following redirects as a browser does.
func (b *browser) do(req *http.Request) *testResponse {
	b.t.Helper()
	var redirects []int
	c := *b.client
	c.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		redirects = append(redirects, r.Response.StatusCode)
		if len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, err := c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return &testResponse{t: b.t, Code: resp.StatusCode, Header: resp.Header, Body: string(body), URL: resp.Request.URL, Redirected: redirects}
}

// withT is the same browser reporting failures to t (a subtest's).
func (b *browser) withT(t *testing.T) *browser {
	c := *b
	c.t = t
	return &c
}

func (b *browser) url(path string) string { return b.env.HTTP.URL + path }

// get fetches path ("/images?all=1").
func (b *browser) get(path string) *testResponse {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.url(path), nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// token is the session's CSRF token, read from a page's <meta name="csrf-token"> the
// first time it is needed (which also starts the session).
func (b *browser) token() string {
	b.t.Helper()
	if b.csrf == "" {
		res := b.get("/images")
		m := regexp.MustCompile(`<meta name="csrf-token" content="([^"]*)"`).FindStringSubmatch(res.Body)
		if m == nil || m[1] == "" {
			b.t.Fatalf("no csrf-token meta tag on /images (status %d)", res.Code)
		}
		b.csrf = m[1]
	}
	return b.csrf
}

// postJSON sends body as JSON with the CSRF header, as window.layerlab.api does.
func (b *browser) postJSON(path string, body any) *testResponse {
	b.t.Helper()
	return b.sendJSON(http.MethodPost, path, body)
}

// sendJSON is postJSON for any method (PUT, DELETE).
func (b *browser) sendJSON(method, path string, body any) *testResponse {
	b.t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			b.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, b.url(path), rd)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("X-CSRF-Token", b.token())
	return b.do(req)
}

// postForm submits a form with the page's csrf field, as a <form method="post"> does.
func (b *browser) postForm(path string, values url.Values) *testResponse {
	b.t.Helper()
	v := url.Values{}
	for k, vs := range values {
		v[k] = vs
	}
	if _, ok := v["csrf"]; !ok {
		v.Set("csrf", b.token())
	}
	return b.postRawForm(path, v)
}

// postRawForm submits values as they are: no CSRF token added.
func (b *browser) postRawForm(path string, values url.Values) *testResponse {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.url(path), strings.NewReader(values.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// workspace is this browser's workspace in the store (its session starts if needed).
func (b *browser) workspace() *db.Workspace {
	b.t.Helper()
	b.token()
	u, _ := url.Parse(b.env.HTTP.URL)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			ws, err := b.env.Store.Workspace(context.Background(), workspaceName(c.Value))
			if err != nil {
				b.t.Fatal(err)
			}
			return ws
		}
	}
	b.t.Fatal("the browser has no session cookie")
	return nil
}

// build builds dockerfile with files (path -> content) through the engine into this
// browser's workspace, tagged with tags, as the playground would.
func (b *browser) build(dockerfile string, files map[string]string, tags ...string) *build.Result {
	b.t.Helper()
	bfiles := []build.File{{Path: "Dockerfile", Data: []byte(dockerfile)}}
	for p, c := range files {
		bfiles = append(bfiles, build.File{Path: p, Data: []byte(c)})
	}
	bctx, err := build.NewContext(bfiles, "Dockerfile")
	if err != nil {
		b.t.Fatal(err)
	}
	res, err := build.New(b.workspace(), build.StandIns{}).Build(context.Background(), bctx, build.Options{Tags: tags})
	if err != nil {
		b.t.Fatalf("build: %v", err)
	}
	return res
}

// setContext replaces this browser's build context (the playground's files).
func (b *browser) setContext(files map[string]string) {
	b.t.Helper()
	var cf []db.ContextFile
	for p, c := range files {
		cf = append(cf, db.ContextFile{Path: p, Data: []byte(c)})
	}
	if err := b.workspace().ReplaceContext(context.Background(), cf); err != nil {
		b.t.Fatal(err)
	}
}

// ---- reading answers ----

// wantCode fails the test unless the status is code.
func (r *testResponse) wantCode(code int) *testResponse {
	r.t.Helper()
	if r.Code != code {
		body := r.Body
		if len(body) > 3000 {
			body = body[:3000] + "…"
		}
		r.t.Fatalf("%s: status %d, want %d; body:\n%s", r.URL, r.Code, code, body)
	}
	return r
}

// json decodes the body into v.
func (r *testResponse) json(v any) {
	r.t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		r.t.Fatalf("%s: body is not JSON (%v):\n%s", r.URL, err, r.Body)
	}
}

// doc parses the body as HTML.
func (r *testResponse) doc() *html.Node {
	r.t.Helper()
	n, err := html.Parse(strings.NewReader(r.Body))
	if err != nil {
		r.t.Fatalf("parse HTML: %v", err)
	}
	return n
}

// find returns the elements with data-testid=id, in document order.
func (r *testResponse) find(id string) []*html.Node { return findTestID(r.doc(), id) }

// text is the text of the first element with data-testid=id (the test fails if none).
func (r *testResponse) text(id string) string {
	r.t.Helper()
	ns := r.find(id)
	if len(ns) == 0 {
		r.t.Fatalf("%s: no element with data-testid=%q", r.URL, id)
	}
	return nodeText(ns[0])
}

// texts is the text of every element with data-testid=id.
func (r *testResponse) texts(id string) []string {
	var out []string
	for _, n := range r.find(id) {
		out = append(out, nodeText(n))
	}
	return out
}

func findTestID(root *html.Node, id string) []*html.Node {
	var out []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && attrOf(n, "data-testid") == id {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	return out
}

// within returns the elements with data-testid=id inside n.
func within(n *html.Node, id string) []*html.Node { return findTestID(n, id) }

// attrOf is an element's attribute ("" when absent).
func attrOf(n *html.Node, name string) string {
	for _, a := range n.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// hasAttr reports whether an element has the attribute (a boolean one: hidden, open).
func hasAttr(n *html.Node, name string) bool {
	for _, a := range n.Attr {
		if a.Key == name {
			return true
		}
	}
	return false
}

// nodeText is the text content of n as a user reads it: blanks collapsed, and the text
// of separate elements (table cells, spans) separated by a space.
func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		} else if n.Type == html.ElementNode {
			b.WriteString(" ")
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return strings.Join(strings.Fields(b.String()), " ")
}

// rawText is the text content of n exactly (for <pre>).
func rawText(n *html.Node) string {
	var b strings.Builder
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}
