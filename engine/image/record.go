package image

import (
	"sync"
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
	ID     digest.Digest
	Config []byte // the image JSON, exactly as hashed
	// Image is the decoded config. A store may leave it nil and let Img decode Config
	// on first use: a cached rebuild touches many records and needs few of them decoded.
	Image    *Image
	Parent   digest.Digest // "" for none
	Layers   []Layer       // one per RootFS.DiffIDs entry
	Created  time.Time
	CacheKey string // ContainerConfig.CacheKey() of the step that made it; "" when not built here
	Build    *StepInfo

	once       sync.Once
	err        error
	loadOnce   sync.Once
	loadConfig func() ([]byte, error)
	size       int64
	sizeKnown  bool
}

// SetSize records the image's size for a store that lists images without their layers.
func (r *Record) SetSize(n int64) { r.size, r.sizeKnown = n, true }

// SetConfigLoader lets a store leave Config empty and read it only if asked (RawConfig,
// Img): a cached rebuild reads a record per step and needs none of their configs.
func (r *Record) SetConfigLoader(f func() ([]byte, error)) { r.loadConfig = f }

// RawConfig returns the image JSON exactly as hashed, loading it if the store deferred it.
func (r *Record) RawConfig() ([]byte, error) {
	r.loadOnce.Do(func() {
		if r.Config == nil && r.loadConfig != nil {
			r.Config, r.err = r.loadConfig()
		}
	})
	if r.Config == nil && r.err != nil {
		return nil, r.err
	}
	return r.Config, nil
}

// Img returns the decoded config, decoding Config the first time when Image is nil.
// A config that does not decode (the store checked it when it was put, so this means
// damage) gives an image with only the rootfs of Layers; Err says what went wrong.
func (r *Record) Img() *Image {
	r.once.Do(func() {
		if r.Image != nil {
			return
		}
		raw, err := r.RawConfig()
		var img *Image
		if err == nil {
			img, err = Decode(raw)
		}
		if err != nil {
			r.err = err
			img = &Image{RootFS: RootFS{Type: "layers"}, Config: &ContainerConfig{}}
			for _, l := range r.Layers {
				img.RootFS.DiffIDs = append(img.RootFS.DiffIDs, l.DiffID)
			}
		}
		r.Image = img
	})
	return r.Image
}

// Err is the error from decoding Config, if Img met one.
func (r *Record) Err() error {
	r.Img()
	return r.err
}

// DiffIDs are the image's layers, base first (its config's rootfs, without decoding it).
func (r *Record) DiffIDs() []digest.Digest {
	out := make([]digest.Digest, len(r.Layers))
	for i, l := range r.Layers {
		out[i] = l.DiffID
	}
	return out
}

// Size is the image's size as Docker reports it: the sum of its layers' uncompressed
// content sizes.
func (r *Record) Size() int64 {
	if r.sizeKnown {
		return r.size
	}
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
	// EmptyLayer: the step changed no file, so the image has no layer of its own.
	EmptyLayer bool `json:"empty_layer,omitempty"`
}

// TagRow is one tag: a reference and the image it names.
type TagRow struct {
	Ref        string        // familiar form: "demo:v1", "localhost:5000/x:v1"
	Repository string        // familiar repository: "demo"
	Tag        string        // "v1"; "" for a name@digest reference
	ID         digest.Digest // the image it names
	Created    time.Time     // when the ref was pointed at this image
}
