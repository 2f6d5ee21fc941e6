package handlers

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"layerlab/db"
)

// engineBase is the Engine API's base URL for ws (its token made on first use):
// what DOCKER_HOST's tcp://HOST:PORT/ws/<token> makes the CLI send to.
func (e *testEnv) engineBase(ws *db.Workspace) string {
	e.t.Helper()
	tok, err := ws.EngineToken(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return e.HTTP.URL + "/ws/" + tok
}

// engineDo sends an Engine API request (no cookie: the token is the credential).
func (e *testEnv) engineDo(method, url, body string) *testResponse {
	e.t.Helper()
	var rd *strings.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	var req *http.Request
	var err error
	if rd != nil {
		req, err = http.NewRequest(method, url, rd)
	} else {
		req, err = http.NewRequest(method, url, nil)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	b := e.newBrowser()
	return b.do(req)
}

// engineMessage is the {"message"} of a Docker-shaped error.
func engineMessage(t *testing.T, r *testResponse) string {
	t.Helper()
	var m struct{ Message string }
	if err := json.Unmarshal([]byte(r.Body), &m); err != nil {
		t.Fatalf("not Docker's error shape: %q: %v", r.Body, err)
	}
	return m.Message
}

// TestEnginePing: HEAD and GET /_ping answer as Docker 20.10's daemon, with
// API-Version 1.41 and no Builder-Version (2 would turn the 20.10 CLI to BuildKit).
func TestEnginePing(t *testing.T) {
	env := newTestServer(t)
	base := env.engineBase(env.workspace())
	for _, method := range []string{http.MethodHead, http.MethodGet} {
		r := env.engineDo(method, base+"/_ping", "")
		if r.Code != http.StatusOK || r.Header.Get("Api-Version") != "1.41" || r.Header.Get("Ostype") != "linux" {
			t.Errorf("%s /_ping: %d, API-Version %q, Ostype %q", method, r.Code, r.Header.Get("Api-Version"), r.Header.Get("Ostype"))
		}
		if _, has := r.Header["Builder-Version"]; has {
			t.Errorf("%s /_ping sends Builder-Version %q", method, r.Header.Get("Builder-Version"))
		}
		if want := map[string]string{http.MethodHead: "", http.MethodGet: "OK"}[method]; r.Body != want {
			t.Errorf("%s /_ping body %q, want %q", method, r.Body, want)
		}
	}
}

// TestEngineVersionPrefix: /v1.41/..., an older version down to 1.12, and no version
// all reach the same endpoint; a version past 1.41 or before 1.12 gets Docker's 400.
func TestEngineVersionPrefix(t *testing.T) {
	env := newTestServer(t)
	base := env.engineBase(env.workspace())
	for _, tc := range []struct {
		name, path string
		code       int
		body       string
	}{
		{"current", "/v1.41/version", 200, `"ApiVersion":"1.41"`},
		{"old", "/v1.24/version", 200, `"ApiVersion":"1.41"`},
		{"oldest", "/v1.12/version", 200, `"ApiVersion":"1.41"`},
		{"none", "/version", 200, `"ApiVersion":"1.41"`},
		{"too new", "/v1.50/version", 400, "client version 1.50 is too new. Maximum supported API version is 1.41"},
		{"too old", "/v1.5/version", 400, "client version 1.5 is too old. Minimum supported API version is 1.12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.engineDo(http.MethodGet, base+tc.path, "")
			if r.Code != tc.code || !strings.Contains(r.Body, tc.body) {
				t.Errorf("GET %s: %d %q, want %d with %q", tc.path, r.Code, r.Body, tc.code, tc.body)
			}
		})
	}
}

// TestEngineUnknownToken: an unknown token, a rotated-away one and a malformed one get
// 404 with a message saying what to do, on every path, /_ping included (HEAD too).
func TestEngineUnknownToken(t *testing.T) {
	env := newTestServer(t)
	ws := env.workspace()
	old := env.engineBase(ws)
	if _, err := ws.RotateEngineToken(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, base := range []string{old, env.HTTP.URL + "/ws/llnosuchtokennosuchtokennosuchtoke", env.HTTP.URL + "/ws/x"} {
		for _, tc := range []struct{ method, path string }{
			{"HEAD", "/_ping"}, {"GET", "/_ping"}, {"GET", "/v1.41/images/json"}, {"POST", "/v1.41/build"},
			{"DELETE", "/v1.41/images/x"}, {"GET", "/v1.41/containers/x/json"},
		} {
			r := env.engineDo(tc.method, base+tc.path, "")
			if r.Code != http.StatusNotFound {
				t.Errorf("%s %s%s: %d, want 404", tc.method, base, tc.path, r.Code)
				continue
			}
			if tc.method != "HEAD" && !strings.Contains(engineMessage(t, r), "token is unknown or was replaced") {
				t.Errorf("%s %s: message %q", tc.method, tc.path, r.Body)
			}
		}
	}
	// The page's own websockets under /ws/ are not taken for tokens.
	if r := env.get("/ws/builds/nosuch"); r.Code == http.StatusNotFound && strings.Contains(r.Body, "token is unknown") {
		t.Errorf("/ws/builds/ went to the Engine API: %q", r.Body)
	}
}

// TestEngineOff: with the Engine API turned off, a valid token gets 404 saying so.
func TestEngineOff(t *testing.T) {
	env := newTestServer(t, func(d *Deps) { d.NoEngineAPI = true })
	base := env.engineBase(env.workspace())
	r := env.engineDo(http.MethodGet, base+"/_ping", "")
	if r.Code != http.StatusNotFound || !strings.Contains(engineMessage(t, r), "--engine-api=false") {
		t.Errorf("GET /_ping with the API off: %d %q", r.Code, r.Body)
	}
}

// TestEngineNoContainers: `docker inspect` asks for a container first and needs a 404
// to go on to the image; run, ps, exec, volumes get 501 saying containers are not part
// of the playground; an unknown path 404.
func TestEngineNoContainers(t *testing.T) {
	env := newTestServer(t)
	base := env.engineBase(env.workspace())
	for _, tc := range []struct {
		name, method, path string
		code               int
		msg                string
	}{
		{"inspect falls through", "GET", "/v1.41/containers/lesson:v1/json", 404, "No such container: lesson:v1"},
		{"run", "POST", "/v1.41/containers/create", 501, "runs no containers"},
		{"ps", "GET", "/v1.41/containers/json", 501, "runs no containers"},
		{"exec", "POST", "/v1.41/exec/abc/start", 501, "runs no containers"},
		{"volumes", "GET", "/v1.41/volumes", 501, "does not serve volumes"},
		{"buildkit session", "POST", "/session", 501, "DOCKER_BUILDKIT=0"},
		{"unknown", "GET", "/v1.41/nosuch", 404, "page not found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := env.engineDo(tc.method, base+tc.path, "")
			if r.Code != tc.code || !strings.Contains(engineMessage(t, r), tc.msg) {
				t.Errorf("%s %s: %d %q, want %d with %q", tc.method, tc.path, r.Code, r.Body, tc.code, tc.msg)
			}
		})
	}
}
