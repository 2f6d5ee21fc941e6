package lesson

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"layerlab/internal/testenv"
)

const list = "../testdata/lesson.txt"

// TestListIsTheLesson: the list names the lesson's commands in its order (CI has the
// lesson; elsewhere the test skips when it is absent).
func TestListIsTheLesson(t *testing.T) {
	steps, found, err := Steps(list, SeedPath("."))
	if err != nil {
		t.Fatal(err)
	}
	testenv.Need(t, found, "the lesson's text is not at ../"+SeedFile)
	n := 0
	for _, s := range steps {
		if s.Lesson {
			n++
		}
	}
	// 2 synopses without operands (image ls, images) and the lesson's 11 examples.
	if n != 13 {
		t.Errorf("%d of the lesson's commands listed, want 13", n)
	}
}

func TestExtract(t *testing.T) {
	text := "List all images:\n- docker image ls [OPTIONS] - docker images [OPTIONS]\n" +
		"- docker image build [OPTIONS] PATH - docker build [OPTIONS] PATH\nExamples:\n-\ndocker image build .\n" +
		"- Dockerfile in the same directory\ndocker image rm -f nginx:1.1\nRemove unused images:\n  docker image prune\n"
	got := strings.Join(Extract(text), "|")
	want := "docker image ls|docker images|docker image build .|docker image rm -f nginx:1.1|docker image prune"
	if got != want {
		t.Errorf("Extract = %q, want %q", got, want)
	}
}

// TestStepsRefusesADriftedList: a list that lacks one of the lesson's commands, or
// has one the lesson does not show, fails.
func TestStepsRefusesADriftedList(t *testing.T) {
	dir := t.TempDir()
	seed := filepath.Join(dir, "seed.txt")
	if err := os.WriteFile(seed, []byte("Examples:\ndocker image ls\ndocker image prune\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, list string
		ok         bool
	}{
		{"the same", "$ docker image ls\n+ docker tag a b\n$ docker image prune\n", true},
		{"one missing", "$ docker image ls\n+ docker image prune\n", false},
		{"one more", "$ docker image ls\n$ docker image prune\n$ docker images\n", false},
		{"another order", "$ docker image prune\n$ docker image ls\n", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := filepath.Join(dir, "list.txt")
			if err := os.WriteFile(f, []byte(tc.list), 0o644); err != nil {
				t.Fatal(err)
			}
			_, found, err := Steps(f, seed)
			if !found || (err == nil) != tc.ok {
				t.Errorf("Steps: found %v, err %v; want ok %v", found, err, tc.ok)
			}
		})
	}
}

func TestCheck(t *testing.T) {
	step := Step{Cmd: "docker x", Exit: 1, Lines: []Expect{{Text: `^a {prog} \d+$`}, {Exact: true, Text: "in {cwd}"}}}
	tests := []struct {
		name   string
		output string
		exit   int
		ok     bool
	}{
		{"matches in order", "a docker 12\nnoise\nin /playground\n", 1, true},
		{"wrong exit", "a docker 12\nin /playground\n", 0, false},
		{"out of order", "in /playground\na docker 12\n", 1, false},
		{"placeholder is literal", "a layerlab 12\nin /playground\n", 1, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := step.Check(tc.output, tc.exit, "docker", "/playground"); (err == nil) != tc.ok {
				t.Errorf("Check = %v, want ok %v", err, tc.ok)
			}
		})
	}
	exact := Step{Exit: 0, Lines: []Expect{{Exact: true, Text: "one"}, {Exact: true, Text: ""}, {Exact: true, Text: "two"}}}
	if err := exact.Check("one\n\ntwo\n", 0, "docker", ""); err != nil {
		t.Errorf("exact: %v", err)
	}
	if err := exact.Check("one\n\ntwo\nthree\n", 0, "docker", ""); err == nil {
		t.Error("exact: an extra line passed")
	}
}
