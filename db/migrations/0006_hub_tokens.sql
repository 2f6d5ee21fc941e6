-- The hub's push credentials: each workspace owns one namespace of the built-in
-- registry, and pushes into it with its token (HTTP basic auth: the namespace as the
-- user name, the token as the password). The token is kept as is, so the command line
-- and the page can show it again (the store is the user's own file).
CREATE TABLE hub_tokens (
	workspace  TEXT PRIMARY KEY REFERENCES workspaces (name) ON DELETE CASCADE,
	namespace  TEXT NOT NULL UNIQUE,
	token      TEXT NOT NULL,
	created    TEXT NOT NULL
) STRICT;
