package baseimage

import "errors"

// ErrUnknown is wrapped by every Lookup error: the reference names no built-in base image.
var ErrUnknown = errors.New("unknown base image")
