-- 0011_find_walk.sql: a page of a broad search found by walking the list.
--
-- A word in a fifth of all titles ("notes", or "s" as a person starts
-- typing) finds its first page of 21 in the first hundred entries of the
-- list's order: the app walks the order's index, testing each entry's
-- words, and stops there, instead of gathering every match from the
-- full-text index (tens of thousands of row ids) to sort them.
--
-- Order indexes: search_text joins them, so that test reads the index
--   entry alone, never the row (which holds the waveform: kilobytes).
-- recordings_keys_idx: the keys the list is ordered by, by id. A search
--   whose words are found at most find.MaxCount times lists them from the
--   full-text index, then reads each one's keys here to sort them, not
--   from its row: 500 rows read 500 pages of the table (2.5 ms), here a
--   few pages.
-- recordings_fts: rebuilt with the ascii tokenizer. A word of the index is
--   then exactly a word of search_text (Fold leaves letters and digits one
--   space apart; ascii splits at ASCII non-alphanumerics only), so the
--   full-text index and the test on search_text find the same recordings
--   by construction, not because SQLite's unicode61 tables of letters and
--   accents happen to agree with Go's (they did on every title tried).
--   Prefix indexes now up to 6 letters: FTS5 reads a prefix longer than
--   its longest prefix index by merging the lists of every word it begins
--   into one before returning the first match (for "notes"* 27 000 row
--   ids, ~2 ms, where "notes" streams in 0.4), and a person types most
--   words' first six letters one by one. The triggers of 0009 fill it as
--   before.

DROP INDEX recordings_created_idx;
DROP INDEX recordings_duration_idx;
CREATE INDEX recordings_created_idx ON recordings (created_at, id, search_text) WHERE deleted_at IS NULL;
CREATE INDEX recordings_duration_idx ON recordings (duration_s, id, created_at, search_text) WHERE deleted_at IS NULL;
CREATE INDEX recordings_keys_idx ON recordings (id, created_at, duration_s) WHERE deleted_at IS NULL;

DROP TABLE recordings_fts;
CREATE VIRTUAL TABLE recordings_fts USING fts5 (
	search_text,
	content = '',
	contentless_delete = 1,
	tokenize = 'ascii',
	prefix = '1 2 3 4 5 6'
);
INSERT INTO recordings_fts (rowid, search_text)
SELECT id, search_text FROM recordings WHERE deleted_at IS NULL AND search_text <> '';
