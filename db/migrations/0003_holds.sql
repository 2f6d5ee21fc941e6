-- Images a running build stands on. Between two steps a classic build's newest image
-- has no child and no tag yet, so it looks dangling; prune and rmi skip held images.
-- A hold expires, so a build that was killed holds nothing for long.
CREATE TABLE holds (
	workspace TEXT NOT NULL,
	image_id  TEXT NOT NULL,
	holder    TEXT NOT NULL,
	expires   TEXT NOT NULL,
	PRIMARY KEY (workspace, image_id, holder)
) STRICT;
