-- 0011: quotas and idle expiry (issue 12). used is when the workspace was last used
-- (a request that named it), recorded at most once an hour per workspace so a GET is
-- not a write; '' (a workspace from before this migration) counts as its created time.
-- The janitor removes workspaces whose last use is older than the server's idle expiry.
ALTER TABLE workspaces ADD COLUMN used TEXT NOT NULL DEFAULT '';
UPDATE workspaces SET used = created;
CREATE INDEX workspaces_used ON workspaces (used);
