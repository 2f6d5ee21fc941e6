package handlers

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"layerlab/db"
	"layerlab/remote"
)

// engineReq sends an Engine API request with headers; a nil body with chunked set
// sends an empty chunked body.
func (e *testEnv) engineReq(method, u string, body io.Reader, hdr map[string]string) *testResponse {
	e.t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	return e.newBrowser().do(req)
}

// hubHostOf is the test server's address as a registry host (127.0.0.1:PORT).
func (e *testEnv) hubHostOf() string {
	u, err := url.Parse(e.HTTP.URL)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.Host
}

// registryAuthHeader is X-Registry-Auth as the CLI sends it.
func registryAuthHeader(user, pass, server string) string {
	b, _ := json.Marshal(map[string]string{"username": user, "password": pass, "serveraddress": server})
	return base64.URLEncoding.EncodeToString(b)
}

// streamLines splits a JSON stream into its lines, failing on one that is not JSON.
func streamLines(t *testing.T, body string) []string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(body, "\n"), "\n") {
		if !json.Valid([]byte(l)) {
			t.Fatalf("not a JSON stream line: %q in\n%s", l, body)
		}
		lines = append(lines, l)
	}
	return lines
}

func hubToken(t *testing.T, ws *db.Workspace) (string, string) {
	t.Helper()
	ns, tok, err := ws.HubToken(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	return ns, tok
}

// TestEngineAuthLogin: POST /auth answers Docker's shapes: 200 Login Succeeded for a
// namespace and its token, 500 with the daemon's words otherwise.
func TestEngineAuthLogin(t *testing.T) {
	env := newTestServer(t)
	ws := env.workspace()
	base := env.engineBase(ws)
	ns, tok := hubToken(t, ws)
	host := env.hubHostOf()
	port := host[strings.LastIndex(host, ":"):]
	login := func(user, pass, server string) string {
		b, _ := json.Marshal(map[string]string{"username": user, "password": pass, "serveraddress": server})
		return string(b)
	}
	tests := []struct {
		name     string
		body     string
		code     int
		wantBody string // exact, when set
		wantMsg  string // in the message, when set
	}{
		{"right token", login(ns, tok, host), 200, `{"IdentityToken":"","Status":"Login Succeeded"}` + "\n", ""},
		{"localhost is the same server", login(ns, tok, "localhost"+port), 200, "", ""},
		{"with a scheme", login(ns, tok, "http://"+host+"/v2/"), 200, "", ""},
		// A Docker daemon's words for this hub's refusal (dockerd 20.10 against layerlab).
		{"wrong token", login(ns, tok+"x", host), 500, "",
			`Get "http://` + host + `/v2/": unauthorized: the user name or token is wrong: log in with your namespace and the token ` + "`layerlab hub token`" + ` prints`},
		{"another namespace's name", login("nobody", tok, host), 500, "", `/v2/": unauthorized: the user name or token is wrong`},
		{"docker hub", login(ns, tok, "https://index.docker.io/v1/"), 500, "", "the playground does not reach index.docker.io"},
		{"another registry", login(ns, tok, "10.9.8.7:5000"), 500, "", "docker login " + host + " -u NAMESPACE"},
		{"not JSON", "{", 400, "", "Bad parameters"},
		{"past the bound", `{"username":"` + strings.Repeat("a", maxAuthBody) + `"}`, 413, "", "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.engineReq(http.MethodPost, base+"/v1.41/auth", strings.NewReader(tt.body), map[string]string{"Content-Type": "application/json"})
			if r.Code != tt.code {
				t.Fatalf("status %d, want %d: %s", r.Code, tt.code, r.Body)
			}
			if tt.wantBody != "" && r.Body != tt.wantBody {
				t.Errorf("body %q, want %q", r.Body, tt.wantBody)
			}
			if tt.wantMsg != "" {
				if m := engineMessage(t, r); !strings.Contains(m, tt.wantMsg) {
					t.Errorf("message %q, want it to contain %q", m, tt.wantMsg)
				}
			}
		})
	}
}

// TestEnginePushPull: a push to this server's hub needs the namespace's token in
// X-Registry-Auth (the hub's rule), streams as the daemon does, and a classmate pulls
// the image with the same name; failures come as Docker sends them.
func TestEnginePushPull(t *testing.T) {
	env := newTestServer(t)
	host := env.hubHostOf()
	ana := env.browser
	anaWS := ana.workspace()
	ns, tok := hubToken(t, anaWS)
	ben := env.newBrowser()
	benWS := ben.workspace()
	benNS, benTok := hubToken(t, benWS)
	repo := host + "/" + ns + "/lesson"
	res := ana.build("FROM scratch\nCOPY a.txt /\n", map[string]string{"a.txt": "hello\n"}, repo+":v1", "lesson:v1")
	anaBase, benBase := env.engineBase(anaWS), env.engineBase(benWS)
	push := func(base, name, tag, auth string) *testResponse {
		h := map[string]string{}
		if auth != "" {
			h["X-Registry-Auth"] = auth
		}
		return env.engineReq(http.MethodPost, base+"/v1.41/images/"+name+"/push?tag="+tag, nil, h)
	}

	t.Run("no X-Registry-Auth", func(t *testing.T) {
		r := push(anaBase, repo, "v1", "")
		if r.Code != 400 || engineMessage(t, r) != "Bad parameters and missing X-Registry-Auth: EOF" {
			t.Errorf("%d %s", r.Code, r.Body)
		}
	})

	refused := []struct {
		name, auth, want string
	}{
		{"not logged in", "e30=", `"error":"unauthorized: authentication required`},
		{"a wrong token", registryAuthHeader(ns, tok+"x", host), `"error":"unauthorized: the user name or token is wrong: log in with your namespace`},
		{"a classmate's namespace", registryAuthHeader(benNS, benTok, host), `"error":"denied: namespace ` + ns + ` belongs to another workspace`},
	}
	for _, tt := range refused {
		t.Run("refused: "+tt.name, func(t *testing.T) {
			r := push(anaBase, repo, "v1", tt.auth)
			lines := streamLines(t, r.Body)
			if r.Code != 200 || len(lines) != 3 {
				t.Fatalf("%d, want 200 and the repository, one layer and the error:\n%s", r.Code, r.Body)
			}
			if lines[0] != `{"status":"The push refers to repository [`+repo+`]"}` ||
				!strings.HasPrefix(lines[1], `{"status":"Preparing","progressDetail":{},"id":"`) ||
				!strings.HasPrefix(lines[2], `{"errorDetail":{"message":`) || !strings.Contains(lines[2], tt.want) {
				t.Errorf("stream:\n%s", r.Body)
			}
		})
	}

	t.Run("no such local image", func(t *testing.T) {
		r := push(anaBase, host+"/"+ns+"/nosuch", "v1", registryAuthHeader(ns, tok, host))
		want := `{"status":"The push refers to repository [` + host + "/" + ns + `/nosuch]"}` + "\n" +
			`{"errorDetail":{"message":"An image does not exist locally with the tag: ` + host + "/" + ns + `/nosuch"},"error":"An image does not exist locally with the tag: ` + host + "/" + ns + `/nosuch"}` + "\n"
		if r.Code != 200 || r.Body != want {
			t.Errorf("%d\n%s\nwant\n%s", r.Code, r.Body, want)
		}
	})

	t.Run("another registry", func(t *testing.T) {
		r := push(anaBase, "10.9.8.7:5000/x", "v1", "e30=")
		lines := streamLines(t, r.Body)
		if r.Code != 200 || len(lines) != 2 || !strings.Contains(lines[1], "the playground does not reach 10.9.8.7:5000") {
			t.Errorf("%d\n%s", r.Code, r.Body)
		}
	})

	var pushedDigest string
	t.Run("pushed", func(t *testing.T) {
		r := push(anaBase, repo, "v1", registryAuthHeader(ns, tok, host))
		lines := streamLines(t, r.Body)
		if r.Code != 200 || r.Header.Get("Content-Type") != "application/json" || len(lines) < 5 {
			t.Fatalf("%d %s\n%s", r.Code, r.Header.Get("Content-Type"), r.Body)
		}
		if lines[0] != `{"status":"The push refers to repository [`+repo+`]"}` {
			t.Errorf("first line %s", lines[0])
		}
		if !strings.Contains(r.Body, `{"status":"Pushed","progressDetail":{},"id":"`) {
			t.Errorf("no layer pushed:\n%s", r.Body)
		}
		var aux struct {
			Aux struct {
				Tag, Digest string
				Size        int
			}
		}
		last := lines[len(lines)-1]
		if !strings.HasPrefix(last, `{"progressDetail":{},"aux":{"Tag":"v1","Digest":"sha256:`) {
			t.Fatalf("last line %s", last)
		}
		json.Unmarshal([]byte(last), &aux)
		pushedDigest = aux.Aux.Digest
		want := `{"status":"v1: digest: ` + aux.Aux.Digest + ` size: `
		if !strings.HasPrefix(lines[len(lines)-2], want) {
			t.Errorf("digest line %s, want %s...", lines[len(lines)-2], want)
		}
		for _, l := range lines {
			if strings.Contains(l, `"error"`) {
				t.Errorf("an error in a push that worked: %s", l)
			}
		}
	})

	t.Run("a classmate pulls it", func(t *testing.T) {
		r := env.engineReq(http.MethodPost, benBase+"/v1.41/images/create?fromImage="+url.QueryEscape(repo)+"&tag=v1", nil, nil)
		lines := streamLines(t, r.Body)
		if r.Code != 200 || len(lines) < 3 {
			t.Fatalf("%d\n%s", r.Code, r.Body)
		}
		if lines[0] != `{"status":"Pulling from `+ns+`/lesson","id":"v1"}` ||
			lines[len(lines)-2] != `{"status":"Digest: `+pushedDigest+`"}` ||
			lines[len(lines)-1] != `{"status":"Status: Downloaded newer image for `+repo+`:v1"}` {
			t.Errorf("stream:\n%s", r.Body)
		}
		rec, err := benWS.Lookup(context.Background(), repo+":v1")
		if err != nil || rec.ID.String() != res.Image.String() {
			t.Errorf("the classmate's image: %v %v, want %s", rec, err, res.Image)
		}
	})

	t.Run("pulled again: up to date", func(t *testing.T) {
		r := env.engineReq(http.MethodPost, benBase+"/v1.41/images/create?fromImage="+url.QueryEscape(repo)+"&tag=v1", nil,
			map[string]string{"X-Registry-Auth": "e30="})
		if r.Code != 200 || !strings.HasSuffix(r.Body, `{"status":"Status: Image is up to date for `+repo+`:v1"}`+"\n") {
			t.Errorf("%d\n%s", r.Code, r.Body)
		}
	})

	t.Run("a docker.io name: the page's pull", func(t *testing.T) {
		// The 28.x CLI's long name for lesson:v1: the workspace's own namespace first.
		r := env.engineReq(http.MethodPost, anaBase+"/v1.41/images/create?fromImage=docker.io%2Flibrary%2Flesson&tag=v1", nil, nil)
		if r.Code != 200 || !strings.Contains(r.Body, `Status: Image is up to date for lesson:v1`) {
			t.Errorf("%d\n%s", r.Code, r.Body)
		}
	})

	t.Run("a docker.io name: the page's push, said so", func(t *testing.T) {
		r := push(anaBase, "docker.io/library/lesson", "v1", "e30=")
		lines := streamLines(t, r.Body)
		if r.Code != 200 || !strings.Contains(lines[0], "[layerlab] docker.io is not reachable from the playground: this pushes to the built-in hub as "+ns+"/lesson:v1") ||
			!strings.HasPrefix(lines[len(lines)-1], `{"progressDetail":{},"aux":{"Tag":"v1"`) {
			t.Errorf("%d\n%s", r.Code, r.Body)
		}
	})

	pullFails := []struct {
		name, from, tag string
		code            int
		want            string
	}{
		{"no such image", url.QueryEscape(host + "/" + ns + "/nosuch"), "v1", 404, "manifest for " + host + "/" + ns + "/nosuch:v1 not found"},
		{"another registry", "10.9.8.7%3A5000%2Fx", "1", 500, "the playground does not reach 10.9.8.7:5000"},
		{"a bad name", "UPPER%2F%2Fx", "1", 400, "invalid reference format"},
		{"all tags", "busybox", "", 501, "--all-tags is not supported"},
		{"import", "", "", 501, "docker import is not part of the playground"},
	}
	for _, tt := range pullFails {
		t.Run("pull fails: "+tt.name, func(t *testing.T) {
			u := benBase + "/v1.41/images/create?fromImage=" + tt.from + "&tag=" + tt.tag
			if tt.name == "import" {
				u = benBase + "/v1.41/images/create?fromSrc=-&repo=x"
			}
			r := env.engineReq(http.MethodPost, u, nil, nil)
			if r.Code != tt.code || !strings.Contains(engineMessage(t, r), tt.want) {
				t.Errorf("%d %s, want %d and %q", r.Code, r.Body, tt.code, tt.want)
			}
		})
	}
}

// TestEngineTransferLimits: the Engine API's pulls, pushes and loads take the page's
// transfer slots (at most TransfersPerWorkspace running or waiting for one workspace) and are
// refused before they start when the workspace is at its storage quota.
func TestEngineTransferLimits(t *testing.T) {
	env := newTestServer(t, func(d *Deps) { d.Limits.TransfersPerWorkspace = 1 })
	ws := env.workspace()
	base := env.engineBase(ws)
	host := env.hubHostOf()
	ns, tok := hubToken(t, ws)
	env.build("FROM scratch\nCOPY a.txt /\n", map[string]string{"a.txt": strings.Repeat("x", 4096)}, host+"/"+ns+"/app:1")
	pull := func() *testResponse {
		return env.engineReq(http.MethodPost, base+"/images/create?fromImage="+url.QueryEscape(host+"/"+ns+"/app")+"&tag=1", nil, nil)
	}
	pushReq := func() *testResponse {
		return env.engineReq(http.MethodPost, base+"/images/"+host+"/"+ns+"/app/push?tag=1", nil,
			map[string]string{"X-Registry-Auth": registryAuthHeader(ns, tok, host)})
	}

	// At the bound: one transfer of the workspace's is running.
	release := make(chan struct{})
	block := func(ctx context.Context, _ func(remote.Message)) error {
		select {
		case <-release:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	held, err := env.Server.transfers.start(ws.Name(), "pull", "x", "docker pull x", "ns/x", block)
	if err != nil {
		t.Fatal(err)
	}
	loadReq := func() *testResponse {
		return env.engineReq(http.MethodPost, base+"/images/load?quiet=1", strings.NewReader("x"), nil)
	}
	for name, do := range map[string]func() *testResponse{"pull": pull, "push": pushReq, "load": loadReq} {
		if r := do(); r.Code != http.StatusTooManyRequests || !strings.Contains(engineMessage(t, r), "the server's limit per workspace (1)") {
			t.Errorf("%s past the bound: %d %s", name, r.Code, r.Body)
		}
	}
	close(release)
	wake := held.watch()
	for held.end() == nil {
		<-wake
	}
	held.unwatch(wake)
	if r := pushReq(); r.Code != 200 || strings.Contains(r.Body, `"error"`) {
		t.Errorf("push within the bound: %d %s", r.Code, r.Body)
	}

	// The quota: a workspace that stores its quota already is told so before anything moves.
	env.Store.SetWorkspaceQuota(1024)
	t.Cleanup(func() { env.Store.SetWorkspaceQuota(0) })
	for name, do := range map[string]func() *testResponse{"pull": pull, "push": pushReq} {
		if r := do(); r.Code != http.StatusInsufficientStorage || !strings.Contains(engineMessage(t, r), "storage quota exceeded") {
			t.Errorf("%s at the quota: %d %s", name, r.Code, r.Body)
		}
	}
}

// saveArchive is GET /images/get for names.
func (e *testEnv) saveArchive(base string, names ...string) *testResponse {
	e.t.Helper()
	q := url.Values{"names": names}
	return e.engineReq(http.MethodGet, base+"/v1.41/images/get?"+q.Encode(), nil, nil)
}

// tarNames lists a tar's entries and returns manifest.json's content.
func tarNames(t *testing.T, b []byte) ([]string, string) {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(b))
	var names []string
	manifest := ""
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return names, manifest
		}
		if err != nil {
			t.Fatalf("not a tar: %v", err)
		}
		names = append(names, h.Name)
		if h.Name == "manifest.json" {
			m, _ := io.ReadAll(tr)
			manifest = string(m)
		}
	}
}

// TestEngineSaveLoad: save streams Docker 20.10's legacy archive; load takes the
// request's body, answers the daemon's lines (renaming the old image when a tag
// moves), and its failures in the stream.
func TestEngineSaveLoad(t *testing.T) {
	env := newTestServer(t)
	ana, ben := env.browser, env.newBrowser()
	anaBase, benBase := env.engineBase(ana.workspace()), env.engineBase(ben.workspace())
	v1 := ana.build("FROM scratch\nCOPY a.txt /\n", map[string]string{"a.txt": "one\n"}, "lesson:v1")

	save := env.saveArchive(anaBase, "lesson:v1")
	if save.Code != 200 || save.Header.Get("Content-Type") != "application/x-tar" {
		t.Fatalf("save: %d %s", save.Code, save.Header.Get("Content-Type"))
	}
	// Docker 20.10's layout: <v1 id>/{VERSION,json,layer.tar}, <config>.json,
	// manifest.json, repositories; no OCI layout (dive reads */layer.tar).
	names, manifest := tarNames(t, []byte(save.Body))
	var m []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal([]byte(manifest), &m); err != nil || len(m) != 1 {
		t.Fatalf("manifest.json %q: %v", manifest, err)
	}
	layer := m[0].Layers[0]
	id := strings.TrimSuffix(layer, "/layer.tar")
	want := []string{id + "/", id + "/VERSION", id + "/json", layer, v1.Image.Encoded() + ".json", "manifest.json", "repositories"}
	if v1.Image.Encoded() < id {
		want = []string{v1.Image.Encoded() + ".json", id + "/", id + "/VERSION", id + "/json", layer, "manifest.json", "repositories"}
	}
	if strings.Join(names, " ") != strings.Join(want, " ") || m[0].Config != v1.Image.Encoded()+".json" ||
		strings.Join(m[0].RepoTags, " ") != "lesson:v1" || len(m[0].Layers) != 1 {
		t.Errorf("not Docker 20.10's layout:\n%v\nwant\n%v\n%s", names, want, manifest)
	}
	t.Run("an image without layers: Docker 20.10's refusal", func(t *testing.T) {
		ana.build("FROM scratch\nLABEL a=1\n", nil, "empty:v1")
		r := env.saveArchive(anaBase, "empty:v1")
		if r.Code != 500 || engineMessage(t, r) != "empty export - not implemented" {
			t.Errorf("%d %s", r.Code, r.Body)
		}
	})

	saveFails := []struct {
		name  string
		names []string
		code  int
		want  string
	}{
		{"unknown tag", []string{"nosuch:v1"}, 404, "reference does not exist"},
		{"one of two unknown", []string{"lesson:v1", "nosuch:v1"}, 404, "reference does not exist"},
		{"no names", nil, 400, "no images named"},
	}
	for _, tt := range saveFails {
		t.Run("save fails: "+tt.name, func(t *testing.T) {
			r := env.saveArchive(anaBase, tt.names...)
			if r.Code != tt.code || engineMessage(t, r) != tt.want && !strings.Contains(engineMessage(t, r), tt.want) {
				t.Errorf("%d %s", r.Code, r.Body)
			}
		})
	}

	load := func(base, quiet string, body io.Reader) *testResponse {
		return env.engineReq(http.MethodPost, base+"/v1.41/images/load?quiet="+quiet, body, map[string]string{"Content-Type": "application/x-tar"})
	}
	t.Run("into a classmate's workspace", func(t *testing.T) {
		r := load(benBase, "1", strings.NewReader(save.Body))
		if r.Code != 200 || r.Body != `{"stream":"Loaded image: lesson:v1\n"}`+"\n" {
			t.Fatalf("%d %q", r.Code, r.Body)
		}
		if rec, err := ben.workspace().Lookup(context.Background(), "lesson:v1"); err != nil || rec.ID != v1.Image {
			t.Errorf("loaded: %v %v", rec, err)
		}
	})
	t.Run("again: the same image, no renaming", func(t *testing.T) {
		r := load(benBase, "0", strings.NewReader(save.Body))
		if r.Code != 200 || r.Body != `{"stream":"Loaded image: lesson:v1\n"}`+"\n" {
			t.Errorf("%d %q", r.Code, r.Body)
		}
	})
	t.Run("over a tag that moved: the old one renamed", func(t *testing.T) {
		v2 := ana.build("FROM scratch\nCOPY a.txt /\n", map[string]string{"a.txt": "two\n"}, "lesson:v1")
		r := load(anaBase, "1", strings.NewReader(save.Body))
		want := `{"stream":"The image lesson:v1 already exists, renaming the old one with ID ` + v2.Image.String() + ` to empty string\n"}` + "\n" +
			`{"stream":"Loaded image: lesson:v1\n"}` + "\n"
		if r.Code != 200 || r.Body != want {
			t.Errorf("%d\n%s\nwant\n%s", r.Code, r.Body, want)
		}
	})

	t.Run("two images sharing a layer: saved once, linked, loaded", func(t *testing.T) {
		v3 := ana.build("FROM lesson:v1\nCOPY b.txt /\n", map[string]string{"b.txt": "three\n"}, "lesson:v3")
		r := env.saveArchive(anaBase, "lesson:v1", "lesson:v3")
		names, _ := tarNames(t, []byte(r.Body))
		links := 0
		tr := tar.NewReader(strings.NewReader(r.Body))
		for h, err := tr.Next(); err == nil; h, err = tr.Next() {
			if h.Typeflag == tar.TypeSymlink && strings.HasSuffix(h.Name, "/layer.tar") && strings.HasPrefix(h.Linkname, "../") {
				links++
			}
		}
		if r.Code != 200 || links != 1 {
			t.Errorf("%d, %d links to a layer saved already: %v", r.Code, links, names)
		}
		cleo := env.newBrowser()
		l := load(env.engineBase(cleo.workspace()), "1", strings.NewReader(r.Body))
		if l.Code != 200 || strings.Contains(l.Body, "error") || !strings.Contains(l.Body, "Loaded image: lesson:v3") {
			t.Fatalf("%d %s", l.Code, l.Body)
		}
		if rec, err := cleo.workspace().Lookup(context.Background(), "lesson:v3"); err != nil || rec.ID != v3.Image {
			t.Errorf("loaded: %v %v", rec, err)
		}
	})

	loadFails := []struct {
		name string
		body string
		want string
	}{
		{"not an archive", strings.Repeat("not a tar ", 100), `"error":"load: `},
		{"a path is no archive", "/etc/passwd", `"error":"load: `},
		{"an empty tar", string(make([]byte, 1024)), `"error":"load: `},
	}
	for _, tt := range loadFails {
		t.Run("load fails: "+tt.name, func(t *testing.T) {
			r := load(benBase, "0", strings.NewReader(tt.body))
			lines := streamLines(t, r.Body)
			if r.Code != 200 || len(lines) != 1 || !strings.HasPrefix(lines[0], `{"errorDetail":{"message":`) || !strings.Contains(lines[0], tt.want) {
				t.Errorf("%d %s", r.Code, r.Body)
			}
		})
	}
}

// chunked hides a reader's length, so the request is sent chunked as the CLI sends it.
type chunked struct{ r io.Reader }

func (c chunked) Read(p []byte) (int, error) { return c.r.Read(p) }

// junkTar is a tar of one file of n bytes that the loader reads past (a legacy
// layer's VERSION): an archive read to its end.
func junkTar(t *testing.T, n int) []byte {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	if err := tw.WriteHeader(&tar.Header{Name: "junk/VERSION", Mode: 0o644, Size: int64(n), Typeflag: tar.TypeReg}); err != nil {
		t.Fatal(err)
	}
	tw.Write(bytes.Repeat([]byte("j"), n))
	tw.Close()
	return b.Bytes()
}

// TestEngineLoadBounds: a load's body is bounded by the workspace's storage quota,
// refused before it is read when its length says so, cut off with the stream's error
// when it is sent chunked; a workspace at its quota is refused before reading.
func TestEngineLoadBounds(t *testing.T) {
	const quota = 64 << 10
	env := newTestServer(t, func(d *Deps) { d.Limits.WorkspaceQuota = quota })
	base := env.engineBase(env.workspace())
	tests := []struct {
		name    string
		body    io.Reader
		code    int
		wantErr string // in the stream's error; "" for an HTTP error
		wantMsg string
	}{
		{"at the bound (length known)", bytes.NewReader(make([]byte, quota)), 200, `"error":"load: `, ""},
		{"past the bound (length known)", bytes.NewReader(make([]byte, quota+1)), 413, "", "larger than the workspace's storage quota (65.5kB)"},
		{"past the bound (chunked)", chunked{bytes.NewReader(junkTar(t, 4*quota))}, 200, "larger than the workspace's storage quota (65.5kB)", ""},
		{"within the bound (chunked)", chunked{bytes.NewReader(junkTar(t, quota/2))}, 200, `"error":"load: `, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := env.engineReq(http.MethodPost, base+"/images/load?quiet=1", tt.body, nil)
			if r.Code != tt.code {
				t.Fatalf("%d %s", r.Code, r.Body)
			}
			if tt.wantMsg != "" && !strings.Contains(engineMessage(t, r), tt.wantMsg) {
				t.Errorf("message %s", r.Body)
			}
			if tt.wantErr != "" && !strings.Contains(r.Body, tt.wantErr) {
				t.Errorf("stream %s", r.Body)
			}
		})
	}
	t.Run("at the quota", func(t *testing.T) {
		env.build("FROM scratch\nCOPY a.txt /\n", map[string]string{"a.txt": strings.Repeat("y", 32<<10)}, "big:1")
		env.Store.SetWorkspaceQuota(1024)
		defer env.Store.SetWorkspaceQuota(quota)
		r := env.engineReq(http.MethodPost, base+"/images/load", strings.NewReader("x"), nil)
		if r.Code != http.StatusInsufficientStorage || !strings.Contains(engineMessage(t, r), "storage quota exceeded") {
			t.Errorf("%d %s", r.Code, r.Body)
		}
	})
}

// TestEngineTransferQueue: a pull that waits for one of the server's transfer slots
// says so in its stream, as the page's does, and goes on once one is free.
func TestEngineTransferQueue(t *testing.T) {
	env := newTestServer(t, func(d *Deps) { d.Limits.TransferSlots = 1 })
	ws := env.workspace()
	host := env.hubHostOf()
	ns, tok := hubToken(t, ws)
	env.build("FROM scratch\nCOPY a.txt /\n", map[string]string{"a.txt": "q\n"}, host+"/"+ns+"/q:1")
	if r := env.engineReq(http.MethodPost, env.engineBase(ws)+"/images/"+host+"/"+ns+"/q/push?tag=1", nil,
		map[string]string{"X-Registry-Auth": registryAuthHeader(ns, tok, host)}); r.Code != 200 || strings.Contains(r.Body, `"error"`) {
		t.Fatalf("push: %d %s", r.Code, r.Body)
	}
	release := make(chan struct{})
	held, err := env.Server.transfers.start("someone-else", "pull", "x", "docker pull x", "ns/x",
		func(ctx context.Context, _ func(remote.Message)) error { <-release; return nil })
	if err != nil {
		t.Fatal(err)
	}
	ben := env.newBrowser()
	done := make(chan *testResponse, 1)
	go func() {
		done <- env.engineReq(http.MethodPost, env.engineBase(ben.workspace())+"/images/create?fromImage="+url.QueryEscape(host+"/"+ns+"/q")+"&tag=1", nil, nil)
	}()
	for { // until the pull waits in the queue
		env.Server.transfers.mu.Lock()
		n := len(env.Server.transfers.waiting)
		env.Server.transfers.mu.Unlock()
		if n == 1 {
			break
		}
		select {
		case r := <-done:
			t.Fatalf("the pull did not wait for the slot: %d %s", r.Code, r.Body)
		case <-time.After(10 * time.Millisecond):
		}
	}
	close(release)
	r := <-done
	lines := streamLines(t, r.Body)
	if r.Code != 200 || lines[0] != `{"status":"[layerlab] waiting for a transfer slot: 1st in the queue (1 pulls and pushes run at once on this server)"}` ||
		!strings.Contains(lines[len(lines)-1], "Downloaded newer image for "+host+"/"+ns+"/q:1") {
		t.Errorf("%d\n%s", r.Code, r.Body)
	}
	wake := held.watch()
	for held.end() == nil {
		<-wake
	}
}

// TestEngineSavesBounded: a workspace streams at most --transfers-per-workspace saves
// at once; the next is refused with 429 naming the limit, another workspace's save
// is not, and a finished save frees its place.
func TestEngineSavesBounded(t *testing.T) {
	env := newTestServer(t)
	ana, ben := env.browser, env.newBrowser()
	anaBase, benBase := env.engineBase(ana.workspace()), env.engineBase(ben.workspace())
	ana.build("FROM scratch\nCOPY a.txt /\n", map[string]string{"a.txt": "one\n"}, "lesson:v1")
	ben.build("FROM scratch\nCOPY a.txt /\n", map[string]string{"a.txt": "two\n"}, "lesson:v1")
	limit := env.Server.limits.TransfersPerWorkspace
	var held []func()
	for range limit { // saves streaming to slow readers
		release, err := env.Server.saves.take(ana.workspace().Name(), limit)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, release)
	}
	r := env.saveArchive(anaBase, "lesson:v1")
	if r.Code != http.StatusTooManyRequests || !strings.Contains(engineMessage(t, r), fmt.Sprintf("limit per workspace (%d, --transfers-per-workspace)", limit)) {
		t.Fatalf("a save past the bound: %d %q", r.Code, r.Body)
	}
	if r := env.saveArchive(benBase, "lesson:v1"); r.Code != http.StatusOK {
		t.Fatalf("another workspace's save: %d %q", r.Code, r.Body)
	}
	held[0]()
	held[0]() // a release counts once
	if r := env.saveArchive(anaBase, "lesson:v1"); r.Code != http.StatusOK {
		t.Fatalf("a save once one ended: %d %q", r.Code, r.Body)
	}
	if r := env.saveArchive(anaBase, "lesson:v1"); r.Code != http.StatusOK {
		t.Fatalf("a save after a finished one: %d %q (a finished save must free its place)", r.Code, r.Body)
	}
	for _, release := range held[1:] {
		release()
	}
}
