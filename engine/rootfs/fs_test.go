package rootfs_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"layerlab/engine/rootfs"
)

// mt is the fixed mtime of test entries: whole seconds, so it survives a tar round trip.
var mt = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

// fsBuilder builds a snapshot from a compact description, failing the test on any error.
type fsBuilder struct {
	tb testing.TB
	f  *rootfs.FS
}

func build(tb testing.TB) *fsBuilder {
	tb.Helper()
	return &fsBuilder{tb: tb, f: rootfs.New()}
}

func (b *fsBuilder) dir(p string) *fsBuilder {
	b.tb.Helper()
	if err := b.f.MkdirAll(p, 0o755, 0, 0, mt); err != nil {
		b.tb.Fatalf("mkdir %s: %v", p, err)
	}
	return b
}

func (b *fsBuilder) file(p, data string) *fsBuilder {
	b.tb.Helper()
	return b.fileMode(p, data, 0o644)
}

func (b *fsBuilder) fileMode(p, data string, mode fs.FileMode) *fsBuilder {
	b.tb.Helper()
	b.parent(p)
	if err := b.f.WriteFile(p, rootfs.Bytes(data), mode, 0, 0, mt); err != nil {
		b.tb.Fatalf("write %s: %v", p, err)
	}
	return b
}

func (b *fsBuilder) parent(p string) {
	b.tb.Helper()
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		b.dir(p[:i])
	}
}

func (b *fsBuilder) symlink(p, target string) *fsBuilder {
	b.tb.Helper()
	b.parent(p)
	putSymlink(b.tb, b.f, p, target)
	return b
}

func (b *fsBuilder) hardlink(p, target string) *fsBuilder {
	b.tb.Helper()
	b.parent(p)
	putHardlink(b.tb, b.f, p, target)
	return b
}

func putSymlink(tb testing.TB, f *rootfs.FS, p, target string) {
	tb.Helper()
	k, err := f.ResolveParent(p)
	if err != nil {
		tb.Fatalf("symlink %s: %v", p, err)
	}
	if err := f.Put(k, &rootfs.Entry{Kind: rootfs.KindSymlink, Mode: 0o777, ModTime: mt, Linkname: target}); err != nil {
		tb.Fatalf("symlink %s: %v", p, err)
	}
}

// putHardlink links p to the file target the way the sandbox's ln does.
func putHardlink(tb testing.TB, f *rootfs.FS, p, target string) {
	tb.Helper()
	te, tk, err := f.Stat(target)
	if err != nil {
		tb.Fatalf("link %s: %v", p, err)
	}
	if orig, ok := f.Lookup(tk); ok && orig.Kind == rootfs.KindHardlink {
		tk = orig.Linkname
	}
	k, err := f.ResolveParent(p)
	if err != nil {
		tb.Fatalf("link %s: %v", p, err)
	}
	e := &rootfs.Entry{Kind: rootfs.KindHardlink, Linkname: tk, Mode: te.Mode, UID: te.UID, GID: te.GID, ModTime: te.ModTime}
	if err := f.Put(k, e); err != nil {
		tb.Fatalf("link %s: %v", p, err)
	}
}

func readString(t *testing.T, f *rootfs.FS, p string) string {
	t.Helper()
	b, err := f.ReadFile(p)
	if err != nil {
		t.Fatalf("ReadFile(%q): %v", p, err)
	}
	return string(b)
}

func wantFile(t *testing.T, f *rootfs.FS, p, want string) {
	t.Helper()
	if got := readString(t, f, p); got != want {
		t.Errorf("ReadFile(%q) = %q, want %q", p, got, want)
	}
}

func wantKeys(t *testing.T, f *rootfs.FS, want ...string) {
	t.Helper()
	if got := f.Keys(); !slices.Equal(got, want) {
		t.Errorf("Keys() = %q, want %q", got, want)
	}
}

func TestFSOperations(t *testing.T) {
	base := func(t *testing.T) *rootfs.FS {
		return build(t).file("etc/passwd", "root").file("d/x", "x").file("d/sub/y", "y").dir("empty").f
	}
	tests := []struct {
		name    string
		op      func(f *rootfs.FS) error
		wantErr error
		check   func(t *testing.T, f *rootfs.FS)
	}{
		{
			name: "write then read",
			op: func(f *rootfs.FS) error {
				return f.WriteFile("/d/new.txt", rootfs.Bytes("hello"), 0o600, 1000, 1001, mt)
			},
			check: func(t *testing.T, f *rootfs.FS) {
				wantFile(t, f, "/d/new.txt", "hello")
				e, _ := f.Lookup("d/new.txt")
				if e.Kind != rootfs.KindFile || e.Mode != 0o600 || e.UID != 1000 || e.GID != 1001 || !e.ModTime.Equal(mt) {
					t.Errorf("entry = %+v", e)
				}
			},
		},
		{
			name: "rewrite keeps mode and owner of the existing file",
			op: func(f *rootfs.FS) error {
				return f.WriteFile("etc/passwd", rootfs.Bytes("new"), 0o777, 5, 5, mt.Add(time.Hour))
			},
			check: func(t *testing.T, f *rootfs.FS) {
				wantFile(t, f, "/etc/passwd", "new")
				e, _ := f.Lookup("etc/passwd")
				if e.Mode != 0o644 || e.UID != 0 || e.GID != 0 || !e.ModTime.Equal(mt.Add(time.Hour)) {
					t.Errorf("entry = %+v, want mode 0644 root:root and the new mtime", e)
				}
			},
		},
		{
			name:    "write into a missing directory",
			op:      func(f *rootfs.FS) error { return f.WriteFile("/nope/f", rootfs.Bytes("x"), 0o644, 0, 0, mt) },
			wantErr: rootfs.ErrNotExist,
		},
		{
			name:    "write over a directory",
			op:      func(f *rootfs.FS) error { return f.WriteFile("/d", rootfs.Bytes("x"), 0o644, 0, 0, mt) },
			wantErr: rootfs.ErrIsDir,
		},
		{
			name:    "write below a file",
			op:      func(f *rootfs.FS) error { return f.WriteFile("/etc/passwd/x", rootfs.Bytes("x"), 0o644, 0, 0, mt) },
			wantErr: rootfs.ErrNotDir,
		},
		{
			name: "read a directory",
			op: func(f *rootfs.FS) error {
				_, err := f.ReadFile("/d")
				return err
			},
			wantErr: rootfs.ErrIsDir,
		},
		{
			name: "read a missing file",
			op: func(f *rootfs.FS) error {
				_, err := f.ReadFile("/d/missing")
				return err
			},
			wantErr: rootfs.ErrNotExist,
		},
		{
			name: "mkdirall creates parents with the given attributes",
			op:   func(f *rootfs.FS) error { return f.MkdirAll("/a/b/c", 0o700, 7, 8, mt) },
			check: func(t *testing.T, f *rootfs.FS) {
				for _, k := range []string{"a", "a/b", "a/b/c"} {
					e, ok := f.Lookup(k)
					if !ok || e.Kind != rootfs.KindDir || e.Mode != 0o700 || e.UID != 7 || e.GID != 8 {
						t.Errorf("Lookup(%q) = %+v, %v", k, e, ok)
					}
				}
			},
		},
		{
			name: "mkdirall of an existing directory changes nothing",
			op:   func(f *rootfs.FS) error { return f.MkdirAll("/d/sub/", 0o700, 7, 8, mt) },
			check: func(t *testing.T, f *rootfs.FS) {
				if e, _ := f.Lookup("d/sub"); e.Mode != 0o755 || e.UID != 0 {
					t.Errorf("d/sub changed: %+v", e)
				}
			},
		},
		{
			name:    "mkdirall through a file",
			op:      func(f *rootfs.FS) error { return f.MkdirAll("/etc/passwd/x", 0o755, 0, 0, mt) },
			wantErr: rootfs.ErrNotDir,
		},
		{
			name: "remove a file",
			op:   func(f *rootfs.FS) error { return f.Remove("/d/x") },
			check: func(t *testing.T, f *rootfs.FS) {
				wantKeys(t, f, "", "d", "d/sub", "d/sub/y", "empty", "etc", "etc/passwd")
			},
		},
		{
			name: "remove an empty directory",
			op:   func(f *rootfs.FS) error { return f.Remove("empty") },
			check: func(t *testing.T, f *rootfs.FS) {
				wantKeys(t, f, "", "d", "d/sub", "d/sub/y", "d/x", "etc", "etc/passwd")
			},
		},
		{
			name:    "remove a non-empty directory",
			op:      func(f *rootfs.FS) error { return f.Remove("/d") },
			wantErr: rootfs.ErrNotEmpty,
		},
		{
			name:    "remove a missing file",
			op:      func(f *rootfs.FS) error { return f.Remove("/d/nope") },
			wantErr: rootfs.ErrNotExist,
		},
		{
			name:    "remove the root",
			op:      func(f *rootfs.FS) error { return f.Remove("/") },
			wantErr: rootfs.ErrInvalid,
		},
		{
			name:  "removeall a subtree",
			op:    func(f *rootfs.FS) error { return f.RemoveAll("/d") },
			check: func(t *testing.T, f *rootfs.FS) { wantKeys(t, f, "", "empty", "etc", "etc/passwd") },
		},
		{
			name:  "removeall of a missing path is not an error",
			op:    func(f *rootfs.FS) error { return f.RemoveAll("/nope/deeper") },
			check: func(t *testing.T, f *rootfs.FS) { wantKeys(t, f, base(t).Keys()...) },
		},
		{
			name:  "removeall of the root empties it",
			op:    func(f *rootfs.FS) error { return f.RemoveAll("/") },
			check: func(t *testing.T, f *rootfs.FS) { wantKeys(t, f, "") },
		},
		{
			name: "rename a file",
			op:   func(f *rootfs.FS) error { return f.Rename("/d/x", "/empty/x2") },
			check: func(t *testing.T, f *rootfs.FS) {
				wantFile(t, f, "/empty/x2", "x")
				if _, ok := f.Lookup("d/x"); ok {
					t.Error("d/x still exists")
				}
			},
		},
		{
			name: "rename a directory moves its subtree",
			op:   func(f *rootfs.FS) error { return f.Rename("/d", "/moved") },
			check: func(t *testing.T, f *rootfs.FS) {
				wantKeys(t, f, "", "empty", "etc", "etc/passwd", "moved", "moved/sub", "moved/sub/y", "moved/x")
				wantFile(t, f, "/moved/sub/y", "y")
			},
		},
		{
			name: "rename replaces a file",
			op:   func(f *rootfs.FS) error { return f.Rename("/d/x", "/etc/passwd") },
			check: func(t *testing.T, f *rootfs.FS) {
				wantFile(t, f, "/etc/passwd", "x")
			},
		},
		{
			name:    "rename over a non-empty directory",
			op:      func(f *rootfs.FS) error { return f.Rename("/etc/passwd", "/d") },
			wantErr: rootfs.ErrNotEmpty,
		},
		{
			name:    "rename a directory into itself",
			op:      func(f *rootfs.FS) error { return f.Rename("/d", "/d/sub/d") },
			wantErr: rootfs.ErrInvalid,
		},
		{
			name:    "rename into a missing directory",
			op:      func(f *rootfs.FS) error { return f.Rename("/d/x", "/nope/x") },
			wantErr: rootfs.ErrNotExist,
		},
		{
			name:    "rename a missing file",
			op:      func(f *rootfs.FS) error { return f.Rename("/d/nope", "/x") },
			wantErr: rootfs.ErrNotExist,
		},
		{
			name: "readdir lists sorted names",
			op:   func(f *rootfs.FS) error { return f.WriteFile("/d/a", rootfs.Bytes(""), 0o644, 0, 0, mt) },
			check: func(t *testing.T, f *rootfs.FS) {
				got, err := f.ReadDir("/d")
				if err != nil || !slices.Equal(got, []string{"a", "sub", "x"}) {
					t.Errorf("ReadDir(/d) = %q, %v", got, err)
				}
				got, err = f.ReadDir("/")
				if err != nil || !slices.Equal(got, []string{"d", "empty", "etc"}) {
					t.Errorf("ReadDir(/) = %q, %v", got, err)
				}
				got, err = f.ReadDir("/empty")
				if err != nil || len(got) != 0 {
					t.Errorf("ReadDir(/empty) = %q, %v", got, err)
				}
			},
		},
		{
			name: "readdir of a file",
			op: func(f *rootfs.FS) error {
				_, err := f.ReadDir("/etc/passwd")
				return err
			},
			wantErr: rootfs.ErrNotDir,
		},
		{
			name: "readdir sees a file created after a previous readdir",
			op: func(f *rootfs.FS) error {
				if _, err := f.ReadDir("/empty"); err != nil {
					return err
				}
				return f.WriteFile("/empty/new", rootfs.Bytes("n"), 0o644, 0, 0, mt)
			},
			check: func(t *testing.T, f *rootfs.FS) {
				if got, _ := f.ReadDir("/empty"); !slices.Equal(got, []string{"new"}) {
					t.Errorf("ReadDir(/empty) = %q, want [new]", got)
				}
			},
		},
		{
			name: "keys are in tar order",
			op: func(f *rootfs.FS) error {
				return f.WriteFile("/d.txt", rootfs.Bytes(""), 0o644, 0, 0, mt)
			},
			check: func(t *testing.T, f *rootfs.FS) {
				// "d/..." sorts before "d.txt": a directory's contents follow it directly.
				wantKeys(t, f, "", "d", "d/sub", "d/sub/y", "d/x", "d.txt", "empty", "etc", "etc/passwd")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base(t)
			before := f.Clone()
			err := tt.op(f)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.check != nil {
				tt.check(t, f)
			}
			// The snapshot taken before the operation is never affected by it.
			wantKeys(t, before, base(t).Keys()...)
			wantFile(t, before, "/etc/passwd", "root")
		})
	}
}

func TestPathErrorNamesThePath(t *testing.T) {
	f := build(t).file("etc/passwd", "root").f
	tests := []struct {
		name string
		op   func() error
		want string
	}{
		{name: "stat", op: func() error { _, _, err := f.Stat("/nope"); return err }, want: "/nope"},
		{name: "lstat", op: func() error { _, _, err := f.Lstat("/nope"); return err }, want: "/nope"},
		{name: "read", op: func() error { _, err := f.ReadFile("/nope"); return err }, want: "/nope"},
		{name: "missing parent", op: func() error { _, err := f.ReadFile("/nope/x"); return err }, want: "/nope/x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pe *fs.PathError
			if err := tt.op(); !errors.As(err, &pe) || pe.Path != tt.want {
				t.Errorf("err = %v, want a *PathError for %q", err, tt.want)
			}
		})
	}
}

func TestSymlinks(t *testing.T) {
	base := func(t *testing.T) *rootfs.FS {
		return build(t).
			file("etc/passwd", "root:x:0:0").
			dir("usr/bin").
			file("usr/bin/env", "env").
			symlink("bin", "usr/bin").
			symlink("abs", "/etc/passwd").
			symlink("usr/abs", "/etc/passwd").
			symlink("usr/rel", "../etc/passwd").
			symlink("up", "../../..").
			symlink("usr/up", "../../../../etc").
			symlink("etcdir", "/etc").
			symlink("dangling", "/etc/shadow").
			symlink("loop1", "loop2").
			symlink("loop2", "/loop1").
			symlink("self", "self").
			f
	}
	tests := []struct {
		name     string
		path     string
		want     string // content read, or the resolved key with resolve
		resolve  bool
		wantErr  error
		wantKind rootfs.Kind // for lstat
		lstat    bool
	}{
		{name: "absolute link resolves inside the root", path: "/abs", want: "root:x:0:0"},
		{name: "absolute link from a subdirectory", path: "/usr/abs", want: "root:x:0:0"},
		{name: "relative link", path: "/usr/rel", want: "root:x:0:0"},
		{name: "link to a directory as a parent", path: "/bin/env", want: "env"},
		{name: "dotdot link stays at the root", path: "/up/etc/passwd", want: "root:x:0:0"},
		{name: "dotdot link resolves to the root", path: "/up", want: "", resolve: true},
		{name: "deep dotdot link from a subdirectory", path: "/usr/up/passwd", want: "root:x:0:0"},
		{name: "dotdot in the path stays at the root", path: "/../../../etc/passwd", want: "root:x:0:0"},
		{name: "dotdot after a link", path: "/up/../../up/etc/passwd", want: "root:x:0:0"},
		{name: "relative path is taken from the root", path: "etc/passwd", want: "root:x:0:0"},
		{name: "resolve follows every link", path: "/etcdir/passwd", want: "etc/passwd", resolve: true},
		{name: "dangling link resolves to its target key", path: "/dangling", want: "etc/shadow", resolve: true},
		{name: "dangling link reads as missing", path: "/dangling", wantErr: rootfs.ErrNotExist},
		{name: "two-link loop", path: "/loop1", wantErr: rootfs.ErrLoop},
		{name: "self loop", path: "/self", wantErr: rootfs.ErrLoop},
		{name: "loop as a parent", path: "/self/x", wantErr: rootfs.ErrLoop},
		{name: "loop resolve", path: "/loop2", wantErr: rootfs.ErrLoop, resolve: true},
		{name: "lstat does not follow the last link", path: "/abs", lstat: true, wantKind: rootfs.KindSymlink},
		{name: "lstat follows parent links", path: "/bin/env", lstat: true, wantKind: rootfs.KindFile},
		{name: "lstat of a loop is the link", path: "/self", lstat: true, wantKind: rootfs.KindSymlink},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base(t)
			var got string
			var err error
			switch {
			case tt.lstat:
				var e *rootfs.Entry
				e, _, err = f.Lstat(tt.path)
				if err == nil && e.Kind != tt.wantKind {
					t.Errorf("Lstat(%q).Kind = %v, want %v", tt.path, e.Kind, tt.wantKind)
				}
			case tt.resolve:
				got, err = f.Resolve(tt.path)
			default:
				var b []byte
				b, err = f.ReadFile(tt.path)
				got = string(b)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !tt.lstat && got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestSymlinkLimit(t *testing.T) {
	tests := []struct {
		name    string
		links   int
		wantErr error
	}{
		{name: "40 links resolve (the Linux limit)", links: 40},
		{name: "41 links are a loop", links: 41, wantErr: rootfs.ErrLoop},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := build(t).file("target", "end").f
			for i := 0; i < tt.links; i++ {
				next := fmt.Sprintf("/l%d", i+1)
				if i == tt.links-1 {
					next = "/target"
				}
				putSymlink(t, f, fmt.Sprintf("l%d", i), next)
			}
			got, err := f.ReadFile("/l0")
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if err == nil && string(got) != "end" {
				t.Errorf("got %q", got)
			}
		})
	}
}

func TestSymlinkWrites(t *testing.T) {
	tests := []struct {
		name  string
		op    func(f *rootfs.FS) error
		check func(t *testing.T, f *rootfs.FS)
	}{
		{
			name: "write through a dangling absolute link creates its target",
			op: func(f *rootfs.FS) error {
				return f.WriteFile("/dangling", rootfs.Bytes("secret"), 0o600, 0, 0, mt)
			},
			check: func(t *testing.T, f *rootfs.FS) {
				wantFile(t, f, "/etc/shadow", "secret")
				if e, _ := f.Lookup("dangling"); e.Kind != rootfs.KindSymlink {
					t.Errorf("the link itself was replaced: %+v", e)
				}
			},
		},
		{
			name: "write through a dotdot link lands inside the root",
			op: func(f *rootfs.FS) error {
				return f.WriteFile("/up/etc/evil", rootfs.Bytes("x"), 0o644, 0, 0, mt)
			},
			check: func(t *testing.T, f *rootfs.FS) { wantFile(t, f, "/etc/evil", "x") },
		},
		{
			name: "mkdirall through a directory link",
			op:   func(f *rootfs.FS) error { return f.MkdirAll("/etcdir/sub", 0o755, 0, 0, mt) },
			check: func(t *testing.T, f *rootfs.FS) {
				if e, ok := f.Lookup("etc/sub"); !ok || !e.IsDir() {
					t.Errorf("etc/sub = %+v, %v", e, ok)
				}
			},
		},
		{
			name: "remove deletes the link, not its target",
			op:   func(f *rootfs.FS) error { return f.Remove("/abs") },
			check: func(t *testing.T, f *rootfs.FS) {
				wantFile(t, f, "/etc/passwd", "root")
				if _, ok := f.Lookup("abs"); ok {
					t.Error("abs still exists")
				}
			},
		},
		{
			name: "removeall of a directory link keeps the directory",
			op:   func(f *rootfs.FS) error { return f.RemoveAll("/etcdir") },
			check: func(t *testing.T, f *rootfs.FS) {
				wantFile(t, f, "/etc/passwd", "root")
			},
		},
		{
			name: "rename moves the link, not its target",
			op:   func(f *rootfs.FS) error { return f.Rename("/abs", "/abs2") },
			check: func(t *testing.T, f *rootfs.FS) {
				if e, _ := f.Lookup("abs2"); e == nil || e.Kind != rootfs.KindSymlink {
					t.Errorf("abs2 = %+v", e)
				}
				wantFile(t, f, "/abs2", "root")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := build(t).file("etc/passwd", "root").
				symlink("abs", "/etc/passwd").symlink("up", "../../..").
				symlink("etcdir", "/etc").symlink("dangling", "/etc/shadow").f
			if err := tt.op(f); err != nil {
				t.Fatal(err)
			}
			tt.check(t, f)
		})
	}
}

// Under chroot, ".." after a symlink goes to the parent of the link's target
// (the kernel walks the path physically), not back to where the link was.
func TestSymlinkDotDotIsPhysical(t *testing.T) {
	f := build(t).dir("usr/bin").file("usr/etc/x", "physical").file("etc/x", "lexical").
		symlink("bin", "usr/bin").f
	wantFile(t, f, "/bin/../etc/x", "physical")
}

func TestHardlinks(t *testing.T) {
	base := func(t *testing.T) *rootfs.FS {
		return build(t).fileMode("d/first", "shared", 0o755).
			hardlink("d/second", "/d/first").
			hardlink("other/third", "/d/second"). // a link to a link names the file
			f
	}
	tests := []struct {
		name  string
		op    func(f *rootfs.FS) error
		check func(t *testing.T, f *rootfs.FS)
	}{
		{
			name: "every name reads the content",
			op:   func(*rootfs.FS) error { return nil },
			check: func(t *testing.T, f *rootfs.FS) {
				for _, p := range []string{"/d/first", "/d/second", "/other/third"} {
					wantFile(t, f, p, "shared")
				}
				if e, _ := f.Lookup("other/third"); e.Linkname != "d/first" {
					t.Errorf("third links to %q, want d/first", e.Linkname)
				}
				e, k, err := f.Stat("/d/second")
				if err != nil || k != "d/second" || e.Kind != rootfs.KindFile || e.Mode != 0o755 || e.Size() != 6 {
					t.Errorf("Stat(/d/second) = %+v, %q, %v", e, k, err)
				}
			},
		},
		{
			name: "removing the first name promotes the next",
			op:   func(f *rootfs.FS) error { return f.Remove("/d/first") },
			check: func(t *testing.T, f *rootfs.FS) {
				wantKeys(t, f, "", "d", "d/second", "other", "other/third")
				if e, _ := f.Lookup("d/second"); e.Kind != rootfs.KindFile {
					t.Errorf("d/second = %+v, want the file", e)
				}
				if e, _ := f.Lookup("other/third"); e.Kind != rootfs.KindHardlink || e.Linkname != "d/second" {
					t.Errorf("other/third = %+v, want a link to d/second", e)
				}
				wantFile(t, f, "/d/second", "shared")
				wantFile(t, f, "/other/third", "shared")
			},
		},
		{
			name: "removing every name but one leaves a plain file",
			op: func(f *rootfs.FS) error {
				if err := f.Remove("/d/first"); err != nil {
					return err
				}
				return f.Remove("/d/second")
			},
			check: func(t *testing.T, f *rootfs.FS) {
				if e, _ := f.Lookup("other/third"); e.Kind != rootfs.KindFile {
					t.Errorf("other/third = %+v, want the file", e)
				}
				wantFile(t, f, "/other/third", "shared")
			},
		},
		{
			name: "removing a second name keeps the file",
			op:   func(f *rootfs.FS) error { return f.Remove("/d/second") },
			check: func(t *testing.T, f *rootfs.FS) {
				wantFile(t, f, "/d/first", "shared")
				wantFile(t, f, "/other/third", "shared")
			},
		},
		{
			name: "removeall of the directory holding the file promotes a link outside it",
			op:   func(f *rootfs.FS) error { return f.RemoveAll("/d") },
			check: func(t *testing.T, f *rootfs.FS) {
				wantKeys(t, f, "", "other", "other/third")
				if e, _ := f.Lookup("other/third"); e.Kind != rootfs.KindFile {
					t.Errorf("other/third = %+v, want the file", e)
				}
				wantFile(t, f, "/other/third", "shared")
			},
		},
		{
			name: "renaming the file's directory moves the links' target",
			op:   func(f *rootfs.FS) error { return f.Rename("/d", "/moved") },
			check: func(t *testing.T, f *rootfs.FS) {
				if e, _ := f.Lookup("other/third"); e.Linkname != "moved/first" {
					t.Errorf("other/third links to %q, want moved/first", e.Linkname)
				}
				wantFile(t, f, "/other/third", "shared")
				wantFile(t, f, "/moved/second", "shared")
			},
		},
		{
			name: "writing the first name changes every name",
			op: func(f *rootfs.FS) error {
				return f.WriteFile("/d/first", rootfs.Bytes("changed"), 0o644, 0, 0, mt)
			},
			check: func(t *testing.T, f *rootfs.FS) {
				wantFile(t, f, "/d/second", "changed")
				wantFile(t, f, "/other/third", "changed")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := base(t)
			if err := tt.op(f); err != nil {
				t.Fatal(err)
			}
			tt.check(t, f)
		})
	}
}

func TestHardlinkBugs(t *testing.T) {
	tests := []struct {
		name  string
		bug   string
		op    func(f *rootfs.FS) error
		check func(t *testing.T, f *rootfs.FS)
	}{
		{
			name: "writing a second name changes every name and keeps the mode",
			bug: "fs.go:288-301 WriteFile on a KindHardlink name replaces the link by a new, separate file " +
				"with the caller's mode (0644) instead of writing the shared file (0755 kept, as the doc " +
				"comment promises for an existing file); resolve a hardlink to its Linkname first",
			op: func(f *rootfs.FS) error {
				return f.WriteFile("/d/second", rootfs.Bytes("changed"), 0o644, 0, 0, mt)
			},
			check: func(t *testing.T, f *rootfs.FS) {
				wantFile(t, f, "/d/first", "changed")
				if e, _, _ := f.Stat("/d/second"); e.Mode != 0o755 {
					t.Errorf("mode = %v, want 0755", e.Mode)
				}
			},
		},
		{
			name: "renaming a link onto its own file changes nothing",
			bug: "fs.go:399-451 Rename(\"/d/second\", \"/d/first\") where second links to first stores the link " +
				"entry (Linkname \"d/first\") at d/first: a hardlink to itself, the content is gone " +
				"(ReadFile returns \"\", nil) and other/third points at it; rename(2) does nothing when both " +
				"names are the same file",
			op: func(f *rootfs.FS) error { return f.Rename("/d/second", "/d/first") },
			check: func(t *testing.T, f *rootfs.FS) {
				wantFile(t, f, "/d/first", "shared")
				wantFile(t, f, "/other/third", "shared")
			},
		},
		{
			name: "renaming over a linked file leaves the other names alone",
			bug: "fs.go:439 Rename deletes the destination with a plain map delete, not f.delete, so links to " +
				"it are not promoted: after Rename(\"/new\", \"/d/first\") the names d/second and other/third " +
				"read the new file (\"new\") instead of keeping \"shared\"; remove the destination with f.delete " +
				"(promoting its links) before moving",
			op: func(f *rootfs.FS) error {
				if err := f.WriteFile("/new", rootfs.Bytes("new"), 0o644, 0, 0, mt); err != nil {
					return err
				}
				return f.Rename("/new", "/d/first")
			},
			check: func(t *testing.T, f *rootfs.FS) {
				wantFile(t, f, "/d/first", "new")
				wantFile(t, f, "/d/second", "shared")
				wantFile(t, f, "/other/third", "shared")
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := build(t).fileMode("d/first", "shared", 0o755).
				hardlink("d/second", "/d/first").hardlink("other/third", "/d/first").f
			if err := tt.op(f); err != nil {
				t.Fatal(err)
			}
			tt.check(t, f)
		})
	}
}

func TestWalkAndUsage(t *testing.T) {
	f := build(t).file("b/x", "12345").file("a", "123").symlink("c", "/b/x").hardlink("d", "/a").f
	var seen []string
	if err := f.Walk(func(k string, e *rootfs.Entry) error { seen = append(seen, k+":"+e.Kind.String()); return nil }); err != nil {
		t.Fatal(err)
	}
	want := []string{"a:file", "b:dir", "b/x:file", "c:symlink", "d:hardlink"}
	if !slices.Equal(seen, want) {
		t.Errorf("Walk = %q, want %q", seen, want)
	}
	if got := f.Usage(); got != 8 {
		t.Errorf("Usage() = %d, want 8 (hard links share content)", got)
	}
	if got := f.Len(); got != 6 {
		t.Errorf("Len() = %d, want 6", got)
	}
	stop := errors.New("stop")
	if err := f.Walk(func(string, *rootfs.Entry) error { return stop }); err != stop {
		t.Errorf("Walk did not return fn's error: %v", err)
	}
}

func TestClean(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{name: "root", in: "/", want: ""},
		{name: "empty", in: "", want: ""},
		{name: "absolute", in: "/a/b/", want: "a/b"},
		{name: "relative", in: "a/./b", want: "a/b"},
		{name: "dotdot stays at the root", in: "../../a/../../b", want: "b"},
		{name: "double slashes", in: "//a//b", want: "a/b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rootfs.Clean(tt.in); got != tt.want {
				t.Errorf("Clean(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestGenerated(t *testing.T) {
	tests := []struct {
		name string
		g    rootfs.Generated
	}{
		{name: "empty", g: rootfs.Generated{Seed: 1, N: 0}},
		{name: "one byte", g: rootfs.Generated{Seed: 1, N: 1}},
		{name: "seed zero", g: rootfs.Generated{Seed: 0, N: 1000}},
		{name: "exactly one pattern block", g: rootfs.Generated{Seed: 7, N: 64 << 10}},
		{name: "several blocks and a bit", g: rootfs.Generated{Seed: 42, N: 3<<16 + 123}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b1, err := tt.g.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(b1)) != tt.g.Size() {
				t.Fatalf("read %d bytes, Size() = %d", len(b1), tt.g.Size())
			}
			b2, _ := rootfs.Generated{Seed: tt.g.Seed, N: tt.g.N}.Bytes()
			if !bytes.Equal(b1, b2) {
				t.Fatal("same seed and size gave different bytes")
			}
			// Any read pattern gives the same bytes.
			for _, bufSize := range []int{1, 7, 4096, 100000} {
				var got []byte
				r := tt.g.Open()
				buf := make([]byte, bufSize)
				for {
					n, err := r.Read(buf)
					got = append(got, buf[:n]...)
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				if !bytes.Equal(got, b1) {
					t.Errorf("reading with a %d-byte buffer gave different bytes", bufSize)
				}
			}
			// A shorter file of the same seed is a prefix: content depends on seed and offset only.
			if tt.g.N > 10 {
				short, _ := rootfs.Generated{Seed: tt.g.Seed, N: 10}.Bytes()
				if !bytes.Equal(short, b1[:10]) {
					t.Errorf("prefix differs: %q vs %q", short, b1[:10])
				}
			}
			for i, c := range b1 {
				if !(c == '\n' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
					t.Fatalf("byte %d = %q, want printable text", i, c)
				}
			}
		})
	}
	t.Run("different seeds differ", func(t *testing.T) {
		seen := map[string]uint64{}
		for seed := uint64(0); seed < 50; seed++ {
			b, _ := rootfs.Generated{Seed: seed, N: 256}.Bytes()
			if prev, ok := seen[string(b)]; ok {
				t.Errorf("seeds %d and %d give the same bytes", prev, seed)
			}
			seen[string(b)] = seed
		}
	})
	t.Run("a file's content survives a read", func(t *testing.T) {
		f := rootfs.New()
		g := rootfs.Generated{Seed: 3, N: 5000}
		if err := f.WriteFile("/big", g, 0o644, 0, 0, mt); err != nil {
			t.Fatal(err)
		}
		want, _ := g.Bytes()
		for range 2 {
			got, err := f.ReadFile("/big")
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("ReadFile = %d bytes, %v", len(got), err)
			}
		}
	})
}

// A snapshot is immutable once taken, so readers on several goroutines (a build diffing
// it, the web UI listing it) must be able to share it. Run with -race.
func TestConcurrentReadsOfASnapshot(t *testing.T) {
	f := build(t).file("d/x", "x").file("d/y", "y").f
	lower, upper := f.Clone(), f.Clone()
	must(t, upper.Remove("/d/x"))
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if got, err := f.ReadDir("/d"); err != nil || len(got) != 2 {
				t.Errorf("ReadDir = %q, %v", got, err)
			}
			_ = rootfs.Diff(lower, upper)
		}()
	}
	wg.Wait()
}
