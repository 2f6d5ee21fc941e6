-- 0010: a build's events are stored in chunks, not one row per event. A step that
-- prints 1 MiB of `yes` made 524,288 rows of "y" (50 MB); a chunk holds consecutive
-- events first_seq..last_seq (up to about 64 KiB of their JSON), so replay reads a
-- long log a page of chunks at a time.
--
-- data is the events' JSON, one per line ('\n'-separated: JSON text never holds a raw
-- newline), in sequence order; deflated = 1 when data is that text compressed with
-- raw DEFLATE (RFC 1951), which build logs shrink under by 5 to 100 times.
-- Chunks of one build never overlap; the key on last_seq finds the chunk holding the
-- first event after any sequence number with one index probe.
CREATE TABLE build_event_chunks (
	build     TEXT NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
	last_seq  INTEGER NOT NULL,
	first_seq INTEGER NOT NULL CHECK (first_seq >= 1 AND first_seq <= last_seq),
	deflated  INTEGER NOT NULL DEFAULT 0,
	data      BLOB NOT NULL,
	PRIMARY KEY (build, last_seq)
) STRICT;

-- The events stored before this migration become one-event chunks, uncompressed.
INSERT INTO build_event_chunks (build, last_seq, first_seq, deflated, data)
	SELECT build_id, seq, seq, 0, data FROM build_events;
DROP TABLE build_events;
