package rootfs

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"
	"time"
)

// Whiteout names, as the OCI image spec and Docker's overlay2 write them.
const (
	WhiteoutPrefix = ".wh."
	WhiteoutOpaque = ".wh..wh..opq"
)

// Change is one entry of a layer: an added or modified entry, a deletion (whiteout),
// or an opaque directory (everything the lower layers had below it is hidden).
type Change struct {
	Key     string
	Entry   *Entry // nil for a deletion
	Opaque  bool   // Entry is a directory whose lower contents are all gone
	Deleted bool
}

// Diff returns what turns lower into upper, in tar order: every added or written
// entry (upper holds a different *Entry than lower) with its parent directories (as overlay2 records them), a whiteout for each
// removed top-most path, and an opaque marker for a directory whose old contents were
// all removed. An empty result means the step changed nothing (an empty layer).
func Diff(lower, upper *FS) []Change {
	changed := map[string]bool{}
	var out []Change
	for k, e := range upper.m {
		if k == "" {
			continue
		}
		// Identity, not equality: an entry that was written is a new object even when its
		// bytes are the same, and overlay2 puts every written path into the layer (a
		// COPY of an identical file still makes a layer).
		if old, ok := lower.m[k]; !ok || old != e {
			changed[k] = true
		}
	}
	// A hard link whose file was written is written again after it, so re-applying the
	// layer keeps the names linked.
	for k, e := range upper.m {
		if e.Kind == KindHardlink && changed[e.Linkname] {
			changed[k] = true
		}
	}
	deleted := map[string]bool{}
	for k, old := range lower.m {
		if k == "" {
			continue
		}
		e, ok := upper.m[k]
		if ok && (e.Kind == KindDir) == (old.Kind == KindDir) {
			continue
		}
		// Only the top-most removed path needs a whiteout.
		if p := path.Dir("/" + k)[1:]; p != "" {
			if pe, ok := upper.m[p]; !ok || pe.Kind != KindDir {
				continue
			}
		}
		if ok { // a dir replaced by a non-dir or the reverse: the new entry hides it
			if e.Kind == KindDir {
				changed[k] = true
				deleted[k] = true // the directory must be opaque
			}
			continue
		}
		deleted[k] = true
	}
	// Opaque directories: a directory present in both whose lower children are all gone,
	// or a directory that replaced a non-directory.
	opaque := map[string]bool{}
	for k := range deleted {
		if e, ok := upper.m[k]; ok && e.Kind == KindDir {
			opaque[k] = true
			delete(deleted, k)
		}
	}
	for k, e := range upper.m {
		if e.Kind != KindDir || k == "" {
			continue
		}
		old, ok := lower.m[k]
		// Opaque only when the directory itself was made anew (rm -rf d && mkdir d): a
		// directory whose files were removed one by one keeps one whiteout each, as
		// overlay2 records it.
		if !ok || old.Kind != KindDir || old == e {
			continue
		}
		lk := lower.children(k)
		if len(lk) == 0 {
			continue
		}
		gone := true
		for _, c := range lk {
			if _, ok := upper.m[join(k, c)]; ok {
				gone = false
				break
			}
		}
		if gone {
			opaque[k] = true
			changed[k] = true
		}
	}
	for k := range opaque {
		for d := range deleted {
			if path.Dir("/" + d)[1:] == k {
				delete(deleted, d)
			}
		}
	}
	// Parents of every change are part of the layer.
	need := map[string]bool{}
	for k := range changed {
		need[k] = true
	}
	for k := range deleted {
		if p := path.Dir("/" + k)[1:]; p != "" {
			need[p] = true
		}
	}
	for k := range need {
		for p := path.Dir("/" + k)[1:]; p != ""; p = path.Dir("/" + p)[1:] {
			if need[p] {
				break
			}
			need[p] = true
		}
	}
	keys := make([]string, 0, len(need)+len(deleted))
	for k := range need {
		keys = append(keys, k)
	}
	for k := range deleted {
		keys = append(keys, k)
	}
	sortPaths(keys)
	for i, k := range keys {
		if i > 0 && keys[i-1] == k {
			continue
		}
		if deleted[k] && !need[k] {
			out = append(out, Change{Key: k, Deleted: true})
			continue
		}
		out = append(out, Change{Key: k, Entry: upper.m[k], Opaque: opaque[k]})
	}
	return out
}

// WriteTar writes changes as a layer tar with OCI whiteouts. Headers are fully
// determined by the entries (no host uid names, no access times), so the same
// changes always give the same bytes and so the same diffID.
func WriteTar(w io.Writer, changes []Change) error {
	tw := tar.NewWriter(w)
	// A hard link must come after the name it links to. When the file's own name sorts
	// after one of its links in this layer, the first name in tar order carries the
	// content and the others (the file's name included) link to it.
	inLayer := map[string]*Entry{}
	for _, c := range changes {
		if c.Entry != nil {
			inLayer[c.Key] = c.Entry
		}
	}
	primary := map[string]string{} // file key -> name written with the content
	for _, c := range changes {
		if c.Entry == nil {
			continue
		}
		target := c.Key
		if c.Entry.Kind == KindHardlink {
			target = c.Entry.Linkname
			if _, ok := inLayer[target]; !ok {
				continue // the file is in a lower layer: link to it as it is
			}
		} else if c.Entry.Kind != KindFile {
			continue
		}
		if _, ok := primary[target]; !ok {
			primary[target] = c.Key
		}
	}
	for _, c := range changes {
		if c.Deleted {
			dir, base := path.Split(c.Key)
			if err := tw.WriteHeader(whiteoutHeader(dir + WhiteoutPrefix + base)); err != nil {
				return fmt.Errorf("write whiteout %s: %w", c.Key, err)
			}
			continue
		}
		e := c.Entry
		switch {
		case e.Kind == KindFile && primary[c.Key] != "" && primary[c.Key] != c.Key:
			l := e.Clone()
			l.Kind, l.Linkname, l.Data = KindHardlink, primary[c.Key], nil
			e = l
		case e.Kind == KindHardlink && primary[e.Linkname] == c.Key:
			f := inLayer[e.Linkname].Clone()
			f.Mode, f.UID, f.GID, f.ModTime = e.Mode, e.UID, e.GID, e.ModTime
			e = f
		case e.Kind == KindHardlink && primary[e.Linkname] != "":
			l := e.Clone()
			l.Linkname = primary[e.Linkname]
			e = l
		}
		if err := writeEntry(tw, c.Key, e); err != nil {
			return err
		}
		if c.Opaque {
			if err := tw.WriteHeader(whiteoutHeader(c.Key + "/" + WhiteoutOpaque)); err != nil {
				return fmt.Errorf("write opaque marker %s: %w", c.Key, err)
			}
		}
	}
	return tw.Close()
}

// epoch is the mtime of whiteouts: fixed, so layers stay reproducible.
var epoch = time.Unix(0, 0).UTC()

func whiteoutHeader(name string) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o600, ModTime: epoch}
}

// Type bits as st_mode carries them; Docker writes them into tar headers.
const (
	sIFREG = 0o100000
	sIFDIR = 0o40000
	sIFLNK = 0o120000
)

// ModeBits returns the permission, setuid, setgid and sticky bits as st_mode holds them.
func ModeBits(m fs.FileMode) int64 {
	b := int64(m.Perm())
	if m&fs.ModeSetuid != 0 {
		b |= 0o4000
	}
	if m&fs.ModeSetgid != 0 {
		b |= 0o2000
	}
	if m&fs.ModeSticky != 0 {
		b |= 0o1000
	}
	return b
}

func writeEntry(tw *tar.Writer, key string, e *Entry) error {
	h := &tar.Header{
		Name:    key,
		Uid:     e.UID,
		Gid:     e.GID,
		ModTime: e.ModTime.UTC().Truncate(time.Second),
	}
	if h.ModTime.IsZero() {
		h.ModTime = epoch
	}
	mode := ModeBits(e.Mode)
	switch e.Kind {
	case KindDir:
		h.Typeflag = tar.TypeDir
		h.Name += "/"
		h.Mode = mode | sIFDIR
	case KindSymlink:
		h.Typeflag = tar.TypeSymlink
		h.Linkname = e.Linkname
		h.Mode = mode | sIFLNK
	case KindHardlink:
		h.Typeflag = tar.TypeLink
		h.Linkname = e.Linkname
		h.Mode = mode | sIFREG
	default:
		h.Typeflag = tar.TypeReg
		h.Mode = mode | sIFREG
		h.Size = e.Size()
	}
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("write %s: %w", key, err)
	}
	if h.Typeflag == tar.TypeReg && h.Size > 0 {
		n, err := io.Copy(tw, e.Data.Open())
		if err != nil {
			return fmt.Errorf("write %s: %w", key, err)
		}
		if n != h.Size {
			return fmt.Errorf("write %s: content is %d bytes, header says %d", key, n, h.Size)
		}
	}
	return nil
}

// Limits bound what applying one untrusted tar may cost.
type Limits struct {
	MaxBytes   int64 // total file content
	MaxEntries int
}

// DefaultLimits are generous for teaching images and small enough to stop a bomb.
var DefaultLimits = Limits{MaxBytes: 512 << 20, MaxEntries: 200_000}

// ApplyOptions say how a tar is unpacked.
type ApplyOptions struct {
	Dest      string // directory to unpack under ("" = root); for ADD of a local tar
	Whiteouts bool   // interpret OCI whiteouts (layers: yes; ADD archives: no)
	Limits    Limits
	// Chown, when set, overrides every entry's owner (ADD --chown).
	Chown *[2]int
}

// Apply unpacks the tar r onto f. Untrusted input is refused with a clear error before
// anything escapes: absolute or ".." names, writes through a symlink, hard links to
// anything outside the archive's reach, and archives past Limits. On error f may hold
// part of the archive; callers apply onto a clone and drop it on failure.
func Apply(f *FS, r io.Reader, opt ApplyOptions) error {
	if opt.Limits == (Limits{}) {
		opt.Limits = DefaultLimits
	}
	dest := Clean(opt.Dest)
	tr := tar.NewReader(r)
	var total int64
	entries := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read tar: %w", err)
		}
		entries++
		if entries > opt.Limits.MaxEntries {
			return fmt.Errorf("tar entry %q: %w: more than %d entries", h.Name, ErrTooLarge, opt.Limits.MaxEntries)
		}
		name, err := safeName(h.Name)
		if err != nil {
			return err
		}
		if name == "" {
			if h.Typeflag == tar.TypeDir {
				continue
			}
			return fmt.Errorf("tar entry %q: %w", h.Name, ErrUnsafePath)
		}
		key := join(dest, name)
		dir, base := path.Split(key)
		dir = strings.TrimSuffix(dir, "/")
		// Parents must be real directories: a symlink in the way would redirect the write.
		if err := checkNoSymlinkParent(f, dir, h.Name); err != nil {
			return err
		}
		if opt.Whiteouts && strings.HasPrefix(base, WhiteoutPrefix) {
			if name := strings.TrimPrefix(base, WhiteoutPrefix); base != WhiteoutOpaque && (name == "" || name == "." || name == ".." || strings.Contains(name, "/")) {
				return fmt.Errorf("tar entry %q: whiteout of %q: %w", h.Name, name, ErrUnsafePath)
			}
			if base == WhiteoutOpaque {
				for _, c := range f.children(dir) {
					if err := f.RemoveAll(join(dir, c)); err != nil {
						return fmt.Errorf("tar entry %q: %w", h.Name, err)
					}
				}
				continue
			}
			if err := f.RemoveAll(join(dir, strings.TrimPrefix(base, WhiteoutPrefix))); err != nil {
				return fmt.Errorf("tar entry %q: %w", h.Name, err)
			}
			continue
		}
		if err := f.MkdirAll(dir, 0o755, 0, 0, h.ModTime); err != nil {
			return fmt.Errorf("tar entry %q: %w", h.Name, err)
		}
		e := &Entry{
			Mode:    fs.FileMode(h.Mode & 0o777),
			UID:     h.Uid,
			GID:     h.Gid,
			ModTime: h.ModTime.UTC(),
		}
		if h.Mode&0o4000 != 0 {
			e.Mode |= fs.ModeSetuid
		}
		if h.Mode&0o2000 != 0 {
			e.Mode |= fs.ModeSetgid
		}
		if h.Mode&0o1000 != 0 {
			e.Mode |= fs.ModeSticky
		}
		if opt.Chown != nil {
			e.UID, e.GID = opt.Chown[0], opt.Chown[1]
		}
		switch h.Typeflag {
		case tar.TypeDir:
			e.Kind = KindDir
			if old, ok := f.m[key]; ok && old.Kind == KindDir {
				if err := f.Put(key, e); err != nil {
					return fmt.Errorf("tar entry %q: %w", h.Name, err)
				}
				continue
			}
		case tar.TypeReg: // tar.Reader reports the legacy TypeRegA as TypeReg
			e.Kind = KindFile
			total += h.Size
			if total > opt.Limits.MaxBytes {
				return fmt.Errorf("tar entry %q: %w: more than %d bytes of content (is it a decompression bomb?)", h.Name, ErrTooLarge, opt.Limits.MaxBytes)
			}
			data, err := io.ReadAll(io.LimitReader(tr, h.Size+1))
			if err != nil {
				return fmt.Errorf("tar entry %q: %w", h.Name, err)
			}
			if int64(len(data)) != h.Size {
				return fmt.Errorf("tar entry %q: truncated content", h.Name)
			}
			e.Data = Bytes(data)
		case tar.TypeSymlink:
			e.Kind = KindSymlink
			e.Linkname = h.Linkname
		case tar.TypeLink:
			target, err := safeName(h.Linkname)
			if err != nil || target == "" {
				return fmt.Errorf("tar entry %q: hard link to %q: %w", h.Name, h.Linkname, ErrUnsafePath)
			}
			target = join(dest, target)
			if err := checkNoSymlinkParent(f, path.Dir("/" + target)[1:], h.Name); err != nil {
				return err
			}
			t, ok := f.m[target]
			if !ok || (t.Kind != KindFile && t.Kind != KindHardlink) {
				return fmt.Errorf("tar entry %q: hard link target %q is not a file in this archive or below it: %w", h.Name, h.Linkname, ErrBadLink)
			}
			if t.Kind == KindHardlink {
				target = t.Linkname
			}
			if target == key {
				return fmt.Errorf("tar entry %q: hard link to itself: %w", h.Name, ErrBadLink)
			}
			e.Kind = KindHardlink
			e.Linkname = target
		default:
			// Devices, fifos: a teaching sandbox has no use for them; skip quietly as
			// rootless unpackers do.
			continue
		}
		if old, ok := f.m[key]; ok && (old.Kind != KindDir || e.Kind != KindDir) {
			// Replace as an extractor does: unlink first, so other names of a
			// hard-linked file keep the old content.
			if err := f.RemoveAll(key); err != nil {
				return err
			}
		}
		if err := f.Put(key, e); err != nil {
			return fmt.Errorf("tar entry %q: %w", h.Name, err)
		}
	}
}

func checkNoSymlinkParent(f *FS, dir, name string) error {
	for p := dir; p != ""; p = path.Dir("/" + p)[1:] {
		if e, ok := f.m[p]; ok && e.Kind == KindSymlink {
			return fmt.Errorf("tar entry %q writes through the symlink /%s: %w", name, p, ErrUnsafePath)
		}
	}
	return nil
}

// safeName cleans a tar entry name and refuses absolute names and any "..".
func safeName(n string) (string, error) {
	if strings.HasPrefix(n, "/") {
		return "", fmt.Errorf("tar entry %q: absolute path: %w", n, ErrUnsafePath)
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", fmt.Errorf("tar entry %q: \"..\" in path: %w", n, ErrUnsafePath)
		}
	}
	return Clean(n), nil
}

// Differences lists, by value, every path whose entry differs between a and b (kind,
// mode, owner, link target, mtime, content), for tests and tools; Diff compares by
// identity because that is what a layer records.
// Names of one hard-linked file compare by what they read as, since which name holds
// the content follows tar order.
func Differences(a, b *FS) []string {
	var out []string
	for k, e := range b.m {
		if o, ok := a.m[k]; !ok || !a.linkTarget(o).sameAs(b.linkTarget(e)) {
			out = append(out, k)
		}
	}
	for k := range a.m {
		if _, ok := b.m[k]; !ok {
			out = append(out, k)
		}
	}
	sortPaths(out)
	return out
}

func (f *FS) linkTarget(e *Entry) *Entry {
	if e.Kind == KindHardlink {
		if t, ok := f.m[e.Linkname]; ok {
			return t
		}
	}
	return e
}
