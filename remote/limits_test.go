package remote

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
	"layerlab/engine/archive"
	"layerlab/engine/layertar"
)

// TestLoadAndPullShareLimits: `load` (engine/archive) and a pull take the same Limits
// and enforce them alike: a manifest of exactly MaxManifestBytes passes both, one
// byte more is refused by both, and so is an image with more than MaxLayers layers.
// The default manifest bound is at least the hub's, so a pull reads what the hub takes.
func TestLoadAndPullShareLimits(t *testing.T) {
	max := layertar.DefaultLimits.MaxManifestBytes
	if max < db.HubMaxManifestSize {
		t.Fatalf("a pull reads manifests up to %d bytes, the hub accepts %d", max, db.HubMaxManifestSize)
	}
	tests := []struct {
		name     string
		lim      Limits
		layers   int
		manifest int64 // pad each manifest to this many bytes (0: as it is)
		refused  int64 // the bound that refuses it (0: accepted)
	}{
		{name: "manifest at the default bound", layers: 1, manifest: max},
		{name: "manifest a byte past the default bound", layers: 1, manifest: max + 1, refused: max},
		{name: "manifest at a set bound", lim: Limits{MaxManifestBytes: 2048}, layers: 1, manifest: 2048},
		{name: "manifest past a set bound", lim: Limits{MaxManifestBytes: 2048}, layers: 1, manifest: 2049, refused: 2048},
		{name: "layers at the bound", lim: Limits{MaxLayers: 2}, layers: 2},
		{name: "layers past the bound", lim: Limits{MaxLayers: 2}, layers: 3, refused: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tars [][]byte
			for i := range tc.layers {
				tars = append(tars, mkTar(t, tf{name: fmt.Sprintf("f%d", i), body: []byte{byte('a' + i)}}))
			}
			ti := newTestImage(t, tars...)

			t.Run("load", func(t *testing.T) {
				_, err := archive.Load(context.Background(), bytes.NewReader(dockerArchive(t, ti, tc.manifest)), openStore(t),
					archive.LoadOptions{Limits: tc.lim})
				checkLimitErr(t, err, tc.refused, archive.ErrTooLarge)
			})
			t.Run("pull", func(t *testing.T) {
				reg := newMemRegistry()
				m := ti.publish(t, reg, "team/app", "1")
				if tc.manifest > 0 {
					m = &Manifest{MediaType: m.MediaType, Raw: pad(t, m.Raw, tc.manifest)}
					reg.PutManifest(context.Background(), "team/app", "1", m)
				}
				_, err := Pull(context.Background(), openStore(t), reg, mustRef(t, "127.0.0.1:5000/team/app:1"), PullOptions{Limits: tc.lim})
				checkLimitErr(t, err, tc.refused, ErrTooLarge)
			})
		})
	}
}

// checkLimitErr: err is nil when refused is 0, else tooLarge saying which bound.
func checkLimitErr(t *testing.T, err error, refused int64, tooLarge error) {
	t.Helper()
	if refused == 0 {
		if err != nil {
			t.Fatalf("got %v, want the image accepted", err)
		}
		return
	}
	if msg := fmt.Sprintf("more than the %d allowed", refused); !errors.Is(err, tooLarge) || !strings.Contains(err.Error(), msg) {
		t.Fatalf("got %v, want %v saying %q", err, tooLarge, msg)
	}
}

// pad appends spaces to a JSON document until it is n bytes.
func pad(t *testing.T, b []byte, n int64) []byte {
	t.Helper()
	if int64(len(b)) > n {
		t.Fatalf("the document is %d bytes already, more than %d", len(b), n)
	}
	return append(append([]byte{}, b...), bytes.Repeat([]byte(" "), int(n)-len(b))...)
}

// dockerArchive writes ti as `docker save` would (uncompressed layers), its
// manifest.json padded to manifestSize bytes when that is not 0.
func dockerArchive(t *testing.T, ti *testImage, manifestSize int64) []byte {
	t.Helper()
	cfgName := digest.FromBytes(ti.config).Encoded() + ".json"
	var layers []string
	for _, tb := range ti.tars {
		layers = append(layers, digest.FromBytes(tb).Encoded()+"/layer.tar")
	}
	man := mustJSON(t, []map[string]any{{"Config": cfgName, "RepoTags": []string{"team/app:1"}, "Layers": layers}})
	if manifestSize > 0 {
		man = pad(t, man, manifestSize)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	put := func(name string, b []byte) {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	put(cfgName, ti.config)
	for i, tb := range ti.tars {
		put(layers[i], tb)
	}
	put("manifest.json", man)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
