-- 0001: the initial schema.
-- Conventions: digests are text "sha256:<hex>"; times are UTC text in the fixed-width
-- form 2006-01-02T15:04:05.000000000Z (see db/time.go), so text order is time order.

-- A workspace owns images, tags and builds.
CREATE TABLE workspaces (
	name    TEXT PRIMARY KEY,
	created TEXT NOT NULL
) STRICT;

-- Blob files under blobs/sha256/<hex>, shared by every workspace. A row exists only
-- for a file that was fully written, verified and renamed into place. used is the last
-- time a writer stored (or re-stored) the blob: GC never removes a blob used within its
-- grace period, which protects a blob between PutBlob and the PutImage that references it.
CREATE TABLE blobs (
	digest  TEXT PRIMARY KEY,
	size    INTEGER NOT NULL,
	created TEXT NOT NULL,
	used    TEXT NOT NULL
) STRICT;
CREATE INDEX blobs_used ON blobs (used);

-- Images. config holds the image JSON exactly as hashed (id = its sha256). layers is
-- the JSON of []image.Layer; build the JSON of *image.StepInfo (NULL when none).
-- parent and cache_key are '' when there is none, so the cache probe is an equality.
CREATE TABLE images (
	workspace TEXT NOT NULL REFERENCES workspaces (name) ON DELETE CASCADE,
	id        TEXT NOT NULL,
	config    BLOB NOT NULL,
	parent    TEXT NOT NULL DEFAULT '',
	created   TEXT NOT NULL,
	cache_key TEXT NOT NULL DEFAULT '',
	layers    TEXT NOT NULL,
	build     TEXT,
	PRIMARY KEY (workspace, id)
) STRICT;
-- The classic cache probe and Children: (workspace, parent, cache_key) newest first.
CREATE INDEX images_cache ON images (workspace, parent, cache_key, created DESC, id);
CREATE INDEX images_created ON images (workspace, created DESC);
-- GC: is a config blob referenced by an image in any workspace?
CREATE INDEX images_id ON images (id);

-- One row per layer of an image, in RootFS order. diff_id must name a stored blob.
-- digest is the compressed blob's digest when known, else ''.
CREATE TABLE image_layers (
	workspace TEXT NOT NULL,
	image_id  TEXT NOT NULL,
	position  INTEGER NOT NULL,
	diff_id   TEXT NOT NULL REFERENCES blobs (digest),
	digest    TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (workspace, image_id, position),
	FOREIGN KEY (workspace, image_id) REFERENCES images (workspace, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX image_layers_diff_id ON image_layers (diff_id);
CREATE INDEX image_layers_digest ON image_layers (digest) WHERE digest != '';

-- Tags: ref is the normalised reference (docker.io/library/demo:v1, or name@digest).
-- created is when the ref was last pointed at its current image.
CREATE TABLE tags (
	workspace TEXT NOT NULL,
	ref       TEXT NOT NULL,
	image_id  TEXT NOT NULL,
	created   TEXT NOT NULL,
	PRIMARY KEY (workspace, ref),
	FOREIGN KEY (workspace, image_id) REFERENCES images (workspace, id) ON DELETE CASCADE
) STRICT;
CREATE INDEX tags_image ON tags (workspace, image_id);

-- Builds and their events (stored before they are published, replayed by seq).
CREATE TABLE builds (
	id         TEXT PRIMARY KEY,
	workspace  TEXT NOT NULL REFERENCES workspaces (name) ON DELETE CASCADE,
	created    TEXT NOT NULL,
	finished   TEXT NOT NULL DEFAULT '',
	state      TEXT NOT NULL,
	dockerfile TEXT NOT NULL,
	tags       TEXT NOT NULL,
	image_id   TEXT NOT NULL DEFAULT '',
	error      TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX builds_workspace ON builds (workspace, created DESC);

CREATE TABLE build_events (
	build_id TEXT NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
	seq      INTEGER NOT NULL,
	data     BLOB NOT NULL,
	PRIMARY KEY (build_id, seq)
) STRICT, WITHOUT ROWID;
