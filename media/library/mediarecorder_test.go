package library_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/mediatest"
	"github.com/avatarweb/recorder/media/mp4"
	"github.com/avatarweb/recorder/media/ogg"
	"github.com/avatarweb/recorder/media/webm"
)

func TestSaveAudioWebM(t *testing.T) {
	ctx := context.Background()
	raw, err := os.ReadFile("../webm/testdata/chromium-440hz.webm")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		lib, database, _, _ := setup(t)
		// The client's label is not trusted: the file says what it is.
		rec, err := lib.SaveAudio(ctx, raw, "audio/wav", 2.5, media.DefaultParams(), "")
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
		_, err := lib.SaveAudio(ctx, raw[:cluster], "audio/webm", 3, media.DefaultParams(), "")
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
			if _, err := lib.SaveAudio(ctx, audio, "", 1, media.DefaultParams(), ""); !errors.Is(err, media.ErrInvalid) {
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
		rec, err := lib.SaveAudio(ctx, wav, "audio/wav", 0, media.DefaultParams(), "")
		if err != nil {
			t.Fatal(err)
		}
		if rec.MIME != "audio/wav" || rec.SampleRate != 16000 || rec.Duration != 1.5 || rec.ClientDuration != 0 {
			t.Errorf("row %+v", rec)
		}
	})
}

// TestSaveAudioWebMGapWaveform: a WebM take whose blocks jump ahead in
// time (a browser that stalled, DTX) gets a waveform drawn as it plays:
// the packets placed by their timestamps, so it is flat where the gap is
// and the tone after it sits where it sounds, not closed up to the gap's
// start with the end left flat.
func TestSaveAudioWebMGapWaveform(t *testing.T) {
	raw, err := os.ReadFile("../webm/testdata/chromium-440hz.webm")
	if err != nil {
		t.Fatal(err)
	}
	info, err := webm.Probe(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	ch, _ := webm.OpusLayout(info)
	// After 0.6 s of tone, 1.5 s of nothing, then the rest of the tone.
	const cut, gap = 600 * time.Millisecond, 1500 * time.Millisecond
	var blocks []mediatest.WebMBlock
	var gapStart time.Duration
	err = webm.Packets(bytes.NewReader(raw), int64(len(raw)), func(ts time.Duration, p []byte) error {
		if ts >= cut {
			if gapStart == 0 {
				gapStart = ts
			}
			ts += gap
		}
		blocks = append(blocks, mediatest.WebMBlock{At: ts, Packet: slices.Clone(p)})
		return nil
	})
	if err != nil || gapStart == 0 || blocks[len(blocks)-1].At < gapStart+gap+time.Second {
		t.Fatalf("%d packets in the fixture (%v), want a second of them after %v", len(blocks), err, cut)
	}
	gapped := mediatest.WebMOpus(info.CodecPrivate, ch, blocks)

	lib, _, _, _ := setup(t)
	rec, err := lib.SaveAudio(context.Background(), gapped, "audio/webm", 0, media.DefaultParams(), "")
	if err != nil {
		t.Fatal(err)
	}
	last, _ := ogg.PacketSamples(blocks[len(blocks)-1].Packet)
	end := blocks[len(blocks)-1].At + time.Duration(last)*time.Second/media.OpusRate
	if math.Abs(rec.Duration-end.Seconds()) > 0.03 || len(rec.Peaks) != media.PeakBuckets {
		t.Fatalf("duration %.3f s, %d peaks; want %.3f s and %d", rec.Duration, len(rec.Peaks), end.Seconds(), media.PeakBuckets)
	}
	// The buckets of the gap and of the tone, a bucket and 40 ms of
	// margin off each edge.
	bucket := func(at time.Duration) int { return int(at.Seconds() / rec.Duration * media.PeakBuckets) }
	margin := 40 * time.Millisecond
	before := rec.Peaks[1:bucket(gapStart-margin)]
	silent := rec.Peaks[bucket(gapStart+margin)+1 : bucket(gapStart+gap-margin)]
	after := rec.Peaks[bucket(gapStart+gap+margin)+1 : bucket(end-margin)]
	if len(silent) < 40 || len(after) < 30 {
		t.Fatalf("%d buckets in the gap, %d after it", len(silent), len(after))
	}
	if slices.Min(before) < 50 || slices.Max(silent) > 5 || slices.Min(after) < 50 {
		t.Errorf("waveform %v: want the tone (≥ 50) over buckets 1–%d, flat (≤ 5) over %d–%d, the tone again over %d–%d",
			rec.Peaks, bucket(gapStart-margin)-1, bucket(gapStart+margin)+1, bucket(gapStart+gap-margin)-1,
			bucket(gapStart+gap+margin)+1, bucket(end-margin)-1)
	}
}

// TestSaveAudioMP4: Safari's and WebKit's fragmented MP4/AAC is measured
// by the server (the client's label and duration are not what is stored)
// and stored as an ordinary MP4 that players know the length of; an MP4
// it cannot read is refused.
func TestSaveAudioMP4(t *testing.T) {
	for _, tc := range []struct {
		path     string
		duration float64
		rate     int
	}{
		{"../mp4/testdata/tone-frag.m4a", 2.0213, 48000},                    // AAC-LC, mono, 4 fragments
		{"../mp4/testdata/webkitgtk-2.50-mediarecorder.mp4", 7.6626, 44100}, // WebKit: ftyp twice, a moof repeated
	} {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			lib, _, _, _ := setup(t)
			raw, err := os.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			rec, err := lib.SaveAudio(context.Background(), raw, "audio/x-m4a", 9.5, media.DefaultParams(), "")
			if err != nil {
				t.Fatal(err)
			}
			if rec.MIME != "audio/mp4;codecs=mp4a.40.2" || math.Abs(rec.Duration-tc.duration) > 0.001 ||
				rec.SampleRate != tc.rate || rec.Channels != 1 || rec.ClientDuration != 9.5 {
				t.Errorf("row %+v", rec)
			}
			// The waveform is decoded from the AAC: the tone (or WebKit's
			// hum) all along.
			if len(rec.Peaks) != media.PeakBuckets || slices.Min(rec.Peaks[1:]) < 50 {
				t.Errorf("waveform %v, want the take's level throughout", rec.Peaks)
			}
			stored, err := lib.Open(context.Background(), rec.Filename)
			if err != nil {
				t.Fatal(err)
			}
			defer stored.Close()
			audio, err := io.ReadAll(stored.Audio)
			if err != nil {
				t.Fatal(err)
			}
			info, err := mp4.Probe(bytes.NewReader(audio), int64(len(audio)))
			if err != nil || info.Fragmented || math.Abs(info.Duration.Seconds()-tc.duration) > 0.001 || rec.Bytes != int64(len(audio)) {
				t.Errorf("stored audio: %+v, %v (%d bytes, row says %d); want an ordinary MP4 of %.3f s", info, err, len(audio), rec.Bytes, tc.duration)
			}
		})
	}
	// Chromium's Opus in MP4: its waveform decoded from the packets.
	t.Run("opus", func(t *testing.T) {
		lib, _, _, _ := setup(t)
		raw, err := os.ReadFile("../export/testdata/opus-440-frag.mp4")
		if err != nil {
			t.Fatal(err)
		}
		rec, err := lib.SaveAudio(context.Background(), raw, "audio/mp4", 1.2, media.DefaultParams(), "")
		if err != nil {
			t.Fatal(err)
		}
		if rec.MIME != library.MP4Opus || len(rec.Peaks) != media.PeakBuckets || slices.Min(rec.Peaks[1:]) < 50 {
			t.Errorf("%s, waveform %v; want Opus and the tone's level throughout", rec.MIME, rec.Peaks)
		}
	})
	lib, _, _, _ := setup(t)
	fake := append([]byte("\x00\x00\x00\x18ftypM4A \x00\x00\x00\x00M4A mp42"), bytes.Repeat([]byte{7}, 100)...)
	if _, err := lib.SaveAudio(context.Background(), fake, "audio/mp4", 3, media.DefaultParams(), ""); !errors.Is(err, media.ErrInvalid) {
		t.Errorf("an unreadable MP4: %v, want refused", err)
	}
}

// TestSaveAudioOgg: Firefox's Ogg Opus is measured by the server (not
// stored with the client's duration) and labelled with one fixed type.
func TestSaveAudioOgg(t *testing.T) {
	lib, _, _, _ := setup(t)
	raw, err := os.ReadFile("../ogg/testdata/tone-440hz-mono.opus") // 1.5 s, pre-skip 312
	if err != nil {
		t.Fatal(err)
	}
	rec, err := lib.SaveAudio(context.Background(), raw, "audio/ogg", 9.5, media.DefaultParams(), "")
	if err != nil {
		t.Fatal(err)
	}
	if rec.MIME != library.OggOpus || rec.Duration != 1.5 || rec.SampleRate != 48000 || rec.Channels != 1 ||
		rec.ClientDuration != 9.5 || rec.Bytes != int64(len(raw)) {
		t.Errorf("row %+v", rec)
	}
	if len(rec.Peaks) != media.PeakBuckets || slices.Max(rec.Peaks) < 100 {
		t.Errorf("waveform %v, want the tone's level", rec.Peaks)
	}
}

// TestSaveAudioRefusesJunk: bytes that do not parse as the container
// their first bytes (or the client's label) name are refused with a
// plain message, and nothing is written.
func TestSaveAudioRefusesJunk(t *testing.T) {
	ctx := context.Background()
	ogg, err := os.ReadFile("../ogg/testdata/tone-440hz-mono.opus")
	if err != nil {
		t.Fatal(err)
	}
	junk := bytes.Repeat([]byte{0x5a, 0x13, 0x77}, 2000)
	for _, tc := range []struct {
		name, mime string
		audio      []byte
	}{
		{"junk labelled webm", "audio/webm;codecs=opus", junk},
		{"junk labelled ogg", "audio/ogg", junk},
		{"junk labelled mp4", "audio/mp4", junk},
		{"junk labelled wav", "audio/wav", junk},
		{"OggS then junk", "audio/ogg", append([]byte("OggS"), junk...)},
		{"Ogg cut short", "audio/ogg", ogg[:len(ogg)-500]},
		{"Ogg with a flipped byte", "audio/ogg", flip(ogg, len(ogg)/2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lib, database, _, recDir := setup(t)
			_, err := lib.SaveAudio(ctx, tc.audio, tc.mime, 3, media.DefaultParams(), "")
			if !errors.Is(err, media.ErrBadAudio) || media.Message(err) == "" {
				t.Errorf("got %v, want a plain ErrBadAudio", err)
			}
			if n, _ := database.CountRecordings(ctx); n != 0 || len(files(t, recDir)) != 0 {
				t.Errorf("written: %d rows, files %v", n, files(t, recDir))
			}
		})
	}
}

func flip(b []byte, at int) []byte {
	b = bytes.Clone(b)
	b[at] ^= 0x40
	return b
}

// TestStoredMIMEIsTheServers: whatever the client calls its take (a
// 5000-character type, one with CRLF in it), the row and the file hold
// one of the fixed types the server chose from the bytes.
func TestStoredMIMEIsTheServers(t *testing.T) {
	ctx := context.Background()
	webmRaw, err := os.ReadFile("../webm/testdata/chromium-440hz.webm")
	if err != nil {
		t.Fatal(err)
	}
	oggRaw, err := os.ReadFile("../ogg/testdata/tone-440hz-mono.opus")
	if err != nil {
		t.Fatal(err)
	}
	mp4Raw, err := os.ReadFile("../mp4/testdata/tone-frag.m4a")
	if err != nil {
		t.Fatal(err)
	}
	pcm := media.AppendS16LE(nil, mediatest.Tone(440, 16000, 1, 0.5, 0.5))
	wav := append(media.WAVHeader(16000, 1, int64(len(pcm))), pcm...)
	hostile := []string{"", strings.Repeat("a", 5000), "audio/wav\r\nX-Injected: 1", "text/html", "audio/webm;codecs=vorbis"}
	for _, tc := range []struct {
		name  string
		audio []byte
		want  string
	}{
		{"webm", webmRaw, library.WebMOpus},
		{"ogg", oggRaw, library.OggOpus},
		{"mp4", mp4Raw, library.MP4AAC},
		{"wav", wav, library.WAV},
	} {
		for i, mime := range hostile {
			lib, _, _, _ := setup(t)
			rec, err := lib.SaveAudio(ctx, tc.audio, mime, 1, media.DefaultParams(), "")
			if err != nil {
				t.Fatalf("%s labelled %.40q: %v", tc.name, mime, err)
			}
			opened, err := lib.Open(ctx, rec.Filename)
			if err != nil {
				t.Fatal(err)
			}
			opened.Close()
			if rec.MIME != tc.want || opened.Meta.MIME != tc.want {
				t.Errorf("%s, label %d: row %q, file %q; want %q", tc.name, i, rec.MIME, opened.Meta.MIME, tc.want)
			}
		}
	}
}
