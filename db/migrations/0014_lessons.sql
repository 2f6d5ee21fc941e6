-- 0014: the guided lesson (issue 13). Every row belongs to a workspace and goes with
-- it (ON DELETE CASCADE) and with Workspace.Reset (deleteLessonRows).

-- The terminal's commands, in the order they ran (seq), with their exit status: the
-- lesson's checks read what the student ran. Only the last MaxTerminalLog are kept.
CREATE TABLE terminal_log (
	workspace TEXT NOT NULL REFERENCES workspaces (name) ON DELETE CASCADE,
	seq       INTEGER NOT NULL,
	cmd       TEXT NOT NULL,
	exit      INTEGER NOT NULL,
	at        TEXT NOT NULL,
	PRIMARY KEY (workspace, seq)
) STRICT;

-- A lesson's tasks the workspace has done: sticky, a task once done stays done.
-- detail is the check's sentence at the time (what was seen).
CREATE TABLE lesson_progress (
	workspace TEXT NOT NULL REFERENCES workspaces (name) ON DELETE CASCADE,
	lesson    TEXT NOT NULL,
	task      TEXT NOT NULL,
	done_at   TEXT NOT NULL,
	detail    TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (workspace, lesson, task)
) STRICT;

-- The last prediction of a predict-the-rebuild task: predicted is the JSON list of
-- the step numbers the student said will rebuild, made against dockerfile. build is ''
-- while pending; once scored against a real build: build, right of total, the steps
-- that did rebuild and one sentence per mistake (JSON lists).
CREATE TABLE lesson_predictions (
	workspace  TEXT NOT NULL REFERENCES workspaces (name) ON DELETE CASCADE,
	lesson     TEXT NOT NULL,
	task       TEXT NOT NULL,
	dockerfile TEXT NOT NULL,
	predicted  TEXT NOT NULL,
	at         TEXT NOT NULL,
	build      TEXT NOT NULL DEFAULT '',
	rebuilt    TEXT NOT NULL DEFAULT '[]',
	n_right    INTEGER NOT NULL DEFAULT 0,
	n_total    INTEGER NOT NULL DEFAULT 0,
	mistakes   TEXT NOT NULL DEFAULT '[]',
	scored_at  TEXT NOT NULL DEFAULT '',
	PRIMARY KEY (workspace, lesson, task)
) STRICT;

-- The last answer to a question task.
CREATE TABLE lesson_answers (
	workspace TEXT NOT NULL REFERENCES workspaces (name) ON DELETE CASCADE,
	lesson    TEXT NOT NULL,
	task      TEXT NOT NULL,
	answer    TEXT NOT NULL,
	at        TEXT NOT NULL,
	PRIMARY KEY (workspace, lesson, task)
) STRICT;

-- The lesson a workspace in no class chose in the panel (a class's student follows
-- the class's lesson).
CREATE TABLE lesson_choice (
	workspace TEXT PRIMARY KEY REFERENCES workspaces (name) ON DELETE CASCADE,
	lesson    TEXT NOT NULL,
	at        TEXT NOT NULL
) STRICT;
