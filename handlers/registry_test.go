package handlers

// Tests of the hub (the built-in OCI registry) through httptest, as registry clients
// use it: no cookies, basic auth with a workspace's namespace and token.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
)

// regEnv is a server and the hub credentials of one workspace.
type regEnv struct {
	*testEnv
	ns, token string
}

func newRegEnv(t *testing.T) *regEnv {
	t.Helper()
	env := newTestServer(t)
	ns, token := regCredentials(t, env.Store, "alice")
	return &regEnv{testEnv: env, ns: ns, token: token}
}

// regCredentials makes workspace name and returns its hub namespace and token.
func regCredentials(t *testing.T, st *db.Store, name string) (string, string) {
	t.Helper()
	ws, err := st.Workspace(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	ns, token, err := ws.HubToken(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	return ns, token
}

// regRes is a registry answer, read whole.
type regRes struct {
	Status int
	Header http.Header
	Body   []byte
}

// code is the first error code of an error answer ("" when none).
func (r regRes) code() string {
	var e struct {
		Errors []struct{ Code string } `json:"errors"`
	}
	if json.Unmarshal(r.Body, &e) != nil || len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].Code
}

// req is one registry request: auth "" sends no credentials; "alice" the env's.
type req struct {
	method, path string
	body         []byte
	header       map[string]string
	user, pass   string
	noAuth       bool
}

func (e *regEnv) do(t *testing.T, q req) regRes {
	t.Helper()
	var body io.Reader
	if q.body != nil {
		body = bytes.NewReader(q.body)
	}
	u := q.path
	if !strings.HasPrefix(u, "http") {
		u = e.HTTP.URL + q.path
	}
	r, err := http.NewRequest(q.method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	switch {
	case q.noAuth:
	case q.user != "":
		r.SetBasicAuth(q.user, q.pass)
	default:
		r.SetBasicAuth(e.ns, e.token)
	}
	resp, err := http.DefaultClient.Do(r)
	if err != nil {
		t.Fatalf("%s %s: %v", q.method, q.path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return regRes{resp.StatusCode, resp.Header, b}
}

func wantStatus(t *testing.T, what string, r regRes, status int, code string) {
	t.Helper()
	if r.Status != status || (code != "" && r.code() != code) {
		t.Fatalf("%s: got %d %s (%s), want %d %s", what, r.Status, r.code(), r.Body, status, code)
	}
}

// pushBlob uploads content monolithically into repo and returns its digest.
func (e *regEnv) pushBlob(t *testing.T, repo string, content []byte) digest.Digest {
	t.Helper()
	d := digest.FromBytes(content)
	r := e.do(t, req{method: "POST", path: "/v2/" + repo + "/blobs/uploads/?digest=" + d.String(), body: content})
	wantStatus(t, "push blob", r, http.StatusCreated, "")
	return d
}

type regDesc struct {
	MediaType string            `json:"mediaType"`
	Digest    digest.Digest     `json:"digest"`
	Size      int64             `json:"size"`
	URLs      []string          `json:"urls,omitempty"`
	Platform  map[string]string `json:"platform,omitempty"`
}

// imageManifest pushes a config and the layers into repo and returns an OCI image
// manifest that names them (not pushed).
func (e *regEnv) imageManifest(t *testing.T, repo string, mediaType string, layers ...string) []byte {
	t.Helper()
	cfg := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"n":%q}`, strings.Join(layers, ",")))
	m := map[string]any{"schemaVersion": 2, "mediaType": mediaType,
		"config": regDesc{MediaType: "application/vnd.oci.image.config.v1+json", Digest: e.pushBlob(t, repo, cfg), Size: int64(len(cfg))}}
	ls := []regDesc{}
	for _, l := range layers {
		ls = append(ls, regDesc{MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: e.pushBlob(t, repo, []byte(l)), Size: int64(len(l))})
	}
	m["layers"] = ls
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func (e *regEnv) putManifest(t *testing.T, repo, ref, mediaType string, body []byte) regRes {
	t.Helper()
	return e.do(t, req{method: "PUT", path: "/v2/" + repo + "/manifests/" + ref, body: body, header: map[string]string{"Content-Type": mediaType}})
}

// storeFiles counts the files under the blob store (blobs/sha256) and the upload
// sessions (hub/uploads): what "nothing stored" must leave unchanged.
func storeFiles(t *testing.T, st *db.Store) int {
	t.Helper()
	n := 0
	for _, dir := range []string{filepath.Join(st.Dir(), "blobs", "sha256"), filepath.Join(st.Dir(), "hub", "uploads")} {
		entries, err := os.ReadDir(dir)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		n += len(entries)
	}
	return n
}

func TestRegistryVersionCheck(t *testing.T) {
	e := newRegEnv(t)
	tests := []struct {
		name   string
		q      req
		want   int
		header map[string]string
	}{
		{name: "no credentials: the Bearer challenge", q: req{noAuth: true}, want: http.StatusUnauthorized},
		{name: "the anonymous token", q: req{noAuth: true, header: map[string]string{"Authorization": "Bearer anonymous"}}, want: http.StatusOK},
		{name: "right token", q: req{user: e.ns, pass: e.token}, want: http.StatusOK},
		{name: "wrong token", q: req{user: e.ns, pass: "nope"}, want: http.StatusUnauthorized},
		{name: "unknown namespace", q: req{user: "bob", pass: e.token}, want: http.StatusUnauthorized},
		{name: "a bearer token the hub never issued", q: req{noAuth: true, header: map[string]string{"Authorization": "Bearer forged"}}, want: http.StatusUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := tt.q
			q.method, q.path = "GET", "/v2/"
			r := e.do(t, q)
			if r.Status != tt.want {
				t.Fatalf("GET /v2/: %d %s, want %d", r.Status, r.Body, tt.want)
			}
			if got := r.Header.Get("Docker-Distribution-API-Version"); got != "registry/2.0" {
				t.Errorf("Docker-Distribution-API-Version = %q", got)
			}
			if tt.want == http.StatusOK && string(r.Body) != "{}" {
				t.Errorf("body = %s, want {}", r.Body)
			}
			if want := `Bearer realm="` + e.HTTP.URL + `/v2/token",service="layerlab hub"`; tt.want == http.StatusUnauthorized && r.Header.Get("WWW-Authenticate") != want {
				t.Errorf("WWW-Authenticate = %q, want %q", r.Header.Get("WWW-Authenticate"), want)
			}
		})
	}
}

// TestRegistryTokens: the token service hands out the anonymous token without
// credentials, a token carrying them with right ones, and 401 for wrong ones; a push
// with the anonymous token is refused, one with the issued token goes through.
func TestRegistryTokens(t *testing.T) {
	e := newRegEnv(t)
	token := func(t *testing.T, q req) (int, string) {
		t.Helper()
		r := e.do(t, q)
		var v struct {
			Token       string `json:"token"`
			AccessToken string `json:"access_token"`
			ExpiresIn   int    `json:"expires_in"`
		}
		json.Unmarshal(r.Body, &v)
		if r.Status == 200 && (v.Token == "" || v.Token != v.AccessToken || v.ExpiresIn < 60) {
			t.Errorf("token answer: %s", r.Body)
		}
		return r.Status, v.Token
	}
	scope := "?service=layerlab+hub&scope=repository:" + e.ns + "/app:pull,push"
	if st, tok := token(t, req{method: "GET", path: "/v2/token" + scope, noAuth: true}); st != 200 || tok != "anonymous" {
		t.Errorf("anonymous token: %d %q", st, tok)
	}
	if st, _ := token(t, req{method: "GET", path: "/v2/token" + scope, user: e.ns, pass: "wrong"}); st != 401 {
		t.Errorf("token for wrong credentials: %d, want 401", st)
	}
	st, tok := token(t, req{method: "GET", path: "/v2/token" + scope})
	if st != 200 || tok == "anonymous" {
		t.Fatalf("token for right credentials: %d %q", st, tok)
	}
	form := url.Values{"grant_type": {"password"}, "username": {e.ns}, "password": {e.token}, "service": {"layerlab hub"}}
	if st, tok2 := token(t, req{method: "POST", path: "/v2/token", body: []byte(form.Encode()), noAuth: true,
		header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}}); st != 200 || tok2 != tok {
		t.Errorf("OAuth2 password grant: %d %q", st, tok2)
	}
	push := func(bearer string) regRes {
		return e.do(t, req{method: "POST", path: "/v2/" + e.ns + "/app/blobs/uploads/", noAuth: true,
			header: map[string]string{"Authorization": "Bearer " + bearer}})
	}
	r := push("anonymous")
	wantStatus(t, "push with the anonymous token", r, 401, "UNAUTHORIZED")
	if want := `Bearer realm="` + e.HTTP.URL + `/v2/token",service="layerlab hub",scope="repository:` + e.ns + `/app:pull,push"`; r.Header.Get("WWW-Authenticate") != want {
		t.Errorf("WWW-Authenticate = %q, want %q", r.Header.Get("WWW-Authenticate"), want)
	}
	wantStatus(t, "push with the issued token", push(tok), 202, "")
	wantStatus(t, "pull with the anonymous token", e.do(t, req{method: "GET", path: "/v2/" + e.ns + "/app/tags/list", noAuth: true,
		header: map[string]string{"Authorization": "Bearer anonymous"}}), 200, "")
}

func TestRegistryAccess(t *testing.T) {
	e := newRegEnv(t)
	bobNS, bobToken := regCredentials(t, e.Store, "bob")
	repo := e.ns + "/app"
	man := e.imageManifest(t, repo, db.MediaTypeOCIManifest, "layer")
	wantStatus(t, "push", e.putManifest(t, repo, "v1", db.MediaTypeOCIManifest, man), http.StatusCreated, "")
	d := digest.FromBytes(man)
	blob := digest.FromBytes([]byte("layer"))

	tests := []struct {
		name     string
		q        req
		status   int
		code     string
		wwwAuthn bool
	}{
		{name: "pull needs no credentials", q: req{method: "GET", path: "/v2/" + repo + "/manifests/v1", noAuth: true}, status: 200},
		{name: "push without credentials", q: req{method: "POST", path: "/v2/" + repo + "/blobs/uploads/", noAuth: true}, status: 401, code: "UNAUTHORIZED", wwwAuthn: true},
		{name: "push with a wrong token", q: req{method: "POST", path: "/v2/" + repo + "/blobs/uploads/", user: e.ns, pass: "x"}, status: 401, code: "UNAUTHORIZED", wwwAuthn: true},
		{name: "push into another namespace", q: req{method: "POST", path: "/v2/" + repo + "/blobs/uploads/", user: bobNS, pass: bobToken}, status: 403, code: "DENIED"},
		{name: "push into library", q: req{method: "POST", path: "/v2/library/alpine/blobs/uploads/"}, status: 403, code: "DENIED"},
		{name: "push a manifest into library", q: req{method: "PUT", path: "/v2/library/alpine/manifests/latest", body: man, header: map[string]string{"Content-Type": db.MediaTypeOCIManifest}}, status: 403, code: "DENIED"},
		{name: "another workspace deletes a manifest", q: req{method: "DELETE", path: "/v2/" + repo + "/manifests/" + d.String(), user: bobNS, pass: bobToken}, status: 403, code: "DENIED"},
		{name: "another workspace deletes a tag", q: req{method: "DELETE", path: "/v2/" + repo + "/manifests/v1", user: bobNS, pass: bobToken}, status: 403, code: "DENIED"},
		{name: "another workspace deletes a blob", q: req{method: "DELETE", path: "/v2/" + repo + "/blobs/" + blob.String(), user: bobNS, pass: bobToken}, status: 403, code: "DENIED"},
		{name: "delete without credentials", q: req{method: "DELETE", path: "/v2/" + repo + "/manifests/" + d.String(), noAuth: true}, status: 401, code: "UNAUTHORIZED", wwwAuthn: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, tt.q)
			wantStatus(t, tt.name, r, tt.status, tt.code)
			if got := r.Header.Get("WWW-Authenticate"); tt.wwwAuthn && !strings.HasPrefix(got, `Bearer realm="`+e.HTTP.URL+`/v2/token"`) {
				t.Errorf("WWW-Authenticate = %q, want the Bearer challenge", got)
			}
		})
	}
	// The refused deletes left everything in place.
	wantStatus(t, "manifest after refused deletes", e.do(t, req{method: "GET", path: "/v2/" + repo + "/manifests/v1", noAuth: true}), 200, "")
	wantStatus(t, "blob after refused deletes", e.do(t, req{method: "HEAD", path: "/v2/" + repo + "/blobs/" + blob.String(), noAuth: true}), 200, "")
}

func TestRegistryPushAndPull(t *testing.T) {
	e := newRegEnv(t)
	repo := e.ns + "/app"
	content := bytes.Repeat([]byte("layer bytes "), 1000)
	d := digest.FromBytes(content)

	pushes := []struct {
		name string
		push func(t *testing.T, repo string)
	}{
		{"monolithic POST", func(t *testing.T, repo string) { e.pushBlob(t, repo, content) }},
		{"POST then PUT", func(t *testing.T, repo string) {
			r := e.do(t, req{method: "POST", path: "/v2/" + repo + "/blobs/uploads/"})
			wantStatus(t, "start", r, 202, "")
			r = e.do(t, req{method: "PUT", path: r.Header.Get("Location") + "?digest=" + d.String(), body: content})
			wantStatus(t, "put", r, 201, "")
		}},
		{"streamed PATCH", func(t *testing.T, repo string) {
			r := e.do(t, req{method: "POST", path: "/v2/" + repo + "/blobs/uploads/"})
			r = e.do(t, req{method: "PATCH", path: r.Header.Get("Location"), body: content})
			wantStatus(t, "patch", r, 202, "")
			if got, want := r.Header.Get("Range"), fmt.Sprintf("0-%d", len(content)-1); got != want {
				t.Errorf("Range = %q, want %q", got, want)
			}
			r = e.do(t, req{method: "PUT", path: r.Header.Get("Location") + "?digest=" + d.String()})
			wantStatus(t, "put", r, 201, "")
		}},
		{"chunked PATCHes", func(t *testing.T, repo string) {
			r := e.do(t, req{method: "POST", path: "/v2/" + repo + "/blobs/uploads/"})
			loc := r.Header.Get("Location")
			for start := 0; start < len(content); start += 5000 {
				end := min(start+5000, len(content))
				r = e.do(t, req{method: "PATCH", path: loc, body: content[start:end],
					header: map[string]string{"Content-Range": fmt.Sprintf("%d-%d", start, end-1)}})
				wantStatus(t, "chunk", r, 202, "")
				loc = r.Header.Get("Location")
			}
			wantStatus(t, "put", e.do(t, req{method: "PUT", path: loc + "?digest=" + d.String()}), 201, "")
		}},
	}
	for i, p := range pushes {
		t.Run(p.name, func(t *testing.T) {
			repo := fmt.Sprintf("%s-%d", repo, i)
			p.push(t, repo)
			for _, method := range []string{"HEAD", "GET"} {
				r := e.do(t, req{method: method, path: "/v2/" + repo + "/blobs/" + d.String(), noAuth: true})
				wantStatus(t, method+" blob", r, 200, "")
				if got := r.Header.Get("Docker-Content-Digest"); got != d.String() {
					t.Errorf("%s: Docker-Content-Digest = %q", method, got)
				}
				if got := r.Header.Get("Content-Length"); got != fmt.Sprint(len(content)) {
					t.Errorf("%s: Content-Length = %q", method, got)
				}
				if method == "GET" && !bytes.Equal(r.Body, content) {
					t.Errorf("GET: body differs from what was pushed")
				}
			}
		})
	}

	// Manifests of both families, by tag and by digest.
	for _, mt := range []string{db.MediaTypeOCIManifest, db.MediaTypeDockerManifest} {
		t.Run(mt, func(t *testing.T) {
			man := e.imageManifest(t, repo, mt, "a", "b")
			md := digest.FromBytes(man)
			r := e.putManifest(t, repo, "v1", mt, man)
			wantStatus(t, "put by tag", r, 201, "")
			if r.Header.Get("Docker-Content-Digest") != md.String() || r.Header.Get("Location") != "/v2/"+repo+"/manifests/"+md.String() {
				t.Errorf("put headers: %v", r.Header)
			}
			for _, ref := range []string{"v1", md.String()} {
				for _, method := range []string{"GET", "HEAD"} {
					r := e.do(t, req{method: method, path: "/v2/" + repo + "/manifests/" + ref, noAuth: true})
					wantStatus(t, method+" "+ref, r, 200, "")
					if r.Header.Get("Content-Type") != mt || r.Header.Get("Docker-Content-Digest") != md.String() ||
						r.Header.Get("Content-Length") != fmt.Sprint(len(man)) {
						t.Errorf("%s %s: headers %v", method, ref, r.Header)
					}
					if method == "GET" && !bytes.Equal(r.Body, man) {
						t.Errorf("GET %s: body is not the manifest pushed", ref)
					}
				}
			}
		})
	}

	// An index of both manifests (Docker's manifest list too), pushed by digest.
	for _, mt := range []string{db.MediaTypeOCIIndex, db.MediaTypeDockerList} {
		t.Run(mt, func(t *testing.T) {
			child := e.imageManifest(t, repo, db.MediaTypeOCIManifest, "c-"+mt)
			wantStatus(t, "child", e.putManifest(t, repo, digest.FromBytes(child).String(), db.MediaTypeOCIManifest, child), 201, "")
			idx, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": mt, "manifests": []regDesc{{
				MediaType: db.MediaTypeOCIManifest, Digest: digest.FromBytes(child), Size: int64(len(child)),
				Platform: map[string]string{"os": "linux", "architecture": "arm64"}}}})
			wantStatus(t, "index", e.putManifest(t, repo, digest.FromBytes(idx).String(), mt, idx), 201, "")
			r := e.do(t, req{method: "GET", path: "/v2/" + repo + "/manifests/" + digest.FromBytes(idx).String()})
			if r.Header.Get("Content-Type") != mt || !bytes.Equal(r.Body, idx) {
				t.Errorf("GET index: %s %s", r.Header.Get("Content-Type"), r.Body)
			}
		})
	}
}

func TestRegistrySHA512(t *testing.T) {
	e := newRegEnv(t)
	repo := e.ns + "/sha512"
	content := []byte("content named by sha512")
	d := digest.SHA512.FromBytes(content)
	r := e.do(t, req{method: "POST", path: "/v2/" + repo + "/blobs/uploads/?digest=" + d.String(), body: content})
	wantStatus(t, "push", r, 201, "")
	if r.Header.Get("Docker-Content-Digest") != d.String() {
		t.Errorf("Docker-Content-Digest = %q", r.Header.Get("Docker-Content-Digest"))
	}
	r = e.do(t, req{method: "GET", path: "/v2/" + repo + "/blobs/" + d.String()})
	if r.Status != 200 || !bytes.Equal(r.Body, content) || r.Header.Get("Docker-Content-Digest") != d.String() {
		t.Fatalf("GET by sha512: %d %q %v", r.Status, r.Body, r.Header)
	}
	// The same bytes under their sha256 are another name, not pushed here.
	wantStatus(t, "sha256 name", e.do(t, req{method: "HEAD", path: "/v2/" + repo + "/blobs/" + digest.FromBytes(content).String()}), 404, "")
}

func TestRegistryRanges(t *testing.T) {
	e := newRegEnv(t)
	repo := e.ns + "/ranges"
	content := make([]byte, 2048)
	for i := range content {
		content[i] = byte(i * 7)
	}
	d := e.pushBlob(t, repo, content)
	tests := []struct {
		rng          string
		status       int
		body         []byte
		contentRange string
	}{
		{"bytes=500-1499", 206, content[500:1500], "bytes 500-1499/2048"},
		{"bytes=500-", 206, content[500:], "bytes 500-2047/2048"},
		{"bytes=-500", 206, content[1548:], "bytes 1548-2047/2048"},
		{"bytes=2000-5000", 206, content[2000:], "bytes 2000-2047/2048"},
		{"bytes=500-0", 416, nil, ""},
		{"bytes=5000-10000", 416, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.rng, func(t *testing.T) {
			r := e.do(t, req{method: "GET", path: "/v2/" + repo + "/blobs/" + d.String(), header: map[string]string{"Range": tt.rng}, noAuth: true})
			if r.Status != tt.status {
				t.Fatalf("status %d, want %d", r.Status, tt.status)
			}
			if tt.status == 206 {
				if !bytes.Equal(r.Body, tt.body) || r.Header.Get("Content-Range") != tt.contentRange ||
					r.Header.Get("Content-Length") != fmt.Sprint(len(tt.body)) {
					t.Errorf("got %d bytes, Content-Range %q, Content-Length %q", len(r.Body), r.Header.Get("Content-Range"), r.Header.Get("Content-Length"))
				}
			}
		})
	}
}

func TestRegistryChunksOutOfOrder(t *testing.T) {
	e := newRegEnv(t)
	repo := e.ns + "/chunks"
	content := bytes.Repeat([]byte("0123456789"), 300)
	d := digest.FromBytes(content)
	r := e.do(t, req{method: "POST", path: "/v2/" + repo + "/blobs/uploads/"})
	loc := r.Header.Get("Location")
	chunk := func(start, end int, method string) regRes {
		p := loc
		if method == "PUT" {
			p += "?digest=" + d.String()
		}
		return e.do(t, req{method: method, path: p, body: content[start : end+1],
			header: map[string]string{"Content-Range": fmt.Sprintf("%d-%d", start, end)}})
	}
	wantStatus(t, "first chunk", chunk(0, 999, "PATCH"), 202, "")
	// Skipping ahead, going back, and a closing PUT out of order: 416, nothing kept.
	for _, c := range []struct {
		start, end int
		method     string
	}{{2000, 2999, "PATCH"}, {0, 999, "PATCH"}, {500, 1499, "PATCH"}, {2000, 2999, "PUT"}} {
		r := chunk(c.start, c.end, c.method)
		wantStatus(t, fmt.Sprintf("%s %d-%d", c.method, c.start, c.end), r, http.StatusRequestedRangeNotSatisfiable, "BLOB_UPLOAD_INVALID")
		if got := r.Header.Get("Range"); got != "0-999" {
			t.Errorf("416 answer: Range = %q, want 0-999", got)
		}
	}
	r = e.do(t, req{method: "GET", path: loc})
	if r.Status != http.StatusNoContent || r.Header.Get("Range") != "0-999" {
		t.Fatalf("upload status: %d Range %q, want 204 0-999", r.Status, r.Header.Get("Range"))
	}
	wantStatus(t, "second chunk", chunk(1000, 1999, "PATCH"), 202, "")
	wantStatus(t, "last chunk", chunk(2000, 2999, "PUT"), 201, "")
	r = e.do(t, req{method: "GET", path: "/v2/" + repo + "/blobs/" + d.String()})
	if !bytes.Equal(r.Body, content) {
		t.Fatal("the blob assembled from the chunks differs from the content")
	}
}

// TestRegistryRefusesBadUploads covers every refused upload the issue lists: each gets
// the spec's error code and leaves nothing stored (no blob file, no upload data, no
// manifest or tag).
func TestRegistryRefusesBadUploads(t *testing.T) {
	e := newRegEnv(t)
	repo := e.ns + "/bad"
	good := e.imageManifest(t, repo, db.MediaTypeOCIManifest, "base layer")
	wantStatus(t, "setup", e.putManifest(t, repo, "base", db.MediaTypeOCIManifest, good), 201, "")
	content := []byte("some blob content")
	d := digest.FromBytes(content)
	other := digest.FromBytes([]byte("other content"))
	upload := func(t *testing.T) string {
		r := e.do(t, req{method: "POST", path: "/v2/" + repo + "/blobs/uploads/"})
		wantStatus(t, "start upload", r, 202, "")
		return r.Header.Get("Location")
	}
	var cfg map[string]any
	json.Unmarshal(good, &cfg)
	manifestWith := func(edit func(m map[string]any)) []byte {
		var m map[string]any
		json.Unmarshal(good, &m)
		edit(m)
		b, _ := json.Marshal(m)
		return b
	}
	missing := manifestWith(func(m map[string]any) {
		m["layers"] = append(m["layers"].([]any), regDesc{MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: other, Size: 13})
	})
	wrongSize := manifestWith(func(m map[string]any) {
		m["layers"].([]any)[0].(map[string]any)["size"] = 999
	})
	both := manifestWith(func(m map[string]any) { m["manifests"] = []any{} })
	indexWithConfig := manifestWith(func(m map[string]any) {
		m["mediaType"] = db.MediaTypeOCIIndex
		m["manifests"] = []any{}
	})
	huge := manifestWith(func(m map[string]any) {
		m["annotations"] = map[string]string{"big": strings.Repeat("x", db.HubMaxManifestSize)}
	})
	traversal := url.PathEscape("sha256:../../x")

	tests := []struct {
		name   string
		run    func(t *testing.T) regRes
		status int
		code   string
	}{
		{"blob bytes do not match the digest (monolithic)", func(t *testing.T) regRes {
			return e.do(t, req{method: "POST", path: "/v2/" + repo + "/blobs/uploads/?digest=" + other.String(), body: content})
		}, 400, "DIGEST_INVALID"},
		{"blob bytes do not match the digest (upload)", func(t *testing.T) regRes {
			loc := upload(t)
			r := e.do(t, req{method: "PUT", path: loc + "?digest=" + other.String(), body: content})
			if s := e.do(t, req{method: "GET", path: loc}); s.Status != 404 || s.code() != "BLOB_UPLOAD_UNKNOWN" {
				t.Errorf("the failed upload lives on: %d %s", s.Status, s.Body)
			}
			return r
		}, 400, "DIGEST_INVALID"},
		{"chunk shorter than its Content-Range", func(t *testing.T) regRes {
			loc := upload(t)
			r := e.do(t, req{method: "PATCH", path: loc, body: content, header: map[string]string{"Content-Range": fmt.Sprintf("0-%d", len(content)+9)}})
			if s := e.do(t, req{method: "GET", path: loc}); s.Header.Get("Range") != "0-0" {
				t.Errorf("upload kept part of the refused chunk: Range %q", s.Header.Get("Range"))
			}
			e.do(t, req{method: "DELETE", path: loc})
			return r
		}, 400, "SIZE_INVALID"},
		{"out-of-order chunk", func(t *testing.T) regRes {
			loc := upload(t)
			r := e.do(t, req{method: "PATCH", path: loc, body: content, header: map[string]string{"Content-Range": fmt.Sprintf("10-%d", len(content)+9)}})
			e.do(t, req{method: "DELETE", path: loc})
			return r
		}, 416, "BLOB_UPLOAD_INVALID"},
		{"digest with a path in it", func(t *testing.T) regRes {
			return e.do(t, req{method: "POST", path: "/v2/" + repo + "/blobs/uploads/?digest=sha256:../../x", body: content})
		}, 400, "DIGEST_INVALID"},
		{"digest of the wrong length", func(t *testing.T) regRes {
			return e.do(t, req{method: "POST", path: "/v2/" + repo + "/blobs/uploads/?digest=sha256:abcd", body: content})
		}, 400, "DIGEST_INVALID"},
		{"digest of an unknown algorithm", func(t *testing.T) regRes {
			return e.do(t, req{method: "POST", path: "/v2/" + repo + "/blobs/uploads/?digest=md5:" + strings.Repeat("a", 32), body: content})
		}, 400, "DIGEST_INVALID"},
		{"digest of an algorithm the hub does not allow", func(t *testing.T) regRes {
			return e.do(t, req{method: "POST", path: "/v2/" + repo + "/blobs/uploads/?digest=" + digest.SHA384.FromBytes(content).String(), body: content})
		}, 400, "DIGEST_INVALID"},
		{"closing PUT without a digest", func(t *testing.T) regRes {
			loc := upload(t)
			r := e.do(t, req{method: "PUT", path: loc, body: content})
			e.do(t, req{method: "DELETE", path: loc})
			return r
		}, 400, "DIGEST_INVALID"},
		{"manifest pushed under a digest with a path in it", func(t *testing.T) regRes {
			return e.putManifest(t, repo, traversal, db.MediaTypeOCIManifest, missing)
		}, 400, "DIGEST_INVALID"},
		{"manifest bytes do not match the digest", func(t *testing.T) regRes {
			return e.putManifest(t, repo, digest.FromBytes(append(slices.Clone(good), ' ')).String(), db.MediaTypeOCIManifest, append(slices.Clone(good), ' ', ' '))
		}, 400, "DIGEST_INVALID"},
		{"manifest names a missing blob", func(t *testing.T) regRes {
			return e.putManifest(t, repo, "missing", db.MediaTypeOCIManifest, missing)
		}, 400, "MANIFEST_BLOB_UNKNOWN"},
		{"manifest says a wrong size", func(t *testing.T) regRes {
			return e.putManifest(t, repo, "wrongsize", db.MediaTypeOCIManifest, wrongSize)
		}, 400, "MANIFEST_INVALID"},
		{"manifest over 4 MiB", func(t *testing.T) regRes {
			return e.putManifest(t, repo, "huge", db.MediaTypeOCIManifest, huge)
		}, 413, "MANIFEST_INVALID"},
		{"image manifest that is also an index", func(t *testing.T) regRes {
			return e.putManifest(t, repo, "both", db.MediaTypeOCIManifest, both)
		}, 400, "MANIFEST_INVALID"},
		{"index that is also an image manifest", func(t *testing.T) regRes {
			return e.putManifest(t, repo, "both", db.MediaTypeOCIIndex, indexWithConfig)
		}, 400, "MANIFEST_INVALID"},
		{"Content-Type is not the manifest's mediaType", func(t *testing.T) regRes {
			return e.putManifest(t, repo, "mismatch", db.MediaTypeDockerManifest, good)
		}, 400, "MANIFEST_INVALID"},
		{"manifest that is not JSON", func(t *testing.T) regRes {
			return e.putManifest(t, repo, "junk", db.MediaTypeOCIManifest, []byte("{not json"))
		}, 400, "MANIFEST_INVALID"},
		{"invalid tag", func(t *testing.T) regRes {
			return e.putManifest(t, repo, "-bad", db.MediaTypeOCIManifest, append(slices.Clone(good), ' '))
		}, 400, "MANIFEST_INVALID"},
		{"invalid repository name", func(t *testing.T) regRes {
			return e.do(t, req{method: "POST", path: "/v2/" + e.ns + "/Bad_Name/blobs/uploads/?digest=" + d.String(), body: content})
		}, 400, "NAME_INVALID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := storeFiles(t, e.Store)
			r := tt.run(t)
			wantStatus(t, tt.name, r, tt.status, tt.code)
			if after := storeFiles(t, e.Store); after != before {
				t.Errorf("%d files in the store before, %d after: the refused upload left something", before, after)
			}
			for _, dg := range []digest.Digest{d, other} {
				if s := e.do(t, req{method: "HEAD", path: "/v2/" + repo + "/blobs/" + dg.String()}); s.Status != 404 {
					t.Errorf("blob %s is there after a refused upload", dg)
				}
			}
			r = e.do(t, req{method: "GET", path: "/v2/" + repo + "/tags/list"})
			var tl struct{ Tags []string }
			json.Unmarshal(r.Body, &tl)
			if !slices.Equal(tl.Tags, []string{"base"}) {
				t.Errorf("tags after a refused push: %v, want [base]", tl.Tags)
			}
		})
	}
}

func TestRegistryMount(t *testing.T) {
	e := newRegEnv(t)
	content := []byte("shared layer")
	d := e.pushBlob(t, e.ns+"/src", content)
	tests := []struct {
		name, query string
		status      int
	}{
		{"from a repository", "?mount=" + d.String() + "&from=" + e.ns + "/src", 201},
		{"anonymous", "?mount=" + d.String(), 201},
		{"from a repository without it", "?mount=" + d.String() + "&from=" + e.ns + "/empty", 202},
		{"a blob nobody has", "?mount=" + digest.FromString("nobody").String(), 202},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := fmt.Sprintf("%s/dst%d", e.ns, i)
			r := e.do(t, req{method: "POST", path: "/v2/" + repo + "/blobs/uploads/" + tt.query})
			wantStatus(t, "mount", r, tt.status, "")
			if tt.status == 201 {
				if r.Header.Get("Location") != "/v2/"+repo+"/blobs/"+d.String() || r.Header.Get("Docker-Content-Digest") != d.String() {
					t.Errorf("mount headers: %v", r.Header)
				}
				if g := e.do(t, req{method: "GET", path: "/v2/" + repo + "/blobs/" + d.String()}); !bytes.Equal(g.Body, content) {
					t.Errorf("mounted blob: %d %q", g.Status, g.Body)
				}
			} else {
				// Not mounted: an upload session to push it into instead.
				wantStatus(t, "session", e.do(t, req{method: "GET", path: r.Header.Get("Location")}), 204, "")
			}
		})
	}
}

func TestRegistryTagsAndCatalog(t *testing.T) {
	e := newRegEnv(t)
	repo := e.ns + "/tags"
	man := e.imageManifest(t, repo, db.MediaTypeOCIManifest, "l")
	all := []string{"a", "b", "c", "d", "e"}
	for _, tag := range all {
		wantStatus(t, "tag "+tag, e.putManifest(t, repo, tag, db.MediaTypeOCIManifest, man), 201, "")
	}
	e.pushBlob(t, e.ns+"/other", []byte("x"))
	list := func(path string) ([]string, string) {
		r := e.do(t, req{method: "GET", path: path, noAuth: true})
		wantStatus(t, path, r, 200, "")
		var v struct {
			Tags         []string `json:"tags"`
			Repositories []string `json:"repositories"`
		}
		if err := json.Unmarshal(r.Body, &v); err != nil {
			t.Fatal(err)
		}
		return append(v.Tags, v.Repositories...), r.Header.Get("Link")
	}
	tests := []struct {
		path string
		want []string
		link string
	}{
		{"/v2/" + repo + "/tags/list", all, ""},
		{"/v2/" + repo + "/tags/list?n=2", []string{"a", "b"}, `</v2/` + repo + `/tags/list?last=b&n=2>; rel="next"`},
		{"/v2/" + repo + "/tags/list?n=2&last=b", []string{"c", "d"}, `</v2/` + repo + `/tags/list?last=d&n=2>; rel="next"`},
		{"/v2/" + repo + "/tags/list?n=2&last=d", []string{"e"}, ""},
		{"/v2/" + repo + "/tags/list?last=c", []string{"d", "e"}, ""},
		{"/v2/" + repo + "/tags/list?n=0", nil, ""},
		{"/v2/_catalog", []string{e.ns + "/other", repo}, ""},
		{"/v2/_catalog?n=1", []string{e.ns + "/other"}, `</v2/_catalog?last=` + url.QueryEscape(e.ns+"/other") + `&n=1>; rel="next"`},
		{"/v2/_catalog?n=1&last=" + url.QueryEscape(e.ns+"/other"), []string{repo}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			got, link := list(tt.path)
			if !slices.Equal(got, tt.want) || link != tt.link {
				t.Errorf("got %v, Link %q; want %v, Link %q", got, link, tt.want, tt.link)
			}
		})
	}
	wantStatus(t, "unknown repository", e.do(t, req{method: "GET", path: "/v2/" + e.ns + "/nope/tags/list"}), 404, "NAME_UNKNOWN")
	wantStatus(t, "bad n", e.do(t, req{method: "GET", path: "/v2/" + repo + "/tags/list?n=-1"}), 400, "")
}

func TestRegistryDelete(t *testing.T) {
	e := newRegEnv(t)
	repo := e.ns + "/del"
	man := e.imageManifest(t, repo, db.MediaTypeOCIManifest, "layer to delete")
	md := digest.FromBytes(man)
	wantStatus(t, "push v1", e.putManifest(t, repo, "v1", db.MediaTypeOCIManifest, man), 201, "")
	wantStatus(t, "push v2", e.putManifest(t, repo, "v2", db.MediaTypeOCIManifest, man), 201, "")
	layer := digest.FromBytes([]byte("layer to delete"))
	steps := []struct {
		name   string
		q      req
		status int
		code   string
	}{
		{"delete tag v1", req{method: "DELETE", path: "/v2/" + repo + "/manifests/v1"}, 202, ""},
		{"v1 is gone", req{method: "GET", path: "/v2/" + repo + "/manifests/v1"}, 404, "MANIFEST_UNKNOWN"},
		{"v2 stays", req{method: "GET", path: "/v2/" + repo + "/manifests/v2"}, 200, ""},
		{"delete tag v1 again", req{method: "DELETE", path: "/v2/" + repo + "/manifests/v1"}, 404, "MANIFEST_UNKNOWN"},
		{"delete the manifest", req{method: "DELETE", path: "/v2/" + repo + "/manifests/" + md.String()}, 202, ""},
		{"the manifest is gone", req{method: "HEAD", path: "/v2/" + repo + "/manifests/" + md.String()}, 404, ""},
		{"and its tags", req{method: "GET", path: "/v2/" + repo + "/manifests/v2"}, 404, "MANIFEST_UNKNOWN"},
		{"delete a blob", req{method: "DELETE", path: "/v2/" + repo + "/blobs/" + layer.String()}, 202, ""},
		{"the blob is gone", req{method: "GET", path: "/v2/" + repo + "/blobs/" + layer.String()}, 404, "BLOB_UNKNOWN"},
		{"delete it again", req{method: "DELETE", path: "/v2/" + repo + "/blobs/" + layer.String()}, 404, "BLOB_UNKNOWN"},
		{"cancel an upload that does not exist", req{method: "DELETE", path: "/v2/" + repo + "/blobs/uploads/" + strings.Repeat("0", 32)}, 404, "BLOB_UPLOAD_UNKNOWN"},
	}
	for _, s := range steps {
		wantStatus(t, s.name, e.do(t, s.q), s.status, s.code)
	}
}

func TestRegistryReferrers(t *testing.T) {
	e := newRegEnv(t)
	repo := e.ns + "/refs"
	subject := e.imageManifest(t, repo, db.MediaTypeOCIManifest, "subject layer")
	sd := digest.FromBytes(subject)
	wantStatus(t, "subject", e.putManifest(t, repo, "v1", db.MediaTypeOCIManifest, subject), 201, "")
	empty := e.pushBlob(t, repo, []byte("{}"))
	artifact := func(at string, n int) []byte {
		b, _ := json.Marshal(map[string]any{"schemaVersion": 2, "mediaType": db.MediaTypeOCIManifest, "artifactType": at,
			"config":      regDesc{MediaType: "application/vnd.oci.empty.v1+json", Digest: empty, Size: 2},
			"layers":      []regDesc{},
			"subject":     regDesc{MediaType: db.MediaTypeOCIManifest, Digest: sd, Size: int64(len(subject))},
			"annotations": map[string]string{"n": fmt.Sprint(n)}})
		return b
	}
	sig, sbom := artifact("application/example.sig", 1), artifact("application/example.sbom", 2)
	for _, a := range [][]byte{sig, sbom} {
		r := e.putManifest(t, repo, digest.FromBytes(a).String(), db.MediaTypeOCIManifest, a)
		wantStatus(t, "artifact", r, 201, "")
		if r.Header.Get("OCI-Subject") != sd.String() {
			t.Errorf("OCI-Subject = %q, want %s", r.Header.Get("OCI-Subject"), sd)
		}
	}
	get := func(query string) (regRes, []db.HubDescriptor) {
		r := e.do(t, req{method: "GET", path: "/v2/" + repo + "/referrers/" + sd.String() + query, noAuth: true})
		wantStatus(t, "referrers", r, 200, "")
		if r.Header.Get("Content-Type") != db.MediaTypeOCIIndex {
			t.Errorf("Content-Type = %q", r.Header.Get("Content-Type"))
		}
		var idx struct {
			SchemaVersion int
			MediaType     string
			Manifests     []db.HubDescriptor
		}
		json.Unmarshal(r.Body, &idx)
		if idx.SchemaVersion != 2 || idx.MediaType != db.MediaTypeOCIIndex {
			t.Errorf("not an OCI index: %s", r.Body)
		}
		return r, idx.Manifests
	}
	_, all := get("")
	if len(all) != 2 {
		t.Fatalf("referrers: %+v, want 2", all)
	}
	for _, d := range all {
		if d.MediaType != db.MediaTypeOCIManifest || d.Annotations["n"] == "" || !strings.HasPrefix(d.ArtifactType, "application/example.") {
			t.Errorf("referrer descriptor: %+v", d)
		}
	}
	r, sigs := get("?artifactType=application/example.sig")
	if len(sigs) != 1 || sigs[0].Digest != digest.FromBytes(sig) || sigs[0].Size != int64(len(sig)) {
		t.Errorf("filtered referrers: %+v", sigs)
	}
	if r.Header.Get("OCI-Filters-Applied") != "artifactType" {
		t.Errorf("OCI-Filters-Applied = %q", r.Header.Get("OCI-Filters-Applied"))
	}
	if _, none := get("?artifactType=application/other"); len(none) != 0 {
		t.Errorf("referrers of another type: %+v", none)
	}
	// An unknown subject, even in an unknown repository, has no referrers: 200 and [].
	r = e.do(t, req{method: "GET", path: "/v2/" + e.ns + "/nothing/referrers/" + digest.FromString("x").String()})
	if r.Status != 200 || !strings.Contains(string(r.Body), `"manifests":[]`) {
		t.Errorf("referrers of nothing: %d %s", r.Status, r.Body)
	}
}

func TestRegistryTagParams(t *testing.T) {
	e := newRegEnv(t)
	repo := e.ns + "/tagparam"
	man := e.imageManifest(t, repo, db.MediaTypeOCIManifest, "l")
	d := digest.FromBytes(man)
	r := e.do(t, req{method: "PUT", path: "/v2/" + repo + "/manifests/" + d.String() + "?tag=x&tag=y", body: man,
		header: map[string]string{"Content-Type": db.MediaTypeOCIManifest}})
	wantStatus(t, "put", r, 201, "")
	if got := r.Header.Values("OCI-Tag"); !slices.Equal(got, []string{"x", "y"}) {
		t.Errorf("OCI-Tag = %v", got)
	}
	for _, tag := range []string{"x", "y"} {
		if g := e.do(t, req{method: "HEAD", path: "/v2/" + repo + "/manifests/" + tag}); g.Header.Get("Docker-Content-Digest") != d.String() {
			t.Errorf("tag %s: %d %v", tag, g.Status, g.Header)
		}
	}
}
