-- 0011_find_walk.sql: a page of a broad search found by walking the list.
--
-- The PostgreSQL twin of ../sqlite/0011_find_walk.sql.
-- A word in a fifth of all titles finds its page of 21, and its count up
-- to find.MaxCount + 1, in the first thousands of entries of an order's
-- index: the planner walks it, testing each entry. search_vector joins
-- the order indexes (INCLUDE: carried, not ordered) so that the test
-- reads the index entry alone (an index-only scan), never the row, which
-- holds the waveform: counting 1001 of "notes" read 750 heap pages (12 ms)
-- and reads 40 index pages (0.6 ms). Narrow words still go through the
-- GIN index, by the planner's own statistics.

DROP INDEX recordings_created_idx;
DROP INDEX recordings_duration_idx;
CREATE INDEX recordings_created_idx ON recordings (created_at, id)
	INCLUDE (search_vector) WHERE deleted_at IS NULL;
CREATE INDEX recordings_duration_idx ON recordings (duration_s, id, created_at)
	INCLUDE (search_vector) WHERE deleted_at IS NULL;
