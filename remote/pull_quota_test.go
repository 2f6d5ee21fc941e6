package remote

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
)

// TestPullQuota: a pull counts its layers uncompressed against the workspace's
// storage quota: ten gzip layers of zeros (a few KiB pushed, 2 MiB stored) pull when
// the quota is exactly what they take, and past it the pull is refused with the quota
// named, leaving the store as it was (no image, no layer blob, no file).
func TestPullQuota(t *testing.T) {
	var tars [][]byte
	var need int64
	for i := range 10 {
		tb := mkTar(t, tf{name: fmt.Sprintf("zeros%d", i), body: make([]byte, 200<<10+i)})
		tars = append(tars, tb)
		need += int64(len(tb))
	}
	tests := []struct {
		name    string
		quota   int64
		wantErr bool
		wantMsg string
	}{
		{"at the bound", need, false, ""},
		{"one byte short", need - 1, true, "docker image prune"},
		{"half", need / 2, true, "docker image prune"},
		// Past the quota by the manifest's compressed sizes alone: refused before a download.
		{"compressed past it", 100, true, "compressed) would pass it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			reg := newMemRegistry()
			ti := newTestImage(t, tars...)
			ti.publish(t, reg, "team/bomb", "1")
			ws := openStore(t)
			ws.Store().SetWorkspaceQuota(tt.quota)
			files := func() int {
				es, err := os.ReadDir(filepath.Join(ws.Store().Dir(), "blobs", "sha256"))
				if err != nil {
					t.Fatal(err)
				}
				return len(es)
			}
			before := files()
			_, err := Pull(ctx, ws, reg, mustRef(t, "127.0.0.1:5000/team/bomb:1"), PullOptions{Out: &bytes.Buffer{}})
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("pull within the quota: %v", err)
				}
				return
			}
			var qe *db.QuotaError
			if !errors.Is(err, db.ErrQuota) || !errors.As(err, &qe) || qe.Quota != tt.quota {
				t.Fatalf("pull past the quota: %v, want a QuotaError of %d", err, tt.quota)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("refusal %q does not say %q", err, tt.wantMsg)
			}
			assertEmpty(t, ws)
			if got := files(); got != before {
				es, _ := os.ReadDir(filepath.Join(ws.Store().Dir(), "blobs", "sha256"))
				for _, e := range es {
					_, err := ws.BlobSize(ctx, digest.NewDigestFromEncoded(digest.SHA256, e.Name()))
					t.Logf("left: %s %v", e.Name(), err)
				}
				t.Errorf("the refused pull left %d blob files, %d before", got, before)
			}
			for _, tb := range tars {
				if _, err := ws.BlobSize(ctx, digest.FromBytes(tb)); !errors.Is(err, db.ErrNotFound) {
					t.Errorf("a layer of the refused pull is stored: %v", err)
				}
			}
		})
	}
}
