package db

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
)

// storeCounts is what a refused write must leave as it was: blob rows and files.
func storeCounts(t *testing.T, s *Store) (rows, files int) {
	t.Helper()
	if err := s.db.QueryRow(`SELECT count(*) FROM blobs`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(s.blobDir())
	if err != nil {
		t.Fatal(err)
	}
	return rows, len(entries)
}

// TestWorkspaceQuota: writes up to the quota are stored; the byte past it is refused
// with a QuotaError naming used and quota, and the refusal takes back what the
// workspace wrote that nothing references (a pull's earlier layers), so the store's
// counts equal those before the refused operation. A blob stored already costs
// nothing, and what an image references stays.
func TestWorkspaceQuota(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		sizes   []int // new blobs, written in order as one operation (a pull)
		wantErr bool
	}{
		{"under", []int{30, 30}, false},
		{"at the bound", []int{60, 40}, false},
		{"one byte past", []int{60, 41}, true},
		{"first layer past", []int{101}, true},
		{"at the bound, then one more", []int{100, 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			s.SetWorkspaceQuota(100)
			w := workspace(t, s, "alice")
			rows0, files0 := storeCounts(t, s)
			var err error
			for i, n := range tt.sizes {
				content := strings.Repeat(string(rune('a'+i)), n)
				if _, _, err = w.PutBlob(ctx, "", strings.NewReader(content)); err != nil {
					break
				}
			}
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("PutBlob: %v", err)
				}
				return
			}
			var qe *QuotaError
			if !errors.Is(err, ErrQuota) || !errors.As(err, &qe) || qe.Quota != 100 {
				t.Fatalf("err = %v, want a QuotaError of 100 bytes", err)
			}
			if !strings.Contains(err.Error(), "docker image prune") || !strings.Contains(err.Error(), "100B") {
				t.Errorf("message %q does not say the quota and what frees space", err)
			}
			if rows, files := storeCounts(t, s); rows != rows0 || files != files0 {
				t.Errorf("after the refusal: %d blob rows, %d files; before: %d, %d", rows, files, rows0, files0)
			}
		})
	}
}

// TestWorkspaceQuotaReferenced: an image's blobs count (a blob two workspaces'
// images share counts half to each), survive a refusal, and re-storing a blob that is
// there costs nothing even at the quota.
func TestWorkspaceQuotaReferenced(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	alice, bob := workspace(t, s, "alice"), workspace(t, s, "bob")
	l := putLayer(t, alice, strings.Repeat("x", 80))
	rec := putImage(t, alice, newRecord(t, nil, "base", baseTime, l))
	used, err := alice.StorageUsed(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if used < 80+int64(len(rec.Config)) {
		t.Fatalf("alice uses %d bytes, want at least the layer (80) and the config (%d)", used, len(rec.Config))
	}
	if _, _, err := bob.PutBlob(ctx, l.DiffID, failReader{}); err != nil {
		t.Fatal(err)
	}
	putImage(t, bob, newRecord(t, nil, "base", baseTime, l))
	if got, _ := alice.StorageUsed(ctx); got != used-40 {
		t.Errorf("sharing the layer with bob, alice uses %d bytes, want %d (half the layer)", got, used-40)
	}
	used -= 40

	s.SetWorkspaceQuota(used)
	if _, _, err := alice.PutBlob(ctx, l.DiffID, failReader{}); err != nil {
		t.Errorf("re-storing a stored blob at the quota: %v", err)
	}
	if _, _, err := alice.PutBlob(ctx, "", strings.NewReader(strings.Repeat("y", int(used)))); !errors.Is(err, ErrQuota) {
		t.Fatalf("err = %v, want ErrQuota", err)
	}
	if _, err := alice.Image(ctx, rec.ID); err != nil {
		t.Errorf("the image's record after a refusal: %v", err)
	}
	if _, err := s.BlobSize(ctx, l.DiffID); err != nil {
		t.Errorf("the image's layer after a refusal: %v", err)
	}

	s.SetWorkspaceQuota(10, "alice")
	if _, _, err := alice.PutBlob(ctx, "", strings.NewReader(strings.Repeat("z", 50))); err != nil {
		t.Errorf("an exempt workspace: %v", err)
	}
}

// TestExpireWorkspaces: a workspace last used before the cutoff goes with its images,
// builds and hub namespace, and GC then frees the blobs only it used; one used since
// (Touch) stays, as do the kept ones. Touch writes at most once an hour.
func TestExpireWorkspaces(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	c := &clock{t: baseTime}
	s.now = c.now
	alice, bob, lib := workspace(t, s, "alice"), workspace(t, s, "bob"), workspace(t, s, "hub-library")
	l := putLayer(t, alice, "only alice's")
	putImage(t, alice, newRecord(t, nil, "a", baseTime, l))
	if _, err := alice.CreateBuildWithInputs(ctx, "FROM scratch", nil, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	ns, _, err := alice.HubToken(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.HubPutBlob(ctx, ns+"/app", digest.FromString("pushed"), strings.NewReader("pushed")); err != nil {
		t.Fatal(err)
	}

	c.add(10 * time.Hour)
	if err := bob.Touch(ctx); err != nil {
		t.Fatal(err)
	}
	var used1, used2 string
	s.db.QueryRow(`SELECT used FROM workspaces WHERE name = 'bob'`).Scan(&used1)
	c.add(30 * time.Minute)
	if err := bob.Touch(ctx); err != nil {
		t.Fatal(err)
	}
	s.db.QueryRow(`SELECT used FROM workspaces WHERE name = 'bob'`).Scan(&used2)
	if used1 != used2 || used1 != formatTime(baseTime.Add(10*time.Hour)) {
		t.Errorf("touches 30 minutes apart stored %q then %q, want one write", used1, used2)
	}

	gone, err := s.ExpireWorkspaces(ctx, baseTime.Add(5*time.Hour), lib.Name())
	if err != nil {
		t.Fatal(err)
	}
	if len(gone) != 1 || gone[0] != "alice" {
		t.Fatalf("expired %v, want [alice]", gone)
	}
	var n int
	for _, q := range []string{
		`SELECT count(*) FROM workspaces WHERE name = 'alice'`,
		`SELECT count(*) FROM images WHERE workspace = 'alice'`,
		`SELECT count(*) FROM builds WHERE workspace = 'alice'`,
		`SELECT count(*) FROM hub_blobs WHERE repo = '` + ns + `/app'`,
	} {
		if err := s.db.QueryRow(q).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s = %d, %v; want 0", q, n, err)
		}
	}
	if _, err := s.ExistingWorkspace(ctx, "bob"); err != nil {
		t.Errorf("bob, used since: %v", err)
	}
	if _, err := s.ExistingWorkspace(ctx, "hub-library"); err != nil {
		t.Errorf("the kept workspace: %v", err)
	}
	if _, err := s.GCNow(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BlobSize(ctx, l.DiffID); !errors.Is(err, ErrNotFound) {
		t.Errorf("alice's layer after GC: %v, want ErrNotFound", err)
	}
}

// TestWorkspaceQuotaReused: the costly count of a workspace's blobs is reused for
// usageTTL, with the writes since counted from the meter, each blob once: a layer
// written and then referenced by an image counts once, before and after the count is
// made anew; a removal in the workspace frees its space at the next check, not a TTL
// later; another workspace dropping a shared blob shows within the TTL.
func TestWorkspaceQuotaReused(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	clk := &clock{t: time.Now()}
	s.now = clk.now
	s.SetWorkspaceQuota(1 << 20)
	alice, bob := workspace(t, s, "alice"), workspace(t, s, "bob")
	usage := func(what string) int64 {
		t.Helper()
		n, err := alice.StorageUsed(ctx)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return n
	}
	empty := usage("empty")
	l := putLayer(t, alice, strings.Repeat("x", 800))
	if got := usage("a written layer"); got != empty+800 {
		t.Fatalf("after a layer is written: %d, want %d", got, empty+800)
	}
	rec := putImage(t, alice, newRecord(t, nil, "base", baseTime, l))
	meta := int64(len(rec.Config))
	withImage := usage("an image")
	if withImage < empty+800+meta || withImage >= empty+1600+meta {
		t.Fatalf("with the image: %d, want the layer once (800) and its metadata (%d) over %d", withImage, meta, empty)
	}
	clk.add(usageTTLFar + usageJitter + time.Second)
	if got := usage("counted anew"); got != withImage {
		t.Errorf("counted anew after the TTL: %d, want %d as before", got, withImage)
	}

	// bob shares the layer: alice's part halves once the count is made anew.
	putImage(t, bob, newRecord(t, nil, "base", baseTime, l))
	clk.add(usageTTLFar + usageJitter + time.Second)
	shared := usage("shared")
	if shared != withImage-400 {
		t.Errorf("shared with bob: %d, want %d", shared, withImage-400)
	}

	if err := alice.DeleteImage(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	if got := usage("after rmi"); got != empty {
		t.Errorf("right after the image is removed: %d, want %d (its space free at once)", got, empty)
	}
}

// TestUsageReuse: a workspace near its quota is counted anew within a minute, one far
// from it within five and a half; workspaces' TTLs differ by their names.
func TestUsageReuse(t *testing.T) {
	tests := []struct {
		name   string
		used   int64
		lo, hi time.Duration
	}{
		{"far from the quota", 100, usageTTLFar, usageTTLFar + usageJitter},
		{"at half", 500, usageTTL, usageTTL + usageJitter},
		{"near", 990, usageTTL, usageTTL + usageJitter},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := usageReuse("web-1", tt.used, 1000); got < tt.lo || got >= tt.hi {
				t.Errorf("usageReuse = %v, want in [%v, %v)", got, tt.lo, tt.hi)
			}
		})
	}
	seen := map[time.Duration]bool{}
	for _, ws := range []string{"web-1", "web-2", "web-3", "web-4", "web-5"} {
		seen[usageReuse(ws, 0, 1000)] = true
	}
	if len(seen) < 2 {
		t.Errorf("five workspaces share one TTL: %v", seen)
	}
}
