package examples

import (
	"os"
	"path/filepath"
	"testing"
)

// Every example served by the playground is byte for byte the directory on disk that
// the README builds with `layerlab build`.
func TestFilesMatchDisk(t *testing.T) {
	for _, e := range All {
		t.Run(e.Dir, func(t *testing.T) {
			files, ok := Files(e.Dir)
			if !ok {
				t.Fatalf("Files(%q): unknown", e.Dir)
			}
			got := map[string]string{}
			for _, f := range files {
				got[f.Path] = string(f.Data)
			}
			want := map[string]string{}
			err := filepath.WalkDir(e.Dir, func(p string, d os.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				b, err := os.ReadFile(p)
				rel, _ := filepath.Rel(e.Dir, p)
				want[filepath.ToSlash(rel)] = string(b)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("embedded %d files, disk has %d", len(got), len(want))
			}
			for p, w := range want {
				if got[p] != w {
					t.Errorf("%s: embedded copy differs from the file on disk", p)
				}
			}
		})
	}
	if _, ok := Files("nope"); ok {
		t.Error("Files(nope) should be unknown")
	}
}
