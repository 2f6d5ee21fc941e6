package remote_test

import (
	"os/exec"
	"strings"
	"testing"
)

// The registry client sits beside the engine, not inside it: no package of engine/
// or db/ may depend on it (the engine's own import test predates this package).
func TestNothingBelowImportsRemote(t *testing.T) {
	for _, pkgs := range []string{"layerlab/engine/...", "layerlab/db/..."} {
		out, err := exec.Command("go", "list", "-deps", "-test=false", pkgs).CombinedOutput()
		if err != nil {
			t.Fatalf("go list %s: %v\n%s", pkgs, err, out)
		}
		for _, dep := range strings.Fields(string(out)) {
			if dep == "layerlab/remote" || strings.HasPrefix(dep, "layerlab/remote/") {
				t.Errorf("%s depends on %s", pkgs, dep)
			}
		}
	}
}
