package build

import "errors"

// Sentinel errors of the builder; compare with errors.Is.

// ErrNotFound is returned by a Store for a missing image, tag or blob.
var ErrNotFound = errors.New("not found")

// ErrCanceled is returned when a build's context is cancelled.
var ErrCanceled = errors.New("build canceled")

// ErrContextTooLarge is returned when a build context passes the limits above.
var ErrContextTooLarge = errors.New("build context too large")

// ErrHeld is a store's refusal to delete an image a running build holds (Store.Hold).
var ErrHeld = errors.New("image is in use by a running build")

// ErrMaxDepth is a step that would give an image more than MaxLayerDepth layers:
// Docker 20.10's own text (its layer store's ErrMaxDepthExceeded).
var ErrMaxDepth = errors.New("max depth exceeded")
