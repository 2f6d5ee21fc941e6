package archive

import "errors"

// Errors from Load; the wrapping error names the entry, layer or image. Unsafe layer
// contents wrap rootfs.ErrUnsafePath, rootfs.ErrBadLink or rootfs.ErrTooLarge.
var (
	// ErrInvalid: the archive is not a docker-archive or OCI layout layerlab can read.
	ErrInvalid = errors.New("invalid archive")
	// ErrTooLarge: a file of the archive is past its size limit.
	ErrTooLarge = errors.New("too large")
	// ErrDiffIDMismatch: a layer does not hash to the diff_id its config names.
	ErrDiffIDMismatch = errors.New("layer does not match its diff_id")
	// ErrBomb: a compressed layer expands past the limits.
	ErrBomb = errors.New("decompression bomb")
)
