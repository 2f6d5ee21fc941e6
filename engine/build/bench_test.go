package build_test

import (
	"context"
	"crypto/rand"
	"testing"

	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
)

const benchContext = "../../testdata/bench/ctx"

// BenchmarkCachedRebuild30 is a fully cached rebuild of the 30-instruction benchmark
// Dockerfile with the context already in memory (the web server's path), in-memory store.
func BenchmarkCachedRebuild30(b *testing.B) {
	c, err := build.LoadDir(benchContext, "")
	if err != nil {
		b.Fatal(err)
	}
	bl := build.New(buildtest.New(), build.StandIns{})
	if _, err := bl.Build(context.Background(), c, build.Options{Tags: []string{"bench:1"}}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := bl.Build(context.Background(), c, build.Options{Tags: []string{"bench:1"}}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHashContext100MB hashes a 100 MB context as COPY . does (tarsum of every
// file), from a fresh build each time so nothing is remembered.
func BenchmarkHashContext100MB(b *testing.B) {
	var files []build.File
	for i := 0; i < 100; i++ {
		data := make([]byte, 1<<20)
		rand.Read(data)
		files = append(files, build.File{Path: "data/f" + string(rune('a'+i%26)) + string(rune('a'+i/26)), Data: data})
	}
	files = append(files, build.File{Path: "Dockerfile", Data: []byte("FROM scratch\nCOPY . /ctx/\n")})
	c, err := build.NewContext(files, "")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(100 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := build.HashContext(c); err != nil {
			b.Fatal(err)
		}
	}
}
