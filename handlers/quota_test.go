package handlers

import (
	"context"
	"strings"
	"testing"
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
