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
		{"engine", "layerlab/engine/...", []string{"layerlab/db", "layerlab/handlers", "layerlab/web", "database/sql", "net/http"}},
		{"db", "layerlab/db/...", []string{"layerlab/handlers", "layerlab/web"}},
		{"web", "layerlab/web/...", []string{"layerlab/handlers", "layerlab/db"}},
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
