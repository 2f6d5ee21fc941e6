package remote

import (
	"archive/tar"
	"context"
	"io"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
	"layerlab/engine/image/validate"
)

// repoBlobs is one repository of a Registry as a plain blob opener: the compressed
// blobs a pulled record names, where the pull found them.
type repoBlobs struct {
	reg  Registry
	repo string
}

func (r repoBlobs) OpenBlob(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
	return r.reg.OpenBlob(ctx, r.repo, d)
}

// validateRegistry runs the shared invariant checker over the image reference names
// in repo of reg, as the registry serves it; id, when set, is the image it must be.
func validateRegistry(t *testing.T, reg Registry, repo, reference string, want, id digest.Digest) {
	t.Helper()
	ctx := context.Background()
	m, err := reg.Manifest(ctx, repo, reference)
	if err != nil {
		t.Fatal(err)
	}
	if want != "" && m.Digest() != want {
		t.Errorf("%s:%s: the registry serves manifest %s, the push said %s", repo, reference, m.Digest(), want)
	}
	src := validate.Registry{Repo: repo, Reference: reference, MediaType: m.MediaType, Raw: m.Raw, Digest: want, ImageID: id, Blobs: reg}
	if err := validate.Image(ctx, src); err != nil {
		t.Error(err)
	}
}

// validatePulled runs the checker over image id of ws, its compressed blobs opened
// from the repository it was pulled from.
func validatePulled(t *testing.T, ws *db.Workspace, id digest.Digest, from Registry, repo string) {
	t.Helper()
	ctx := context.Background()
	rec, err := ws.Image(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range rec.Layers {
		if l.Digest == "" || l.CompressedSize <= 0 {
			t.Errorf("image %s: layer %d: the pull recorded no compressed digest and size: %+v", id, i+1, l)
		}
	}
	if err := validate.Image(ctx, validate.Record{Image: rec, Blobs: ws, Compressed: repoBlobs{from, repo}}); err != nil {
		t.Error(err)
	}
}

// TestPushedAndPulledImagesValidate: a built image pushed to a registry validates as
// the registry serves it; pulled into another store it validates there, with the
// compressed digests and sizes the registry serves; pushed on from there it validates
// again. The same through the hub in process, and for an image layerlab did not make.
func TestPushedAndPulledImagesValidate(t *testing.T) {
	ctx := context.Background()
	t.Run("a registry", func(t *testing.T) {
		ws := openStore(t)
		ref := mustRef(t, "127.0.0.1:5000/team/app:1")
		id := buildImage(t, ws, "FROM busybox\nCOPY app.txt /app/\nRUN echo hi > /hi.txt && ln -s /hi.txt /hi\nENV A=1\n", ref.Familiar())
		reg := newMemRegistry()
		res, err := Push(ctx, ws, reg, ref, PushOptions{})
		if err != nil {
			t.Fatal(err)
		}
		validateRegistry(t, reg, "team/app", "1", res.Digest, id)

		ws2 := openStore(t)
		pulled, err := Pull(ctx, ws2, reg, ref, PullOptions{})
		if err != nil || pulled.ID != id {
			t.Fatalf("pull: %+v %v", pulled, err)
		}
		validatePulled(t, ws2, id, reg, "team/app")

		// The pulled image pushed on, to another repository: its layers go under the
		// digests they were pulled with.
		on := mustRef(t, "127.0.0.1:5000/team/copy:2")
		if err := ws2.Tag(ctx, on, id); err != nil {
			t.Fatal(err)
		}
		res2, err := Push(ctx, ws2, reg, on, PushOptions{})
		if err != nil {
			t.Fatal(err)
		}
		validateRegistry(t, reg, "team/copy", "2", res2.Digest, id)
	})

	t.Run("the hub in process", func(t *testing.T) {
		s, ws := openStoreDB(t)
		id := buildImage(t, ws, "FROM alpine:3.20\nRUN apk add --no-cache curl\nUSER nobody\n", "demo:v1")
		hub := &Hub{Store: s, Namespace: "ns"}
		res, err := Push(ctx, ws, hub, mustRef(t, "demo:v1"), PushOptions{})
		if err != nil {
			t.Fatal(err)
		}
		validateRegistry(t, hub, "ns/demo", "v1", res.Digest, id)

		ws2 := openStore(t)
		pulled, err := Pull(ctx, ws2, hub, mustRef(t, "demo:v1"), PullOptions{})
		if err != nil || pulled.ID != id {
			t.Fatalf("pull: %+v %v", pulled, err)
		}
		validatePulled(t, ws2, id, hub, "ns/demo")
	})

	t.Run("an image layerlab did not make", func(t *testing.T) {
		reg := newMemRegistry()
		base := mkTar(t, tf{name: "bin/", typ: tar.TypeDir}, tf{name: "bin/sh", body: []byte("#!shell")}, tf{name: "bin/ash", typ: tar.TypeSymlink, link: "sh"})
		ti := newTestImage(t, base, mkTar(t, tf{name: "app.txt", body: []byte("v1\n")}))
		m := ti.publish(t, reg, "team/app", "1")
		validateRegistry(t, reg, "team/app", "1", m.Digest(), digest.FromBytes(ti.config))

		ws := openStore(t)
		pulled, err := Pull(ctx, ws, reg, mustRef(t, "127.0.0.1:5000/team/app:1"), PullOptions{})
		if err != nil {
			t.Fatal(err)
		}
		validatePulled(t, ws, pulled.ID, reg, "team/app")
	})
}
