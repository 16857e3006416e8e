package library_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/export"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/mediatest"
	"github.com/avatarweb/recorder/media/ogg"
)

// BenchmarkExportHour downloads a one-hour Opus take (Chromium's stream
// looped, kept as Ogg: 15 MB of audio in a 20 MB JSON file) as recorded,
// as WAV at 48 kHz mono (345.6 MB) and as WAV at 16 kHz mono (115.2 MB),
// each read out of the recording's base64 as a download is, and reports
// each one's heap peak above what it was before (goal: under 64 MiB, as
// the save), its time and how many times faster than real time it ran.
// The original's time is the yardstick of the same run.
//
// Built with libopus (the release image), it also downloads a one-hour
// 48 kHz mono WAV take (a live take's default: a 460 MB JSON file) as
// recorded and as Ogg Opus, encoded (28.9 MB): the "wav-take" cases.
//
//	go test -run XXX -bench ExportHour -benchtime 1x ./media/library/
//	go test -tags libopus -run XXX -bench ExportHour/wav-take -benchtime 1x ./media/library/
func BenchmarkExportHour(b *testing.B) {
	lib, _, sessions, _ := setup(b)
	ctx := context.Background()
	const seconds = 3600
	take := hourOfOgg(b, seconds)
	rec, err := lib.SaveAudio(ctx, take, "audio/ogg", seconds, media.DefaultParams(), "")
	if err != nil {
		b.Fatal(err)
	}
	take = nil
	formats := []export.Format{export.Original, export.WAV, export.Speech}
	if media.HaveOpusEncoder {
		formats = append(formats, export.OggOpus)
	}
	for _, f := range formats {
		b.Run(string(f), func(b *testing.B) { benchDownload(b, lib, rec.Filename, f, seconds) })
	}
	if !media.HaveOpusEncoder {
		return
	}
	b.Run("wav-take", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "hour.pcm")
		writeToneSpool(b, path, seconds)
		sessions.take = media.Take{SessionID: "session_x", SpoolPath: path, SampleRate: 48000, Channels: 1,
			Params: media.DefaultParams(), PCMBytes: seconds * media.OpusRate * 2}
		wav, err := lib.SaveSession(ctx, "session_x", 0, "")
		if err != nil {
			b.Fatal(err)
		}
		os.Remove(path)
		for _, f := range []export.Format{export.Original, export.OggOpus} {
			b.Run(string(f), func(b *testing.B) { benchDownload(b, lib, wav.Filename, f, seconds) })
		}
	})
}

// benchDownload downloads recording name as f, of seconds, and reports
// the heap's peak above what it was before, the size and the speed.
func benchDownload(b *testing.B, lib *library.Library, name string, f export.Format, seconds float64) {
	var peakMiB float64
	var size int64
	for b.Loop() {
		extra, err := heapPeakAbove(func() (err error) {
			size, err = download(context.Background(), lib, name, f)
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		peakMiB = max(peakMiB, extra)
	}
	b.ReportMetric(peakMiB, "peak_extra_MiB")
	b.ReportMetric(float64(size)/1e6, "MB")
	b.ReportMetric(seconds/(b.Elapsed().Seconds()/float64(b.N)), "x_realtime")
}

// download writes recording name as format f to nowhere, as the
// handler streams it, and returns its size.
func download(ctx context.Context, lib *library.Library, name string, f export.Format) (int64, error) {
	var n countingDiscard
	if f == export.Original {
		rec, err := lib.Open(ctx, name)
		if err != nil {
			return 0, err
		}
		defer rec.Close()
		_, err = io.Copy(&n, rec.Audio)
		return int64(n), err
	}
	e, rec, err := lib.Export(ctx, name, f)
	if err != nil {
		return 0, err
	}
	defer rec.Close()
	err = e.WriteTo(ctx, &n)
	return int64(n), err
}

type countingDiscard int64

func (c *countingDiscard) Write(p []byte) (int, error) {
	*c += countingDiscard(len(p))
	return len(p), nil
}

// hourOfOgg is seconds of the Chromium capture in testdata, looped, as
// an Ogg Opus file.
func hourOfOgg(b *testing.B, seconds int) []byte {
	pkts, err := mediatest.ReadPackets("../testdata/chromium-440hz-celt.rtp", time.Unix(0, 0))
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := ogg.NewWriter(&buf, 1, 1, 48000, "bench")
	if err != nil {
		b.Fatal(err)
	}
	for i := range seconds * 50 {
		if p := pkts[i%len(pkts)].Payload; len(p) > 0 {
			if err := w.WritePacket(p); err != nil {
				b.Fatal(err)
			}
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkExportMP4Hour is BenchmarkExportHour for a Safari take: an
// hour of AAC-LC 44.1 kHz mono in fragmented MP4 (WebKitGTK's take, its
// fragments repeated: 31 MB of audio), decoded by media/aac as it is
// downloaded; with -tags libopus, also encoded to Ogg Opus.
//
//	go test -run XXX -bench ExportMP4Hour -benchtime 1x ./media/library/
func BenchmarkExportMP4Hour(b *testing.B) {
	lib, _, _, _ := setup(b)
	ctx := context.Background()
	take, seconds := hourOfMP4(b)
	rec, err := lib.SaveAudio(ctx, take, "audio/mp4", seconds, media.DefaultParams(), "")
	if err != nil {
		b.Fatal(err)
	}
	take = nil
	formats := []export.Format{export.Original, export.WAV, export.Speech}
	if media.HaveOpusEncoder {
		formats = append(formats, export.OggOpus)
	}
	for _, f := range formats {
		b.Run(string(f), func(b *testing.B) { benchDownload(b, lib, rec.Filename, f, seconds) })
	}
	if media.HaveOpusEncoder {
		// What HEAD costs: the recording opened and the Ogg's size planned
		// from the MP4's sample table, nothing decoded or encoded.
		b.Run("ogg-plan", func(b *testing.B) {
			for b.Loop() {
				_, rec, err := lib.Export(ctx, rec.Filename, export.OggOpus)
				if err != nil {
					b.Fatal(err)
				}
				rec.Close()
			}
		})
	}
}

// hourOfMP4 is WebKitGTK's fragmented MP4 take with its fragments
// repeated to last an hour or a little more, and its length in seconds.
func hourOfMP4(b *testing.B) ([]byte, float64) {
	raw, err := os.ReadFile("../mp4/testdata/webkitgtk-2.50-mediarecorder.mp4")
	if err != nil {
		b.Fatal(err)
	}
	// The header boxes come before the first moof; the rest is fragments.
	at := 0
	for at+8 <= len(raw) && string(raw[at+4:at+8]) != "moof" {
		at += int(binary.BigEndian.Uint32(raw[at:]))
	}
	takeSeconds := 337920.0 / 44100
	n := int(3600/takeSeconds + 1)
	out := bytes.NewBuffer(make([]byte, 0, at+n*(len(raw)-at)))
	out.Write(raw[:at])
	for range n {
		out.Write(raw[at:])
	}
	return out.Bytes(), float64(n) * takeSeconds
}
