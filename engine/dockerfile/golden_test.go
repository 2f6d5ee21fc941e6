package dockerfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestUpdateFlagIsOff fails while -update is set, so a run that rewrote the golden
// files never passes as a real test run.
func TestUpdateFlagIsOff(t *testing.T) {
	if *update {
		t.Fatal("-update is set: golden files were rewritten; review the diff and run again without -update")
	}
}

// dump renders v as indented JSON for failure messages and golden files.
func dump(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // keep && and > readable in golden files
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return err.Error()
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// goldenView is what a golden file records: the parsed file, or the error.
type goldenView struct {
	Steps    int           `json:"steps,omitempty"`
	Escape   string        `json:"escape,omitempty"`
	MetaArgs []Instruction `json:"meta_args,omitempty"`
	Stages   []Stage       `json:"stages,omitempty"`
	Warnings []Warning     `json:"warnings,omitempty"`
	Error    *Error        `json:"error,omitempty"`
	Is       []string      `json:"is,omitempty"`
}

// minGoldenInputs counts the Dockerfiles in testdata/golden (each with its .golden):
// fewer means inputs went missing, and their checks with them.
const minGoldenInputs = 12

func TestParseGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "golden", "*.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) < minGoldenInputs {
		t.Fatalf("%d golden inputs in testdata/golden, want at least %d", len(inputs), minGoldenInputs)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".Dockerfile")
		t.Run(name, func(t *testing.T) {
			src, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			var v goldenView
			f, err := Parse(src)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("error %v (%T) is not a *Error", err, err)
				}
				v.Error = e
				for _, s := range []error{ErrEmpty, ErrNoStage} {
					if errors.Is(err, s) {
						v.Is = append(v.Is, s.Error())
					}
				}
			} else {
				v = goldenView{Steps: f.Steps, Escape: string(f.Escape), MetaArgs: f.MetaArgs, Stages: f.Stages, Warnings: f.Warnings}
			}
			got := dump(v) + "\n"
			path := strings.TrimSuffix(in, ".Dockerfile") + ".golden"
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -run TestParseGolden -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs from the parse (go test -run TestParseGolden -update rewrites it):\n got:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}
