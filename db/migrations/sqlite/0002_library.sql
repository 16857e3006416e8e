-- 0002_library.sql: what the recordings library shows and edits.
--
-- title: a name the user gives a recording ('' until renamed).
-- client_duration_s: what the browser claimed; duration_s is the server's
--   own measurement of the saved audio (NULL when the client said nothing).
-- peaks: the waveform thumbnail, one byte (0-255) per bucket, hex-encoded.

ALTER TABLE recordings ADD COLUMN title TEXT NOT NULL DEFAULT '';
ALTER TABLE recordings ADD COLUMN client_duration_s REAL;
ALTER TABLE recordings ADD COLUMN peaks TEXT NOT NULL DEFAULT '';
