-- The playground's build context: each browser workspace edits its files in the page,
-- and they persist across restarts. data is the file's bytes; mode its permission bits.
CREATE TABLE context_files (
	workspace TEXT NOT NULL REFERENCES workspaces (name) ON DELETE CASCADE,
	path      TEXT NOT NULL,
	data      BLOB NOT NULL,
	mode      INTEGER NOT NULL,
	modified  TEXT NOT NULL,
	PRIMARY KEY (workspace, path)
) STRICT;

-- What a build was given, for comparing it with the previous build of the same tag:
-- JSON {"files": {path: digest}, "args": {...}, "target": "", "no_cache": false}.
ALTER TABLE builds ADD COLUMN inputs TEXT NOT NULL DEFAULT '{}';
