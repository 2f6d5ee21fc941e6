package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"layerlab/db"
)

// engineTokenOf is ws's token as the store has it.
func engineTokenOf(t *testing.T, ws *db.Workspace) string {
	t.Helper()
	tok, err := ws.EngineToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestEngineTokenPanel: the playground's panel shows the lines for this browser's
// workspace, at the address the browser reached, and not another browser's token.
func TestEngineTokenPanel(t *testing.T) {
	env := newTestServer(t)
	alice, bob := env.browser, env.newBrowser()
	aliceTok, bobTok := engineTokenOf(t, alice.workspace()), engineTokenOf(t, bob.workspace())
	host := strings.TrimPrefix(env.HTTP.URL, "http://")

	page := alice.get("/").wantCode(http.StatusOK)
	want := map[string]string{
		"engine-create": "docker context create layerlab --docker host=tcp://" + host + "/ws/" + aliceTok,
		"engine-build":  "docker --context layerlab build -t my_image:latest .",
		"engine-export": "export DOCKER_HOST=tcp://" + host + "/ws/" + aliceTok,
		"engine-update": "docker context update layerlab --docker host=tcp://" + host + "/ws/" + aliceTok,
	}
	for id, line := range want {
		if got := strings.TrimSpace(page.text(id)); got != line {
			t.Errorf("%s = %q, want %q", id, got, line)
		}
	}
	// static/engineapi.js masks the token in presenter mode and copies data-line.
	for id, line := range want {
		if n := page.find(id); len(n) != 1 || attrOf(n[0], "data-line") != line {
			t.Errorf("%s's data-line is not its whole line %q", id, line)
		}
	}
	if n := page.find("engine-api"); len(n) != 1 || attrOf(n[0], "data-token") != aliceTok {
		t.Errorf("the panel's data-token is not alice's token")
	}
	if strings.Contains(page.Body, bobTok) {
		t.Errorf("alice's page shows bob's token %s", bobTok)
	}
	if len(page.find("engine-create-copy")) != 1 || len(page.find("engine-rotate")) != 1 {
		t.Errorf("the panel lacks its copy or rotate button")
	}
	about := page.text("engine-api-about")
	for _, s := range []string{"live", "No containers", "RUN steps are simulated", "DEPRECATED", "DOCKER_BUILDKIT=0"} {
		if !strings.Contains(about, s) {
			t.Errorf("the panel's text lacks %q: %q", s, about)
		}
	}
	// The lines work: the copied host answers the Engine API as alice's workspace.
	env.engineDo(http.MethodGet, env.HTTP.URL+"/ws/"+aliceTok+"/_ping", "").wantCode(http.StatusOK)
}

// TestEngineTokenFirstVisit: a first visit's GET stores nothing and makes no token;
// the panel's button stores the workspace and makes it.
func TestEngineTokenFirstVisit(t *testing.T) {
	env := newTestServer(t)
	b := env.newBrowser()
	page := b.get("/").wantCode(http.StatusOK)
	if len(page.find("engine-show")) != 1 {
		t.Fatalf("a new session's panel has no button to show its lines:\n%s", page.Body)
	}
	if got := strings.TrimSpace(page.text("engine-create")); got != "" {
		t.Errorf("a new session's panel shows a line before any token exists: %q", got)
	}
	u, _ := url.Parse(env.HTTP.URL)
	var name string
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == sessionCookie {
			name = workspaceName(c.Value)
		}
	}
	if _, err := env.Store.ExistingWorkspace(context.Background(), name); !errors.Is(err, db.ErrNotFound) {
		t.Fatalf("the GET stored the workspace (err %v)", err)
	}

	var got engineTokenJSON
	b.postJSON("/api/engine-token", nil).wantCode(http.StatusOK).json(&got)
	tok := engineTokenOf(t, b.workspace())
	if got.Create != "docker context create layerlab --docker host=tcp://"+u.Host+"/ws/"+tok || got.Rotated {
		t.Errorf("POST /api/engine-token = %+v, want the lines of token %s", got, tok)
	}
	// Asked again, the same token.
	var again engineTokenJSON
	b.postJSON("/api/engine-token", nil).wantCode(http.StatusOK).json(&again)
	if again.Host != got.Host {
		t.Errorf("a second ask changed the token: %s then %s", got.Host, again.Host)
	}
}

// TestEngineTokenRotate: a new token answers at once and the old one gets 404, from
// fetch (JSON) and from the form without JavaScript.
func TestEngineTokenRotate(t *testing.T) {
	env := newTestServer(t)
	b := env.browser
	old := engineTokenOf(t, b.workspace())
	ping := func(tok string) int {
		return env.engineDo(http.MethodGet, env.HTTP.URL+"/ws/"+tok+"/_ping", "").Code
	}
	if c := ping(old); c != http.StatusOK {
		t.Fatalf("ping with the first token: %d", c)
	}

	var got engineTokenJSON
	b.postJSON("/api/engine-token/rotate", nil).wantCode(http.StatusOK).json(&got)
	tok := engineTokenOf(t, b.workspace())
	if tok == old || !got.Rotated || !strings.HasSuffix(got.Host, "/ws/"+tok) ||
		got.Update != "docker context update layerlab --docker host="+got.Host {
		t.Fatalf("rotate answered %+v; the store's token is %s (was %s)", got, tok, old)
	}
	if c := ping(old); c != http.StatusNotFound {
		t.Errorf("ping with the rotated-away token: %d, want 404", c)
	}
	if c := ping(tok); c != http.StatusOK {
		t.Errorf("ping with the new token: %d, want 200", c)
	}

	// The form (no JavaScript): a redirect back to the open panel, with a notice.
	page := b.postForm("/engine-token/rotate", nil).wantCode(http.StatusOK)
	third := engineTokenOf(t, b.workspace())
	if third == tok {
		t.Fatal("the form did not replace the token")
	}
	if len(page.Redirected) != 1 || page.Redirected[0] != http.StatusSeeOther || page.URL.Path != "/" {
		t.Errorf("the form answered %v to %s, want a 303 to /", page.Redirected, page.URL)
	}
	if !strings.Contains(page.text("engine-create"), "/ws/"+third) {
		t.Errorf("the page after the form shows %q, not the new token %s", page.text("engine-create"), third)
	}
	if n := page.find("engine-api"); len(n) != 1 || !hasAttr(n[0], "open") {
		t.Errorf("the panel is not open after the form")
	}
	if !strings.Contains(page.text("class-notice"), "the old one stops working now") {
		t.Errorf("no notice that the old token stopped: %q", page.text("class-notice"))
	}
	if c := ping(tok); c != http.StatusNotFound {
		t.Errorf("ping with the token the form replaced: %d, want 404", c)
	}
}

// TestEngineTokenCSRF: rotating needs the session's CSRF token, from fetch and form.
func TestEngineTokenCSRF(t *testing.T) {
	env := newTestServer(t)
	b := env.browser
	old := engineTokenOf(t, b.workspace())
	tests := []struct {
		name string
		send func() *testResponse
	}{
		{"form without csrf", func() *testResponse { return b.postRawForm("/engine-token/rotate", url.Values{}) }},
		{"form with a wrong csrf", func() *testResponse {
			return b.postRawForm("/engine-token/rotate", url.Values{"csrf": {"0123456789abcdef0123456789abcdef"}})
		}},
		{"fetch without the header", func() *testResponse {
			req, _ := http.NewRequest(http.MethodPost, b.url("/api/engine-token/rotate"), nil)
			req.Header.Set("Accept", "application/json")
			return b.do(req)
		}},
		{"fetch from another origin", func() *testResponse {
			req, _ := http.NewRequest(http.MethodPost, b.url("/api/engine-token/rotate"), nil)
			req.Header.Set("X-CSRF-Token", b.token())
			req.Header.Set("Origin", "http://evil.example")
			return b.do(req)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if c := tc.send().Code; c != http.StatusForbidden {
				t.Errorf("status %d, want 403", c)
			}
			if tok := engineTokenOf(t, b.workspace()); tok != old {
				t.Errorf("the token changed without the CSRF token")
			}
		})
	}
}

// TestEngineTokenOff: with the Engine API off the panel says so, shows no token, and
// its actions answer 404.
func TestEngineTokenOff(t *testing.T) {
	env := newTestServer(t, func(d *Deps) { d.NoEngineAPI = true })
	b := env.browser
	b.workspace()
	page := b.get("/").wantCode(http.StatusOK)
	if !strings.Contains(page.text("engine-api-off"), "--engine-api=false") {
		t.Errorf("the panel does not say the API is off: %q", page.text("engine-api-off"))
	}
	if len(page.find("engine-create")) != 0 || len(page.find("engine-rotate")) != 0 {
		t.Errorf("the panel shows lines or a rotate button with the API off")
	}
	b.postJSON("/api/engine-token/rotate", nil).wantCode(http.StatusNotFound)
	b.postJSON("/api/engine-token", nil).wantCode(http.StatusNotFound)
}

// TestEngineHostPort: the address in the lines always has a port (the docker CLI takes
// a tcp:// host without one to mean port 2375), from the public URL when set.
func TestEngineHostPort(t *testing.T) {
	tests := []struct {
		name      string
		publicURL string
		host      string
		hostTLS   bool
		want      string
		wantTLS   bool
	}{
		{"request host with port", "", "127.0.0.1:8080", false, "127.0.0.1:8080", false},
		{"request host without port", "", "lab.example.org", false, "lab.example.org:80", false},
		{"request over tls without port", "", "lab.example.org", true, "lab.example.org:443", true},
		{"ipv6 request host", "", "[::1]", false, "[::1]:80", false},
		{"public url wins", "http://10.0.0.5:8080", "127.0.0.1:8080", false, "10.0.0.5:8080", false},
		{"https public url", "https://lab.example.org", "127.0.0.1:8080", false, "lab.example.org:443", true},
		{"https public url with port", "https://lab.example.org:8443/", "x:1", false, "lab.example.org:8443", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, tls := EngineHostPort(tc.publicURL, tc.host, tc.hostTLS)
			if got != tc.want || tls != tc.wantTLS {
				t.Errorf("EngineHostPort(%q, %q, %v) = %q, %v; want %q, %v", tc.publicURL, tc.host, tc.hostTLS, got, tls, tc.want, tc.wantTLS)
			}
		})
	}
}

// TestEngineTokenPublicURL: with Deps.PublicURL the lines name it, whatever Host the
// request says, and an https one gets the word on TLS.
func TestEngineTokenPublicURL(t *testing.T) {
	env := newTestServer(t, func(d *Deps) { d.PublicURL = "https://lab.example.org" })
	b := env.browser
	tok := engineTokenOf(t, b.workspace())
	page := b.get("/").wantCode(http.StatusOK)
	if got, want := strings.TrimSpace(page.text("engine-export")), "export DOCKER_HOST=tcp://lab.example.org:443/ws/"+tok; got != want {
		t.Errorf("engine-export = %q, want %q", got, want)
	}
	if n := page.find("engine-tls"); len(n) != 1 || hasAttr(n[0], "hidden") {
		t.Errorf("an https public URL's panel does not say the lines carry no TLS options")
	}
}

// TestEngineTokenShowForm: without JavaScript, the first visit's button (a form) stores
// the workspace, makes its token and comes back to the open panel with the lines.
func TestEngineTokenShowForm(t *testing.T) {
	env := newTestServer(t)
	b := env.newBrowser()
	page := b.postForm("/engine-token", nil).wantCode(http.StatusOK)
	tok := engineTokenOf(t, b.workspace())
	if got := page.text("engine-create"); !strings.HasSuffix(got, "/ws/"+tok) {
		t.Errorf("after the form the panel shows %q, want the lines of %s", got, tok)
	}
	if len(page.find("engine-show")) != 0 {
		t.Errorf("the panel still offers the button once the token exists")
	}
	if n := page.find("engine-api"); len(n) != 1 || !hasAttr(n[0], "open") {
		t.Errorf("the panel is not open after the form")
	}
}
