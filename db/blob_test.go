package db

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/image"
)

func TestPutBlob(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		content string
		give    digest.Digest // the digest the caller claims
		wantErr error
	}{
		{name: "no digest given", content: "layer one"},
		{name: "right digest", content: "layer two", give: digest.FromString("layer two")},
		{name: "empty content", content: ""},
		{name: "wrong digest", content: "layer three", give: digest.FromString("something else"), wantErr: ErrDigestMismatch},
		{name: "not sha256", content: "x", give: "sha512:abcd", wantErr: ErrInvalid},
		{name: "malformed", content: "x", give: "sha256:../../etc/passwd", wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t)
			d, n, err := s.PutBlob(ctx, tt.give, bytes.NewReader([]byte(tt.content)))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			tmp, _ := os.ReadDir(s.tmpDir())
			if len(tmp) != 0 {
				t.Errorf("temp files left behind: %v", tmp)
			}
			if err != nil {
				// Nothing is kept: no file under the given or the real digest, no row.
				stored, _ := os.ReadDir(s.blobDir())
				if len(stored) != 0 {
					t.Errorf("blob files left behind: %v", stored)
				}
				if _, err := s.BlobSize(ctx, digest.FromString(tt.content)); !errors.Is(err, ErrNotFound) {
					t.Errorf("BlobSize after a failed put: %v, want ErrNotFound", err)
				}
				return
			}
			if want := digest.FromString(tt.content); d != want || n != int64(len(tt.content)) {
				t.Fatalf("got %s %d, want %s %d", d, n, want, len(tt.content))
			}
			rc, err := s.OpenBlob(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rc)
			rc.Close()
			if string(got) != tt.content {
				t.Errorf("read back %q", got)
			}
			if size, err := s.BlobSize(ctx, d); err != nil || size != n {
				t.Errorf("BlobSize = %d, %v", size, err)
			}
			if p := s.BlobPath(d); filepath.Base(p) != d.Encoded() {
				t.Errorf("BlobPath = %s", p)
			}
			// Storing it again with its digest does not read the content at all.
			if d2, n2, err := s.PutBlob(ctx, d, failReader{}); err != nil || d2 != d || n2 != n {
				t.Errorf("second put: %s %d %v", d2, n2, err)
			}
		})
	}
}

func TestOpenBlobMissing(t *testing.T) {
	s := openStore(t)
	tests := []struct {
		name    string
		d       digest.Digest
		wantErr error
	}{
		{name: "unknown", d: digest.FromString("never stored"), wantErr: ErrNotFound},
		{name: "malformed", d: "sha256:nothex", wantErr: ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.OpenBlob(context.Background(), tt.d); !errors.Is(err, tt.wantErr) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
	if p := s.BlobPath("sha256:../x"); p != "" {
		t.Errorf("BlobPath of a malformed digest = %q, want \"\"", p)
	}
}

// A blob file whose row was lost (a crash between rename and commit) is adopted, and a
// row whose file was lost is rewritten.
func TestPutBlobHeals(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	d, _, err := s.PutBlob(ctx, "", bytes.NewReader([]byte("content")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM blobs`); err != nil {
		t.Fatal(err)
	}
	if _, n, err := s.PutBlob(ctx, d, failReader{}); err != nil || n != 7 {
		t.Fatalf("adopt: %d %v", n, err)
	}
	if n, err := s.BlobSize(ctx, d); err != nil || n != 7 {
		t.Fatalf("adopted size: %d %v", n, err)
	}
	if err := os.Remove(s.BlobPath(d)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.PutBlob(ctx, d, bytes.NewReader([]byte("content"))); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.BlobPath(d)); err != nil {
		t.Fatalf("rewritten file: %v", err)
	}
}

func TestGC(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	clk := &clock{t: time.Now()}
	s.now = clk.now
	a := workspace(t, s, "a")
	b := workspace(t, s, "b")

	shared := putLayer(t, a, "shared layer, used in a and b")
	onlyA := putLayer(t, a, "layer only a's image uses")
	loose := putLayer(t, a, "a blob no image ever used")
	imgA := putImage(t, a, newRecord(t, nil, "in a", baseTime, shared, onlyA))
	putImage(t, b, newRecord(t, nil, "in b", baseTime, shared))
	// The same image in both workspaces: its blobs live while either has it.
	both := newRecord(t, nil, "in both", baseTime, onlyA)
	putImage(t, a, both)
	putImage(t, b, both)

	gc := func(now bool) int64 {
		t.Helper()
		var n int64
		var err error
		if now {
			n, err = s.GCNow(ctx)
		} else {
			n, err = s.GC(ctx)
		}
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	exists := func(d digest.Digest) bool {
		_, err := os.Stat(s.BlobPath(d))
		return err == nil
	}

	// Within the grace period nothing goes, referenced or not.
	if n := gc(false); n != 0 {
		t.Fatalf("GC within grace freed %d", n)
	}
	if err := a.DeleteImage(ctx, imgA.ID); err != nil {
		t.Fatal(err)
	}
	if err := a.DeleteImage(ctx, both.ID); err != nil {
		t.Fatal(err)
	}
	clk.add(GCGrace + time.Minute)
	// Storing the loose blob again renews it: it is about to be used.
	if _, _, err := s.PutBlob(ctx, loose.DiffID, failReader{}); err != nil {
		t.Fatal(err)
	}
	// Configs live in the images table, not as blobs: nothing of imgA is garbage yet
	// (its layers are shared or still used by "both" in b).
	if n := gc(false); n != 0 {
		t.Errorf("GC after grace freed %d, want 0", n)
	}
	for _, d := range []digest.Digest{shared.DiffID, onlyA.DiffID, loose.DiffID} {
		if !exists(d) {
			t.Errorf("GC removed %s, which is referenced or renewed", d)
		}
	}

	// Now b lets go of both: onlyA and both's config become garbage; GCNow takes them
	// and the renewed loose blob at once.
	if err := b.DeleteImage(ctx, both.ID); err != nil {
		t.Fatal(err)
	}
	want := onlyA.Size + loose.Size
	if n := gc(true); n != want {
		t.Errorf("GCNow freed %d, want %d", n, want)
	}
	for _, d := range []digest.Digest{shared.DiffID} {
		if !exists(d) {
			t.Errorf("GCNow removed %s, referenced by b", d)
		}
	}
	for _, d := range []digest.Digest{onlyA.DiffID, loose.DiffID} {
		if exists(d) {
			t.Errorf("GCNow kept %s", d)
		}
	}
	if n := gc(true); n != 0 {
		t.Errorf("second GCNow freed %d", n)
	}
	// A collected layer can be stored again, and then used.
	again := putLayer(t, a, "layer only a's image uses")
	putImage(t, a, newRecord(t, nil, "again", baseTime, again))
	checkIntegrity(t, s)
}

func TestGCRemovesStaleTempFiles(t *testing.T) {
	s := openStore(t)
	stale := filepath.Join(s.tmpDir(), "put-stale")
	fresh := filepath.Join(s.tmpDir(), "put-fresh")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("12345"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-GCGrace - time.Minute)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	n, err := s.GCNow(context.Background())
	if err != nil || n != 5 {
		t.Fatalf("GCNow = %d, %v; want 5", n, err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temp file removed: %v", err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("stale temp file kept")
	}
}

// A layer must be stored before an image that uses it.
func TestPutImageNeedsLayerBlobs(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, DefaultWorkspace)
	missing := image.Layer{DiffID: digest.FromString("never stored"), Size: 12}
	rec := newRecord(t, nil, "x", baseTime, missing)
	if err := w.PutImage(ctx, rec); !errors.Is(err, ErrNotFound) {
		t.Fatalf("got %v, want ErrNotFound", err)
	}
	if _, err := w.Image(ctx, rec.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("image stored anyway: %v", err)
	}
}

// GC (without grace) and writers of the same blobs race; afterwards every blob row
// must still have its file, whoever won each round.
func TestGCRacesPutBlob(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	contents := []string{"one", "two", "three"}
	done := make(chan error, 2)
	go func() {
		for i := 0; i < 150; i++ {
			c := contents[i%len(contents)]
			give := digest.Digest("")
			if i%2 == 0 {
				give = digest.FromString(c) // the renew path
			}
			if _, _, err := s.PutBlob(ctx, give, bytes.NewReader([]byte(c))); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	go func() {
		for i := 0; i < 75; i++ {
			if _, err := s.GCNow(ctx); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := 0; i < 2; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	rows, err := s.db.QueryContext(ctx, `SELECT digest, size FROM blobs`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var d string
		var n int64
		if err := rows.Scan(&d, &n); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(s.BlobPath(digest.Digest(d)))
		if err != nil || fi.Size() != n {
			t.Errorf("blob row %s (%d bytes) without its file: %v", d, n, err)
		}
	}
}

// GC removes an old unreferenced copy of a blob just after a writer placed the same
// content: the writer must notice under the write lock and put the file back.
func TestPutBlobAfterGCRemovedIt(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	d, _, err := s.PutBlob(ctx, "", bytes.NewReader([]byte("content")))
	if err != nil {
		t.Fatal(err)
	}
	var freed int64
	s.afterPlace = func() {
		s.afterPlace = nil
		if freed, err = s.GCNow(ctx); err != nil {
			t.Error(err)
		}
	}
	if _, _, err := s.PutBlob(ctx, "", bytes.NewReader([]byte("content"))); err != nil {
		t.Fatal(err)
	}
	if freed != 7 {
		t.Fatalf("GC in the window freed %d, want 7", freed)
	}
	if _, err := os.Stat(s.BlobPath(d)); err != nil {
		t.Errorf("blob row written but file gone: %v", err)
	}
	if n, err := s.BlobSize(ctx, d); err != nil || n != 7 {
		t.Errorf("BlobSize = %d, %v", n, err)
	}
}
