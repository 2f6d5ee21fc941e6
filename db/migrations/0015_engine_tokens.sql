-- 0015: the Docker Engine API's tokens (issue 14). A workspace answers the Engine API
-- under /ws/<token>/ once it has a token; rotating replaces it, and the old one stops
-- answering at once. hash is the hex SHA-256 of the token: requests are looked up by
-- it, so the lookup's timing says nothing of the token, and the token itself is
-- compared in constant time after. token is kept to show it on the workspace's page.
CREATE TABLE engine_tokens (
	workspace TEXT PRIMARY KEY REFERENCES workspaces (name) ON DELETE CASCADE,
	token     TEXT NOT NULL,
	hash      TEXT NOT NULL UNIQUE,
	created   TEXT NOT NULL
) STRICT;
