package handlers

import (
	"context"
	"crypto/rand"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestBuildQuota: a build whose layer would pass the workspace's storage quota fails
// at that step, saying how much is used of how much and what frees space; one within
// the quota builds.
func TestBuildQuota(t *testing.T) {
	tests := []struct {
		name    string
		quota   int64
		wantErr bool
	}{
		{"within the quota", 4 << 20, false},
		{"past it", 100 << 10, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestServer(t, func(d *Deps) { d.Limits.WorkspaceQuota = tt.quota })
			b := env.browser
			id := b.startBuild("FROM busybox\nRUN head -c 1000000 /dev/zero > /zeros\n")
			bj := b.waitBuild(id)
			if !tt.wantErr {
				if bj.State != "succeeded" {
					t.Fatalf("build within the quota: %s %s", bj.State, bj.Error)
				}
				return
			}
			if bj.State != "failed" || !strings.Contains(bj.Error, "storage quota exceeded") ||
				!strings.Contains(bj.Error, "102kB quota") || !strings.Contains(bj.Error, "docker image prune") {
				t.Fatalf("build past the quota: %s %q", bj.State, bj.Error)
			}
			used, err := b.workspace().StorageUsed(context.Background())
			if err != nil || used > tt.quota {
				t.Errorf("after the refusal the workspace stores %d bytes (%v), quota %d", used, err, tt.quota)
			}
		})
	}
}

// TestPushQuota: a push from the web stores the layers' gzip in the workspace's hub
// namespace, which counts against its quota: one that would pass it is refused with
// the quota named, one within it pushes.
func TestPushQuota(t *testing.T) {
	tests := []struct {
		name    string
		quota   int64
		wantErr bool
	}{
		{"within the quota", 4 << 20, false},
		{"past it", 800_000, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := newTestServer(t, func(d *Deps) { d.Limits.WorkspaceQuota = tt.quota })
			b := env.browser
			b.setContext(map[string]string{"Dockerfile": "FROM scratch\nCOPY r /r\n", "r": randomText(300_000)})
			var started struct {
				ID string `json:"id"`
			}
			b.postJSON("/api/builds", map[string]any{"tags": []string{"demo:v1"}}).wantCode(http.StatusAccepted).json(&started)
			if bj := b.waitBuild(started.ID); bj.State != "succeeded" {
				t.Fatalf("build: %s %s", bj.State, bj.Error)
			}
			var tr struct {
				ID  string       `json:"id"`
				End *transferEnd `json:"end"`
			}
			b.postJSON("/api/pushes", map[string]string{"ref": "demo:v1"}).wantCode(http.StatusAccepted).json(&tr)
			for deadline := time.Now().Add(30 * time.Second); tr.End == nil; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("the push never ended")
				}
				b.get("/api/transfers/" + tr.ID).wantCode(http.StatusOK).json(&tr)
			}
			if !tt.wantErr {
				if !tr.End.OK {
					t.Fatalf("push within the quota: %s", tr.End.Error)
				}
				return
			}
			if tr.End.OK || !strings.Contains(tr.End.Error, "storage quota exceeded") || !strings.Contains(tr.End.Error, "800kB quota") {
				t.Fatalf("push past the quota: %+v", tr.End)
			}
		})
	}
}

// randomText is n bytes that gzip cannot shrink much.
func randomText(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return string(b)
}
