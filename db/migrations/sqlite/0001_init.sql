-- 0001_init.sql: recordings and the single-row params table.
--
-- Timestamps are TEXT in ISO 8601 UTC with milliseconds
-- (2026-11-26T13:05:07.123Z), so text order is time order and the values
-- read well in the sqlite3 shell.

CREATE TABLE recordings (
	id          INTEGER PRIMARY KEY,
	filename    TEXT    NOT NULL UNIQUE,
	created_at  TEXT    NOT NULL,
	duration_s  REAL    NOT NULL,
	sample_rate INTEGER NOT NULL,
	channels    INTEGER NOT NULL,
	fps         INTEGER NOT NULL,
	batch_size  INTEGER NOT NULL,
	mode        TEXT    NOT NULL CHECK (mode IN ('webrtc', 'mediarecorder')),
	mime        TEXT    NOT NULL,
	bytes       INTEGER NOT NULL,
	session_id  TEXT    NOT NULL DEFAULT ''
);

-- The index carries the rowid (id) too, so it serves
-- ORDER BY created_at DESC, id DESC without a sort.
CREATE INDEX recordings_created_at_idx ON recordings (created_at);

CREATE TABLE params (
	id          INTEGER PRIMARY KEY CHECK (id = 1),
	fps         INTEGER NOT NULL,
	batch_size  INTEGER NOT NULL,
	sample_rate INTEGER NOT NULL,
	channels    INTEGER NOT NULL,
	updated_at  TEXT    NOT NULL
);
