package remote

import (
	"context"
	"testing"

	"layerlab/db"
	"layerlab/engine/image"
)

// BenchmarkFirstPullLibrary is `layerlab pull python:3.9` into an empty store: the hub's
// library/ makes the stand-in (its layers generated content), gzips each layer into the
// hub once, and the pull downloads and checks them (issue 11, point 6: within 2x of
// BenchmarkPullStored).
//
//	go test -run '^$' -bench 'FirstPullLibrary|PullStored' -benchtime 3x ./remote/
func BenchmarkFirstPullLibrary(b *testing.B) {
	ctx := context.Background()
	ref, err := image.ParseRef("python:3.9")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		s, err := db.Open(ctx, b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		ws, err := s.Workspace(ctx, db.DefaultWorkspace)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := Pull(ctx, ws, &Hub{Store: s, Namespace: db.HubNamespace(ws.Name())}, ref, PullOptions{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		s.Close()
		b.StartTimer()
	}
}

// BenchmarkPullStored is the yardstick of BenchmarkFirstPullLibrary: a pull of the same
// image (same size) that the hub already holds, into a workspace that does not have it.
func BenchmarkPullStored(b *testing.B) {
	ctx := context.Background()
	ref, err := image.ParseRef("python:3.9")
	if err != nil {
		b.Fatal(err)
	}
	s, err := db.Open(ctx, b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	if _, err := EnsureLibrary(ctx, s, "library/python", "3.9"); err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		b.StopTimer()
		i++
		ws, err := s.Workspace(ctx, "bench-"+string(rune('a'+i%26))+string(rune('a'+i/26)))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := Pull(ctx, ws, &Hub{Store: s, Namespace: db.HubNamespace(ws.Name())}, ref, PullOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
