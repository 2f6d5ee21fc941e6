// Package layertar checks layer tars from outside (a loaded archive, a registry's
// blobs) before anything of them is used: it scans a tar for unsafe names, limits and
// trailing bytes, guards gzip against decompression bombs, and replays a stack of
// layers' headers through rootfs.Apply, the checks a build applies to a base image.
// Each caller words its errors with its own sentinels (Checker's Err fields), so an
// archive's bad layer is "invalid archive" and a registry's "invalid image from registry".
// Limits are the bounds of both: load and pull take the same type with the same defaults.
package layertar

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"layerlab/engine/rootfs"
)

// Limits bound what reading an image from outside may cost: an archive `load` reads
// (engine/archive) and an image a pull fetches (remote) take the same Limits, so what
// one of them accepts the other accepts too. Zero fields take DefaultLimits' values.
type Limits struct {
	// MaxManifestBytes bounds a manifest or an index: a registry's, or an archive's
	// manifest.json, index.json and repositories.
	MaxManifestBytes int64
	MaxConfigBytes   int64 // an image config (in an archive, an OCI image manifest too)
	MaxLayers        int   // layers of one image
	MaxLayerBytes    int64 // one layer's file content, and its tar once inflated
	MaxEntries       int   // entries of one layer tar
	// MaxRatio: a gzip layer that expands more than MaxRatio times once past RatioFloor
	// bytes is a decompression bomb.
	MaxRatio   int64
	RatioFloor int64
}

// MaxManifestBytes is the default bound on a manifest: 4 MiB, the size the
// distribution spec says clients and registries should expect to support, and the
// largest manifest the hub accepts (db.HubMaxManifestSize), so a pull can read
// whatever the hub stored.
const MaxManifestBytes = 4 << 20

// DefaultLimits are generous for real images and stop bombs early.
var DefaultLimits = Limits{
	MaxManifestBytes: MaxManifestBytes,
	MaxConfigBytes:   8 << 20,
	MaxLayers:        125, // Docker's layer store refuses a 126th ("max depth exceeded"), as build does
	MaxLayerBytes:    8 << 30,
	MaxEntries:       1_000_000,
	MaxRatio:         200,
	RatioFloor:       64 << 20,
}

// WithDefaults returns l with each zero (or negative) field set to DefaultLimits'.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits
	if l.MaxManifestBytes > 0 {
		d.MaxManifestBytes = l.MaxManifestBytes
	}
	if l.MaxConfigBytes > 0 {
		d.MaxConfigBytes = l.MaxConfigBytes
	}
	if l.MaxLayers > 0 {
		d.MaxLayers = l.MaxLayers
	}
	if l.MaxLayerBytes > 0 {
		d.MaxLayerBytes = l.MaxLayerBytes
	}
	if l.MaxEntries > 0 {
		d.MaxEntries = l.MaxEntries
	}
	if l.MaxRatio > 0 {
		d.MaxRatio = l.MaxRatio
	}
	if l.RatioFloor > 0 {
		d.RatioFloor = l.RatioFloor
	}
	return d
}

// Checker holds the limits and the caller's error sentinels; of the limits, the layer
// checks use MaxLayerBytes, MaxEntries, MaxRatio and RatioFloor. The zero value is not
// usable: set every field (Limits through WithDefaults).
type Checker struct {
	Limits

	ErrInvalid  error // not a (well-formed) tar
	ErrTooLarge error // past MaxEntries or MaxLayerBytes
	ErrBomb     error // a gzip stream past the bomb limits
	// Keep reports read errors that are already worded (a registry's, say) and pass
	// through as they are; nil keeps only the sentinels and context errors.
	Keep func(error) bool
}

// Info is what scanning a layer tar learned.
type Info struct {
	Size    int64   // Docker's DiffSize: regular file bytes plus symlink targets
	entries []entry // the headers, for replaying rootfs.Apply's checks
}

type entry struct {
	name, link string
	typ        byte
	mode       int64
}

// Scan reads a layer tar to its end: it records the headers, refuses unsafe names
// and tars past the limits, and allows only zero padding after the end-of-archive
// marker, so trailing bytes cannot ride along under a valid diffID. buf is scratch
// space (nil: one is made).
func (c *Checker) Scan(r io.Reader, buf []byte) (*Info, error) {
	if len(buf) == 0 {
		buf = make([]byte, 64<<10)
	}
	info := &Info{}
	tr := tar.NewReader(r)
	var total int64
	sizes := map[string]int64{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, c.readError("read tar", err)
		}
		if len(info.entries) >= c.MaxEntries {
			return nil, fmt.Errorf("tar entry %q: more than %d entries: %w", h.Name, c.MaxEntries, c.ErrTooLarge)
		}
		if _, err := CleanName(h.Name); err != nil {
			return nil, err
		}
		key := rootfs.Clean(h.Name)
		switch h.Typeflag { // tar.Reader reports the legacy TypeRegA as TypeReg
		case tar.TypeReg:
			total += h.Size
			if total > c.MaxLayerBytes {
				return nil, fmt.Errorf("tar entry %q: more than %d bytes of content (is it a decompression bomb?): %w", h.Name, c.MaxLayerBytes, c.ErrTooLarge)
			}
			n, err := drain(tr, buf)
			if err != nil {
				return nil, c.readError(fmt.Sprintf("tar entry %q", h.Name), err)
			}
			if n != h.Size {
				return nil, fmt.Errorf("%w: tar entry %q: truncated content", c.ErrInvalid, h.Name)
			}
			sizes[key] = h.Size
		case tar.TypeSymlink:
			sizes[key] = int64(len(h.Linkname))
		case tar.TypeLink:
			if _, err := CleanName(h.Linkname); err != nil {
				return nil, fmt.Errorf("tar entry %q: hard link to %q: %w", h.Name, h.Linkname, rootfs.ErrUnsafePath)
			}
			delete(sizes, key)
		case tar.TypeDir:
			delete(sizes, key)
		default:
			continue // devices, fifos: rootfs.Apply skips them too
		}
		info.entries = append(info.entries, entry{name: h.Name, link: h.Linkname, typ: h.Typeflag, mode: h.Mode})
	}
	for {
		n, err := r.Read(buf)
		for _, b := range buf[:n] {
			if b != 0 {
				return nil, fmt.Errorf("%w: data after the end of the tar", c.ErrInvalid)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, c.readError("after the tar", err)
		}
	}
	for _, n := range sizes {
		info.Size += n
	}
	return info, nil
}

// readError words a failed read of a layer: a bomb stays a bomb, a limit a limit, a
// cancelled read cancelled, an error Keep knows stays what it is; anything else means
// the layer is not a tar.
func (c *Checker) readError(what string, err error) error {
	if errors.Is(err, c.ErrBomb) || errors.Is(err, c.ErrTooLarge) || errors.Is(err, c.ErrInvalid) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		(c.Keep != nil && c.Keep(err)) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%w: %s: %v", c.ErrInvalid, what, err)
}

// drain reads r to its end into buf (io.CopyBuffer to io.Discard would use Discard's
// small buffer instead of buf).
func drain(r io.Reader, buf []byte) (int64, error) {
	var n int64
	for {
		m, err := r.Read(buf)
		n += int64(m)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// CleanName refuses absolute tar entry names and any ".." component, and returns the
// name as rootfs keys it.
func CleanName(n string) (string, error) {
	if strings.HasPrefix(n, "/") {
		return "", fmt.Errorf("tar entry %q: absolute path: %w", n, rootfs.ErrUnsafePath)
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return "", fmt.Errorf("tar entry %q: \"..\" in path: %w", n, rootfs.ErrUnsafePath)
		}
	}
	return rootfs.Clean(n), nil
}

// Counter counts the bytes read through it.
type Counter struct {
	R io.Reader
	N int64
}

func (c *Counter) Read(p []byte) (int, error) {
	n, err := c.R.Read(p)
	c.N += int64(n)
	return n, err
}

// Guard stops inflating a stream (zr, reading from in) that grows past max bytes, or
// past MaxRatio times its compressed size once beyond RatioFloor.
func (c *Checker) Guard(zr io.Reader, in *Counter, max int64) io.Reader {
	return &bombGuard{r: zr, in: in, c: c, max: max}
}

type bombGuard struct {
	r   io.Reader
	in  *Counter
	c   *Checker
	max int64
	out int64
}

func (b *bombGuard) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.out += int64(n)
	if b.out > b.max {
		return n, fmt.Errorf("%w: more than %d bytes uncompressed", b.c.ErrBomb, b.max)
	}
	if b.out > b.c.RatioFloor && b.out > b.c.MaxRatio*b.in.N {
		return n, fmt.Errorf("%w: %d compressed bytes inflate to more than %d, over %d times as many", b.c.ErrBomb, b.in.N, b.out, b.c.MaxRatio)
	}
	return n, err
}

// CheckStack replays the layers' headers (without content), base first, through
// rootfs.Apply onto an empty filesystem: the checks a build applies to a base image's
// layers (writes through symlinks, hard links out of reach). The error names the
// layer's position (1 for the base); done, when set, is called after each layer passes.
func (c *Checker) CheckStack(layers []*Info, done func(i int)) error {
	f := rootfs.New()
	lim := rootfs.Limits{MaxBytes: math.MaxInt64, MaxEntries: c.MaxEntries}
	for i, li := range layers {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(c.writeHeaders(pw, li.entries)) }()
		err := rootfs.Apply(f, pr, rootfs.ApplyOptions{Whiteouts: true, Limits: lim})
		pr.CloseWithError(io.ErrClosedPipe) // stop the writer if Apply stopped early
		if err != nil {
			return &StackError{Layer: i + 1, Err: err}
		}
		if done != nil {
			done(i)
		}
	}
	return nil
}

// StackError is a layer of a stack that failed rootfs.Apply's checks.
type StackError struct {
	Layer int // 1 for the base
	Err   error
}

func (e *StackError) Error() string { return fmt.Sprintf("layer %d: %v", e.Layer, e.Err) }
func (e *StackError) Unwrap() error { return e.Err }

func (c *Checker) writeHeaders(w io.Writer, entries []entry) error {
	tw := tar.NewWriter(w)
	for _, e := range entries {
		h := &tar.Header{Typeflag: e.typ, Name: e.name, Linkname: e.link, Mode: e.mode & 0o7777, Format: tar.FormatPAX}
		if e.typ == tar.TypeDir || e.typ == tar.TypeReg {
			h.Linkname = ""
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("%w: tar entry %q: %v", c.ErrInvalid, e.name, err)
		}
	}
	return tw.Close()
}
