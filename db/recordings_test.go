package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

// textUTC is an SQL expression for the timestamp column col as text the
// way SQLite stores it: for PostgreSQL, its timestamptz rendered so.
func textUTC(b backend, col string) string {
	if b.name == "postgres" {
		return `to_char(` + col + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
	}
	return col
}

// newRecording returns a valid recording named filename with zero ID and
// CreatedAt.
func newRecording(filename string) *media.Recording {
	return &media.Recording{
		Filename:   filename,
		Duration:   12.5,
		SampleRate: 48000,
		Channels:   1,
		FPS:        30,
		BatchSize:  64,
		Mode:       "webrtc",
		MIME:       "audio/wav",
		Bytes:      1200044,
		SessionID:  "sess-1",
	}
}

// mustInsert inserts recordings with the given filenames in order.
func mustInsert(tb testing.TB, db *DB, filenames ...string) {
	tb.Helper()
	for _, name := range filenames {
		if err := db.InsertRecording(context.Background(), newRecording(name)); err != nil {
			tb.Fatal(err)
		}
	}
}

func mustCount(tb testing.TB, db *DB) int {
	tb.Helper()
	n, err := db.CountRecordings(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

func filenames(recs []media.Recording) []string {
	names := make([]string, len(recs))
	for i, r := range recs {
		names[i] = r.Filename
	}
	return names
}

var t0 = time.Date(2026, 11, 26, 13, 5, 7, 123_456_789, time.UTC)

func TestInsertRecording(t *testing.T) { forEachBackend(t, testInsertRecording) }

func testInsertRecording(t *testing.T, b backend) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		db := b.MustOpen(t)
		db.Now = func() time.Time { return t0.In(time.FixedZone("X", 3600)) }

		r := newRecording("a.wav")
		if err := db.InsertRecording(ctx, r); err != nil {
			t.Fatal(err)
		}
		if r.ID == 0 {
			t.Fatal("ID not set")
		}
		want := t0.Truncate(time.Millisecond)
		if !r.CreatedAt.Equal(want) || r.CreatedAt.Location() != time.UTC {
			t.Fatalf("CreatedAt = %v, want %v UTC", r.CreatedAt, want)
		}

		got, err := db.GetRecording(ctx, "a.wav")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("GetRecording =\n%+v\nwant\n%+v", got, r)
		}

		// What a person sees in the sqlite3 shell, or psql in UTC.
		var createdAt string
		err = db.db.QueryRowContext(ctx, db.q(`SELECT `+textUTC(b, "created_at")+` FROM recordings WHERE id = ?`), r.ID).Scan(&createdAt)
		if err != nil {
			t.Fatal(err)
		}
		if createdAt != "2026-11-26T13:05:07.123Z" {
			t.Fatalf("stored created_at = %q", createdAt)
		}
	})

	t.Run("KeepsCreatedAt", func(t *testing.T) {
		db := b.MustOpen(t)
		db.Now = func() time.Time { t.Fatal("Now called"); return time.Time{} }

		r := newRecording("b.webm")
		r.Mode = "mediarecorder"
		r.MIME = "audio/webm;codecs=opus"
		r.SessionID = ""
		r.CreatedAt = t0.In(time.FixedZone("X", -5*3600))
		if err := db.InsertRecording(ctx, r); err != nil {
			t.Fatal(err)
		}
		got, err := db.GetRecording(ctx, "b.webm")
		if err != nil {
			t.Fatal(err)
		}
		if !got.CreatedAt.Equal(t0.Truncate(time.Millisecond)) || got.CreatedAt.Location() != time.UTC {
			t.Fatalf("CreatedAt = %v", got.CreatedAt)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("GetRecording =\n%+v\nwant\n%+v", got, r)
		}
	})

	t.Run("ErrExists", func(t *testing.T) {
		db := b.MustOpen(t)
		orig := newRecording("dup.wav")
		if err := db.InsertRecording(ctx, orig); err != nil {
			t.Fatal(err)
		}

		dup := newRecording("dup.wav")
		dup.Bytes = 1
		dup.Mode = "mediarecorder"
		err := db.InsertRecording(ctx, dup)
		if !errors.Is(err, ErrExists) {
			t.Fatalf("err = %v, want ErrExists", err)
		}
		if dup.ID != 0 {
			t.Errorf("ID set to %d on failed insert", dup.ID)
		}
		if n := mustCount(t, db); n != 1 {
			t.Fatalf("count = %d, want 1", n)
		}
		got, err := db.GetRecording(ctx, "dup.wav")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, orig) {
			t.Fatalf("original changed:\n%+v\nwant\n%+v", got, orig)
		}
	})

	t.Run("ErrBadMode", func(t *testing.T) {
		db := b.MustOpen(t)
		r := newRecording("bad.wav")
		r.Mode = "carrier-pigeon"
		err := db.InsertRecording(ctx, r)
		if err == nil {
			t.Fatal("expected CHECK constraint error")
		}
		if !errors.Is(err, media.ErrInvalid) {
			t.Errorf("err = %v, want it to wrap media.ErrInvalid", err)
		}
		if n := mustCount(t, db); n != 0 {
			t.Fatalf("count = %d, want 0", n)
		}
	})

	t.Run("CheckConstraintRawSQL", func(t *testing.T) {
		// The schema itself refuses a bad mode, whoever writes the row.
		db := b.MustOpen(t)
		_, err := db.db.ExecContext(ctx, `
			INSERT INTO recordings (filename, created_at, duration_s, sample_rate,
				channels, fps, batch_size, mode, mime, bytes)
			VALUES ('x', '2026-01-01T00:00:00.000Z', 1, 48000, 1, 30, 64, 'WebRTC', 'audio/wav', 1)`)
		if !db.isCheckViolation(err) {
			t.Fatalf("err = %v, want CHECK constraint failure", err)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		db := b.MustOpen(t)
		const workers, perWorker = 16, 20

		var wg sync.WaitGroup
		errs := make(chan error, workers*perWorker)
		for w := range workers {
			wg.Go(func() {
				for i := range perWorker {
					r := newRecording(fmt.Sprintf("w%02d-%02d.wav", w, i))
					if err := db.InsertRecording(ctx, r); err != nil {
						errs <- err
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if n := mustCount(t, db); n != workers*perWorker {
			t.Fatalf("count = %d, want %d", n, workers*perWorker)
		}
	})
}

func TestGetRecording(t *testing.T) { forEachBackend(t, testGetRecording) }

func testGetRecording(t *testing.T, b backend) {
	ctx := context.Background()

	t.Run("ErrNotFound", func(t *testing.T) {
		db := b.MustOpen(t)
		mustInsert(t, db, "a.wav")
		r, err := db.GetRecording(ctx, "nope.wav")
		if !errors.Is(err, media.ErrNotFound) {
			t.Fatalf("err = %v, want media.ErrNotFound", err)
		}
		if r != nil {
			t.Fatalf("got %+v with error", r)
		}
	})
}

func TestListRecordings(t *testing.T) { forEachBackend(t, testListRecordings) }

func testListRecordings(t *testing.T, b backend) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		db := b.MustOpen(t)
		// Out of insertion order: c is newest, then a and b share a timestamp
		// (the later id wins), then d is oldest.
		for _, tc := range []struct {
			name string
			at   time.Time
		}{
			{"a", t0.Add(time.Hour)},
			{"b", t0.Add(time.Hour)},
			{"c", t0.Add(2 * time.Hour)},
			{"d", t0},
		} {
			db.Now = func() time.Time { return tc.at }
			mustInsert(t, db, tc.name)
		}

		recs, err := db.ListRecordings(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := filenames(recs), []string{"c", "b", "a", "d"}; !reflect.DeepEqual(got, want) {
			t.Fatalf("order = %v, want %v", got, want)
		}
		if !recs[0].CreatedAt.Equal(t0.Add(2 * time.Hour).Truncate(time.Millisecond)) {
			t.Errorf("CreatedAt = %v", recs[0].CreatedAt)
		}
	})

	t.Run("Empty", func(t *testing.T) {
		db := b.MustOpen(t)
		recs, err := db.ListRecordings(ctx, 10, 0)
		if err != nil {
			t.Fatal(err)
		}
		if recs == nil || len(recs) != 0 {
			t.Fatalf("got %#v, want empty non-nil slice", recs)
		}
	})

	t.Run("Pagination", func(t *testing.T) {
		db := b.MustOpen(t)
		db.Now = fixedClock(t0, time.Second)
		var all []string
		for i := range 7 {
			name := fmt.Sprintf("r%d", i)
			mustInsert(t, db, name)
			all = append([]string{name}, all...) // newest first
		}

		for _, tc := range []struct {
			limit, offset int
			want          []string
		}{
			{3, 0, all[0:3]},
			{3, 3, all[3:6]},
			{3, 6, all[6:7]},
			{3, 7, []string{}},
			{3, 100, []string{}},
			{3, -5, all[0:3]},
			{0, 2, all[2:]},
			{-1, 0, all},
		} {
			recs, err := db.ListRecordings(ctx, tc.limit, tc.offset)
			if err != nil {
				t.Fatal(err)
			}
			if got := filenames(recs); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("List(%d, %d) = %v, want %v", tc.limit, tc.offset, got, tc.want)
			}
		}
	})

	t.Run("DefaultLimit", func(t *testing.T) {
		db := b.MustOpen(t)
		db.Now = fixedClock(t0, time.Millisecond)
		for i := range DefaultListLimit + 5 {
			mustInsert(t, db, fmt.Sprintf("r%03d", i))
		}
		recs, err := db.ListRecordings(ctx, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != DefaultListLimit {
			t.Fatalf("len = %d, want %d", len(recs), DefaultListLimit)
		}
		if recs[0].Filename != fmt.Sprintf("r%03d", DefaultListLimit+4) {
			t.Fatalf("first = %q, want newest", recs[0].Filename)
		}
	})

	t.Run("Limits", func(t *testing.T) {
		for _, tc := range []struct{ in, want int }{
			{-1, DefaultListLimit}, {0, DefaultListLimit}, {1, 1}, {50, 50},
			{MaxListLimit, MaxListLimit}, {MaxListLimit + 1, MaxListLimit}, {1 << 40, MaxListLimit},
		} {
			if got := listLimit(tc.in); got != tc.want {
				t.Errorf("listLimit(%d) = %d, want %d", tc.in, got, tc.want)
			}
		}
	})
}

func TestCountRecordings(t *testing.T) { forEachBackend(t, testCountRecordings) }

func testCountRecordings(t *testing.T, b backend) {
	t.Run("OK", func(t *testing.T) {
		db := b.MustOpen(t)
		if n := mustCount(t, db); n != 0 {
			t.Fatalf("count = %d, want 0", n)
		}
		mustInsert(t, db, "a", "b", "c")
		if n := mustCount(t, db); n != 3 {
			t.Fatalf("count = %d, want 3", n)
		}
	})
}

func TestDeleteRecording(t *testing.T) { forEachBackend(t, testDeleteRecording) }

func testDeleteRecording(t *testing.T, b backend) {
	ctx := context.Background()

	t.Run("OK", func(t *testing.T) {
		db := b.MustOpen(t)
		mustInsert(t, db, "a", "b")
		if err := db.DeleteRecording(ctx, "a"); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GetRecording(ctx, "a"); !errors.Is(err, media.ErrNotFound) {
			t.Fatalf("after delete: err = %v, want media.ErrNotFound", err)
		}
		if _, err := db.GetRecording(ctx, "b"); err != nil {
			t.Fatalf("other recording: %v", err)
		}
		if n := mustCount(t, db); n != 1 {
			t.Fatalf("count = %d, want 1", n)
		}
		// The filename is free again.
		mustInsert(t, db, "a")
	})

	t.Run("ErrNotFound", func(t *testing.T) {
		db := b.MustOpen(t)
		mustInsert(t, db, "a")
		err := db.DeleteRecording(ctx, "nope")
		if !errors.Is(err, media.ErrNotFound) {
			t.Fatalf("err = %v, want media.ErrNotFound", err)
		}
		if n := mustCount(t, db); n != 1 {
			t.Fatalf("count = %d, want 1", n)
		}
	})
}

func TestLibraryColumns(t *testing.T) { forEachBackend(t, testLibraryColumns) }

func testLibraryColumns(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.MustOpen(t)
	r := &media.Recording{
		Filename: "recording_20261126_130000.json", Duration: 3, SampleRate: 48000, Channels: 2,
		FPS: 30, BatchSize: 64, Mode: "mediarecorder", MIME: "audio/webm;codecs=opus", Bytes: 100,
		ClientDuration: 3.25, Peaks: []byte{0, 17, 255},
	}
	if err := db.InsertRecording(ctx, r); err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		got, err := db.GetRecording(ctx, r.Filename)
		if err != nil {
			t.Fatal(err)
		}
		if got.ClientDuration != 3.25 || string(got.Peaks) != string([]byte{0, 17, 255}) || got.Title != "" {
			t.Errorf("read back %+v", got)
		}
		if err := db.RenameRecording(ctx, r.Filename, "  Take one  "); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.GetRecording(ctx, r.Filename); got.Title != "Take one" {
			t.Errorf("title %q, want it trimmed", got.Title)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, bad := range []string{strings.Repeat("x", media.MaxTitle+1), "tab\there", "new\nline"} {
			if err := db.RenameRecording(ctx, r.Filename, bad); !errors.Is(err, media.ErrInvalid) {
				t.Errorf("title %q: %v, want ErrInvalid", bad, err)
			}
		}
		if got, _ := db.GetRecording(ctx, r.Filename); got.Title != "Take one" {
			t.Errorf("a refused rename changed the title to %q", got.Title)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if err := db.RenameRecording(ctx, "recording_20000101_000000.json", "x"); !errors.Is(err, media.ErrNotFound) {
			t.Errorf("rename of a missing recording: %v", err)
		}
	})
	t.Run("NullClientDuration", func(t *testing.T) {
		var v sql.NullFloat64
		if err := db.db.QueryRowContext(ctx, db.q(`SELECT client_duration_s FROM recordings WHERE filename = ?`), r.Filename).Scan(&v); err != nil || !v.Valid {
			t.Fatalf("client_duration_s: %v %v", v, err)
		}
		other := *r
		other.Filename, other.ClientDuration = "recording_20261126_130001.json", 0
		if err := db.InsertRecording(ctx, &other); err != nil {
			t.Fatal(err)
		}
		if err := db.db.QueryRowContext(ctx, db.q(`SELECT client_duration_s FROM recordings WHERE filename = ?`), other.Filename).Scan(&v); err != nil || v.Valid {
			t.Errorf("an unknown client duration should be NULL for sqlite3 and psql users, got %v (%v)", v, err)
		}
	})
}

// TestKeysetPages: walking the list by cursors, both ways, visits every
// recording once in list order, ties on created_at included; and the kept
// count follows inserts and deletes.
func TestKeysetPages(t *testing.T) { forEachBackend(t, testKeysetPages) }

func testKeysetPages(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.MustOpen(t)
	var want []string
	for i := range 11 {
		r := newRecording(fmt.Sprintf("r%02d", i))
		r.CreatedAt = t0.Add(time.Duration(i/2) * time.Minute) // pairs share a time
		if err := db.InsertRecording(ctx, r); err != nil {
			t.Fatal(err)
		}
		want = append([]string{r.Filename}, want...)
	}
	var got []string
	var pages [][]media.Recording
	for c := (media.Cursor{}); ; {
		page, err := db.ListOlder(ctx, c, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		pages = append(pages, page)
		got = append(got, filenames(page)...)
		c = media.CursorOf(page[len(page)-1])
	}
	if !slices.Equal(got, want) {
		t.Fatalf("older pages: %q\nwant %q", got, want)
	}
	// Back up from the last page: each Newer page is the page before.
	for i := len(pages) - 1; i > 0; i-- {
		newer, err := db.ListNewer(ctx, media.CursorOf(pages[i][0]), 3)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(filenames(newer), filenames(pages[i-1])) {
			t.Errorf("newer than page %d: %q, want %q", i, filenames(newer), filenames(pages[i-1]))
		}
	}
	if n := mustCount(t, db); n != 11 {
		t.Errorf("count = %d, want 11", n)
	}
	if err := db.DeleteRecording(ctx, "r03"); err != nil {
		t.Fatal(err)
	}
	if n := mustCount(t, db); n != 10 {
		t.Errorf("count after a delete = %d, want 10", n)
	}
}

func TestSetDamaged(t *testing.T) { forEachBackend(t, testSetDamaged) }

func testSetDamaged(t *testing.T, b backend) {
	db := b.MustOpen(t)
	ctx := context.Background()
	mustInsert(t, db, "a.json", "b.json")
	if err := db.SetDamaged(ctx, "b.json", true); err != nil {
		t.Fatal(err)
	}
	got, err := db.DamagedFilenames(ctx)
	if err != nil || !reflect.DeepEqual(got, map[string]bool{"b.json": true}) {
		t.Fatalf("damaged = %v, %v", got, err)
	}
	if r, _ := db.GetRecording(ctx, "b.json"); r == nil || !r.Damaged || r.Missing {
		t.Errorf("b = %+v", r)
	}
	if r, _ := db.GetRecording(ctx, "a.json"); r == nil || r.Damaged {
		t.Errorf("a = %+v", r)
	}
	if err := db.SetDamaged(ctx, "b.json", false); err != nil {
		t.Fatal(err)
	}
	if got, _ := db.DamagedFilenames(ctx); len(got) != 0 {
		t.Errorf("after clearing: %v", got)
	}
}
