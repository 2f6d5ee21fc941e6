package remote

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/image"
	"layerlab/engine/rootfs"
)

func TestPull(t *testing.T) {
	ctx := context.Background()
	reg := newMemRegistry()
	base := mkTar(t, tf{name: "bin/", typ: tar.TypeDir}, tf{name: "bin/sh", body: []byte("#!shell")}, tf{name: "bin/ash", typ: tar.TypeSymlink, link: "sh"})
	app := mkTar(t, tf{name: "app.txt", body: []byte("v1\n")})
	ti := newTestImage(t, base, app)
	m := ti.publish(t, reg, "team/app", "1")
	ws := openStore(t)
	ref := mustRef(t, "127.0.0.1:5000/team/app:1")

	var out bytes.Buffer
	res, err := Pull(ctx, ws, reg, ref, PullOptions{Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	id := digest.FromBytes(ti.config)
	if res.ID != id || res.Digest != m.Digest() || res.Downloaded != 2 || res.UpToDate {
		t.Errorf("result %+v", res)
	}
	l0, l1 := shortID(ti.layers[0].Digest), shortID(ti.layers[1].Digest)
	want := "1: Pulling from team/app\n" +
		l0 + ": Pulling fs layer\n" + l1 + ": Pulling fs layer\n"
	if !strings.HasPrefix(out.String(), want) ||
		!strings.HasSuffix(out.String(), l0+": Pull complete\n"+l1+": Pull complete\nDigest: "+m.Digest().String()+"\nStatus: Downloaded newer image for 127.0.0.1:5000/team/app:1\n") {
		t.Errorf("printed\n%s", out.String())
	}
	rec, err := ws.Lookup(ctx, ref.String())
	if err != nil || rec.ID != id {
		t.Fatalf("tag: %v %v", rec, err)
	}
	if raw, err := rec.RawConfig(ctx); err != nil || !bytes.Equal(raw, ti.config) {
		t.Errorf("the stored config is not the bytes pulled (%v)", err)
	}
	// Sizes as the builder counts them; compressed digests as pulled.
	if rec.Layers[0].Size != int64(len("#!shell")+len("sh")) || rec.Layers[1].Size != 3 || rec.Layers[1].Digest != ti.layers[1].Digest {
		t.Errorf("layers %+v", rec.Layers)
	}
	if r2, err := ws.Lookup(ctx, "127.0.0.1:5000/team/app@"+m.Digest().String()); err != nil || r2.ID != id {
		t.Errorf("no repository digest reference: %v", err)
	}

	// Again: up to date, nothing downloaded.
	reg.opened = nil
	out.Reset()
	res, err = Pull(ctx, ws, reg, ref, PullOptions{Out: &out})
	if err != nil || !res.UpToDate || len(reg.opened) != 1 { // the config only
		t.Errorf("second pull: %+v %v, opened %v", res, err, reg.opened)
	}
	if !strings.Contains(out.String(), "Status: Image is up to date for 127.0.0.1:5000/team/app:1\n") || strings.Contains(out.String(), "Pulling fs layer") {
		t.Errorf("second pull printed\n%s", out.String())
	}

	// An image on the same base: the base layer "Already exists" and is not fetched.
	ti2 := newTestImage(t, base, mkTar(t, tf{name: "app.txt", body: []byte("v2\n")}))
	ti2.publish(t, reg, "team/app", "2")
	reg.opened = nil
	out.Reset()
	res, err = Pull(ctx, ws, reg, mustRef(t, "127.0.0.1:5000/team/app:2"), PullOptions{Out: &out})
	if err != nil || res.Existing != 1 || res.Downloaded != 1 {
		t.Fatalf("pull :2: %+v %v", res, err)
	}
	if !strings.Contains(out.String(), l0+": Already exists\n") {
		t.Errorf("printed\n%s", out.String())
	}
	for _, d := range reg.opened {
		if d == ti.layers[0].Digest {
			t.Error("the base layer was downloaded again")
		}
	}
}

func TestPullIndexPicksPlatform(t *testing.T) {
	ctx := context.Background()
	reg := newMemRegistry()
	amd := newTestImage(t, mkTar(t, tf{name: "arch", body: []byte("amd64")}))
	arm := newTestImage(t, mkTar(t, tf{name: "arch", body: []byte("arm64")}))
	ma := amd.publish(t, reg, "lib/x", "amd")
	mr := arm.publish(t, reg, "lib/x", "arm")
	idx := Index{SchemaVersion: 2, MediaType: MediaOCIIndex, Manifests: []Descriptor{
		{MediaType: MediaDockerManifest, Size: int64(len(mr.Raw)), Digest: mr.Digest(), Platform: &Platform{OS: "linux", Architecture: "arm64"}},
		{MediaType: MediaDockerManifest, Size: int64(len(ma.Raw)), Digest: ma.Digest(), Platform: &Platform{OS: "linux", Architecture: "amd64"}},
	}}
	im := &Manifest{MediaType: MediaOCIIndex, Raw: mustJSON(t, idx)}
	reg.PutManifest(ctx, "lib/x", "1", im)
	ws := openStore(t)
	res, err := Pull(ctx, ws, reg, mustRef(t, "localhost:5000/lib/x:1"), PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.ID != digest.FromBytes(amd.config) || res.Digest != im.Digest() {
		t.Errorf("pulled %s (digest %s), want the amd64 image under the index digest", res.ID, res.Digest)
	}
	res, err = Pull(ctx, ws, reg, mustRef(t, "localhost:5000/lib/x:1"), PullOptions{Platform: Platform{OS: "linux", Architecture: "arm64"}})
	if err != nil || res.ID != digest.FromBytes(arm.config) {
		t.Errorf("--platform linux/arm64: %+v %v", res, err)
	}
	_, err = Pull(ctx, ws, reg, mustRef(t, "localhost:5000/lib/x:1"), PullOptions{Platform: Platform{OS: "linux", Architecture: "s390x"}})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "no matching manifest for linux/s390x in the manifest list entries") {
		t.Errorf("no such platform: %v", err)
	}
}

// A hostile or broken registry: every case fails with the right error, and leaves
// no image, no tag, and no blob that was not what the config promised.
func TestPullRefusesBadImages(t *testing.T) {
	good := func(t *testing.T) [][]byte {
		return [][]byte{mkTar(t, tf{name: "a.txt", body: []byte("a")}), mkTar(t, tf{name: "b.txt", body: []byte("b")})}
	}
	tests := []struct {
		name   string
		tars   func(t *testing.T) [][]byte
		edit   func(t *testing.T, ti *testImage, r *memRegistry, m *Manifest) // after publishing
		pre    func(t *testing.T, ti *testImage)                              // before publishing
		ref    string
		lim    Limits
		target error
		msg    string
	}{
		{name: "layer is not its diff_id", tars: good, pre: func(t *testing.T, ti *testImage) {
			other := mkTar(t, tf{name: "evil.txt", body: []byte("evil")})
			z := gz(t, other)
			ti.blobs[1], ti.layers[1] = z, Descriptor{MediaType: MediaDockerLayer, Size: int64(len(z)), Digest: digest.FromBytes(z)}
		}, target: ErrInvalid, msg: "the image config's diff_id is"},
		{name: "blob is not its digest", tars: good, edit: func(t *testing.T, ti *testImage, r *memRegistry, m *Manifest) {
			// The same content, the same size, other bytes: a gzip header with a time.
			z := append([]byte{}, ti.blobs[1]...)
			z[4] = 1
			r.serve(ti.layers[1].Digest, z)
		}, target: ErrInvalid, msg: "filesystem layer verification failed for digest"},
		{name: "blob longer than its manifest says", tars: good, edit: func(t *testing.T, ti *testImage, r *memRegistry, m *Manifest) {
			r.serve(ti.layers[1].Digest, append(append([]byte{}, ti.blobs[1]...), make([]byte, 100)...))
		}, target: ErrInvalid, msg: "its manifest says"},
		{name: "config is not its digest", tars: good, edit: func(t *testing.T, ti *testImage, r *memRegistry, m *Manifest) {
			r.serve(digest.FromBytes(ti.config), bytes.Replace(ti.config, []byte(`"amd64"`), []byte(`"arm64"`), 1))
		}, target: ErrInvalid, msg: "hashes to"},
		{name: "config past the limit is not fetched", tars: good, lim: Limits{MaxConfigBytes: 100}, target: ErrTooLarge, msg: "image config"},
		{name: "layer past the limit", tars: func(t *testing.T) [][]byte {
			return [][]byte{mkTar(t, tf{name: "big", body: make([]byte, 300<<10)})}
		}, lim: Limits{MaxLayerBytes: 200 << 10}, target: ErrTooLarge, msg: "is it a decompression bomb?"},
		{name: "decompression bomb by ratio", tars: func(t *testing.T) [][]byte {
			return [][]byte{mkTar(t, tf{name: "zeros", body: make([]byte, 4<<20)})}
		}, lim: Limits{RatioFloor: 1 << 20, MaxRatio: 10}, target: ErrBomb},
		{name: "too many tar entries", tars: func(t *testing.T) [][]byte {
			return [][]byte{mkTar(t, tf{name: "a"}, tf{name: "b"}, tf{name: "c"})}
		}, lim: Limits{MaxEntries: 2}, target: ErrTooLarge},
		{name: "path leaves the root", tars: func(t *testing.T) [][]byte {
			return [][]byte{mkTar(t, tf{name: "../evil", body: []byte("x")})}
		}, target: rootfs.ErrUnsafePath},
		{name: "symlink in one layer, write through it in the next", tars: func(t *testing.T) [][]byte {
			return [][]byte{mkTar(t, tf{name: "lnk", typ: tar.TypeSymlink, link: "/etc"}), mkTar(t, tf{name: "lnk/passwd", body: []byte("x")})}
		}, target: rootfs.ErrUnsafePath, msg: "writes through the symlink"},
		{name: "bytes after the tar", tars: func(t *testing.T) [][]byte {
			return [][]byte{append(mkTar(t, tf{name: "a", body: []byte("a")}), []byte("trailing")...)}
		}, target: ErrInvalid, msg: "data after the end of the tar"},
		{name: "not a tar", tars: func(t *testing.T) [][]byte {
			return [][]byte{[]byte("just some text, not a tar at all, long enough to be read")}
		},
			target: ErrInvalid},
		{name: "zstd layer", tars: good, edit: func(t *testing.T, ti *testImage, r *memRegistry, m *Manifest) {
			repub(t, r, m, func(im *ImageManifest) { im.Layers[0].MediaType = MediaOCILayerZstd })
		}, target: ErrUnsupported, msg: "zstd"},
		{name: "foreign layer", tars: good, edit: func(t *testing.T, ti *testImage, r *memRegistry, m *Manifest) {
			repub(t, r, m, func(im *ImageManifest) { im.Layers[0].URLs = []string{"http://169.254.169.254/x"} })
		}, target: ErrUnsupported, msg: "foreign"},
		{name: "manifest lists fewer layers than the config", tars: good, edit: func(t *testing.T, ti *testImage, r *memRegistry, m *Manifest) {
			repub(t, r, m, func(im *ImageManifest) { im.Layers = im.Layers[:1] })
		}, target: ErrInvalid, msg: "its config lists 2 layers, its manifest 1"},
		{name: "not a container image", tars: good, edit: func(t *testing.T, ti *testImage, r *memRegistry, m *Manifest) {
			repub(t, r, m, func(im *ImageManifest) { im.Config.MediaType = "application/vnd.cncf.helm.config.v1+json" })
		}, target: ErrUnsupported},
		{name: "schema 1", tars: good, edit: func(t *testing.T, ti *testImage, r *memRegistry, m *Manifest) {
			r.PutManifest(context.Background(), "team/app", "1", &Manifest{MediaType: MediaDockerSigned1, Raw: []byte(`{"schemaVersion":1}`)})
		}, target: ErrUnsupported, msg: "schema 1"},
		{name: "digest reference to other bytes", tars: good, ref: "127.0.0.1:5000/team/app@sha256:" + strings.Repeat("ab", 32),
			edit: func(t *testing.T, ti *testImage, r *memRegistry, m *Manifest) {
				r.manifests["team/app@sha256:"+strings.Repeat("ab", 32)] = m
			}, target: ErrInvalid, msg: "hashes to"},
		{name: "missing tag", tars: good, ref: "127.0.0.1:5000/team/app:nope", target: ErrManifestUnknown,
			msg: "Error response from daemon: manifest for 127.0.0.1:5000/team/app:nope not found: manifest unknown: manifest unknown"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			reg := newMemRegistry()
			ti := newTestImage(t, tc.tars(t)...)
			if tc.pre != nil {
				tc.pre(t, ti)
			}
			m := ti.publish(t, reg, "team/app", "1")
			if tc.edit != nil {
				tc.edit(t, ti, reg, m)
			}
			ref := tc.ref
			if ref == "" {
				ref = "127.0.0.1:5000/team/app:1"
			}
			ws := openStore(t)
			_, err := Pull(ctx, ws, reg, mustRef(t, ref), PullOptions{Limits: tc.lim})
			if !errors.Is(err, tc.target) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v, want %v %q", err, tc.target, tc.msg)
			}
			assertEmpty(t, ws)
			// Only content that is what the config promised may be stored.
			allowed := map[string]bool{}
			for _, id := range decodeDiffIDs(t, ti.config) {
				allowed[id.Encoded()] = true
			}
			files, _ := filepath.Glob(filepath.Join(ws.Store().Dir(), "blobs", "sha256", "*"))
			for _, f := range files {
				if !allowed[filepath.Base(f)] {
					t.Errorf("blob %s stored, which the config does not name", filepath.Base(f))
				}
			}
		})
	}
}

// repub replaces the published manifest of team/app:1 with an edited one.
func repub(t *testing.T, r *memRegistry, m *Manifest, edit func(*ImageManifest)) {
	t.Helper()
	var im ImageManifest
	if err := json.Unmarshal(m.Raw, &im); err != nil {
		t.Fatal(err)
	}
	edit(&im)
	nm, err := schema2(im.Config, im.Layers)
	if err != nil {
		t.Fatal(err)
	}
	r.PutManifest(context.Background(), "team/app", "1", nm)
}

func decodeDiffIDs(t *testing.T, cfg []byte) []digest.Digest {
	t.Helper()
	img, err := image.Decode(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img.RootFS.DiffIDs
}

// "Already exists" is what the workspace has, as a Docker daemon says it of its own
// layers: a layer only another workspace has (the store's blobs are shared) is
// downloaded and checked like any other, and not written to the store again.
func TestPullAlreadyExistsIsPerWorkspace(t *testing.T) {
	ctx := context.Background()
	reg := newMemRegistry()
	base := mkTar(t, tf{name: "bin/", typ: tar.TypeDir}, tf{name: "bin/sh", body: []byte("#!shell")})
	ti := newTestImage(t, base, mkTar(t, tf{name: "app.txt", body: []byte("v1\n")}))
	ti.publish(t, reg, "team/app", "1")
	alice := openStore(t)
	bob, err := alice.Store().Workspace(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	ref := mustRef(t, "127.0.0.1:5000/team/app:1")
	if _, err := Pull(ctx, alice, reg, ref, PullOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, l := range decodeDiffIDs(t, ti.config) {
		if has, err := bob.HasLayer(ctx, l); err != nil || has {
			t.Fatalf("bob has alice's layer %s: %v %v", l, has, err)
		}
	}

	mtimes := map[digest.Digest]time.Time{}
	for _, l := range decodeDiffIDs(t, ti.config) {
		fi, err := os.Stat(bob.BlobPath(l))
		if err != nil {
			t.Fatal(err)
		}
		mtimes[l] = fi.ModTime()
	}
	time.Sleep(20 * time.Millisecond) // so a rewrite would show in the file's time

	var out bytes.Buffer
	reg.opened = nil
	res, err := Pull(ctx, bob, reg, ref, PullOptions{Out: &out})
	if err != nil || res.Downloaded != 2 || res.Existing != 0 {
		t.Fatalf("bob's pull: %+v %v\n%s", res, err, out.String())
	}
	if strings.Contains(out.String(), "Already exists") || strings.Count(out.String(), ": Pull complete\n") != 2 {
		t.Errorf("bob's pull printed\n%s", out.String())
	}
	if len(reg.opened) != 3 { // config and both layers
		t.Errorf("bob's pull fetched %v", reg.opened)
	}
	// Bob has the image, and its layers read back.
	rec, err := bob.Lookup(ctx, ref.String())
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range rec.Layers {
		rc, err := bob.OpenBlob(ctx, l.DiffID)
		if err != nil {
			t.Fatalf("layer %s: %v", l.DiffID, err)
		}
		rc.Close()
		if has, _ := bob.HasLayer(ctx, l.DiffID); !has {
			t.Errorf("after the pull bob lacks %s", l.DiffID)
		}
		if fi, err := os.Stat(bob.BlobPath(l.DiffID)); err != nil || !fi.ModTime().Equal(mtimes[l.DiffID]) {
			t.Errorf("layer %s was written again: %v", l.DiffID, err)
		}
	}
}
