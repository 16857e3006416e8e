package export_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/export"
	"github.com/avatarweb/recorder/media/mediatest"
	"github.com/avatarweb/recorder/media/mp4"
	"github.com/avatarweb/recorder/media/ogg"
	"github.com/avatarweb/recorder/media/webm"
)

const (
	oggTone   = "../ogg/testdata/tone-440hz-mono.opus"   // Firefox-like Ogg, 1.5 s, pre-skip 312
	oggStereo = "../ogg/testdata/stereo-44100-0.7s.opus" // stereo, input 44.1 kHz
	webmTone  = "../webm/testdata/chromium-440hz.webm"   // Chromium's MediaRecorder, stereo
	wavSpeech = "../testdata/speech-22050-mono.wav"      // a spoken sentence
	minCorrel = 0.99
	webmMIME  = "audio/webm;codecs=opus"
	oggMIME   = "audio/ogg;codecs=opus"
	wavMIME   = "audio/wav"
	mp4MIME   = "audio/mp4;codecs=mp4a.40.2"
	// Safari's engine's take (AAC-LC 44.1 kHz mono, fragmented, no edit
	// list) and an ffmpeg stereo MP4 with an edit list, each with ffmpeg's
	// decode of its start (media/aac/testdata/README.md).
	mp4WebKit       = "../mp4/testdata/webkitgtk-2.50-mediarecorder.mp4"
	mp4WebKitGolden = "../aac/testdata/webkitgtk-2.50-first1.5s.s16"
	mp4Stereo       = "../mp4/testdata/tone-faststart.m4a"
	mp4StereoGolden = "../aac/testdata/tone-faststart-first0.5s.s16"
	mp4Opus         = "testdata/opus-440-frag.mp4" // Chromium-like Opus in MP4
	speechRate      = export.SpeechRate
)

func source(t *testing.T, path, mime string, rate, channels int) export.Source {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return export.Source{R: bytes.NewReader(b), Size: int64(len(b)), MIME: mime, Rate: rate, Channels: channels}
}

// run plans and writes an export, and checks it is as long as planned.
func run(t *testing.T, src export.Source, f export.Format) []byte {
	t.Helper()
	e, err := export.Plan(context.Background(), src, f)
	if err != nil {
		t.Fatalf("Plan(%s): %v", f, err)
	}
	var out bytes.Buffer
	if err := e.WriteTo(context.Background(), &out); err != nil {
		t.Fatalf("WriteTo(%s): %v", f, err)
	}
	if int64(out.Len()) != e.Size {
		t.Fatalf("%s: wrote %d bytes, planned %d", f, out.Len(), e.Size)
	}
	return out.Bytes()
}

// readWAV decodes a WAV export.
func readWAV(t *testing.T, b []byte) (media.WAVInfo, []float32) {
	t.Helper()
	r := bytes.NewReader(b)
	info, err := media.ReadWAVHeader(r)
	if err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(r)
	if int64(len(rest)) != info.DataBytes {
		t.Fatalf("data chunk says %d bytes, holds %d", info.DataBytes, len(rest))
	}
	return info, media.S16LEToFloat(nil, rest)
}

// decodeOgg is the original decode of an Ogg Opus file, as a player
// makes it: every packet, the pre-skip dropped, up to the last granule.
func decodeOgg(t *testing.T, b []byte) (pcm []float32, channels int) {
	t.Helper()
	info, err := ogg.Probe(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	dec, err := media.NewOpusDecoder(info.Channels)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]float32, 5760*info.Channels)
	err = ogg.Packets(bytes.NewReader(b), func(_ int64, p []byte) error {
		n, err := dec.DecodeToFloat32(p, buf)
		pcm = append(pcm, buf[:n*info.Channels]...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	pcm = pcm[info.PreSkip*info.Channels:]
	return pcm[:(info.Granule-int64(info.PreSkip))*int64(info.Channels)], info.Channels
}

// resample converts mono or stereo PCM with the media resampler.
func resample(t *testing.T, pcm []float32, from, to, channels int) []float32 {
	t.Helper()
	rs, err := media.NewResampler(from, to, channels)
	if err != nil {
		t.Fatal(err)
	}
	return rs.Flush(rs.Process(nil, pcm))
}

func mono(pcm []float32, channels int) []float32 {
	if channels == 1 {
		return pcm
	}
	out := make([]float32, 0, len(pcm)/2)
	for i := 0; i+1 < len(pcm); i += 2 {
		out = append(out, (pcm[i]+pcm[i+1])/2)
	}
	return out
}

func wantCorrelated(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if c := mediatest.Correlation(got, want); c < minCorrel {
		t.Errorf("%s: correlation with the original decode %.4f, want ≥ %.2f", what, c, minCorrel)
	}
}

// Each export decodes to the audio of the original: the WAV at the
// processing rate sample for sample, the 16 kHz one as the original
// band-limited (it is brought back to the original's rate to compare, so
// the check does not lean on the resampler it exercises downwards), the
// Ogg remuxed from WebM packet for packet.
func TestExportsDecodeToTheOriginal(t *testing.T) {
	for _, tc := range []struct {
		name, path, mime string
	}{
		{"ogg mono", oggTone, oggMIME},
		{"ogg stereo", oggStereo, oggMIME},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw, _ := os.ReadFile(tc.path)
			ref, ch := decodeOgg(t, raw)

			info, got := readWAV(t, run(t, source(t, tc.path, tc.mime, 48000, ch), export.WAV))
			if info.SampleRate != 48000 || info.Channels != ch || len(got) != len(ref) {
				t.Fatalf("WAV: %d Hz %d ch %d samples, want 48000 Hz %d ch %d", info.SampleRate, info.Channels, len(got), ch, len(ref))
			}
			wantCorrelated(t, "WAV", got, ref)

			info, got = readWAV(t, run(t, source(t, tc.path, tc.mime, 48000, ch), export.Speech))
			frames := (len(ref)/ch*speechRate + 47999) / 48000
			if info.SampleRate != speechRate || info.Channels != 1 || len(got) != frames {
				t.Fatalf("16k: %d Hz %d ch %d samples, want 16000 Hz mono %d", info.SampleRate, info.Channels, len(got), frames)
			}
			wantCorrelated(t, "16 kHz mono", resample(t, got, speechRate, 48000, 1), mono(ref, ch))

			// The processing rate and channels of a take made at 24 kHz mono.
			info, got = readWAV(t, run(t, source(t, tc.path, tc.mime, 24000, 1), export.WAV))
			if info.SampleRate != 24000 || info.Channels != 1 {
				t.Fatalf("WAV at 24 kHz mono: %d Hz %d ch", info.SampleRate, info.Channels)
			}
			wantCorrelated(t, "24 kHz mono", resample(t, got, 24000, 48000, 1), mono(ref, ch))
		})
	}

	t.Run("webm", func(t *testing.T) {
		raw, _ := os.ReadFile(webmTone)
		ref, ch, err := webm.DecodeOpus(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			t.Fatal(err)
		}
		info, got := readWAV(t, run(t, source(t, webmTone, webmMIME, 48000, 2), export.WAV))
		if info.SampleRate != 48000 || info.Channels != ch || len(got) != len(ref) {
			t.Fatalf("WAV: %d Hz %d ch %d samples, want 48000 Hz %d ch %d", info.SampleRate, info.Channels, len(got), ch, len(ref))
		}
		wantCorrelated(t, "WAV", got, ref)

		_, got = readWAV(t, run(t, source(t, webmTone, webmMIME, 48000, 2), export.Speech))
		wantCorrelated(t, "16 kHz mono", resample(t, got, speechRate, 48000, 1), mono(ref, ch))

		remuxed := run(t, source(t, webmTone, webmMIME, 48000, 2), export.OggOpus)
		oggPCM, oggCh := decodeOgg(t, remuxed)
		if oggCh != ch || len(oggPCM) != len(ref) {
			t.Fatalf("Ogg: %d ch %d samples, want %d ch %d", oggCh, len(oggPCM), ch, len(ref))
		}
		wantCorrelated(t, "Ogg", oggPCM, ref)
		// Remuxed, not re-encoded: the very packets.
		var sent [][]byte
		webm.Packets(bytes.NewReader(raw), int64(len(raw)), func(_ time.Duration, p []byte) error {
			sent = append(sent, slices.Clone(p))
			return nil
		})
		_, kept, lost, err := mediatest.OggPackets(remuxed)
		if err != nil || lost != 0 || len(kept) != len(sent) {
			t.Fatalf("Ogg holds %d packets (%d lost, %v), the WebM %d", len(kept), lost, err, len(sent))
		}
		for i := range sent {
			if !bytes.Equal(kept[i], sent[i]) {
				t.Fatalf("packet %d differs from the WebM's", i)
			}
		}
	})

	// MP4 (AAC-LC) takes against ffmpeg's decode of their start, the
	// priming dropped: the edit list's 1024 samples for the ffmpeg file,
	// the conventional 1024 for WebKit's, which has none (ffmpeg keeps
	// them there, so its golden starts 1024 samples earlier).
	for _, tc := range []struct {
		name, path, golden string
		rate, channels     int
		goldenFrom         int
		length             int // samples per channel: the track's less the priming
	}{
		{"mp4 webkit mono", mp4WebKit, mp4WebKitGolden, 44100, 1, 1024, 337920 - 1024},
		{"mp4 stereo edit list", mp4Stereo, mp4StereoGolden, 44100, 2, 0, 66150},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := os.ReadFile(tc.golden)
			if err != nil {
				t.Fatal(err)
			}
			ref := media.S16LEToFloat(nil, b)[tc.goldenFrom*tc.channels:]
			ch := tc.channels

			info, got := readWAV(t, run(t, source(t, tc.path, mp4MIME, tc.rate, ch), export.WAV))
			if info.SampleRate != tc.rate || info.Channels != ch || len(got) != tc.length*ch {
				t.Fatalf("WAV: %d Hz %d ch %d samples, want %d Hz %d ch %d", info.SampleRate, info.Channels, len(got)/ch, tc.rate, ch, tc.length)
			}
			wantCorrelated(t, "WAV", got[:len(ref)], ref)

			info, got = readWAV(t, run(t, source(t, tc.path, mp4MIME, tc.rate, ch), export.Speech))
			frames := (tc.length*speechRate + tc.rate - 1) / tc.rate
			if info.SampleRate != speechRate || info.Channels != 1 || len(got) != frames {
				t.Fatalf("16k: %d Hz %d ch %d samples, want 16000 Hz mono %d", info.SampleRate, info.Channels, len(got), frames)
			}
			back := resample(t, got, speechRate, tc.rate, 1)
			wantCorrelated(t, "16 kHz mono", back[:len(ref)/ch], mono(ref, ch))

			// A take whose processing rate was 48 kHz stereo.
			info, got = readWAV(t, run(t, source(t, tc.path, mp4MIME, 48000, 2), export.WAV))
			if info.SampleRate != 48000 || info.Channels != 2 {
				t.Fatalf("WAV at 48 kHz stereo: %d Hz %d ch", info.SampleRate, info.Channels)
			}
			back = resample(t, mediatest.Channel(got, 2, 0), 48000, tc.rate, 1)
			wantCorrelated(t, "48 kHz stereo", back[:len(ref)/ch], mediatest.Channel(ref, ch, 0))
		})
	}

	// Opus in MP4 (Chromium asked for audio/mp4): the packets decoded as
	// an Ogg's, the dOps pre-skip dropped.
	t.Run("mp4 opus", func(t *testing.T) {
		raw, err := os.ReadFile(mp4Opus)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := mp4.ReadTrack(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			t.Fatal(err)
		}
		dec, err := media.NewOpusDecoder(1)
		if err != nil {
			t.Fatal(err)
		}
		var ref []float32
		buf := make([]float32, 5760)
		tr.EachSample(func(p []byte) error {
			n, err := dec.DecodeToFloat32(p, buf)
			ref = append(ref, buf[:n]...)
			return err
		})
		ref = ref[312 : 312+57600]
		info, got := readWAV(t, run(t, source(t, mp4Opus, "audio/mp4;codecs=opus", 48000, 1), export.WAV))
		if info.SampleRate != 48000 || info.Channels != 1 || len(got) != len(ref) {
			t.Fatalf("WAV: %d Hz %d ch %d samples, want 48000 Hz mono %d", info.SampleRate, info.Channels, len(got), len(ref))
		}
		wantCorrelated(t, "WAV", got, ref)
		if f := mediatest.DominantFrequency(got, 48000); math.Abs(f-440) > 3 {
			t.Errorf("WAV: dominant frequency %.1f Hz, want 440", f)
		}
		_, got = readWAV(t, run(t, source(t, mp4Opus, "audio/mp4;codecs=opus", 48000, 1), export.Speech))
		wantCorrelated(t, "16 kHz mono", resample(t, got, speechRate, 48000, 1)[:len(ref)], ref)

		// Remuxed to Ogg: the very packets, the pre-skip kept.
		remuxed := run(t, source(t, mp4Opus, "audio/mp4;codecs=opus", 48000, 1), export.OggOpus)
		info2, kept, lost, err := mediatest.OggPackets(remuxed)
		if err != nil || lost != 0 || info2.PreSkip != 312 || info2.Channels != 1 {
			t.Fatalf("Ogg: %+v, %d lost, %v", info2, lost, err)
		}
		i := 0
		tr.EachSample(func(p []byte) error {
			if i >= len(kept) || !bytes.Equal(kept[i], p) {
				t.Errorf("Ogg packet %d differs from the MP4's", i)
			}
			i++
			return nil
		})
		if i != len(kept) {
			t.Errorf("Ogg holds %d packets, the MP4 %d", len(kept), i)
		}
		oggPCM, _ := decodeOgg(t, remuxed)
		wantCorrelated(t, "Ogg", oggPCM[:len(ref)], ref)
	})

	t.Run("wav", func(t *testing.T) {
		raw, _ := os.ReadFile(wavSpeech)
		r := bytes.NewReader(raw)
		in, _ := media.ReadWAVHeader(r)
		pcm, _ := io.ReadAll(r)
		ref := media.S16LEToFloat(nil, pcm)
		info, got := readWAV(t, run(t, source(t, wavSpeech, wavMIME, in.SampleRate, 1), export.Speech))
		if info.SampleRate != speechRate || info.Channels != 1 || len(got) != (len(ref)*speechRate+in.SampleRate-1)/in.SampleRate {
			t.Fatalf("16k: %d Hz %d ch %d samples from %d at %d Hz", info.SampleRate, info.Channels, len(got), len(ref), in.SampleRate)
		}
		wantCorrelated(t, "16 kHz mono", resample(t, got, speechRate, in.SampleRate, 1), ref)
		// A stereo WAV at 48 kHz (a take's processing rate changed): the
		// speech doubled, downmixed and resampled.
		info, got = readWAV(t, run(t, source(t, wavSpeech, wavMIME, 48000, 2), export.WAV))
		if info.SampleRate != 48000 || info.Channels != 2 {
			t.Fatalf("WAV: %d Hz %d ch", info.SampleRate, info.Channels)
		}
		wantCorrelated(t, "48 kHz stereo", resample(t, mediatest.Channel(got, 2, 1), 48000, in.SampleRate, 1), ref)
	})
}

// What cannot be made is refused before anything is written, in words.
func TestExportRefusesWhatItCannotMake(t *testing.T) {
	type refusal struct {
		name string
		src  export.Source
		f    export.Format
	}
	var noEncoder []refusal
	if !media.HaveOpusEncoder {
		noEncoder = append(noEncoder,
			refusal{"WAV as Ogg: no encoder", source(t, wavSpeech, wavMIME, 22050, 1), export.OggOpus},
			refusal{"AAC as Ogg: no encoder", source(t, mp4Stereo, mp4MIME, 48000, 1), export.OggOpus})
	}
	for _, tc := range append(noEncoder, []refusal{
		{"Ogg as Ogg", source(t, oggTone, oggMIME, 48000, 1), export.OggOpus},
		{"an MP4 labelled WebM", source(t, mp4Stereo, webmMIME, 48000, 1), export.WAV},
		{"a WebM labelled MP4", source(t, webmTone, mp4MIME, 48000, 1), export.WAV},
		{"a WebM labelled WAV", source(t, webmTone, wavMIME, 48000, 1), export.WAV},
		{"processing with 3 channels", source(t, oggTone, oggMIME, 48000, 3), export.WAV},
	}...) {
		if _, err := export.Plan(context.Background(), tc.src, tc.f); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("%s: %v, want an ErrInvalid", tc.name, err)
		}
	}
	if _, err := export.ParseFormat("mp3"); !errors.Is(err, media.ErrInvalid) {
		t.Errorf("ParseFormat(mp3): %v, want an ErrInvalid", err)
	}
}

// A download the client left stops converting.
func TestExportStopsWhenCancelled(t *testing.T) {
	e, err := export.Plan(context.Background(), source(t, oggTone, oggMIME, 48000, 1), export.WAV)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var out bytes.Buffer
	if err := e.WriteTo(ctx, &out); !errors.Is(err, context.Canceled) {
		t.Errorf("WriteTo after cancel: %v, want context.Canceled", err)
	}
	if int64(out.Len()) >= e.Size {
		t.Errorf("wrote all %d bytes after cancel", out.Len())
	}
}

func TestOffers(t *testing.T) {
	wav := []export.Format{export.Original, export.Speech}
	aac := []export.Format{export.Original, export.WAV, export.Speech}
	if media.HaveOpusEncoder { // the release build: Ogg Opus encoded
		wav = []export.Format{export.Original, export.OggOpus, export.Speech}
		aac = []export.Format{export.Original, export.OggOpus, export.WAV, export.Speech}
	}
	for mime, want := range map[string][]export.Format{
		wavMIME:                 wav,
		oggMIME:                 {export.Original, export.WAV, export.Speech},
		webmMIME:                {export.Original, export.OggOpus, export.WAV, export.Speech},
		mp4MIME:                 aac,
		"audio/mp4":             aac,
		"audio/mp4;codecs=opus": {export.Original, export.OggOpus, export.WAV, export.Speech},
		"audio/mp4;codecs=flac": {export.Original},
	} {
		if got := export.Offers(mime); !slices.Equal(got, want) {
			t.Errorf("Offers(%s) = %v, want %v", mime, got, want)
		}
	}
}

// failAfter is a client that goes away after n bytes.
type failAfter struct{ n, after int }

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n < 0 {
		f.after++
	}
	if f.n -= len(p); f.n < 0 {
		return 0, io.ErrClosedPipe
	}
	return len(p), nil
}

// A client that goes away ends the conversion at the next write.
func TestExportStopsWhenTheClientGoes(t *testing.T) {
	for _, f := range []export.Format{export.WAV, export.OggOpus} {
		e, err := export.Plan(context.Background(), source(t, webmTone, webmMIME, 48000, 2), f)
		if err != nil {
			t.Fatal(err)
		}
		w := &failAfter{n: 1000}
		if err := e.WriteTo(context.Background(), w); !errors.Is(err, io.ErrClosedPipe) {
			t.Errorf("%s: %v, want the write's error", f, err)
		}
		if w.after > 0 {
			t.Errorf("%s: %d writes after the client went", f, w.after)
		}
	}
}

// A WebM take whose blocks jump ahead in time (a browser that stalled,
// DTX) exports as long as it lasted, as a player plays it: the jump is
// silence in the WAV and lost time in the remuxed Ogg, not closed up.
func TestWebMGapsKeepTheirTime(t *testing.T) {
	raw, err := os.ReadFile(webmTone)
	if err != nil {
		t.Fatal(err)
	}
	info, err := webm.Probe(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	ch, preSkip := webm.OpusLayout(info)
	const gap = 500 * time.Millisecond
	gapSamples := int(gap.Seconds() * 48000)
	var blocks []mediatest.WebMBlock
	var before int // samples of the packets before the gap
	err = webm.Packets(bytes.NewReader(raw), int64(len(raw)), func(ts time.Duration, p []byte) error {
		if len(blocks) >= 15 {
			ts += gap
		} else {
			n, _ := ogg.PacketSamples(p)
			before += int(n)
		}
		blocks = append(blocks, mediatest.WebMBlock{At: ts, Packet: slices.Clone(p)})
		return nil
	})
	if err != nil || len(blocks) < 30 {
		t.Fatalf("%d packets in the fixture (%v)", len(blocks), err)
	}
	gapped := mediatest.WebMOpus(info.CodecPrivate, ch, blocks)
	src := export.Source{R: bytes.NewReader(gapped), Size: int64(len(gapped)), MIME: webmMIME, Rate: 48000, Channels: ch}

	ref, _, err := webm.DecodeOpus(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	at := (before - preSkip) * ch
	want := slices.Concat(ref[:at], make([]float32, gapSamples*ch), ref[at:])
	_, got := readWAV(t, run(t, src, export.WAV))
	if len(got) != len(want) {
		t.Fatalf("WAV of %d samples per channel, want %d: the take's %d and the %v gap's %d",
			len(got)/ch, len(want)/ch, len(ref)/ch, gap, gapSamples)
	}
	wantCorrelated(t, "WAV", got, want)
	if rms := mediatest.RMS(got[at+ch*960 : at+(gapSamples-960)*ch]); rms > 1e-4 {
		t.Errorf("the gap holds sound: RMS %.4f", rms)
	}

	remuxed := run(t, src, export.OggOpus)
	oggInfo, kept, lost, err := mediatest.OggPackets(remuxed)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := oggInfo.Granule-int64(oggInfo.PreSkip), int64(len(want)/ch); got != want {
		t.Errorf("Ogg of %d samples, want %d", got, want)
	}
	if len(kept) != len(blocks) || lost != gapSamples/960 {
		t.Errorf("Ogg holds %d packets and %d lost, want %d and %d", len(kept), lost, len(blocks), gapSamples/960)
	}
}

// Encodes tells the Ogg Opus encoded from a take (a WAV's, an AAC's) from
// the packets as recorded (an Opus take's).
func TestEncodes(t *testing.T) {
	for mime, want := range map[string]bool{
		wavMIME: true, mp4MIME: true, "audio/mp4": true,
		oggMIME: false, webmMIME: false, "audio/mp4;codecs=opus": false, "audio/mp4;codecs=flac": false,
	} {
		if got := export.Encodes(mime); got != want {
			t.Errorf("Encodes(%s) = %v, want %v", mime, got, want)
		}
	}
}
