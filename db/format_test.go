package db

import (
	"context"
	"testing"

	"github.com/avatarweb/recorder/media"
)

// The format is stored with the other parameters; a row stored before it
// existed reads with none ("": the server's default applies).
func TestParamsFormat(t *testing.T) { forEachBackend(t, testParamsFormat) }

func testParamsFormat(t *testing.T, b backend) {
	ctx := context.Background()
	db := b.MustOpen(t)
	p := media.DefaultParams()
	if err := db.SaveParams(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got := mustParams(t, db); got.Format != "" {
		t.Errorf("format %q, never chosen: want none", got.Format)
	}
	p.Format = media.FormatOpus
	if err := db.SaveParams(ctx, p); err != nil {
		t.Fatal(err)
	}
	if got := mustParams(t, db); got != p {
		t.Errorf("Params = %+v, want %+v", got, p)
	}
	bad := p
	bad.Format = "flac"
	if err := db.SaveParams(ctx, bad); err == nil {
		t.Error("format flac stored")
	}
	if got := mustParams(t, db); got != p {
		t.Errorf("after a refused save: %+v, want %+v", got, p)
	}
}
