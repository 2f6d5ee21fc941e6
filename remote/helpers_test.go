package remote

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"

	"layerlab/db"
	"layerlab/engine/image"
)

// memRegistry is a Registry in memory that serves whatever it is given, right or
// wrong: the hostile registry of the tests.
type memRegistry struct {
	mu        sync.Mutex
	manifests map[string]*Manifest // "repo:tag" and "repo@digest"
	blobs     map[digest.Digest][]byte
	opened    []digest.Digest
}

func newMemRegistry() *memRegistry {
	return &memRegistry{manifests: map[string]*Manifest{}, blobs: map[digest.Digest][]byte{}}
}

func (r *memRegistry) key(repo, reference string) string {
	if strings.HasPrefix(reference, "sha256:") {
		return repo + "@" + reference
	}
	return repo + ":" + reference
}

func (r *memRegistry) Manifest(ctx context.Context, repo, reference string) (*Manifest, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	m, ok := r.manifests[r.key(repo, reference)]
	if !ok {
		return nil, &RegistryError{Status: 404, Code: "MANIFEST_UNKNOWN", Message: "manifest unknown", kind: ErrManifestUnknown}
	}
	return m, nil
}

func (r *memRegistry) OpenBlob(ctx context.Context, repo string, d digest.Digest) (io.ReadCloser, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.blobs[d]
	if !ok {
		return nil, &RegistryError{Status: 404, Code: "BLOB_UNKNOWN", Message: "blob unknown to registry", kind: ErrBlobUnknown}
	}
	r.opened = append(r.opened, d)
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (r *memRegistry) StatBlob(ctx context.Context, repo string, d digest.Digest) (int64, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	b, ok := r.blobs[d]
	if !ok {
		return 0, &RegistryError{Status: 404, Code: "BLOB_UNKNOWN", Message: "blob unknown to registry", kind: ErrBlobUnknown}
	}
	return int64(len(b)), nil
}

func (r *memRegistry) PutBlob(ctx context.Context, repo string, d digest.Digest, size int64, open func() (io.ReadCloser, error)) error {
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return err
	}
	if digest.FromBytes(b) != d || int64(len(b)) != size {
		return fmt.Errorf("upload of %s: got %s, %d bytes", d, digest.FromBytes(b), len(b))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.blobs[d] = b
	return nil
}

func (r *memRegistry) PutManifest(ctx context.Context, repo, tag string, m *Manifest) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.manifests[repo+":"+tag] = m
	r.manifests[repo+"@"+m.Digest().String()] = m
	return nil
}

// serve stores b as blob d, whatever b hashes to.
func (r *memRegistry) serve(d digest.Digest, b []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.blobs[d] = b
}

// tf is one entry of a test tar.
type tf struct {
	name string
	typ  byte
	link string
	body []byte
}

func mkTar(t *testing.T, files ...tf) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		typ := f.typ
		if typ == 0 {
			typ = tar.TypeReg
		}
		h := &tar.Header{Name: f.name, Typeflag: typ, Linkname: f.link, Mode: 0o644, Size: int64(len(f.body)), ModTime: time.Unix(0, 0)}
		if typ != tar.TypeReg {
			h.Size = 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if typ == tar.TypeReg {
			tw.Write(f.body)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Compress(&buf, bytes.NewReader(b)); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testImage is an image to serve: layer tars and the config built over them. Each
// edit hook may make it wrong.
type testImage struct {
	tars   [][]byte
	config []byte
	layers []Descriptor // as the manifest will say
	blobs  [][]byte     // as the registry will serve them
}

func newTestImage(t *testing.T, tars ...[]byte) *testImage {
	t.Helper()
	img := &image.Image{Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Architecture: "amd64", OS: "linux",
		Config: &image.ContainerConfig{Cmd: []string{"sh"}}, RootFS: image.RootFS{Type: "layers"}}
	ti := &testImage{tars: tars}
	for i, tb := range tars {
		img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, digest.FromBytes(tb))
		img.History = append(img.History, image.History{Created: img.Created, CreatedBy: fmt.Sprintf("layer %d", i)})
		z := gz(t, tb)
		ti.blobs = append(ti.blobs, z)
		ti.layers = append(ti.layers, Descriptor{MediaType: MediaDockerLayer, Size: int64(len(z)), Digest: digest.FromBytes(z)})
	}
	raw, _, err := img.Encode()
	if err != nil {
		t.Fatal(err)
	}
	ti.config = raw
	return ti
}

// publish serves the image as repo:tag and returns its manifest.
func (ti *testImage) publish(t *testing.T, r *memRegistry, repo, tag string) *Manifest {
	t.Helper()
	cfg := Descriptor{MediaType: MediaDockerConfig, Size: int64(len(ti.config)), Digest: digest.FromBytes(ti.config)}
	r.serve(cfg.Digest, ti.config)
	for i, l := range ti.layers {
		r.serve(l.Digest, ti.blobs[i])
	}
	m, err := schema2(cfg, ti.layers)
	if err != nil {
		t.Fatal(err)
	}
	r.PutManifest(context.Background(), repo, tag, m)
	return m
}

func openStore(t *testing.T) *db.Workspace {
	t.Helper()
	ctx := context.Background()
	s, err := db.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	ws, err := s.Workspace(ctx, db.DefaultWorkspace)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func mustRef(t *testing.T, s string) image.Ref {
	t.Helper()
	r, err := image.ParseRef(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// assertEmpty checks a store holds no image and no tag.
func assertEmpty(t *testing.T, ws *db.Workspace) {
	t.Helper()
	ctx := context.Background()
	imgs, err := ws.Images(ctx)
	if err != nil || len(imgs) != 0 {
		t.Errorf("store has %d images (%v)", len(imgs), err)
	}
	tags, err := ws.AllTags(ctx)
	if err != nil || len(tags) != 0 {
		t.Errorf("store has tags %v (%v)", tags, err)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
