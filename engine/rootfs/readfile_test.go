package rootfs_test

import (
	"errors"
	"testing"

	"layerlab/engine/rootfs"
)

// TestReadFile: an empty file reads as an empty, non-nil slice (never nil with no
// error), a file as its bytes, and a directory or a missing path as an error.
func TestReadFile(t *testing.T) {
	f := rootfs.New()
	if err := f.Put("empty", &rootfs.Entry{Kind: rootfs.KindFile, Mode: 0o644}); err != nil {
		t.Fatal(err)
	}
	if err := f.Put("full", &rootfs.Entry{Kind: rootfs.KindFile, Mode: 0o644, Data: rootfs.Bytes([]byte("hi"))}); err != nil {
		t.Fatal(err)
	}
	if err := f.Put("dir", &rootfs.Entry{Kind: rootfs.KindDir, Mode: 0o755}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		path    string
		want    string
		wantErr error
	}{
		{name: "empty file, no content", path: "/empty", want: ""},
		{name: "file", path: "/full", want: "hi"},
		{name: "directory", path: "/dir", wantErr: rootfs.ErrIsDir},
		{name: "missing", path: "/nope", wantErr: rootfs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := f.ReadFile(tc.path)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("err = %v, want %v", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if b == nil {
				t.Fatal("ReadFile returned nil bytes and no error")
			}
			if string(b) != tc.want {
				t.Errorf("ReadFile = %q, want %q", b, tc.want)
			}
		})
	}
}
