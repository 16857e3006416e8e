-- 0010_shares.sql: read-only links to one recording.
--
-- A share lets whoever holds its link play and download one recording
-- without the access token, until expires_at or until it is revoked.
-- id: random, the public half of the link (/s/<id>.<secret>).
-- secret_sum: hex SHA-256 of the link's random secret: the index never
--   holds a working link, so reading it (a backup, a shared PostgreSQL)
--   opens no recording. The app compares sums in constant time.
-- revoked_at: set by "Stop sharing", and by moving the recording to
--   Recently deleted (restoring it does not bring its links back).
-- plays: playbacks started from the link's page.
-- Purging the recording deletes its shares with it.

CREATE TABLE shares (
	id           TEXT    PRIMARY KEY,
	recording_id INTEGER NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
	secret_sum   TEXT    NOT NULL,
	created_at   TEXT    NOT NULL,
	expires_at   TEXT    NOT NULL,
	revoked_at   TEXT,
	plays        INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX shares_recording_idx ON shares (recording_id, expires_at) WHERE revoked_at IS NULL;
