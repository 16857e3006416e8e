-- 0003_missing.sql: a row whose recording file has gone is flagged, not
-- hidden or deleted, so a person can see what was lost (and psql can find
-- it: select filename from recordings where missing).

ALTER TABLE recordings ADD COLUMN missing boolean NOT NULL DEFAULT false;
