package db

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

func mustParams(tb testing.TB, db *DB) media.Params {
	tb.Helper()
	p, err := db.Params(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func countParamsRows(tb testing.TB, db *DB) int {
	tb.Helper()
	var n int
	if err := db.db.QueryRow(`SELECT COUNT(*) FROM params`).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

func TestParams(t *testing.T) { forEachBackend(t, testParams) }

func testParams(t *testing.T, b backend) {
	ctx := context.Background()

	t.Run("Default", func(t *testing.T) {
		db := b.MustOpen(t)
		if got, want := mustParams(t, db), media.DefaultParams(); got != want {
			t.Fatalf("Params = %+v, want defaults %+v", got, want)
		}
		if n := countParamsRows(t, db); n != 0 {
			t.Fatalf("reading wrote %d params rows", n)
		}
	})

	t.Run("OK", func(t *testing.T) {
		source := b.source(t)
		db := mustOpenAt(t, source)
		db.Now = func() time.Time { return t0 }

		p := media.Params{FPS: 25, BatchSize: 128, SampleRate: 16000, Channels: 2}
		if err := db.SaveParams(ctx, p); err != nil {
			t.Fatal(err)
		}
		if got := mustParams(t, db); got != p {
			t.Fatalf("Params = %+v, want %+v", got, p)
		}

		// Saving again replaces the one row.
		p.FPS = 60
		if err := db.SaveParams(ctx, p); err != nil {
			t.Fatal(err)
		}
		if n := countParamsRows(t, db); n != 1 {
			t.Fatalf("params rows = %d, want 1", n)
		}
		var updatedAt string
		if err := db.db.QueryRow(`SELECT ` + textUTC(b, "updated_at") + ` FROM params`).Scan(&updatedAt); err != nil {
			t.Fatal(err)
		}
		if updatedAt != "2026-11-26T13:05:07.123Z" {
			t.Fatalf("updated_at = %q", updatedAt)
		}

		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		db = mustOpenAt(t, source)
		if got := mustParams(t, db); got != p {
			t.Fatalf("after reopen Params = %+v, want %+v", got, p)
		}
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		db := b.MustOpen(t)
		saved := media.Params{FPS: 10, BatchSize: 32, SampleRate: 8000, Channels: 1}

		bad := media.Params{FPS: 0, BatchSize: 33, SampleRate: 12345, Channels: 3}
		err := db.SaveParams(ctx, bad)
		if !errors.Is(err, media.ErrInvalid) {
			t.Fatalf("err = %v, want media.ErrInvalid", err)
		}
		var fe media.FieldErrors
		if !errors.As(err, &fe) || len(fe) != 4 {
			t.Fatalf("err = %#v, want the FieldErrors from Validate with 4 fields", err)
		}
		if err.Error() != bad.Validate().Error() {
			t.Fatalf("err = %q, want Validate's error unchanged", err)
		}
		if n := countParamsRows(t, db); n != 0 {
			t.Fatalf("invalid params stored: %d rows", n)
		}

		// Nor does it overwrite a saved row.
		if err := db.SaveParams(ctx, saved); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveParams(ctx, media.Params{FPS: 61, BatchSize: 32, SampleRate: 8000, Channels: 1}); !errors.Is(err, media.ErrInvalid) {
			t.Fatalf("err = %v, want media.ErrInvalid", err)
		}
		if got := mustParams(t, db); got != saved {
			t.Fatalf("Params = %+v, want %+v", got, saved)
		}
	})

	t.Run("SingleRow", func(t *testing.T) {
		// The schema allows no second params row.
		db := b.MustOpen(t)
		_, err := db.db.Exec(`INSERT INTO params (id, fps, batch_size, sample_rate, channels, updated_at)
			VALUES (2, 30, 64, 48000, 1, '2026-01-01T00:00:00.000Z')`)
		if !db.isCheckViolation(err) {
			t.Fatalf("err = %v, want CHECK constraint failure", err)
		}
	})
}
