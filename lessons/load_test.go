package lessons

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const okTask = "  - {id: a, title: A, check: {dangling: 0}}\n"

func TestParseErrors(t *testing.T) {
	head := "id: l\ntitle: L\ntasks:\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "x.yaml: the file is empty"},
		{"not yaml", "id: [", "x.yaml: not valid YAML"},
		{"two documents", head + okTask + "---\nid: m\n", "x.yaml:5: a second YAML document"},
		{"not a mapping", "- a\n", "x.yaml:1: the lesson must be a mapping"},
		{"unknown lesson key", "id: l\ntitel: L\n", `x.yaml:2: unknown key "titel" in the lesson: the keys are id, title, summary, starter, starter_dir, tasks`},
		{"duplicate key", "id: l\nid: m\n", `x.yaml:2: key "id" appears twice`},
		{"no title", "id: l\ntasks: []\n", "x.yaml:1: the lesson has no title: add title:"},
		{"bad id", "id: My Lesson\ntitle: L\ntasks: []\n", `x.yaml:1: the lesson's id "My Lesson" must be 1 to 64 lowercase letters`},
		{"no tasks", "id: l\ntitle: L\ntasks: []\n", "x.yaml:3: tasks must be a list of at least one task"},
		{"unknown task key", head + "  - {id: a, title: A, chek: {dangling: 0}}\n", `x.yaml:4: unknown key "chek" in a task`},
		{"task without check", head + "  - {id: a, title: A}\n", "x.yaml:4: a task has no check: add check:"},
		{"duplicate task id", head + okTask + "  - {id: a, title: B, check: {dangling: 1}}\n", `x.yaml:5: task id "a" is used twice (first at line 4)`},
		{"unknown check kind", head + "  - {id: a, title: A, check: {built: {}}}\n", `x.yaml:4: unknown check kind "built": the kinds are build, image,`},
		{"two kinds in one check", head + "  - {id: a, title: A, check: {dangling: 0, intermediate: 1}}\n", "x.yaml:4: task \"a\"'s check has two kinds (dangling and intermediate): a check has one; list several under all:"},
		{"unknown build key", head + "  - id: a\n    title: A\n    check:\n      build: {tags: x}\n", `x.yaml:7: unknown key "tags" in a build check`},
		{"bad regexp", head + "  - {id: a, title: A, check: {command: {matches: 'docker ('}}}\n", "x.yaml:4: matches is not a valid regular expression (Go's RE2 syntax): error parsing regexp: missing closing )"},
		{"command without matches", head + "  - {id: a, title: A, check: {command: {exit: 0}}}\n", "a command check needs matches"},
		{"bad exit", head + "  - {id: a, title: A, check: {command: {matches: x, exit: maybe}}}\n", "exit must be a status (0 to 255) or any"},
		{"bad count", head + "  - {id: a, title: A, check: {dangling: -1}}\n", "dangling must be a whole number of 0 or more"},
		{"max below min", head + "  - {id: a, title: A, check: {dangling: {min: 3, max: 1}}}\n", "dangling's max 1 is below its min 3"},
		{"empty all", head + "  - {id: a, title: A, check: {all: []}}\n", "all: must list at least one check"},
		{"bad step state", head + "  - {id: a, title: A, check: {build: {steps: [{instruction: RUN, state: reused}]}}}\n", `state "reused" is not one of cached, rebuilt, changed, downstream, new, failed`},
		{"answer without question", head + "  - {id: a, title: A, check: {answer: {}}}\n", `task "a" checks an answer but has no question`},
		{"prediction without predict", head + "  - {id: a, title: A, check: {prediction: {}}}\n", `task "a" checks a prediction but is not a predict task: add predict: true`},
		{"prediction of a missing task", head + "  - {id: a, title: A, check: {prediction: {task: zz}}}\n", `x.yaml:4: the check names task "zz", which this lesson does not have`},
		{"unknown answer kind", head + "  - {id: a, title: A, question: {prompt: P, answer: {layers: x}}, check: {answer: {}}}\n", `unknown answer kind "layers": the kinds are history_count, workdir, env, smaller, size_ratio, value`},
		{"smaller of one image", head + "  - {id: a, title: A, question: {prompt: P, answer: {smaller: [a]}}, check: {answer: {}}}\n", "smaller needs two image tags, not 1"},
		{"starter path escapes", "id: l\ntitle: L\nstarter: {../x: hi}\ntasks:\n" + okTask, `x.yaml:3: the lesson's starter path "../x" must be relative to the build context, without ..`},
		{"starter_dir in an embedded lesson", "id: l\ntitle: L\nstarter_dir: ctx\ntasks:\n" + okTask, "x.yaml:3: the lesson's starter_dir is only read for a lesson loaded from a folder"},
		{"deep nesting", head + "  - id: a\n    title: A\n    check: " + strings.Repeat("{all: [", 18) + "{dangling: 0}" + strings.Repeat("]}", 18) + "\n", "nests all/any/in_order more than 16 deep"},
		{"alias", "id: l\ntitle: L\ntasks:\n  - &t {id: a, title: A, check: {dangling: 0}}\n  - *t\n", "x.yaml:5: a task: YAML aliases are not supported here"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tc.yaml), nil)
			if err == nil {
				t.Fatalf("no error, want %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %q\nwant it to contain %q", err, tc.want)
			}
			if !errors.Is(err, ErrFormat) {
				t.Errorf("error %q is not ErrFormat", err)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	tasks := func(n int) string {
		var b strings.Builder
		b.WriteString("id: l\ntitle: L\ntasks:\n")
		for i := 0; i < n; i++ {
			b.WriteString("  - {id: t" + strconv.Itoa(i) + ", title: T, check: {dangling: 0}}\n")
		}
		return b.String()
	}
	tests := []struct {
		name, yaml, want string
	}{
		{"100 tasks", tasks(MaxTasks), ""},
		{"101 tasks", tasks(MaxTasks + 1), "the lesson has 101 tasks; a lesson may have at most 100: split it into two lessons"},
		{"256 KiB", padTo(tasks(1), MaxFileBytes), ""},
		{"256 KiB and a byte", padTo(tasks(1), MaxFileBytes+1), "the file has 262145 bytes; a lesson file may have at most 262144 (256 KiB)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("x.yaml", []byte(tc.yaml), nil)
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("error: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Fatalf("error = %v, want %q", err, tc.want)
			}
		})
	}
}

// padTo fills a YAML text with a comment up to n bytes.
func padTo(s string, n int) string {
	pad := n - len(s) - 2
	return s + "#" + strings.Repeat("x", pad) + "\n"
}

func TestLoadDir(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("mine.yaml", "id: mine\ntitle: Mine\nstarter_dir: ctx\ntasks:\n"+okTask)
	write("ctx/Dockerfile", "FROM alpine:3.20\n")
	write("ctx/app/a.txt", "a\n")
	write("notes.txt", "not a lesson")
	s, err := LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range s.All() {
		ids = append(ids, l.ID)
	}
	if strings.Join(ids, " ") != "docker-images multi-stage mine" {
		t.Errorf("lessons = %v", ids)
	}
	l, _ := s.Get("mine")
	if l.Starter["Dockerfile"] != "FROM alpine:3.20\n" || l.Starter["app/a.txt"] != "a\n" || len(l.Starter) != 2 {
		t.Errorf("starter = %q", l.Starter)
	}

	write("z.yaml", "id: docker-images\ntitle: Again\ntasks:\n"+okTask)
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), `z.yaml: lesson id "docker-images" is already used by builtin/docker-images.yaml: give this lesson another id`) {
		t.Errorf("reused id: err = %v", err)
	}
	os.Remove(filepath.Join(dir, "z.yaml"))
	write("big.yaml", padTo("id: big\ntitle: B\ntasks:\n"+okTask, MaxFileBytes+1))
	if _, err := LoadDir(dir); err == nil || !strings.Contains(err.Error(), "big.yaml: the file has 262145 bytes; a lesson file may have at most 262144") {
		t.Errorf("big file: err = %v", err)
	}
	if _, err := LoadDir(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing folder loaded")
	}
}
