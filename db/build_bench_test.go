package db_test

import (
	"context"
	"testing"

	"layerlab/db"
	"layerlab/engine/build"
)

// BenchmarkCachedRebuild30 is the path the web server takes for a fully cached rebuild:
// the 30-instruction benchmark context in memory, the SQLite store on disk.
func BenchmarkCachedRebuild30(b *testing.B) {
	ctx := context.Background()
	s, err := db.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ws, err := s.Workspace(ctx, db.DefaultWorkspace)
	if err != nil {
		b.Fatal(err)
	}
	c, err := build.LoadDir("../testdata/bench/ctx", "")
	if err != nil {
		b.Fatal(err)
	}
	bl := build.New(ws, build.StandIns{})
	if _, err := bl.Build(ctx, c, build.Options{Tags: []string{"bench:1"}}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := bl.Build(ctx, c, build.Options{Tags: []string{"bench:1"}}); err != nil {
			b.Fatal(err)
		}
	}
}
