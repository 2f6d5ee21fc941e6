package web

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// minTemplates counts the .templ files of this package, each checked below.
const minTemplates = 5

// TestGeneratedFresh fails when a *_templ.go file is not what `go tool templ generate`
// makes of its .templ file now (someone edited a template and did not regenerate).
func TestGeneratedFresh(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the templ generator")
	}
	tmp := t.TempDir()
	templs, err := filepath.Glob("*.templ")
	if err != nil || len(templs) < minTemplates {
		t.Fatalf("%d templates, want at least %d: %v", len(templs), minTemplates, err)
	}
	for _, f := range templs {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tmp, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("go", "tool", "templ", "generate", "-path", tmp)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("templ generate: %v\n%s", err, out)
	}
	for _, f := range templs {
		gen := strings.TrimSuffix(f, ".templ") + "_templ.go"
		want, err := os.ReadFile(filepath.Join(tmp, gen))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(gen)
		if err != nil {
			t.Fatalf("%s is missing: run go tool templ generate -path web", gen)
		}
		if string(got) != string(want) {
			t.Errorf("%s is stale: run go tool templ generate -path web", gen)
		}
	}
}
