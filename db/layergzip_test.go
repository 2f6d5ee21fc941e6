package db

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	digest "github.com/opencontainers/go-digest"
)

func TestLayerGzip(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	a := workspace(t, s, "a")
	b := workspace(t, s, "b")
	l := putLayer(t, a, "a layer tar")
	gz := digest.FromString("its gzip")

	if d, n, err := a.LayerGzip(ctx, l.DiffID); err != nil || d != "" || n != 0 {
		t.Fatalf("nothing recorded: got %q %d %v", d, n, err)
	}
	if err := a.SetLayerGzip(ctx, l.DiffID, gz, 42); err != nil {
		t.Fatal(err)
	}
	// Shared by the workspaces, as the blobs are.
	if d, n, err := b.LayerGzip(ctx, l.DiffID); err != nil || d != gz || n != 42 {
		t.Errorf("recorded: got %q %d %v", d, n, err)
	}
	// Recording again (a newer Go's gzip, say) replaces the record.
	gz2 := digest.FromString("another gzip")
	if err := b.SetLayerGzip(ctx, l.DiffID, gz2, 43); err != nil {
		t.Fatal(err)
	}
	if d, n, _ := a.LayerGzip(ctx, l.DiffID); d != gz2 || n != 43 {
		t.Errorf("re-recorded: got %q %d", d, n)
	}

	for _, bad := range []struct {
		diffID, d digest.Digest
		size      int64
	}{
		{"sha256:nothex", gz, 1},
		{l.DiffID, "md5:abc", 1},
		{l.DiffID, digest.Digest("sha512:" + string(bytes.Repeat([]byte("ab"), 64))), 1},
		{l.DiffID, gz, 0},
	} {
		if err := a.SetLayerGzip(ctx, bad.diffID, bad.d, bad.size); !errors.Is(err, ErrInvalid) {
			t.Errorf("SetLayerGzip(%q, %q, %d): %v, want ErrInvalid", bad.diffID, bad.d, bad.size, err)
		}
	}
	if d, n, _ := a.LayerGzip(ctx, l.DiffID); d != gz2 || n != 43 {
		t.Errorf("a refused record changed it: %q %d", d, n)
	}
}

// The record goes with the layer's blob; it keeps no blob alive.
func TestLayerGzipGC(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	a := workspace(t, s, "a")
	kept := putLayer(t, a, "a layer an image uses")
	loose := putLayer(t, a, "a layer no image uses")
	putImage(t, a, newRecord(t, nil, "img", baseTime, kept))
	// The gzip blob of the kept layer is stored too (the hub in process holds it).
	gz, gzSize, err := s.PutBlob(ctx, "", bytes.NewReader([]byte("gzip of kept")))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []struct {
		diffID, gz digest.Digest
		size       int64
	}{{kept.DiffID, gz, gzSize}, {loose.DiffID, digest.FromString("gzip of loose"), 9}} {
		if err := a.SetLayerGzip(ctx, l.diffID, l.gz, l.size); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.GCNow(ctx); err != nil {
		t.Fatal(err)
	}
	if d, _, _ := a.LayerGzip(ctx, loose.DiffID); d != "" {
		t.Errorf("record of a collected layer kept: %s", d)
	}
	if d, _, _ := a.LayerGzip(ctx, kept.DiffID); d != gz {
		t.Errorf("record of a kept layer: %q", d)
	}
	// The record is not a reference: the unreferenced gzip blob went.
	if _, err := os.Stat(s.BlobPath(gz)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the record kept gzip blob %s: %v", gz, err)
	}
	checkIntegrity(t, s)
}

func TestTempFile(t *testing.T) {
	s := openStore(t)
	w := workspace(t, s, "a")
	f, err := w.TempFile("push-*")
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if filepath.Dir(f.Name()) != s.tmpDir() {
		t.Errorf("temp file %s is not in %s", f.Name(), s.tmpDir())
	}
}

func TestHubLinkBlob(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	d := digest.FromString("never stored")
	if _, err := s.HubLinkBlob(ctx, "ns/app", d); !errors.Is(err, ErrNotFound) {
		t.Errorf("link of a blob the store lacks: %v, want ErrNotFound", err)
	}
	if _, err := s.HubBlob(ctx, "ns/app", d); err == nil {
		t.Error("a failed link linked")
	}
	if _, err := s.HubLinkBlob(ctx, "ns/app", "sha512:abc"); !errors.Is(err, ErrInvalid) {
		t.Errorf("link of a malformed digest: %v, want ErrInvalid", err)
	}

	content := []byte("a gzip blob, filed by PutBlob")
	d, n, err := s.PutBlob(ctx, "", bytes.NewReader(content))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.HubLinkBlob(ctx, "ns/app", d)
	if err != nil || b.Size != n || b.StoreDigest != d || b.Digest != d || b.Repo != "ns/app" {
		t.Fatalf("link: %+v %v", b, err)
	}
	f, got, err := s.HubOpenBlob(ctx, "ns/app", d)
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	if got.Size != int64(len(content)) {
		t.Errorf("linked blob: %+v", got)
	}
	// Linking again is no error; the link keeps the blob from GC.
	if _, err := s.HubLinkBlob(ctx, "ns/app", d); err != nil {
		t.Error(err)
	}
	if _, err := s.GCNow(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.BlobPath(d)); err != nil {
		t.Errorf("GC removed a linked blob: %v", err)
	}

	// A blob whose row is there but whose file is gone is not held.
	d2, _, err := s.PutBlob(ctx, "", bytes.NewReader([]byte("another")))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(s.BlobPath(d2)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.HubLinkBlob(ctx, "ns/app", d2); !errors.Is(err, ErrNotFound) {
		t.Errorf("link of a blob whose file is gone: %v, want ErrNotFound", err)
	}
}
