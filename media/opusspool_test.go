package media_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/ogg"
)

// TestChainKeepsOpus: a take kept as Opus holds the packets pushed, byte
// for byte, in order, and plays as long as the PCM the chain wrote, with
// a lost packet, a DTX pause, a stalled sender and a stop after the last
// packet in it. Decoded (by the build's decoder: pion/opus, or libopus
// with -tags libopus), it gives that many samples.
func TestChainKeepsOpus(t *testing.T) {
	for _, channels := range []int{1, 2} {
		pkts := onTime(t, 300)
		dir := t.TempDir()
		stats := &media.Stats{}
		p := media.Params{FPS: 30, BatchSize: 16, SampleRate: 16000, Channels: channels, Format: media.FormatOpus}
		spool, err := media.CreateSpool(filepath.Join(dir, "take.pcm"), p.SampleRate, p.Channels, stats)
		if err != nil {
			t.Fatal(err)
		}
		opus, err := media.CreateOpusSpool(filepath.Join(dir, "take.ogg"), p.Channels, 1)
		if err != nil {
			t.Fatal(err)
		}
		chain, err := media.NewChain(media.ChainConfig{Params: p, Stats: stats, Spool: spool, Opus: opus})
		if err != nil {
			t.Fatal(err)
		}
		var sent [][]byte
		var last time.Time
		lateFrom := 0 // where the late packets are in sent
		for i, pk := range pkts {
			switch {
			case i == 40: // lost
				continue
			case i >= 100 && i < 150: // DTX: a second without packets
				continue
			case i >= 200 && i < 225: // a stall: the sender goes quiet...
				continue
			case i >= 225 && i < 235:
				// ...and its packets come late, after the stall's silence
				// was written over their time: they are trimmed.
				pk.Arrival = pk.Arrival.Add(700 * time.Millisecond)
			}
			if i == 225 { // the stall, as the session sees it: idle ticks
				lateFrom = len(sent)
				for at := last.Add(media.IdleTick); at.Before(pk.Arrival); at = at.Add(media.IdleTick) {
					if err := chain.Idle(at); err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := chain.Push(pk); err != nil {
				t.Fatal(err)
			}
			sent = append(sent, pk.Payload)
			last = pk.Arrival
		}
		// Stopped 1.5 s after the last packet: the end is padded.
		chain.StopAt(last.Add(1500 * time.Millisecond))
		if err := chain.Close(); err != nil {
			t.Fatal(err)
		}
		pcmSamples := int64(spool.Bytes() / int64(2*channels) * media.OpusRate / int64(p.SampleRate))

		b, err := os.ReadFile(opus.Path)
		if err != nil {
			t.Fatal(err)
		}
		if int64(len(b)) != opus.Bytes() {
			t.Errorf("file of %d bytes, Bytes says %d", len(b), opus.Bytes())
		}
		info, err := ogg.Probe(bytes.NewReader(b))
		if err != nil {
			t.Fatal(err)
		}
		if info.Channels != channels {
			t.Errorf("OpusHead says %d channels, want %d", info.Channels, channels)
		}
		var kept [][]byte
		dec, err := media.NewOpusDecoder(channels)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]float32, 5760*channels)
		var decoded int64
		err = ogg.Packets(bytes.NewReader(b), func(_ int64, pkt []byte) error {
			if len(pkt) > 1 {
				kept = append(kept, slices.Clone(pkt))
			}
			n, err := dec.DecodeToFloat32(pkt, buf)
			if err != nil {
				if len(pkt) == 1 && media.OpusDecoderName == "pion/opus" {
					// pion/opus does not conceal lost frames; libopus does.
					n64, _ := ogg.PacketSamples(pkt)
					n = int(n64)
				} else {
					t.Fatalf("packet %x: %v", pkt[:min(4, len(pkt))], err)
				}
			}
			decoded += int64(n)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// The late packets whose time the stall's silence took are left
		// out; every other is kept as it came.
		dropped := int(opus.Dropped())
		if dropped == 0 || dropped > 10 {
			t.Errorf("%d late packets left out, want some of the 10", dropped)
		}
		want := slices.Concat(sent[:lateFrom], sent[lateFrom+dropped:])
		if !slices.EqualFunc(kept, want, bytes.Equal) {
			t.Errorf("the Ogg keeps %d packets, not the %d sent less the %d late ones", len(kept), len(sent), dropped)
		}
		if decoded != info.Granule {
			t.Errorf("decoded %d samples, the last granule says %d", decoded, info.Granule)
		}
		// Within one 20 ms packet of the PCM's length (the resampler's
		// rounding aside).
		if d := info.Granule - pcmSamples; d < -960 || d > 960 {
			t.Errorf("the Ogg holds %d samples, the PCM %d (at 48 kHz)", info.Granule, pcmSamples)
		}
		if len(b) > 6<<10*int(info.Granule)/media.OpusRate {
			t.Errorf("%d bytes for %v", len(b), info.Duration)
		}
	}
}
