// Package validate checks the invariants every image keeps wherever it is: in a
// store, in a docker-archive or OCI layout, in a registry. It is layerlab's
// counterpart of go-containerregistry's pkg/v1/validate: the tests of every package
// that makes or moves images (the builder, db, save and load, pull and push, the hub)
// run Image over what they made, so a change that breaks an invariant fails the
// tests of the package that broke it.
//
// What must hold of an image:
//   - its config's sha256 (of the exact bytes) is the image ID;
//   - the config decodes, its rootfs.type is "layers", and rootfs.diff_ids lists the
//     layers, one entry per layer, in order;
//   - each layer's uncompressed bytes hash to its diff ID and are a tar that names no
//     path twice; its content size (Docker's: file bytes and symlink targets) and its
//     tar's byte count are what is recorded of them;
//   - where a compressed blob is known, it hashes to its digest, has its recorded size
//     and decompresses to the layer's diff ID;
//   - the history, when there is one, has one row with empty_layer false per layer;
//   - the sizes add up: a reported image size is the sum of its layers' sizes;
//   - a manifest is the digest and size it is named by, has known media types (OCI or
//     Docker schema 2), names the config by its digest and size, and lists one layer
//     descriptor per layer, in order, each the digest and size of its blob.
//
// Image reports every violation it finds, joined (errors.Join); each names the image
// and the layer or row, and wraps one of the sentinels of errors.go.
package validate

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"path"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/image"
)

// Source is an image as the checker reads it, in the few terms the invariants need.
// The adapters of this package make one from a store's record (Record), from a
// docker-archive or OCI layout (ReadArchive) and from a registry's manifest and blobs
// (Registry).
type Source interface {
	// Name says which image a violation is about: a reference, an ID, an archive entry.
	Name() string
	// ID is the image ID the source names the image by; its config must hash to it.
	ID() digest.Digest
	// RawConfig returns the image JSON exactly as the source holds it.
	RawConfig(ctx context.Context) ([]byte, error)
	// Layers returns the image's layers as the source records them, base first.
	Layers(ctx context.Context) ([]Layer, error)
	// OpenLayer opens layer i's uncompressed tar, or returns an error wrapping
	// ErrUnavailable when the source holds only its compressed blob.
	OpenLayer(ctx context.Context, i int) (io.ReadCloser, error)
	// OpenCompressed opens layer i's compressed blob, or returns an error wrapping
	// ErrUnavailable when the source holds none.
	OpenCompressed(ctx context.Context, i int) (io.ReadCloser, error)
}

// Sizer is a Source that reports the image's size apart from its layers (what `image
// ls` shows); it must be the sum of the layers' sizes.
type Sizer interface {
	Size() int64
}

// Manifester is a Source that has a manifest (an OCI layout, a registry).
type Manifester interface {
	Manifest(ctx context.Context) (*Manifest, error)
}

// Manifest is a manifest as a source holds it.
type Manifest struct {
	// MediaType is what the source says the manifest is (a registry's Content-Type,
	// an index's descriptor); "" when it says nothing.
	MediaType string
	// Digest and Size are what the source names the manifest by (a push's result, an
	// index's descriptor); "" and -1 when it names it by nothing checkable.
	Digest digest.Digest
	Size   int64
	Raw    []byte
}

// Layer is one layer as a source records it. A field the source does not record is
// left at its "unknown" value (negative sizes, empty digests), and the check that
// needs it is skipped.
type Layer struct {
	// DiffID is the sha256 of the uncompressed tar as the source records it, apart
	// from the config; "" when it records none (a manifest names only blobs).
	DiffID digest.Digest
	// Size is the layer's content size as Docker counts it (DiffSize) and as
	// image.Layer.Size records it: the bytes of the regular files and the symlink
	// targets the tar leaves, a path written twice counted once; negative when not
	// recorded.
	Size int64
	// TarSize is the uncompressed tar's byte count (a plain-tar descriptor's size);
	// negative when not recorded.
	TarSize int64
	// Digest and CompressedSize describe the compressed blob; "" and 0 when the source
	// knows of none.
	Digest         digest.Digest
	CompressedSize int64
	// MediaType is the layer descriptor's, for a source with a manifest.
	MediaType string
}

// Image checks every invariant of the package doc that src has the data for, and
// returns every violation, joined; nil when there is none.
func Image(ctx context.Context, src Source) error {
	c := &checker{ctx: ctx, src: src, name: src.Name()}
	c.run()
	return errors.Join(c.errs...)
}

type checker struct {
	ctx  context.Context
	src  Source
	name string
	errs []error

	raw      []byte       // the config as read; nil when it could not be
	cfg      *image.Image // the decoded config; nil when it does not decode
	diffIDs  []digest.Digest
	layers   []Layer
	layersOK bool // the source listed its layers
}

// fail records a violation of what sentinel guards, at where ("config", "layer 2 of
// 3 (sha256:…)"); err, when set, is the cause and is wrapped too.
func (c *checker) fail(where string, sentinel error, err error, format string, args ...any) {
	detail := fmt.Sprintf(format, args...)
	msg := "image " + c.name
	if where != "" {
		msg += ": " + where
	}
	if err != nil {
		c.errs = append(c.errs, fmt.Errorf("%s: %w: %s: %w", msg, sentinel, detail, err))
		return
	}
	c.errs = append(c.errs, fmt.Errorf("%s: %w: %s", msg, sentinel, detail))
}

func (c *checker) run() {
	c.checkConfig()
	layers, err := c.src.Layers(c.ctx)
	if err != nil {
		c.fail("layers", ErrManifest, err, "the source cannot list them")
	} else {
		c.layers, c.layersOK = layers, true
		c.checkLayers()
	}
	c.checkHistory()
	c.checkSize()
	if m, ok := c.src.(Manifester); ok {
		c.checkManifest(m)
	}
}

func (c *checker) checkConfig() {
	raw, err := c.src.RawConfig(c.ctx)
	if err != nil {
		c.fail("config", ErrConfig, err, "it cannot be read")
		return
	}
	c.raw = raw
	id := c.src.ID()
	if err := id.Validate(); err != nil {
		c.fail("config", ErrConfigDigest, err, "the image ID %q is not a digest", id)
	} else if got := digest.FromBytes(raw); got != id {
		c.fail("config", ErrConfigDigest, nil, "the config hashes to %s", got)
	}
	var img image.Image
	if err := json.Unmarshal(raw, &img); err != nil {
		c.fail("config", ErrConfig, err, "%d bytes", len(raw))
		return
	}
	c.cfg = &img
	if img.RootFS.Type != "layers" {
		c.fail("config", ErrRootFS, nil, "rootfs.type is %q", img.RootFS.Type)
	}
	for i, d := range img.RootFS.DiffIDs {
		if err := d.Validate(); err != nil {
			c.fail(fmt.Sprintf("config rootfs.diff_ids[%d]", i), ErrDiffIDs, err, "%q is not a digest", d)
		}
	}
	c.diffIDs = img.RootFS.DiffIDs
}

// where names layer i: its position and the diff ID it is expected to have.
func (c *checker) where(i int) string {
	return fmt.Sprintf("layer %d of %d (%s)", i+1, len(c.layers), c.want(i))
}

// want is the diff ID layer i must hash to: the config's, or when the config has
// none for it, what the source records.
func (c *checker) want(i int) digest.Digest {
	if c.cfg != nil && i < len(c.diffIDs) {
		return c.diffIDs[i]
	}
	return c.layers[i].DiffID
}

// otherPosition says where got is among the config's diff IDs, when it is there at
// another position than i: a layer out of order.
func (c *checker) otherPosition(i int, got digest.Digest) (int, bool) {
	for j, d := range c.diffIDs {
		if j != i && d == got {
			return j, true
		}
	}
	return 0, false
}

// mismatch reports content of layer i that hashes to got instead of its diff ID.
func (c *checker) mismatch(i int, what string, got digest.Digest) {
	if j, ok := c.otherPosition(i, got); ok {
		c.fail(c.where(i), ErrDiffID, ErrLayerOrder, "%s hashes to %s, rootfs.diff_ids[%d]", what, got, j)
		return
	}
	c.fail(c.where(i), ErrDiffID, nil, "%s hashes to %s", what, got)
}

func (c *checker) checkLayers() {
	if c.cfg != nil && len(c.layers) != len(c.diffIDs) {
		c.fail("config", ErrDiffIDs, nil, "rootfs.diff_ids has %d entries, the image has %d layers", len(c.diffIDs), len(c.layers))
	}
	for i, l := range c.layers {
		if c.cfg != nil && i < len(c.diffIDs) && l.DiffID != "" && l.DiffID != c.diffIDs[i] {
			if j, ok := c.otherPosition(i, l.DiffID); ok {
				c.fail(c.where(i), ErrDiffIDs, ErrLayerOrder, "recorded as %s, rootfs.diff_ids[%d]", l.DiffID, j)
			} else {
				c.fail(c.where(i), ErrDiffIDs, nil, "recorded as %s", l.DiffID)
			}
		}
		c.checkContent(i, l)
	}
}

// checkContent reads layer i's bytes, uncompressed and compressed where the source
// holds them, and checks them against what is recorded.
func (c *checker) checkContent(i int, l Layer) {
	want := c.want(i)
	read := false
	tarChecked := false
	rc, err := c.src.OpenLayer(c.ctx, i)
	switch {
	case errors.Is(err, ErrUnavailable):
	case err != nil:
		read = true
		c.fail(c.where(i), ErrMissingBlob, err, "the uncompressed tar cannot be opened")
	default:
		read = true
		r := newCountingReader(rc)
		size, tarErr := scanTar(r)
		rc.Close()
		switch {
		case r.err != nil:
			c.fail(c.where(i), ErrMissingBlob, r.err, "reading the uncompressed tar")
		default:
			tarChecked = true
			if tarErr != nil {
				c.fail(c.where(i), ErrLayerTar, tarErr, "the uncompressed tar")
			}
			if got := r.digest(); want != "" && got != want {
				c.mismatch(i, "the uncompressed tar", got)
			}
			c.checkSizes(i, l, "the uncompressed tar", size, r.n)
		}
	}

	if l.Digest != "" {
		if err := l.Digest.Validate(); err != nil {
			c.fail(c.where(i), ErrDigest, err, "the compressed digest %q is not a digest", l.Digest)
		}
	}
	zc, err := c.src.OpenCompressed(c.ctx, i)
	switch {
	case errors.Is(err, ErrUnavailable):
	case err != nil:
		read = true
		c.fail(c.where(i), ErrMissingBlob, err, "the compressed blob %s cannot be opened", l.Digest)
	default:
		read = true
		c.checkCompressed(i, l, want, zc, !tarChecked)
		zc.Close()
	}
	if !read {
		c.fail(c.where(i), ErrMissingBlob, nil, "the source holds no bytes of it")
	}
}

// checkCompressed reads a compressed blob through, hashing it and what it inflates to.
func (c *checker) checkCompressed(i int, l Layer, want digest.Digest, zc io.Reader, checkTar bool) {
	z := newCountingReader(zc)
	br := bufio.NewReader(z)
	var inflateErr, tarErr error
	var u *countingReader
	var size int64
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			inflateErr = err
		} else {
			u = newCountingReader(zr)
			size, tarErr = scanTar(u)
			inflateErr = u.err
		}
	} else {
		inflateErr = fmt.Errorf("not gzip (media type %q): only gzip is checked", l.MediaType)
	}
	// Hash every byte of the blob, past the end of the gzip stream too.
	io.Copy(io.Discard, br)
	if z.err != nil {
		c.fail(c.where(i), ErrMissingBlob, z.err, "reading the compressed blob")
		return
	}
	if got := z.digest(); l.Digest != "" && got != l.Digest {
		c.fail(c.where(i), ErrDigest, nil, "the compressed blob hashes to %s, recorded as %s", got, l.Digest)
	}
	if l.CompressedSize > 0 && z.n != l.CompressedSize {
		c.fail(c.where(i), ErrCompressedSize, nil, "the compressed blob is %d bytes, recorded as %d", z.n, l.CompressedSize)
	}
	if inflateErr != nil {
		c.fail(c.where(i), ErrCompressed, inflateErr, "the compressed blob %s", l.Digest)
		return
	}
	if got := u.digest(); want != "" && got != want {
		c.mismatch(i, "the compressed blob "+l.Digest.String()+" inflated", got)
	}
	c.checkSizes(i, l, "the inflated tar", size, u.n)
	if checkTar && tarErr != nil {
		c.fail(c.where(i), ErrLayerTar, tarErr, "the inflated tar")
	}
}

// checkSizes compares what a layer's tar holds (size: content bytes; n: tar bytes)
// with what is recorded.
func (c *checker) checkSizes(i int, l Layer, what string, size, n int64) {
	if l.Size >= 0 && size != l.Size {
		c.fail(c.where(i), ErrLayerSize, nil, "%s holds %d bytes of files and symlink targets, recorded as %d", what, size, l.Size)
	}
	if l.TarSize >= 0 && n != l.TarSize {
		c.fail(c.where(i), ErrLayerSize, nil, "%s is %d bytes, recorded as %d", what, n, l.TarSize)
	}
}

func (c *checker) checkHistory() {
	if c.cfg == nil || len(c.cfg.History) == 0 {
		return
	}
	layers := len(c.diffIDs)
	n := 0
	for j, h := range c.cfg.History {
		if h.EmptyLayer {
			continue
		}
		if n == layers {
			c.fail(fmt.Sprintf("history row %d (%q)", j+1, h.CreatedBy), ErrHistory, nil,
				"it has empty_layer false, but the %d layers all have a row before it", layers)
		}
		n++
	}
	if n < layers {
		c.fail(fmt.Sprintf("layer %d of %d (%s)", n+1, layers, c.diffIDs[n]), ErrHistory, nil,
			"%d history rows have empty_layer false: this layer and the ones after it have none", n)
	}
}

func (c *checker) checkSize() {
	s, ok := c.src.(Sizer)
	if !ok || !c.layersOK {
		return
	}
	var sum int64
	for _, l := range c.layers {
		if l.Size < 0 {
			return
		}
		sum += l.Size
	}
	if got := s.Size(); got != sum {
		c.fail("", ErrSize, nil, "size %d, its %d layers sum to %d", got, len(c.layers), sum)
	}
}

// scanTar reads a tar to its end, the padding after the end-of-archive blocks too,
// and returns its content size as Docker counts it (DiffSize: the bytes of the regular
// files and the symlink targets left once every entry is applied, so a path written
// again replaces what it was). A path named twice (a/ and a count as one) is an error
// all the same: a layer the engine writes never does, and a runtime that extracts it
// leaves what the last entry says, whatever the first one did.
func scanTar(r io.Reader) (int64, error) {
	tr := tar.NewReader(r)
	sizes := map[string]int64{}
	seen := map[string]bool{}
	var dup, err error
	for {
		var h *tar.Header
		h, err = tr.Next()
		if err != nil {
			break
		}
		name := path.Clean("/" + h.Name)
		if seen[name] && dup == nil {
			dup = fmt.Errorf("path %q appears twice", h.Name)
		}
		seen[name] = true
		switch h.Typeflag {
		case tar.TypeReg: // the reader gives TypeRegA as TypeReg
			sizes[name] = h.Size
		case tar.TypeSymlink:
			sizes[name] = int64(len(h.Linkname))
		case tar.TypeDir, tar.TypeLink:
			delete(sizes, name)
		}
	}
	if _, cerr := io.Copy(io.Discard, r); cerr != nil && err == io.EOF {
		err = cerr
	}
	var size int64
	for _, n := range sizes {
		size += n
	}
	if err == io.EOF {
		return size, dup
	}
	return size, err
}

// countingReader hashes and counts what is read through it and keeps the first
// read error, so a caller can tell the source failing from the format being wrong.
type countingReader struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	err error
}

func newCountingReader(r io.Reader) *countingReader {
	return &countingReader{r: r, h: sha256.New()}
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	if err != nil && err != io.EOF && c.err == nil {
		c.err = err
	}
	return n, err
}

func (c *countingReader) digest() digest.Digest { return digest.NewDigest(digest.SHA256, c.h) }
