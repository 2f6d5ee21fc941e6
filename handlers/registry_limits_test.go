package handlers

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

// TestRegistryUploadLimits: through the registry API, a namespace's sessions past
// UploadSessions answer 429 TOOMANYREQUESTS with Retry-After, an upload announced past
// UploadBytes 413 before its body is read, and one past the workspace's storage quota
// 403 DENIED; each message names its limit.
func TestRegistryUploadLimits(t *testing.T) {
	env := newTestServer(t, func(d *Deps) {
		d.Limits.UploadSessions, d.Limits.UploadBytes, d.Limits.WorkspaceQuota = 2, 1000, 500
	})
	ctx := context.Background()
	ws, err := env.Store.Workspace(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	ns, token, err := ws.HubToken(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	do := func(method, path string, body []byte) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest(method, env.HTTP.URL+path, bytes.NewReader(body))
		req.SetBasicAuth(ns, token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, string(b)
	}
	for i := range 2 {
		if res, body := do(http.MethodPost, "/v2/"+ns+"/app/blobs/uploads/", nil); res.StatusCode != http.StatusAccepted {
			t.Fatalf("session %d (within the limit): %d %s", i+1, res.StatusCode, body)
		}
	}
	res, body := do(http.MethodPost, "/v2/"+ns+"/app/blobs/uploads/", nil)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" || !strings.Contains(body, "TOOMANYREQUESTS") || !strings.Contains(body, "2 upload sessions") {
		t.Errorf("the third session: %d %q %s", res.StatusCode, res.Header.Get("Retry-After"), body)
	}

	big := bytes.Repeat([]byte("x"), 1001)
	res, body = do(http.MethodPost, "/v2/"+ns+"/app/blobs/uploads/?digest="+digest.FromBytes(big).String(), big)
	if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "1kB per upload") {
		t.Errorf("an upload past UploadBytes: %d %s", res.StatusCode, body)
	}
	mid := bytes.Repeat([]byte("y"), 600)
	res, body = do(http.MethodPost, "/v2/"+ns+"/app/blobs/uploads/?digest="+digest.FromBytes(mid).String(), mid)
	if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "DENIED") || !strings.Contains(body, "500B quota") {
		t.Errorf("an upload past the workspace's quota: %d %s", res.StatusCode, body)
	}
	small := bytes.Repeat([]byte("z"), 400)
	if res, body := do(http.MethodPost, "/v2/"+ns+"/app/blobs/uploads/?digest="+digest.FromBytes(small).String(), small); res.StatusCode != http.StatusCreated {
		t.Errorf("an upload within every bound: %d %s", res.StatusCode, body)
	}
}
