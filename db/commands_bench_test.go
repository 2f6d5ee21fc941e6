package db

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"layerlab/engine/commands"
)

// fillImages stores n one-layer images, each child of the previous chain head every
// tenth image (so -a and dangling filters have work), tagging the tagged ones.
func fillImages(b *testing.B, w *Workspace, n int, tagged func(i int) bool) {
	b.Helper()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	layer := putLayer(b, w, "shared base layer")
	for i := 0; i < n; i++ {
		rec := newRecord(b, nil, fmt.Sprintf("image %d", i), base.Add(time.Duration(i)*time.Second), layer)
		putImage(b, w, rec)
		if tagged(i) {
			if err := w.Tag(context.Background(), mustRef(b, fmt.Sprintf("bench/app%d:v%d", i%50, i)), rec.ID); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func runCmd(b *testing.B, w *Workspace, args ...string) string {
	var out, errb bytes.Buffer
	env := &commands.Env{Store: w, Stdout: &out, Stderr: &errb, Stdin: bytes.NewReader(nil)}
	if code, _ := commands.Run(context.Background(), env, args); code != 0 {
		b.Fatalf("%v: exit %d: %s", args, code, errb.String())
	}
	return out.String()
}

// BenchmarkImageLs10k is `image ls` over 10,000 images (half tagged), in process.
func BenchmarkImageLs10k(b *testing.B) {
	s := openStore(b)
	w := workspace(b, s, DefaultWorkspace)
	fillImages(b, w, 10_000, func(i int) bool { return i%2 == 0 })
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runCmd(b, w, "image", "ls")
	}
}

// BenchmarkPrune1000 prunes 1,000 dangling images (each iteration refills the store
// outside the timer).
func BenchmarkPrune1000(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := openStore(b)
		w := workspace(b, s, DefaultWorkspace)
		fillImages(b, w, 1000, func(int) bool { return false })
		b.StartTimer()
		out := runCmd(b, w, "image", "prune", "-f")
		b.StopTimer()
		if !bytes.Contains([]byte(out), []byte("Total reclaimed space")) {
			b.Fatalf("prune printed %q", out)
		}
		s.Close()
		b.StartTimer()
	}
}
