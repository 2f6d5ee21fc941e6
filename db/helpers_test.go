package db

import (
	"bytes"
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/image"
)

// openStore opens a store in a fresh file directory and closes it after the test.
func openStore(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Error(err)
		}
	})
	return s
}

func workspace(t testing.TB, s *Store, name string) *Workspace {
	t.Helper()
	w, err := s.Workspace(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// putLayer stores content as a layer blob.
func putLayer(t testing.TB, w *Workspace, content string) image.Layer {
	t.Helper()
	d, n, err := w.PutBlob(context.Background(), "", bytes.NewReader([]byte(content)))
	if err != nil {
		t.Fatal(err)
	}
	return image.Layer{DiffID: d, Size: n}
}

var baseTime = time.Date(2024, 5, 1, 12, 0, 0, 123456789, time.UTC)

// newRecord builds the record of a classic-builder step on parent (nil for a base
// image) that ran createdBy and added layers, as the builder would.
func newRecord(t testing.TB, parent *image.Record, createdBy string, created time.Time, layers ...image.Layer) *image.Record {
	t.Helper()
	img := &image.Image{
		Created:         created,
		Architecture:    "amd64",
		OS:              "linux",
		DockerVersion:   image.DockerVersion,
		Config:          &image.ContainerConfig{Cmd: []string{"/bin/sh"}, Env: []string{"PATH=/bin"}},
		ContainerConfig: &image.ContainerConfig{Cmd: []string{"/bin/sh", "-c", createdBy}, Env: []string{"PATH=/bin"}},
		RootFS:          image.RootFS{Type: "layers"},
	}
	var all []image.Layer
	var pid digest.Digest
	if parent != nil {
		pid = parent.ID
		img.Parent = parent.ID
		all = append(all, parent.Layers...)
		pimg, err := parent.ConfigFile(t.Context())
		if err != nil {
			t.Fatalf("read config of %s: %v", parent.ID, err)
		}
		img.History = append(img.History, pimg.History...)
	}
	all = append(all, layers...)
	for _, l := range all {
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, l.DiffID)
	}
	img.History = append(img.History, image.History{Created: created, CreatedBy: createdBy, EmptyLayer: len(layers) == 0})
	b, id, err := img.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return &image.Record{
		ID:       id,
		Config:   b,
		Image:    img,
		Parent:   pid,
		Layers:   all,
		Created:  created,
		CacheKey: img.ContainerConfig.CacheKey(),
		Build:    &image.StepInfo{Instruction: "RUN " + createdBy, Keyword: "RUN", Line: 2, BuildArgs: map[string]string{"A": "1"}},
	}
}

func putImage(t testing.TB, w *Workspace, rec *image.Record) *image.Record {
	t.Helper()
	if err := w.PutImage(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	return rec
}

func mustRef(t testing.TB, s string) image.Ref {
	t.Helper()
	r, err := image.ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// clock is a settable clock for GC grace tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// failReader fails if read: PutBlob of a stored blob must not read.
type failReader struct{}

func (failReader) Read([]byte) (int, error) { return 0, fmt.Errorf("read called") }
