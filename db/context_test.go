package db

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestCleanContextPathRefusesHiddenCharacters(t *testing.T) {
	tests := []struct {
		name string
		path string
		want string // in the error; "" means accepted
	}{
		{name: "plain", path: "app/main.py"},
		{name: "accents and CJK are names", path: "données/日本.txt"},
		{name: "right-to-left override", path: "invoice\u202Egpj.exe", want: "U+202E RIGHT-TO-LEFT OVERRIDE"},
		{name: "left-to-right embedding", path: "a\u202Ab", want: "U+202A LEFT-TO-RIGHT EMBEDDING"},
		{name: "pop directional isolate", path: "a\u2069", want: "U+2069 POP DIRECTIONAL ISOLATE"},
		{name: "first strong isolate in a directory", path: "x\u2068/a", want: "U+2068 FIRST STRONG ISOLATE"},
		{name: "zero width space", path: "Docker\u200Bfile", want: "U+200B ZERO WIDTH SPACE"},
		{name: "zero width joiner", path: "a\u200Db", want: "U+200D ZERO WIDTH JOINER"},
		{name: "byte order mark", path: "\uFEFFDockerfile", want: "U+FEFF ZERO WIDTH NO-BREAK SPACE"},
		{name: "word joiner", path: "a\u2060b", want: "U+2060 WORD JOINER"},
		{name: "tab", path: "a\tb", want: "the control character U+0009"},
		{name: "DEL", path: "a\x7fb", want: "the control character U+007F"},
		{name: "C1 control", path: "a\u0085b", want: "the control character U+0085"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CleanContextPath(tt.path)
			if tt.want == "" {
				if err != nil || got != tt.path {
					t.Fatalf("CleanContextPath(%q) = %q, %v; want it accepted", tt.path, got, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("CleanContextPath(%q) = %q, %v; want ErrInvalid naming %s", tt.path, got, err, tt.want)
			}
			// The file is named, escaped so the message itself shows no trick.
			if strings.ContainsAny(err.Error(), "\u202E\u200B\uFEFF\t") {
				t.Fatalf("the message holds the raw character: %q", err)
			}
		})
	}
}

func TestContextRefusesFileAndDirectoryOfOneName(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		have   []string // stored first
		write  string
		rename string // when set, rename this file to write instead of putting write
		want   []string
	}{
		{name: "file under a file", have: []string{"conf"}, write: "conf/g", want: []string{`"conf/g"`, `"conf" is a file`}},
		{name: "deep file under a file", have: []string{"a/conf"}, write: "a/conf/x/y", want: []string{`"a/conf" is a file`}},
		{name: "file over a directory", have: []string{"conf/g"}, write: "conf", want: []string{`"conf" is a directory`, `"conf/g"`}},
		{name: "sibling with a longer name is fine", have: []string{"conf"}, write: "conf.d/g"},
		{name: "prefix that is not a directory is fine", have: []string{"conf.d/g"}, write: "conf"},
		{name: "replacing the same file is fine", have: []string{"conf/g"}, write: "conf/g"},
		{name: "rename onto a directory", have: []string{"conf/g", "x"}, rename: "x", write: "conf", want: []string{`"conf" is a directory`}},
		{name: "rename under a file", have: []string{"conf", "x"}, rename: "x", write: "conf/x", want: []string{`"conf" is a file`}},
		{name: "rename a file into its own name as a directory", have: []string{"conf"}, rename: "conf", write: "conf/g"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := workspace(t, openStore(t), "ws")
			for _, p := range tt.have {
				if err := w.PutContextFile(ctx, ContextFile{Path: p, Data: []byte(p)}); err != nil {
					t.Fatal(err)
				}
			}
			var err error
			if tt.rename != "" {
				err = w.RenameContextFile(ctx, tt.rename, tt.write)
			} else {
				err = w.PutContextFile(ctx, ContextFile{Path: tt.write})
			}
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("write %s: %v", tt.write, err)
				}
				return
			}
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("write %s: %v, want ErrInvalid", tt.write, err)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not say %s", err, want)
				}
			}
			files, err := w.ContextFiles(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != len(tt.have) {
				t.Errorf("the refused write changed the context: %d files, want %d", len(files), len(tt.have))
			}
		})
	}
}

func TestReplaceContextRefusesFileAndDirectoryAndKeepsTheOld(t *testing.T) {
	ctx := context.Background()
	w := workspace(t, openStore(t), "ws")
	if err := w.PutContextFile(ctx, ContextFile{Path: "Dockerfile"}); err != nil {
		t.Fatal(err)
	}
	err := w.ReplaceContext(ctx, []ContextFile{{Path: "conf"}, {Path: "conf/g"}})
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `"conf" is a file`) {
		t.Fatalf("ReplaceContext: %v, want ErrInvalid naming conf", err)
	}
	files, err := w.ContextFiles(ctx)
	if err != nil || len(files) != 1 || files[0].Path != "Dockerfile" {
		t.Fatalf("context after the refused replace: %v, %v; want the old Dockerfile alone", files, err)
	}
}
