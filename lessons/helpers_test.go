package lessons

import (
	"fmt"
	"testing"
	"time"
)

// t0 is when the test states begin; each build or command is a minute after the last.
var t0 = time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)

func at(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }

// The starter of docker-images, and the order after the reorder task, as engine/build
// numbers and names their steps.
var (
	starterInstr = []string{"FROM python:3.9", "WORKDIR /code", "ENV PYTHONUNBUFFERED=1", "COPY . .",
		"RUN pip install --no-cache-dir -r requirements.txt", `CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "80"]`}
	reorderedInstr = []string{"FROM python:3.9", "WORKDIR /code", "ENV PYTHONUNBUFFERED=1", "COPY requirements.txt .",
		"RUN pip install --no-cache-dir -r requirements.txt", "COPY . .", `CMD ["uvicorn", "app.main:app", "--host", "0.0.0.0", "--port", "80"]`}
)

// steps gives instr the states (the FROM gets base), with the reasons engine/build
// writes for them: a downstream or new step names the first rebuilt step above it.
func steps(instr []string, states ...string) []Step {
	out := []Step{{Step: 1, Line: 1, Instruction: instr[0], State: StateBase, Reason: "base image python:3.9"}}
	first := 0
	for i, s := range states {
		n := i + 2
		st := Step{Step: n, Line: n, Instruction: instr[i+1], State: s}
		switch s {
		case StateChanged:
			st.Reason = "COPY sources changed: app/main.py"
		case StateDownstream:
			st.Reason = fmt.Sprintf("step %d was rebuilt", first)
		case StateNew:
			if first == 0 {
				st.Reason = "never built on this parent image before"
			} else {
				st.Reason = fmt.Sprintf("no earlier build had this step (step %d was rebuilt)", first)
			}
		}
		if rebuilt(s) && first == 0 {
			first = n
		}
		out = append(out, st)
	}
	return out
}

func build(id string, min int, tag string, st []Step) Build {
	var tags []string
	if tag != "" {
		tags = []string{tag}
	}
	return Build{ID: id, State: BuildSucceeded, Tags: tags, Steps: st, Created: at(min)}
}

// newest orders builds newest first, as State wants them, from oldest-first input.
func newest(bs ...Build) []Build {
	out := make([]Build, 0, len(bs))
	for i := len(bs) - 1; i >= 0; i-- {
		out = append(out, bs[i])
	}
	return out
}

func cmd(min int, c string, exit int) Command { return Command{Cmd: c, Exit: exit, At: at(min)} }

func mustLesson(t *testing.T, id string) *Lesson {
	t.Helper()
	s, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	l, ok := s.Get(id)
	if !ok {
		t.Fatalf("no built-in lesson %q", id)
	}
	return l
}

func mustTask(t *testing.T, l *Lesson, id string) *Task {
	t.Helper()
	task, ok := l.Task(id)
	if !ok {
		t.Fatalf("lesson %s has no task %q", l.ID, id)
	}
	return task
}

// parseCheck parses a check written in YAML into a one-task lesson.
func parseTask(t *testing.T, task string) *Task {
	t.Helper()
	l, err := Parse("test.yaml", []byte("id: t\ntitle: T\ntasks:\n"+task), nil)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return l.Tasks[0]
}
