package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/store"
)

// TestEncodeLoad: what Encode writes, Load reads back, audio byte for
// byte with seeks and metadata member for member, however the audio
// length falls against the base64 chunks.
func TestEncodeLoad(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	meta := store.Meta{ProcessingParameters: media.DefaultParams(), Mode: "webrtc", MIME: "audio/wav", Title: "Café ☕"}
	for _, n := range []int{0, 1, 2, 3, 48<<10 - 1, 48 << 10, 48<<10 + 1, 300_001} {
		audio := make([]byte, n)
		for i := range audio {
			audio[i] = byte(rng.Uint32())
		}
		var file bytes.Buffer
		if err := store.Encode(context.Background(), &file, bytes.NewReader(audio), int64(n), meta); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(file.String(), `{"audio_data":"`) {
			t.Fatalf("%d bytes: the file does not start with audio_data: %.40s", n, file.String())
		}
		rec, err := store.Load(bytes.NewReader(file.Bytes()), int64(file.Len()), time.Time{}, io.NopCloser(nil))
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		got, err := io.ReadAll(rec.Audio)
		if err != nil || !bytes.Equal(got, audio) || rec.Size != int64(n) || rec.Meta.Bytes != int64(n) || rec.Meta.Title != meta.Title {
			t.Fatalf("%d bytes: read %d (%v), size %d, meta %+v", n, len(got), err, rec.Size, rec.Meta)
		}
		if n > 10 {
			if _, err := rec.Audio.Seek(int64(n/2), io.SeekStart); err != nil {
				t.Fatal(err)
			}
			rest, _ := io.ReadAll(rec.Audio)
			if !bytes.Equal(rest, audio[n/2:]) {
				t.Errorf("%d bytes: read after a seek to %d differs", n, n/2)
			}
		}
	}
	for _, n := range []int64{9, 11} { // the reader yields 10
		err := store.Encode(context.Background(), io.Discard, bytes.NewReader(make([]byte, 10)), n, meta)
		if !errors.Is(err, media.ErrInvalid) {
			t.Errorf("size %d for 10 bytes: %v, want ErrInvalid", n, err)
		}
	}
}

// TestNameFor: the first name is the second's, then _2, _3 ... up to
// MaxSuffix, in the time's own location.
func TestNameFor(t *testing.T) {
	at := time.Date(2026, 11, 26, 13, 2, 58, 0, time.FixedZone("x", 3600))
	for i, want := range map[int]string{1: "recording_20261126_130258.json", 2: "recording_20261126_130258_2.json", store.MaxSuffix: "recording_20261126_130258_10000.json"} {
		if got, err := store.NameFor(at, i); err != nil || got != want || !store.ValidName(got) {
			t.Errorf("NameFor(%d) = %q, %v; want %q", i, got, err, want)
		}
	}
	for _, i := range []int{0, store.MaxSuffix + 1} {
		if _, err := store.NameFor(at, i); err == nil {
			t.Errorf("NameFor(%d) gave a name", i)
		}
	}
}

// TestEditMeta: the file rewritten with the edited metadata reads as the
// same audio with the new title; a file not in the streaming layout is
// refused as corrupt.
func TestEditMeta(t *testing.T) {
	audio := bytes.Repeat([]byte("audio"), 1000)
	var file bytes.Buffer
	if err := store.Encode(context.Background(), &file, bytes.NewReader(audio), int64(len(audio)), store.Meta{Mode: "webrtc", Title: "old"}); err != nil {
		t.Fatal(err)
	}
	keep, tail, err := store.EditMeta(bytes.NewReader(file.Bytes()), int64(file.Len()), func(m *store.Meta) { m.Title = "new" })
	if err != nil {
		t.Fatal(err)
	}
	edited := append(bytes.Clone(file.Bytes()[:keep]), tail...)
	rec, err := store.Load(bytes.NewReader(edited), int64(len(edited)), time.Time{}, io.NopCloser(nil))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rec.Audio)
	if rec.Meta.Title != "new" || rec.Meta.Mode != "webrtc" || !bytes.Equal(got, audio) {
		t.Errorf("edited: meta %+v, audio equal %v", rec.Meta, bytes.Equal(got, audio))
	}
	legacy := []byte(`{"mode":"webrtc","audio_data":"QUJD"}`)
	if _, _, err := store.EditMeta(bytes.NewReader(legacy), int64(len(legacy)), func(*store.Meta) {}); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("legacy layout: %v, want ErrCorrupt", err)
	}
}
