-- 0011: quotas and idle expiry (issue 12). used is when the workspace was last used
-- (a request that named it), recorded at most once an hour per workspace so a GET is
-- not a write; '' (a workspace from before this migration) counts as its created time.
-- The janitor removes workspaces whose last use is older than the server's idle expiry.
ALTER TABLE workspaces ADD COLUMN used TEXT NOT NULL DEFAULT '';
UPDATE workspaces SET used = created;
CREATE INDEX workspaces_used ON workspaces (used);

-- The storage quota (db/quota.go) reads, at each new blob a workspace writes, the blobs
-- its images reference and how many workspaces reference each: these covering indexes
-- answer both from the index alone (a workspace of a thousand images in milliseconds,
-- not a second).
CREATE INDEX image_layers_ws_blobs ON image_layers (workspace, diff_id, digest);
CREATE INDEX image_layers_owners ON image_layers (diff_id, workspace);
CREATE INDEX image_layers_digest_owners ON image_layers (digest, workspace) WHERE digest != '';
