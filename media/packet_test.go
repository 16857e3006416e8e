package media

import (
	"slices"
	"testing"
	"time"
)

// pushAll feeds packets with the given sequence numbers through a Reorder
// and returns the sequence numbers it emitted, flush included.
func pushAll(t *testing.T, r *Reorder, seqs []uint16) []uint16 {
	t.Helper()
	var got []uint16
	emit := func(p Packet) error { got = append(got, p.SequenceNumber); return nil }
	for _, s := range seqs {
		if err := r.Push(Packet{SequenceNumber: s, Timestamp: uint32(s) * 960}, emit); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Flush(emit); err != nil {
		t.Fatal(err)
	}
	return got
}

func TestReorder(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in         []uint16
		want       []uint16
		lost, late int64
	}{
		{"InOrder", []uint16{1, 2, 3, 4}, []uint16{1, 2, 3, 4}, 0, 0},
		{"Swapped", []uint16{1, 3, 2, 5, 4, 6}, []uint16{1, 2, 3, 4, 5, 6}, 0, 0},
		{"Duplicate", []uint16{1, 2, 2, 3}, []uint16{1, 2, 3}, 0, 1},
		{"DuplicateWhileWaiting", []uint16{1, 3, 3, 2}, []uint16{1, 2, 3}, 0, 1},
		{"LostAtEnd", []uint16{1, 2, 4}, []uint16{1, 2, 4}, 1, 0},
		{"Wraps", []uint16{65534, 65535, 0, 1}, []uint16{65534, 65535, 0, 1}, 0, 0},
		{"WrapsSwapped", []uint16{65534, 0, 65535, 1}, []uint16{65534, 65535, 0, 1}, 0, 0},
		// Depth 3: packet 2 is waited for while 3, 4, 5 arrive, then given up.
		{"GivesUpAfterDepth", []uint16{1, 3, 4, 5, 6, 2}, []uint16{1, 3, 4, 5, 6}, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stats := &Stats{}
			r := &Reorder{Depth: 3, Stats: stats}
			got := pushAll(t, r, tc.in)
			if !slices.Equal(got, tc.want) {
				t.Errorf("emitted %v, want %v", got, tc.want)
			}
			if stats.LostPackets.Load() != tc.lost || stats.LatePackets.Load() != tc.late {
				t.Errorf("lost %d late %d, want %d %d", stats.LostPackets.Load(), stats.LatePackets.Load(), tc.lost, tc.late)
			}
			if stats.Packets.Load() != int64(len(tc.in)) {
				t.Errorf("counted %d packets, want %d", stats.Packets.Load(), len(tc.in))
			}
		})
	}
}

// TestReorderHoldsAtMostDepth checks the latency bound: with one packet
// missing, output resumes once Depth later packets are held.
func TestReorderHoldsAtMostDepth(t *testing.T) {
	r := &Reorder{Depth: 4, Stats: &Stats{}}
	var got []uint16
	emit := func(p Packet) error { got = append(got, p.SequenceNumber); return nil }
	for s := uint16(10); s < 20; s++ {
		if s == 12 {
			continue
		}
		if err := r.Push(Packet{SequenceNumber: s}, emit); err != nil {
			t.Fatal(err)
		}
		if held := r.pending.Len(); held > 4 {
			t.Fatalf("holding %d packets after seq %d, depth is 4", held, s)
		}
	}
	if !slices.Equal(got[:3], []uint16{10, 11, 13}) {
		t.Errorf("emitted %v", got)
	}
}

func TestReorderJitter(t *testing.T) {
	for _, tc := range []struct {
		name     string
		offset   func(i int) time.Duration // arrival error of packet i
		min, max time.Duration
	}{
		{"Steady", func(int) time.Duration { return 0 }, 0, 0},
		// Alternating ±5 ms: consecutive transit differences of 10 ms.
		{"Alternating", func(i int) time.Duration { return time.Duration(i%2*10-5) * time.Millisecond }, 9 * time.Millisecond, 10 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			stats := &Stats{}
			r := &Reorder{Stats: stats}
			start := time.Unix(1000, 0)
			for i := range 500 {
				p := Packet{SequenceNumber: uint16(i), Timestamp: uint32(i * 960), Payload: []byte{0xfc},
					Arrival: start.Add(time.Duration(i)*20*time.Millisecond + tc.offset(i))}
				if err := r.Push(p, func(Packet) error { return nil }); err != nil {
					t.Fatal(err)
				}
			}
			got := time.Duration(stats.JitterMicros.Load()) * time.Microsecond
			if got < tc.min || got > tc.max {
				t.Errorf("jitter %v, want %v..%v", got, tc.min, tc.max)
			}
		})
	}
}

// TestReorderJitterIgnoresPadding: padding-only packets (a sender's
// bandwidth probe) go out when the pacer sends them, stamped with the
// previous audio packet's timestamp; they say nothing about the network's
// jitter. Audio arriving exactly on time, with probes between, is no
// jitter at all.
func TestReorderJitterIgnoresPadding(t *testing.T) {
	stats := &Stats{}
	r := &Reorder{Stats: stats}
	start := time.Unix(1000, 0)
	seq := uint16(1)
	emit := func(Packet) error { return nil }
	for i := range 50 {
		ts := uint32(i * 960)
		at := start.Add(time.Duration(i) * 20 * time.Millisecond)
		if err := r.Push(Packet{SequenceNumber: seq, Timestamp: ts, Payload: []byte{0xfc}, Arrival: at}, emit); err != nil {
			t.Fatal(err)
		}
		seq++
		for k := range 3 { // a burst of probes after it
			p := Packet{SequenceNumber: seq, Timestamp: ts, Padding: 255, Arrival: at.Add(time.Duration(k+1) * 3 * time.Millisecond)}
			if err := r.Push(p, emit); err != nil {
				t.Fatal(err)
			}
			seq++
		}
	}
	if j := stats.JitterMicros.Load(); j != 0 {
		t.Errorf("jitter %d µs from audio that arrived exactly on time", j)
	}
	if n := stats.Packets.Load(); n != 200 {
		t.Errorf("counted %d packets, want 200", n)
	}
}
