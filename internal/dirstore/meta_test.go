package dirstore_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/store"
)

// TestSetMeta: a title is written into the recording's file; the audio
// and the other members stay as they were, the file stays valid JSON in
// the streaming layout, and nothing is left beside it.
func TestSetMeta(t *testing.T) {
	s := newStore(t)
	audio := bytes.Repeat([]byte("RIFF-and-some-audio-"), 5000)
	name, err := s.Save(context.Background(), bytes.NewReader(audio), int64(len(audio)),
		store.Meta{MIME: "audio/wav", SampleRate: 16000, Channels: 1, Mode: "webrtc", Duration: 3.5})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		for _, title := range []string{`Standup "notes" \ ünïcode`, "Second title"} {
			if err := s.SetMeta(context.Background(), name, func(m *store.Meta) { m.Title = title }); err != nil {
				t.Fatal(err)
			}
			rec, err := s.Open(context.Background(), name)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := io.ReadAll(rec.Audio)
			rec.Close()
			if rec.Meta.Title != title || !bytes.Equal(got, audio) || rec.Meta.Duration != 3.5 || rec.Meta.Mode != "webrtc" {
				t.Errorf("after SetMeta: title %q, meta %+v, audio equal %v", rec.Meta.Title, rec.Meta, bytes.Equal(got, audio))
			}
			raw, err := os.ReadFile(filepath.Join(s.Dir, name))
			if err != nil {
				t.Fatal(err)
			}
			var doc map[string]any
			if err := json.Unmarshal(raw, &doc); err != nil || doc["title"] != title {
				t.Errorf("file: %v, title %v", err, doc["title"])
			}
			if !bytes.HasPrefix(raw, []byte(`{"audio_data":"`)) {
				t.Error("the file lost its streaming layout")
			}
		}
		entries, _ := os.ReadDir(s.Dir)
		if len(entries) != 1 {
			t.Errorf("left in the directory: %v", entries)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		err := s.SetMeta(context.Background(), "recording_20990101_000000.json", func(m *store.Meta) { m.Title = "x" })
		if !errors.Is(err, media.ErrNotFound) {
			t.Errorf("err = %v, want ErrNotFound", err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		err := s.SetMeta(context.Background(), "../recorder.db", func(m *store.Meta) { m.Title = "x" })
		if !errors.Is(err, media.ErrInvalid) {
			t.Errorf("err = %v, want ErrInvalid", err)
		}
	})
}
