package lessons

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestDocExample: the worked example of docs/lessons.md is lessons/testdata/example.yaml,
// byte for byte, and it loads, so the document cannot drift from the code.
func TestDocExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/lessons.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)<!-- example: lessons/testdata/example.yaml -->\n```yaml\n(.*?)```\n").FindSubmatch(doc)
	if m == nil {
		t.Fatal("docs/lessons.md has no example block after <!-- example: lessons/testdata/example.yaml -->")
	}
	file, err := os.ReadFile("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if string(m[1]) != string(file) {
		t.Fatalf("docs/lessons.md's example differs from lessons/testdata/example.yaml:\n%s", m[1])
	}
	l, err := LoadFile("testdata/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Tasks) != 3 {
		t.Fatalf("the example has %d tasks, the document says 3", len(l.Tasks))
	}

	// The example's checks, with the states engine/build gives its Dockerfile.
	instr := []string{"FROM alpine:3.20", "ENV GREETING=hi", `RUN echo "$GREETING" > /greeting.txt`, "COPY notes.txt /notes.txt"}
	first := build("e1", 1, "greet:latest", steps(instr, StateNew, StateNew, StateNew))
	edited := build("e2", 2, "greet:latest", []Step{{Step: 1, Instruction: instr[0], State: StateBase},
		{Step: 2, Instruction: instr[1], State: StateChanged, Reason: "instruction changed (was: ENV GREETING=hello)"},
		{Step: 3, Instruction: instr[2], State: StateDownstream, Reason: "step 2 was rebuilt"},
		{Step: 4, Instruction: instr[3], State: StateDownstream, Reason: "step 2 was rebuilt"}})
	img := Image{ID: "sha256:e", Tags: []string{"greet:latest"}, Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "GREETING=hi"}}
	right := State{Builds: newest(first, edited), Images: []Image{img},
		Commands:    []Command{cmd(3, "docker inspect --format '{{json .Config.Env}}' greet", 0)},
		Predictions: map[string]Prediction{"change-env": Score([]int{2, 3, 4}, edited.Steps)},
		Answers:     map[string]string{"read-env": "hi"}}
	wrong := State{Builds: newest(first), Images: []Image{img}, Answers: map[string]string{"read-env": "hello"}}
	for _, task := range l.Tasks {
		if r := task.Evaluate(&right); !r.Done {
			t.Errorf("%s: right state: not done: %s", task.ID, r.Detail)
		}
		if r := task.Evaluate(&wrong); r.Done && task.ID != "build" {
			t.Errorf("%s: wrong state: done", task.ID)
		}
	}
	if p := right.Predictions["change-env"]; p.Right != 3 || p.Total != 3 {
		t.Errorf("prediction %d/%d, want 3/3", p.Right, p.Total)
	}
}

// TestDocListsEveryKind: docs/lessons.md shows each check and answer kind.
func TestDocListsEveryKind(t *testing.T) {
	doc, err := os.ReadFile("../docs/lessons.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range CheckKinds {
		if !strings.Contains(string(doc), "  "+k+":") {
			t.Errorf("docs/lessons.md has no example of the check kind %q", k)
		}
	}
	for _, k := range ExprKinds {
		if !strings.Contains(string(doc), "{"+k+":") {
			t.Errorf("docs/lessons.md has no example of the answer kind %q", k)
		}
	}
}
