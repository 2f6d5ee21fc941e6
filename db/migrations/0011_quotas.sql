-- 0011: quotas and idle expiry (issue 12). used is when the workspace was last used
-- (a request that named it), recorded at most once an hour per workspace so a GET is
-- not a write; '' (a workspace from before this migration) counts as its created time.
-- The janitor removes workspaces whose last use is older than the server's idle expiry.
ALTER TABLE workspaces ADD COLUMN used TEXT NOT NULL DEFAULT '';
UPDATE workspaces SET used = created;
CREATE INDEX workspaces_used ON workspaces (used);

-- The storage quota (db/quota.go) counts, for the blobs a workspace's images
-- reference, how many workspaces reference each: these indexes answer that from the
-- index alone. They replace the single-column indexes of 0001 (a lookup by diff_id or
-- digest uses their first column), so an image's layers cost no more index writes than
-- before: with both kept, a class's rebuilds wrote twice the bytes. The workspace's own
-- layers are read by the primary key's prefix.
DROP INDEX image_layers_diff_id;
DROP INDEX image_layers_digest;
CREATE INDEX image_layers_owners ON image_layers (diff_id, workspace);
CREATE INDEX image_layers_digest_owners ON image_layers (digest, workspace) WHERE digest != '';
