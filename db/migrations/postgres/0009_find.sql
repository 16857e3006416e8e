-- 0008_find.sql: finding recordings, and "Recently deleted".
--
-- The PostgreSQL twin of ../sqlite/0008_find.sql.
-- deleted_at: when the recording was deleted from the library: it stays,
--   file and row, in Recently deleted until it is restored (NULL again) or
--   purged (row and file removed for good) some days later.
-- search_text: the title folded the way the app folds what people type in
--   the search box (media/find.Fold). The app writes it with the title.
-- search_vector: its words, for full-text search ('simple': no stemming,
--   no stop words, any language; the folding is done already), with a GIN
--   index over the recordings in the library. fastupdate is off: saves are
--   rare and searches many, so each insert goes into the index at once
--   rather than into a pending list every search would read.
-- recordings_totals: how many recordings, their total length and bytes,
--   in the library (in_trash = false) and in Recently deleted (true), kept
--   by a trigger so the page never counts the whole table. It replaces
--   recordings_count.
-- Indexes: one per order of the list (newest/oldest by created_at,
--   longest by duration_s), over the library only, and one over Recently
--   deleted by deleted_at. id breaks ties, so pages are read by keyset.
--   The longest-first index holds created_at too: a span of days read by
--   length is tested on the index alone.

ALTER TABLE recordings ADD COLUMN deleted_at timestamptz;
ALTER TABLE recordings ADD COLUMN search_text text NOT NULL DEFAULT '';
ALTER TABLE recordings ADD COLUMN search_vector tsvector
	GENERATED ALWAYS AS (to_tsvector('simple', search_text)) STORED;

CREATE INDEX recordings_search_idx ON recordings USING gin (search_vector)
	WITH (fastupdate = off) WHERE deleted_at IS NULL;

DROP INDEX recordings_created_id_idx;
CREATE INDEX recordings_created_idx ON recordings (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX recordings_duration_idx ON recordings (duration_s, id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX recordings_deleted_idx ON recordings (deleted_at, id) WHERE deleted_at IS NOT NULL;

DROP TRIGGER recordings_count_insert ON recordings;
DROP TRIGGER recordings_count_delete ON recordings;
DROP FUNCTION recordings_count_insert();
DROP FUNCTION recordings_count_delete();
DROP TABLE recordings_count;

CREATE TABLE recordings_totals (
	in_trash    boolean PRIMARY KEY,
	n           bigint  NOT NULL,
	duration_ms bigint  NOT NULL,
	bytes       bigint  NOT NULL
);
INSERT INTO recordings_totals (in_trash, n, duration_ms, bytes)
SELECT false, COUNT(*), COALESCE(SUM(round(duration_s * 1000)::bigint), 0), COALESCE(SUM(bytes), 0)
FROM recordings;
INSERT INTO recordings_totals (in_trash, n, duration_ms, bytes) VALUES (true, 0, 0, 0);

-- One row trigger for the three events: the old row's figures leave its
-- side (library or Recently deleted), the new row's join its own. The
-- totals rows also order writers: each holds its row's lock until it
-- commits, so the figures are exact under writers from several nodes.
CREATE FUNCTION recordings_totals_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP IN ('UPDATE', 'DELETE') THEN
		UPDATE recordings_totals SET
			n = n - 1,
			duration_ms = duration_ms - round(OLD.duration_s * 1000)::bigint,
			bytes = bytes - OLD.bytes
		WHERE in_trash = (OLD.deleted_at IS NOT NULL);
	END IF;
	IF TG_OP IN ('UPDATE', 'INSERT') THEN
		UPDATE recordings_totals SET
			n = n + 1,
			duration_ms = duration_ms + round(NEW.duration_s * 1000)::bigint,
			bytes = bytes + NEW.bytes
		WHERE in_trash = (NEW.deleted_at IS NOT NULL);
	END IF;
	RETURN NULL;
END;
$$;

CREATE TRIGGER recordings_totals_change
AFTER INSERT OR DELETE OR UPDATE OF deleted_at, duration_s, bytes ON recordings
FOR EACH ROW EXECUTE FUNCTION recordings_totals_change();
