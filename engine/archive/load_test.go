package archive_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/archive"
	"layerlab/engine/archive/archivetest"
	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
	"layerlab/engine/image"
	"layerlab/engine/layertar"
	"layerlab/engine/rootfs"
)

// tf is one tar entry for the test archives.
type tf struct {
	name string
	typ  byte // tar.TypeReg when 0
	link string
	body []byte
}

func mkTar(t testing.TB, entries ...tf) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Linkname: e.link, Mode: 0o644, ModTime: time.Unix(0, 0)}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Typeflag == tar.TypeDir {
			h.Mode = 0o755
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if len(e.body) > 0 {
			tw.Write(e.body)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// config is a minimal image config over layers, one history row each.
func config(t testing.TB, layers ...[]byte) []byte {
	t.Helper()
	img := &image.Image{Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Architecture: "amd64", OS: "linux",
		Config: &image.ContainerConfig{Cmd: []string{"sh"}}, RootFS: image.RootFS{Type: "layers"}}
	for i, l := range layers {
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, digest.FromBytes(l))
		img.History = append(img.History, image.History{Created: img.Created, CreatedBy: "step " + string(rune('A'+i))})
	}
	b, _, err := img.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// docker2010 is the archive Docker 20.10's `docker save` writes: <v1id>/layer.tar with
// VERSION and json beside it, <id>.json, manifest.json, repositories.
func docker2010(t testing.TB, cfg []byte, tags []string, layers ...[]byte) []tf {
	id := digest.FromBytes(cfg)
	var out []tf
	m := map[string]any{"Config": id.Encoded() + ".json", "RepoTags": tags}
	var paths []string
	for _, l := range layers {
		v1 := digest.FromBytes(append(append([]byte("v1"), cfg...), l...)).Encoded()
		out = append(out, tf{name: v1 + "/", typ: tar.TypeDir}, tf{name: v1 + "/VERSION", body: []byte("1.0")},
			tf{name: v1 + "/json", body: []byte(`{"id":"` + v1 + `"}`)}, tf{name: v1 + "/layer.tar", body: l})
		paths = append(paths, v1+"/layer.tar")
	}
	m["Layers"] = paths
	mb, _ := json.Marshal([]any{m})
	return append(append(out, tf{name: id.Encoded() + ".json", body: cfg}), tf{name: "manifest.json", body: mb})
}

func gz(t testing.TB, b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// ociLayout is an OCI image layout with gzip layers and one tagged manifest.
func ociLayout(t testing.TB, cfg []byte, tag string, zlayers ...[]byte) []tf {
	blob := func(b []byte) tf { return tf{name: "blobs/sha256/" + digest.FromBytes(b).Encoded(), body: b} }
	m := map[string]any{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
		"config": map[string]any{"mediaType": "application/vnd.oci.image.config.v1+json", "digest": digest.FromBytes(cfg), "size": len(cfg)}}
	var ls []any
	out := []tf{{name: "oci-layout", body: []byte(`{"imageLayoutVersion":"1.0.0"}`)}, blob(cfg)}
	for _, z := range zlayers {
		ls = append(ls, map[string]any{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": digest.FromBytes(z), "size": len(z)})
		out = append(out, blob(z))
	}
	m["layers"] = ls
	mb, _ := json.Marshal(m)
	desc := map[string]any{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": digest.FromBytes(mb), "size": len(mb)}
	if tag != "" {
		desc["annotations"] = map[string]string{"io.containerd.image.name": tag}
	}
	ib, _ := json.Marshal(map[string]any{"schemaVersion": 2, "manifests": []any{desc}})
	return append(out, blob(mb), tf{name: "index.json", body: ib})
}

var (
	baseLayer = func(t testing.TB) []byte {
		return mkTar(t, tf{name: "bin/", typ: tar.TypeDir}, tf{name: "bin/busybox", body: []byte("#!busybox\n")},
			tf{name: "bin/sh", typ: tar.TypeSymlink, link: "busybox"}, tf{name: "bin/ash", typ: tar.TypeLink, link: "bin/busybox"})
	}
	appLayer = func(t testing.TB) []byte {
		return mkTar(t, tf{name: "app/", typ: tar.TypeDir}, tf{name: "app/x", body: []byte("hello\n")},
			tf{name: "bin/.wh.ash"}, tf{name: "bin/sh2", typ: tar.TypeLink, link: "bin/busybox"})
	}
)

func load(t testing.TB, st *buildtest.Store, b []byte) ([]archive.Loaded, error) {
	return archive.Load(context.Background(), bytes.NewReader(b), st, archive.LoadOptions{})
}

func TestLoadDocker2010(t *testing.T) {
	st := buildtest.New()
	l1, l2 := baseLayer(t), appLayer(t)
	cfg := config(t, l1, l2)
	got, err := load(t, st, mkTar(t, docker2010(t, cfg, []string{"demo:v1", "me/app:latest"}, l1, l2)...))
	if err != nil {
		t.Fatal(err)
	}
	id := digest.FromBytes(cfg)
	if len(got) != 1 || got[0].ID != id || len(got[0].Tags) != 2 || got[0].Tags[1].Ref.Familiar() != "me/app:latest" {
		t.Fatalf("loaded %+v", got)
	}
	rec, err := st.Lookup(context.Background(), "demo:v1")
	if err != nil || rec.ID != id {
		t.Fatalf("demo:v1: %v %v", rec, err)
	}
	img, err := rec.ConfigFile(context.Background())
	if err != nil {
		t.Fatalf("read config of %s: %v", rec.ID, err)
	}
	// Content sizes as the builder counts them: file bytes plus symlink targets.
	if rec.Layers[0].Size != int64(len("#!busybox\n")+len("busybox")) || rec.Layers[1].Size != 6 || rec.Parent != "" || !rec.Created.Equal(img.Created) {
		t.Errorf("record %+v", rec)
	}
	rc, err := st.OpenBlob(context.Background(), digest.FromBytes(l2))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	if !bytes.Equal(b, l2) {
		t.Error("stored layer differs from the archive's")
	}
}

// TestLoadSymlinkedLayer: Docker 20.10 writes a layer shared by two images once and
// symlinks the second image's layer.tar to it.
func TestLoadSymlinkedLayer(t *testing.T) {
	st := buildtest.New()
	l1 := baseLayer(t)
	cfgA, cfgB := config(t, l1), config(t, l1, appLayer(t))
	a := docker2010(t, cfgA, []string{"a:1"}, l1)
	b := docker2010(t, cfgB, []string{"b:1"}, l1, appLayer(t))
	var files []tf
	files = append(files, a[:4]...)
	files = append(files, tf{name: b[0].name, typ: tar.TypeDir}, tf{name: b[3].name, typ: tar.TypeSymlink, link: "../" + a[3].name})
	files = append(files, b[4:8]...)
	var ma, mb []any
	json.Unmarshal(a[len(a)-1].body, &ma)
	json.Unmarshal(b[len(b)-1].body, &mb)
	m, _ := json.Marshal(append(ma, mb...))
	files = append(files, a[4], b[8], tf{name: "manifest.json", body: m})
	got, err := load(t, st, mkTar(t, files...))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[1].ID != digest.FromBytes(cfgB) {
		t.Fatalf("loaded %+v", got)
	}
}

func TestLoadOCILayout(t *testing.T) {
	st := buildtest.New()
	l1, l2 := baseLayer(t), appLayer(t)
	cfg := config(t, l1, l2)
	got, err := load(t, st, mkTar(t, ociLayout(t, cfg, "docker.io/library/oci:v2", gz(t, l1), gz(t, l2))...))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].ID != digest.FromBytes(cfg) || got[0].Tags[0].Ref.Familiar() != "oci:v2" {
		t.Fatalf("loaded %+v", got)
	}
	// Stored uncompressed, by diffID.
	rc, err := st.OpenBlob(context.Background(), digest.FromBytes(l1))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	if !bytes.Equal(b, l1) {
		t.Error("stored layer is not the uncompressed tar")
	}
}

// TestLoadGzippedArchive: docker load takes a gzipped docker save too.
func TestLoadGzippedArchive(t *testing.T) {
	st := buildtest.New()
	l1 := baseLayer(t)
	cfg := config(t, l1)
	got, err := load(t, st, gz(t, mkTar(t, docker2010(t, cfg, nil, l1)...)))
	if err != nil || len(got) != 1 || len(got[0].Tags) != 0 {
		t.Fatalf("loaded %+v, %v", got, err)
	}
}

// TestLoadGzippedArchivePastRatioFloor: the bomb guard of a gzipped archive counts the
// compressed bytes gzip reads, so an ordinary archive (random content: ratio about 1)
// that inflates past RatioFloor loads. (It used to count nothing, and so called every
// gzipped archive past RatioFloor a bomb.)
func TestLoadGzippedArchivePastRatioFloor(t *testing.T) {
	dir := t.TempDir()
	path, _, err := archivetest.WriteArchive(dir, "big:1", 1, 4, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	opt := archive.LoadOptions{Limits: layertar.Limits{RatioFloor: 1 << 20}} // the archive is 4 MiB inflated
	got, err := archive.Load(context.Background(), bytes.NewReader(gz(t, raw)), buildtest.New(), opt)
	if err != nil || len(got) != 1 {
		t.Fatalf("loaded %+v, %v", got, err)
	}
	// A real bomb still is one: zeros inflate far more than MaxRatio times.
	zeros := gz(t, mkTar(t, tf{name: "zeros", body: make([]byte, 4<<20)}))
	if _, err := archive.Load(context.Background(), bytes.NewReader(zeros), buildtest.New(), opt); !errors.Is(err, archive.ErrBomb) {
		t.Errorf("gzipped zeros: %v, want %v", err, archive.ErrBomb)
	}
}

// TestSaveLoadRoundTrip: what layerlab saves, layerlab loads to the same images, with
// the layer sizes the builder computed.
func TestSaveLoadRoundTrip(t *testing.T) {
	ctx := context.Background()
	src := buildtest.New()
	b := build.New(src, build.StandIns{})
	c, err := build.NewContext([]build.File{{Path: "Dockerfile", Data: []byte("FROM busybox\nRUN echo 1 > /one && ln -s /one /lnk\nCOPY a /a\n")}, {Path: "a", Data: []byte("aaa")}}, "")
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Build(ctx, c, build.Options{Tags: []string{"one:v1"}})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := src.Image(ctx, res.Image)
	var buf bytes.Buffer
	if err := archive.Save(ctx, &buf, src, []archive.Item{{Record: rec, Tags: []string{"one:v1"}}}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"index.json", "oci-layout", "manifest.json"} {
		if !bytes.Contains(buf.Bytes(), []byte(name)) {
			t.Errorf("no %s in the archive", name)
		}
	}
	// Both ways in: the docker-archive (manifest.json) and the OCI layout alone.
	for _, drop := range []string{"", "manifest.json"} {
		t.Run("without "+drop, func(t *testing.T) {
			in := buf.Bytes()
			if drop != "" {
				in = without(t, in, drop, rec.ID.Encoded()+".json", "repositories")
			}
			dst := buildtest.New()
			got, err := load(t, dst, in)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != 1 || got[0].ID != rec.ID || got[0].Tags[0].Ref.Familiar() != "one:v1" {
				t.Fatalf("loaded %+v", got)
			}
			back, _ := dst.Image(ctx, rec.ID)
			for i, l := range back.Layers {
				if l.DiffID != rec.Layers[i].DiffID || l.Size != rec.Layers[i].Size {
					t.Errorf("layer %d: loaded %+v, built %+v", i, l, rec.Layers[i])
				}
			}
		})
	}
}

// without copies a tar, leaving out the named entries.
func without(t testing.TB, in []byte, names ...string) []byte {
	tr := tar.NewReader(bytes.NewReader(in))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		skip := false
		for _, n := range names {
			skip = skip || h.Name == n
		}
		if skip {
			continue
		}
		tw.WriteHeader(h)
		io.Copy(tw, tr)
	}
	tw.Close()
	return out.Bytes()
}

// bigHeader is an archive whose first entry claims size bytes and streams zeros: the
// loader must refuse it from the header, without reading (or buffering) the content.
func bigHeader(t testing.TB, name string, size int64) io.Reader {
	var hb bytes.Buffer
	tw := tar.NewWriter(&hb)
	if err := tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: size, Mode: 0o644}); err != nil {
		t.Fatal(err)
	}
	return io.MultiReader(bytes.NewReader(hb.Bytes()), io.LimitReader(zeros{}, size), bytes.NewReader(make([]byte, 1024)))
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// badArchives are the malicious archives of the issue, each with the error it must
// give. They seed FuzzLoad too.
// withBomb adds the gzip bomb (80 MB to compress: too slow for the fuzzer's
// instrumented compress/flate, and too big a seed to mutate usefully).
func badArchives(t testing.TB, withBomb bool) []struct {
	name string
	tar  []byte
	want error
	msg  string
} {
	one := func(layers ...[]byte) []byte {
		return mkTar(t, docker2010(t, config(t, layers...), []string{"bad:1"}, layers...)...)
	}
	goodLayer := baseLayer(t)
	noRootFS := []byte(`{"architecture":"amd64","os":"linux","config":{}}`)
	mismatch := config(t, goodLayer)
	trailing := append(append([]byte{}, goodLayer...), []byte("garbage!")...)
	var bomb bytes.Buffer
	if withBomb {
		zw := gzip.NewWriter(&bomb)
		tw := tar.NewWriter(zw)
		tw.WriteHeader(&tar.Header{Name: "zeros", Typeflag: tar.TypeReg, Size: 80 << 20, Mode: 0o644})
		io.Copy(tw, io.LimitReader(zeros{}, 80<<20))
		tw.Close()
		zw.Close()
	}
	bombLayer := bomb.Bytes()
	out := []struct {
		name string
		tar  []byte
		want error
		msg  string
	}{
		{"dot-dot in a layer", one(mkTar(t, tf{name: "../evil", body: []byte("x")})), rootfs.ErrUnsafePath, `".." in path`},
		{"absolute path in a layer", one(mkTar(t, tf{name: "/etc/passwd", body: []byte("x")})), rootfs.ErrUnsafePath, "absolute path"},
		{"dot-dot in the archive", mkTar(t, tf{name: "../manifest.json", body: []byte("[]")}), rootfs.ErrUnsafePath, `".." in path`},
		{"symlink then a write through it", one(mkTar(t, tf{name: "lnk", typ: tar.TypeSymlink, link: "/etc"}, tf{name: "lnk/passwd", body: []byte("x")})), rootfs.ErrUnsafePath, "writes through the symlink"},
		{"symlink in one layer, write in the next", one(mkTar(t, tf{name: "lnk", typ: tar.TypeSymlink, link: "/etc"}), mkTar(t, tf{name: "lnk/passwd", body: []byte("x")})), rootfs.ErrUnsafePath, "writes through the symlink"},
		{"symlink then a write through it, in the archive", mkTar(t, tf{name: "d", typ: tar.TypeSymlink, link: "blobs"}, tf{name: "d/x", body: []byte("x")}), rootfs.ErrUnsafePath, "writes through the link"},
		{"hard link out of the root", one(mkTar(t, tf{name: "x", typ: tar.TypeLink, link: "../../etc/shadow"})), rootfs.ErrUnsafePath, "hard link"},
		{"hard link to a file not in the layers", one(mkTar(t, tf{name: "x", typ: tar.TypeLink, link: "etc/shadow"})), rootfs.ErrBadLink, "hard link target"},
		{"config without rootfs", mkTar(t, tf{name: digest.FromBytes(noRootFS).Encoded() + ".json", body: noRootFS},
			tf{name: "manifest.json", body: []byte(`[{"Config":"` + digest.FromBytes(noRootFS).Encoded() + `.json","RepoTags":["bad:1"],"Layers":[]}]`)}), archive.ErrInvalid, "rootfs"},
		{"diff_ids that do not match the layers", mkTar(t, docker2010(t, mismatch, nil, appLayer(t))...), archive.ErrDiffIDMismatch, "its config says"},
		{"layer with trailing garbage", mkTar(t, docker2010(t, config(t, trailing), nil, trailing)...), archive.ErrInvalid, "data after the end of the tar"},
		{"gzip bomb", mkTar(t, ociLayout(t, config(t, make([]byte, 0)), "", bombLayer)...), archive.ErrBomb, "decompression bomb"},
		{"invalid tag", mkTar(t, docker2010(t, config(t, goodLayer), []string{"Bad:Tag"}, goodLayer)...), archive.ErrInvalid, "invalid tag"},
		{"not an archive", []byte("hello, world"), archive.ErrInvalid, "invalid archive"},
	}
	if !withBomb {
		for i := range out {
			if out[i].name == "gzip bomb" {
				return append(out[:i], out[i+1:]...)
			}
		}
	}
	return out
}

func TestLoadRefusesMalicious(t *testing.T) {
	for _, tt := range badArchives(t, true) {
		t.Run(tt.name, func(t *testing.T) {
			st := buildtest.New()
			_, err := load(t, st, tt.tar)
			if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("got %v, want %v containing %q", err, tt.want, tt.msg)
			}
			if st.Len() != 0 {
				t.Errorf("%d images stored", st.Len())
			}
		})
	}
	t.Run("manifest.json of 1 GB", func(t *testing.T) {
		st := buildtest.New()
		_, err := archive.Load(context.Background(), bigHeader(t, "manifest.json", 1<<30), st, archive.LoadOptions{})
		if !errors.Is(err, archive.ErrTooLarge) || !strings.Contains(err.Error(), "manifest.json is 1073741824 bytes, more than the 4194304 allowed") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("config of 1 GB", func(t *testing.T) {
		_, err := archive.Load(context.Background(), bigHeader(t, strings.Repeat("a", 64)+".json", 1<<30), buildtest.New(), archive.LoadOptions{})
		if !errors.Is(err, archive.ErrTooLarge) {
			t.Fatalf("got %v", err)
		}
	})
}

// FuzzLoad: no archive makes Load panic, hang or store an image whose layers are not
// its config's diff_ids; a failed load stores no image. Seeds: good archives of each
// layout and every malicious one (and the files under testdata/fuzz, if any).
func FuzzLoad(f *testing.F) {
	l1, l2 := baseLayer(f), appLayer(f)
	cfg := config(f, l1, l2)
	f.Add(mkTar(f, docker2010(f, cfg, []string{"demo:v1"}, l1, l2)...))
	f.Add(mkTar(f, ociLayout(f, cfg, "docker.io/library/oci:v2", gz(f, l1), gz(f, l2))...))
	for _, b := range badArchives(f, false) {
		f.Add(b.tar)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		st := buildtest.New()
		opt := archive.LoadOptions{Limits: layertar.Limits{MaxLayerBytes: 8 << 20, RatioFloor: 1 << 20}, MaxJSONBytes: 8 << 20}
		got, err := archive.Load(context.Background(), bytes.NewReader(data), st, opt)
		if err != nil {
			if st.Len() != 0 {
				t.Fatalf("failed load (%v) stored %d images", err, st.Len())
			}
			return
		}
		for _, l := range got {
			rec, err := st.Image(context.Background(), l.ID)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := rec.RawConfig(context.Background())
			if err != nil {
				t.Fatalf("read config of %s: %v", l.ID, err)
			}
			if digest.FromBytes(raw) != l.ID {
				t.Fatalf("image %s: config hashes to %s", l.ID, digest.FromBytes(raw))
			}
			img, err := rec.ConfigFile(context.Background())
			if err != nil {
				t.Fatalf("read config of %s: %v", l.ID, err)
			}
			for i, d := range img.RootFS.DiffIDs {
				rc, err := st.OpenBlob(context.Background(), d)
				if err != nil {
					t.Fatalf("layer %d: %v", i, err)
				}
				b, _ := io.ReadAll(rc)
				if digest.FromBytes(b) != d {
					t.Fatalf("layer %d does not hash to its diff_id", i)
				}
			}
		}
	})
}

// TestLoadOtherCompressions: an archive compressed with bzip2, xz or zstd is refused
// with a message naming the compression and what to do, not read as a broken tar.
func TestLoadOtherCompressions(t *testing.T) {
	tests := []struct {
		name string
		head []byte
		want string
	}{
		{name: "bzip2", head: []byte("BZh91AY&SY"), want: "the archive is bzip2-compressed; layerlab loads plain and gzip archives (Docker's load reads it too): decompress it first (bunzip2)"},
		{name: "xz", head: []byte{0xfd, '7', 'z', 'X', 'Z', 0x00, 0, 4}, want: "the archive is xz-compressed"},
		{name: "zstd", head: []byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0}, want: "the archive is zstd-compressed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := load(t, buildtest.New(), append(tt.head, make([]byte, 1024)...))
			if !errors.Is(err, archive.ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want ErrInvalid and %q", err, tt.want)
			}
		})
	}
}

// TestLoadLayerDepth: by default an image may have as many layers as Docker's layer
// store takes (125; a build stops there too) and no more.
func TestLoadLayerDepth(t *testing.T) {
	tests := []struct {
		name    string
		layers  int
		wantErr string
	}{
		{name: "at the bound", layers: 125},
		{name: "one past it", layers: 126, wantErr: "has 126 layers, more than the 125 allowed (Docker's limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var layers [][]byte
			for i := range tt.layers {
				layers = append(layers, mkTar(t, tf{name: fmt.Sprintf("f%d", i), body: []byte{byte(i)}}))
			}
			_, err := load(t, buildtest.New(), mkTar(t, docker2010(t, config(t, layers...), []string{"deep:v1"}, layers...)...))
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, archive.ErrTooLarge) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want ErrTooLarge and %q", err, tt.wantErr)
			}
		})
	}
}
