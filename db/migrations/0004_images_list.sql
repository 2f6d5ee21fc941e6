-- `image ls` reads id, parent, created and size of every image newest first. An index
-- that holds them all answers it without touching the table rows, which carry the
-- config JSON and so span many pages. It covers images_created's columns too.
CREATE INDEX images_list ON images (workspace, created DESC, id, parent, size);
DROP INDEX images_created;
