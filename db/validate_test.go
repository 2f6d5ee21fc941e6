package db_test

import (
	"context"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
	"layerlab/engine/build"
	"layerlab/engine/image"
	"layerlab/engine/image/validate"
	"layerlab/remote"
)

// openWorkspace opens the store in dir and workspace name of it; the store is closed
// when the test ends.
func openWorkspace(t *testing.T, dir, name string) (*db.Store, *db.Workspace) {
	t.Helper()
	ctx := context.Background()
	s, err := db.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ws, err := s.Workspace(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	return s, ws
}

// validateWorkspace runs the shared invariant checker over every image of ws, as
// read back from SQLite and the blob directory, each with the size `image ls` lists
// for it. compressed, when set, opens the compressed blobs the records name (a hub
// in the same store holds them). It returns how many images there were.
func validateWorkspace(t *testing.T, ws *db.Workspace, compressed validate.Blobs) int {
	t.Helper()
	ctx := context.Background()
	recs, err := ws.Images(ctx)
	if err != nil {
		t.Fatal(err)
	}
	listed, err := ws.ImageList(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sizes := map[digest.Digest]int64{}
	for _, l := range listed {
		sizes[l.ID] = l.Size()
	}
	if len(listed) != len(recs) {
		t.Errorf("image ls lists %d images, the workspace has %d", len(listed), len(recs))
	}
	for _, rec := range recs {
		if size, ok := sizes[rec.ID]; ok {
			rec.SetSize(size) // the size column, which must be the layers' sum
		}
		if err := validate.Image(ctx, validate.Record{Image: rec, Blobs: ws, Compressed: compressed}); err != nil {
			t.Error(err)
		}
	}
	return len(recs)
}

// TestStoredImagesValidate builds into a store, closes it, and validates every image
// read back from a fresh open (no record cache): the stand-in bases the build pulled,
// the intermediate images and the final ones.
func TestStoredImagesValidate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, ws := openWorkspace(t, dir, "alice")
	for _, df := range []string{
		"FROM busybox\nWORKDIR /app\nCOPY app.txt .\nRUN echo hi > /hi.txt && ln -s /hi.txt /hi\nENV A=1\n",
		"FROM alpine:3.20\nRUN apk add --no-cache curl\nRUN rm -rf /etc/apk\nCMD [\"sh\"]\n",
		"FROM scratch\nCOPY app.txt /\n",
	} {
		bctx, err := build.NewContext([]build.File{{Path: "Dockerfile", Data: []byte(df)}, {Path: "app.txt", Data: []byte("v1\n")}}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := build.New(ws, build.StandIns{}).Build(ctx, bctx, build.Options{Tags: []string{"demo:v1"}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	_, ws = openWorkspace(t, dir, "alice")
	if n := validateWorkspace(t, ws, nil); n < 10 {
		t.Errorf("validated %d images: the builds stored fewer than they should", n)
	}
}

// TestPulledImagesValidate pushes a built image to the hub in process, pulls it into
// another workspace of the same store, and pulls a library stand-in: each pulled image
// validates, its compressed blobs (the hub's, in the same blob directory) included.
func TestPulledImagesValidate(t *testing.T) {
	ctx := context.Background()
	s, alice := openWorkspace(t, t.TempDir(), "alice")
	bob, err := s.Workspace(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	bctx, err := build.NewContext([]build.File{{Path: "Dockerfile", Data: []byte("FROM busybox\nCOPY app.txt /app/\nRUN echo hi > /hi.txt\n")}, {Path: "app.txt", Data: []byte("v1\n")}}, "")
	if err != nil {
		t.Fatal(err)
	}
	ref := mustParse(t, "team/app:1")
	if _, err := build.New(alice, build.StandIns{}).Build(ctx, bctx, build.Options{Tags: []string{ref.Familiar()}}); err != nil {
		t.Fatal(err)
	}
	hub := &remote.Hub{Store: s, Namespace: db.HubNamespace(alice.Name())}
	if _, err := remote.Push(ctx, alice, hub, ref, remote.PushOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{ref.Familiar(), "alpine:3.20"} {
		pulled, err := remote.Pull(ctx, bob, hub, mustParse(t, name), remote.PullOptions{})
		if err != nil {
			t.Fatalf("pull %s: %v", name, err)
		}
		rec, err := bob.Image(ctx, pulled.ID)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range rec.Layers {
			if l.Digest == "" {
				t.Errorf("%s: layer %d: no compressed digest recorded by the pull", name, i+1)
			}
		}
	}
	if n := validateWorkspace(t, bob, s); n != 2 {
		t.Errorf("validated %d pulled images, want 2", n)
	}
	validateWorkspace(t, alice, nil)
}

func mustParse(t *testing.T, s string) image.Ref {
	t.Helper()
	r, err := image.ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
