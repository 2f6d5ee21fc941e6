package remote

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
)

// serveRegistry runs go-containerregistry's in-memory registry on loopback; with a
// user, it asks for basic auth as docker-registry's htpasswd does.
func serveRegistry(t *testing.T, user, pass string) string {
	t.Helper()
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if user != "" {
		inner := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
				w.Header().Set("WWW-Authenticate", `Basic realm="basic-realm"`)
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				w.Write([]byte(`{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}`))
				return
			}
			inner.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// Through go-containerregistry's remote package, against a registry over HTTP.
func TestHTTPPushPull(t *testing.T) {
	ctx := context.Background()
	addr := serveRegistry(t, "", "")
	ws := openStore(t)
	ref := mustRef(t, addr+"/team/app:1")
	id := buildImage(t, ws, "FROM busybox\nCOPY app.txt /app/\n", ref.Familiar())
	reg, err := NewHTTP(addr, Credential{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	res, err := Push(ctx, ws, reg, ref, PushOptions{Out: &out})
	if err != nil || strings.Count(out.String(), ": Pushed\n") != 2 {
		t.Fatalf("push: %v\n%s", err, out.String())
	}
	out.Reset()
	if _, err := Push(ctx, ws, reg, ref, PushOptions{Out: &out}); err != nil || strings.Count(out.String(), ": Layer already exists\n") != 2 {
		t.Fatalf("second push: %v\n%s", err, out.String())
	}
	ws2 := openStore(t)
	pulled, err := Pull(ctx, ws2, reg, ref, PullOptions{})
	if err != nil || pulled.ID != id || pulled.Digest != res.Digest {
		t.Fatalf("pull: %+v %v", pulled, err)
	}
	_, err = Pull(ctx, ws2, reg, mustRef(t, addr+"/team/app:nope"), PullOptions{})
	if !errors.Is(err, ErrManifestUnknown) || !strings.HasPrefix(err.Error(), "Error response from daemon: manifest for "+addr+"/team/app:nope not found: manifest unknown: ") {
		t.Errorf("missing tag: %v", err)
	}
	if _, err := reg.StatBlob(ctx, "team/app", res.Digest); !errors.Is(err, ErrBlobUnknown) {
		t.Errorf("stat of a missing blob: %v", err)
	}
}

func TestHTTPLoginAndCredentials(t *testing.T) {
	ctx := context.Background()
	addr := serveRegistry(t, "alice", "s3cret")
	err := Login(ctx, addr, Credential{Username: "alice", Password: "wrong"})
	if !errors.Is(err, ErrUnauthorized) || err.Error() != "login attempt to http://"+addr+"/v2/ failed with status: 401 Unauthorized" {
		t.Errorf("bad login: %v", err)
	}
	if err := Login(ctx, addr, Credential{Username: "alice", Password: "s3cret"}); err != nil {
		t.Fatalf("login: %v", err)
	}
	if err := Login(ctx, "127.0.0.1:1", Credential{Username: "a", Password: "b"}); !errors.Is(err, ErrUnreachable) ||
		err.Error() != `Get "http://127.0.0.1:1/v2/": dial tcp 127.0.0.1:1: connect: connection refused` {
		t.Errorf("login to nothing: %v", err)
	}

	creds := CredentialsFile(t.TempDir())
	if err := creds.Set(addr, Credential{Username: "alice", Password: "s3cret"}); err != nil {
		t.Fatal(err)
	}
	ws := openStore(t)
	n, err := ParseName(addr + "/team/sec:1")
	if err != nil || !n.HasHost {
		t.Fatalf("ParseName: %+v %v", n, err)
	}
	buildImage(t, ws, "FROM busybox\nENV X=1\n", n.Ref.Familiar())

	anon, _ := Open(n, nil, nil)
	var out bytes.Buffer
	_, err = Push(ctx, ws, anon, n.Ref, PushOptions{Out: &out})
	if !errors.Is(err, ErrUnauthorized) || err.Error() != "no basic auth credentials" {
		t.Errorf("push without login: %v", err)
	}
	_, err = Pull(ctx, openStore(t), anon, n.Ref, PullOptions{})
	if !errors.Is(err, ErrUnauthorized) || !strings.HasSuffix(err.Error(), `/v2/team/sec/manifests/1": no basic auth credentials`) {
		t.Errorf("pull without login: %v", err)
	}

	withCreds, err := Open(n, creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Push(ctx, ws, withCreds, n.Ref, PushOptions{}); err != nil {
		t.Fatalf("push with credentials: %v", err)
	}
	if _, err := Pull(ctx, openStore(t), withCreds, n.Ref, PullOptions{}); err != nil {
		t.Fatalf("pull with credentials: %v", err)
	}
	if ok, err := creds.Remove(addr); !ok || err != nil {
		t.Errorf("remove: %v %v", ok, err)
	}
	if _, ok, _ := creds.Get(addr); ok {
		t.Error("credentials still there after Remove")
	}
	if filepath.Base(creds.Path) != "credentials.json" {
		t.Errorf("credentials file %s", creds.Path)
	}
}

func TestParseName(t *testing.T) {
	tests := []struct {
		name, in     string
		host, defTag bool
		normalised   string
	}{
		{"hub name", "demo:v1", false, false, "docker.io/library/demo:v1"},
		{"hub name, no tag", "python", false, true, "docker.io/library/python:latest"},
		{"user repository", "me/app", false, true, "docker.io/me/app:latest"},
		{"address with port", "127.0.0.1:5000/team/app:1", true, false, "127.0.0.1:5000/team/app:1"},
		{"port, no tag", "127.0.0.1:5000/team/app", true, true, "127.0.0.1:5000/team/app:latest"},
		{"localhost", "localhost/x", true, true, "localhost/x:latest"},
		{"docker.io written out", "docker.io/library/python:3", true, false, "docker.io/library/python:3"},
		{"digest", "127.0.0.1:5000/x@sha256:" + strings.Repeat("ab", 32), true, false, "127.0.0.1:5000/x@sha256:" + strings.Repeat("ab", 32)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := ParseName(tc.in)
			if err != nil || n.HasHost != tc.host || n.DefaultTag != tc.defTag || n.Ref.String() != tc.normalised {
				t.Errorf("ParseName(%q) = %+v (%s), %v", tc.in, n, n.Ref.String(), err)
			}
		})
	}
	n, _ := ParseName("demo:v1")
	if _, err := Open(n, nil, nil); !errors.Is(err, ErrNoHub) {
		t.Errorf("Open of a name without a registry: %v", err)
	}
	hub := newMemRegistry()
	if r, err := Open(n, nil, hub); err != nil || r != Registry(hub) {
		t.Errorf("Open with a hub: %v %v", r, err)
	}
}
