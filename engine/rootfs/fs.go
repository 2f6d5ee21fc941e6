// Package rootfs is an in-memory container filesystem: one snapshot per build step.
//
// A snapshot (FS) maps clean paths to immutable entries. Cloning a snapshot copies
// the map but shares every entry, so a step that changes one file costs one map copy,
// and diffing two snapshots compares entries by identity first. Paths are always
// interpreted inside the snapshot's own root: symlinks resolve as under chroot, so no
// path, however many "..", can name anything outside it, and nothing here touches the
// host filesystem.
package rootfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"sync"
	"time"
)

// Kind is the type of a filesystem entry.
type Kind uint8

// The entry kinds a layer can carry.
const (
	KindFile Kind = iota
	KindDir
	KindSymlink
	KindHardlink // a second name for a regular file; Linkname is the first name
)

func (k Kind) String() string {
	switch k {
	case KindFile:
		return "file"
	case KindDir:
		return "dir"
	case KindSymlink:
		return "symlink"
	case KindHardlink:
		return "hardlink"
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// Entry is one immutable filesystem object. Change an entry by building a new one
// (see With*) and putting it back; never mutate one that is in a snapshot.
type Entry struct {
	Kind     Kind
	Mode     fs.FileMode // permission bits, plus setuid/setgid/sticky; never type bits
	UID, GID int
	ModTime  time.Time
	Data     Content // KindFile only
	Linkname string  // symlink target, or hardlink target (a clean path without leading "/")
}

// Size is the content size of a regular file, else 0.
func (e *Entry) Size() int64 {
	if e.Kind == KindFile && e.Data != nil {
		return e.Data.Size()
	}
	return 0
}

// IsDir reports whether e is a directory.
func (e *Entry) IsDir() bool { return e.Kind == KindDir }

// Clone returns a shallow copy that may be changed before it is put into a snapshot.
func (e *Entry) Clone() *Entry { c := *e; return &c }

// sameAs reports whether two entries are indistinguishable in a layer.
func (e *Entry) sameAs(o *Entry) bool {
	if e == o {
		return true
	}
	if e.Kind != o.Kind || e.Mode != o.Mode || e.UID != o.UID || e.GID != o.GID ||
		e.Linkname != o.Linkname || !e.ModTime.Equal(o.ModTime) {
		return false
	}
	if e.Kind != KindFile {
		return true
	}
	return sameContent(e.Data, o.Data)
}

// PathError records the operation and path of a failed FS call.
type PathError = fs.PathError

func perr(op, p string, err error) error { return &PathError{Op: op, Path: "/" + p, Err: err} }

// FS is one filesystem snapshot. The zero value is not usable; call New.
type FS struct {
	m map[string]*Entry // key: clean path without leading "/"; "" is the root
	// kids caches the sorted child names of directories; rebuilt lazily, under mu,
	// because snapshots are shared by concurrent readers.
	mu   sync.Mutex
	kids map[string][]string
}

// New returns a filesystem holding only the root directory (0755, root:root).
func New() *FS {
	return &FS{m: map[string]*Entry{"": {Kind: KindDir, Mode: 0o755}}}
}

// Clone returns an independent snapshot sharing all entries with f.
func (f *FS) Clone() *FS {
	m := make(map[string]*Entry, len(f.m))
	for k, v := range f.m {
		m[k] = v
	}
	return &FS{m: m}
}

// Len is the number of entries, the root included.
func (f *FS) Len() int { return len(f.m) }

// Clean turns any path (absolute or relative to /) into the key form used here:
// no leading or trailing slash, no "." or ".." (".." at the root stays at the root).
func Clean(p string) string {
	c := path.Clean("/" + p)
	return strings.TrimPrefix(c, "/")
}

// Lookup returns the entry stored at p without following any symlink in p itself
// (p's parents are taken literally too). Use Lstat/Stat for resolved lookups.
func (f *FS) Lookup(p string) (*Entry, bool) {
	e, ok := f.m[Clean(p)]
	return e, ok
}

const maxLinks = 40

// resolve follows symlinks in p's parent components (and in the last one when
// followLast), chroot-style. It returns the resolved clean key; the entry may not exist.
func (f *FS) resolve(p string, followLast bool) (string, error) {
	// Components are taken one by one, so ".." after a symlink goes to the parent of
	// the link's target, as under Linux, not lexically.
	parts := strings.Split(strings.Trim(p, "/"), "/")
	if len(parts) == 1 && parts[0] == "" {
		return "", nil
	}
	orig := p
	cur := ""
	links := 0
	for i := 0; i < len(parts); i++ {
		name := parts[i]
		switch name {
		case "", ".":
			continue
		case "..":
			cur = path.Dir("/" + cur)[1:]
			continue
		}
		next := join(cur, name)
		e, ok := f.m[next]
		last := i == len(parts)-1
		if ok && e.Kind == KindSymlink && (!last || followLast) {
			links++
			if links > maxLinks {
				return "", perr("resolve", Clean(orig), ErrLoop)
			}
			target := e.Linkname
			rest := parts[i+1:]
			tparts := strings.Split(strings.Trim(target, "/"), "/")
			if !strings.HasPrefix(target, "/") && cur != "" {
				tparts = append(strings.Split(cur, "/"), tparts...)
			}
			parts = append(tparts, rest...)
			cur = ""
			i = -1
			continue
		}
		if !last {
			if !ok {
				return "", perr("resolve", Clean(orig), ErrNotExist)
			}
			if e.Kind != KindDir {
				return "", perr("resolve", Clean(orig), ErrNotDir)
			}
		}
		cur = next
	}
	return cur, nil
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// Resolve returns the key that p names once every symlink is followed, including the last.
func (f *FS) Resolve(p string) (string, error) { return f.resolve(p, true) }

// ResolveParent follows symlinks in p's directories but not in its last component.
func (f *FS) ResolveParent(p string) (string, error) { return f.resolve(p, false) }

// Stat follows symlinks and returns the entry and its resolved path.
func (f *FS) Stat(p string) (*Entry, string, error) {
	k, err := f.resolve(p, true)
	if err != nil {
		return nil, "", err
	}
	e, ok := f.m[k]
	if !ok {
		return nil, k, perr("stat", Clean(p), ErrNotExist)
	}
	if e.Kind == KindHardlink {
		if t, ok := f.m[e.Linkname]; ok {
			c := t.Clone()
			return c, k, nil
		}
	}
	return e, k, nil
}

// Lstat resolves p's parents but not p itself.
func (f *FS) Lstat(p string) (*Entry, string, error) {
	k, err := f.resolve(p, false)
	if err != nil {
		return nil, "", err
	}
	e, ok := f.m[k]
	if !ok {
		return nil, k, perr("lstat", Clean(p), ErrNotExist)
	}
	return e, k, nil
}

// ReadFile returns the content of the regular file p names (symlinks followed).
func (f *FS) ReadFile(p string) ([]byte, error) {
	e, _, err := f.Stat(p)
	if err != nil {
		return nil, err
	}
	if e.Kind == KindDir {
		return nil, perr("read", Clean(p), ErrIsDir)
	}
	if e.Data == nil { // an empty file
		return []byte{}, nil
	}
	return e.Data.Bytes()
}

// Put stores e at the already-resolved key k. The parent must be a directory.
// It replaces whatever was at k, except a non-empty directory.
func (f *FS) Put(k string, e *Entry) error {
	k = Clean(k)
	if k == "" {
		if e.Kind != KindDir {
			return perr("put", k, ErrIsDir)
		}
		f.m[""] = e
		return nil
	}
	parent, ok := f.m[path.Dir("/" + k)[1:]]
	if !ok {
		return perr("put", k, ErrNotExist)
	}
	if parent.Kind != KindDir {
		return perr("put", k, ErrNotDir)
	}
	if old, ok := f.m[k]; ok && old.Kind == KindDir && e.Kind != KindDir && f.hasChildren(k) {
		return perr("put", k, ErrNotEmpty)
	}
	if _, ok := f.m[k]; !ok {
		f.kids = nil
	}
	f.m[k] = e
	return nil
}

// WriteFile creates or replaces the regular file p (parents resolved, last symlink followed)
// with data. A new file gets mode, uid and gid; an existing one keeps its owner and mode.
func (f *FS) WriteFile(p string, data Content, mode fs.FileMode, uid, gid int, mtime time.Time) error {
	k, err := f.resolve(p, true)
	if err != nil {
		return err
	}
	if old, ok := f.m[k]; ok {
		if old.Kind == KindDir {
			return perr("write", k, ErrIsDir)
		}
		if old.Kind == KindHardlink {
			// Every name of a hard-linked file sees the write: change the file itself.
			if t, ok := f.m[old.Linkname]; ok && t.Kind == KindFile {
				k, old = old.Linkname, t
			}
		}
		if old.Kind == KindFile {
			mode, uid, gid = old.Mode, old.UID, old.GID
		}
	}
	return f.Put(k, &Entry{Kind: KindFile, Mode: mode, UID: uid, GID: gid, ModTime: mtime, Data: data})
}

// MkdirAll creates p and any missing parents with mode, uid and gid.
func (f *FS) MkdirAll(p string, mode fs.FileMode, uid, gid int, mtime time.Time) error {
	parts := strings.Split(Clean(p), "/")
	cur := ""
	for _, name := range parts {
		if name == "" {
			continue
		}
		k, err := f.resolve(join(cur, name), true)
		if err != nil {
			return err
		}
		e, ok := f.m[k]
		switch {
		case !ok:
			if err := f.Put(k, &Entry{Kind: KindDir, Mode: mode, UID: uid, GID: gid, ModTime: mtime}); err != nil {
				return err
			}
		case e.Kind != KindDir:
			return perr("mkdir", k, ErrNotDir)
		}
		cur = k
	}
	return nil
}

// Remove deletes the entry at p (not following a final symlink); a directory must be empty.
func (f *FS) Remove(p string) error {
	k, err := f.resolve(p, false)
	if err != nil {
		return err
	}
	e, ok := f.m[k]
	if !ok {
		return perr("remove", k, ErrNotExist)
	}
	if k == "" {
		return perr("remove", k, ErrInvalid)
	}
	if e.Kind == KindDir && f.hasChildren(k) {
		return perr("remove", k, ErrNotEmpty)
	}
	f.delete(k)
	return nil
}

// RemoveAll deletes p and everything below it. Removing the root empties it.
func (f *FS) RemoveAll(p string) error {
	k, err := f.resolve(p, false)
	if err != nil {
		if errors.Is(err, ErrNotExist) {
			return nil
		}
		return err
	}
	prefix := k + "/"
	for key := range f.m {
		if key == "" {
			continue
		}
		if key == k || k == "" || strings.HasPrefix(key, prefix) {
			f.delete(key)
		}
	}
	return nil
}

func (f *FS) delete(k string) {
	e := f.m[k]
	delete(f.m, k)
	f.kids = nil
	if e == nil || e.Kind != KindFile {
		return
	}
	// A removed file that other names hard-link to: the first remaining name
	// becomes the file, the rest link to it.
	var links []string
	for key, o := range f.m {
		if o.Kind == KindHardlink && o.Linkname == k {
			links = append(links, key)
		}
	}
	if len(links) == 0 {
		return
	}
	sort.Strings(links)
	f.m[links[0]] = e
	for _, l := range links[1:] {
		c := f.m[l].Clone()
		c.Linkname = links[0]
		f.m[l] = c
	}
}

// Rename moves the entry (and subtree) at oldp to newp, replacing newp as rename(2) does.
func (f *FS) Rename(oldp, newp string) error {
	ok1, err := f.resolve(oldp, false)
	if err != nil {
		return err
	}
	if _, ok := f.m[ok1]; !ok || ok1 == "" {
		return perr("rename", ok1, ErrNotExist)
	}
	nk, err := f.resolve(newp, false)
	if err != nil {
		return err
	}
	if nk == ok1 {
		return nil
	}
	if strings.HasPrefix(nk+"/", ok1+"/") {
		return perr("rename", nk, ErrInvalid)
	}
	if f.sameFile(ok1, nk) {
		return nil // rename(2) of two names of one file does nothing
	}
	if dst, ok := f.m[nk]; ok {
		if dst.Kind == KindDir && f.hasChildren(nk) {
			return perr("rename", nk, ErrNotEmpty)
		}
		// The replaced name goes as unlink(2) would: other names keep the old file.
		f.delete(nk)
	}
	if parent, ok := f.m[path.Dir("/" + nk)[1:]]; !ok || parent.Kind != KindDir {
		return perr("rename", nk, ErrNotExist)
	}
	moved := map[string]*Entry{}
	prefix := ok1 + "/"
	for key, e := range f.m {
		if key == ok1 {
			moved[nk] = e
		} else if strings.HasPrefix(key, prefix) {
			moved[nk+"/"+key[len(prefix):]] = e
		}
	}
	for key := range f.m {
		if key == ok1 || strings.HasPrefix(key, prefix) {
			delete(f.m, key)
		}
	}
	delete(f.m, nk)
	for key, e := range moved {
		f.m[key] = e
	}
	// Hard links that pointed into the moved tree follow it.
	for key, e := range f.m {
		if e.Kind == KindHardlink && (e.Linkname == ok1 || strings.HasPrefix(e.Linkname, prefix)) {
			c := e.Clone()
			c.Linkname = nk + strings.TrimPrefix(e.Linkname, ok1)
			f.m[key] = c
		}
	}
	f.kids = nil
	return nil
}

// sameFile reports whether two keys name one hard-linked file.
func (f *FS) sameFile(a, b string) bool {
	ea, oka := f.m[a]
	eb, okb := f.m[b]
	if !oka || !okb {
		return false
	}
	ta, tb := a, b
	if ea.Kind == KindHardlink {
		ta = ea.Linkname
	}
	if eb.Kind == KindHardlink {
		tb = eb.Linkname
	}
	return ta == tb && (ea.Kind == KindHardlink || eb.Kind == KindHardlink)
}

func (f *FS) hasChildren(k string) bool { return len(f.children(k)) > 0 }

func (f *FS) children(k string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.kids == nil {
		kids := make(map[string][]string)
		for key := range f.m {
			if key == "" {
				continue
			}
			d := path.Dir("/" + key)[1:]
			kids[d] = append(kids[d], path.Base(key))
		}
		for _, v := range kids {
			sort.Strings(v)
		}
		f.kids = kids
	}
	return f.kids[k]
}

// ReadDir lists the names in directory p (symlinks followed), sorted.
func (f *FS) ReadDir(p string) ([]string, error) {
	e, k, err := f.Stat(p)
	if err != nil {
		return nil, err
	}
	if e.Kind != KindDir {
		return nil, perr("readdir", k, ErrNotDir)
	}
	return append([]string(nil), f.children(k)...), nil
}

// Walk calls fn for every entry in path order (parents before children), root excluded.
func (f *FS) Walk(fn func(key string, e *Entry) error) error {
	for _, k := range f.Keys() {
		if k == "" {
			continue
		}
		if err := fn(k, f.m[k]); err != nil {
			return err
		}
	}
	return nil
}

// Range calls fn for every entry, the root included, in no particular order: for
// callers that only measure (the builder's snapshot cache), without Walk's sort.
func (f *FS) Range(fn func(key string, e *Entry)) {
	for k, e := range f.m {
		fn(k, e)
	}
}

// Keys returns every key in tar order: sorted by path components, so a directory
// comes right before its contents.
func (f *FS) Keys() []string {
	keys := make([]string, 0, len(f.m))
	for k := range f.m {
		keys = append(keys, k)
	}
	sortPaths(keys)
	return keys
}

// sortPaths orders paths component-wise ("a/b" before "a.b"), the order of a tree walk.
func sortPaths(keys []string) {
	sort.Slice(keys, func(i, j int) bool { return pathLess(keys[i], keys[j]) })
}

func pathLess(a, b string) bool {
	for {
		ai := strings.IndexByte(a, '/')
		bi := strings.IndexByte(b, '/')
		an, bn := a, b
		if ai >= 0 {
			an = a[:ai]
		}
		if bi >= 0 {
			bn = b[:bi]
		}
		if an != bn {
			return an < bn
		}
		if ai < 0 || bi < 0 {
			return ai < 0 && bi >= 0
		}
		a, b = a[ai+1:], b[bi+1:]
	}
}

// Usage returns the total bytes of regular file content in the snapshot.
func (f *FS) Usage() int64 {
	var n int64
	for _, e := range f.m {
		n += e.Size()
	}
	return n
}

// Content is the bytes of a regular file. Implementations are immutable.
type Content interface {
	Size() int64
	Open() io.Reader
	Bytes() ([]byte, error)
}

// Bytes is file content held in memory.
type Bytes []byte

// Size implements Content.
func (b Bytes) Size() int64 { return int64(len(b)) }

// Open implements Content.
func (b Bytes) Open() io.Reader { return bytes.NewReader(b) }

// Bytes implements Content.
func (b Bytes) Bytes() ([]byte, error) { return b, nil }

// Generated is deterministic filler content of a given size, for the large files of
// base-image stand-ins and package managers: it costs no memory until read, and the
// same Seed and Size always give the same bytes.
type Generated struct {
	Seed uint64
	N    int64
}

// Size implements Content.
func (g Generated) Size() int64 { return g.N }

// Open implements Content.
func (g Generated) Open() io.Reader { return &genReader{pat: genPattern(g.Seed), left: g.N} }

// Bytes implements Content; it materialises the content, so use Open for large files.
func (g Generated) Bytes() ([]byte, error) { return io.ReadAll(g.Open()) }

// genBlock is the length of a Generated file's repeating pattern: long enough to look
// like data, short enough that reading is a memcpy (base images are gigabytes).
const genBlock = 64 << 10

var (
	genMu    sync.Mutex
	genCache = map[uint64][]byte{}
)

// genPattern returns the seed's pattern: lines of printable pseudo-random text.
func genPattern(seed uint64) []byte {
	genMu.Lock()
	defer genMu.Unlock()
	if p, ok := genCache[seed]; ok {
		return p
	}
	p := make([]byte, genBlock)
	state := seed*2654435761 + 1
	for i := range p {
		if i%64 == 63 {
			p[i] = '\n'
			continue
		}
		state ^= state >> 12
		state ^= state << 25
		state ^= state >> 27
		v := state * 2685821657736338717
		p[i] = genAlphabet[(v>>33)%uint64(len(genAlphabet))]
	}
	if len(genCache) > 4096 {
		genCache = map[uint64][]byte{}
	}
	genCache[seed] = p
	return p
}

type genReader struct {
	pat  []byte
	off  int
	left int64
}

func (r *genReader) Read(p []byte) (int, error) {
	if r.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.pat[r.off:])
		n += c
		r.off = (r.off + c) % len(r.pat)
	}
	r.left -= int64(n)
	return n, nil
}

const genAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

func sameContent(a, b Content) bool {
	if a == nil || b == nil {
		return a == nil && b == nil || (a != nil && a.Size() == 0 && b == nil) || (b != nil && b.Size() == 0 && a == nil)
	}
	if a.Size() != b.Size() {
		return false
	}
	ga, okA := a.(Generated)
	gb, okB := b.(Generated)
	if okA && okB {
		return ga == gb
	}
	ab, errA := a.Bytes()
	bb, errB := b.Bytes()
	return errA == nil && errB == nil && string(ab) == string(bb)
}

// Restore makes the subtree at p (p and everything below it) what it is in from,
// sharing from's entries: a volume's contents after a RUN, which Docker mounts from
// the image and never commits.
func (f *FS) Restore(from *FS, p string) {
	k := Clean(p)
	if k == "" {
		return
	}
	prefix := k + "/"
	for key := range f.m {
		if key == k || strings.HasPrefix(key, prefix) {
			delete(f.m, key)
		}
	}
	for key, e := range from.m {
		if key == k || strings.HasPrefix(key, prefix) {
			f.m[key] = e
		}
	}
	f.kids = nil
}
