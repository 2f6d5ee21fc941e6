package build_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"sync"
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

// hundredMB is the input of the hashing benchmarks: 100 files of 1 MiB of deterministic
// pseudo-random bytes, made once per process so no benchmark times making its input.
var hundredMB = sync.OnceValue(func() []build.File {
	rng := rand.NewChaCha8([32]byte{'l', 'a', 'y', 'e', 'r'})
	files := make([]build.File, 0, 101)
	for i := 0; i < 100; i++ {
		data := make([]byte, 1<<20)
		rng.Read(data)
		files = append(files, build.File{Path: fmt.Sprintf("data/f%03d", i), Data: data})
	}
	return append(files, build.File{Path: "Dockerfile", Data: []byte("FROM scratch\nCOPY . /ctx/\n")})
})

// BenchmarkHashContext100MB hashes a 100 MB context as COPY . does (tarsum of every
// file, then of the list), with nothing remembered between iterations: only the hashing
// is timed (the context is made before the loop).
func BenchmarkHashContext100MB(b *testing.B) {
	c, err := build.NewContext(hundredMB(), "")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(100 << 20)
	for b.Loop() {
		if _, err := build.HashContext(c); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSHA256100MB is the yardstick for BenchmarkHashContext100MB, in the same run:
// Go's crypto/sha256 over the same 100 files, one hash each.
func BenchmarkSHA256100MB(b *testing.B) {
	files := hundredMB()[:100]
	b.SetBytes(100 << 20)
	for b.Loop() {
		for _, f := range files {
			sha256.Sum256(f.Data)
		}
	}
}
