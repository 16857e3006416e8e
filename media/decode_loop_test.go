package media_test

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

// captureNames are every stream in testdata: Chromium's CELT capture
// switches between Hybrid and CELT, its SILK one between Hybrid and SILK,
// Firefox's is stereo CELT, and libopus's (see its .go) is SILK with the
// LBRR frames of in-band FEC, switching between mono and stereo.
var captureNames = []string{
	"chromium-440hz-celt.rtp", "chromium-440hz-silk.rtp", "firefox-1khz.rtp", "libopus-silk-fec-stereo.rtp",
}

// playlist joins captures into one stream, each starting where the one
// before ended on the RTP clock and the wall clock, as one sender whose
// encoder changed its mind would send them: one decoder decoding it sees
// mode switches from every mode to every other.
func playlist(t testing.TB, names ...string) []media.Packet {
	t.Helper()
	var out []media.Packet
	var seq uint16
	var ts uint32
	start := time.Unix(1000, 0)
	at := start
	for _, name := range names {
		pkts := capture(t, name)
		first := pkts[0]
		for _, p := range pkts {
			p.SequenceNumber = seq + (p.SequenceNumber - first.SequenceNumber)
			p.Timestamp = ts + (p.Timestamp - first.Timestamp)
			p.Arrival = at.Add(p.Arrival.Sub(first.Arrival))
			out = append(out, p)
		}
		last := out[len(out)-1]
		seq, ts = last.SequenceNumber+1, last.Timestamp+packetFrames
		at = start.Add(time.Duration(ts-out[0].Timestamp) * time.Second / media.OpusRate)
	}
	return out
}

// looper hands out a capture played in a loop, as a live session that never
// ends: loop n is the capture shifted n spans later on every clock.
type looper struct {
	pkts []media.Packet
	span uint32 // samples from the first packet of a loop to the next loop's
	loop int
}

func newLooper(pkts []media.Packet) *looper {
	return &looper{pkts: pkts, span: pkts[len(pkts)-1].Timestamp - pkts[0].Timestamp + packetFrames}
}

// next calls push with every packet of the next loop.
func (l *looper) next(push func(media.Packet)) {
	shift := uint32(l.loop) * l.span
	for _, p := range l.pkts {
		p.SequenceNumber += uint16(l.loop * len(l.pkts))
		p.Timestamp += shift
		p.Arrival = p.Arrival.Add(time.Duration(shift) * time.Second / media.OpusRate)
		push(p)
	}
	l.loop++
}

// seconds is how long one loop lasts in real time.
func (l *looper) seconds() float64 { return float64(l.span) / media.OpusRate }

// TestDecoderLoopAllocs: a live session decodes for hours, so once its
// buffers have grown the decoder allocates nothing, across every mode
// switch the streams make. Counted over a whole loop of each stream (and
// of all of them in turn), not averaged per packet: a few allocations at
// each switch must show.
func TestDecoderLoopAllocs(t *testing.T) {
	if raceDetector {
		t.Skip("under -race sync.Pool drops a quarter of what it is given back, the pooled CELT scratch too (internal/fork/opus/PATCHES.md)")
	}
	streams := [][]string{captureNames}
	for _, name := range captureNames {
		streams = append(streams, []string{name})
	}
	for _, names := range streams {
		for _, channels := range []int{1, 2} {
			t.Run(fmt.Sprintf("%s/%dch", strings.Join(names, "+"), channels), func(t *testing.T) {
				loops := newLooper(playlist(t, names...))
				dec, err := media.NewDecoder(channels, &media.Stats{}, nil)
				if err != nil {
					t.Fatal(err)
				}
				emit := func(media.PCM) error { return nil }
				push := func(p media.Packet) {
					if err := dec.Decode(p, emit); err != nil {
						t.Fatal(err)
					}
				}
				// AllocsPerRun runs one loop to warm up, then counts the next.
				if n := testing.AllocsPerRun(1, func() { loops.next(push) }); n != 0 {
					t.Errorf("%v allocations in a loop of %d packets after the first, want 0", n, len(loops.pkts))
				}
			})
		}
	}
}

// BenchmarkDecodeLoop decodes the captures looped through one long-lived
// decoder, as a live session does; one op is one whole loop. B/s_audio is
// what a session allocates per second of audio (what drives the GC of a
// server holding hundreds), ns/packet the CPU per 20 ms packet.
func BenchmarkDecodeLoop(b *testing.B) {
	for _, name := range captureNames {
		b.Run(name, func(b *testing.B) {
			loops := newLooper(playlist(b, name))
			dec, err := media.NewDecoder(1, &media.Stats{}, nil)
			if err != nil {
				b.Fatal(err)
			}
			emit := func(media.PCM) error { return nil }
			push := func(p media.Packet) {
				if err := dec.Decode(p, emit); err != nil {
					b.Fatal(err)
				}
			}
			loops.next(push) // grow the buffers
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			b.ReportAllocs()
			for b.Loop() {
				loops.next(push)
			}
			runtime.ReadMemStats(&after)
			loopsRun := float64(loops.loop - 1)
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/loopsRun/float64(len(loops.pkts)), "ns/packet")
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/loopsRun/loops.seconds(), "B/s_audio")
		})
	}
}

// TestDecoderAsNewAfterSwitch: on a switch from CELT to Hybrid, RFC 6716
// Section 4.5.2 has the decoder reset its SILK and CELT layers, so from
// there on a decoder that has decoded anything before (SILK with or
// without LBRR, CELT, Hybrid, mono or stereo) decodes a stream bit for bit
// as a new decoder does. The pure-Go decoder resets its layers in place to
// keep their buffers (internal/fork/opus/PATCHES.md): any state left
// behind shows here.
func TestDecoderAsNewAfterSwitch(t *testing.T) {
	if media.OpusDecoderName != "pion/opus" {
		t.Skipf("%s does not decode as a new decoder after this switch: the property is pion/opus's", media.OpusDecoderName)
	}
	payloads := func(names ...string) [][]byte {
		var out [][]byte
		for _, p := range playlist(t, names...) {
			if len(p.Payload) > 0 {
				out = append(out, p.Payload)
			}
		}
		return out
	}
	decode := func(dec media.OpusDecoder, channels int, pkts [][]byte) []float32 {
		var pcm []float32
		buf := make([]float32, 2*packetFrames*channels)
		for _, p := range pkts {
			n, err := dec.DecodeToFloat32(p, buf)
			if err != nil {
				t.Fatal(err)
			}
			pcm = append(pcm, buf[:n*channels]...)
		}
		return pcm
	}
	// Every prefix ends in CELT; both Chromium captures start in Hybrid.
	prefixes := [][]string{
		{"chromium-440hz-celt.rtp"},
		{"firefox-1khz.rtp"},
		{"chromium-440hz-silk.rtp", "firefox-1khz.rtp"},
		{"chromium-440hz-silk.rtp", "chromium-440hz-celt.rtp", "chromium-440hz-silk.rtp", "firefox-1khz.rtp"},
		{"libopus-silk-fec-stereo.rtp", "chromium-440hz-celt.rtp"},
	}
	for _, channels := range []int{1, 2} {
		for _, after := range []string{"chromium-440hz-celt.rtp", "chromium-440hz-silk.rtp"} {
			pkts := payloads(after)
			if pkts[0][0]>>3 < 12 || pkts[0][0]>>3 > 15 {
				t.Fatalf("%s does not start in Hybrid: it tests no switch", after)
			}
			fresh, err := media.NewOpusDecoder(channels)
			if err != nil {
				t.Fatal(err)
			}
			want := decode(fresh, channels, pkts)
			for _, before := range prefixes {
				used, _ := media.NewOpusDecoder(channels)
				decode(used, channels, payloads(before...))
				if got := decode(used, channels, pkts); !slices.Equal(got, want) {
					t.Errorf("%d ch: %s after %s decoded differently than by a new decoder",
						channels, after, strings.Join(before, "+"))
				}
			}
		}
	}
}
