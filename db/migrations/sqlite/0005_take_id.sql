-- 0005_take_id.sql: every take carries an id of its own, written in its
-- spool sidecar and its recording file, so a take becomes at most one
-- recording: a save the server was killed in the middle of is finished at
-- the next start, never done twice (a session id alone is not enough: a
-- client may use one again for its next take). Rows from before have none.

ALTER TABLE recordings ADD COLUMN take_id TEXT;
CREATE UNIQUE INDEX recordings_take_id ON recordings (take_id) WHERE take_id IS NOT NULL;
