-- 0006_list_speed.sql: the recordings list stays fast at any depth and size.
-- Pages are read by keyset (created_at, id), so a page deep in the list
-- costs what the first does; the count the page shows is kept up to date
-- by triggers instead of COUNT(*) over the whole table on every view; and
-- each waveform's SVG path is drawn once, at save (rows from before are
-- drawn from their peaks when shown).
--
-- The triggers are row triggers calling PL/pgSQL functions, as SQLite's
-- are row triggers with a body. The single count row also orders writers:
-- an insert or delete holds its lock until it commits, so the count is
-- exact under concurrent writers from several nodes.

ALTER TABLE recordings ADD COLUMN waveform text NOT NULL DEFAULT '';

CREATE INDEX recordings_created_id_idx ON recordings (created_at, id);
DROP INDEX IF EXISTS recordings_created_at_idx;

CREATE TABLE recordings_count (
	only_row integer PRIMARY KEY CHECK (only_row = 1),
	n        bigint  NOT NULL
);
INSERT INTO recordings_count (only_row, n) SELECT 1, COUNT(*) FROM recordings;

CREATE FUNCTION recordings_count_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE recordings_count SET n = n + 1 WHERE only_row = 1;
	RETURN NULL;
END;
$$;

CREATE FUNCTION recordings_count_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
	UPDATE recordings_count SET n = n - 1 WHERE only_row = 1;
	RETURN NULL;
END;
$$;

CREATE TRIGGER recordings_count_insert AFTER INSERT ON recordings
FOR EACH ROW EXECUTE FUNCTION recordings_count_insert();

CREATE TRIGGER recordings_count_delete AFTER DELETE ON recordings
FOR EACH ROW EXECUTE FUNCTION recordings_count_delete();
