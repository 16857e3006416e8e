package packetio

import (
	"bytes"
	"testing"
)

// These test patch 1 (PATCHES.md): a drained buffer lets storage grown by
// a burst go, and steady traffic never reallocates.

const shrinkTestKey = "seq"

func writeSeq(t *testing.T, b *Buffer, seq int) {
	t.Helper()
	payload := bytes.Repeat([]byte{byte(seq)}, 100+seq%7)
	if _, err := b.Write(payload, Attributes{{Key: shrinkTestKey, Value: seq}}); err != nil {
		t.Fatalf("write %d: %v", seq, err)
	}
}

func readSeq(t *testing.T, b *Buffer, seq int) {
	t.Helper()
	buf := make([]byte, 200)
	n, attrs, err := b.Read(buf, nil)
	if err != nil {
		t.Fatalf("read %d: %v", seq, err)
	}
	want := bytes.Repeat([]byte{byte(seq)}, 100+seq%7)
	if !bytes.Equal(buf[:n], want) || attrs.Get(shrinkTestKey) != seq {
		t.Fatalf("read %d: got %d bytes of %v, attribute %v", seq, n, buf[:min(n, 4)], attrs.Get(shrinkTestKey))
	}
}

func TestBufferShrinksWhenDrained(t *testing.T) {
	b := NewBuffer()
	const burst = 300 // about 32 KB queued, as behind a CPU busy for 300 packet times
	for seq := range burst {
		writeSeq(t, b, seq)
	}
	if len(b.data) <= shrinkDataAbove || len(b.attributes) <= shrinkAttributesAbove {
		t.Fatalf("the burst grew the buffer to %d bytes, %d attribute slots: not past the thresholds (%d, %d), the test tests nothing",
			len(b.data), len(b.attributes), shrinkDataAbove, shrinkAttributesAbove)
	}
	for seq := range burst - 1 {
		readSeq(t, b, seq)
	}
	if len(b.data) <= shrinkDataAbove {
		t.Fatalf("storage went with a packet still queued: %d bytes", len(b.data))
	}
	readSeq(t, b, burst-1)
	if len(b.data) != 0 || len(b.attributes) != 0 {
		t.Errorf("drained after the burst, the buffer kept %d bytes and %d attribute slots; want 0", len(b.data), len(b.attributes))
	}
	// It works as before after shrinking: packets, order and attributes.
	for seq := range 20 {
		writeSeq(t, b, seq)
	}
	for seq := range 20 {
		readSeq(t, b, seq)
	}
}

func TestBufferKeepsStorageUnderTheThreshold(t *testing.T) {
	b := NewBuffer()
	for seq := range 10 { // about 1 KB: the first 2 KB ring
		writeSeq(t, b, seq)
	}
	for seq := range 10 {
		readSeq(t, b, seq)
	}
	if len(b.data) == 0 || len(b.attributes) == 0 {
		t.Errorf("a buffer under the thresholds let its storage go (%d bytes, %d slots): steady traffic would reallocate", len(b.data), len(b.attributes))
	}
}

func TestBufferSteadyTrafficDoesNotAllocate(t *testing.T) {
	b := NewBuffer()
	payload := make([]byte, 120)
	attrs := Attributes{{Key: shrinkTestKey, Value: 1}}
	out := make([]byte, 200)
	var got Attributes
	step := func() {
		for range 3 { // a reader a few packets behind
			if _, err := b.Write(payload, attrs); err != nil {
				t.Fatal(err)
			}
		}
		for range 3 {
			var err error
			if _, got, err = b.Read(out, got); err != nil {
				t.Fatal(err)
			}
		}
	}
	step()
	if allocs := testing.AllocsPerRun(100, step); allocs != 0 {
		t.Errorf("steady traffic: %v allocations per step, want 0", allocs)
	}
}

// TestBufferShrinkKeepsOrder interleaves bursts and partial drains, so
// shrinking happens between packets that wrap the ring.
func TestBufferShrinkKeepsOrder(t *testing.T) {
	b := NewBuffer()
	next, want := 0, 0
	for round, burst := range []int{5, 150, 3, 400, 1, 90, 260} {
		for range burst {
			writeSeq(t, b, next%256)
			next++
		}
		// Leave some queued on odd rounds, drain on even ones.
		keep := 0
		if round%2 == 1 {
			keep = burst / 3
		}
		for want < next-keep {
			readSeq(t, b, want%256)
			want++
		}
	}
	for want < next {
		readSeq(t, b, want%256)
		want++
	}
	if b.Count() != 0 || b.Size() != 0 {
		t.Fatalf("count %d, size %d after reading all", b.Count(), b.Size())
	}
}
