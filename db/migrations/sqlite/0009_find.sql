-- 0008_find.sql: finding recordings, and "Recently deleted".
--
-- deleted_at: when the recording was deleted from the library: it stays,
--   file and row, in Recently deleted until it is restored (NULL again) or
--   purged (row and file removed for good) some days later.
-- search_text: the title folded the way the app folds what people type in
--   the search box (lower case, no accents, letters and digits in words
--   one space apart: media/find.Fold). The app writes it with the title.
-- recordings_fts: a full-text index (FTS5) of search_text of the
--   recordings in the library (not those deleted), kept by triggers. It is
--   contentless: it holds the words and row ids only, the text is the
--   table's. Prefix indexes make "st", "sta"… as fast as whole words, as a
--   person types.
-- recordings_totals: how many recordings, their total length and bytes,
--   in the library (in_trash = 0) and in Recently deleted (1), kept by
--   triggers so the page never counts the whole table. It replaces
--   recordings_count.
-- Indexes: one per order of the list (newest/oldest by created_at,
--   longest by duration_s), over the library only, and one over Recently
--   deleted by deleted_at. id breaks ties, so pages are read by keyset.
--   The longest-first index holds created_at too: a span of days read by
--   length is tested on the index alone.

ALTER TABLE recordings ADD COLUMN deleted_at TEXT;
ALTER TABLE recordings ADD COLUMN search_text TEXT NOT NULL DEFAULT '';

DROP INDEX recordings_created_id_idx;
CREATE INDEX recordings_created_idx ON recordings (created_at, id) WHERE deleted_at IS NULL;
CREATE INDEX recordings_duration_idx ON recordings (duration_s, id, created_at) WHERE deleted_at IS NULL;
CREATE INDEX recordings_deleted_idx ON recordings (deleted_at, id) WHERE deleted_at IS NOT NULL;

CREATE VIRTUAL TABLE recordings_fts USING fts5 (
	search_text,
	content = '',
	contentless_delete = 1,
	tokenize = 'unicode61',
	prefix = '1 2 3'
);

CREATE TRIGGER recordings_fts_insert AFTER INSERT ON recordings
WHEN new.deleted_at IS NULL AND new.search_text <> ''
BEGIN
	INSERT INTO recordings_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;

CREATE TRIGGER recordings_fts_delete AFTER DELETE ON recordings
WHEN old.deleted_at IS NULL AND old.search_text <> ''
BEGIN
	DELETE FROM recordings_fts WHERE rowid = old.id;
END;

CREATE TRIGGER recordings_fts_update AFTER UPDATE OF search_text, deleted_at ON recordings
BEGIN
	DELETE FROM recordings_fts WHERE rowid = old.id;
	INSERT INTO recordings_fts (rowid, search_text)
	SELECT new.id, new.search_text WHERE new.deleted_at IS NULL AND new.search_text <> '';
END;

DROP TRIGGER recordings_count_insert;
DROP TRIGGER recordings_count_delete;
DROP TABLE recordings_count;

CREATE TABLE recordings_totals (
	in_trash    INTEGER PRIMARY KEY CHECK (in_trash IN (0, 1)),
	n           INTEGER NOT NULL,
	duration_ms INTEGER NOT NULL,
	bytes       INTEGER NOT NULL
);
INSERT INTO recordings_totals (in_trash, n, duration_ms, bytes)
SELECT 0, COUNT(*), COALESCE(SUM(CAST(round(duration_s * 1000) AS INTEGER)), 0), COALESCE(SUM(bytes), 0)
FROM recordings;
INSERT INTO recordings_totals (in_trash, n, duration_ms, bytes) VALUES (1, 0, 0, 0);

CREATE TRIGGER recordings_totals_insert AFTER INSERT ON recordings
BEGIN
	UPDATE recordings_totals SET
		n = n + 1,
		duration_ms = duration_ms + CAST(round(new.duration_s * 1000) AS INTEGER),
		bytes = bytes + new.bytes
	WHERE in_trash = (new.deleted_at IS NOT NULL);
END;

CREATE TRIGGER recordings_totals_delete AFTER DELETE ON recordings
BEGIN
	UPDATE recordings_totals SET
		n = n - 1,
		duration_ms = duration_ms - CAST(round(old.duration_s * 1000) AS INTEGER),
		bytes = bytes - old.bytes
	WHERE in_trash = (old.deleted_at IS NOT NULL);
END;

CREATE TRIGGER recordings_totals_update AFTER UPDATE OF deleted_at, duration_s, bytes ON recordings
BEGIN
	UPDATE recordings_totals SET
		n = n - 1,
		duration_ms = duration_ms - CAST(round(old.duration_s * 1000) AS INTEGER),
		bytes = bytes - old.bytes
	WHERE in_trash = (old.deleted_at IS NOT NULL);
	UPDATE recordings_totals SET
		n = n + 1,
		duration_ms = duration_ms + CAST(round(new.duration_s * 1000) AS INTEGER),
		bytes = bytes + new.bytes
	WHERE in_trash = (new.deleted_at IS NOT NULL);
END;
