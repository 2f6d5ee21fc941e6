package image

import (
	"time"

	digest "github.com/opencontainers/go-digest"
)

// Layer is one layer blob. The store keeps layers uncompressed, addressed by DiffID;
// the compressed digest is filled in once something (push, an OCI save) computes it.
type Layer struct {
	DiffID digest.Digest `json:"diff_id"`
	Size   int64         `json:"size"` // bytes of the uncompressed tar
	// Digest and CompressedSize describe the gzip blob, when known.
	Digest         digest.Digest `json:"digest,omitempty"`
	CompressedSize int64         `json:"compressed_size,omitempty"`
}

// Record is an image as the store holds it: the exact config bytes (whose digest is the
// ID), the parsed config, the layers in RootFS order, and what the builder knew.
type Record struct {
	ID       digest.Digest
	Config   []byte // the image JSON, exactly as hashed
	Image    *Image
	Parent   digest.Digest // "" for none
	Layers   []Layer       // one per RootFS.DiffIDs entry
	Created  time.Time
	CacheKey string // ContainerConfig.CacheKey() of the step that made it; "" when not built here
	Build    *StepInfo
}

// Size is the image's size as Docker reports it: the sum of its layers' uncompressed
// content sizes.
func (r *Record) Size() int64 {
	var n int64
	for _, l := range r.Layers {
		n += l.Size
	}
	return n
}

// StepInfo is what the builder remembers about the step that produced an image, so a
// later build can say why a step was rebuilt ("COPY sources changed: app.py").
type StepInfo struct {
	Instruction string            `json:"instruction"`       // as written, continuations joined
	Keyword     string            `json:"keyword"`           // upper-case
	Line        int               `json:"line"`              // first line in the Dockerfile
	Sources     map[string]string `json:"sources,omitempty"` // COPY/ADD: context path -> content hash
	BuildArgs   map[string]string `json:"build_args,omitempty"`
	ContentSize int64             `json:"content_size,omitempty"` // bytes the step's layer added
	// StandIn names the built-in base image a pulled record came from, so its
	// filesystem can be regenerated instead of read back from gigabytes of layers.
	StandIn string `json:"stand_in,omitempty"`
}
