package remote

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"layerlab/engine/rootfs"
)

// Limits bound what pulling from an untrusted registry may cost. Zero fields take the
// values of DefaultLimits.
type Limits struct {
	MaxManifestBytes int64 // a manifest or index
	MaxConfigBytes   int64 // an image config
	MaxLayers        int   // layers of one image
	MaxLayerBytes    int64 // one layer: its blob as served, and its tar once inflated
	MaxEntries       int   // entries of one layer tar
	// MaxRatio: a gzip layer that expands more than MaxRatio times once past RatioFloor
	// bytes is a decompression bomb.
	MaxRatio   int64
	RatioFloor int64
}

// DefaultLimits are generous for real images and stop bombs early (the same bounds
// as `load`'s, engine/archive.DefaultLoadOptions).
var DefaultLimits = Limits{
	MaxManifestBytes: 4 << 20,
	MaxConfigBytes:   8 << 20,
	MaxLayers:        500,
	MaxLayerBytes:    8 << 30,
	MaxEntries:       1_000_000,
	MaxRatio:         200,
	RatioFloor:       64 << 20,
}

func (l Limits) withDefaults() Limits {
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

// Compress writes the gzip of r to w, the same bytes for the same input every time:
// no name, no modification time, a fixed level (the fastest: a classroom registry is
// local, and a stand-in base is a gigabyte). Docker's layers are gzip too; their
// bytes differ, so a layer pushed by layerlab has its own digest.
func Compress(w io.Writer, r io.Reader) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	if _, err := io.Copy(zw, r); err != nil {
		return err
	}
	return zw.Close()
}

// layerInfo is what scanning a layer tar learned.
type layerInfo struct {
	size    int64   // Docker's DiffSize: regular file bytes plus symlink targets
	entries []entry // the headers, for replaying rootfs.Apply's checks
}

type entry struct {
	name, link string
	typ        byte
	mode       int64
}

// scanLayer reads a layer tar to its end: it records the headers, refuses unsafe
// names and tars past the limits, and allows only zero padding after the
// end-of-archive marker, so trailing bytes cannot ride along under a valid diffID.
func scanLayer(r io.Reader, lim Limits) (*layerInfo, error) {
	info := &layerInfo{}
	tr := tar.NewReader(r)
	buf := make([]byte, 64<<10)
	var total int64
	sizes := map[string]int64{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readError("read tar", err)
		}
		if len(info.entries) >= lim.MaxEntries {
			return nil, fmt.Errorf("tar entry %q: more than %d entries: %w", h.Name, lim.MaxEntries, ErrTooLarge)
		}
		if err := checkName(h.Name); err != nil {
			return nil, err
		}
		typ := h.Typeflag
		if typ == tar.TypeRegA {
			typ = tar.TypeReg
		}
		key := rootfs.Clean(h.Name)
		switch typ {
		case tar.TypeReg:
			total += h.Size
			if total > lim.MaxLayerBytes {
				return nil, fmt.Errorf("tar entry %q: more than %d bytes of content (is it a decompression bomb?): %w", h.Name, lim.MaxLayerBytes, ErrTooLarge)
			}
			n, err := io.CopyBuffer(io.Discard, tr, buf)
			if err != nil {
				return nil, readError(fmt.Sprintf("tar entry %q", h.Name), err)
			}
			if n != h.Size {
				return nil, fmt.Errorf("%w: tar entry %q: truncated content", ErrInvalid, h.Name)
			}
			sizes[key] = h.Size
		case tar.TypeSymlink:
			sizes[key] = int64(len(h.Linkname))
		case tar.TypeLink:
			if err := checkName(h.Linkname); err != nil {
				return nil, fmt.Errorf("tar entry %q: hard link to %q: %w", h.Name, h.Linkname, rootfs.ErrUnsafePath)
			}
			delete(sizes, key)
		case tar.TypeDir:
			delete(sizes, key)
		default:
			continue // devices, fifos: rootfs.Apply skips them too
		}
		info.entries = append(info.entries, entry{name: h.Name, link: h.Linkname, typ: typ, mode: h.Mode})
	}
	for {
		n, err := r.Read(buf)
		for _, c := range buf[:n] {
			if c != 0 {
				return nil, fmt.Errorf("%w: data after the end of the tar", ErrInvalid)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, readError("after the tar", err)
		}
	}
	for _, n := range sizes {
		info.size += n
	}
	return info, nil
}

// readError words a failed read of a layer: a bomb stays a bomb, a registry or
// network error stays what it is, anything else means the layer is not a tar.
func readError(what string, err error) error {
	var re *RegistryError
	var ke *kindError
	if errors.Is(err, ErrBomb) || errors.Is(err, ErrTooLarge) || errors.Is(err, ErrInvalid) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &re) || errors.As(err, &ke) {
		return fmt.Errorf("%s: %w", what, err)
	}
	return fmt.Errorf("%w: %s: %v", ErrInvalid, what, err)
}

// checkName refuses absolute names and any "..".
func checkName(n string) error {
	if strings.HasPrefix(n, "/") {
		return fmt.Errorf("tar entry %q: absolute path: %w", n, rootfs.ErrUnsafePath)
	}
	for _, part := range strings.Split(n, "/") {
		if part == ".." {
			return fmt.Errorf("tar entry %q: \"..\" in path: %w", n, rootfs.ErrUnsafePath)
		}
	}
	return nil
}

// countReader counts the bytes read through it.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// bombGuard stops inflating a stream that grows past max bytes, or past MaxRatio
// times its compressed size once beyond RatioFloor.
type bombGuard struct {
	r   io.Reader
	in  *countReader
	lim Limits
	out int64
}

func (b *bombGuard) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.out += int64(n)
	if b.out > b.lim.MaxLayerBytes {
		return n, fmt.Errorf("%w: more than %d bytes uncompressed", ErrBomb, b.lim.MaxLayerBytes)
	}
	if b.out > b.lim.RatioFloor && b.out > b.lim.MaxRatio*b.in.n {
		return n, fmt.Errorf("%w: %d compressed bytes inflate to more than %d, over %d times as many", ErrBomb, b.in.n, b.out, b.lim.MaxRatio)
	}
	return n, err
}

// checkStack replays the layers' headers (without content), base first, through
// rootfs.Apply onto an empty filesystem: the checks a build applies to a base image's
// layers (writes through symlinks, hard links out of reach). done is called after
// each layer passes.
func checkStack(layers []*layerInfo, lim Limits, done func(i int)) error {
	f := rootfs.New()
	rl := rootfs.Limits{MaxBytes: math.MaxInt64, MaxEntries: lim.MaxEntries}
	for i, li := range layers {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeHeaders(pw, li.entries)) }()
		err := rootfs.Apply(f, pr, rootfs.ApplyOptions{Whiteouts: true, Limits: rl})
		pr.CloseWithError(io.ErrClosedPipe) // stop the writer if Apply stopped early
		if err != nil {
			return fmt.Errorf("layer %d: %w", i+1, err)
		}
		if done != nil {
			done(i)
		}
	}
	return nil
}

func writeHeaders(w io.Writer, entries []entry) error {
	tw := tar.NewWriter(w)
	for _, e := range entries {
		h := &tar.Header{Typeflag: e.typ, Name: e.name, Linkname: e.link, Mode: e.mode & 0o7777, Format: tar.FormatPAX}
		if e.typ == tar.TypeDir || e.typ == tar.TypeReg {
			h.Linkname = ""
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("%w: tar entry %q: %v", ErrInvalid, e.name, err)
		}
	}
	return tw.Close()
}
