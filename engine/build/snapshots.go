package build

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"unsafe"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/image"
	"layerlab/engine/rootfs"
)

// ChainID is the OCI chain ID of a layer stack: the identity of "these layers applied in
// this order". Filesystem snapshots are cached by it, so the snapshot after a metadata
// step is the one after the last layer before it.
func ChainID(diffIDs []digest.Digest) digest.Digest {
	if len(diffIDs) == 0 {
		return ""
	}
	c := diffIDs[0]
	for _, d := range diffIDs[1:] {
		c = digest.FromString(c.String() + " " + d.String())
	}
	return c
}

// DefaultSnapshotCacheBytes bounds the memory the snapshot cache keeps alive, over all
// builds of a Builder: past it the least recently used snapshots go, and a snapshot
// bigger than the whole bound is not kept at all (its build still has it). A quarter
// of the 1 GiB a class server should stay under: the sandbox may hold 512 MiB more.
const DefaultSnapshotCacheBytes = 256 << 20

// entryCost is what one entry of a snapshot's map costs beyond its content: the map
// slot, the key's header and a share of the Entry (snapshots of one lineage share
// their Entry values and key strings, so this leans low rather than high).
const entryCost = 64

// snapCache keeps recent filesystem snapshots by chain ID, bounded in bytes. Snapshots
// of one lineage share their file contents, so a content array is counted once however
// many cached snapshots hold it, and freed from the count when the last one goes.
// Generated content costs nothing until read and is not counted.
type snapCache struct {
	mu   sync.Mutex
	max  int64
	used int64
	m    map[digest.Digest]*list.Element // of *snapItem
	lru  *list.List                      // most recently used at the front
	data map[*byte]*dataRef              // content arrays the cached snapshots hold
}

type snapItem struct {
	id     digest.Digest
	fs     *rootfs.FS
	own    int64   // the snapshot's map: entries * entryCost
	arrays []*byte // its distinct content arrays
}

type dataRef struct {
	size int64
	refs int
}

func newSnapCache(maxBytes int64) *snapCache {
	return &snapCache{max: maxBytes, m: map[digest.Digest]*list.Element{}, lru: list.New(), data: map[*byte]*dataRef{}}
}

func (c *snapCache) get(id digest.Digest) (*rootfs.FS, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.m[id]
	if !ok {
		return nil, false
	}
	c.lru.MoveToFront(el)
	return el.Value.(*snapItem).fs, true
}

// measure lists f's distinct content arrays with their sizes (read-only: cached
// snapshots are never changed, and the one being put is done changing).
func measure(f *rootfs.FS) (own int64, arrays map[*byte]int64) {
	arrays = map[*byte]int64{}
	f.Range(func(_ string, e *rootfs.Entry) {
		own += entryCost
		if b, ok := e.Data.(rootfs.Bytes); ok && cap(b) > 0 {
			arrays[unsafe.SliceData(b)] = int64(cap(b))
		}
	})
	return own, arrays
}

func (c *snapCache) put(id digest.Digest, f *rootfs.FS) {
	if id == "" {
		return
	}
	c.mu.Lock()
	_, ok := c.m[id]
	c.mu.Unlock()
	if ok {
		return
	}
	own, arrays := measure(f)
	total := own
	for _, n := range arrays {
		total += n
	}
	if total > c.max {
		return // bigger than the whole cache: keeping it would only evict the rest
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[id]; ok {
		return
	}
	it := &snapItem{id: id, fs: f, own: own, arrays: make([]*byte, 0, len(arrays))}
	c.used += own
	for p, n := range arrays {
		it.arrays = append(it.arrays, p)
		if d := c.data[p]; d != nil {
			d.refs++
			continue
		}
		c.data[p] = &dataRef{size: n, refs: 1}
		c.used += n
	}
	c.m[id] = c.lru.PushFront(it)
	for c.used > c.max {
		back := c.lru.Back()
		if back == nil || back.Value.(*snapItem) == it {
			break
		}
		c.evict(back)
	}
}

func (c *snapCache) evict(el *list.Element) {
	it := c.lru.Remove(el).(*snapItem)
	delete(c.m, it.id)
	c.used -= it.own
	for _, p := range it.arrays {
		d := c.data[p]
		if d.refs--; d.refs == 0 {
			delete(c.data, p)
			c.used -= d.size
		}
	}
}

// bytes is what the cache holds, by its count.
func (c *snapCache) bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used
}

// snapshot returns the filesystem of an image: from the cache, or by applying its
// layer blobs on top of the longest cached prefix. The result must not be changed;
// callers Clone it.
func (b *Builder) snapshot(ctx context.Context, st Store, rec *image.Record) (*rootfs.FS, error) {
	if rec == nil {
		return rootfs.New(), nil
	}
	diffIDs := rec.DiffIDs()
	if _, ok := b.snaps.get(ChainID(diffIDs)); !ok {
		b.restoreBase(ctx, st, rec)
	}
	start := 0
	base := rootfs.New()
	for i := len(diffIDs); i > 0; i-- {
		if f, ok := b.snaps.get(ChainID(diffIDs[:i])); ok {
			base, start = f, i
			break
		}
	}
	if start == len(diffIDs) {
		return base, nil
	}
	f := base.Clone()
	for i := start; i < len(diffIDs); i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := b.applyBlob(ctx, st, f, diffIDs[i]); err != nil {
			return nil, fmt.Errorf("restore filesystem of %s: layer %d: %w", image.ShortID(rec.ID), i+1, err)
		}
		b.snaps.put(ChainID(diffIDs[:i+1]), f)
		if i+1 < len(diffIDs) {
			f = f.Clone()
		}
	}
	return f, nil
}

// Restorer is implemented by a Puller that can regenerate the filesystems of what it
// pulled (the stand-ins), which beats reading their layers back.
type Restorer interface {
	Restore(name string) ([]*rootfs.FS, bool)
}

// restoreBase finds the stand-in base below rec (following parents) and puts its layer
// snapshots into the cache under their chain IDs.
func (b *Builder) restoreBase(ctx context.Context, st Store, rec *image.Record) {
	rs, ok := b.Puller.(Restorer)
	if !ok {
		return
	}
	for i := 0; rec != nil && i < 1000; i++ {
		if rec.Build != nil && rec.Build.StandIn != "" {
			layers, ok := rs.Restore(rec.Build.StandIn)
			if !ok || len(layers) != len(rec.DiffIDs()) {
				return
			}
			for j, f := range layers {
				b.snaps.put(ChainID(rec.DiffIDs()[:j+1]), f)
			}
			return
		}
		if rec.Parent == "" {
			return
		}
		next, err := st.Image(ctx, rec.Parent)
		if err != nil {
			return
		}
		rec = next
	}
}

func (b *Builder) applyBlob(ctx context.Context, st Store, f *rootfs.FS, d digest.Digest) error {
	if d == image.EmptyLayerDiffID {
		return nil
	}
	rc, err := st.OpenBlob(ctx, d)
	if err != nil {
		if errors.Is(err, ErrNotFound) {
			return fmt.Errorf("layer blob %s is missing from the store: %w", d, err)
		}
		return err
	}
	defer rc.Close()
	r, err := maybeDecompress(rc)
	if err != nil {
		return err
	}
	return rootfs.Apply(f, r, rootfs.ApplyOptions{Whiteouts: true})
}

// layerSize is Docker's DiffSize of a layer: the bytes of its regular files plus the
// length of its symlink targets (what overlay2's upper directory holds).
func layerSize(changes []rootfs.Change) int64 {
	var n int64
	for _, c := range changes {
		if c.Entry == nil {
			continue
		}
		switch c.Entry.Kind {
		case rootfs.KindFile:
			n += c.Entry.Size()
		case rootfs.KindSymlink:
			n += int64(len(c.Entry.Linkname))
		}
	}
	return n
}

// storeLayer writes the tar of changes into the store and returns the layer. known is
// the layer's diffID when it is known already, else "": PutBlob then reads nothing when
// the blob is stored, and checks the bytes against known when it is not.
func storeLayer(ctx context.Context, s Store, known digest.Digest, changes []rootfs.Change) (image.Layer, error) {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(rootfs.WriteTar(pw, changes))
	}()
	d, _, err := s.PutBlob(ctx, known, pr)
	pr.CloseWithError(err)
	if err != nil {
		return image.Layer{}, fmt.Errorf("store layer: %w", err)
	}
	return image.Layer{DiffID: d, Size: layerSize(changes)}, nil
}
