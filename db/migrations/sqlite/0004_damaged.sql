-- 0004_damaged.sql: a row whose recording file is there but cannot be read
-- (cut short, not audio, its metadata broken) is flagged at start, so the
-- list can say so and a person can decide (select filename from recordings
-- where damaged).

ALTER TABLE recordings ADD COLUMN damaged INTEGER NOT NULL DEFAULT 0;
