package build_test

import (
	"context"
	"io"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/baseimage"
	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
	"layerlab/engine/image"
	"layerlab/engine/standin"
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

// bytesOnly hides buildtest.Store's GeneratedStore methods: a store that holds bytes.
type bytesOnly struct{ build.Store }

// countingStore counts how often a stand-in layer had to be measured from its bytes.
type countingStore struct {
	*buildtest.Store
	remembered int
}

func (c *countingStore) RememberStandInLayer(ctx context.Context, fp, d digest.Digest, size int64) error {
	c.remembered++
	return c.Store.RememberStandInLayer(ctx, fp, d, size)
}

// TestStandInGenerated: a stand-in pulled into a store that holds generated content
// has the same image ID and layers as one pulled into a store that holds bytes, while
// no layer's bytes are stored; its layers read back as their diffIDs (verified).
func TestStandInGenerated(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"busybox:latest", "alpine:3.20", "python:3.9"} {
		t.Run(name, func(t *testing.T) {
			ref, err := image.ParseRef(name)
			if err != nil {
				t.Fatal(err)
			}
			gen := &countingStore{Store: buildtest.New()}
			got, _, err := build.StandIns{}.Pull(ctx, gen, ref)
			if err != nil {
				t.Fatal(err)
			}
			if gen.remembered != 0 {
				t.Errorf("%d layers measured from their bytes: the table should know them all", gen.remembered)
			}
			for _, l := range got.Layers {
				if !gen.Generated(l.DiffID) {
					t.Errorf("layer %s is stored as bytes, want generated", l.DiffID)
				}
			}
			if name == "python:3.9" {
				return // its bytes (about 1 GB) are compared by the table's own tests
			}
			plain := buildtest.New()
			want, _, err := build.StandIns{}.Pull(ctx, bytesOnly{plain}, ref)
			if err != nil {
				t.Fatal(err)
			}
			if got.ID != want.ID || len(got.Layers) != len(want.Layers) {
				t.Fatalf("generated: image %s with %d layers, bytes: %s with %d", got.ID, len(got.Layers), want.ID, len(want.Layers))
			}
			for i, l := range got.Layers {
				if l != want.Layers[i] {
					t.Errorf("layer %d: generated %+v, bytes %+v", i, l, want.Layers[i])
				}
				rc, err := gen.OpenBlob(ctx, l.DiffID)
				if err != nil {
					t.Fatal(err)
				}
				h := digest.Canonical.Digester()
				_, err = io.Copy(h.Hash(), rc)
				rc.Close()
				if err != nil || h.Digest() != l.DiffID {
					t.Errorf("layer %d reads as %s, %v; want %s", i, h.Digest(), err, l.DiffID)
				}
			}
		})
	}
}

// TestStandInNotInTable: a stand-in whose layers the embedded table lacks is measured
// once from its bytes and remembered by the store, so a second pull measures nothing.
func TestStandInNotInTable(t *testing.T) {
	ctx := context.Background()
	name := ""
	for _, n := range baseimage.Names() {
		img, err := baseimage.Lookup(n)
		if err != nil || len(img.Layers) == 0 {
			continue
		}
		changes, err := standin.Changes(img, len(img.Layers)-1)
		if err != nil {
			t.Fatal(err)
		}
		fp, err := standin.Fingerprint(changes)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, ok := standin.Known(fp); !ok && img.Layers[len(img.Layers)-1].Usage() < 64<<20 {
			name = n
			break
		}
	}
	if name == "" {
		t.Skip("every stand-in's last layer is in the table")
	}
	ref, err := image.ParseRef(name)
	if err != nil {
		t.Fatal(err)
	}
	st := &countingStore{Store: buildtest.New()}
	first, _, err := build.StandIns{}.Pull(ctx, st, ref)
	if err != nil {
		t.Fatal(err)
	}
	if st.remembered == 0 {
		t.Fatalf("%s: nothing measured, want its layers missing from the table measured", name)
	}
	n := st.remembered
	again, _, err := build.StandIns{}.Pull(ctx, st, ref)
	if err != nil {
		t.Fatal(err)
	}
	if st.remembered != n || again.ID != first.ID {
		t.Errorf("%s pulled again: measured %d more layers, image %s (first %s); want none and the same image", name, st.remembered-n, again.ID, first.ID)
	}
}
