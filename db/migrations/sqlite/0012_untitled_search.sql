-- 0012_untitled_search.sql: untitled recordings are found by the word
-- their name begins with.
--
-- An untitled recording is named from when it was made, on each viewer's
-- clock ("Recording 7 Dec, 4:12 PM"): the name is never stored. Its
-- search_text is "recording" (media/find.SearchText, as the app now
-- writes it), so typing "Recording" or "rec" finds it; the date in its
-- name is found as any date typed is, by created_at.
-- Numbered 0012: 0011 is kept for the search work done beside this.

UPDATE recordings SET search_text = 'recording' WHERE title = '';
