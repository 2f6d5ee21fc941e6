package archive_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/archive"
	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
)

// TestSaveLegacy: Docker 20.10's layout. Each layer of each image is a directory named
// by its v1 ID with VERSION, json (id, parent) and layer.tar, whose content hashes to
// the config's diff_id; a layer saved already is a symlink to the first copy; the v1
// chain of an image ends at the ID repositories names; nothing of the OCI layout; Load
// reads it back. An image without layers is refused as 20.10 refuses it. Every member is
// written as the daemon's archive writes its export directory: root/root by name and
// by number, the mode with its file type bits (040755, 0100644, 0120777); manifest.json
// and repositories end with a newline (json.Encoder).
func TestSaveLegacy(t *testing.T) {
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
	if err := archive.SaveLegacy(ctx, &buf, st, []archive.Item{{Record: r1, Tags: []string{"one:v1"}}, {Record: r2, Tags: []string{"two:v1"}}}); err != nil {
		t.Fatal(err)
	}
	saved := buf.Bytes()
	files := map[string][]byte{}
	links := map[string]string{}
	tr := tar.NewReader(bytes.NewReader(saved))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(h.Name, "blobs/") || h.Name == "index.json" || h.Name == "oci-layout" {
			t.Errorf("OCI layout entry %s in a 20.10 archive", h.Name)
		}
		if _, dup := files[h.Name]; dup {
			t.Errorf("%s written twice", h.Name)
		}
		if h.Typeflag == tar.TypeSymlink {
			links[h.Name] = h.Linkname
		}
		wantMode := map[byte]int64{tar.TypeDir: 0o40755, tar.TypeReg: 0o100644, tar.TypeSymlink: 0o120777}[h.Typeflag]
		if h.Uname != "root" || h.Gname != "root" || h.Uid != 0 || h.Gid != 0 || h.Mode != wantMode {
			t.Errorf("%s: owner %s/%s (%d/%d) mode %o, want root/root (0/0) mode %o", h.Name, h.Uname, h.Gname, h.Uid, h.Gid, h.Mode, wantMode)
		}
		data, _ := io.ReadAll(tr)
		files[h.Name] = data
	}
	var manifest []struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil || len(manifest) != 2 {
		t.Fatalf("manifest.json %s: %v", files["manifest.json"], err)
	}
	for _, name := range []string{"manifest.json", "repositories"} {
		if !bytes.HasSuffix(files[name], []byte("]\n")) && !bytes.HasSuffix(files[name], []byte("}\n")) {
			t.Errorf("%s does not end with one newline after the JSON: %q", name, files[name])
		}
	}
	var repos map[string]map[string]string
	if err := json.Unmarshal(files["repositories"], &repos); err != nil {
		t.Fatalf("repositories %s: %v", files["repositories"], err)
	}
	for i, rec := range []*build.Result{one, two} {
		m := manifest[i]
		r, _ := st.Image(ctx, rec.Image)
		img, _ := r.ConfigFile(ctx)
		if m.Config != rec.Image.Encoded()+".json" || files[m.Config] == nil || len(m.Layers) != len(img.RootFS.DiffIDs) {
			t.Fatalf("entry %d: %+v", i, m)
		}
		parent := ""
		for j, l := range m.Layers {
			id, ok := strings.CutSuffix(l, "/layer.tar")
			if !ok || string(files[id+"/VERSION"]) != "1.0" {
				t.Fatalf("layer %s: no v1 directory", l)
			}
			var v1 struct{ ID, Parent string }
			json.Unmarshal(files[id+"/json"], &v1)
			if v1.ID != id || v1.Parent != parent {
				t.Errorf("layer %s: json id %q parent %q, want parent %q", l, v1.ID, v1.Parent, parent)
			}
			parent = id
			content := files[l]
			if target, ok := links[l]; ok {
				if !strings.HasPrefix(target, "../") {
					t.Errorf("link %s -> %s", l, target)
				}
				content = files[strings.TrimPrefix(target, "../")]
			}
			if got := digest.FromBytes(content); got != img.RootFS.DiffIDs[j] {
				t.Errorf("layer %s hashes to %s, its diff_id is %s", l, got, img.RootFS.DiffIDs[j])
			}
		}
		tag := strings.TrimSuffix(m.RepoTags[0], ":v1")
		if repos[tag]["v1"] != parent {
			t.Errorf("repositories %s: %v, want the top v1 ID %s", tag, repos[tag], parent)
		}
	}
	if len(links) == 0 {
		t.Error("the layers the two images share are written twice, not linked")
	}

	dst := buildtest.New()
	loaded, err := archive.Load(ctx, bytes.NewReader(saved), dst, archive.LoadOptions{})
	if err != nil || len(loaded) != 2 || loaded[0].ID != one.Image || loaded[1].ID != two.Image {
		t.Fatalf("load: %+v %v", loaded, err)
	}

	empty := mk("FROM scratch\nLABEL a=1\n", "empty:v1")
	re, _ := st.Image(ctx, empty.Image)
	var out bytes.Buffer
	if err := archive.SaveLegacy(ctx, &out, st, []archive.Item{{Record: re}}); !errors.Is(err, archive.ErrEmptyExport) || out.Len() != 0 {
		t.Errorf("an image without layers: %v, %d bytes written", err, out.Len())
	}
}
