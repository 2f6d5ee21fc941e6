-- 0009: generated blobs. A blob row whose recipe is not '' is generated content (a
-- stand-in base image's layer): its digest and size are known, no file is written under
-- blobs/sha256, and OpenBlob makes the bytes from the recipe (engine/standin.Recipe),
-- checking them against the digest as they stream. A file for such a digest, when one
-- is written later (a load of the same layer), is read instead. GC treats both alike.
ALTER TABLE blobs ADD COLUMN recipe TEXT NOT NULL DEFAULT '';

-- What a stand-in layer's recipe fingerprint (engine/standin.Fingerprint) was measured
-- to be, for a fingerprint the embedded table lacks: one streaming pass over its bytes,
-- remembered so no later process pays it again. Shared by every workspace; not a GC
-- root (it names no bytes the store keeps).
CREATE TABLE standin_layers (
	fingerprint TEXT PRIMARY KEY,
	diff_id     TEXT NOT NULL,
	size        INTEGER NOT NULL,
	created     TEXT NOT NULL
) STRICT, WITHOUT ROWID;
