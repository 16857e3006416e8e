package media_test

import (
	"errors"
	"math"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

const packetFrames = 960 // 20 ms at 48 kHz: what Chromium sends

func capture(t testing.TB, name string) []media.Packet {
	t.Helper()
	pkts, err := mediatest.ReadPackets("testdata/"+name, time.Unix(1000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) < 90 {
		t.Fatalf("%s: only %d packets", name, len(pkts))
	}
	return pkts
}

// decodeAll runs packets through a fresh decoder (already in order) and
// returns the concatenated PCM and the decoder's counters.
func decodeAll(t *testing.T, channels int, pkts []media.Packet, stopAt time.Time) ([]float32, *media.Stats) {
	t.Helper()
	stats := &media.Stats{}
	dec, err := media.NewDecoder(channels, stats, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !stopAt.IsZero() {
		dec.StopAt(stopAt)
	}
	var out []float32
	emit := func(p media.PCM) error {
		if p.SampleRate != media.OpusRate || p.Channels != channels {
			t.Fatalf("block is %d Hz × %d", p.SampleRate, p.Channels)
		}
		out = append(out, p.Samples...)
		return nil
	}
	for _, p := range pkts {
		if err := dec.Decode(p, emit); err != nil {
			t.Fatalf("Decode: %v", err)
		}
	}
	if err := dec.Flush(emit); err != nil {
		t.Fatal(err)
	}
	return out, stats
}

// timeline is how many samples the packets span by their timestamps.
func timeline(pkts []media.Packet) int {
	return int(pkts[len(pkts)-1].Timestamp-pkts[0].Timestamp) + packetFrames
}

func checkTone(t *testing.T, pcm []float32) {
	t.Helper()
	steady := pcm[media.OpusRate/5:] // Opus starts in Hybrid and ramps up
	if f := mediatest.DominantFrequency(steady, media.OpusRate); math.Abs(f-440) > 1 {
		t.Errorf("dominant frequency %.2f Hz, want 440 ± 1", f)
	}
	if rms := mediatest.RMS(steady); rms < 0.2 || rms > 0.5 {
		t.Errorf("RMS %.3f, want about 0.35 (a 0.5 amplitude tone)", rms)
	}
}

func silent(pcm []float32) bool {
	for _, s := range pcm {
		if s != 0 {
			return false
		}
	}
	return true
}

func TestDecoderRealPackets(t *testing.T) {
	for _, name := range []string{"chromium-440hz-celt.rtp", "chromium-440hz-silk.rtp"} {
		t.Run(name, func(t *testing.T) {
			pkts := capture(t, name)
			pcm, stats := decodeAll(t, 1, pkts, time.Time{})
			if len(pcm) != timeline(pkts) {
				t.Errorf("decoded %d samples, timeline is %d", len(pcm), timeline(pkts))
			}
			if stats.DecodeErrors.Load() != 0 || stats.Gaps.Load() != 0 {
				t.Errorf("errors %d gaps %d on a clean capture", stats.DecodeErrors.Load(), stats.Gaps.Load())
			}
			checkTone(t, pcm)
		})
	}
}

func TestDecoderStereo(t *testing.T) {
	pcm, _ := decodeAll(t, 2, capture(t, "chromium-440hz-celt.rtp"), time.Time{})
	left, right := mediatest.Channel(pcm, 2, 0), mediatest.Channel(pcm, 2, 1)
	for i := range left {
		if left[i] != right[i] {
			t.Fatalf("mono source: channels differ at frame %d (%v vs %v)", i, left[i], right[i])
		}
	}
	checkTone(t, left)
}

// TestDecoderFirefoxPackets decodes what Firefox sent for its fake
// microphone (a 1 kHz sine). Firefox opens the stream with a burst of
// RTP packets that are padding alone (its bandwidth probe), each stamped
// with the timestamp of the audio packet before it: they carry no audio,
// are no decode error, and must leave the timeline alone. Every audio
// packet decodes, and the take is the tone, as long as its timestamps say.
func TestDecoderFirefoxPackets(t *testing.T) {
	pkts := capture(t, "firefox-1khz.rtp")
	var empty int64
	var lastTS uint32
	for i, p := range pkts {
		if len(p.Payload) == 0 {
			empty++
			if i == 0 || p.Timestamp != lastTS {
				t.Fatalf("capture: empty packet %d has timestamp %d, the audio before it %d", i, p.Timestamp, lastTS)
			}
		}
		lastTS = p.Timestamp
	}
	if empty == 0 {
		t.Fatal("the capture has no padding-only packets: it does not show what it is here for")
	}
	pcm, stats := decodeAll(t, 1, pkts, time.Time{})
	if got := stats.DecodeErrors.Load(); got != 0 {
		t.Errorf("%d decode errors of %d packets: padding-only packets are not Opus packets the codec refused", got, len(pkts))
	}
	if got := stats.EmptyPackets.Load(); got != empty {
		t.Errorf("%d empty packets counted, the capture has %d", got, empty)
	}
	if got, want := stats.DecodedSamples.Load(), int64(len(pkts)-int(empty))*packetFrames; got != want {
		t.Errorf("decoded %d samples, want %d: every audio packet in full", got, want)
	}
	if len(pcm) != timeline(pkts) || stats.Gaps.Load() != 0 {
		t.Errorf("take of %d samples with %d gaps, timeline is %d", len(pcm), stats.Gaps.Load(), timeline(pkts))
	}
	steady := pcm[media.OpusRate/5:]
	if f := mediatest.DominantFrequency(steady, media.OpusRate); math.Abs(f-1000) > 1 {
		t.Errorf("dominant frequency %.2f Hz, want 1000 ± 1 (Firefox's fake microphone)", f)
	}
	if rms := mediatest.RMS(steady); rms < 0.05 {
		t.Errorf("RMS %.3f: the tone came out too quiet", rms)
	} else {
		t.Logf("%d packets, %d padding-only; %.3f s of 1 kHz at RMS %.3f", len(pkts), empty, float64(len(pcm))/media.OpusRate, rms)
	}
}

// TestDecoderGaps removes or damages packets and checks the take keeps its
// real-time length, with silence exactly where the audio went missing.
func TestDecoderGaps(t *testing.T) {
	for _, tc := range []struct {
		name        string
		edit        func([]media.Packet) []media.Packet
		extra       int   // samples beyond the capture's timeline
		silentFrom  int   // packet index where silence starts
		silentLen   int   // samples of silence expected there
		gaps        int64 // gaps counted
		decodeErrs  int64
		empty       int64 // packets with no payload
		gapSamples  int64
		wantSilence bool
	}{
		{
			name:       "LostPackets",
			edit:       func(p []media.Packet) []media.Packet { return append(p[:40:40], p[50:]...) },
			silentFrom: 40, silentLen: 10 * packetFrames, gaps: 1, gapSamples: 10 * packetFrames, wantSilence: true,
		},
		{
			name: "GarbagePacket",
			edit: func(p []media.Packet) []media.Packet {
				p[30].Payload = []byte{0xff, 0xff, 0xff} // code 3, impossible frame count
				return p
			},
			silentFrom: 30, silentLen: packetFrames, gaps: 1, decodeErrs: 1, gapSamples: packetFrames, wantSilence: true,
		},
		{
			name: "EmptyPayload",
			edit: func(p []media.Packet) []media.Packet {
				p[60].Payload = nil
				return p
			},
			silentFrom: 60, silentLen: packetFrames, gaps: 1, empty: 1, gapSamples: packetFrames, wantSilence: true,
		},
		{
			name: "DTXPause", // a second with no packets: the timestamp jumps
			edit: func(p []media.Packet) []media.Packet {
				for i := 50; i < len(p); i++ {
					p[i].Timestamp += media.OpusRate
				}
				return p
			},
			extra: media.OpusRate, silentFrom: 50, silentLen: media.OpusRate, gaps: 1, gapSamples: media.OpusRate, wantSilence: true,
		},
		{
			name: "TimestampWraps",
			edit: func(p []media.Packet) []media.Packet {
				shift := math.MaxUint32 - p[45].Timestamp + 1 // packet 45 lands on 0
				for i := range p {
					p[i].Timestamp += shift
				}
				return p
			},
		},
		{
			name: "OverlappingTimestamp", // a packet claiming time already written
			edit: func(p []media.Packet) []media.Packet {
				dup := p[20]
				dup.Timestamp -= packetFrames / 2
				return append(p[:21:21], append([]media.Packet{dup}, p[21:]...)...)
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			orig := capture(t, "chromium-440hz-celt.rtp")
			pkts := tc.edit(capture(t, "chromium-440hz-celt.rtp"))
			pcm, stats := decodeAll(t, 1, pkts, time.Time{})
			if want := timeline(orig) + tc.extra; len(pcm) != want {
				t.Errorf("decoded %d samples, want %d (%.3f s short)", len(pcm), want, float64(want-len(pcm))/media.OpusRate)
			}
			if g, e, s := stats.Gaps.Load(), stats.DecodeErrors.Load(), stats.GapSamples.Load(); g != tc.gaps || e != tc.decodeErrs || s != tc.gapSamples {
				t.Errorf("gaps %d decode errors %d gap samples %d, want %d %d %d", g, e, s, tc.gaps, tc.decodeErrs, tc.gapSamples)
			}
			if e := stats.EmptyPackets.Load(); e != tc.empty {
				t.Errorf("%d empty packets, want %d", e, tc.empty)
			}
			if tc.wantSilence {
				start := int(orig[tc.silentFrom].Timestamp - orig[0].Timestamp)
				if !silent(pcm[start : start+tc.silentLen]) {
					t.Errorf("samples %d..%d should be silence", start, start+tc.silentLen)
				}
				if silent(pcm[start-packetFrames:start]) || silent(pcm[start+tc.silentLen:start+tc.silentLen+packetFrames]) {
					t.Errorf("audio around the gap at %d is missing: silence is misplaced", start)
				}
			}
			checkTone(t, pcm)
		})
	}
}

// TestDecoderStopPadding: a sender that went quiet before the user pressed
// Stop still yields a take as long as the wall-clock recording.
func TestDecoderStopPadding(t *testing.T) {
	pkts := capture(t, "chromium-440hz-celt.rtp")
	first := pkts[0].Arrival
	for _, tc := range []struct {
		name string
		stop time.Duration
		want int
	}{
		{"StalledSender", 5 * time.Second, 5 * media.OpusRate},
		{"WithinTolerance", time.Duration(timeline(pkts))*time.Second/media.OpusRate + 100*time.Millisecond, timeline(pkts)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pcm, _ := decodeAll(t, 1, pkts, first.Add(tc.stop))
			if len(pcm) != tc.want {
				t.Errorf("take has %d samples, want %d", len(pcm), tc.want)
			}
		})
	}
}

func TestDecoderTimestampReset(t *testing.T) {
	pkts := capture(t, "chromium-440hz-celt.rtp")
	for i := 50; i < len(pkts); i++ {
		pkts[i].Timestamp += 2 * 60 * 60 * media.OpusRate // a two-hour jump: a broken sender
	}
	pcm, _ := decodeAll(t, 1, pkts, time.Time{})
	if len(pcm) != timeline(capture(t, "chromium-440hz-celt.rtp")) {
		t.Errorf("a timestamp reset wrote %d samples: it must re-anchor, not fill hours", len(pcm))
	}
}

func TestNewDecoderRefusesChannels(t *testing.T) {
	if _, err := media.NewDecoder(3, &media.Stats{}, nil); !errors.Is(err, media.ErrInvalid) {
		t.Errorf("3 channels: %v, want ErrInvalid", err)
	}
}

func BenchmarkDecodePacket(b *testing.B) {
	for _, name := range []string{"chromium-440hz-celt.rtp", "chromium-440hz-silk.rtp"} {
		b.Run(name, func(b *testing.B) {
			pkts, err := mediatest.ReadPackets("testdata/"+name, time.Unix(1000, 0))
			if err != nil {
				b.Fatal(err)
			}
			emit := func(media.PCM) error { return nil }
			b.ReportAllocs()
			var dec *media.Decoder
			for i := 0; b.Loop(); i++ {
				if i%len(pkts) == 0 { // restart the stream so timestamps stay in order
					dec, _ = media.NewDecoder(1, &media.Stats{}, nil)
				}
				if err := dec.Decode(pkts[i%len(pkts)], emit); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "µs/packet")
		})
	}
}

// TestDecoderStall: while a sender is silent (muted track, backgrounded
// tab) the decoder writes silence in real time after StallAfter, and when
// packets resume the timeline is still true.
func TestDecoderStall(t *testing.T) {
	for _, tc := range []struct {
		name    string
		shiftTS uint32 // how far the sender's clock moved during the pause
		want    int    // samples beyond the capture's timeline
		trimmed int64
	}{
		// The sender paused 2 s (its timestamps jump 2 s): 2 s of silence in all.
		{"Pause", 2 * media.OpusRate, 2 * media.OpusRate, 0},
		// The packets were merely held up 2 s in the network: the silence
		// already covers 1.4 s of timeline, more than the 51 packets (1.02 s)
		// that follow, so all of their audio is trimmed and the take stays
		// as long as the wall clock said.
		{"HeldUp", 0, 1400*media.OpusRate/1000 - 51*packetFrames, 51 * packetFrames},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pkts := capture(t, "chromium-440hz-celt.rtp")
			stats := &media.Stats{}
			dec, err := media.NewDecoder(1, stats, nil)
			if err != nil {
				t.Fatal(err)
			}
			var out []float32
			emit := func(p media.PCM) error { out = append(out, p.Samples...); return nil }
			for _, p := range pkts[:50] {
				if err := dec.Decode(p, emit); err != nil {
					t.Fatal(err)
				}
			}
			last := pkts[49].Arrival
			before := len(out)
			if err := dec.Idle(last.Add(400*time.Millisecond), emit); err != nil || len(out) != before {
				t.Fatalf("silence written before StallAfter (%d samples, %v)", len(out)-before, err)
			}
			// Idle until 1.9 s into the pause: 1.4 s of silence by then.
			for ms := 600; ms <= 1900; ms += 100 {
				if err := dec.Idle(last.Add(time.Duration(ms)*time.Millisecond), emit); err != nil {
					t.Fatal(err)
				}
			}
			if got, want := len(out)-before, 1400*media.OpusRate/1000; got != want {
				t.Errorf("silence during the stall: %d samples, want %d", got, want)
			}
			for _, p := range pkts[50:] {
				p.Timestamp += tc.shiftTS
				p.Arrival = p.Arrival.Add(2 * time.Second)
				if err := dec.Decode(p, emit); err != nil {
					t.Fatal(err)
				}
			}
			if want := timeline(pkts) + tc.want; len(out) != want {
				t.Errorf("take has %d samples, want %d", len(out), want)
			}
			if stats.Gaps.Load() != 1 || stats.TrimmedSamples.Load() != tc.trimmed {
				t.Errorf("gaps %d trimmed %d, want 1 and %d", stats.Gaps.Load(), stats.TrimmedSamples.Load(), tc.trimmed)
			}
		})
	}
}

// TestDecodersShareNoState: the decoders of a server's sessions share
// their working buffers (pion/opus's CELT scratch is pooled, see
// internal/fork/opus/PATCHES.md), so a stream decoded among others, in
// turn or at once, must come out bit for bit as when decoded alone.
func TestDecodersShareNoState(t *testing.T) {
	names := []string{"chromium-440hz-celt.rtp", "chromium-440hz-silk.rtp", "firefox-1khz.rtp"}
	streams := make([][]media.Packet, len(names))
	alone := make([][]float32, len(names))
	for i, name := range names {
		streams[i] = capture(t, name)
		alone[i], _ = decodeAll(t, 2, streams[i], time.Time{})
	}
	same := func(how string, i int, got []float32) {
		t.Helper()
		if !slices.Equal(got, alone[i]) {
			t.Errorf("%s: %s decoded differently than alone", how, names[i])
		}
	}

	// In turn: one packet of each stream after the other.
	decs := make([]*media.Decoder, len(names))
	outs := make([][]float32, len(names))
	for i := range decs {
		decs[i], _ = media.NewDecoder(2, &media.Stats{}, nil)
	}
	for k := 0; ; k++ {
		more := false
		for i, pkts := range streams {
			if k >= len(pkts) {
				continue
			}
			more = true
			err := decs[i].Decode(pkts[k], func(p media.PCM) error { outs[i] = append(outs[i], p.Samples...); return nil })
			if err != nil {
				t.Fatal(err)
			}
		}
		if !more {
			break
		}
	}
	for i := range names {
		same("in turn", i, outs[i])
	}

	// At once: four decoders of each stream in their own goroutines.
	var wg sync.WaitGroup
	got := make([][]float32, 4*len(names))
	for j := range got {
		wg.Go(func() {
			dec, _ := media.NewDecoder(2, &media.Stats{}, nil)
			for _, p := range streams[j%len(names)] {
				if err := dec.Decode(p, func(p media.PCM) error { got[j] = append(got[j], p.Samples...); return nil }); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	for j := range got {
		same("at once", j%len(names), got[j])
	}
}

// BenchmarkDecoderHeld reports the heap one live stream's decoder keeps
// between packets (what every session holds), after a second of audio.
func BenchmarkDecoderHeld(b *testing.B) {
	for _, name := range []string{"chromium-440hz-celt.rtp", "chromium-440hz-silk.rtp"} {
		b.Run(name, func(b *testing.B) {
			pkts := capture(b, name)[:50]
			emit := func(media.PCM) error { return nil }
			const n = 100
			var held uint64
			for b.Loop() {
				decs := make([]*media.Decoder, n)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				for i := range decs {
					decs[i], _ = media.NewDecoder(1, &media.Stats{}, nil)
					for _, p := range pkts {
						if err := decs[i].Decode(p, emit); err != nil {
							b.Fatal(err)
						}
					}
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				held = (after.HeapAlloc - before.HeapAlloc) / n
				runtime.KeepAlive(decs)
			}
			b.ReportMetric(float64(held), "B/decoder")
		})
	}
}
