package db

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestLessonTerminalLogKeepsTheLast(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, "a")
	other := workspace(t, s, "b")
	if err := other.LogCommand(ctx, "docker images", 0); err != nil {
		t.Fatal(err)
	}
	for i := range MaxTerminalLog + 3 {
		if err := w.LogCommand(ctx, fmt.Sprintf("docker history %d", i), i%2); err != nil {
			t.Fatal(err)
		}
	}
	got, err := w.Commands(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != MaxTerminalLog {
		t.Fatalf("kept %d commands, want %d", len(got), MaxTerminalLog)
	}
	if got[0].Cmd != "docker history 3" || got[len(got)-1].Cmd != fmt.Sprintf("docker history %d", MaxTerminalLog+2) {
		t.Errorf("kept %q .. %q, want the last %d", got[0].Cmd, got[len(got)-1].Cmd, MaxTerminalLog)
	}
	if got[0].Exit != 1 || got[1].Exit != 0 {
		t.Errorf("exit statuses %d, %d; want 1, 0", got[0].Exit, got[1].Exit)
	}
	var rows int
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM terminal_log WHERE workspace = 'a'`).Scan(&rows); err != nil {
		t.Fatal(err)
	}
	if rows != MaxTerminalLog {
		t.Errorf("%d rows stored, want %d: older ones must be deleted", rows, MaxTerminalLog)
	}
	if o, _ := other.Commands(ctx); len(o) != 1 {
		t.Errorf("another workspace's log has %d commands, want 1", len(o))
	}
}

func TestLessonBounds(t *testing.T) {
	ctx := context.Background()
	w := workspace(t, openStore(t), "a")
	steps := func(n int) []int {
		out := make([]int, n)
		for i := range out {
			out[i] = i + 1
		}
		return out
	}
	tests := []struct {
		name    string
		run     func() error
		wantErr bool
	}{
		{"command at the bound", func() error { return w.LogCommand(ctx, strings.Repeat("x", MaxLoggedCommand), 0) }, false},
		{"command past the bound", func() error { return w.LogCommand(ctx, strings.Repeat("x", MaxLoggedCommand+1), 0) }, true},
		{"answer at the bound", func() error { return w.SaveAnswer(ctx, "l", "q", strings.Repeat("a", MaxAnswer)) }, false},
		{"answer past the bound", func() error { return w.SaveAnswer(ctx, "l", "q", strings.Repeat("a", MaxAnswer+1)) }, true},
		{"prediction at the bound", func() error { return w.SavePrediction(ctx, "l", "p", "FROM x\n", steps(MaxPredictedSteps)) }, false},
		{"prediction past the bound", func() error { return w.SavePrediction(ctx, "l", "p", "FROM x\n", steps(MaxPredictedSteps+1)) }, true},
		{"no lesson", func() error { _, err := w.MarkTaskDone(ctx, "", "t", ""); return err }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.run()
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
	if a, _ := w.Answers(ctx, "l"); len(a["q"]) != MaxAnswer {
		t.Errorf("the answer past the bound replaced the one at it: %d bytes", len(a["q"]))
	}
}

func TestLessonProgressIsStickyAndBounded(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	w := workspace(t, s, "a")
	added, err := w.MarkTaskDone(ctx, "basics", "build", "built my_image")
	if err != nil || !added {
		t.Fatalf("first mark: added %v, err %v", added, err)
	}
	added, err = w.MarkTaskDone(ctx, "basics", "build", "again")
	if err != nil || added {
		t.Fatalf("second mark: added %v, err %v; want not added", added, err)
	}
	got, err := w.Progress(ctx, "basics")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Task != "build" || got[0].Detail != "built my_image" {
		t.Fatalf("progress %+v, want the first mark kept", got)
	}
	if other, _ := w.Progress(ctx, "multistage"); len(other) != 0 {
		t.Errorf("another lesson's progress: %+v", other)
	}
	for i := 1; i < MaxLessonTasks; i++ {
		if _, err := w.MarkTaskDone(ctx, "basics", fmt.Sprintf("t%d", i), ""); err != nil {
			t.Fatalf("task %d of %d: %v", i+1, MaxLessonTasks, err)
		}
	}
	if _, err := w.MarkTaskDone(ctx, "basics", "one-more", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("task %d: err = %v, want ErrInvalid", MaxLessonTasks+1, err)
	}
	long := strings.Repeat("é", MaxAnswer)
	if _, err := w.MarkTaskDone(ctx, "other", "t", long); err != nil {
		t.Fatal(err)
	}
	if p, _ := w.Progress(ctx, "other"); len(p[0].Detail) > MaxAnswer || !strings.HasSuffix(p[0].Detail, "…") {
		t.Errorf("a long detail is kept as %d bytes ending %q", len(p[0].Detail), p[0].Detail[len(p[0].Detail)-3:])
	}
}

func TestLessonPredictions(t *testing.T) {
	ctx := context.Background()
	w := workspace(t, openStore(t), "a")
	if err := w.ScorePrediction(ctx, "l", "p", "b1", nil, 0, 0, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("scoring with none pending: %v, want ErrNotFound", err)
	}
	if err := w.SavePrediction(ctx, "l", "p", "FROM alpine\nRUN x\n", []int{2}); err != nil {
		t.Fatal(err)
	}
	ps, err := w.Predictions(ctx, "l")
	if err != nil {
		t.Fatal(err)
	}
	if p := ps["p"]; p == nil || p.Scored() || fmt.Sprint(p.Steps) != "[2]" || p.Dockerfile != "FROM alpine\nRUN x\n" {
		t.Fatalf("pending prediction %+v", ps["p"])
	}
	if err := w.ScorePrediction(ctx, "l", "p", "b1", []int{2, 3}, 2, 3, []string{"step 3 rebuilt: its parent changed"}); err != nil {
		t.Fatal(err)
	}
	if err := w.ScorePrediction(ctx, "l", "p", "b2", nil, 0, 3, nil); !errors.Is(err, ErrNotFound) {
		t.Errorf("scoring a scored prediction again: %v, want ErrNotFound", err)
	}
	ps, _ = w.Predictions(ctx, "l")
	p := ps["p"]
	if !p.Scored() || p.Build != "b1" || p.Right != 2 || p.Total != 3 || fmt.Sprint(p.Rebuilt) != "[2 3]" || len(p.Mistakes) != 1 {
		t.Fatalf("scored prediction %+v", p)
	}
	if err := w.SavePrediction(ctx, "l", "p", "FROM alpine\n", nil); err != nil {
		t.Fatal(err)
	}
	ps, _ = w.Predictions(ctx, "l")
	if p := ps["p"]; p.Scored() || len(p.Steps) != 0 || p.Steps == nil || len(p.Mistakes) != 0 {
		t.Errorf("a new prediction did not replace the scored one: %+v", p)
	}
}

func TestLessonRowsSurviveReopenAndGoWithReset(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	w := workspace(t, s, "a")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(w.LogCommand(ctx, "docker images", 0))
	_, err = w.MarkTaskDone(ctx, "basics", "build", "")
	must(err)
	must(w.SavePrediction(ctx, "basics", "predict", "FROM x\n", []int{1}))
	must(w.SaveAnswer(ctx, "basics", "q", "/app"))
	must(w.ChooseLesson(ctx, "basics"))
	must(s.Close())

	s, err = Open(ctx, dir)
	must(err)
	defer s.Close()
	w = workspace(t, s, "a")
	count := func() string {
		cmds, err := w.Commands(ctx)
		must(err)
		prog, err := w.Progress(ctx, "basics")
		must(err)
		preds, err := w.Predictions(ctx, "basics")
		must(err)
		ans, err := w.Answers(ctx, "basics")
		must(err)
		chosen, err := w.ChosenLesson(ctx)
		if errors.Is(err, ErrNotFound) {
			chosen = "-"
		} else {
			must(err)
		}
		return fmt.Sprintf("%d %d %d %d %s", len(cmds), len(prog), len(preds), len(ans), chosen)
	}
	if got := count(); got != "1 1 1 1 basics" {
		t.Fatalf("after reopening: %s, want 1 1 1 1 basics", got)
	}
	must(w.Reset(ctx, nil))
	if got := count(); got != "0 0 0 0 -" {
		t.Fatalf("after reset: %s, want 0 0 0 0 -", got)
	}
	// Deleting the workspace takes its rows too (ON DELETE CASCADE).
	must(w.LogCommand(ctx, "docker images", 0))
	must(w.ChooseLesson(ctx, "basics"))
	if _, err := s.db.ExecContext(ctx, `DELETE FROM workspaces WHERE name = 'a'`); err != nil {
		t.Fatal(err)
	}
	var n int
	must(s.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM terminal_log) + (SELECT count(*) FROM lesson_choice)`).Scan(&n))
	if n != 0 {
		t.Errorf("%d rows left after the workspace was deleted", n)
	}
}

// HubTagsIn lists the tags of the namespace's repositories only: not another
// namespace's, not one whose name starts the same ("ana" is not "anabel").
func TestLessonHubTagsIn(t *testing.T) {
	ctx := context.Background()
	s := openStore(t)
	for _, ref := range []string{"ana/app:v1", "ana/app:v2", "ana/web:latest", "anabel/app:v1", "an/app:v1", "ana-x/app:1", "library/alpine:3.20"} {
		repo, tag, _ := strings.Cut(ref, ":")
		for _, q := range []string{
			`INSERT OR IGNORE INTO hub_repositories (name, created) VALUES (?, '')`,
			`INSERT OR IGNORE INTO hub_manifests (repo, digest, store_digest, media_type, size, created) VALUES (?, 'sha256:1', 'sha256:1', 'x', 1, '')`,
		} {
			if _, err := s.db.ExecContext(ctx, q, repo); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.db.ExecContext(ctx, `INSERT INTO hub_tags (repo, tag, digest, updated) VALUES (?, ?, 'sha256:1', '')`, repo, tag); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.HubTagsIn(ctx, "ana")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[ana/app:v1 ana/app:v2 ana/web:latest]" {
		t.Errorf("tags of ana: %q", got)
	}
	if _, err := s.HubTagsIn(ctx, "ana/app"); !errors.Is(err, ErrInvalid) {
		t.Errorf("a namespace with a slash: %v", err)
	}
}
