package validate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	digest "github.com/opencontainers/go-digest"
)

// Media types of the two manifest kinds an image may have, with the config and layer
// media types each allows (the OCI image spec; Docker's image manifest v2 schema 2).
const (
	MediaOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	MediaOCIIndex       = "application/vnd.oci.image.index.v1+json"
	MediaOCIConfig      = "application/vnd.oci.image.config.v1+json"
	MediaDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	MediaDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaDockerConfig   = "application/vnd.docker.container.image.v1+json"
)

// kind is what a manifest's media type allows of its config and layers.
type kind struct {
	config string
	layers map[string]bool
}

var kinds = map[string]kind{
	MediaOCIManifest: {config: MediaOCIConfig, layers: map[string]bool{
		"application/vnd.oci.image.layer.v1.tar":                       true,
		"application/vnd.oci.image.layer.v1.tar+gzip":                  true,
		"application/vnd.oci.image.layer.v1.tar+zstd":                  true,
		"application/vnd.oci.image.layer.nondistributable.v1.tar":      true,
		"application/vnd.oci.image.layer.nondistributable.v1.tar+gzip": true,
		"application/vnd.oci.image.layer.nondistributable.v1.tar+zstd": true,
	}},
	MediaDockerManifest: {config: MediaDockerConfig, layers: map[string]bool{
		"application/vnd.docker.image.rootfs.diff.tar.gzip":         true,
		"application/vnd.docker.image.rootfs.foreign.diff.tar.gzip": true,
	}},
}

// uncompressed says whether a layer media type is a plain tar, whose blob digest is
// the diff ID.
func uncompressed(mediaType string) bool { return strings.HasSuffix(mediaType, ".tar") }

type descriptor struct {
	MediaType   string            `json:"mediaType"`
	Digest      digest.Digest     `json:"digest"`
	Size        int64             `json:"size"`
	Annotations map[string]string `json:"annotations,omitempty"`
}

type manifestJSON struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType"`
	Config        descriptor   `json:"config"`
	Layers        []descriptor `json:"layers"`
	Manifests     []descriptor `json:"manifests,omitempty"` // an index
}

func parseManifest(raw []byte) (*manifestJSON, error) {
	var m manifestJSON
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrManifest, err)
	}
	if m.SchemaVersion != 2 {
		return nil, fmt.Errorf("%w: schemaVersion is %d, want 2", ErrManifest, m.SchemaVersion)
	}
	return &m, nil
}

// layerOf is the layer a descriptor records: a plain tar is named by its diff ID, a
// compressed blob by its own digest.
func layerOf(d descriptor) Layer {
	if uncompressed(d.MediaType) {
		return Layer{DiffID: d.Digest, Size: -1, TarSize: d.Size, MediaType: d.MediaType}
	}
	return Layer{Size: -1, TarSize: -1, Digest: d.Digest, CompressedSize: d.Size, MediaType: d.MediaType}
}

func (c *checker) checkManifest(src Manifester) {
	man, err := src.Manifest(c.ctx)
	if err != nil {
		c.fail("manifest", ErrManifest, err, "it cannot be read")
		return
	}
	if man.Digest != "" {
		if got := digest.FromBytes(man.Raw); got != man.Digest {
			c.fail("manifest", ErrManifestDigest, nil, "named %s, it hashes to %s", man.Digest, got)
		}
	}
	if man.Size >= 0 && int64(len(man.Raw)) != man.Size {
		c.fail("manifest", ErrManifestDigest, nil, "named as %d bytes, it is %d", man.Size, len(man.Raw))
	}
	m, err := parseManifest(man.Raw)
	if err != nil {
		c.fail("manifest", ErrManifest, err, "%d bytes", len(man.Raw))
		return
	}
	mt := m.MediaType
	switch {
	case mt != "" && man.MediaType != "" && mt != man.MediaType:
		c.fail("manifest", ErrMediaType, nil, "it says it is %q, it was served as %q", mt, man.MediaType)
	case mt == "" && man.MediaType == MediaDockerManifest:
		c.fail("manifest", ErrMediaType, nil, "a Docker schema 2 manifest without its mediaType field")
	case mt == "" && man.MediaType != "":
		mt = man.MediaType
	case mt == "":
		mt = MediaOCIManifest // the field is optional in an OCI manifest, and nothing else says
	}
	k, ok := kinds[mt]
	if !ok {
		c.fail("manifest", ErrMediaType, nil, "%q is not an image manifest", mt)
		return
	}

	if m.Config.MediaType != k.config {
		c.fail("manifest config", ErrMediaType, nil, "%q in a %s, want %q", m.Config.MediaType, mt, k.config)
	}
	if c.raw != nil {
		if got := digest.FromBytes(c.raw); m.Config.Digest != got {
			c.fail("manifest config", ErrConfigDescriptor, nil, "names %s, the config is %s", m.Config.Digest, got)
		}
		if m.Config.Size != int64(len(c.raw)) {
			c.fail("manifest config", ErrConfigDescriptor, nil, "says %d bytes, the config is %d", m.Config.Size, len(c.raw))
		}
	}

	if c.layersOK && len(m.Layers) != len(c.layers) {
		c.fail("manifest", ErrLayerDescriptor, nil, "%d layer descriptors, the image has %d layers", len(m.Layers), len(c.layers))
	}
	for i, d := range m.Layers {
		where := fmt.Sprintf("manifest layers[%d] (%s)", i, d.Digest)
		if !k.layers[d.MediaType] {
			c.fail(where, ErrMediaType, nil, "%q in a %s", d.MediaType, mt)
		}
		if err := d.Digest.Validate(); err != nil {
			c.fail(where, ErrLayerDescriptor, err, "%q is not a digest", d.Digest)
		}
		if !c.layersOK || i >= len(c.layers) {
			continue
		}
		want, l := layerOf(d), c.layers[i]
		switch {
		case want.DiffID != "" && (l.DiffID != want.DiffID || l.TarSize >= 0 && l.TarSize != want.TarSize):
			c.fail(where, ErrLayerDescriptor, nil, "describes %s of %d bytes, layer %d is %s of %d", want.DiffID, want.TarSize, i+1, l.DiffID, l.TarSize)
		case want.Digest != "" && (l.Digest != want.Digest || l.CompressedSize != want.CompressedSize):
			c.fail(where, ErrLayerDescriptor, nil, "describes %s of %d bytes, layer %d is %s of %d", want.Digest, want.CompressedSize, i+1, l.Digest, l.CompressedSize)
		}
	}
}

// manifestSource is an image held as a manifest and blobs by digest: a registry's
// repository, an OCI layout.
type manifestSource struct {
	name string
	id   digest.Digest // "" takes the config descriptor's
	man  Manifest
	open func(ctx context.Context, d digest.Digest) (io.ReadCloser, error)
}

// maxConfigBytes bounds a config read from a source (load's and pull's, layertar.DefaultLimits'
// bound): the checker reads what tests made, but a broken source must not run it out
// of memory.
const maxConfigBytes = 8 << 20

func (s *manifestSource) Name() string { return s.name }

func (s *manifestSource) ID() digest.Digest {
	if s.id != "" {
		return s.id
	}
	if m, err := parseManifest(s.man.Raw); err == nil {
		return m.Config.Digest
	}
	return ""
}

func (s *manifestSource) Manifest(context.Context) (*Manifest, error) { return &s.man, nil }

func (s *manifestSource) RawConfig(ctx context.Context) ([]byte, error) {
	m, err := parseManifest(s.man.Raw)
	if err != nil {
		return nil, err
	}
	rc, err := s.open(ctx, m.Config.Digest)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", m.Config.Digest, err)
	}
	defer rc.Close()
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.LimitReader(rc, maxConfigBytes+1)); err != nil {
		return nil, fmt.Errorf("config %s: %w", m.Config.Digest, err)
	}
	if buf.Len() > maxConfigBytes {
		return nil, fmt.Errorf("config %s: larger than %d bytes", m.Config.Digest, maxConfigBytes)
	}
	return buf.Bytes(), nil
}

func (s *manifestSource) Layers(context.Context) ([]Layer, error) {
	m, err := parseManifest(s.man.Raw)
	if err != nil {
		return nil, err
	}
	out := make([]Layer, len(m.Layers))
	for i, d := range m.Layers {
		out[i] = layerOf(d)
	}
	return out, nil
}

func (s *manifestSource) layer(i int) (descriptor, error) {
	m, err := parseManifest(s.man.Raw)
	if err != nil {
		return descriptor{}, err
	}
	if i < 0 || i >= len(m.Layers) {
		return descriptor{}, fmt.Errorf("layer %d: %w", i+1, ErrLayerDescriptor)
	}
	return m.Layers[i], nil
}

func (s *manifestSource) OpenLayer(ctx context.Context, i int) (io.ReadCloser, error) {
	d, err := s.layer(i)
	if err != nil {
		return nil, err
	}
	if !uncompressed(d.MediaType) {
		return nil, fmt.Errorf("a %s layer: %w", d.MediaType, ErrUnavailable)
	}
	return s.open(ctx, d.Digest)
}

func (s *manifestSource) OpenCompressed(ctx context.Context, i int) (io.ReadCloser, error) {
	d, err := s.layer(i)
	if err != nil {
		return nil, err
	}
	if uncompressed(d.MediaType) {
		return nil, fmt.Errorf("a %s layer: %w", d.MediaType, ErrUnavailable)
	}
	return s.open(ctx, d.Digest)
}

// RepoBlobs opens the blobs of a registry's repositories (remote.Registry has this
// method: the in-process hub, an HTTP registry, the tests' registries).
type RepoBlobs interface {
	OpenBlob(ctx context.Context, repo string, d digest.Digest) (io.ReadCloser, error)
}

// Registry is an image as a registry serves it: a manifest (OCI or Docker schema 2)
// and the blobs it names, in repository Repo.
type Registry struct {
	Repo      string
	Reference string // the tag or digest it was fetched by, for messages
	// MediaType, Raw and Digest are the manifest as served: its Content-Type, its
	// bytes, and the digest it is named by (Docker-Content-Digest, a push's result;
	// "" when none).
	MediaType string
	Raw       []byte
	Digest    digest.Digest
	// ImageID is the image ID the manifest must carry (the record that was pushed);
	// "" takes the config descriptor's digest.
	ImageID digest.Digest
	Blobs   RepoBlobs
}

var (
	_ Source     = Registry{}
	_ Manifester = Registry{}
)

// source is r over the code an OCI layout shares.
func (r Registry) source() *manifestSource {
	name := r.Repo + ":" + r.Reference
	if strings.Contains(r.Reference, ":") {
		name = r.Repo + "@" + r.Reference
	}
	return &manifestSource{
		name: name,
		id:   r.ImageID,
		man:  Manifest{MediaType: r.MediaType, Digest: r.Digest, Size: -1, Raw: r.Raw},
		open: func(ctx context.Context, d digest.Digest) (io.ReadCloser, error) {
			return r.Blobs.OpenBlob(ctx, r.Repo, d)
		},
	}
}

// Name implements Source: repo:tag or repo@digest.
func (r Registry) Name() string { return r.source().Name() }

// ID implements Source.
func (r Registry) ID() digest.Digest { return r.source().ID() }

// Manifest implements Manifester.
func (r Registry) Manifest(ctx context.Context) (*Manifest, error) { return r.source().Manifest(ctx) }

// RawConfig implements Source: the blob the config descriptor names.
func (r Registry) RawConfig(ctx context.Context) ([]byte, error) { return r.source().RawConfig(ctx) }

// Layers implements Source: the manifest's layer descriptors.
func (r Registry) Layers(ctx context.Context) ([]Layer, error) { return r.source().Layers(ctx) }

// OpenLayer implements Source: a plain tar layer's blob.
func (r Registry) OpenLayer(ctx context.Context, i int) (io.ReadCloser, error) {
	return r.source().OpenLayer(ctx, i)
}

// OpenCompressed implements Source: a compressed layer's blob.
func (r Registry) OpenCompressed(ctx context.Context, i int) (io.ReadCloser, error) {
	return r.source().OpenCompressed(ctx, i)
}
