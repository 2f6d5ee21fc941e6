package engine_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestImportDirection turns DESIGN.md's layering into a test: the engine imports
// nothing of db, handlers or web; db imports no handlers or web; only cmd and e2e
// import handlers.
func TestImportDirection(t *testing.T) {
	tests := []struct {
		name      string
		pkgs      string
		forbidden []string
	}{
		{"engine", "layerlab/engine/...", []string{"layerlab/db", "layerlab/handlers", "layerlab/web", "layerlab/remote"}},
		{"db", "layerlab/db/...", []string{"layerlab/handlers", "layerlab/web"}},
		{"web", "layerlab/web/...", []string{"layerlab/handlers", "layerlab/db"}},
		// A lesson is checked from plain values: the package is a leaf of the module.
		{"lessons", "layerlab/lessons/...", []string{"layerlab/engine", "layerlab/db", "layerlab/handlers", "layerlab/web", "layerlab/remote", "layerlab/hub", "layerlab/internal", "layerlab/examples", "net/http", "database/sql"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", "-test=false", tc.pkgs).CombinedOutput()
			if err != nil {
				// A pattern that matches nothing checks nothing: fail, do not skip.
				t.Fatalf("go list: %v\n%s", err, out)
			}
			for _, dep := range strings.Fields(string(out)) {
				for _, f := range tc.forbidden {
					if dep == f || strings.HasPrefix(dep, f+"/") {
						t.Errorf("%s depends on %s", tc.pkgs, dep)
					}
				}
			}
		})
	}
}

// TestOnlyCmdImportsHandlers: handlers is joined to the rest in cmd (and driven from
// e2e); no other package of the module may import it.
// TestEngineDoesNoHTTPOrSQL: no package of the engine imports net/http or
// database/sql itself, nor through another layerlab package. (A third-party module
// may link them for helpers of its own that the engine does not call, as
// andybalholm/brotli's HTTP compressor does; TestImportDirection checks only the
// layerlab packages for those two.)
func TestEngineDoesNoHTTPOrSQL(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-test=false", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "layerlab/engine/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "layerlab/") {
			continue
		}
		checked++
		for _, imp := range f[1:] {
			if imp == "net/http" || strings.HasPrefix(imp, "net/http/") || imp == "database/sql" {
				t.Errorf("%s imports %s", f[0], imp)
			}
		}
	}
	if checked < 20 {
		t.Fatalf("checked %d layerlab packages, want the engine's 20+", checked)
	}
}

func TestOnlyCmdImportsHandlers(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Imports " "}}`, "layerlab/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "layerlab/cmd/") || strings.HasPrefix(f[0], "layerlab/e2e") {
			continue
		}
		for _, imp := range f[1:] {
			if imp == "layerlab/handlers" {
				t.Errorf("%s imports layerlab/handlers: only cmd and e2e may", f[0])
			}
		}
	}
}
