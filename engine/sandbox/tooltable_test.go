package sandbox

import (
	"strings"
	"testing"

	"layerlab/engine/rootfs"
)

// buildToolCase is one row of a build tool's table test: files written into an image, a
// script run in dir, and what must come of it.
type buildToolCase struct {
	name   string
	image  func(testing.TB) *rootfs.FS // nil: the table's image
	files  map[string]string
	script string
	code   int      // the script's exit status
	want   []string // substrings of the output
	exists []string // files the script must have written
	absent []string // files it must not have written
}

// runBuildToolCases runs each case on a fresh image (the case's, else image) with dir made,
// under env.
func runBuildToolCases(t *testing.T, image func(testing.TB) *rootfs.FS, dir string, env func(*Options), tests []buildToolCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img := tc.image
			if img == nil {
				img = image
			}
			f := img(t)
			f.MkdirAll(dir, 0o755, 0, 0, testNow)
			for p, c := range tc.files {
				put(t, f, p, c, 0o644)
			}
			r := run(t, f, tc.script, env)
			if r.code != tc.code || r.err != nil {
				t.Fatalf("exit %d (want %d), %v\n%s", r.code, tc.code, r.err, r.out)
			}
			for _, w := range tc.want {
				if !strings.Contains(r.out, w) {
					t.Errorf("output lacks %q:\n%s", w, r.out)
				}
			}
			for _, p := range tc.exists {
				if _, _, err := f.Stat(p); err != nil {
					t.Errorf("%s missing\n%s", p, r.out)
				}
			}
			for _, p := range tc.absent {
				if _, _, err := f.Stat(p); err == nil {
					t.Errorf("%s written", p)
				}
			}
		})
	}
}
