-- 0010_shares.sql: read-only links to one recording.
--
-- The PostgreSQL twin of ../sqlite/0010_shares.sql.
-- id: random, the public half of the link (/s/<id>.<secret>).
-- secret_sum: hex SHA-256 of the link's random secret: the index never
--   holds a working link. The app compares sums in constant time.
-- revoked_at: set by "Stop sharing", and by moving the recording to
--   Recently deleted (restoring it does not bring its links back).
-- plays: playbacks started from the link's page.
-- Purging the recording deletes its shares with it.

CREATE TABLE shares (
	id           text        PRIMARY KEY,
	recording_id bigint      NOT NULL REFERENCES recordings (id) ON DELETE CASCADE,
	secret_sum   text        NOT NULL,
	created_at   timestamptz NOT NULL,
	expires_at   timestamptz NOT NULL,
	revoked_at   timestamptz,
	plays        bigint      NOT NULL DEFAULT 0
);

CREATE INDEX shares_recording_idx ON shares (recording_id, expires_at) WHERE revoked_at IS NULL;
