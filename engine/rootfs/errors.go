package rootfs

import (
	"errors"
	"io/fs"
)

// Errors returned by FS operations; wrapped in *PathError with the path.
var (
	ErrNotExist = fs.ErrNotExist
	ErrExist    = fs.ErrExist
	ErrNotDir   = errors.New("not a directory")
	ErrIsDir    = errors.New("is a directory")
	ErrNotEmpty = errors.New("directory not empty")
	ErrLoop     = errors.New("too many levels of symbolic links")
	ErrInvalid  = fs.ErrInvalid
)

// Errors from Apply; the message of the wrapping error names the entry.
var (
	ErrUnsafePath = errors.New("path leaves the root")
	ErrTooLarge   = errors.New("archive too large")
	ErrBadLink    = errors.New("bad hard link")
)
