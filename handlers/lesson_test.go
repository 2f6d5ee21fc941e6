package handlers

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"layerlab/db"
	"layerlab/examples"
	"layerlab/web"
)

// lessonPanel is GET /api/lesson as the browser gets it.
func (b *browser) lessonPanel() web.LessonView {
	b.t.Helper()
	var v web.LessonView
	b.get("/api/lesson").wantCode(http.StatusOK).json(&v)
	return v
}

// settle waits for the lesson's background checks (after builds and commands) to end.
func (e *testEnv) settle() {
	e.t.Helper()
	e.Server.evals.wg.Wait()
}

// taskState is the panel's state of a task ("" when the panel has no such task).
func taskState(v web.LessonView, id string) string {
	for _, t := range v.Tasks {
		if t.ID == id {
			return t.State
		}
	}
	return ""
}

// exampleFiles is an example's files as setContext takes them.
func exampleFiles(t *testing.T, name string) map[string]string {
	t.Helper()
	files, ok := examples.Files(name)
	if !ok {
		t.Fatalf("no example %s", name)
	}
	m := map[string]string{}
	for _, f := range files {
		m[f.Path] = string(f.Data)
	}
	return m
}

// The terminal logs each command and its exit status, and keeps the last
// db.MaxTerminalLog of them: at the bound and past it.
func TestLessonTerminalLogIsBounded(t *testing.T) {
	env := newTestServer(t)
	for i := range db.MaxTerminalLog + 2 {
		cmd := "help"
		if i%2 == 1 {
			cmd = fmt.Sprintf("nope %d", i)
		}
		term(env.browser, cmd)
		if i == db.MaxTerminalLog-1 {
			got, err := env.workspace().Commands(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != db.MaxTerminalLog || got[0].Cmd != "help" || got[0].Exit != 0 || got[1].Cmd != "nope 1" || got[1].Exit != 127 {
				t.Fatalf("at the bound: %d commands, first %+v, %+v", len(got), got[0], got[1])
			}
		}
	}
	term(env.browser, "   ") // an empty line is not a command
	env.settle()
	got, err := env.workspace().Commands(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != db.MaxTerminalLog {
		t.Fatalf("%d commands kept, want %d", len(got), db.MaxTerminalLog)
	}
	if got[0].Cmd != "help" || got[len(got)-1].Cmd != fmt.Sprintf("nope %d", db.MaxTerminalLog+1) {
		t.Errorf("kept %q .. %q: want the last %d", got[0].Cmd, got[len(got)-1].Cmd, db.MaxTerminalLog)
	}
}

// A browser with no lesson gets the lessons to choose from; a GET stores nothing.
func TestLessonPanelOffersTheLessons(t *testing.T) {
	env := newTestServer(t)
	v := env.lessonPanel()
	if v.Lesson != nil || len(v.Lessons) < 2 || v.Lessons[0].ID != "docker-images" {
		t.Fatalf("panel without a lesson: %+v", v)
	}
	if v.Current != nil || len(v.Tasks) != 0 {
		t.Errorf("tasks without a lesson: %+v", v)
	}
	page := env.get("/").wantCode(http.StatusOK)
	if len(page.find("lesson-panel")) != 1 || len(page.find("lesson-pick")) != 1 {
		t.Errorf("the playground has no lesson panel with a picker")
	}
	env.postJSON("/api/lesson/choose", map[string]string{"lesson": "nope"}).wantCode(http.StatusNotFound)
}
