package db

// The hub: the store side of layerlab's built-in OCI registry (distribution-spec v2).
//
// What must hold:
//   - The hub's bytes are blobs of the one blob store, filed under the sha256 of their
//     content. A client may name content by sha512 as well: the hub tables keep the
//     client's digest and the sha256 the bytes are filed under (store_digest), and GC
//     keeps every blob a hub row names.
//   - Nothing unverified is stored. A blob is linked into a repository only after its
//     bytes hashed to the digest the client gave; a manifest only after its bytes hashed
//     to its digest, it parsed as exactly one kind (image manifest or index), and every
//     blob and child manifest it names is in the repository, with the size it says. A
//     failed upload or manifest leaves no row and no blob file behind.
//   - Upload sessions keep their bytes in hub/uploads/<id> under the store directory,
//     outside blobs/tmp (which GC sweeps). Requests to one session are serialised by a
//     per-session lock; a session untouched for HubUploadTTL is purged.
//
// This file holds the hub's limits and media types; the rest is one file per resource:
// hubnames.go (the names a client sends), huberrors.go (the spec's error codes),
// hubrepos.go (repositories and the catalog), hubblobs.go, hubuploads.go,
// hubmanifestcheck.go and hubmanifests.go, hubtags.go, hubreferrers.go. hubauth.go holds
// the namespace tokens; blob.go's GC keeps every blob a hub row names.

import (
	"context"
	_ "crypto/sha512" // registers sha512 for go-digest
	"database/sql"
	"time"

	"layerlab/engine/layertar"
)

// Limits of the hub.
const (
	// HubMaxManifestSize is the largest manifest the hub accepts: 4 MiB, what the
	// distribution spec asks registries to accept, and the bound a pull reads up to
	// (engine/layertar's), so whatever the hub stored can be pulled.
	HubMaxManifestSize = layertar.MaxManifestBytes
	// HubMaxBlobSize is the largest blob the hub accepts.
	HubMaxBlobSize int64 = 4 << 30
	// HubUploadTTL is how long an upload session may sit untouched before it is purged.
	HubUploadTTL = 15 * time.Minute
)

// Media types the hub stores as manifests.
const (
	MediaTypeOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	MediaTypeOCIIndex       = "application/vnd.oci.image.index.v1+json"
	MediaTypeDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	MediaTypeDockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
)

// querier is what both *sql.DB and *sql.Tx offer for reads.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}
