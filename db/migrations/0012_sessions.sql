-- The server's secrets: random keys made once per store, so what the server signs
-- (browser session tokens, the flash cookie) stays valid across restarts and is
-- never valid for another store. name says what the key is for ("session").
CREATE TABLE secrets (
	name  TEXT PRIMARY KEY,
	value BLOB NOT NULL
) STRICT;
