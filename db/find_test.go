package db

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/find"
)

// insertTitled inserts a recording named filename with title, made at,
// lasting seconds.
func insertTitled(tb testing.TB, db *DB, filename, title string, at time.Time, seconds float64) *media.Recording {
	tb.Helper()
	r := newRecording(filename)
	r.Title, r.CreatedAt, r.Duration = title, at, seconds
	if err := db.InsertRecording(context.Background(), r); err != nil {
		tb.Fatal(err)
	}
	return r
}

func mustFind(tb testing.TB, db *DB, p find.Page) []string {
	tb.Helper()
	recs, err := db.Find(context.Background(), p)
	if err != nil {
		tb.Fatal(err)
	}
	return filenames(recs)
}

func mustCountFound(tb testing.TB, db *DB, q find.Query) int {
	tb.Helper()
	n, err := db.CountFound(context.Background(), q)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func words(w ...string) find.Query { return find.Query{Words: w} }

func TestFind(t *testing.T) { forEachBackend(t, testFind) }

func testFind(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.MustOpen(t)
	day := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	insertTitled(t, db, "a", "Standup notes", day, 60)
	insertTitled(t, db, "b", "Café crème — idea", day.Add(time.Hour), 5)
	insertTitled(t, db, "c", "", day.Add(2*time.Hour), 30) // untitled
	insertTitled(t, db, "d", "Interview: stand-up comedy", day.AddDate(0, 0, 1), 600)
	insertTitled(t, db, "e", "Notes from the standup", day.AddDate(0, 0, 2), 12)
	insertTitled(t, db, "f", "IDEAS for 2027", day.AddDate(0, 0, 3), 1)

	for _, tc := range []struct {
		name string
		q    find.Query
		want []string // newest first
	}{
		{"All", find.Query{}, []string{"f", "e", "d", "c", "b", "a"}},
		{"Word", words("standup"), []string{"e", "a"}},
		{"Prefix", words("stand"), []string{"e", "d", "a"}},
		{"OnePrefixLetter", words("s"), []string{"e", "d", "a"}},
		{"TwoWords", words("stand", "notes"), []string{"e", "a"}},
		{"WordsInAnyOrder", words("notes", "standup"), []string{"e", "a"}},
		{"Folded", words(find.Words("CAFÉ")...), []string{"b"}},
		{"Creme", words("creme"), []string{"b"}},
		{"NotInside", words("tand"), nil}, // beginnings of words only
		{"Digits", words("2027"), []string{"f"}},
		{"Ideas", words("idea"), []string{"f", "b"}},
		{"NoMatch", words("zebra"), nil},
		{"AllMustMatch", words("standup", "zebra"), nil},
		{"Day", find.Query{From: day.Truncate(24 * time.Hour), To: day.Truncate(24*time.Hour).AddDate(0, 0, 1)}, []string{"c", "b", "a"}},
		{"DayAndWord", find.Query{Words: []string{"notes"}, From: day.Truncate(24 * time.Hour), To: day.AddDate(0, 0, 2)}, []string{"a"}},
		{"EmptySpan", find.Query{From: day, To: day}, nil},
		{"SpanEdges", find.Query{From: day, To: day.Add(time.Hour)}, []string{"a"}}, // [From, To)
		// An untitled take is named "Recording 7 Dec, 11:00": found by
		// the word its name begins with, and by its day.
		{"Untitled", words("recording"), []string{"c"}},
		{"UntitledPrefix", words("rec"), []string{"c"}},
		{"UntitledAndDay", find.Query{Words: []string{"recording"}, From: day.Truncate(24 * time.Hour), To: day.AddDate(0, 0, 1)}, []string{"c"}},
		{"UntitledOtherDay", find.Query{Words: []string{"recording"}, From: day.AddDate(0, 0, 1), To: day.AddDate(0, 0, 2)}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := mustFind(t, db, find.Page{Query: tc.q, Order: find.Newest})
			if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) {
				t.Errorf("found %q, want %q", got, tc.want)
			}
			if n := mustCountFound(t, db, tc.q); n != len(tc.want) {
				t.Errorf("counted %d, want %d", n, len(tc.want))
			}
		})
	}

	t.Run("RenameIsFound", func(t *testing.T) {
		if err := db.RenameRecording(ctx, "c", "Guitar riff"); err != nil {
			t.Fatal(err)
		}
		if got := mustFind(t, db, find.Page{Query: words("riff")}); !slices.Equal(got, []string{"c"}) {
			t.Errorf("found %q after the rename", got)
		}
		if got := mustFind(t, db, find.Page{Query: words("recording")}); len(got) != 0 {
			t.Errorf("titled, found %q as untitled", got)
		}
		if err := db.RenameRecording(ctx, "c", ""); err != nil {
			t.Fatal(err)
		}
		if got := mustFind(t, db, find.Page{Query: words("riff")}); len(got) != 0 {
			t.Errorf("found %q by its old title", got)
		}
		if got := mustFind(t, db, find.Page{Query: words("recording")}); !slices.Equal(got, []string{"c"}) {
			t.Errorf("untitled again, found %q as untitled", got)
		}
	})

	t.Run("DeletedAreNotFound", func(t *testing.T) {
		if _, err := db.TrashRecording(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		defer db.RestoreRecording(ctx, "a")
		if got := mustFind(t, db, find.Page{Query: words("standup")}); !slices.Equal(got, []string{"e"}) {
			t.Errorf("found %q", got)
		}
		if n := mustCountFound(t, db, words("standup")); n != 1 {
			t.Errorf("counted %d", n)
		}
		// In Recently deleted, the same words find it.
		if got := mustFind(t, db, find.Page{Query: words("stand", "note"), Order: find.Deleted}); !slices.Equal(got, []string{"a"}) {
			t.Errorf("found %q in Recently deleted", got)
		}
		if got := mustFind(t, db, find.Page{Query: words("tand"), Order: find.Deleted}); len(got) != 0 {
			t.Errorf("found %q in Recently deleted by the inside of a word", got)
		}
	})
}

// TestFindOrders reads a list in every order, page by page both ways,
// with ties on every key, against the same list sorted in Go.
func TestFindOrders(t *testing.T) { forEachBackend(t, testFindOrders) }

func testFindOrders(t *testing.T, b backend) {
	db := b.MustOpen(t)
	rng := rand.New(rand.NewPCG(1, 2))
	var all []media.Recording
	for i := range 37 {
		// Few distinct times and lengths: many ties, broken by id.
		at := t0.Add(time.Duration(rng.IntN(6)) * time.Hour)
		secs := []float64{0.5, 3, 3, 12.25, 0.1 + 0.2}[rng.IntN(5)]
		title := []string{"standup", "idea", "standup idea"}[rng.IntN(3)]
		all = append(all, *insertTitled(t, db, fmt.Sprintf("r%02d", i), title, at, secs))
	}
	ctx := context.Background()
	for i := range 9 { // some in Recently deleted, at tied times
		db.Now = func() time.Time { return t0.Add(time.Duration(i%3) * time.Minute) }
		if _, err := db.TrashRecording(ctx, all[i*4].Filename); err != nil {
			t.Fatal(err)
		}
	}
	fresh := map[string]media.Recording{}
	for _, r := range all {
		got, err := db.GetRecording(ctx, r.Filename)
		if err != nil {
			t.Fatal(err)
		}
		fresh[r.Filename] = *got
	}

	for _, o := range []find.Order{find.Newest, find.Oldest, find.Longest, find.Deleted} {
		for _, q := range []find.Query{{}, words("standup")} {
			want := expected(fresh, o, q)
			t.Run(fmt.Sprintf("%s/%q", o, q.Words), func(t *testing.T) {
				for _, size := range []int{1, 4, 7, 100} {
					// Forward, page after page.
					var got []string
					var after find.Cursor
					for range 100 {
						page, err := db.Find(ctx, find.Page{Query: q, Order: o, After: after, Limit: size})
						if err != nil {
							t.Fatal(err)
						}
						got = append(got, filenames(page)...)
						if len(page) < size {
							break
						}
						after = find.CursorOf(page[len(page)-1])
					}
					if !slices.Equal(got, want) {
						t.Fatalf("pages of %d: %q\nwant %q", size, got, want)
					}
					// Backward from the end: each page the one before.
					if len(want) == 0 {
						continue
					}
					before := find.CursorOf(fresh[want[len(want)-1]])
					var back []string
					for range 100 {
						page, err := db.Find(ctx, find.Page{Query: q, Order: o, Before: before, Limit: size})
						if err != nil {
							t.Fatal(err)
						}
						back = append(filenames(page), back...)
						if len(page) < size {
							break
						}
						before = find.CursorOf(page[0])
					}
					if !slices.Equal(back, want[:len(want)-1]) {
						t.Fatalf("pages of %d backward: %q\nwant %q", size, back, want[:len(want)-1])
					}
				}
			})
		}
	}
}

// expected is what Find should return: the recordings o lists that q
// finds, sorted in Go.
func expected(recs map[string]media.Recording, o find.Order, q find.Query) []string {
	var list []media.Recording
	for _, r := range recs {
		if (o == find.Deleted) != !r.DeletedAt.IsZero() {
			continue
		}
		if len(q.Words) > 0 && !slices.ContainsFunc(find.Words(r.Title), func(w string) bool { return w == q.Words[0] }) {
			continue
		}
		list = append(list, r)
	}
	key := func(r media.Recording) (float64, int64) {
		switch o {
		case find.Longest:
			return r.Duration, r.ID
		case find.Deleted:
			return float64(r.DeletedAt.UnixMilli()), r.ID
		}
		return float64(r.CreatedAt.UnixMilli()), r.ID
	}
	slices.SortFunc(list, func(a, b media.Recording) int {
		ka, ia := key(a)
		kb, ib := key(b)
		c := 0
		switch {
		case ka < kb, ka == kb && ia < ib:
			c = -1
		case ka > kb, ka == kb && ia > ib:
			c = 1
		}
		if o == find.Oldest {
			return c
		}
		return -c
	})
	return filenames(list)
}

func TestTrash(t *testing.T) { forEachBackend(t, testTrash) }

func testTrash(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.MustOpen(t)
	day := t0
	clock := day
	db.Now = func() time.Time { return clock }
	for _, name := range []string{"a", "b", "c"} {
		insertTitled(t, db, name, "take "+name, day, 10)
	}

	t.Run("Trash", func(t *testing.T) {
		clock = day.Add(time.Hour)
		r, err := db.TrashRecording(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if !r.DeletedAt.Equal(clock.Truncate(time.Millisecond)) {
			t.Fatalf("DeletedAt = %v, want %v", r.DeletedAt, clock)
		}
		// Twice is once: it keeps its first time.
		clock = day.Add(2 * time.Hour)
		again, err := db.TrashRecording(ctx, "a")
		if err != nil || !again.DeletedAt.Equal(r.DeletedAt) {
			t.Fatalf("trashed again: %v, %v", again.DeletedAt, err)
		}
		if _, err := db.TrashRecording(ctx, "nope"); !errors.Is(err, media.ErrNotFound) {
			t.Fatalf("trash of nothing: %v", err)
		}
		// Once, for a caller that must be the only one to move it.
		if _, err := db.TrashRecordingOnce(ctx, "a"); !errors.Is(err, media.ErrConflict) {
			t.Fatalf("trashed once more: %v, want a conflict", err)
		}
		if _, err := db.TrashRecordingOnce(ctx, "nope"); !errors.Is(err, media.ErrConflict) {
			t.Fatalf("trash once of nothing: %v, want a conflict", err)
		}
		if got := mustFind(t, db, find.Page{}); !slices.Equal(got, []string{"c", "b"}) {
			t.Fatalf("library %q", got)
		}
		if got := mustFind(t, db, find.Page{Order: find.Deleted}); !slices.Equal(got, []string{"a"}) {
			t.Fatalf("Recently deleted %q", got)
		}
		if n := mustCount(t, db); n != 2 {
			t.Fatalf("count %d", n)
		}
		if got, err := db.ListRecordings(ctx, 0, 0); err != nil || !slices.Equal(filenames(got), []string{"c", "b"}) {
			t.Fatalf("ListRecordings %q %v", filenames(got), err)
		}
	})

	t.Run("Restore", func(t *testing.T) {
		r, err := db.RestoreRecording(ctx, "a")
		if err != nil || !r.DeletedAt.IsZero() {
			t.Fatalf("restored: %v, %v", r, err)
		}
		if r, err = db.RestoreRecording(ctx, "a"); err != nil || !r.DeletedAt.IsZero() {
			t.Fatalf("restored twice: %v, %v", r, err)
		}
		if _, err := db.RestoreRecording(ctx, "nope"); !errors.Is(err, media.ErrNotFound) {
			t.Fatalf("restore of nothing: %v", err)
		}
		if got := mustFind(t, db, find.Page{}); !slices.Equal(got, []string{"c", "b", "a"}) {
			t.Fatalf("library %q", got)
		}
	})

	t.Run("ExpiredAndPurge", func(t *testing.T) {
		for i, name := range []string{"b", "a", "c"} {
			clock = day.AddDate(0, 0, i) // b first, c last
			if _, err := db.TrashRecording(ctx, name); err != nil {
				t.Fatal(err)
			}
		}
		cutoff := day.AddDate(0, 0, 1).Add(time.Minute) // b and a are older
		names, err := db.ExpiredTrash(ctx, cutoff, 10)
		if err != nil || !slices.Equal(names, []string{"b", "a"}) {
			t.Fatalf("expired %q, %v", names, err)
		}
		if names, _ := db.ExpiredTrash(ctx, cutoff, 1); !slices.Equal(names, []string{"b"}) {
			t.Fatalf("expired, one: %q", names)
		}

		// c went later than the cutoff: it stays.
		if err := db.PurgeRecording(ctx, "c", cutoff); !errors.Is(err, ErrNotDeleted) || !errors.Is(err, media.ErrConflict) {
			t.Fatalf("purge of a recent one: %v", err)
		}
		// a is restored before its purge: it stays.
		if _, err := db.RestoreRecording(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if err := db.PurgeRecording(ctx, "a", cutoff); !errors.Is(err, ErrNotDeleted) {
			t.Fatalf("purge of a restored one: %v", err)
		}
		if err := db.PurgeRecording(ctx, "b", cutoff); err != nil {
			t.Fatal(err)
		}
		if err := db.PurgeRecording(ctx, "b", cutoff); !errors.Is(err, media.ErrNotFound) {
			t.Fatalf("purged twice: %v", err)
		}
		// Delete forever: whenever it went.
		if err := db.PurgeRecording(ctx, "c", time.Time{}); err != nil {
			t.Fatal(err)
		}
		if got := mustFind(t, db, find.Page{}); !slices.Equal(got, []string{"a"}) {
			t.Fatalf("library %q", got)
		}
		if got := mustFind(t, db, find.Page{Order: find.Deleted}); len(got) != 0 {
			t.Fatalf("Recently deleted %q", got)
		}
	})
}

// TestTotals: the figures kept by triggers always equal the table summed
// afresh, through inserts, renames, trash, restore, purge and delete.
func TestTotals(t *testing.T) { forEachBackend(t, testTotals) }

func testTotals(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.MustOpen(t)
	rng := rand.New(rand.NewPCG(3, 4))
	var names []string
	check := func(step string) {
		t.Helper()
		got, err := db.Totals(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var want media.Totals
		rows, err := db.db.QueryContext(ctx, `SELECT duration_s, bytes, deleted_at IS NOT NULL FROM recordings`)
		if err != nil {
			t.Fatal(err)
		}
		var ms int64
		for rows.Next() {
			var secs float64
			var bytes int64
			var deleted bool
			if err := rows.Scan(&secs, &bytes, &deleted); err != nil {
				t.Fatal(err)
			}
			if deleted {
				want.Deleted++
				want.DeletedBytes += bytes
			} else {
				want.Recordings++
				want.Bytes += bytes
				ms += int64(secs*1000 + 0.5)
			}
		}
		rows.Close()
		want.Seconds = float64(ms) / 1000
		if got != want {
			t.Fatalf("after %s: totals %+v, want %+v", step, got, want)
		}
	}
	check("nothing")
	for i := range 200 {
		switch op := rng.IntN(6); {
		case op <= 1 || len(names) == 0:
			name := fmt.Sprintf("r%03d", i)
			r := newRecording(name)
			r.Duration = float64(rng.IntN(100000)) / 1000
			r.Bytes = rng.Int64N(1 << 30)
			if err := db.InsertRecording(ctx, r); err != nil {
				t.Fatal(err)
			}
			names = append(names, name)
		case op == 2:
			db.TrashRecording(ctx, names[rng.IntN(len(names))])
		case op == 3:
			db.RestoreRecording(ctx, names[rng.IntN(len(names))])
		case op == 4:
			k := rng.IntN(len(names))
			if err := db.PurgeRecording(ctx, names[k], time.Time{}); err == nil {
				names = slices.Delete(names, k, k+1)
			}
		case op == 5:
			k := rng.IntN(len(names))
			if err := db.DeleteRecording(ctx, names[k]); err != nil {
				t.Fatal(err)
			}
			names = slices.Delete(names, k, k+1)
		}
		check(fmt.Sprintf("step %d", i))
	}
}

// TestSearchTextBackfill: titles given before migration 0009 are found
// after it, and untitled recordings from before 0012 by "recording".
func TestSearchTextBackfill(t *testing.T) { forEachBackend(t, testSearchTextBackfill) }

func testSearchTextBackfill(t *testing.T, b backend) {
	ctx := context.Background()
	source := b.source(t)
	old := dialectOf(source)
	sqlDB, _, err := old.open(source)
	if err != nil {
		t.Fatal(err)
	}
	before := &DB{db: sqlDB, d: old, Now: time.Now}
	if err := before.migrateTo(ctx, "0008_live_format.sql"); err != nil {
		t.Fatal(err)
	}
	for i, title := range []string{"Standup notes", "", "Café"} {
		_, err := sqlDB.ExecContext(ctx, before.q(`
			INSERT INTO recordings (filename, created_at, duration_s, sample_rate, channels, fps, batch_size, mode, mime, bytes, title)
			VALUES (?, ?, 2.5, 48000, 1, 30, 64, 'webrtc', 'audio/wav', 1000, ?)`),
			fmt.Sprintf("old%d", i), formatTime(t0.Add(time.Duration(i)*time.Second)), title)
		if err != nil {
			t.Fatal(err)
		}
	}
	sqlDB.Close()

	db := mustOpenAt(t, source)
	if got := mustFind(t, db, find.Page{Query: words("stand")}); !slices.Equal(got, []string{"old0"}) {
		t.Errorf("found %q", got)
	}
	if got := mustFind(t, db, find.Page{Query: words("cafe")}); !slices.Equal(got, []string{"old2"}) {
		t.Errorf("found %q", got)
	}
	// Untitled before migration 0012: found by the word its name
	// begins with.
	if got := mustFind(t, db, find.Page{Query: words("recording")}); !slices.Equal(got, []string{"old1"}) {
		t.Errorf("found %q as untitled", got)
	}
	tot, err := db.Totals(ctx)
	if want := (media.Totals{Recordings: 3, Seconds: 7.5, Bytes: 3000}); err != nil || !reflect.DeepEqual(tot, want) {
		t.Errorf("totals %+v, %v; want %+v", tot, err, want)
	}
}

func TestExclusively(t *testing.T) { forEachBackend(t, testExclusively) }

// testExclusively: while one node runs work of a name, another sharing
// the index does not (PostgreSQL); once it is done, it does.
func testExclusively(t *testing.T, b backend) {
	ctx := context.Background()
	source := b.source(t)
	one, two := mustOpenAt(t, source), mustOpenAt(t, source) // two nodes
	var inner bool
	ran, err := one.Exclusively(ctx, "purge", func(ctx context.Context) error {
		var err error
		inner, err = two.Exclusively(ctx, "purge", func(context.Context) error { return nil })
		return err
	})
	if err != nil || !ran {
		t.Fatalf("first: ran %v, %v", ran, err)
	}
	if want := b.name != "postgres"; inner != want {
		t.Errorf("the other node ran it while the first did: %v, want %v", inner, want)
	}
	if ran, err := two.Exclusively(ctx, "purge", func(context.Context) error { return nil }); !ran || err != nil {
		t.Errorf("after: ran %v, %v", ran, err)
	}
}

func TestCountFoundCap(t *testing.T) { forEachBackend(t, testCountFoundCap) }

// testCountFoundCap: a search that finds more than find.MaxCount says
// so (MaxCount + 1) rather than counting them all; one under it is exact.
func testCountFoundCap(t *testing.T, b backend) {
	db := b.MustOpen(t)
	ctx := context.Background()
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range find.MaxCount + 5 {
		r := newRecording(fmt.Sprintf("r%05d", i))
		r.Title, r.CreatedAt = "notes", t0.Add(time.Duration(i)*time.Minute)
		if i == 0 {
			r.Title = "rare notes"
		}
		if err := db.insertRecording(ctx, tx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	span := find.Query{From: t0, To: t0.Add(48 * time.Hour)}
	for _, tc := range []struct {
		name string
		q    find.Query
		want int
	}{
		{"Words", words("notes"), find.MaxCount + 1},
		{"Span", span, find.MaxCount + 1},
		{"WordsInSpan", find.Query{Words: []string{"no"}, From: span.From, To: span.To}, find.MaxCount + 1},
		{"Rare", words("rare"), 1},
		{"All", find.Query{}, find.MaxCount + 5},
	} {
		if n := mustCountFound(t, db, tc.q); n != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, n, tc.want)
		}
		if page := mustFind(t, db, find.Page{Query: tc.q, Limit: 21}); len(page) != min(21, tc.want) {
			t.Errorf("%s: a page of %d", tc.name, len(page))
		}
	}
}

func TestFindPlansAgree(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		// After a walk that gave up: the matches listed and sorted, or
		// (with fewMatches 0) the list tested along the order's index.
		for _, few := range []int{defaultFewMatches, 0} {
			t.Run(fmt.Sprint("fewMatches=", few), func(t *testing.T) { testFindPlansAgree(t, b, few) })
		}
	})
}

// testFindPlansAgree: whichever way a search is read (on SQLite: a broad
// one by walking the order's index and testing each entry's words, past
// a short walk from the full-text index after all; a narrow one listed
// from the full-text index), every page in every order, and the count,
// are what the words mean: each begins a word of the folded title. The
// walk is shortened to 60 entries, and the newest 100 recordings do not
// have the broad word, so both ways are taken for the same search.
func testFindPlansAgree(t *testing.T, b backend, fewMatches int) {
	db := b.MustOpen(t)
	db.walkSteps, db.fewMatches = 60, fewMatches
	ctx := context.Background()
	titles := []string{"notes standup", "Notes from Ħana", "standup notes 2", "notes — café", "weekly plan"}
	type row struct {
		name     string
		title    string
		at       time.Time
		duration float64
		deleted  bool
	}
	var all []row
	tx, err := db.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	const n = 1400
	base := t0.Truncate(time.Second) // spans are whole days, in practice
	for i := range n {
		r := newRecording(fmt.Sprintf("r%05d", i))
		r.Title, r.CreatedAt = titles[i%len(titles)], base.Add(time.Duration(i)*time.Hour)
		if i >= n-100 {
			r.Title = "weekly plan"
		}
		r.Duration = float64(i*7%50) + 0.5 // ties, broken by id
		if err := db.insertRecording(ctx, tx, r); err != nil {
			t.Fatal(err)
		}
		all = append(all, row{r.Filename, r.Title, r.CreatedAt, r.Duration, false})
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	for i := 3; i < n; i += 97 { // in Recently deleted: found nowhere
		if err := db.DeleteRecording(ctx, all[i].name); err != nil {
			t.Fatal(err)
		}
		all[i].deleted = true
	}

	// want is what q finds in order o, by its meaning.
	want := func(q find.Query, o find.Order) []string {
		var found []row
		for _, r := range all {
			if r.deleted || q.Dated() && (r.at.Before(q.From) || !r.at.Before(q.To)) {
				continue
			}
			titleWords := find.Words(r.title)
			ok := true
			for _, w := range q.Words {
				ok = ok && slices.ContainsFunc(titleWords, func(tw string) bool { return strings.HasPrefix(tw, w) })
			}
			if ok {
				found = append(found, r)
			}
		}
		// all is in id order: a stable sort keeps ids ascending in ties.
		slices.SortStableFunc(found, func(a, b row) int {
			switch o {
			case find.Oldest:
				return a.at.Compare(b.at)
			case find.Longest:
				return cmp.Compare(b.duration, a.duration)
			}
			return b.at.Compare(a.at)
		})
		if o == find.Longest { // ties: the larger id first
			for i := 0; i < len(found); {
				j := i
				for j < len(found) && found[j].duration == found[i].duration {
					j++
				}
				slices.Reverse(found[i:j])
				i = j
			}
		}
		names := []string{}
		for _, r := range found {
			names = append(names, r.name)
		}
		return names
	}

	wide := find.Query{From: t0, To: t0.Add(1200 * time.Hour)} // > find.MaxCount recordings
	narrow := find.Query{From: t0.Add(300 * time.Hour), To: t0.Add(350 * time.Hour)}
	for _, tc := range []struct {
		name string
		q    find.Query
	}{
		{"Broad", words("notes")},
		{"Letter", words("n")},
		{"TwoBroad", words("notes", "standup")},
		{"Narrow", words("cafe")},
		{"Rare", words("plan")},
		{"Accent", words(find.Words("Ħana")...)},
		{"NotTheAccent", words("hana")}, // Ħ is not H with an accent
		{"Nothing", words("zzz")},
		{"BroadInWideSpan", find.Query{Words: []string{"no"}, From: wide.From, To: wide.To}},
		{"BroadInNarrowSpan", find.Query{Words: []string{"no"}, From: narrow.From, To: narrow.To}},
		{"NarrowInWideSpan", find.Query{Words: []string{"caf"}, From: wide.From, To: wide.To}},
		{"WideSpan", wide},
	} {
		for _, o := range find.Orders {
			t.Run(tc.name+"/"+string(o), func(t *testing.T) {
				expect := want(tc.q, o)
				var got []string
				var after find.Cursor
				for range n {
					recs, err := db.Find(ctx, find.Page{Query: tc.q, Order: o, After: after, Limit: 20})
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, filenames(recs)...)
					if len(recs) < 20 {
						break
					}
					after = find.CursorOf(recs[len(recs)-1])
				}
				if !slices.Equal(got, expect) {
					i := 0
					for i < min(len(got), len(expect)) && got[i] == expect[i] {
						i++
					}
					t.Errorf("found %d, want %d; from the %dth: %v, want %v", len(got), len(expect), i,
						got[i:min(i+5, len(got))], expect[i:min(i+5, len(expect))])
				}
				if c := mustCountFound(t, db, tc.q); c != min(len(expect), find.MaxCount+1) {
					t.Errorf("counted %d, want %d", c, min(len(expect), find.MaxCount+1))
				}
			})
		}
	}
}
