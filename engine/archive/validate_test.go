package archive_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"layerlab/engine/archive"
	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
	"layerlab/engine/image/validate"
)

// validateArchive runs the shared invariant checker over every image an archive lists
// (manifest.json's and the OCI layout's) and returns how many there were.
func validateArchive(t *testing.T, b []byte) int {
	t.Helper()
	srcs, err := validate.ReadArchive(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range srcs {
		if err := validate.Image(context.Background(), src); err != nil {
			t.Error(err)
		}
	}
	return len(srcs)
}

// validateLoaded loads b into a fresh store and validates every image it stored.
func validateLoaded(t *testing.T, b []byte, want int) *buildtest.Store {
	t.Helper()
	ctx := context.Background()
	st := buildtest.New()
	loaded, err := load(t, st, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(loaded) != want {
		t.Fatalf("loaded %d images, want %d", len(loaded), want)
	}
	for _, l := range loaded {
		rec, err := st.Image(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(ctx, validate.Record{Image: rec, Blobs: st}); err != nil {
			t.Error(err)
		}
	}
	return st
}

// TestSavedAndLoadedImagesValidate: two built images that share layers, saved: both
// views of each in the archive validate; loaded into another store, the same images
// (same IDs) validate there.
func TestSavedAndLoadedImagesValidate(t *testing.T) {
	ctx := context.Background()
	st := buildtest.New()
	b := build.New(st, build.StandIns{})
	b.Now = func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	var items []archive.Item
	for _, tc := range []struct{ dockerfile, tag string }{
		{"FROM busybox\nRUN echo 1 > /one && ln -s /one /link\nENV A=1\n", "one:v1"},
		{"FROM busybox\nRUN echo 1 > /one && ln -s /one /link\nENV A=1\nRUN rm /one && mkdir /d\n", "two:v1"},
	} {
		c, err := build.NewContext([]build.File{{Path: "Dockerfile", Data: []byte(tc.dockerfile)}}, "")
		if err != nil {
			t.Fatal(err)
		}
		res, err := b.Build(ctx, c, build.Options{Tags: []string{tc.tag}})
		if err != nil {
			t.Fatal(err)
		}
		rec, err := st.Image(ctx, res.Image)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(ctx, validate.Record{Image: rec, Blobs: st, Ref: tc.tag}); err != nil {
			t.Error(err)
		}
		items = append(items, archive.Item{Record: rec, Tags: []string{tc.tag}})
	}
	var buf bytes.Buffer
	if err := archive.Save(ctx, &buf, st, items); err != nil {
		t.Fatal(err)
	}
	if n := validateArchive(t, buf.Bytes()); n != 2*len(items) {
		t.Errorf("the archive lists %d images, want %d (each in manifest.json and in index.json)", n, 2*len(items))
	}
	loaded := validateLoaded(t, buf.Bytes(), len(items))
	for _, it := range items {
		if _, err := loaded.Image(ctx, it.Record.ID); err != nil {
			t.Errorf("%s: not loaded under its ID: %v", it.Tags[0], err)
		}
	}
}

// TestLoadedArchivesValidate: archives layerlab did not write (Docker 20.10's save, an
// OCI layout of gzip layers) validate as they are, and so does what load stores.
func TestLoadedArchivesValidate(t *testing.T) {
	l1, l2 := baseLayer(t), appLayer(t)
	cfg := config(t, l1, l2)
	tests := []struct {
		name    string
		archive []byte
		images  int // the archive lists
	}{
		{"docker 20.10 save", mkTar(t, docker2010(t, cfg, []string{"demo:v1"}, l1, l2)...), 1},
		{"OCI layout with gzip layers", mkTar(t, ociLayout(t, cfg, "demo:v1", gz(t, l1), gz(t, l2))...), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if n := validateArchive(t, tc.archive); n != tc.images {
				t.Errorf("the archive lists %d images, want %d", n, tc.images)
			}
			validateLoaded(t, tc.archive, 1)
		})
	}
}
