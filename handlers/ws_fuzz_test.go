package handlers

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/settings"
)

// noSessions is a Sessions that knows no session: wsHandle never needs
// one, and whatever it asked would be answered "not found".
type noSessions struct{}

func (noSessions) Start(context.Context, string, string, media.Params, media.OfferOptions) (media.SessionInfo, string, error) {
	return media.SessionInfo{}, "", media.NotFoundf("no sessions here")
}
func (noSessions) WaitCandidates(context.Context, string, int) ([]media.ICECandidate, bool, error) {
	return nil, false, media.NotFoundf("no sessions here")
}
func (noSessions) Restart(context.Context, string, string) (string, error) {
	return "", media.NotFoundf("no sessions here")
}
func (noSessions) AddICECandidate(string, media.ICECandidate) error {
	return media.NotFoundf("no sessions here")
}
func (noSessions) Info(string) (media.SessionInfo, error) {
	return media.SessionInfo{}, media.NotFoundf("no sessions here")
}
func (noSessions) Stop(string) (media.Take, error) {
	return media.Take{}, media.NotFoundf("no sessions here")
}
func (noSessions) Discard(string) error { return media.NotFoundf("no sessions here") }

// FuzzWSMessage feeds one /ws message to wsHandle, which app.Test cannot
// reach (no upgrade). Every reply is a JSON object with a "type"; the
// parameters stay valid, and change only on params_updated.
func FuzzWSMessage(f *testing.F) {
	for _, msg := range []string{
		`{"type":"init"}`,
		`{"type":"ping","timestamp":1732621507123}`,
		`{"type":"ping","timestamp":{"nested":[1,"two",null]}}`,
		`{"type":"update_params","params":{"fps":25,"batch_size":32,"sample_rate":16000,"channels":2}}`,
		`{"type":"update_params","params":{"fps":0,"sample_rate":7}}`,
		`{"type":"update_params","params":null}`,
		`{"type":"update_params"}`,
		`{"type":"watch","session_id":"s1"}`,
		`{"type":"audio_data","audio_data":"AAD/fwCA"}`,
		`{"type":"audio_data","audio_data":"AAD/f"}`,
		`{"type":"audio_data","audio_data":"!!"}`,
		`{"type":"nope"}`,
		`{"type":`,
		`[]`,
		`null`,
		``,
	} {
		f.Add([]byte(msg))
	}

	database, err := db.Open(context.Background(), filepath.Join(f.TempDir(), "recorder.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { database.Close() })
	s := settings.New(database)
	h := &Handler{Settings: s, Sessions: noSessions{}, Log: slog.New(slog.DiscardHandler)}
	watch := make(chan string, 1)
	ctx := context.Background()

	f.Fuzz(func(t *testing.T, data []byte) {
		before, err := s.Params(ctx)
		if err != nil {
			t.Fatal(err)
		}
		reply := h.wsHandle(ctx, data, watch)
		m, ok := reply.(fiber.Map)
		if !ok {
			t.Fatalf("reply is %T, not a map: %#v", reply, reply)
		}
		typ, ok := m["type"].(string)
		if !ok || typ == "" {
			t.Fatalf("reply without a type: %#v", m)
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("reply %#v does not encode: %v", m, err)
		}
		after, err := s.Params(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := after.Validate(); err != nil {
			t.Fatalf("after %s, params %+v are invalid: %v", typ, after, err)
		}
		switch typ {
		case "params_updated":
			if m["params"] != after {
				t.Fatalf("answered params %#v, stored %+v", m["params"], after)
			}
		case "error":
			if msg, _ := m["message"].(string); msg == "" || m["status"] != "error" {
				t.Fatalf("error reply without a message: %#v", m)
			}
			fallthrough
		default:
			if after != before {
				t.Fatalf("%s changed the params from %+v to %+v", typ, before, after)
			}
		}
	})
}
