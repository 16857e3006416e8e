package settings_test

import (
	"context"
	"testing"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/settings"
)

// Parameters stored without a format (never chosen, or stored before
// there was one) name the server's default; once chosen, the choice
// stands whatever the default.
func TestDefaultFormat(t *testing.T) {
	ctx := context.Background()
	store := &memStore{p: media.DefaultParams()}
	s := settings.New(store)
	s.DefaultFormat = media.FormatOpus
	if p, _ := s.Params(ctx); p.Format != media.FormatOpus {
		t.Errorf("format %q with none stored, want the default opus", p.Format)
	}
	next, err := s.Update(ctx, "api", withFPS(25))
	if err != nil || next.Format != media.FormatOpus || store.p.Format != media.FormatOpus {
		t.Errorf("after another change: %+v, stored %q, %v; want opus", next, store.p.Format, err)
	}
	if _, err := s.Update(ctx, "api", func(p media.Params) media.Params { p.Format = media.FormatWAV; return p }); err != nil {
		t.Fatal(err)
	}
	if p, _ := s.Params(ctx); p.Format != media.FormatWAV {
		t.Errorf("format %q after choosing wav", p.Format)
	}
	if _, err := s.Update(ctx, "api", func(p media.Params) media.Params { p.Format = "flac"; return p }); err == nil {
		t.Error("format flac accepted")
	}
	if s2 := settings.New(&memStore{p: media.DefaultParams()}); true {
		if p, _ := s2.Params(ctx); p.Format != media.FormatWAV {
			t.Errorf("format %q without a default, want wav", p.Format)
		}
	}
}
