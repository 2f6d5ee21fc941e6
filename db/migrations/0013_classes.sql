-- 0013: classes (issue 13). A teacher (the workspace of the browser that opened the
-- teacher link) creates a class; students join it with its code and a display name,
-- and each student's workspace is bound to at most one class. code is the short join
-- code, unique among open classes (a closed class's code may be given again); closed
-- is '' while the class takes joins. lesson names a lesson of the server's set.
CREATE TABLE classes (
	id      TEXT PRIMARY KEY,
	code    TEXT NOT NULL,
	name    TEXT NOT NULL,
	lesson  TEXT NOT NULL,
	teacher TEXT NOT NULL,
	created TEXT NOT NULL,
	closed  TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE UNIQUE INDEX classes_open_code ON classes (code) WHERE closed = '';
CREATE INDEX classes_teacher ON classes (teacher, created DESC);

-- A class's students. name is unique in the class, whatever its case (lower_name);
-- quota is the student's storage quota in bytes, 0 for the server's default.
CREATE TABLE class_members (
	class      TEXT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
	workspace  TEXT NOT NULL UNIQUE REFERENCES workspaces (name) ON DELETE CASCADE,
	name       TEXT NOT NULL,
	lower_name TEXT NOT NULL,
	joined     TEXT NOT NULL,
	quota      INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (class, workspace),
	UNIQUE (class, lower_name)
) STRICT;
