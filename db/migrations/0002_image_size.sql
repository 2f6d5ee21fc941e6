-- An image's size (the sum of its layers' content sizes, what `image ls` shows) as a
-- column, so listing ten thousand images needs no JSON decoding.
ALTER TABLE images ADD COLUMN size INTEGER NOT NULL DEFAULT 0;
UPDATE images SET size = (SELECT coalesce(sum(json_extract(value, '$.size')), 0) FROM json_each(images.layers));
