package db_test

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"

	"layerlab/db"
	"layerlab/engine/build"
)

// BenchmarkFirstBuildFastAPI is the first build of the lesson's FastAPI example
// (examples/fastapi, FROM python:3.9) in an empty store: opening the store, pulling the
// stand-in (its layers recorded as generated content, no bytes), building. It reports
// the bytes the store holds afterwards (issue 11, point 6: under 300 ms and 20 MB).
//
//	go test -run '^$' -bench FirstBuildFastAPI -benchtime 5x ./db/
func BenchmarkFirstBuildFastAPI(b *testing.B) {
	ctx := context.Background()
	c, err := build.LoadDir("../examples/fastapi", "")
	if err != nil {
		b.Fatal(err)
	}
	var written int64
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		b.StartTimer()
		s, err := db.Open(ctx, dir)
		if err != nil {
			b.Fatal(err)
		}
		ws, err := s.Workspace(ctx, db.DefaultWorkspace)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := build.New(ws, build.StandIns{}).Build(ctx, c, build.Options{Tags: []string{"demo:latest"}}); err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		written = dirBytes(b, dir)
		b.StartTimer()
	}
	b.ReportMetric(float64(written)/(1<<20), "MiB-stored")
}

// dirBytes is the size of the files under dir.
func dirBytes(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err == nil {
			n += fi.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}
