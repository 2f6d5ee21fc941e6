package remote

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
	"layerlab/engine/build"
)

// buildImage builds a Dockerfile into ws with the classic builder and tags it.
func buildImage(t *testing.T, ws *db.Workspace, dockerfile, tag string) digest.Digest {
	t.Helper()
	bctx, err := build.NewContext([]build.File{{Path: "Dockerfile", Data: []byte(dockerfile)}, {Path: "app.txt", Data: []byte("v1\n")}}, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := build.New(ws, build.StandIns{}).Build(context.Background(), bctx, build.Options{Tags: []string{tag}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Image
}

func TestPushThenPull(t *testing.T) {
	ctx := context.Background()
	ws := openStore(t)
	ref := mustRef(t, "127.0.0.1:5000/team/app:1")
	id := buildImage(t, ws, "FROM busybox\nCOPY app.txt /app/\nRUN echo hi > /hi.txt\n", ref.Familiar())
	rec, err := ws.Image(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	reg := newMemRegistry()
	var out bytes.Buffer
	res, err := Push(ctx, ws, reg, ref, PushOptions{Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	var want strings.Builder
	want.WriteString("The push refers to repository [127.0.0.1:5000/team/app]\n")
	for i := len(rec.Layers) - 1; i >= 0; i-- {
		want.WriteString(shortID(rec.Layers[i].DiffID) + ": Preparing\n")
	}
	if !strings.HasPrefix(out.String(), want.String()) || strings.Count(out.String(), ": Pushed\n") != 3 ||
		!strings.HasSuffix(out.String(), "1: digest: "+res.Digest.String()+" size: "+itoa(res.Size)+"\n") {
		t.Errorf("printed\n%s", out.String())
	}

	// What is in the registry: a schema2 manifest of gzip layers, the config as stored.
	m, err := reg.Manifest(ctx, "team/app", "1")
	if err != nil {
		t.Fatal(err)
	}
	var im ImageManifest
	if err := json.Unmarshal(m.Raw, &im); err != nil || im.MediaType != MediaDockerManifest || im.Config.Digest != id || len(im.Layers) != 3 {
		t.Fatalf("manifest %s: %v", m.Raw, err)
	}
	raw, err := rec.RawConfig(context.Background())
	if err != nil {
		t.Fatalf("read config of %s: %v", id, err)
	}
	if !bytes.Equal(reg.blobs[id], raw) {
		t.Error("the pushed config is not the stored config")
	}
	for i, l := range im.Layers {
		zr, err := gzip.NewReader(bytes.NewReader(reg.blobs[l.Digest]))
		if err != nil {
			t.Fatal(err)
		}
		tb, _ := io.ReadAll(zr)
		if l.MediaType != MediaDockerLayer || digest.FromBytes(tb) != rec.Layers[i].DiffID {
			t.Errorf("layer %d: %s, content %s, want %s", i, l.MediaType, digest.FromBytes(tb), rec.Layers[i].DiffID)
		}
	}
	if r, err := ws.Lookup(ctx, "127.0.0.1:5000/team/app@"+res.Digest.String()); err != nil || r.ID != id {
		t.Errorf("push recorded no repository digest: %v", err)
	}

	// Again: the same bytes, so every layer is there, and the same manifest.
	out.Reset()
	again, err := Push(ctx, ws, reg, ref, PushOptions{Out: &out})
	if err != nil || again.Digest != res.Digest || again.Existing != 3 || again.Pushed != 0 {
		t.Errorf("second push: %+v %v", again, err)
	}
	if strings.Count(out.String(), ": Layer already exists\n") != 3 {
		t.Errorf("second push printed\n%s", out.String())
	}

	// Into an empty store: the same image.
	ws2 := openStore(t)
	pulled, err := Pull(ctx, ws2, reg, ref, PullOptions{})
	if err != nil || pulled.ID != id || pulled.Digest != res.Digest {
		t.Fatalf("pull: %+v %v", pulled, err)
	}
	rec2, _ := ws2.Image(ctx, id)
	for i := range rec.Layers {
		if rec2.Layers[i].DiffID != rec.Layers[i].DiffID || rec2.Layers[i].Size != rec.Layers[i].Size {
			t.Errorf("layer %d: pulled %+v, pushed %+v", i, rec2.Layers[i], rec.Layers[i])
		}
	}

	// The pulled image pushed elsewhere in the same registry: its layers are found
	// under the digests they were pulled with.
	out.Reset()
	other, err := Push(ctx, ws2, reg, ref, PushOptions{Out: &out})
	if err != nil || other.Digest != res.Digest || other.Existing != 3 {
		t.Errorf("push of the pulled image: %+v %v\n%s", other, err, out.String())
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestPushErrors(t *testing.T) {
	ctx := context.Background()
	ws := openStore(t)
	buildImage(t, ws, "FROM busybox\nRUN echo hi > /hi.txt\n", "127.0.0.1:5000/team/app:1")
	reg := newMemRegistry()
	tests := []struct {
		name, ref, msg string
	}{
		{"no image in the repository", "127.0.0.1:5000/team/nothere:1", "An image does not exist locally with the tag: 127.0.0.1:5000/team/nothere"},
		{"repository without that tag", "127.0.0.1:5000/team/app:2", "tag does not exist: 127.0.0.1:5000/team/app:2"},
		{"digest reference", "127.0.0.1:5000/team/app@sha256:" + strings.Repeat("ab", 32), "cannot push a digest reference"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Push(ctx, ws, reg, mustRef(t, tc.ref), PushOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("got %v, want %q", err, tc.msg)
			}
		})
	}
	if len(reg.manifests) != 0 {
		t.Errorf("failed pushes wrote manifests: %v", reg.manifests)
	}
	var de *DaemonError
	if _, err := Push(ctx, ws, reg, mustRef(t, "127.0.0.1:5000/team/nothere:1"), PushOptions{}); errors.As(err, &de) {
		t.Error("an error after \"The push refers to repository\" is worded as a daemon response")
	}
}

// Compress gives the same bytes for the same input, however it is read.
func TestCompressDeterministic(t *testing.T) {
	in := bytes.Repeat([]byte("layerlab "), 100000)
	var a, b bytes.Buffer
	if err := Compress(&a, bytes.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	if err := Compress(&b, io.LimitReader(&oneByteReader{r: bytes.NewReader(in)}, int64(len(in)))); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("two compressions of the same bytes differ")
	}
}

type oneByteReader struct{ r io.Reader }

func (o *oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 7 {
		p = p[:7]
	}
	return o.r.Read(p)
}
