package image

import (
	"context"
	"fmt"
	"sync"
	"time"

	digest "github.com/opencontainers/go-digest"
)

// Layer is one layer blob. The store keeps layers uncompressed, addressed by DiffID;
// a pulled layer keeps the digest of the compressed blob it was pulled as (a push
// records its own gzip apart, db.SetLayerGzip; an OCI save writes plain tars).
type Layer struct {
	DiffID digest.Digest `json:"diff_id"`
	// Size is the layer's content size as Docker counts it (DiffSize): the bytes of
	// its regular files and symlink targets, not of its tar. The builder, load and
	// pull all record that; validate.Image checks it against the tar.
	Size int64 `json:"size"`
	// Digest and CompressedSize describe the gzip blob, when known.
	Digest         digest.Digest `json:"digest,omitempty"`
	CompressedSize int64         `json:"compressed_size,omitempty"`
}

// Record is an image as the store holds it: the exact config bytes (whose digest is the
// ID), the parsed config, the layers in RootFS order, and what the builder knew.
type Record struct {
	ID     digest.Digest
	Config []byte // the image JSON, exactly as hashed; read it with RawConfig
	// Image is the decoded config; read it with ConfigFile. A store may leave it nil (and
	// Config too, with SetConfigLoader) so that it is read and decoded on first use: a
	// cached rebuild touches many records and needs few of them decoded.
	Image    *Image
	Parent   digest.Digest // "" for none
	Layers   []Layer       // one per RootFS.DiffIDs entry
	Created  time.Time
	CacheKey string // ContainerConfig.CacheKey() of the step that made it; "" when not built here
	Build    *StepInfo

	// mu guards the lazy reads of Config and Image: a store may share one record
	// between requests (db's record cache, the builder's snapshot cache).
	mu         sync.Mutex
	loadConfig func(ctx context.Context) ([]byte, error)
	size       int64
	sizeKnown  bool
}

// SetSize records the image's size for a store that lists images without their layers.
func (r *Record) SetSize(n int64) { r.size, r.sizeKnown = n, true }

// SetConfigLoader lets a store leave Config empty and read it only if asked (RawConfig,
// ConfigFile): a cached rebuild reads a record per step and needs none of their configs.
// load runs under the context of the call that needs the config, not of the request
// that made the record, which the record may outlive.
func (r *Record) SetConfigLoader(load func(ctx context.Context) ([]byte, error)) { r.loadConfig = load }

// RawConfig returns the image JSON exactly as hashed, reading it through the store's
// loader if the store deferred it. A failed read is returned and not remembered: the
// next call (under another context, say) reads again.
func (r *Record) RawConfig(ctx context.Context) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.rawConfig(ctx)
}

// rawConfig is RawConfig with r.mu held.
func (r *Record) rawConfig(ctx context.Context) ([]byte, error) {
	if r.Config != nil {
		return r.Config, nil
	}
	if r.loadConfig == nil {
		return nil, fmt.Errorf("image %s: the record holds no config and has no loader", r.ID)
	}
	raw, err := r.loadConfig(ctx)
	if err != nil {
		return nil, err
	}
	if raw == nil {
		return nil, fmt.Errorf("image %s: the store returned no config", r.ID)
	}
	r.Config = raw
	return raw, nil
}

// ConfigFile returns the decoded config (in the manner of go-containerregistry's
// v1.Image.ConfigFile), reading and decoding Config the first time when Image is nil.
// A config that cannot be read or decoded is an error, never an empty image: a build
// or an inspect must not go on from a config it does not have.
func (r *Record) ConfigFile(ctx context.Context) (*Image, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.Image != nil {
		return r.Image, nil
	}
	raw, err := r.rawConfig(ctx)
	if err != nil {
		return nil, err
	}
	img, err := Decode(raw)
	if err != nil {
		return nil, err
	}
	r.Image = img
	return img, nil
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
