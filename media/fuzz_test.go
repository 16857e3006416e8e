package media_test

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// errFuzzBudget stops an input whose timestamps ask for more audio than a
// fuzz run should allocate (a gap may legitimately be up to an hour).
var errFuzzBudget = errors.New("fuzz: audio budget spent")

// fuzzBudget is how many frames one input may emit: 10 s at 48 kHz.
const fuzzBudget = media.OpusRate * 10

// fuzzPackets encodes pkts as FuzzDecoder ops: the first timestamp whole,
// the others as deltas.
func fuzzPackets(pkts []media.Packet) []byte {
	var ops []byte
	for i, p := range pkts {
		ops = append(ops, 0)
		if i == 0 {
			ops = binary.BigEndian.AppendUint32(append(ops, 1), p.Timestamp)
		} else {
			ops = binary.BigEndian.AppendUint16(append(ops, 0), uint16(p.Timestamp-pkts[i-1].Timestamp))
		}
		ops = append(ops, 20, byte(len(p.Payload)))
		ops = append(ops, p.Payload...)
	}
	return ops
}

// FuzzDecoder feeds a Decoder packets with arbitrary payloads and
// timestamps, idle ticks and a stop, and checks what it emits: whole
// frames of finite samples at 48 kHz, counters that never go negative,
// and output that is exactly the decoded audio plus the silence inserted
// minus the audio trimmed.
//
// Ops, each starting with a byte whose low 2 bits are its kind:
//
//	0, 1  a packet: a flags byte (bit 0: the timestamp follows whole, as 4
//	      bytes; else as a 2-byte signed delta), the milliseconds since the
//	      last packet (1 byte), the payload length (1 byte), the payload
//	2     an idle tick, a byte of 10 ms steps later
//	3     StopAt, a byte of 10 ms steps from now
func FuzzDecoder(f *testing.F) {
	for _, name := range []string{"chromium-440hz-celt.rtp", "chromium-440hz-silk.rtp"} {
		pkts, err := mediatest.ReadPackets("testdata/"+name, time.Unix(1000, 0))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(false, fuzzPackets(pkts[:8]))
		f.Add(true, append(fuzzPackets(pkts[20:24]), 2, 100, 3, 50))
	}
	f.Add(false, []byte{0, 1, 0, 0, 0, 0, 20, 3, 0xfc, 0xff, 0xfe, 0, 0, 0x7f, 0xff, 20, 1, 0xf8})
	f.Add(true, []byte{0, 1, 0xff, 0xff, 0xff, 0x00, 20, 1, 0xfc, 0, 1, 0x00, 0x00, 0x03, 0x00, 20, 1, 0xfc, 2, 255})
	f.Add(false, []byte{})

	f.Fuzz(func(t *testing.T, stereo bool, ops []byte) {
		channels := 1
		if stereo {
			channels = 2
		}
		stats := &media.Stats{}
		dec, err := media.NewDecoder(channels, stats, nil)
		if err != nil {
			t.Fatal(err)
		}
		var emitted int64
		emit := func(p media.PCM) error {
			if p.SampleRate != media.OpusRate || p.Channels != channels || len(p.Samples)%channels != 0 {
				t.Fatalf("block of %d samples at %d Hz × %d channels", len(p.Samples), p.SampleRate, p.Channels)
			}
			for _, s := range p.Samples {
				if math.IsNaN(float64(s)) || math.IsInf(float64(s), 0) {
					t.Fatalf("sample %v in a block of %d", s, len(p.Samples))
				}
			}
			emitted += int64(p.Frames())
			if emitted > fuzzBudget {
				return errFuzzBudget
			}
			return nil
		}
		now := time.Unix(1000, 0)
		var ts uint32
		take := func(n int) []byte {
			n = min(n, len(ops))
			b := ops[:n]
			ops = ops[n:]
			return b
		}
		for len(ops) > 0 {
			var err error
			switch kind := take(1)[0] & 3; kind {
			case 0, 1:
				flags := take(1)
				if len(flags) == 1 && flags[0]&1 != 0 {
					if b := take(4); len(b) == 4 {
						ts = binary.BigEndian.Uint32(b)
					}
				} else if b := take(2); len(b) == 2 {
					ts += uint32(int16(binary.BigEndian.Uint16(b)))
				}
				if b := take(1); len(b) == 1 {
					now = now.Add(time.Duration(b[0]) * time.Millisecond)
				}
				var n int
				if b := take(1); len(b) == 1 {
					n = int(b[0])
				}
				payload := take(n)
				err = dec.Decode(media.Packet{Timestamp: ts, Payload: payload, Arrival: now}, emit)
			case 2:
				if b := take(1); len(b) == 1 {
					now = now.Add(time.Duration(b[0]) * 10 * time.Millisecond)
				}
				err = dec.Idle(now, emit)
			case 3:
				stop := now
				if b := take(1); len(b) == 1 {
					stop = stop.Add(time.Duration(b[0]) * 10 * time.Millisecond)
				}
				dec.StopAt(stop)
			}
			if errors.Is(err, errFuzzBudget) {
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
		}
		if err := dec.Flush(emit); errors.Is(err, errFuzzBudget) {
			return
		} else if err != nil {
			t.Fatalf("Flush: %v", err)
		}

		st := stats.Snapshot()
		for name, v := range st.Map() {
			if v < 0 {
				t.Fatalf("%s = %d", name, v)
			}
		}
		if st.TrimmedSamples > st.DecodedSamples {
			t.Fatalf("trimmed %d of %d decoded samples", st.TrimmedSamples, st.DecodedSamples)
		}
		if want := st.DecodedSamples + st.GapSamples - st.TrimmedSamples; emitted != want {
			t.Fatalf("emitted %d frames; decoded %d + silence %d - trimmed %d = %d",
				emitted, st.DecodedSamples, st.GapSamples, st.TrimmedSamples, want)
		}
	})
}

// fuzzExtend unwraps a 16-bit sequence number to the value nearest the
// newest one seen, as RTP receivers do.
func fuzzExtend(newest int64, seq uint16) int64 {
	d := (int64(seq) - newest) & 0xffff
	if d >= 1<<15 {
		d -= 1 << 16
	}
	return newest + d
}

// FuzzReorder pushes packets with arbitrary sequence numbers (2 bytes
// each) through a Reorder of a fuzzed depth, then flushes it: each packet
// comes out at most once, in increasing extended order, starting with the
// first; each is either emitted or counted late; the sequence numbers
// skipped are counted lost.
func FuzzReorder(f *testing.F) {
	seqs := func(s ...uint16) []byte {
		var b []byte
		for _, v := range s {
			b = binary.BigEndian.AppendUint16(b, v)
		}
		return b
	}
	f.Add(uint8(0), seqs(1, 2, 3, 4))
	f.Add(uint8(3), seqs(10, 12, 11, 11, 9, 15, 14, 13, 20, 30))
	f.Add(uint8(2), seqs(65534, 65535, 0, 2, 1, 65533, 5))
	f.Add(uint8(1), seqs(0, 32768, 1, 32769, 65535))
	f.Add(uint8(0), []byte{})

	f.Fuzz(func(t *testing.T, depth uint8, seqBytes []byte) {
		stats := &media.Stats{}
		r := &media.Reorder{Depth: int(depth % 20), Stats: stats}
		var ext []int64 // extended sequence number of each packet pushed
		var newest int64
		var out []int // indices of the packets emitted, in order
		emit := func(p media.Packet) error {
			out = append(out, int(p.Timestamp))
			return nil
		}
		for i := 0; i+1 < len(seqBytes); i += 2 {
			seq := binary.BigEndian.Uint16(seqBytes[i:])
			e := int64(seq)
			if len(ext) > 0 {
				e = fuzzExtend(newest, seq)
			}
			if len(ext) == 0 || e > newest {
				newest = e
			}
			ext = append(ext, e)
			if err := r.Push(media.Packet{SequenceNumber: seq, Timestamp: uint32(len(ext) - 1)}, emit); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.Flush(emit); err != nil {
			t.Fatal(err)
		}

		seen := map[int]bool{}
		for k, i := range out {
			if i < 0 || i >= len(ext) || seen[i] {
				t.Fatalf("packet %d emitted twice (or never pushed); emitted %v", i, out)
			}
			seen[i] = true
			if k > 0 && ext[i] <= ext[out[k-1]] {
				t.Fatalf("packet %d (seq %d) emitted after packet %d (seq %d)", i, ext[i], out[k-1], ext[out[k-1]])
			}
		}
		st := stats.Snapshot()
		if st.Packets != int64(len(ext)) || st.Packets != int64(len(out))+st.LatePackets {
			t.Fatalf("pushed %d, counted %d: %d emitted + %d late", len(ext), st.Packets, len(out), st.LatePackets)
		}
		if len(ext) == 0 {
			return
		}
		if out[0] != 0 {
			t.Fatalf("first packet emitted is %d, not the first pushed", out[0])
		}
		span := ext[out[len(out)-1]] - ext[out[0]] + 1
		if st.LostPackets != span-int64(len(out)) {
			t.Fatalf("%d lost, but %d sequence numbers were skipped between %d and %d",
				st.LostPackets, span-int64(len(out)), ext[out[0]], ext[out[len(out)-1]])
		}
	})
}
