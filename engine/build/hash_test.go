package build_test

import (
	"context"
	"strings"
	"testing"

	"layerlab/engine/build"
	"layerlab/engine/build/buildtest"
)

// TestHashContextIsWhatCopyWrites: HashContext is the hash a build writes into the
// history row of `COPY . /ctx/`, so its benchmark measures the build's own path.
func TestHashContextIsWhatCopyWrites(t *testing.T) {
	tests := []struct {
		name  string
		files []build.File
	}{
		{"one file", []build.File{{Path: "a.txt", Data: []byte("a\n")}}},
		{"nested", []build.File{{Path: "src/app.py", Data: []byte("print(1)\n")}, {Path: "src/lib/x.py", Data: []byte("x = 1\n")}, {Path: "README", Data: []byte("hi")}}},
		{"empty file", []build.File{{Path: "empty"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := append(tt.files, build.File{Path: "Dockerfile", Data: []byte("FROM scratch\nCOPY . /ctx/\n")})
			c, err := build.NewContext(files, "")
			if err != nil {
				t.Fatal(err)
			}
			got, err := build.HashContext(c)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got, "dir:") {
				t.Fatalf("HashContext = %q, want a dir: hash", got)
			}
			res, err := build.New(buildtest.New(), build.StandIns{}).Build(context.Background(), c, build.Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := "/bin/sh -c #(nop) COPY " + got + " in /ctx/ "
			if cb := res.Steps[len(res.Steps)-1].CreatedBy; cb != want {
				t.Errorf("COPY . /ctx/ wrote %q, HashContext says %q", cb, want)
			}
		})
	}
}
