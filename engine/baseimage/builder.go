package baseimage

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"strconv"
	"strings"
	"time"

	"layerlab/engine/image"
	"layerlab/engine/rootfs"
)

// File modes of the stand-ins' entries; everything is owned by root:root.
const (
	modeDir  fs.FileMode = 0o755
	modeFile fs.FileMode = 0o644
	modeExec fs.FileMode = 0o755
	modeTmp              = fs.ModeSticky | 0o777
)

// builder assembles an Image the way its Dockerfile did: metadata rows change the
// config, committing rows snapshot the working filesystem as a new layer. The first
// error sticks and is returned by done, so the image tables read as straight lines.
type builder struct {
	img   *Image
	cur   *rootfs.FS // the working filesystem of the layer being written
	t     time.Time  // created time of the next history row; mtime of what it writes
	seed  string     // mixed into the seed of every generated file
	start int64      // cur.Usage() when the current layer began
	err   error
}

// newBuilder starts an image from scratch.
func newBuilder(name string, created time.Time) *builder {
	b := &builder{
		img:  &Image{Name: name, Architecture: "amd64", OS: "linux"},
		cur:  rootfs.New(),
		t:    created,
		seed: name,
	}
	// The root of a real image's first layer is 0755 root:root with the layer's mtime.
	b.put("", &rootfs.Entry{Kind: rootfs.KindDir, Mode: modeDir, ModTime: created})
	return b
}

// derive starts an image FROM base: its history, config and layers (shared, not copied).
// An image is never older than its base: a line's date before its base's (node 14 on a
// later rebuild of alpine 3.14) moves to a minute after the base.
func derive(base *Image, name string, created time.Time) *builder {
	if !created.After(base.Created) {
		created = base.Created.Add(time.Minute)
	}
	img := &Image{
		Name:         name,
		Config:       *base.Config.Clone(),
		History:      append([]image.History(nil), base.History...),
		Layers:       append([]*rootfs.FS(nil), base.Layers...),
		Architecture: base.Architecture,
		OS:           base.OS,
	}
	cur := rootfs.New()
	if n := len(base.Layers); n > 0 {
		cur = base.Layers[n-1].Clone()
	}
	b := &builder{img: img, cur: cur, t: created, seed: name}
	b.start = cur.Usage()
	return b
}

// deriveFrom is derive with the base looked up by its served name.
func deriveFrom(baseName, name string, created time.Time) (*builder, error) {
	base, err := get(baseName)
	if err != nil {
		return nil, err
	}
	return derive(base, name, created), nil
}

func (b *builder) fail(err error) {
	if b.err == nil && err != nil {
		b.err = err
	}
}

// put stores e at p, whose parent directories are resolved (so /bin/ls lands in
// /usr/bin on a merged-/usr system) and created when missing.
func (b *builder) put(p string, e *rootfs.Entry) {
	if b.err != nil {
		return
	}
	if rootfs.Clean(p) == "" {
		b.fail(b.cur.Put("", e))
		return
	}
	k, err := b.cur.ResolveParent(p)
	if err != nil {
		// A missing parent: create it, then resolve again.
		if !errors.Is(err, rootfs.ErrNotExist) {
			b.fail(fmt.Errorf("%s: %w", p, err))
			return
		}
		k = rootfs.Clean(p)
	}
	if dir := path.Dir("/" + k); dir != "/" {
		if err := b.cur.MkdirAll(dir, modeDir, 0, 0, b.t); err != nil {
			b.fail(fmt.Errorf("%s: %w", p, err))
			return
		}
		if k, err = b.cur.ResolveParent(p); err != nil {
			b.fail(fmt.Errorf("%s: %w", p, err))
			return
		}
	}
	if old, ok := b.cur.Lookup(k); ok && old.Kind == rootfs.KindDir && e.Kind == rootfs.KindDir {
		// Re-stating a directory keeps its contents; Put replaces only the entry.
		if old.Mode == e.Mode && old.UID == e.UID && old.GID == e.GID {
			return
		}
	}
	b.fail(b.cur.Put(k, e))
}

// dir creates directories (and their parents) with mode.
func (b *builder) dir(mode fs.FileMode, paths ...string) {
	for _, p := range paths {
		b.put(p, &rootfs.Entry{Kind: rootfs.KindDir, Mode: mode, ModTime: b.t})
	}
}

// file writes a small text file.
func (b *builder) file(p string, mode fs.FileMode, text string) {
	b.put(p, &rootfs.Entry{Kind: rootfs.KindFile, Mode: mode, ModTime: b.t, Data: rootfs.Bytes(text)})
}

// blob writes a file of n bytes of generated content, seeded by the image and path so
// that the same image always has the same bytes.
func (b *builder) blob(p string, mode fs.FileMode, n int64) {
	b.put(p, &rootfs.Entry{Kind: rootfs.KindFile, Mode: mode, ModTime: b.t, Data: rootfs.Generated{Seed: seedOf(b.seed, p), N: n}})
}

// link writes symlinks: pairs of (path, target).
func (b *builder) link(pairs ...string) {
	for i := 0; i+1 < len(pairs); i += 2 {
		b.put(pairs[i], &rootfs.Entry{Kind: rootfs.KindSymlink, Mode: 0o777, ModTime: b.t, Linkname: pairs[i+1]})
	}
}

// chown gives an existing entry a new owner.
func (b *builder) chown(p string, uid, gid int) {
	if b.err != nil {
		return
	}
	e, k, err := b.cur.Lstat(p)
	if err != nil {
		b.fail(err)
		return
	}
	c := e.Clone()
	c.UID, c.GID, c.ModTime = uid, gid, b.t
	b.fail(b.cur.Put(k, c))
}

// remove deletes p and everything under it.
func (b *builder) remove(p string) { b.fail(b.cur.RemoveAll(p)) }

// fill brings the bytes this layer adds to total by writing the files of list, one
// "path weight [x]" a line (x: executable), each sized by its share of what is left.
// Weights are roughly the real files' sizes in KiB.
func (b *builder) fill(total int64, list string) {
	if b.err != nil {
		return
	}
	type item struct {
		p    string
		w    int64
		mode fs.FileMode
	}
	var items []item
	var sum int64
	for _, line := range strings.Split(list, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		w, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || w <= 0 {
			b.fail(fmt.Errorf("fill list: bad line %q", line))
			return
		}
		it := item{p: f[0], w: w, mode: modeFile}
		if len(f) > 2 && f[2] == "x" {
			it.mode = modeExec
		}
		items = append(items, it)
		sum += w
	}
	left := total - (b.cur.Usage() - b.start)
	if left < sum {
		b.fail(fmt.Errorf("fill: layer needs %d more bytes, less than the %d files it lists", left, len(items)))
		return
	}
	var used int64
	for i, it := range items {
		n := left * it.w / sum
		if i == len(items)-1 {
			n = left - used
		}
		used += n
		b.blob(it.p, it.mode, n)
	}
}

// seedOf derives a generated file's seed from the image and path.
func seedOf(parts ...string) uint64 {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return h.Sum64()
}

// fakeSum is a stable stand-in for a content checksum in history (ADD file:<sum>).
func fakeSum(parts ...string) string {
	s := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(s[:])
}

// meta adds a history row that changes only the config.
func (b *builder) meta(createdBy string) {
	b.img.History = append(b.img.History, image.History{Created: b.t, CreatedBy: createdBy, EmptyLayer: true})
	b.t = b.t.Add(time.Second)
}

// env sets an environment variable, as ENV does.
func (b *builder) env(key, value string) {
	b.img.Config.SetEnv(key, value)
	b.meta("/bin/sh -c #(nop)  ENV " + key + "=" + value)
}

// cmd sets the default command (exec form).
func (b *builder) cmd(args ...string) {
	b.img.Config.Cmd = args
	b.meta(fmt.Sprintf("/bin/sh -c #(nop)  CMD %q", args))
}

// entrypoint sets the entrypoint (exec form).
func (b *builder) entrypoint(args ...string) {
	b.img.Config.Entrypoint = args
	b.meta(fmt.Sprintf("/bin/sh -c #(nop)  ENTRYPOINT %q", args))
}

// label sets one label.
func (b *builder) label(key, value string) {
	if b.img.Config.Labels == nil {
		b.img.Config.Labels = map[string]string{}
	}
	b.img.Config.Labels[key] = value
	b.meta("/bin/sh -c #(nop)  LABEL " + key + "=" + value)
}

// expose declares a port ("80/tcp").
func (b *builder) expose(port string) {
	if b.img.Config.ExposedPorts == nil {
		b.img.Config.ExposedPorts = map[string]struct{}{}
	}
	b.img.Config.ExposedPorts[port] = struct{}{}
	b.meta("/bin/sh -c #(nop)  EXPOSE " + strings.TrimSuffix(port, "/tcp"))
}

// stopSignal sets STOPSIGNAL.
func (b *builder) stopSignal(sig string) {
	b.img.Config.StopSignal = sig
	b.meta("/bin/sh -c #(nop)  STOPSIGNAL " + sig)
}

// workdir sets WORKDIR on a directory that already exists: the classic builder's commit
// is then empty, so the row is an empty layer.
func (b *builder) workdir(dir string) {
	if _, _, err := b.cur.Stat(dir); err != nil {
		b.fail(fmt.Errorf("workdir %s: %w", dir, err))
	}
	b.img.Config.WorkingDir = dir
	b.meta("/bin/sh -c #(nop) WORKDIR " + dir)
}

// run commits the working filesystem as a RUN layer.
func (b *builder) run(script string) { b.commit("/bin/sh -c " + script) }

// add commits the working filesystem as an ADD of one file, as the classic builder
// records it.
func (b *builder) add(dest string) {
	b.commit("/bin/sh -c #(nop) ADD file:" + fakeSum(b.seed, "ADD", dest) + " in " + dest + " ")
}

// copyIn commits the working filesystem as a COPY (kind "file" or "dir").
func (b *builder) copyIn(kind, dest string) {
	b.commit("/bin/sh -c #(nop) COPY " + kind + ":" + fakeSum(b.seed, "COPY", dest) + " in " + dest + " ")
}

// commit snapshots the working filesystem as the next layer.
func (b *builder) commit(createdBy string) {
	if b.err != nil {
		return
	}
	if len(b.img.Layers) > 0 && len(rootfs.Diff(b.img.Layers[len(b.img.Layers)-1], b.cur)) == 0 {
		b.fail(fmt.Errorf("layer %q changes nothing", createdBy))
		return
	}
	snap := b.cur
	// Build the directory index now: the snapshot is shared read-only between
	// goroutines, and the index is otherwise built lazily on first ReadDir.
	_, _ = snap.ReadDir("/")
	b.img.Layers = append(b.img.Layers, snap)
	b.img.History = append(b.img.History, image.History{Created: b.t, CreatedBy: createdBy})
	b.cur = snap.Clone()
	b.start = b.cur.Usage()
	b.t = b.t.Add(30 * time.Second)
}

// done returns the finished image.
func (b *builder) done() (*Image, error) {
	if b.err != nil {
		return nil, fmt.Errorf("%s: %w", b.img.Name, b.err)
	}
	if n := len(b.img.History); n > 0 {
		b.img.Created = b.img.History[n-1].Created
	}
	return b.img, nil
}

// date parses a fixed creation time.
func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// splitLines returns the non-blank lines of s.
func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}
