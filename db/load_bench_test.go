package db

import (
	"context"
	"os"
	"testing"

	"layerlab/engine/archive"
	"layerlab/engine/archive/archivetest"
)

// BenchmarkLoad200MB is `load` of a 200 MB docker-archive (4 layers of 5 x 10 MB random
// files) into the SQLite store: each layer hashed and written once, never recompressed.
func BenchmarkLoad200MB(b *testing.B) {
	path, total, err := archivetest.WriteArchive(b.TempDir(), "bench:v1", 4, 5, 10<<20)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(total)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := openStore(b)
		w := workspace(b, s, DefaultWorkspace)
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := archive.Load(context.Background(), f, w, archive.LoadOptions{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		f.Close()
		s.Close()
		b.StartTimer()
	}
}
