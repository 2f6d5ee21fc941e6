package remote

import (
	"compress/gzip"
	"errors"
	"io"

	"layerlab/engine/layertar"
)

// Limits bound what pulling from an untrusted registry may cost: the same type, and
// the same defaults (layertar.DefaultLimits), as `load`'s (engine/archive), so a pull
// accepts what a load accepts. Zero fields take the defaults.
type Limits = layertar.Limits

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

// checker is the layer checks (engine/layertar) with the limits l, worded with this
// package's errors; a registry's own errors pass through as they are.
func checker(l Limits) *layertar.Checker {
	return &layertar.Checker{
		Limits:     l,
		ErrInvalid: ErrInvalid, ErrTooLarge: ErrTooLarge, ErrBomb: ErrBomb,
		Keep: func(err error) bool {
			var re *RegistryError
			var ke *kindError
			return errors.As(err, &re) || errors.As(err, &ke)
		},
	}
}
