package db

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
)

func TestBuildEvents(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, DefaultWorkspace)
	other := workspace(t, s, "other")
	b, err := w.CreateBuild(ctx, "FROM scratch\n", []string{"demo:v1"})
	if err != nil {
		t.Fatal(err)
	}
	var events [][]byte
	for seq := int64(1); seq <= 5; seq++ {
		ev := []byte(fmt.Sprintf(`{"seq":%d,"build":%q}`, seq, b.ID))
		events = append(events, ev)
		if err := w.AppendEvent(ctx, b.ID, seq, ev); err != nil {
			t.Fatal(err)
		}
	}
	appends := []struct {
		name    string
		w       *Workspace
		build   string
		seq     int64
		wantErr error
	}{
		{name: "seq already stored", w: w, build: b.ID, seq: 3, wantErr: ErrEventExists},
		{name: "seq 0", w: w, build: b.ID, seq: 0, wantErr: ErrInvalid},
		{name: "unknown build", w: w, build: "nope", seq: 1, wantErr: ErrNotFound},
		{name: "another workspace's build", w: other, build: b.ID, seq: 6, wantErr: ErrNotFound},
	}
	for _, tt := range appends {
		t.Run("append/"+tt.name, func(t *testing.T) {
			if err := tt.w.AppendEvent(ctx, tt.build, tt.seq, []byte(`{}`)); !errors.Is(err, tt.wantErr) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
	replays := []struct {
		name    string
		w       *Workspace
		build   string
		after   int64
		want    [][]byte
		wantErr error
	}{
		{name: "all", w: w, build: b.ID, after: 0, want: events},
		{name: "after 3", w: w, build: b.ID, after: 3, want: events[3:]},
		{name: "after the last", w: w, build: b.ID, after: 5, want: [][]byte{}},
		{name: "unknown build", w: w, build: "nope", wantErr: ErrNotFound},
		{name: "another workspace's build", w: other, build: b.ID, wantErr: ErrNotFound},
	}
	for _, tt := range replays {
		t.Run("replay/"+tt.name, func(t *testing.T) {
			got, err := tt.w.Events(ctx, tt.build, tt.after)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("got %v, want %v", err, tt.wantErr)
			}
			if err == nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBuildLifecycle(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	clk := &clock{t: baseTime}
	s.now = clk.now
	w := workspace(t, s, DefaultWorkspace)
	first, err := w.CreateBuild(ctx, "FROM scratch\n", nil)
	if err != nil {
		t.Fatal(err)
	}
	clk.add(time.Second)
	second, err := w.CreateBuild(ctx, "FROM busybox\nRUN false\n", []string{"x:1", "x:2"})
	if err != nil {
		t.Fatal(err)
	}
	img := digest.FromString("final config")
	if err := w.FinishBuild(ctx, first.ID, BuildSucceeded, img, ""); err != nil {
		t.Fatal(err)
	}
	if err := w.FinishBuild(ctx, second.ID, BuildFailed, "", "step 2/2: RUN false: exit code 1"); err != nil {
		t.Fatal(err)
	}
	finishes := []struct {
		name    string
		id      string
		state   BuildState
		wantErr error
	}{
		{name: "already finished", id: first.ID, state: BuildFailed, wantErr: ErrInvalid},
		{name: "not a final state", id: first.ID, state: BuildRunning, wantErr: ErrInvalid},
		{name: "unknown", id: "nope", state: BuildFailed, wantErr: ErrNotFound},
	}
	for _, tt := range finishes {
		t.Run(tt.name, func(t *testing.T) {
			if err := w.FinishBuild(ctx, tt.id, tt.state, "", ""); !errors.Is(err, tt.wantErr) {
				t.Errorf("got %v, want %v", err, tt.wantErr)
			}
		})
	}
	got, err := w.Build(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != BuildSucceeded || got.Image != img || got.Finished.IsZero() || got.Dockerfile != "FROM scratch\n" || len(got.Tags) != 0 {
		t.Errorf("first build = %+v", got)
	}
	list, err := w.Builds(ctx, 10)
	if err != nil || len(list) != 2 {
		t.Fatalf("Builds = %v, %v", list, err)
	}
	if f := list[0]; f.ID != second.ID || f.State != BuildFailed || f.Error == "" || !reflect.DeepEqual(f.Tags, []string{"x:1", "x:2"}) {
		t.Errorf("newest build = %+v", f)
	}
	checkIntegrity(t, s)
}
