-- 0006_list_speed.sql: the recordings list stays fast at any depth and size.
-- Pages are read by keyset (created_at, id), so a page deep in the list
-- costs what the first does; the count the page shows is kept up to date
-- by triggers instead of COUNT(*) over the whole table on every view; and
-- each waveform's SVG path is drawn once, at save (rows from before are
-- drawn from their peaks when shown).

ALTER TABLE recordings ADD COLUMN waveform TEXT NOT NULL DEFAULT '';

CREATE INDEX recordings_created_id_idx ON recordings (created_at, id);
DROP INDEX IF EXISTS recordings_created_at_idx;

CREATE TABLE recordings_count (
	only_row INTEGER PRIMARY KEY CHECK (only_row = 1),
	n        INTEGER NOT NULL
);
INSERT INTO recordings_count (only_row, n) SELECT 1, COUNT(*) FROM recordings;

CREATE TRIGGER recordings_count_insert AFTER INSERT ON recordings
BEGIN
	UPDATE recordings_count SET n = n + 1 WHERE only_row = 1;
END;

CREATE TRIGGER recordings_count_delete AFTER DELETE ON recordings
BEGIN
	UPDATE recordings_count SET n = n - 1 WHERE only_row = 1;
END;
