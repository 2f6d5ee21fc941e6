package archive_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/archive"
	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
)

// TestSave builds two images that share layers and checks the docker-archive: one
// manifest entry each with its tags, each shared layer written once, layer files whose
// digests are the config's diff_ids (what docker load verifies).
func TestSave(t *testing.T) {
	ctx := context.Background()
	st := buildtest.New()
	b := build.New(st, build.StandIns{})
	b.Now = func() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }
	mk := func(df string, tag string) *build.Result {
		c, err := build.NewContext([]build.File{{Path: "Dockerfile", Data: []byte(df)}}, "")
		if err != nil {
			t.Fatal(err)
		}
		res, err := b.Build(ctx, c, build.Options{Tags: []string{tag}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	one := mk("FROM busybox\nRUN echo 1 > /one\n", "one:v1")
	two := mk("FROM busybox\nRUN echo 1 > /one\nRUN echo 2 > /two\n", "two:v1")
	r1, _ := st.Image(ctx, one.Image)
	r2, _ := st.Image(ctx, two.Image)
	var buf bytes.Buffer
	if err := archive.Save(ctx, &buf, st, []archive.Item{{Record: r1, Tags: []string{"one:v1"}}, {Record: r2, Tags: []string{"two:v1"}}}); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	count := map[string]int{}
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = b
		count[h.Name]++
	}
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
		t.Fatal(err)
	}
	if len(manifest) != 2 || manifest[0].RepoTags[0] != "one:v1" || manifest[1].RepoTags[0] != "two:v1" {
		t.Fatalf("manifest %+v", manifest)
	}
	for i, rec := range []*struct{ layers []digest.Digest }{{r1.DiffIDs()}, {r2.DiffIDs()}} {
		m := manifest[i]
		if got := digest.FromBytes(files[m.Config]); got.Encoded()+".json" != m.Config {
			t.Errorf("config %s hashes to %s", m.Config, got)
		}
		for j, l := range m.Layers {
			if got := digest.FromBytes(files[l]); got != rec.layers[j] {
				t.Errorf("layer %s hashes to %s, want diff_id %s", l, got, rec.layers[j])
			}
		}
	}
	for name, n := range count {
		if n != 1 {
			t.Errorf("%s written %d times", name, n)
		}
	}
	if _, ok := files["repositories"]; !ok {
		t.Error("no repositories file")
	}
}
