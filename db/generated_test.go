package db

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/build"
	"layerlab/engine/standin"
)

// readAll reads blob d whole and returns its digest.
func readDigest(t *testing.T, s *Store, d digest.Digest) (digest.Digest, error) {
	t.Helper()
	rc, err := s.OpenBlob(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	h := digest.Canonical.Digester()
	_, err = io.Copy(h.Hash(), rc)
	return h.Digest(), err
}

// TestGeneratedStandIn: a stand-in pulled into the store writes no layer file; each
// layer has its size, reads back as its diffID, is "stored" for PutBlob (which then
// reads nothing), and goes with GC once no image uses it.
func TestGeneratedStandIn(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, "a")
	rec, _, err := build.StandIns{}.Pull(ctx, w, mustRef(t, "busybox:latest"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rec.Layers) == 0 {
		t.Fatal("busybox has no layers")
	}
	for _, l := range rec.Layers {
		if _, err := os.Stat(s.BlobPath(l.DiffID)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("layer %s has a file (%v), want none: it is generated", l.DiffID, err)
		}
		n, err := s.BlobSize(ctx, l.DiffID)
		if err != nil || n <= 0 {
			t.Errorf("BlobSize(%s) = %d, %v", l.DiffID, n, err)
		}
		if got, err := readDigest(t, s, l.DiffID); err != nil || got != l.DiffID {
			t.Errorf("layer reads as %s, %v; want %s", got, err, l.DiffID)
		}
		if _, _, err := s.PutBlob(ctx, l.DiffID, failReader{}); err != nil {
			t.Errorf("PutBlob of a generated blob: %v, want it stored already (nothing read)", err)
		}
	}
	if _, err := w.Untag(ctx, mustRef(t, "busybox:latest")); err != nil {
		t.Fatal(err)
	}
	if err := w.DeleteImage(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GCNow(ctx); err != nil {
		t.Fatal(err)
	}
	for _, l := range rec.Layers {
		if _, err := s.BlobSize(ctx, l.DiffID); !errors.Is(err, ErrNotFound) {
			t.Errorf("after GC, BlobSize(%s): %v, want ErrNotFound", l.DiffID, err)
		}
	}
}

// TestGeneratedMismatch: bytes the recipe makes that are not the recorded blob fail
// the read with an error naming the layer and both digests.
func TestGeneratedMismatch(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, "a")
	rec, _, err := build.StandIns{}.Pull(ctx, w, mustRef(t, "busybox:latest"))
	if err != nil {
		t.Fatal(err)
	}
	last := len(rec.Layers) - 1
	n, err := s.BlobSize(ctx, rec.Layers[last].DiffID)
	if err != nil {
		t.Fatal(err)
	}
	recipe := standin.Recipe{StandIn: rec.Build.StandIn, Layer: last}.Encode()
	wrong := digest.FromString("what the recipe recorded once")
	if err := s.PutGenerated(ctx, wrong, n, recipe); err != nil {
		t.Fatal(err)
	}
	_, err = readDigest(t, s, wrong)
	if !errors.Is(err, standin.ErrMismatch) || !strings.Contains(err.Error(), wrong.String()) ||
		!strings.Contains(err.Error(), rec.Layers[last].DiffID.String()) || !strings.Contains(err.Error(), rec.Build.StandIn) {
		t.Fatalf("read: %v; want ErrMismatch naming %s, %s and %s", err, rec.Build.StandIn, wrong, rec.Layers[last].DiffID)
	}
}

func TestPutGeneratedRefuses(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, "a")
	stored := putLayer(t, w, "real bytes")
	ok := standin.Recipe{StandIn: "busybox:latest", Layer: 0}.Encode()
	tests := []struct {
		name    string
		d       digest.Digest
		size    int64
		recipe  string
		wantErr error
	}{
		{name: "not a recipe", d: digest.FromString("x"), size: 1, recipe: "python:3.9#0", wantErr: ErrInvalid},
		{name: "bad digest", d: "sha256:nothex", size: 1, recipe: ok, wantErr: ErrInvalid},
		{name: "negative size", d: digest.FromString("x"), size: -1, recipe: ok, wantErr: ErrInvalid},
		{name: "stored with another size", d: stored.DiffID, size: stored.Size + 1, recipe: ok, wantErr: ErrDigestMismatch},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.PutGenerated(ctx, tt.d, tt.size, tt.recipe); !errors.Is(err, tt.wantErr) {
				t.Fatalf("PutGenerated: %v, want %v", err, tt.wantErr)
			}
		})
	}
	// A stored file keeps being read: it is the bytes.
	if err := s.PutGenerated(ctx, stored.DiffID, stored.Size, ok); err != nil {
		t.Fatal(err)
	}
	if got, err := readDigest(t, s, stored.DiffID); err != nil || got != stored.DiffID {
		t.Fatalf("stored blob reads as %s, %v", got, err)
	}
}

// TestStandInLayerRemembered: what was measured for a fingerprint outlives the process.
func TestStandInLayerRemembered(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	fp, d := digest.FromString("fingerprint"), digest.FromString("layer")
	if _, _, ok, err := s.StandInLayer(ctx, fp); ok || err != nil {
		t.Fatalf("StandInLayer of a new store: %v, %v", ok, err)
	}
	if err := s.RememberStandInLayer(ctx, fp, d, 1234); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	gd, n, ok, err := s.StandInLayer(ctx, fp)
	if !ok || err != nil || gd != d || n != 1234 {
		t.Fatalf("StandInLayer after reopening = %s, %d, %v, %v; want %s, 1234", gd, n, ok, err, d)
	}
}
