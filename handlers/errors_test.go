package handlers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
	"layerlab/engine/commands"
	"layerlab/engine/image"
	"layerlab/remote"
)

// status() is the one place an error's class becomes an HTTP status: the commands'
// sentinels, however wrapped, map as Docker's API answers; an error of no class is an
// internal one.
func TestStatusOfCommandErrors(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		code     int
		internal bool
	}{
		{"usage", fmt.Errorf("tag: %w", commands.ErrUsage), http.StatusBadRequest, false},
		{"invalid argument", fmt.Errorf("tag: %w", commands.ErrInvalid), http.StatusBadRequest, false},
		{"template", fmt.Errorf("inspect: %w", commands.ErrTemplate), http.StatusBadRequest, false},
		{"not found", fmt.Errorf("history: %w", commands.ErrNotFound), http.StatusNotFound, false},
		{"conflict", fmt.Errorf("rmi: %w", commands.ErrConflict), http.StatusConflict, false},
		{"joined, one of a class", errors.Join(errors.New("x"), commands.ErrNotFound), http.StatusNotFound, false},
		{"the store's not found", fmt.Errorf("image: %w", db.ErrNotFound), http.StatusNotFound, false},
		{"no class", errors.New("Error response from daemon: No such image: x"), http.StatusInternalServerError, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, internal := status(tc.err)
			if code != tc.code || internal != tc.internal {
				t.Errorf("status(%q) = %d (internal %v), want %d (internal %v)", tc.err, code, internal, tc.code, tc.internal)
			}
		})
	}
}

// Each way a docker command fails on the pages gives its class and so its status; the
// text ("No such image", "conflict: ...") plays no part.
func TestCommandFailureStatus(t *testing.T) {
	env := newTestServer(t)
	res := env.build("FROM busybox\nLABEL a=1\n", nil, "demo:v1", "demo:v2")
	ws := env.workspace()
	tests := []struct {
		name  string
		args  []string
		class error
		code  int
	}{
		{"unknown flag", []string{"image", "ls", "--nope"}, commands.ErrUsage, http.StatusBadRequest},
		{"wrong number of arguments", []string{"tag", "demo:v1"}, commands.ErrUsage, http.StatusBadRequest},
		{"malformed reference", []string{"tag", "demo:v1", "Demo:V2"}, commands.ErrInvalid, http.StatusBadRequest},
		{"unknown filter", []string{"image", "ls", "-f", "nope=1"}, commands.ErrInvalid, http.StatusBadRequest},
		{"template", []string{"inspect", "--format", "{{.Id", "demo:v1"}, commands.ErrTemplate, http.StatusBadRequest},
		{"no such image", []string{"history", "nope:1"}, commands.ErrNotFound, http.StatusNotFound},
		{"no such object", []string{"inspect", "nope"}, commands.ErrNotFound, http.StatusNotFound},
		{"conflict", []string{"image", "rm", image.ShortID(res.Image)}, commands.ErrConflict, http.StatusConflict},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			run := env.Server.docker(context.Background(), ws, "docker", tc.args...)
			if run.ok() || !errors.Is(run.err, tc.class) {
				t.Fatalf("%q: exit %d, error %v: want a failure of class %v", tc.args, run.Code, run.err, tc.class)
			}
			if got := env.Server.httpStatus(run); got != tc.code {
				t.Errorf("%q: status %d, want %d", tc.args, got, tc.code)
			}
		})
	}
	// A run that failed with no error value (a transfer that ended without one) is an
	// internal error, whatever its text says.
	noErr := &dockerRun{Cmd: "docker pull x", Code: 1, Error: "Error response from daemon: No such image: x"}
	if got := env.Server.httpStatus(noErr); got != http.StatusInternalServerError {
		t.Errorf("a failure without an error: status %d, want 500", got)
	}
}

// remote's sentinels, however wrapped, map as their class says: what the registry lacks
// 404, its refusals 401 and 403, a registry that fails (down, garbage, an error of no
// class) 502, an image layerlab will not take 422, a push too large for the hub 413.
func TestStatusOfRemoteErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code int
	}{
		{"manifest unknown", fmt.Errorf("manifest for x not found: %w", remote.ErrManifestUnknown), http.StatusNotFound},
		{"blob unknown", fmt.Errorf("pull: %w", remote.ErrBlobUnknown), http.StatusNotFound},
		{"no hub", fmt.Errorf("open: %w", remote.ErrNoHub), http.StatusBadRequest},
		{"unauthorized", fmt.Errorf("push: %w", remote.ErrUnauthorized), http.StatusUnauthorized},
		{"denied", fmt.Errorf("push: %w", remote.ErrDenied), http.StatusForbidden},
		{"too large", fmt.Errorf("pull: %w", remote.ErrTooLarge), http.StatusUnprocessableEntity},
		{"bomb", fmt.Errorf("pull: %w", remote.ErrBomb), http.StatusUnprocessableEntity},
		{"unsupported", fmt.Errorf("pull: %w", remote.ErrUnsupported), http.StatusUnprocessableEntity},
		{"unreachable", fmt.Errorf("pull: %w", remote.ErrUnreachable), http.StatusBadGateway},
		{"invalid image", fmt.Errorf("pull: %w", remote.ErrInvalid), http.StatusBadGateway},
		{"registry error of no class", fmt.Errorf("pull: %w", &remote.RegistryError{Status: 400, Code: "NAME_INVALID"}), http.StatusBadGateway},
		{"too large for the hub", fmt.Errorf("push: %w", db.ErrHubTooLarge), http.StatusRequestEntityTooLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, msg, internal := status(tc.err)
			if code != tc.code || internal || msg != tc.err.Error() {
				t.Errorf("status(%q) = %d %q (internal %v), want %d with the error's own words", tc.err, code, msg, internal, tc.code)
			}
		})
	}
}

// A pull or push from the images page that fails answers the status of its class, the
// page showing Docker's words; none is a 500. The hub is the built-in one, in process,
// as the page uses it.
func TestPullPushFailureStatus(t *testing.T) {
	env := newTestServer(t)
	env.build("FROM busybox\nLABEL a=1\n", nil, "demo:v1")
	env.postForm("/images/push", url.Values{"ref": {"demo:v1"}}).wantCode(http.StatusOK)

	tests := []struct {
		name, path, ref string
		code            int
		msg             string
	}{
		{"pull of an image the hub lacks", "/images/pull", "nope:v1", http.StatusNotFound, "manifest for nope:v1 not found"},
		{"pull of a tag the hub lacks", "/images/pull", "demo:v9", http.StatusNotFound, "manifest for demo:v9 not found"},
		{"pull from another namespace", "/images/pull", "someone/app:v1", http.StatusNotFound, "manifest for someone/app:v1 not found"},
		{"push of a tag the workspace lacks", "/images/push", "nothere:v1", http.StatusNotFound, "An image does not exist locally with the tag: nothere"},
		{"push into another namespace", "/images/push", "team/demo:v1", http.StatusForbidden, "denied: requested access to the resource is denied"},
		{"pull of a malformed name", "/images/pull", "UPPER:case", http.StatusBadRequest, "invalid reference format"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := env.withT(t)
			page := env.postForm(tc.path, url.Values{"ref": {tc.ref}}).wantCode(tc.code)
			if got := page.text("flash-error"); !strings.Contains(got, tc.msg) {
				t.Errorf("error %q, want %q", got, tc.msg)
			}
		})
	}
}

// The errors a registry client meets that the pages cannot reach (they pull and push
// in process): real pulls and pushes over HTTP, against this server's hub, an address
// where nothing listens and a registry that answers badly, each of its class and so
// of its status.
func TestRegistryClientErrorStatus(t *testing.T) {
	ctx := context.Background()
	env := newTestServer(t)
	host := strings.TrimPrefix(env.HTTP.URL, "http://")
	ns, token, err := env.workspace().HubToken(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	bobNS, bobToken := regCredentials(t, env.Store, "bob")
	env.build("FROM busybox\nLABEL a=1\n", nil, host+"/"+ns+"/app:1")

	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	nobody := closed.Addr().String()
	closed.Close()

	// A registry that answers a manifest that is not JSON, a Docker schema 1 manifest,
	// one whose config it lacks, and an error code layerlab has no class for.
	config := []byte("{}")
	noBlobs := fmt.Sprintf(`{"schemaVersion":2,"mediaType":%q,"config":{"mediaType":%q,"digest":%q,"size":%d},"layers":[]}`,
		db.MediaTypeOCIManifest, "application/vnd.oci.image.config.v1+json", digest.FromBytes(config), len(config))
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v2/":
		case "/v2/team/app/manifests/garbled":
			w.Header().Set("Content-Type", db.MediaTypeOCIManifest)
			io.WriteString(w, "not a manifest")
		case "/v2/team/app/manifests/schema1":
			w.Header().Set("Content-Type", "application/vnd.docker.distribution.manifest.v1+prettyjws")
			io.WriteString(w, `{"schemaVersion":1,"name":"team/app","tag":"schema1"}`)
		case "/v2/team/app/manifests/noblobs":
			w.Header().Set("Content-Type", db.MediaTypeOCIManifest)
			io.WriteString(w, noBlobs)
		case "/v2/team/app/manifests/refused":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"errors":[{"code":"NAME_INVALID","message":"not a name this registry takes"}]}`)
		default:
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]}`)
		}
	}))
	t.Cleanup(bad.Close)
	badHost := strings.TrimPrefix(bad.URL, "http://")

	pull := func(addr, name string, opt remote.PullOptions) func(t *testing.T) error {
		return func(t *testing.T) error {
			reg, err := remote.NewHTTP(addr, remote.Credential{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = remote.Pull(ctx, env.workspace(), reg, mustRef(t, addr+"/"+name), opt)
			return err
		}
	}
	push := func(cred remote.Credential) func(t *testing.T) error {
		return func(t *testing.T) error {
			reg, err := remote.NewHTTP(host, cred)
			if err != nil {
				t.Fatal(err)
			}
			_, err = remote.Push(ctx, env.workspace(), reg, mustRef(t, host+"/"+ns+"/app:1"), remote.PushOptions{})
			return err
		}
	}
	tests := []struct {
		name  string
		run   func(t *testing.T) error
		class error
		code  int
	}{
		{"pull of a tag the registry lacks", pull(host, ns+"/app:9", remote.PullOptions{}), remote.ErrManifestUnknown, http.StatusNotFound},
		{"pull of an image whose config the registry lacks", pull(badHost, "team/app:noblobs", remote.PullOptions{}), remote.ErrBlobUnknown, http.StatusNotFound},
		{"push without credentials", push(remote.Credential{}), remote.ErrUnauthorized, http.StatusUnauthorized},
		{"push into another namespace", push(remote.Credential{Username: bobNS, Password: bobToken}), remote.ErrDenied, http.StatusForbidden},
		{"pull of a manifest past the limit", pull(host, "library/busybox:latest", remote.PullOptions{Limits: remote.Limits{MaxManifestBytes: 10}}), remote.ErrTooLarge, http.StatusUnprocessableEntity},
		{"pull of a schema 1 manifest", pull(badHost, "team/app:schema1", remote.PullOptions{}), remote.ErrUnsupported, http.StatusUnprocessableEntity},
		{"pull from an address where nothing listens", pull(nobody, "team/app:1", remote.PullOptions{}), remote.ErrUnreachable, http.StatusBadGateway},
		{"pull of a manifest that is not one", pull(badHost, "team/app:garbled", remote.PullOptions{}), remote.ErrInvalid, http.StatusBadGateway},
		{"pull refused with an error of no class", pull(badHost, "team/app:refused", remote.PullOptions{}), nil, http.StatusBadGateway},
		{"a name without a registry, and no hub", func(t *testing.T) error {
			n, err := remote.ParseName("team/app:1")
			if err != nil {
				t.Fatal(err)
			}
			_, err = remote.Open(n, nil, nil)
			return err
		}, remote.ErrNoHub, http.StatusBadRequest},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run(t)
			if err == nil || (tc.class != nil && !errors.Is(err, tc.class)) {
				t.Fatalf("error %v, want one of class %v", err, tc.class)
			}
			if code, _, internal := status(err); code != tc.code || internal {
				t.Errorf("status(%q) = %d (internal %v), want %d", err, code, internal, tc.code)
			}
		})
	}
	// With the workspace's own token the same push goes through: the refusals above were
	// the registry's, not a broken push.
	if err := push(remote.Credential{Username: ns, Password: token})(t); err != nil {
		t.Errorf("push with the workspace's own token: %v", err)
	}
}

func mustRef(t *testing.T, s string) image.Ref {
	t.Helper()
	r, err := image.ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
