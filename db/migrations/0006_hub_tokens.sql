-- The hub's push credentials: each workspace owns one namespace of the built-in
-- registry, and pushes into it with its token (HTTP basic auth: the namespace as the
-- user name, the token as the password). Only a hash of the token is kept.
CREATE TABLE hub_tokens (
	workspace  TEXT PRIMARY KEY REFERENCES workspaces (name) ON DELETE CASCADE,
	namespace  TEXT NOT NULL UNIQUE,
	token_hash TEXT NOT NULL,
	created    TEXT NOT NULL
) STRICT;
