-- 0008_live_format.sql: what a live take is kept as ('wav' or 'opus');
-- '' until someone chooses, so the server's -live-format applies.

ALTER TABLE params ADD COLUMN format text NOT NULL DEFAULT '';
