// Package remote moves images between layerlab's store and registries: `pull` and
// `push`, as Docker 20.10 does them and prints them (non-TTY output).
//
// Where the manifests and blobs come from and go to is a Registry. HTTP is one, over
// go-containerregistry's remote package, for any registry reachable by address
// ("127.0.0.1:5000/team/app:1"); the built-in hub can be another (see Registry).
//
// The store keeps layers uncompressed, by diffID; registries hold gzip blobs. Push
// compresses each layer deterministically (the same bytes give the same digest on
// every push, so a second push finds its layers there), once: into the hub's store
// directly, or into a scratch file for an HTTP registry; the store records the digest,
// so the next push asks for it without compressing again. Pull inflates each layer with
// bounded size, checks it against its config's diff_ids, and stores it only if it
// matches. A pull that fails leaves no image row and moves no tag: at most blobs that
// nothing references, which the store's GC removes.
package remote

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	digest "github.com/opencontainers/go-digest"
)

// Registry is where pull reads an image's manifest and blobs and where push writes
// them. Repositories are named by their path in the registry ("team/app",
// "library/python"). HTTP implements it over go-containerregistry's remote package;
// the built-in hub can implement it directly over its own storage, or be reached as
// an HTTP registry at its address.
//
// Implementations need not verify what they return: Pull checks every digest and
// size, and bounds every read, itself.
type Registry interface {
	// Manifest returns the manifest (or index) that reference names in repo;
	// reference is a tag or a digest ("sha256:..."). An error wrapping
	// ErrManifestUnknown when there is none.
	Manifest(ctx context.Context, repo, reference string) (*Manifest, error)
	// OpenBlob opens blob d of repo (a layer or config, as stored: gzip for a gzip
	// layer). An error wrapping ErrBlobUnknown when there is none.
	OpenBlob(ctx context.Context, repo string, d digest.Digest) (io.ReadCloser, error)
	// StatBlob returns the size of blob d in repo, or an error wrapping ErrBlobUnknown.
	StatBlob(ctx context.Context, repo string, d digest.Digest) (int64, error)
	// PutBlob uploads blob d, of size bytes, to repo. open may be called more than
	// once (a retried upload) and gives the same bytes each time.
	PutBlob(ctx context.Context, repo string, d digest.Digest, size int64, open func() (io.ReadCloser, error)) error
	// PutManifest stores m in repo under tag.
	PutManifest(ctx context.Context, repo, tag string, m *Manifest) error
}

// Manifest is a manifest or index as a registry serves it: the exact bytes (whose
// sha256 is the digest Docker prints) and their media type.
type Manifest struct {
	MediaType string
	Raw       []byte
}

// Digest is the manifest's content digest.
func (m *Manifest) Digest() digest.Digest { return digest.FromBytes(m.Raw) }

// Media types of manifests, configs and layers (Docker's and OCI's).
const (
	MediaDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	MediaDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	MediaDockerConfig   = "application/vnd.docker.container.image.v1+json"
	MediaDockerLayer    = "application/vnd.docker.image.rootfs.diff.tar.gzip"
	MediaDockerForeign  = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"
	MediaDockerSchema1  = "application/vnd.docker.distribution.manifest.v1+json"
	MediaDockerSigned1  = "application/vnd.docker.distribution.manifest.v1+prettyjws"
	MediaOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	MediaOCIIndex       = "application/vnd.oci.image.index.v1+json"
	MediaOCIConfig      = "application/vnd.oci.image.config.v1+json"
	MediaOCILayer       = "application/vnd.oci.image.layer.v1.tar"
	MediaOCILayerGzip   = "application/vnd.oci.image.layer.v1.tar+gzip"
	MediaOCILayerZstd   = "application/vnd.oci.image.layer.v1.tar+zstd"
)

// Descriptor points at a blob or manifest (schema2 and OCI share the shape). The
// field order is the one Docker's schema2 manifests are written in.
type Descriptor struct {
	MediaType string        `json:"mediaType"`
	Size      int64         `json:"size"`
	Digest    digest.Digest `json:"digest"`
	URLs      []string      `json:"urls,omitempty"`
	Platform  *Platform     `json:"platform,omitempty"`
}

// Platform selects an entry of an index.
type Platform struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Variant      string `json:"variant,omitempty"`
}

func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// ImageManifest is a Docker schema2 or OCI image manifest.
type ImageManifest struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType,omitempty"`
	Config        Descriptor   `json:"config"`
	Layers        []Descriptor `json:"layers"`
}

// Index is a Docker manifest list or OCI image index.
type Index struct {
	SchemaVersion int          `json:"schemaVersion"`
	MediaType     string       `json:"mediaType,omitempty"`
	Manifests     []Descriptor `json:"manifests"`
}

// schema2 returns the Docker v2 schema2 manifest of an image, written as Docker 20.10
// writes it (distribution's MarshalIndent with three spaces), so its digest is stable.
func schema2(config Descriptor, layers []Descriptor) (*Manifest, error) {
	m := ImageManifest{SchemaVersion: 2, MediaType: MediaDockerManifest, Config: config, Layers: layers}
	if m.Layers == nil {
		m.Layers = []Descriptor{}
	}
	raw, err := json.MarshalIndent(m, "", "   ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return &Manifest{MediaType: MediaDockerManifest, Raw: raw}, nil
}
