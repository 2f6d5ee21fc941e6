package build

import (
	"context"
	"io"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/image"
)

// Store is what the builder needs from an image store, for one workspace.
// package db implements it over SQLite and a blob directory; the engine's tests use
// an in-memory one (buildtest.Store).
type Store interface {
	// Image returns the image with this ID, or ErrNotFound.
	Image(ctx context.Context, id digest.Digest) (*image.Record, error)
	// Lookup resolves a reference (name[:tag], name@digest, a full ID or a unique ID
	// prefix) to an image, or ErrNotFound.
	Lookup(ctx context.Context, ref string) (*image.Record, error)
	// Cached returns the newest image whose parent is parent ("" for FROM scratch)
	// and whose CacheKey is key: Docker's classic cache probe. ErrNotFound on a miss.
	Cached(ctx context.Context, parent digest.Digest, key string) (*image.Record, error)
	// Children returns the images whose parent is parent, newest first, at most limit
	// of them (limit <= 0: all).
	Children(ctx context.Context, parent digest.Digest, limit int) ([]*image.Record, error)
	// PutBlob stores content (verifying it hashes to d when d is set) and returns its
	// digest and size. Storing a blob that exists is cheap and not an error.
	PutBlob(ctx context.Context, d digest.Digest, r io.Reader) (digest.Digest, int64, error)
	// OpenBlob opens a stored blob, or returns ErrNotFound.
	OpenBlob(ctx context.Context, d digest.Digest) (io.ReadCloser, error)
	// PutImage stores an image whose layer blobs are already stored. Storing an image
	// that exists is not an error.
	PutImage(ctx context.Context, rec *image.Record) error
	// Tag points ref (normalised, e.g. docker.io/library/demo:v1) at id, moving it off
	// any image it named before.
	Tag(ctx context.Context, ref image.Ref, id digest.Digest) error
	// Hold marks id as in use by the build holder until Unhold (or until the hold
	// expires, for a build that was killed): image rm and prune leave it alone.
	Hold(ctx context.Context, holder string, id digest.Digest) error
	// Unhold releases every image holder holds.
	Unhold(ctx context.Context, holder string) error
}

// HeldImageStore is implemented by a store that can hold an image and store it in one
// step (one transaction): a build's commit uses it when there.
type HeldImageStore interface {
	// PutHeldImage is Hold(holder, rec.ID) and PutImage(rec), at once.
	PutHeldImage(ctx context.Context, holder string, rec *image.Record) error
}

// GeneratedStore is implemented by a store that can hold a blob as generated content:
// digest, size and recipe recorded, no bytes written, the bytes made (and checked
// against the digest) only when OpenBlob reads them. The stand-ins' layers are stored
// so (engine/standin); a store without it gets their bytes written as any layer's.
type GeneratedStore interface {
	// PutGenerated records blob d, of size bytes, as made by recipe (an encoded
	// standin.Recipe). A blob that is stored already stays as it is.
	PutGenerated(ctx context.Context, d digest.Digest, size int64, recipe string) error
	// StandInLayer returns what RememberStandInLayer recorded for a fingerprint, ok
	// false when nothing is.
	StandInLayer(ctx context.Context, fp digest.Digest) (d digest.Digest, size int64, ok bool, err error)
	// RememberStandInLayer records the diffID and tar size measured for a stand-in
	// layer's fingerprint that the embedded table lacks, so no later process measures it.
	RememberStandInLayer(ctx context.Context, fp, d digest.Digest, size int64) error
}
