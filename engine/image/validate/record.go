package validate

import (
	"context"
	"fmt"
	"io"

	digest "github.com/opencontainers/go-digest"

	"layerlab/engine/image"
)

// Blobs opens stored blobs by digest: build.Store, db.Workspace and the engine's
// in-memory test store have this method.
type Blobs interface {
	OpenBlob(ctx context.Context, d digest.Digest) (io.ReadCloser, error)
}

// Record is a store's image record as a Source: its config as stored, its layers
// opened from Blobs by diff ID, and, when Compressed is set, the compressed blobs its
// layers record (a pulled layer's digest) opened from Compressed. Its Size is the
// record's, which a store may report apart from the layers (image.Record.SetSize).
type Record struct {
	Image *image.Record
	Blobs Blobs
	// Compressed opens compressed blobs, for a store that holds them (db holds what
	// the hub was pushed; a pull from the hub in the same store shares them); nil when
	// the store keeps layers only uncompressed, which is layerlab's rule.
	Compressed Blobs
	// Ref names the image in messages; "" names it by ID.
	Ref string
}

var (
	_ Source = Record{}
	_ Sizer  = Record{}
)

// Name implements Source: the Ref and short ID, or the ID.
func (r Record) Name() string {
	if r.Ref != "" {
		return r.Ref + " (" + image.ShortID(r.Image.ID) + ")"
	}
	return r.Image.ID.String()
}

// ID implements Source.
func (r Record) ID() digest.Digest { return r.Image.ID }

// Size implements Sizer: the record's size, as the store reports it.
func (r Record) Size() int64 { return r.Image.Size() }

// RawConfig implements Source: the config as the record holds or loads it.
func (r Record) RawConfig(ctx context.Context) ([]byte, error) {
	return r.Image.RawConfig(ctx)
}

// Layers implements Source: the record's layers.
func (r Record) Layers(context.Context) ([]Layer, error) {
	out := make([]Layer, len(r.Image.Layers))
	for i, l := range r.Image.Layers {
		out[i] = Layer{DiffID: l.DiffID, Size: l.Size, TarSize: -1, Digest: l.Digest, CompressedSize: l.CompressedSize}
	}
	return out, nil
}

// OpenLayer implements Source: the blob of the layer's diff ID.
func (r Record) OpenLayer(ctx context.Context, i int) (io.ReadCloser, error) {
	return r.Blobs.OpenBlob(ctx, r.Image.Layers[i].DiffID)
}

// OpenCompressed implements Source: the blob of the layer's compressed digest, from
// Compressed.
func (r Record) OpenCompressed(ctx context.Context, i int) (io.ReadCloser, error) {
	l := r.Image.Layers[i]
	if r.Compressed == nil || l.Digest == "" {
		return nil, fmt.Errorf("layer %s: no compressed blob recorded or held: %w", l.DiffID, ErrUnavailable)
	}
	return r.Compressed.OpenBlob(ctx, l.Digest)
}
