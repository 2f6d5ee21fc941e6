package archive_test

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/archive"
	"layerlab/engine/build"
	"layerlab/engine/image"
)

// diskStore keeps blobs as files, hashed as they are written and fsynced, as db's
// store does, so the benchmark measures what a real load costs (not an in-memory copy).
type diskStore struct {
	dir string
}

func (s *diskStore) PutBlob(_ context.Context, _ digest.Digest, r io.Reader) (digest.Digest, int64, error) {
	f, err := os.CreateTemp(s.dir, "put-*")
	if err != nil {
		return "", 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), r)
	if err != nil {
		return "", 0, err
	}
	if err := f.Sync(); err != nil {
		return "", 0, err
	}
	return digest.NewDigest(digest.SHA256, h), n, nil
}
func (s *diskStore) PutImage(context.Context, *image.Record) error       { return nil }
func (s *diskStore) Tag(context.Context, image.Ref, digest.Digest) error { return nil }
func (s *diskStore) Lookup(context.Context, string) (*image.Record, error) {
	return nil, build.ErrNotFound
}

// BenchmarkLoad200MB loads a 200 MB docker-archive (four layers of random data, as
// `docker save` writes them) into a disk store. Compare its MB/s with
// `openssl speed -evp sha256` (16 KiB blocks): the store hashes each byte once.
func BenchmarkLoad200MB(b *testing.B) {
	dir := b.TempDir()
	path := filepath.Join(dir, "image.tar")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	var layers []string
	var diffIDs []digest.Digest
	tw := tar.NewWriter(f)
	for i := 0; i < 4; i++ {
		// A layer of five 10 MB files.
		lp := filepath.Join(dir, fmt.Sprintf("layer%d.tar", i))
		lf, _ := os.Create(lp)
		h := sha256.New()
		ltw := tar.NewWriter(io.MultiWriter(lf, h))
		for j := 0; j < 5; j++ {
			ltw.WriteHeader(&tar.Header{Name: fmt.Sprintf("d%d/f%d", i, j), Typeflag: tar.TypeReg, Size: 10 << 20, Mode: 0o644})
			io.CopyN(ltw, rand.Reader, 10<<20)
		}
		ltw.Close()
		size, _ := lf.Seek(0, io.SeekCurrent)
		lf.Seek(0, io.SeekStart)
		name := fmt.Sprintf("%064x/layer.tar", i)
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: size, Mode: 0o644})
		io.Copy(tw, lf)
		lf.Close()
		os.Remove(lp)
		layers = append(layers, name)
		diffIDs = append(diffIDs, digest.NewDigest(digest.SHA256, h))
	}
	img := &image.Image{OS: "linux", Architecture: "amd64", Config: &image.ContainerConfig{}, RootFS: image.RootFS{Type: "layers", DiffIDs: diffIDs}}
	cfg, id, _ := img.Encode()
	tw.WriteHeader(&tar.Header{Name: id.Encoded() + ".json", Typeflag: tar.TypeReg, Size: int64(len(cfg)), Mode: 0o644})
	tw.Write(cfg)
	m := fmt.Sprintf(`[{"Config":%q,"RepoTags":["bench:v1"],"Layers":["%s","%s","%s","%s"]}]`, id.Encoded()+".json", layers[0], layers[1], layers[2], layers[3])
	tw.WriteHeader(&tar.Header{Name: "manifest.json", Typeflag: tar.TypeReg, Size: int64(len(m)), Mode: 0o644})
	io.WriteString(tw, m)
	tw.Close()
	total, _ := f.Seek(0, io.SeekCurrent)
	f.Close()
	st := &diskStore{dir: dir}
	b.SetBytes(total)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := archive.Load(context.Background(), f, st, archive.LoadOptions{}); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
