package library_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"testing"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/mediatest"
	"github.com/avatarweb/recorder/media/webm"
)

func TestSaveAudioWebM(t *testing.T) {
	ctx := context.Background()
	raw, err := os.ReadFile("testdata/chromium-440hz.webm")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		lib, database, _, _ := setup(t)
		// The client's label is not trusted: the file says what it is.
		rec, err := lib.SaveAudio(ctx, raw, "audio/wav", 2.5, media.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		if rec.MIME != library.WebMOpus || rec.Mode != library.ModeMediaRecorder || rec.SampleRate != 48000 ||
			math.Abs(rec.Duration-1.98) > 0.03 || rec.ClientDuration != 2.5 || len(rec.Peaks) != media.PeakBuckets {
			t.Errorf("row %+v", rec)
		}
		opened, err := lib.Open(ctx, rec.Filename)
		if err != nil {
			t.Fatal(err)
		}
		defer opened.Close()
		fixed, _ := io.ReadAll(opened.Audio)
		info, err := webm.Probe(bytes.NewReader(fixed), int64(len(fixed)))
		if err != nil || !info.HasDuration || !info.HasCues {
			t.Fatalf("stored WebM: %+v, %v; want a duration and cues", info, err)
		}
		if opened.Meta.Duration != rec.Duration || rec.Bytes != int64(len(fixed)) {
			t.Errorf("meta duration %.3f, row %.3f; bytes %d vs %d", opened.Meta.Duration, rec.Duration, rec.Bytes, len(fixed))
		}
		pcm, channels, err := webm.DecodeOpus(bytes.NewReader(fixed), int64(len(fixed)))
		if err != nil {
			t.Fatal(err)
		}
		left := mediatest.Channel(pcm, channels, 0)[media.OpusRate/5:]
		if f := mediatest.DominantFrequency(left, media.OpusRate); math.Abs(f-440) > 2 {
			t.Errorf("stored audio at %.1f Hz, want 440", f)
		}
		if n, _ := database.CountRecordings(ctx); n != 1 {
			t.Errorf("%d rows", n)
		}
	})
	t.Run("ErrHeaderOnly", func(t *testing.T) {
		lib, database, _, recDir := setup(t)
		// Everything before the first Cluster: what a dead mic or a
		// second take's empty MediaRecorder produces.
		cluster := bytes.Index(raw, []byte{0x1F, 0x43, 0xB6, 0x75})
		_, err := lib.SaveAudio(ctx, raw[:cluster], "audio/webm", 3, media.DefaultParams())
		if !errors.Is(err, media.ErrInvalid) || media.Message(err) == "" {
			t.Fatalf("header-only take: %v, want a clear ErrInvalid", err)
		}
		if n, _ := database.CountRecordings(ctx); n != 0 || len(files(t, recDir)) != 0 {
			t.Errorf("something was saved: %d rows, files %v", n, files(t, recDir))
		}
	})
	t.Run("ErrGarbage", func(t *testing.T) {
		lib, _, _, recDir := setup(t)
		for _, audio := range [][]byte{[]byte("not audio at all"), raw[:3], append([]byte{0x1A, 0x45, 0xDF, 0xA3}, bytes.Repeat([]byte{0xff}, 64)...)} {
			if _, err := lib.SaveAudio(ctx, audio, "", 1, media.DefaultParams()); !errors.Is(err, media.ErrInvalid) {
				t.Errorf("%q: %v, want ErrInvalid", audio[:min(len(audio), 8)], err)
			}
		}
		if len(files(t, recDir)) != 0 {
			t.Errorf("files left: %v", files(t, recDir))
		}
	})
	t.Run("WAV", func(t *testing.T) {
		lib, _, _, _ := setup(t)
		tone := mediatest.Tone(440, 16000, 1, 1.5, 0.5)
		pcm := media.AppendS16LE(nil, tone)
		wav := append(media.WAVHeader(16000, 1, int64(len(pcm))), pcm...)
		rec, err := lib.SaveAudio(ctx, wav, "audio/wav", 0, media.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		if rec.MIME != "audio/wav" || rec.SampleRate != 16000 || rec.Duration != 1.5 || rec.ClientDuration != 0 {
			t.Errorf("row %+v", rec)
		}
	})
}

// TestSaveAudioMP4: Safari's fragmented MP4/AAC is measured by the
// server (the client's label and duration are not what is stored), and
// an MP4 it cannot read is refused.
func TestSaveAudioMP4(t *testing.T) {
	lib, _, _, _ := setup(t)
	raw, err := os.ReadFile("testdata/tone-frag.m4a") // 2.021 s AAC-LC, 48 kHz mono, 4 fragments
	if err != nil {
		t.Fatal(err)
	}
	rec, err := lib.SaveAudio(context.Background(), raw, "audio/x-m4a", 9.5, media.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	if rec.MIME != "audio/mp4;codecs=mp4a.40.2" || math.Abs(rec.Duration-2.0213) > 0.001 ||
		rec.SampleRate != 48000 || rec.Channels != 1 || rec.ClientDuration != 9.5 || rec.Bytes != int64(len(raw)) {
		t.Errorf("row %+v", rec)
	}
	fake := append([]byte("\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A mp42"), bytes.Repeat([]byte{7}, 100)...)
	if _, err := lib.SaveAudio(context.Background(), fake, "audio/mp4", 3, media.DefaultParams()); !errors.Is(err, media.ErrInvalid) {
		t.Errorf("an unreadable MP4: %v, want refused", err)
	}
}
