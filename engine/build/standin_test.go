package build_test

import (
	"context"
	"io"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
	"layerlab/engine/image"
)

// TestStandInPulledAgain: a stand-in pulled a second time (into another store, its
// layers known from the first pull, so each is stored by its diffID) is the same image
// with the same layers and sizes, and every stored blob hashes to its layer's diffID.
func TestStandInPulledAgain(t *testing.T) {
	ctx := context.Background()
	ref, err := image.ParseRef("busybox:latest")
	if err != nil {
		t.Fatal(err)
	}
	var recs []*image.Record
	for i := range 3 {
		st := buildtest.New()
		rec, _, err := build.StandIns{}.Pull(ctx, st, ref)
		if err != nil {
			t.Fatalf("pull %d: %v", i+1, err)
		}
		for _, l := range rec.Layers {
			rc, err := st.OpenBlob(ctx, l.DiffID)
			if err != nil {
				t.Fatalf("pull %d: blob %s: %v", i+1, l.DiffID, err)
			}
			b, err := io.ReadAll(rc)
			rc.Close()
			if err != nil {
				t.Fatal(err)
			}
			if got := digest.FromBytes(b); got != l.DiffID {
				t.Errorf("pull %d: blob %s hashes to %s", i+1, l.DiffID, got)
			}
			if l.Size <= 0 {
				t.Errorf("pull %d: layer %s has size %d", i+1, l.DiffID, l.Size)
			}
		}
		recs = append(recs, rec)
	}
	for i, rec := range recs[1:] {
		if rec.ID != recs[0].ID {
			t.Errorf("pull %d: image %s, want %s", i+2, rec.ID, recs[0].ID)
		}
		if len(rec.Layers) != len(recs[0].Layers) {
			t.Fatalf("pull %d: %d layers, want %d", i+2, len(rec.Layers), len(recs[0].Layers))
		}
		for j, l := range rec.Layers {
			if l != recs[0].Layers[j] {
				t.Errorf("pull %d: layer %d = %+v, want %+v", i+2, j, l, recs[0].Layers[j])
			}
		}
	}
}
