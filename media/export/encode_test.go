package export_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/aac"
	"github.com/avatarweb/recorder/media/export"
	"github.com/avatarweb/recorder/media/mediatest"
	"github.com/avatarweb/recorder/media/mp4"
	"github.com/avatarweb/recorder/media/ogg"
)

// wavFile is a WAV file of samples.
func wavFile(samples []float32, rate, channels int) []byte {
	data := media.AppendS16LE(nil, samples)
	return append(media.WAVHeader(rate, channels, int64(len(data))), data...)
}

// A WAV take exports as Ogg Opus where the build has libopus (-tags
// libopus, the release image): encoded at a constant bit rate, so its
// size is planned exactly, and decoding (with the live path's decoder,
// the pre-skip dropped, up to the last granule position) to the take:
// correlated with it and exactly as long. At a rate Opus takes it is
// encoded as it is; at another, resampled to 48 kHz first. The pure-Go
// build refuses in words, before writing anything.
func TestWAVToOggOpus(t *testing.T) {
	raw, err := os.ReadFile(wavSpeech)
	if err != nil {
		t.Fatal(err)
	}
	r := bytes.NewReader(raw)
	in, err := media.ReadWAVHeader(r)
	if err != nil {
		t.Fatal(err)
	}
	pcm, _ := io.ReadAll(r)
	speech := media.S16LEToFloat(nil, pcm)

	if !media.HaveOpusEncoder {
		src := export.Source{R: bytes.NewReader(raw), Size: int64(len(raw)), MIME: wavMIME}
		_, err := export.Plan(context.Background(), src, export.OggOpus)
		if !errors.Is(err, export.ErrNotOffered) || !strings.Contains(media.Message(err), "no Opus encoder") {
			t.Fatalf("Plan(WAV, Ogg Opus) without an encoder: %v, want ErrNotOffered saying so", err)
		}
		t.Skip("the pure-Go build has no Opus encoder: go test -tags libopus")
	}

	speech16k := resample(t, speech, in.SampleRate, 16000, 1)
	stereo := make([]float32, 0, 2*len(speech16k)*3)
	for i, s := range resample(t, speech16k, 16000, 48000, 1) {
		// Speech on the left, a tone on the right: the channels stay apart.
		stereo = append(stereo, s, float32(0.3*math.Sin(2*math.Pi*330*float64(i)/48000)))
	}
	for _, tc := range []struct {
		name           string
		pcm            []float32
		rate, channels int
	}{
		{"22.05 kHz mono, resampled", speech, in.SampleRate, 1},
		{"16 kHz mono, as it is", speech16k, 16000, 1},
		{"48 kHz stereo", stereo, 48000, 2},
		{"a tenth of a frame", speech16k[:32], 16000, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			file := wavFile(tc.pcm, tc.rate, tc.channels)
			src := export.Source{R: bytes.NewReader(file), Size: int64(len(file)), MIME: wavMIME, Rate: tc.rate, Channels: tc.channels}
			out := run(t, src, export.OggOpus) // as long as planned
			info, pkts, lost, err := mediatest.OggPackets(out)
			if err != nil || lost != 0 || info.Channels != tc.channels || info.InputRate != tc.rate {
				t.Fatalf("Ogg %+v, %d lost, %v", info, lost, err)
			}
			for i, p := range pkts {
				if n, _ := ogg.PacketSamples(p); n != 960 || len(p) != export.Bitrate(tc.channels)/400 {
					t.Fatalf("packet %d: %d samples in %d bytes, want 20 ms in %d (CBR)", i, n, len(p), export.Bitrate(tc.channels)/400)
				}
			}
			frames := len(tc.pcm) / tc.channels
			want48 := int64((frames*48000 + tc.rate - 1) / tc.rate)
			if got := info.Granule - int64(info.PreSkip); got != want48 {
				t.Errorf("Ogg lasts %d samples at 48 kHz, want %d", got, want48)
			}
			got, ch := decodeOgg(t, out)
			if ch != tc.channels {
				t.Fatalf("%d channels", ch)
			}
			got = resample(t, got, 48000, tc.rate, ch)
			if d := len(got)/ch - frames; d < -tc.rate/50 || d > tc.rate/50 {
				t.Errorf("decodes to %d samples, the take has %d: more than a 20 ms frame apart", len(got)/ch, frames)
			}
			if frames < tc.rate/50 {
				return // too short to correlate
			}
			for c := range ch {
				n := min(len(got), len(tc.pcm)) / ch
				r := mediatest.Correlation(mediatest.Channel(got[:n*ch], ch, c), mediatest.Channel(tc.pcm[:n*ch], ch, c))
				t.Logf("channel %d: correlation %.4f", c, r)
				if r < minCorrel {
					t.Errorf("channel %d: correlation with the take %.4f, want ≥ %.2f", c, r, minCorrel)
				}
			}
		})
	}
}

// The menu's estimate of an encoded file's size is within a percent of
// the planned one.
func TestEncodedSize(t *testing.T) {
	if !media.HaveOpusEncoder {
		t.Skip("the pure-Go build has no Opus encoder: go test -tags libopus")
	}
	for _, ch := range []int{1, 2} {
		file := wavFile(make([]float32, 16000*5*ch), 16000, ch)
		e, err := export.Plan(context.Background(), export.Source{R: bytes.NewReader(file), Size: int64(len(file)), MIME: wavMIME}, export.OggOpus)
		if err != nil {
			t.Fatal(err)
		}
		if est := export.EncodedSize(5, ch); math.Abs(float64(est-e.Size)) > 0.01*float64(e.Size) {
			t.Errorf("%d ch: estimate %d bytes, planned %d", ch, est, e.Size)
		}
	}
}

// An encoding whose client goes, or whose context ends, stops at once.
func TestWAVToOggOpusStops(t *testing.T) {
	if !media.HaveOpusEncoder {
		t.Skip("the pure-Go build has no Opus encoder: go test -tags libopus")
	}
	file := wavFile(make([]float32, 48000*10), 48000, 1)
	src := export.Source{R: bytes.NewReader(file), Size: int64(len(file)), MIME: wavMIME}
	e, err := export.Plan(context.Background(), src, export.OggOpus)
	if err != nil {
		t.Fatal(err)
	}
	w := &failAfter{n: 1000}
	if err := e.WriteTo(context.Background(), w); !errors.Is(err, io.ErrClosedPipe) || w.after > 0 {
		t.Errorf("client gone: %v, %d writes after", err, w.after)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	if err := e.WriteTo(ctx, &out); !errors.Is(err, context.Canceled) || int64(out.Len()) >= e.Size {
		t.Errorf("cancelled: %v after %d of %d bytes", err, out.Len(), e.Size)
	}
}

// zeroWAV is a WAV file of silence of any length, read without holding it.
type zeroWAV struct{ header []byte }

func (z zeroWAV) ReadAt(p []byte, off int64) (int, error) {
	clear(p)
	if off < int64(len(z.header)) {
		copy(p, z.header[off:])
	}
	return len(p), nil
}

// BenchmarkPlanOggOfWAVHour measures what HEAD and the start of a
// download cost for an hour-long 48 kHz mono WAV take as Ogg Opus: the
// size counted from its pages, nothing encoded.
//
//	go test -tags libopus -run XXX -bench PlanOggOfWAVHour ./media/export/
func BenchmarkPlanOggOfWAVHour(b *testing.B) {
	if !media.HaveOpusEncoder {
		b.Skip("the pure-Go build has no Opus encoder: go test -tags libopus")
	}
	const data = 3600 * 48000 * 2
	h := media.WAVHeader(48000, 1, data)
	src := export.Source{R: zeroWAV{h}, Size: int64(len(h)) + data, MIME: wavMIME}
	for b.Loop() {
		if _, err := export.Plan(context.Background(), src, export.OggOpus); err != nil {
			b.Fatal(err)
		}
	}
}

// aacDecode is the AAC decode of an MP4 take with media/aac, as a player
// makes it: every frame, the priming dropped (the edit list's, else 1024
// samples), up to the track's length.
func aacDecode(t *testing.T, path string) (pcm []float32, rate, channels int) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := mp4.ReadTrack(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := aac.ParseConfig(tr.DecoderConfig)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := aac.NewDecoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]float32, aac.FrameSamples*cfg.Channels)
	err = tr.EachSample(func(frame []byte) error {
		n, err := dec.Decode(frame, buf)
		pcm = append(pcm, buf[:n*cfg.Channels]...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	skip := tr.Skip
	if skip < 0 {
		skip = 1024
	}
	ticks := func(n int64) int { return int(n * int64(cfg.SampleRate) / int64(tr.Timescale)) }
	return pcm[ticks(skip)*cfg.Channels : ticks(tr.Ticks)*cfg.Channels], cfg.SampleRate, cfg.Channels
}

// An AAC take (Safari's MP4) exports as Ogg Opus in the libopus build:
// decoded with media/aac and encoded as a WAV take is, at a constant bit
// rate, so its size is planned exactly from the MP4's sample table, and
// decoding (libopus in that build) to the AAC decode: correlated with it
// and exactly as long at 48 kHz. WebKit's 44.1 kHz is resampled to 48 kHz
// first; a rate Opus takes is encoded as it is. The pure-Go build refuses
// in words, before writing anything.
func TestAACToOggOpus(t *testing.T) {
	if !media.HaveOpusEncoder {
		_, err := export.Plan(context.Background(), source(t, mp4WebKit, mp4MIME, 44100, 1), export.OggOpus)
		if !errors.Is(err, export.ErrNotOffered) || !strings.Contains(media.Message(err), "no Opus encoder") {
			t.Fatalf("Plan(AAC, Ogg Opus) without an encoder: %v, want ErrNotOffered saying so", err)
		}
		t.Skip("the pure-Go build has no Opus encoder: go test -tags libopus")
	}
	for _, tc := range []struct {
		name, path string
		inputRate  int // of the Ogg: the AAC's
	}{
		{"webkit 44.1 kHz mono, resampled", mp4WebKit, 44100},
		{"ffmpeg 44.1 kHz stereo, edit list", mp4Stereo, 44100},
		{"48 kHz stereo, as it is", "../aac/testdata/stereo-48k.m4a", 48000},
		{"16 kHz mono, as it is", "../aac/testdata/chirp-16k.m4a", 16000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ref, rate, ch := aacDecode(t, tc.path)
			frames := len(ref) / ch
			out := run(t, source(t, tc.path, "audio/mp4", 48000, 1), export.OggOpus) // as long as planned
			info, pkts, lost, err := mediatest.OggPackets(out)
			if err != nil || lost != 0 || info.Channels != ch || info.InputRate != tc.inputRate || rate != tc.inputRate {
				t.Fatalf("Ogg %+v, %d lost, %v; the AAC %d Hz %d ch", info, lost, err, rate, ch)
			}
			for i, p := range pkts {
				if n, _ := ogg.PacketSamples(p); n != 960 || len(p) != export.Bitrate(ch)/400 {
					t.Fatalf("packet %d: %d samples in %d bytes, want 20 ms in %d (CBR)", i, n, len(p), export.Bitrate(ch)/400)
				}
			}
			if got, want := info.Granule-int64(info.PreSkip), int64((frames*48000+rate-1)/rate); got != want {
				t.Errorf("Ogg lasts %d samples at 48 kHz, want %d", got, want)
			}
			got, _ := decodeOgg(t, out)
			got = resample(t, got, 48000, rate, ch)
			if d := len(got)/ch - frames; d < -rate/50 || d > rate/50 {
				t.Errorf("decodes to %d samples, the AAC to %d: more than a 20 ms frame apart", len(got)/ch, frames)
			}
			n := min(len(got), len(ref)) / ch
			for c := range ch {
				r := mediatest.Correlation(mediatest.Channel(got[:n*ch], ch, c), mediatest.Channel(ref[:n*ch], ch, c))
				t.Logf("%d samples, channel %d: correlation %.4f", frames, c, r)
				if r < minCorrel {
					t.Errorf("channel %d: correlation with the AAC decode %.4f, want ≥ %.2f", c, r, minCorrel)
				}
			}
		})
	}
}
