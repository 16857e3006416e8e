package db

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

// TestShares: a link opens its recording until it expires, is revoked,
// or the recording goes to Recently deleted (and restoring it does not
// open the link again); plays are counted only while it is open; the
// row's summary counts the open links; purging deletes the links.
func TestShares(t *testing.T) { forEachBackend(t, testShares) }

func testShares(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.MustOpen(t)
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	now := start
	db.Now = func() time.Time { return now }
	mustInsert(t, db, "a.webm", "b.webm")

	day := media.Share{ID: "day", SecretSum: "sum-day", Expires: start.Add(24 * time.Hour)}
	hour := media.Share{ID: "hour", SecretSum: "sum-hour", Expires: start.Add(time.Hour)}
	for _, s := range []media.Share{day, hour} {
		if err := db.CreateShare(ctx, "a.webm", s); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CreateShare(ctx, "nope.webm", media.Share{ID: "x", SecretSum: "s", Expires: start.Add(time.Hour)}); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("share of no recording: %v, want ErrNotFound", err)
	}
	if _, err := db.Share(ctx, "unknown"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("unknown link: %v, want ErrNotFound", err)
	}

	got, err := db.Share(ctx, "day")
	if err != nil {
		t.Fatal(err)
	}
	if got.Filename != "a.webm" || got.SecretSum != "sum-day" || !got.Expires.Equal(day.Expires) ||
		!got.Created.Equal(start) || !got.Open(now) || got.Plays != 0 {
		t.Fatalf("share = %+v", got)
	}

	for range 2 {
		if err := db.CountSharePlay(ctx, "day"); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.CountSharePlay(ctx, "hour"); err != nil {
		t.Fatal(err)
	}
	sharing, err := db.Sharing(ctx, []string{"a.webm", "b.webm"})
	if err != nil {
		t.Fatal(err)
	}
	if s := sharing["a.webm"]; s.Links != 2 || s.Plays != 3 || !s.Expires.Equal(day.Expires) || len(sharing) != 1 {
		t.Fatalf("sharing = %+v, want a.webm: 2 links, 3 plays, expiring in a day", sharing)
	}

	now = start.Add(2 * time.Hour) // the hour link has expired
	if s, _ := db.Share(ctx, "hour"); s.Open(now) {
		t.Error("expired link is open")
	}
	if err := db.CountSharePlay(ctx, "hour"); err != nil {
		t.Fatal(err)
	}
	if s, _ := db.Share(ctx, "hour"); s.Plays != 1 {
		t.Errorf("expired link counted a play: %d", s.Plays)
	}
	sharing, _ = db.Sharing(ctx, []string{"a.webm"})
	if s := sharing["a.webm"]; s.Links != 1 || s.Plays != 2 {
		t.Errorf("sharing after expiry = %+v, want 1 link, 2 plays", s)
	}

	if err := db.StopSharing(ctx, "a.webm"); err != nil {
		t.Fatal(err)
	}
	if s, _ := db.Share(ctx, "day"); s.Open(now) || !s.Revoked {
		t.Errorf("revoked link = %+v", s)
	}
	if sharing, _ = db.Sharing(ctx, []string{"a.webm"}); len(sharing) != 0 {
		t.Errorf("sharing after Stop sharing = %+v", sharing)
	}

	// Recently deleted revokes; Restore does not reopen.
	week := media.Share{ID: "week", SecretSum: "sum-week", Expires: now.Add(7 * 24 * time.Hour)}
	if err := db.CreateShare(ctx, "b.webm", week); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TrashRecording(ctx, "b.webm"); err != nil {
		t.Fatal(err)
	}
	if err := db.CreateShare(ctx, "b.webm", media.Share{ID: "late", SecretSum: "s", Expires: now.Add(time.Hour)}); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("share of a deleted recording: %v, want ErrNotFound", err)
	}
	if _, err := db.RestoreRecording(ctx, "b.webm"); err != nil {
		t.Fatal(err)
	}
	if s, _ := db.Share(ctx, "week"); s.Open(now) {
		t.Errorf("link reopened by Restore: %+v", s)
	}

	// Purging deletes the recording's links.
	if _, err := db.TrashRecording(ctx, "b.webm"); err != nil {
		t.Fatal(err)
	}
	if err := db.PurgeRecording(ctx, "b.webm", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Share(ctx, "week"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("link of a purged recording: %v, want ErrNotFound", err)
	}
	if err := db.DeleteRecording(ctx, "a.webm"); err != nil {
		t.Fatalf("delete a recording with links: %v", err)
	}
}
