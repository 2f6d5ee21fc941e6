package remote

import (
	"compress/gzip"
	"errors"
	"io"

	"layerlab/engine/layertar"
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

// checker is the layer checks (engine/layertar) with these limits, worded with this
// package's errors; a registry's own errors pass through as they are.
func (l Limits) checker() *layertar.Checker {
	return &layertar.Checker{
		MaxLayerBytes: l.MaxLayerBytes, MaxEntries: l.MaxEntries, MaxRatio: l.MaxRatio, RatioFloor: l.RatioFloor,
		ErrInvalid: ErrInvalid, ErrTooLarge: ErrTooLarge, ErrBomb: ErrBomb,
		Keep: func(err error) bool {
			var re *RegistryError
			var ke *kindError
			return errors.As(err, &re) || errors.As(err, &ke)
		},
	}
}
