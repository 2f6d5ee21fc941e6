package engine_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDocNamesEveryPackage: doc.go describes every package under engine, so a new one
// that is not explained there fails here.
func TestDocNamesEveryPackage(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	pkgs := map[string]bool{}
	err = filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != "." {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") && filepath.Dir(p) != "." {
			pkgs[filepath.ToSlash(filepath.Dir(p))] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("found %d packages under engine, want at least 10: is the walk broken?", len(pkgs))
	}
	for p := range pkgs {
		// A package has an item of its own ("//   - name ..."); a sub-package is named by
		// its path within its parent's item (image/validate, build/buildtest).
		want := "//   - " + p + " "
		if strings.Contains(p, "/") {
			want = " " + p + " "
		}
		if !strings.Contains(string(doc), want) {
			t.Errorf("engine/doc.go does not describe package engine/%s (no %q)", p, want)
		}
	}
}
