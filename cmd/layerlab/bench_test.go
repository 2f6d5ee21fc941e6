package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkLastLineEdit is the whole command of a rebuild after editing the last line
// of the 30-instruction benchmark (testdata/bench/ctx), in process: everything
// `layerlab build` does after the process has started (open the store, read and hash
// the context, the cache lookups, the one new step, commit, close). The process start
// itself is `layerlab --version` (scripts/bench-edit-vs-start measures both, whole
// process). Profile it with -cpuprofile.
func BenchmarkLastLineEdit(b *testing.B) {
	data, ctx := b.TempDir(), filepath.Join(b.TempDir(), "ctx")
	if out, err := exec.Command("cp", "-r", "../../testdata/bench/ctx", ctx).CombinedOutput(); err != nil {
		b.Fatalf("copy context: %v\n%s", err, out)
	}
	df := filepath.Join(ctx, "Dockerfile")
	orig, err := os.ReadFile(df)
	if err != nil {
		b.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(orig), "\n"), "\n")
	head := strings.Join(lines[:len(lines)-1], "\n") + "\n"
	if code, _, errs := inProc(data, "build", "-q", "-t", "bench:1", ctx); code != 0 {
		b.Fatal(errs)
	}
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		if err := os.WriteFile(df, []byte(head+fmt.Sprintf("CMD [\"echo\", \"%d\"]\n", i)), 0o644); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if code, _, errs := inProc(data, "build", "-t", "bench:1", ctx); code != 0 {
			b.Fatal(errs)
		}
	}
}
