package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
	"syscall"
	"time"

	"layerlab/engine/rootfs"

	"mvdan.cc/sh/v3/interp"
)

// fileInfo adapts a rootfs entry to fs.FileInfo and fs.DirEntry.
type fileInfo struct {
	name string
	e    *rootfs.Entry
}

func (fi fileInfo) Name() string { return fi.name }
func (fi fileInfo) Size() int64  { return fi.e.Size() }
func (fi fileInfo) Mode() fs.FileMode {
	m := fi.e.Mode
	switch fi.e.Kind {
	case rootfs.KindDir:
		m |= fs.ModeDir
	case rootfs.KindSymlink:
		m |= fs.ModeSymlink
	}
	return m
}
func (fi fileInfo) ModTime() time.Time         { return fi.e.ModTime }
func (fi fileInfo) IsDir() bool                { return fi.e.Kind == rootfs.KindDir }
func (fi fileInfo) Sys() any                   { return nil }
func (fi fileInfo) Type() fs.FileMode          { return fi.Mode().Type() }
func (fi fileInfo) Info() (fs.FileInfo, error) { return fi, nil }
func (fi fileInfo) String() string             { return fs.FormatFileInfo(fi) }

var _ fs.DirEntry = fileInfo{}

// errno turns a rootfs error into the text coreutils print after the colon.
func errno(err error) string {
	switch {
	case errors.Is(err, errPerm):
		return "Permission denied"
	case errors.Is(err, rootfs.ErrNotExist):
		return "No such file or directory"
	case errors.Is(err, rootfs.ErrNotDir):
		return "Not a directory"
	case errors.Is(err, rootfs.ErrIsDir):
		return "Is a directory"
	case errors.Is(err, rootfs.ErrNotEmpty):
		return "Directory not empty"
	case errors.Is(err, rootfs.ErrExist):
		return "File exists"
	case errors.Is(err, rootfs.ErrLoop):
		return "Too many levels of symbolic links"
	case errors.Is(err, errReadOnly):
		return "Read-only file system"
	}
	return err.Error()
}

// sysErr maps errors onto syscall errnos so the interpreter prints them like a shell.
func sysErr(err error) error {
	switch {
	case errors.Is(err, errPerm):
		return syscall.EACCES
	case errors.Is(err, rootfs.ErrNotExist):
		return syscall.ENOENT
	case errors.Is(err, rootfs.ErrNotDir):
		return syscall.ENOTDIR
	case errors.Is(err, rootfs.ErrIsDir):
		return syscall.EISDIR
	case errors.Is(err, rootfs.ErrNotEmpty):
		return syscall.ENOTEMPTY
	case errors.Is(err, rootfs.ErrExist):
		return syscall.EEXIST
	case errors.Is(err, errReadOnly):
		return syscall.EROFS
	}
	return syscall.EIO
}

var (
	errPerm     = errors.New("permission denied")
	errReadOnly = errors.New("read-only file system")
)

// pseudo reports paths the sandbox refuses: the kernel's views of the (host) process.
func pseudo(p string) bool {
	return p == "/proc" || strings.HasPrefix(p, "/proc/") || p == "/sys" || strings.HasPrefix(p, "/sys/")
}

func (s *session) exists(p string) bool {
	ok := false
	s.withFS(func(f *rootfs.FS) error {
		_, _, err := f.Stat(p)
		ok = err == nil
		return nil
	})
	return ok
}

func (s *session) stat(p string) (*rootfs.Entry, error) {
	var e *rootfs.Entry
	err := s.withFS(func(f *rootfs.FS) error {
		var err error
		e, _, err = f.Stat(p)
		return err
	})
	return e, err
}

func (s *session) lstat(p string) (*rootfs.Entry, error) {
	var e *rootfs.Entry
	err := s.withFS(func(f *rootfs.FS) error {
		var err error
		e, _, err = f.Lstat(p)
		return err
	})
	return e, err
}

// openRead returns a reader over the content of p (a snapshot taken now).
func (s *session) openRead(p string) (io.Reader, error) {
	if pseudo(p) {
		return nil, &fs.PathError{Op: "open", Path: p, Err: errPerm}
	}
	if r, ok, err := s.readPipe(p); ok {
		return r, err
	}
	switch p {
	case "/dev/null":
		return strings.NewReader(""), nil
	case "/dev/zero":
		return zeroReader{}, nil
	case "/dev/urandom", "/dev/random":
		return &pseudoRandom{state: 0x9e3779b97f4a7c15}, nil
	}
	var c rootfs.Content
	err := s.withFS(func(f *rootfs.FS) error {
		e, _, err := f.Stat(p)
		if err != nil {
			return err
		}
		if e.Kind == rootfs.KindDir {
			return &fs.PathError{Op: "read", Path: p, Err: rootfs.ErrIsDir}
		}
		if !s.can(e, 4) {
			return &fs.PathError{Op: "open", Path: p, Err: errPerm}
		}
		c = e.Data
		return nil
	})
	if err != nil {
		return nil, err
	}
	if c == nil {
		return strings.NewReader(""), nil
	}
	return c.Open(), nil
}

// isDevice reports whether p is one of the endless character devices the sandbox
// simulates (reads of them never end, so a command that reads one whole needs a bound).
func isDevice(p string) bool {
	switch p {
	case "/dev/zero", "/dev/urandom", "/dev/random":
		return true
	}
	return false
}

type zeroReader struct{}

func (zeroReader) Read(b []byte) (int, error) { clear(b); return len(b), nil }

type pseudoRandom struct{ state uint64 }

func (r *pseudoRandom) Read(b []byte) (int, error) {
	for i := range b {
		r.state ^= r.state << 13
		r.state ^= r.state >> 7
		r.state ^= r.state << 17
		b[i] = byte(r.state)
	}
	return len(b), nil
}

// can reports whether the running user may access e: want is 4 (read), 2 (write), 1 (exec).
func (s *session) can(e *rootfs.Entry, want fs.FileMode) bool {
	if s.uid == 0 {
		if want == 1 && e.Kind != rootfs.KindDir {
			return e.Mode&0o111 != 0
		}
		return true
	}
	perm := e.Mode.Perm()
	switch {
	case e.UID == s.uid:
		return perm>>6&want == want
	case e.GID == s.gid:
		return perm>>3&want == want
	}
	return perm&want == want
}

// writeFile stores data at p as the running user, checking permissions and the write budget.
func (s *session) writeFile(p string, data rootfs.Content, mode fs.FileMode) error {
	if pseudo(p) || strings.HasPrefix(p, "/dev/") {
		if p == "/dev/null" {
			return nil
		}
		return &fs.PathError{Op: "open", Path: p, Err: errPerm}
	}
	if data != nil {
		if err := s.account(data.Size()); err != nil {
			return err
		}
	}
	return s.storeFile(p, data, mode)
}

// storeFile is writeFile for content already counted against the write budget.
func (s *session) storeFile(p string, data rootfs.Content, mode fs.FileMode) error {
	if pseudo(p) || strings.HasPrefix(p, "/dev/") {
		if p == "/dev/null" {
			return nil
		}
		return &fs.PathError{Op: "open", Path: p, Err: errPerm}
	}
	if data == nil {
		data = rootfs.Bytes(nil)
	}
	return s.withFS(func(f *rootfs.FS) error {
		if err := s.checkCreate(f, p); err != nil {
			return err
		}
		return f.WriteFile(p, data, mode, s.uid, s.gid, s.now())
	})
}

// checkCreate verifies the user may create or replace p (write access to the file if it
// exists, else to its directory).
func (s *session) checkCreate(f *rootfs.FS, p string) error {
	if s.uid == 0 {
		return nil
	}
	if e, _, err := f.Stat(p); err == nil {
		if e.Kind == rootfs.KindDir {
			return &fs.PathError{Op: "open", Path: p, Err: rootfs.ErrIsDir}
		}
		if !s.can(e, 2) {
			return &fs.PathError{Op: "open", Path: p, Err: errPerm}
		}
		return nil
	}
	d, _, err := f.Stat(path.Dir(p))
	if err != nil {
		return &fs.PathError{Op: "open", Path: p, Err: rootfs.ErrNotExist}
	}
	if !s.can(d, 3) {
		return &fs.PathError{Op: "open", Path: p, Err: errPerm}
	}
	return nil
}

// checkRemove verifies the user may remove p (write access to its directory).
func (s *session) checkRemove(f *rootfs.FS, p string) error {
	if s.uid == 0 {
		return nil
	}
	d, _, err := f.Stat(path.Dir(p))
	if err == nil && !s.can(d, 3) {
		return &fs.PathError{Op: "remove", Path: p, Err: errPerm}
	}
	return nil
}

// writeHandle is a file opened for writing by a redirect: it buffers and stores the
// content in the filesystem on Close. Its buffer counts against the step's one
// write budget as it grows, before each write: several files open at once (eight
// `yes > /wN &`) share MaxWrite, as they do once closed.
//
// The buffer is a list of chunks of at most writeChunk bytes, each allocated at its
// size, so the memory held is what was written: a doubling buffer (bytes.Buffer) holds
// up to twice that and copies the whole content at each doubling, which let eight
// redirects sharing 512 MiB reach 1.7 GB of heap. Close joins the chunks once.
type writeHandle struct {
	s      *session
	path   string
	chunks [][]byte
	size   int
	closed bool
}

// writeChunk is the size of a writeHandle's chunks.
const writeChunk = 1 << 20

func (w *writeHandle) Read([]byte) (int, error) { return 0, syscall.EBADF }
func (w *writeHandle) Write(b []byte) (int, error) {
	if w.closed {
		return 0, os.ErrClosed
	}
	if err := w.s.account(int64(len(b))); err != nil {
		return 0, err
	}
	n := len(b)
	for len(b) > 0 {
		if k := len(w.chunks); k == 0 || len(w.chunks[k-1]) == cap(w.chunks[k-1]) {
			// Small files stay small: a chunk starts at what is written, up to writeChunk.
			w.chunks = append(w.chunks, make([]byte, 0, min(writeChunk, max(len(b), w.size, 512))))
		}
		last := &w.chunks[len(w.chunks)-1]
		m := min(len(b), cap(*last)-len(*last))
		*last = append(*last, b[:m]...)
		b = b[m:]
	}
	w.size += n
	return n, nil
}
func (w *writeHandle) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	if w.s.limitErr() != nil {
		// The step has failed on a limit and its filesystem is thrown away: joining the
		// chunks would only double the memory a write budget's worth of files holds.
		w.chunks = nil
		return nil
	}
	data := make([]byte, 0, w.size)
	for i, c := range w.chunks {
		data = append(data, c...)
		w.chunks[i] = nil // garbage as soon as it is copied
	}
	w.chunks = nil
	// the bytes were counted as they were written
	return w.s.storeFile(w.path, rootfs.Bytes(data), 0o644)
}

type readHandle struct{ io.Reader }

func (readHandle) Write([]byte) (int, error) { return 0, syscall.EBADF }
func (readHandle) Close() error              { return nil }

type writerHandle struct{ io.Writer }

func (writerHandle) Read([]byte) (int, error) { return 0, syscall.EBADF }
func (writerHandle) Close() error             { return nil }

func (s *session) absFromCtx(ctx context.Context, p string) string {
	if strings.HasPrefix(p, "/") {
		return "/" + rootfs.Clean(p)
	}
	return joinPath(interp.HandlerCtx(ctx).Dir, p)
}

// openHandler opens files for the shell's redirects inside the virtual filesystem.
func (s *session) openHandler(ctx context.Context, name string, flag int, perm os.FileMode) (io.ReadWriteCloser, error) {
	p := s.absFromCtx(ctx, name)
	hc := interp.HandlerCtx(ctx)
	switch p {
	case "/dev/stdout":
		return writerHandle{hc.Stdout}, nil
	case "/dev/stderr":
		return writerHandle{hc.Stderr}, nil
	case "/dev/stdin":
		if hc.Stdin == nil {
			return readHandle{strings.NewReader("")}, nil
		}
		return readHandle{hc.Stdin}, nil
	case "/dev/null":
		if flag&(os.O_WRONLY|os.O_RDWR) != 0 {
			return writerHandle{io.Discard}, nil
		}
		return readHandle{strings.NewReader("")}, nil
	case procPath:
		// the rewrite's process count (memory.go)
		return s.openProc(hc.Stderr)
	case inputPrefix + s.secret:
		return s.openGuard(hc.Stdin), nil
	}
	if strings.HasPrefix(p, sourcePrefix) {
		if src, ok := s.sources.LoadAndDelete(p); ok {
			return readHandle{strings.NewReader(src.(string))}, nil
		}
	}
	if pseudo(p) {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EACCES}
	}
	if flag&(os.O_WRONLY|os.O_RDWR) == 0 {
		r, err := s.openRead(p)
		if err != nil {
			return nil, &os.PathError{Op: "open", Path: name, Err: sysErr(err)}
		}
		return readHandle{r}, nil
	}
	if strings.HasPrefix(p, "/dev/") {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EACCES}
	}
	w := &writeHandle{s: s, path: p}
	err := s.withFS(func(f *rootfs.FS) error {
		if err := s.checkCreate(f, p); err != nil {
			return err
		}
		e, _, err := f.Stat(p)
		if err == nil && e.Kind == rootfs.KindDir {
			return &fs.PathError{Op: "open", Path: p, Err: rootfs.ErrIsDir}
		}
		if err == nil && flag&os.O_TRUNC == 0 && e.Data != nil {
			if e.Data.Size() > maxFileRead {
				// An append holds the file in memory: past the bound the step fails,
				// where the append would have worked.
				le := &LimitError{Limit: "input", Msg: fmt.Sprintf("layerlab: >> %s: the sandbox appends only to files of at most %s, and this one has %d bytes", p, humanBytes(maxFileRead), e.Data.Size())}
				s.setLimit(le)
				return &fs.PathError{Op: "open", Path: p, Err: errors.New(le.Msg)}
			}
			b, _ := e.Data.Bytes()
			// the kept content is buffered again: it counts, as the whole file
			// did when it was stored at close before
			if err := s.account(int64(len(b))); err != nil {
				return err
			}
			// Kept as the first chunk, full (cap = len): a later write starts a new
			// chunk and never writes into the stored content it shares.
			w.chunks = append(w.chunks, b[:len(b):len(b)])
			w.size += len(b)
		}
		if err != nil && flag&os.O_CREATE == 0 {
			return err
		}
		// Create (or truncate) now, as open(2) does, so the file exists while writing.
		if err != nil || flag&os.O_TRUNC != 0 {
			return f.WriteFile(p, rootfs.Bytes(nil), 0o644, s.uid, s.gid, s.now())
		}
		return nil
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: sysErr(err)}
	}
	return w, nil
}

func (s *session) statHandler(ctx context.Context, name string, follow bool) (fs.FileInfo, error) {
	p := s.absFromCtx(ctx, name)
	if pseudo(p) {
		return nil, &os.PathError{Op: "stat", Path: name, Err: syscall.ENOENT}
	}
	if fi, ok := s.statPipe(p); ok {
		return fi, nil
	}
	var e *rootfs.Entry
	var err error
	if follow {
		e, err = s.stat(p)
	} else {
		e, err = s.lstat(p)
	}
	if err != nil {
		return nil, &os.PathError{Op: "stat", Path: name, Err: sysErr(err)}
	}
	return fileInfo{name: path.Base(p), e: e}, nil
}

func (s *session) readDirHandler(ctx context.Context, name string) ([]fs.DirEntry, error) {
	p := s.absFromCtx(ctx, name)
	if pseudo(p) {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.ENOENT}
	}
	var out []fs.DirEntry
	err := s.withFS(func(f *rootfs.FS) error {
		names, err := f.ReadDir(p)
		if err != nil {
			return err
		}
		for _, n := range names {
			if e, _, err := f.Lstat(joinPath(p, n)); err == nil {
				out = append(out, fileInfo{name: n, e: e})
			}
		}
		return nil
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: sysErr(err)}
	}
	return out, nil
}

func (s *session) accessHandler(ctx context.Context, name string, mode interp.AccessMode) error {
	p := s.absFromCtx(ctx, name)
	if pseudo(p) {
		return &os.PathError{Op: "access", Path: name, Err: syscall.ENOENT}
	}
	e, err := s.stat(p)
	if err != nil {
		return &os.PathError{Op: "access", Path: name, Err: sysErr(err)}
	}
	for _, m := range []struct {
		a interp.AccessMode
		w fs.FileMode
	}{{interp.AccessRead, 4}, {interp.AccessWrite, 2}, {interp.AccessExec, 1}} {
		if mode&m.a != 0 && !s.can(e, m.w) {
			return &os.PathError{Op: "access", Path: name, Err: syscall.EACCES}
		}
	}
	return nil
}

// lookPath finds an executable named name in PATH inside the image.
func (s *session) lookPath(pathEnv, dir, name string) (string, bool) {
	if strings.Contains(name, "/") {
		p := joinPath(dir, name)
		e, err := s.stat(p)
		return p, err == nil && e.Kind == rootfs.KindFile
	}
	for _, d := range strings.Split(pathEnv, ":") {
		if d == "" {
			d = dir
		}
		p := joinPath(dir, d+"/"+name)
		if e, err := s.stat(p); err == nil && e.Kind == rootfs.KindFile && e.Mode&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}
