-- The hub: layerlab's built-in OCI registry (distribution-spec v2). Its bytes live in the
-- same content-addressed blob store as everything else (blobs/sha256/<hex>, keyed by
-- the sha256 of the content); these tables say which repository holds what under which
-- digest. A client may name content by sha512: digest is always the client's digest,
-- store_digest the sha256 the bytes are filed under. GC keeps every blob a hub row
-- names by store_digest (see db/blob.go's collect).

-- A repository exists from its first push until its last blob link, manifest and
-- upload are gone.
CREATE TABLE hub_repositories (
	name    TEXT PRIMARY KEY,
	created TEXT NOT NULL
) STRICT;

-- Blob links: blob digest is in repo (pushed there, or mounted from another repository).
-- GET /v2/<repo>/blobs/<digest> serves only linked blobs.
CREATE TABLE hub_blobs (
	repo         TEXT NOT NULL REFERENCES hub_repositories (name) ON DELETE CASCADE,
	digest       TEXT NOT NULL,
	store_digest TEXT NOT NULL,
	size         INTEGER NOT NULL,
	created      TEXT NOT NULL,
	PRIMARY KEY (repo, digest)
) STRICT;
CREATE INDEX hub_blobs_store ON hub_blobs (store_digest);
CREATE INDEX hub_blobs_digest ON hub_blobs (digest);

-- Manifests (image manifests and indexes, OCI and Docker). The body is the blob
-- store_digest, served byte for byte. artifact_type is what the referrers API reports
-- (the manifest's artifactType, else an image manifest's config media type); subject
-- is the digest the manifest refers to ('' when none), and annotations its top-level
-- annotations as JSON, kept only for manifests with a subject.
CREATE TABLE hub_manifests (
	repo          TEXT NOT NULL REFERENCES hub_repositories (name) ON DELETE CASCADE,
	digest        TEXT NOT NULL,
	store_digest  TEXT NOT NULL,
	media_type    TEXT NOT NULL,
	size          INTEGER NOT NULL,
	artifact_type TEXT NOT NULL DEFAULT '',
	subject       TEXT NOT NULL DEFAULT '',
	annotations   TEXT NOT NULL DEFAULT '',
	created       TEXT NOT NULL,
	PRIMARY KEY (repo, digest)
) STRICT;
CREATE INDEX hub_manifests_store ON hub_manifests (store_digest);
CREATE INDEX hub_manifests_subject ON hub_manifests (repo, subject) WHERE subject != '';

-- What each manifest references: its config and layers (kind 'blob') or, for an index,
-- its child manifests (kind 'manifest'). store_digest is '' for a non-distributable
-- layer that was never pushed. These rows keep the bytes from GC even after the blob
-- link itself is deleted, so a manifest stays pullable by anyone who re-links it.
CREATE TABLE hub_manifest_refs (
	repo         TEXT NOT NULL,
	manifest     TEXT NOT NULL,
	digest       TEXT NOT NULL,
	store_digest TEXT NOT NULL,
	kind         TEXT NOT NULL CHECK (kind IN ('blob', 'manifest')),
	PRIMARY KEY (repo, manifest, digest),
	FOREIGN KEY (repo, manifest) REFERENCES hub_manifests (repo, digest) ON DELETE CASCADE
) STRICT;
CREATE INDEX hub_manifest_refs_store ON hub_manifest_refs (store_digest) WHERE store_digest != '';

-- Tags point at manifests of their repository; deleting the manifest deletes its tags.
CREATE TABLE hub_tags (
	repo    TEXT NOT NULL,
	tag     TEXT NOT NULL,
	digest  TEXT NOT NULL,
	updated TEXT NOT NULL,
	PRIMARY KEY (repo, tag),
	FOREIGN KEY (repo, digest) REFERENCES hub_manifests (repo, digest) ON DELETE CASCADE
) STRICT;
CREATE INDEX hub_tags_digest ON hub_tags (repo, digest);

-- Blob upload sessions. The bytes received so far are in hub/uploads/<id> under the
-- store directory (not in blobs/tmp, which GC sweeps after ten minutes); size is how
-- many of them are acknowledged. A session untouched for HubUploadTTL is purged.
CREATE TABLE hub_uploads (
	id      TEXT PRIMARY KEY,
	repo    TEXT NOT NULL REFERENCES hub_repositories (name) ON DELETE CASCADE,
	size    INTEGER NOT NULL DEFAULT 0,
	started TEXT NOT NULL,
	updated TEXT NOT NULL
) STRICT;
CREATE INDEX hub_uploads_updated ON hub_uploads (updated);
