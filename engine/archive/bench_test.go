package archive_test

import (
	"context"
	"crypto/sha256"
	"io"
	"os"
	"testing"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/archive"
	"layerlab/engine/archive/archivetest"
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
	path, total, err := archivetest.WriteArchive(dir, "bench:v1", 4, 5, 10<<20)
	if err != nil {
		b.Fatal(err)
	}
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
