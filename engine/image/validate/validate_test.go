package validate

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/image"
)

// memBlobs is a blob store in memory, by digest, serving whatever it holds.
type memBlobs map[digest.Digest][]byte

func (m memBlobs) OpenBlob(_ context.Context, d digest.Digest) (io.ReadCloser, error) {
	b, ok := m[d]
	if !ok {
		return nil, fmt.Errorf("blob %s: not found", d)
	}
	return io.NopCloser(bytes.NewReader(b)), nil
}

// memRepo is memBlobs as a registry's repositories (all the same).
type memRepo struct{ memBlobs }

func (m memRepo) OpenBlob(ctx context.Context, _ string, d digest.Digest) (io.ReadCloser, error) {
	return m.memBlobs.OpenBlob(ctx, d)
}

// entry is one file of a test tar: a directory when name ends in /, a symlink to link
// when link is set.
type entry struct{ name, body, link string }

// contentSize is what a correct store records as a layer's size: the bytes of its
// files, a path written twice counted as the last entry says.
func contentSize(files []entry) int64 {
	sizes := map[string]int64{}
	for _, f := range files {
		sizes[strings.TrimPrefix(strings.TrimSuffix(f.name, "/"), "./")] = int64(len(f.body) + len(f.link))
	}
	var n int64
	for _, s := range sizes {
		n += s
	}
	return n
}

func mkTar(t *testing.T, files ...entry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(f.body)), ModTime: time.Unix(0, 0)}
		switch {
		case strings.HasSuffix(f.name, "/"):
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
		case f.link != "":
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, f.link, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(f.body))
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixture is one correct image in every form the adapters read: a store record with
// its layer blobs (and, as db holds a hub's, their gzip blobs), and a Docker schema 2
// manifest over the gzip blobs. A test case breaks one thing and re-encodes what
// would be derived from it.
type fixture struct {
	t         *testing.T
	tars      [][]byte
	sizes     []int64
	img       *image.Image
	rec       *image.Record
	blobs     memBlobs
	man       manifestJSON
	manRaw    []byte
	manDigest digest.Digest
	manType   string
}

func newFixture(t *testing.T, layers ...[]entry) *fixture {
	t.Helper()
	if layers == nil {
		layers = [][]entry{
			{{"etc/", "", ""}, {"etc/hostname", "box\n", ""}, {"bin/sh", "", "/bin/busybox"}},
			{{"app/main.py", "print('hi')\n", ""}, {"app/README", "hello\n", ""}},
		}
	}
	var tars [][]byte
	var sizes []int64
	for _, l := range layers {
		tars = append(tars, mkTar(t, l...))
		sizes = append(sizes, contentSize(l))
	}
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f := &fixture{t: t, tars: tars, sizes: sizes, blobs: memBlobs{}, manType: MediaDockerManifest,
		img: &image.Image{Created: created, Architecture: "amd64", OS: "linux",
			Config: &image.ContainerConfig{Cmd: []string{"sh"}}, RootFS: image.RootFS{Type: "layers"}},
		rec: &image.Record{Created: created},
		man: manifestJSON{SchemaVersion: 2, MediaType: MediaDockerManifest}}
	for i, tb := range tars {
		z := gz(t, tb)
		diffID, zd := digest.FromBytes(tb), digest.FromBytes(z)
		f.blobs[diffID], f.blobs[zd] = tb, z
		f.img.RootFS.DiffIDs = append(f.img.RootFS.DiffIDs, diffID)
		f.img.History = append(f.img.History, image.History{Created: created, CreatedBy: fmt.Sprintf("COPY layer %d", i)})
		if i == 0 {
			f.img.History = append(f.img.History, image.History{Created: created, CreatedBy: "ENV A=1", EmptyLayer: true})
		}
		f.rec.Layers = append(f.rec.Layers, image.Layer{DiffID: diffID, Size: sizes[i], Digest: zd, CompressedSize: int64(len(z))})
		f.man.Layers = append(f.man.Layers, descriptor{MediaType: "application/vnd.docker.image.rootfs.diff.tar.gzip", Digest: zd, Size: int64(len(z))})
	}
	f.encodeConfig()
	return f
}

// encodeConfig makes img the image's config: its bytes, ID, config blob and manifest.
func (f *fixture) encodeConfig() {
	raw, id, err := f.img.Encode()
	if err != nil {
		f.t.Fatal(err)
	}
	f.setConfig(raw)
	f.rec.ID = id
}

// setConfig stores raw as the config, under its digest, without changing the ID.
func (f *fixture) setConfig(raw []byte) {
	f.rec.Config = raw
	d := digest.FromBytes(raw)
	f.blobs[d] = raw
	f.man.Config = descriptor{MediaType: MediaDockerConfig, Digest: d, Size: int64(len(raw))}
	f.encodeManifest()
}

func (f *fixture) encodeManifest() {
	raw, err := json.Marshal(f.man)
	if err != nil {
		f.t.Fatal(err)
	}
	f.manRaw, f.manDigest = raw, digest.FromBytes(raw)
}

// ociPlain makes the manifest an OCI one whose layer i is its plain tar.
func (f *fixture) ociPlain(i int) {
	f.man.MediaType, f.manType, f.man.Config.MediaType = MediaOCIManifest, MediaOCIManifest, MediaOCIConfig
	for j := range f.man.Layers {
		f.man.Layers[j].MediaType = "application/vnd.oci.image.layer.v1.tar+gzip"
	}
	f.man.Layers[i] = descriptor{MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: f.rec.Layers[i].DiffID, Size: int64(len(f.tars[i]))}
	f.encodeManifest()
}

func (f *fixture) record() Source {
	return Record{Image: f.rec, Blobs: f.blobs, Compressed: f.blobs, Ref: "demo:v1"}
}

func (f *fixture) registry() Source {
	return Registry{Repo: "team/app", Reference: "1", MediaType: f.manType, Raw: f.manRaw, Digest: f.manDigest, Blobs: memRepo{f.blobs}}
}

// flip returns b with its middle byte inverted.
func flip(b []byte) []byte { return flipAt(b, len(b)/2) }

// flipAt returns b with byte i inverted; i = 512 is the first file's content in a tar.
func flipAt(b []byte, i int) []byte {
	c := slices.Clone(b)
	c[i] ^= 0xff
	return c
}

// sentinels are the package's violation sentinels err wraps.
func sentinels(err error) []error {
	var out []error
	for _, s := range []error{ErrConfigDigest, ErrConfig, ErrRootFS, ErrDiffIDs, ErrLayerOrder, ErrDiffID, ErrLayerSize,
		ErrLayerTar, ErrDigest, ErrCompressedSize, ErrCompressed, ErrMissingBlob, ErrHistory, ErrSize, ErrManifest,
		ErrManifestDigest, ErrMediaType, ErrConfigDescriptor, ErrLayerDescriptor} {
		if errors.Is(err, s) {
			out = append(out, s)
		}
	}
	return out
}

func names(errs []error) []string {
	out := []string{}
	for _, e := range errs {
		out = append(out, e.Error())
	}
	slices.Sort(out)
	return out
}

// TestValidateImage breaks each invariant in turn and checks that Image reports exactly the
// violations that follow from it, naming the layer or row, and that the correct image
// passes in both forms.
func TestValidateImage(t *testing.T) {
	other := digest.FromString("another layer")
	tests := []struct {
		name     string
		layers   [][]entry // nil: the fixture's
		registry bool      // check the manifest form, else the store record
		edit     func(f *fixture)
		want     []error
		mention  string // in the message, when set
	}{
		{name: "correct record"},
		{name: "correct registry image", registry: true},
		{name: "a flipped byte in a layer",
			edit: func(f *fixture) { f.blobs[f.rec.Layers[1].DiffID] = flipAt(f.tars[1], 512) },
			want: []error{ErrDiffID}, mention: "layer 2 of 2"},
		{name: "a flipped byte in a compressed blob", registry: true,
			edit: func(f *fixture) { f.blobs[f.man.Layers[0].Digest] = flip(f.blobs[f.man.Layers[0].Digest]) },
			want: []error{ErrDigest, ErrCompressed}, mention: "layer 1 of 2"},
		{name: "a wrong diff ID in the config",
			edit: func(f *fixture) { f.img.RootFS.DiffIDs[0] = other; f.encodeConfig() },
			want: []error{ErrDiffIDs, ErrDiffID}, mention: "layer 1 of 2 (" + other.String() + ")"},
		{name: "a layer recorded under another diff ID",
			edit: func(f *fixture) { f.rec.Layers[0].DiffID = other; f.blobs[other] = f.tars[0] },
			want: []error{ErrDiffIDs}, mention: "recorded as " + other.String()},
		{name: "layers recorded out of order",
			edit: func(f *fixture) { f.rec.Layers[0], f.rec.Layers[1] = f.rec.Layers[1], f.rec.Layers[0] },
			want: []error{ErrDiffIDs, ErrLayerOrder, ErrDiffID}, mention: "rootfs.diff_ids[1]"},
		{name: "a missing history row",
			edit: func(f *fixture) { f.img.History = f.img.History[:2]; f.encodeConfig() },
			want: []error{ErrHistory}, mention: "layer 2 of 2"},
		{name: "a history row too many",
			edit: func(f *fixture) {
				f.img.History = append(f.img.History, image.History{CreatedBy: "RUN true"})
				f.encodeConfig()
			},
			want: []error{ErrHistory}, mention: `history row 4 ("RUN true")`},
		{name: "a wrong layer size",
			edit: func(f *fixture) { f.rec.Layers[1].Size++ },
			want: []error{ErrLayerSize}, mention: "layer 2 of 2"},
		{name: "a reported size that is not the sum",
			edit: func(f *fixture) { f.rec.SetSize(f.rec.Size() + 1) },
			want: []error{ErrSize}},
		{name: "a config whose digest is not the ID",
			edit: func(f *fixture) { f.rec.ID = digest.FromString("{}") },
			want: []error{ErrConfigDigest}},
		{name: "an ID that is not a digest",
			edit: func(f *fixture) { f.rec.ID = "sha256:abc" },
			want: []error{ErrConfigDigest}},
		{name: "config bytes changed after hashing", registry: true,
			edit: func(f *fixture) { f.blobs[f.man.Config.Digest] = append(slices.Clone(f.rec.Config), ' ') },
			want: []error{ErrConfigDigest, ErrConfigDescriptor}},
		{name: "a rootfs that is not layers",
			edit: func(f *fixture) { f.img.RootFS.Type = "tarballs"; f.encodeConfig() },
			want: []error{ErrRootFS}},
		{name: "a config that does not decode",
			edit: func(f *fixture) { f.setConfig([]byte(`{"rootfs":`)); f.rec.ID = digest.FromString(`{"rootfs":`) },
			want: []error{ErrConfig}},
		{name: "a diff ID that is not a digest",
			edit: func(f *fixture) {
				f.setConfig([]byte(`{"rootfs":{"type":"layers","diff_ids":["sha256:x"]}}`))
				f.rec.ID = digest.FromBytes(f.rec.Config)
			},
			want: []error{ErrDiffIDs, ErrDiffID}, mention: "rootfs.diff_ids[0]"},
		{name: "a layer missing from diff_ids",
			edit: func(f *fixture) {
				f.img.RootFS.DiffIDs = f.img.RootFS.DiffIDs[:1]
				f.img.History = f.img.History[:2]
				f.encodeConfig()
			},
			want: []error{ErrDiffIDs}, mention: "rootfs.diff_ids has 1 entries, the image has 2 layers"},
		{name: "a manifest whose layer order differs", registry: true,
			edit: func(f *fixture) {
				f.man.Layers[0], f.man.Layers[1] = f.man.Layers[1], f.man.Layers[0]
				f.encodeManifest()
			},
			want: []error{ErrDiffID, ErrLayerOrder}, mention: "layer 1 of 2"},
		{name: "a layer descriptor with a wrong size", registry: true,
			edit: func(f *fixture) { f.man.Layers[0].Size++; f.encodeManifest() },
			want: []error{ErrCompressedSize}, mention: "layer 1 of 2"},
		{name: "a manifest that is not its digest", registry: true,
			edit: func(f *fixture) { f.manDigest = digest.FromString("{}") },
			want: []error{ErrManifestDigest}},
		{name: "a manifest served as another kind", registry: true,
			edit: func(f *fixture) { f.manType = MediaOCIManifest },
			want: []error{ErrMediaType}},
		{name: "an unknown manifest media type", registry: true,
			edit: func(f *fixture) { f.man.MediaType = "application/json"; f.manType = ""; f.encodeManifest() },
			want: []error{ErrMediaType}},
		{name: "an unknown layer media type", registry: true,
			edit: func(f *fixture) { f.man.Layers[1].MediaType = "application/x-tar"; f.encodeManifest() },
			want: []error{ErrMediaType}, mention: "manifest layers[1]"},
		{name: "an OCI config in a Docker manifest", registry: true,
			edit: func(f *fixture) { f.man.Config.MediaType = MediaOCIConfig; f.encodeManifest() },
			want: []error{ErrMediaType}, mention: "manifest config"},
		{name: "a config descriptor with a wrong size", registry: true,
			edit: func(f *fixture) { f.man.Config.Size--; f.encodeManifest() },
			want: []error{ErrConfigDescriptor}},
		{name: "a manifest of schema version 1", registry: true,
			edit: func(f *fixture) { f.man.SchemaVersion = 1; f.encodeManifest() },
			want: []error{ErrManifest, ErrConfig}},
		{name: "a missing layer blob",
			edit: func(f *fixture) { delete(f.blobs, f.rec.Layers[0].DiffID) },
			want: []error{ErrMissingBlob}, mention: "layer 1 of 2"},
		{name: "a missing compressed blob", registry: true,
			edit: func(f *fixture) { delete(f.blobs, f.man.Layers[1].Digest) },
			want: []error{ErrMissingBlob}, mention: "layer 2 of 2"},
		{name: "no bytes of a layer at all",
			edit: func(f *fixture) {
				f.rec.Layers[0].Digest = ""
				delete(f.blobs, f.rec.Layers[0].DiffID)
			},
			want: []error{ErrMissingBlob}, mention: "layer 1 of 2"},
		{name: "a path twice in a layer",
			layers: [][]entry{{{"etc/a", "1", ""}, {"./etc/a", "22", ""}}},
			want:   []error{ErrLayerTar}, mention: `path "./etc/a" appears twice`},
		{name: "a layer that is not a tar",
			edit: func(f *fixture) { f.blobs[f.rec.Layers[1].DiffID] = bytes.Repeat([]byte("not a tar "), 100) },
			want: []error{ErrLayerTar, ErrDiffID, ErrLayerSize}, mention: "layer 2 of 2"},
		{name: "an OCI manifest with a plain tar layer", registry: true,
			edit: func(f *fixture) { f.ociPlain(0) }},
		{name: "a wrong tar size in a plain-tar descriptor", registry: true,
			edit: func(f *fixture) { f.ociPlain(1); f.man.Layers[1].Size++; f.encodeManifest() },
			want: []error{ErrLayerSize}, mention: "layer 2 of 2"},
		{name: "a size that leaves out a symlink target",
			edit: func(f *fixture) { f.rec.Layers[0].Size -= int64(len("/bin/busybox")) },
			want: []error{ErrLayerSize}, mention: "holds 16 bytes of files and symlink targets, recorded as 4"},
		{name: "a compressed blob that is not gzip", registry: true,
			edit: func(f *fixture) {
				f.blobs[f.rec.Layers[0].DiffID] = f.tars[0]
				f.man.Layers[0] = descriptor{MediaType: f.man.Layers[0].MediaType, Digest: f.rec.Layers[0].DiffID, Size: int64(len(f.tars[0]))}
				f.encodeManifest()
			},
			want: []error{ErrCompressed}, mention: "not gzip"},
		{name: "several violations, all reported",
			edit: func(f *fixture) {
				f.blobs[f.rec.Layers[1].DiffID] = flipAt(f.tars[1], 512)
				f.img.History = f.img.History[:2]
				f.encodeConfig()
				f.rec.ID = digest.FromString("{}")
			},
			want: []error{ErrConfigDigest, ErrDiffID, ErrHistory}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, tc.layers...)
			if tc.edit != nil {
				tc.edit(f)
			}
			src := f.record()
			if tc.registry {
				src = f.registry()
			}
			err := Image(context.Background(), src)
			if got := sentinels(err); !slices.Equal(names(got), names(tc.want)) {
				t.Fatalf("violations %v, want %v; error:\n%v", names(got), names(tc.want), err)
			}
			if tc.mention != "" && !strings.Contains(err.Error(), tc.mention) {
				t.Errorf("the error does not say %q:\n%v", tc.mention, err)
			}
			if err != nil && !strings.Contains(err.Error(), "image "+src.Name()+": ") {
				t.Errorf("the error does not name the image %q:\n%v", src.Name(), err)
			}
		})
	}
}

// archive writes the fixture as `docker save` does (manifest.json, <ID>.json, layers
// at blobs/sha256/<diffID>) with an OCI layout beside it (index.json, an OCI manifest
// of plain tar layers).
func (f *fixture) archive(edit func(files map[string][]byte)) []byte {
	f.t.Helper()
	files := map[string][]byte{}
	raw := f.rec.Config
	files[f.rec.ID.Encoded()+".json"] = raw
	files["blobs/sha256/"+digest.FromBytes(raw).Encoded()] = raw
	var layers []string
	om := manifestJSON{SchemaVersion: 2, MediaType: MediaOCIManifest,
		Config: descriptor{MediaType: MediaOCIConfig, Digest: digest.FromBytes(raw), Size: int64(len(raw))}}
	for i, tb := range f.tars {
		name := "blobs/sha256/" + f.rec.Layers[i].DiffID.Encoded()
		files[name] = tb
		layers = append(layers, name)
		om.Layers = append(om.Layers, descriptor{MediaType: "application/vnd.oci.image.layer.v1.tar", Digest: f.rec.Layers[i].DiffID, Size: int64(len(tb))})
	}
	mb, _ := json.Marshal(om)
	files["blobs/sha256/"+digest.FromBytes(mb).Encoded()] = mb
	files["index.json"], _ = json.Marshal(manifestJSON{SchemaVersion: 2, MediaType: MediaOCIIndex, Manifests: []descriptor{{
		MediaType: MediaOCIManifest, Digest: digest.FromBytes(mb), Size: int64(len(mb)),
		Annotations: map[string]string{"io.containerd.image.name": "docker.io/library/demo:v1"}}}})
	files["manifest.json"], _ = json.Marshal([]dockerEntry{{Config: f.rec.ID.Encoded() + ".json", RepoTags: []string{"demo:v1"}, Layers: layers}})
	if edit != nil {
		edit(files)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range files {
			if !yield(k) {
				return
			}
		}
	}) {
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(files[name]))})
		tw.Write(files[name])
	}
	if err := tw.Close(); err != nil {
		f.t.Fatal(err)
	}
	return buf.Bytes()
}

// TestValidateReadArchive checks both views of a saved image (manifest.json and the OCI
// layout), and that a broken layer or config is reported in each view that has it.
func TestValidateReadArchive(t *testing.T) {
	tests := []struct {
		name   string
		gzip   bool
		edit   func(f *fixture, files map[string][]byte)
		want   [2][]error // manifest.json's image, index.json's
		reason string
	}{
		{name: "correct"},
		{name: "correct, gzipped", gzip: true},
		{name: "a flipped byte in a layer",
			edit: func(f *fixture, files map[string][]byte) {
				name := "blobs/sha256/" + f.rec.Layers[1].DiffID.Encoded()
				files[name] = flipAt(files[name], 512)
			},
			want: [2][]error{{ErrDiffID}, {ErrDiffID}}},
		{name: "a config file not named by its digest",
			edit: func(f *fixture, files map[string][]byte) {
				name := f.rec.ID.Encoded() + ".json"
				files[name] = append(slices.Clone(files[name]), '\n')
			},
			want: [2][]error{{ErrConfigDigest}, nil}},
		{name: "an OCI manifest that is not its descriptor's digest",
			edit: func(f *fixture, files map[string][]byte) {
				var idx manifestJSON
				json.Unmarshal(files["index.json"], &idx)
				name := "blobs/sha256/" + idx.Manifests[0].Digest.Encoded()
				files[name] = append(slices.Clone(files[name]), ' ')
			},
			want: [2][]error{nil, {ErrManifestDigest}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			b := f.archive(func(files map[string][]byte) {
				if tc.edit != nil {
					tc.edit(f, files)
				}
			})
			if tc.gzip {
				b = gz(t, b)
			}
			srcs, err := ReadArchive(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			if len(srcs) != 2 {
				t.Fatalf("%d images, want 2 (manifest.json's and index.json's)", len(srcs))
			}
			for i, src := range srcs {
				err := Image(context.Background(), src)
				if got := sentinels(err); !slices.Equal(names(got), names(tc.want[i])) {
					t.Errorf("%s: violations %v, want %v; error:\n%v", src.Name(), names(got), names(tc.want[i]), err)
				}
			}
			if _, ok := srcs[1].(Manifester); !ok {
				t.Error("the OCI layout's image has no manifest to check")
			}
		})
	}
}

func TestValidateReadArchiveRefusesWhatIsNotAnArchive(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "hello.txt", Typeflag: tar.TypeReg, Size: 2})
	tw.Write([]byte("hi"))
	tw.Close()
	if _, err := ReadArchive(&buf); !errors.Is(err, ErrManifest) {
		t.Fatalf("got %v, want ErrManifest", err)
	}
}

// ReadArchive holds the archive in memory, so it refuses one whose files exceed its
// bound, before reading the file that would cross it.
func TestValidateReadArchiveIsBounded(t *testing.T) {
	defer func(n int64) { maxArchiveBytes = n }(maxArchiveBytes)
	maxArchiveBytes = 3
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, name := range []string{"a.txt", "b.txt"} {
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: 2})
		tw.Write([]byte("hi"))
	}
	tw.Close()
	_, err := ReadArchive(&buf)
	if err == nil || !strings.Contains(err.Error(), "b.txt: the archive's files exceed the 3 bytes") {
		t.Fatalf("got %v, want b.txt refused past the 3-byte bound", err)
	}
}
