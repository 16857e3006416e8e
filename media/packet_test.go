package media

import (
	"math/rand/v2"
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

// arrivalRun feeds a Reorder packets with arrival times and notes, for
// every packet emitted, the time of the push (or Idle) that released it.
type arrivalRun struct {
	r        *Reorder
	start    time.Time
	now      time.Time
	released map[uint16]time.Time // sequence number → when emitted
	order    []uint16
	check    func(seq int) // when set, called after every push
}

func newArrivalRun(r *Reorder) *arrivalRun {
	return &arrivalRun{r: r, start: time.Unix(1000, 0), released: map[uint16]time.Time{}}
}

func (a *arrivalRun) emit(p Packet) error {
	a.released[p.SequenceNumber] = a.now
	a.order = append(a.order, p.SequenceNumber)
	return nil
}

// due is when packet i was sent: one packet time (20 ms) apart.
func (a *arrivalRun) due(i int) time.Time {
	return a.start.Add(time.Duration(i) * 20 * time.Millisecond)
}

// run sends packets from..to-1 (packet i with timestamp i·960), each
// delayed by late(i) after its send time unless late says it is lost, and
// pushes them in order of arrival.
func (a *arrivalRun) run(t *testing.T, from, to int, late func(i int) (time.Duration, bool)) {
	t.Helper()
	var pkts []Packet
	for i := from; i < to; i++ {
		d, ok := late(i)
		if ok {
			pkts = append(pkts, Packet{SequenceNumber: uint16(i), Timestamp: uint32(i * 960), Payload: []byte{0xfc}, Arrival: a.due(i).Add(d)})
		}
	}
	slices.SortStableFunc(pkts, func(x, y Packet) int { return x.Arrival.Compare(y.Arrival) })
	for _, p := range pkts {
		a.now = p.Arrival
		if err := a.r.Push(p, a.emit); err != nil {
			t.Fatal(err)
		}
		if a.check != nil {
			a.check(int(p.SequenceNumber))
		}
	}
}

func (a *arrivalRun) idle(t *testing.T, now time.Time) {
	t.Helper()
	a.now = now
	if err := a.r.Idle(now, a.emit); err != nil {
		t.Fatal(err)
	}
}

// TestReorderLossLatency: on a steady stream, the packets after a single
// loss wait for the missing one only about a packet time past its
// expected arrival (the hold at no jitter), not the 10 packets (200 ms)
// of the depth.
func TestReorderLossLatency(t *testing.T) {
	stats := &Stats{}
	a := newArrivalRun(&Reorder{Stats: stats})
	a.run(t, 0, 200, func(i int) (time.Duration, bool) {
		// A steady network: arrival within ±0.2 ms of the send time.
		return time.Duration(i%3-1) * 200 * time.Microsecond, i != 100
	})
	if stats.LostPackets.Load() != 1 {
		t.Fatalf("lost %d, want 1", stats.LostPackets.Load())
	}
	// When 101 arrives, 100 is 20 ms late: within the hold of just over
	// 20 ms. When 102 arrives it is 40 ms late: 101 goes on.
	wait := a.released[101].Sub(a.due(101))
	if wait > 40*time.Millisecond || wait < 15*time.Millisecond {
		t.Errorf("packet 101 waited %v for the lost 100, want about 20ms (the hold is %v)", wait, a.r.Hold())
	}
	if h := a.r.Hold(); h < 20*time.Millisecond || h > 25*time.Millisecond {
		t.Errorf("hold %v on a steady stream, want one packet time and a little", h)
	}
	if !slices.IsSorted(a.order) || len(a.order) != 199 {
		t.Errorf("emitted %d packets, in order: %v", len(a.order), slices.IsSorted(a.order))
	}
}

// TestReorderHighJitter: with 20 ms of jitter the hold grows to 4·20 + 20
// ms, so packets arriving over 40 ms late (behind one or two later ones)
// are put back in order, not lost; and uniform random delays up to 60 ms (20 ms of
// jitter) lose nothing.
func TestReorderHighJitter(t *testing.T) {
	t.Run("Alternating", func(t *testing.T) {
		stats := &Stats{}
		a := newArrivalRun(&Reorder{Stats: stats})
		lateOnes := 0
		a.run(t, 0, 500, func(i int) (time.Duration, bool) {
			if i >= 100 && i%25 == 0 {
				lateOnes++
				return 45 * time.Millisecond, true
			}
			return time.Duration(i%2) * 20 * time.Millisecond, true // alternately 0 and 20 ms: |D| = 20 ms
		})
		if j := time.Duration(stats.JitterMicros.Load()) * time.Microsecond; j < 19*time.Millisecond || j > 25*time.Millisecond {
			t.Fatalf("jitter %v, want about 20ms", j)
		}
		if st := stats.Snapshot(); st.LostPackets != 0 || st.LatePackets != 0 || st.RecoveredPackets < int64(lateOnes) {
			t.Errorf("lost %d, late %d, recovered %d; want 0, 0, at least %d", st.LostPackets, st.LatePackets, st.RecoveredPackets, lateOnes)
		}
		if h := a.r.Hold(); h < 90*time.Millisecond || h > 120*time.Millisecond {
			t.Errorf("hold %v, want about 4·20+20 ms", h)
		}
		if !slices.IsSorted(a.order) || len(a.order) != 500 {
			t.Errorf("emitted %d packets, in order: %v", len(a.order), slices.IsSorted(a.order))
		}
	})
	t.Run("Uniform", func(t *testing.T) {
		stats := &Stats{}
		a := newArrivalRun(&Reorder{Stats: stats})
		rng := rand.New(rand.NewPCG(1, 2))
		a.run(t, 0, 5000, func(int) (time.Duration, bool) {
			return time.Duration(rng.Int64N(int64(60 * time.Millisecond))), true
		})
		st := stats.Snapshot()
		if st.LostPackets != 0 || st.LatePackets != 0 {
			t.Errorf("lost %d, late %d of 5000 delayed up to 60 ms (jitter %d µs)", st.LostPackets, st.LatePackets, st.JitterMicros)
		}
		if st.RecoveredPackets < 1000 {
			t.Errorf("recovered %d: the delays should reorder many packets", st.RecoveredPackets)
		}
	})
}

// TestReorderMaxHold: however large the jitter, a missing packet is not
// waited for longer than MaxHold after it was due, by later packets or by
// Idle when none come; and the count bound still holds.
func TestReorderMaxHold(t *testing.T) {
	const maxHold = 100 * time.Millisecond
	t.Run("Packets", func(t *testing.T) {
		stats := &Stats{}
		a := newArrivalRun(&Reorder{Depth: 1000, MaxHold: maxHold, Stats: stats})
		a.check = func(seq int) {
			if seq == 149 {
				if h := a.r.Hold(); h != maxHold {
					t.Fatalf("hold %v, want the max %v", h, maxHold)
				}
			}
		}
		// Alternately 0 and 90 ms late: 4·J is far beyond the max, and
		// no packet is later than the max.
		a.run(t, 0, 300, func(i int) (time.Duration, bool) {
			return time.Duration(i%2) * 90 * time.Millisecond, i != 150
		})
		// 150 was due 20 ms after 149 arrived (90 ms late); 151 goes on
		// at the first arrival past that plus the max.
		dueAt := a.due(150).Add(90 * time.Millisecond)
		if got := a.released[151].Sub(dueAt); got <= maxHold || got > maxHold+20*time.Millisecond {
			t.Errorf("151 released %v after 150 was due, want within a packet time past the max %v", got, maxHold)
		}
		if st := stats.Snapshot(); st.LostPackets != 1 || st.LatePackets != 0 {
			t.Errorf("lost %d, late %d; want 1, 0", st.LostPackets, st.LatePackets)
		}
	})
	t.Run("Random", func(t *testing.T) {
		// Random delays, losses and stalls: after every push, no gap is
		// held past its expected arrival plus the max, and no more than
		// Depth packets are held.
		r := &Reorder{Depth: 30, MaxHold: maxHold, Stats: &Stats{}}
		a := newArrivalRun(r)
		a.check = func(seq int) {
			if h := r.Hold(); h > maxHold {
				t.Fatalf("hold %v beyond the max", h)
			}
			if len(r.pending) > r.Depth {
				t.Fatalf("holding %d packets, depth %d", len(r.pending), r.Depth)
			}
			if len(r.pending) > 0 && r.pending[0].seq != r.next {
				if waited := time.Duration(r.newestAt - r.expectedAt()); waited > maxHold {
					t.Fatalf("after packet %d: a gap held %v past its expected arrival", seq, waited)
				}
			}
		}
		rng := rand.New(rand.NewPCG(3, 4))
		a.run(t, 0, 20000, func(int) (time.Duration, bool) {
			late := time.Duration(rng.Int64N(int64(50 * time.Millisecond)))
			if rng.IntN(100) == 0 {
				late += 400 * time.Millisecond // a stalled path
			}
			return late, rng.IntN(20) != 0
		})
		if r.Stats.LostPackets.Load() < 900 || r.Stats.RecoveredPackets.Load() < 1000 {
			t.Errorf("lost %d, recovered %d: want about 1000 lost and many recovered",
				r.Stats.LostPackets.Load(), r.Stats.RecoveredPackets.Load())
		}
	})
	t.Run("Idle", func(t *testing.T) {
		stats := &Stats{}
		a := newArrivalRun(&Reorder{MaxHold: 30 * time.Millisecond, Stats: stats})
		a.run(t, 0, 50, func(i int) (time.Duration, bool) {
			return time.Duration(i%2) * 20 * time.Millisecond, true // hold: the max
		})
		a.run(t, 50, 52, func(i int) (time.Duration, bool) { return 0, i != 50 }) // 50 lost; then the sender stops
		dueAt := a.due(49).Add(20*time.Millisecond + 20*time.Millisecond)         // 49 came 20 ms late
		a.idle(t, dueAt.Add(29*time.Millisecond))
		if _, ok := a.released[51]; ok {
			t.Fatal("51 released before the hold ran out")
		}
		a.idle(t, dueAt.Add(31*time.Millisecond))
		if _, ok := a.released[51]; !ok || stats.LostPackets.Load() != 1 {
			t.Errorf("51 still held (lost %d) after the hold ran out with no packet coming", stats.LostPackets.Load())
		}
	})
}

// TestReorderWaitsForPause: a packet lost at the end of a pause (DTX: the
// sequence runs on, the timestamp jumps) was due when the pause ended, not
// a packet time after the last packet before it; its successor is held for
// the hold from then.
func TestReorderWaitsForPause(t *testing.T) {
	stats := &Stats{}
	r := &Reorder{Stats: stats}
	a := newArrivalRun(r)
	a.run(t, 0, 50, func(int) (time.Duration, bool) { return 0, true })
	// Packets 50 and 51 carry timestamps 400 ms on (the pause); 50 is
	// swapped with 51, arriving 5 ms after it.
	push := func(seq int, at time.Time) {
		a.now = at
		p := Packet{SequenceNumber: uint16(seq), Timestamp: uint32((seq + 20) * 960), Payload: []byte{0xfc}, Arrival: at}
		if err := r.Push(p, a.emit); err != nil {
			t.Fatal(err)
		}
	}
	push(51, a.due(71))
	push(50, a.due(71).Add(5*time.Millisecond))
	if st := stats.Snapshot(); st.LostPackets != 0 || st.LatePackets != 0 || len(a.order) != 52 {
		t.Errorf("lost %d late %d emitted %d: the packet after the pause was given up", st.LostPackets, st.LatePackets, len(a.order))
	}
}
