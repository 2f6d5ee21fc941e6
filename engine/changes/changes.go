// Package changes tells, for each layer of an image, which files it added, modified and
// deleted, and how many bytes the image ships that its final filesystem never shows, as
// the tool "dive" does.
//
// Analyze reads the layer tars in order and keeps a tree of the filesystem so far made of
// headers only (type, mode, owner, size, link target): file content is never kept, tar's
// Next skips it. Each layer's tar is compared with that tree:
//
//   - A regular file, symlink, hard link or other entry at a path that exists so far is
//     "modified", else "added".
//   - A directory entry at a new path is "added". A directory entry over an existing
//     directory is "modified" only when its mode or owner changed: every layer writes
//     the parents of what it changes again, and a row for each of them would hide the
//     files. Directories that appear only because an entry below them was written (a
//     tar with no entry for the parent) are created silently; a later entry for them is
//     "added". A directory replacing a non-directory, or the reverse, is "modified";
//     what a replaced directory held goes with it, with no row of its own, and its
//     files count as wasted.
//   - Whiteouts follow the OCI image spec: they hide what the lower layers had, never what
//     the same layer writes, whatever the order of entries in the tar. A whiteout
//     ".wh.x" gives one "deleted" row for x whose Size is the total of the regular files
//     hidden at and below x. An opaque marker ".wh..wh..opq" in a directory gives one
//     "deleted" row for each top-most path it hides (each child of the directory the
//     layer did not write again), with the same Size rule; the rows are cut at
//     MaxChangesPerLayer like all others. A whiteout of a path that does not exist hides
//     nothing and gives no row; other ".wh..wh." names (AUFS metadata) are skipped, as
//     Docker skips them.
//   - A path deleted and then written again in the same layer is one "modified" row;
//     a path written twice in one layer is one row, with the last version's size.
//
// Sizes are content bytes of regular files; a hard link entry has size 0, as in the tar.
// Wasted bytes are the versions of regular files that some later entry replaced or a
// whiteout hid: they are still shipped in the layer that wrote them. A file that a hard
// link still names is not wasted until its last name goes. Total = Final + Wasted.
package changes

import (
	"archive/tar"
	"context"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"strings"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/rootfs"
)

// Opener opens the uncompressed tar of the layer with the given diffID. Analyze closes
// what it returns.
type Opener func(ctx context.Context, diffID digest.Digest) (io.ReadCloser, error)

// Options bound what an analysis may cost. Zero or negative fields take the defaults.
type Options struct {
	// MaxEntries is the most tar entries one layer may hold (whiteouts included);
	// default 100_000. A layer with more fails with an error wrapping rootfs.ErrTooLarge.
	MaxEntries int
	// MaxChangesPerLayer is how many Change rows to keep per layer for display, the
	// first ones in tar order; default 5_000. Counts and byte totals stay exact.
	MaxChangesPerLayer int
}

// Defaults for Options' zero fields.
const (
	DefaultMaxEntries         = 100_000
	DefaultMaxChangesPerLayer = 5_000
	// MaxWastedFiles is how many paths Report.WastedFiles lists at most.
	MaxWastedFiles = 100
)

// Kind is what a layer did to a path.
type Kind string

// The kinds of change.
const (
	Added    Kind = "added"
	Modified Kind = "modified"
	Deleted  Kind = "deleted"
)

// Types of entries, as Change.Type spells them.
const (
	TypeFile     = "file"
	TypeDir      = "dir"
	TypeSymlink  = "symlink"
	TypeHardlink = "hardlink"
	TypeOther    = "other" // devices, fifos
)

// Change is one row of a layer: a path it added, modified or deleted.
type Change struct {
	// Path is absolute and clean, e.g. "/app/main.py".
	Path string
	Kind Kind
	// Type is "file", "dir", "symlink", "hardlink" or "other"; for a deletion, the type
	// of what was hidden.
	Type string
	// Size is the content bytes of this layer's version (0 for anything but a regular
	// file); for a deletion, the bytes of the regular files hidden at and below Path.
	Size int64
	// Mode is the entry's mode with its type bits (fs.ModeDir, fs.ModeSymlink ...); for a
	// deletion, the mode of what was hidden.
	Mode fs.FileMode
	// Link is a symlink's target as written, or a hard link's target as an absolute path;
	// for a deletion, that of what was hidden.
	Link string
}

// Layer is what one layer changed.
type Layer struct {
	DiffID digest.Digest
	// Size is the sum of the regular file sizes in this layer's tar.
	Size int64
	// Changes is sorted by path; it holds at most Options.MaxChangesPerLayer rows.
	Changes []Change
	// Added, Modified and Deleted count every row, kept or not.
	Added, Modified, Deleted int
	// AddedBytes, ModifiedBytes and DeletedBytes sum the Size of every row of each kind.
	AddedBytes, ModifiedBytes, DeletedBytes int64
	// Truncated is set when Changes was cut at Options.MaxChangesPerLayer.
	Truncated bool
}

// Waste is a path whose earlier versions the final image does not show.
type Waste struct {
	Path string
	// Layers is how many layers wrote a regular file at Path.
	Layers int
	// Bytes is the size of the versions written at Path that are not visible in the
	// final image (replaced or deleted by a later entry).
	Bytes int64
}

// Report is the analysis of an image's layers.
type Report struct {
	Layers []Layer
	// Total is the sum of all layer sizes: every regular file version the image ships.
	Total int64
	// Final is the bytes of the regular files visible in the final filesystem (a file
	// with several hard-linked names counts once).
	Final int64
	// Wasted is the bytes of regular file versions that a later entry overwrote or a
	// whiteout hid: shipped, but never visible in the final image. Total = Final + Wasted.
	Wasted int64
	// WastedFiles lists the paths with wasted bytes, largest first (ties by path), at
	// most MaxWastedFiles of them.
	WastedFiles []Waste
	// Efficiency is Final/Total, 1 when Total is 0.
	Efficiency float64
}

// Analyze reads the layers diffIDs names, lowest first, through open and reports what
// each one changed and how many bytes are wasted. It keeps headers only, never content.
// A layer with more than opt.MaxEntries entries fails with an error wrapping
// rootfs.ErrTooLarge; a name that is absolute or holds ".." (or writes through a symlink)
// with one wrapping rootfs.ErrUnsafePath; a hard link to nothing with rootfs.ErrBadLink.
// Cancelling ctx stops the analysis between entries with ctx's error.
func Analyze(ctx context.Context, diffIDs []digest.Digest, open Opener, opt Options) (*Report, error) {
	if opt.MaxEntries <= 0 {
		opt.MaxEntries = DefaultMaxEntries
	}
	if opt.MaxChangesPerLayer <= 0 {
		opt.MaxChangesPerLayer = DefaultMaxChangesPerLayer
	}
	a := &analyzer{
		opt:  opt,
		root: &node{typ: TypeDir, mode: fs.ModeDir | 0o755, implicit: true, children: map[string]*node{}},
		hist: map[string]*history{},
		rep:  &Report{Layers: make([]Layer, 0, len(diffIDs))},
	}
	for i, d := range diffIDs {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i+1, d, err)
		}
		l, err := a.layer(ctx, i+1, d, open)
		if err != nil {
			return nil, err
		}
		a.rep.Layers = append(a.rep.Layers, l)
		a.rep.Total += l.Size
	}
	r := a.rep
	r.Final = a.live
	r.Wasted = a.wasted
	r.Efficiency = 1
	if r.Total > 0 {
		r.Efficiency = float64(r.Final) / float64(r.Total)
	}
	for _, h := range a.hist {
		if h.bytes > 0 {
			r.WastedFiles = append(r.WastedFiles, Waste{Path: "/" + h.key, Layers: h.layers, Bytes: h.bytes})
		}
	}
	sort.Slice(r.WastedFiles, func(i, j int) bool {
		a, b := r.WastedFiles[i], r.WastedFiles[j]
		if a.Bytes != b.Bytes {
			return a.Bytes > b.Bytes
		}
		return a.Path < b.Path
	})
	if len(r.WastedFiles) > MaxWastedFiles {
		r.WastedFiles = r.WastedFiles[:MaxWastedFiles]
	}
	return r, nil
}

// node is one path of the filesystem so far: its header, never its content.
type node struct {
	typ      string
	mode     fs.FileMode
	uid, gid int
	size     int64  // regular files only
	link     string // symlink target as written; hard link target as "/key"
	data     *content
	children map[string]*node // directories only
	// touched is the number (1-based) of the last layer that wrote this path or a path
	// below it: whiteouts hide only what lower layers wrote.
	touched int
	// implicit marks a directory made only because a path below it was written.
	implicit bool
}

// content is one regular file version, shared by its hard-linked names.
type content struct {
	size  int64
	names int
	hist  *history // the path that wrote it
}

// history is what happened at one path that ever held a regular file.
type history struct {
	key    string
	layers int   // layers that wrote a regular file here
	last   int   // the last of them
	bytes  int64 // wasted versions
}

// pending is a path's row in the current layer, kept or not, so a second entry for the
// same path merges into it.
type pending struct {
	kind Kind
	size int64
	row  int // index in Layer.Changes, -1 when cut
}

type analyzer struct {
	opt    Options
	root   *node
	hist   map[string]*history
	rep    *Report
	live   int64 // bytes of contents some name still shows
	wasted int64

	// per layer
	cur  int
	l    *Layer
	rows map[string]*pending
}

// errorf wraps an error of the current layer, naming the layer and, when set, the entry.
func (a *analyzer) errorf(d digest.Digest, entry string, format string, args ...any) error {
	where := fmt.Sprintf("layer %d (%s)", a.cur, d)
	if entry != "" {
		where += fmt.Sprintf(": entry %q", entry)
	}
	return fmt.Errorf("%s: "+format, append([]any{where}, args...)...)
}

func (a *analyzer) layer(ctx context.Context, n int, d digest.Digest, open Opener) (l Layer, err error) {
	a.cur = n
	l.DiffID = d
	a.l = &l
	a.rows = map[string]*pending{}
	defer func() { a.l, a.rows = nil, nil }()
	rc, err := open(ctx, d)
	if err != nil {
		return l, a.errorf(d, "", "open: %w", err)
	}
	defer func() {
		if cerr := rc.Close(); cerr != nil && err == nil {
			err = a.errorf(d, "", "close: %w", cerr)
		}
	}()
	tr := tar.NewReader(rc)
	entries := 0
	for {
		if err := ctx.Err(); err != nil {
			return l, a.errorf(d, "", "%w", err)
		}
		h, err := tr.Next() // skips the previous entry's content unread
		if err == io.EOF {
			break
		}
		if err != nil {
			return l, a.errorf(d, "", "read tar: %w", err)
		}
		if h.Typeflag == tar.TypeXGlobalHeader {
			continue
		}
		entries++
		if entries > a.opt.MaxEntries {
			return l, a.errorf(d, h.Name, "%w: more than %d entries", rootfs.ErrTooLarge, a.opt.MaxEntries)
		}
		if err := a.entry(h); err != nil {
			return l, a.errorf(d, h.Name, "%w", err)
		}
	}
	sort.SliceStable(l.Changes, func(i, j int) bool { return l.Changes[i].Path < l.Changes[j].Path })
	return l, nil
}

// safeName cleans a tar name as rootfs.Apply does: absolute names and ".." are refused.
func safeName(n string) (string, error) {
	if strings.HasPrefix(n, "/") {
		return "", fmt.Errorf("absolute path: %w", rootfs.ErrUnsafePath)
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", fmt.Errorf("\"..\" in path: %w", rootfs.ErrUnsafePath)
		}
	}
	return rootfs.Clean(n), nil
}

func split(key string) (dir, base string) {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[:i], key[i+1:]
	}
	return "", key
}

func (a *analyzer) entry(h *tar.Header) error {
	key, err := safeName(h.Name)
	if err != nil {
		return err
	}
	if key == "" {
		if h.Typeflag == tar.TypeDir {
			return nil // the root itself
		}
		return fmt.Errorf("not a directory at the root: %w", rootfs.ErrUnsafePath)
	}
	dir, base := split(key)
	if strings.HasPrefix(base, rootfs.WhiteoutPrefix) {
		return a.whiteout(dir, base)
	}
	parent, err := a.mkdirs(dir)
	if err != nil {
		return err
	}
	n := &node{touched: a.cur, uid: h.Uid, gid: h.Gid, mode: h.FileInfo().Mode()}
	switch h.Typeflag {
	case tar.TypeDir:
		n.typ = TypeDir
	case tar.TypeReg, tar.TypeGNUSparse:
		n.typ = TypeFile
		n.size = h.Size
		a.l.Size += h.Size
		hs := a.hist[key]
		if hs == nil {
			hs = &history{key: key}
			a.hist[key] = hs
		}
		if hs.last != a.cur {
			hs.layers++
			hs.last = a.cur
		}
		n.data = &content{size: h.Size, hist: hs}
		a.live += h.Size
	case tar.TypeSymlink:
		n.typ = TypeSymlink
		n.link = h.Linkname
	case tar.TypeLink:
		target, err := safeName(h.Linkname)
		if err != nil || target == "" {
			return fmt.Errorf("hard link to %q: %w", h.Linkname, rootfs.ErrUnsafePath)
		}
		t, ok, err := a.lookup(target)
		if err != nil {
			return fmt.Errorf("hard link to %q: %w", h.Linkname, err)
		}
		if !ok || t.data == nil {
			return fmt.Errorf("hard link target %q is not a file in this layer or below it: %w", h.Linkname, rootfs.ErrBadLink)
		}
		if target == key {
			return fmt.Errorf("hard link to itself: %w", rootfs.ErrBadLink)
		}
		n.typ = TypeHardlink
		n.link = "/" + target
		n.data = t.data
	default:
		n.typ = TypeOther
	}
	if n.data != nil {
		n.data.names++ // before the old name goes, so relinking a name keeps its content
	}
	old := parent.children[base]
	kind := Added
	switch {
	case old == nil || (old.implicit && n.typ == TypeDir):
	case old.typ == TypeDir && n.typ == TypeDir:
		// Written again: keep what is below, take the new header.
		changed := old.mode != n.mode || old.uid != n.uid || old.gid != n.gid
		old.mode, old.uid, old.gid, old.touched = n.mode, n.uid, n.gid, a.cur
		if !changed {
			return nil
		}
		a.record(key, Modified, old)
		return nil
	default:
		kind = Modified
	}
	if old != nil {
		if old.typ == TypeDir && n.typ == TypeDir { // an implicit directory made explicit
			n.children = old.children
		} else {
			a.drop(old)
		}
	}
	if n.typ == TypeDir && n.children == nil {
		n.children = map[string]*node{}
	}
	parent.children[base] = n
	a.record(key, kind, n)
	return nil
}

// lookup returns the node at key; ok is false when there is none (nothing there, or a
// parent that is not a directory). A symlink among the parents is refused, as
// rootfs.Apply refuses it.
func (a *analyzer) lookup(key string) (n *node, ok bool, err error) {
	n = a.root
	for rest := key; ; {
		name, more, found := strings.Cut(rest, "/")
		c := n.children[name]
		if c == nil {
			return nil, false, nil
		}
		if !found {
			return c, true, nil
		}
		switch c.typ {
		case TypeDir:
		case TypeSymlink:
			return nil, false, fmt.Errorf("path goes through the symlink /%s: %w", key[:len(key)-len(more)-1], rootfs.ErrUnsafePath)
		default:
			return nil, false, nil
		}
		n, rest = c, more
	}
}

// mkdirs returns the directory dir, making the missing ones (implicit, no row) and
// marking every one of them as touched by this layer.
func (a *analyzer) mkdirs(dir string) (*node, error) {
	n := a.root
	n.touched = a.cur
	if dir == "" {
		return n, nil
	}
	for rest := dir; rest != ""; {
		name, more, _ := strings.Cut(rest, "/")
		done := dir[:len(dir)-len(more)]
		done = strings.TrimSuffix(done, "/")
		c := n.children[name]
		switch {
		case c == nil:
			c = &node{typ: TypeDir, mode: fs.ModeDir | 0o755, implicit: true, children: map[string]*node{}}
			n.children[name] = c
		case c.typ == TypeSymlink:
			return nil, fmt.Errorf("writes through the symlink /%s: %w", done, rootfs.ErrUnsafePath)
		case c.typ != TypeDir:
			return nil, fmt.Errorf("parent /%s: %w", done, rootfs.ErrNotDir)
		}
		c.touched = a.cur
		n, rest = c, more
	}
	return n, nil
}

// whiteout applies ".wh.<name>" or the opaque marker found in dir.
func (a *analyzer) whiteout(dir, base string) error {
	name := strings.TrimPrefix(base, rootfs.WhiteoutPrefix)
	opaque := base == rootfs.WhiteoutOpaque
	if !opaque && strings.HasPrefix(name, rootfs.WhiteoutPrefix) {
		return nil // AUFS metadata (.wh..wh.plnk, .wh..wh.aufs): not a deletion
	}
	if !opaque && (name == "" || name == "." || name == "..") {
		return fmt.Errorf("whiteout of %q: %w", name, rootfs.ErrUnsafePath)
	}
	var d *node
	if dir == "" {
		d = a.root
	} else {
		n, ok, err := a.lookup(dir)
		if err != nil {
			return err
		}
		if !ok {
			return nil // nothing there to hide
		}
		d = n
	}
	if d == nil || d.typ != TypeDir {
		return nil // nothing there to hide
	}
	if opaque {
		a.hideChildren(d, dir)
		return nil
	}
	if c := d.children[name]; c != nil {
		a.hide(d, c, join(dir, name))
	}
	return nil
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// hide removes what lower layers wrote at and below n (at key, a child of parent): all
// of it when this layer wrote nothing there, else what is below the paths it wrote.
func (a *analyzer) hide(parent, n *node, key string) {
	if n.touched != a.cur {
		_, base := split(key)
		delete(parent.children, base)
		size := a.drop(n)
		a.record(key, Deleted, &node{typ: n.typ, mode: n.mode, link: n.link, size: size})
		return
	}
	if n.typ == TypeDir {
		a.hideChildren(n, key)
	}
}

func (a *analyzer) hideChildren(d *node, key string) {
	names := make([]string, 0, len(d.children))
	for name := range d.children {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		a.hide(d, d.children[name], join(key, name))
	}
}

// drop forgets n and everything below it, and returns the bytes of the regular files
// among them. A content whose last name goes is wasted.
func (a *analyzer) drop(n *node) int64 {
	var size int64
	if n.typ == TypeFile {
		size = n.size
	}
	if c := n.data; c != nil {
		c.names--
		if c.names == 0 {
			a.live -= c.size
			a.wasted += c.size
			c.hist.bytes += c.size
		}
	}
	for _, c := range n.children {
		size += a.drop(c)
	}
	return size
}

// record counts a row of the current layer, merging it with an earlier row for key.
func (a *analyzer) record(key string, kind Kind, n *node) {
	l := a.l
	ch := Change{Path: "/" + key, Kind: kind, Type: n.typ, Size: n.size, Mode: n.mode, Link: n.link}
	if p := a.rows[key]; p != nil {
		a.count(p.kind, p.size, -1)
		switch {
		case p.kind == Deleted && kind != Deleted: // deleted, then written again
			ch.Kind = Modified
		case p.kind == Added && kind == Modified: // written twice: still new in this layer
			ch.Kind = Added
		}
		p.kind, p.size = ch.Kind, ch.Size
		a.count(p.kind, p.size, 1)
		if p.row >= 0 {
			l.Changes[p.row] = ch
		}
		return
	}
	p := &pending{kind: kind, size: ch.Size, row: -1}
	a.rows[key] = p
	a.count(kind, ch.Size, 1)
	if len(l.Changes) < a.opt.MaxChangesPerLayer {
		p.row = len(l.Changes)
		l.Changes = append(l.Changes, ch)
	} else {
		l.Truncated = true
	}
}

func (a *analyzer) count(kind Kind, size int64, sign int) {
	l := a.l
	switch kind {
	case Added:
		l.Added += sign
		l.AddedBytes += int64(sign) * size
	case Modified:
		l.Modified += sign
		l.ModifiedBytes += int64(sign) * size
	case Deleted:
		l.Deleted += sign
		l.DeletedBytes += int64(sign) * size
	}
}
