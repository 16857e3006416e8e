package webm

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

// keepSpan keeps what a trim of [from, to) keeps.
func keepSpan(from, to time.Duration) func(at, dur time.Duration) bool {
	return media.Selection{Start: from, End: to}.Keeps
}

// Cutting Chromium's take, as recorded and as stored (fixed), keeps the
// selection within one packet, the packets in it byte for byte at their
// times less the cut's start, and gives a file Fix measures and that
// decodes.
func TestCutKeepsFramesAndLength(t *testing.T) {
	raw := fixture(t)
	fixed, _ := fix(t, raw)
	for name, src := range map[string][]byte{"recorded": raw, "stored": fixed} {
		all := packets(t, src)
		length := probe(t, src).Duration
		for _, c := range []struct{ from, to time.Duration }{
			{0, length},
			{0, length / 2},
			{length / 3, length},
			{450 * time.Millisecond, 1290 * time.Millisecond},
		} {
			var out bytes.Buffer
			n, d, err := Cut(&out, bytes.NewReader(src), int64(len(src)), keepSpan(c.from, c.to))
			if err != nil {
				t.Fatalf("%s %v–%v: %v", name, c.from, c.to, err)
			}
			cut, info := fix(t, out.Bytes())
			if info.Duration != d || info.Blocks != n || info.HeaderDuration != d || !info.HasCues {
				t.Errorf("%s %v–%v: Cut says %d frames, %v; fixed: %+v", name, c.from, c.to, n, d, info)
			}
			if diff := d - (c.to - c.from); diff < -opusPacket || diff > opusPacket {
				t.Errorf("%s %v–%v: %v long, want %v ± %v", name, c.from, c.to, d, c.to-c.from, opusPacket)
			}
			got := packets(t, cut)
			first := -1
			for i, p := range all {
				if p.ts+opusPacket/2 >= c.from {
					first = i
					break
				}
			}
			if first < 0 || len(got) == 0 || first+len(got) > len(all) {
				t.Fatalf("%s %v–%v: %d packets from %d of %d", name, c.from, c.to, len(got), first, len(all))
			}
			for i, p := range got {
				want := all[first+i]
				if !bytes.Equal(p.data, want.data) || p.ts != want.ts-all[first].ts {
					t.Fatalf("%s %v–%v: packet %d at %v is not the source's %d at %v less %v",
						name, c.from, c.to, i, p.ts, first+i, want.ts, all[first].ts)
				}
			}
			pcm, ch, err := DecodeOpus(bytes.NewReader(cut), int64(len(cut)))
			if err != nil || ch != probe(t, src).Channels || len(pcm) == 0 || len(pcm)/ch > int(d*48/time.Millisecond) {
				t.Fatalf("%s %v–%v: decode: %d samples, %d channels, %v", name, c.from, c.to, len(pcm), ch, err)
			}
		}
	}
}

// Cutting several ranges (a take's pauses taken out) keeps their packets
// byte for byte, each a packet after the one before: the gaps close, and
// the length is the ranges' within one packet.
func TestCutKeepsSeveralRanges(t *testing.T) {
	raw := fixture(t)
	fixed, _ := fix(t, raw)
	for name, src := range map[string][]byte{"recorded": raw, "stored": fixed} {
		all := packets(t, src)
		length := probe(t, src).Duration
		pauses := []media.Selection{{Start: length / 5, End: length * 2 / 5}, {Start: length * 3 / 5, End: length * 7 / 10}}
		keep := media.WithoutPauses(pauses, length)
		var out bytes.Buffer
		n, d, err := Cut(&out, bytes.NewReader(src), int64(len(src)), keep.Keeps)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		cut, info := fix(t, out.Bytes())
		if info.Duration != d || info.Blocks != n {
			t.Errorf("%s: Cut says %d frames, %v; fixed: %+v", name, n, d, info)
		}
		if diff := d - (length - media.PausedTotal(pauses)); diff < -opusPacket || diff > opusPacket {
			t.Errorf("%s: %v long, want %v ± %v", name, d, length-media.PausedTotal(pauses), opusPacket)
		}
		var want []packet
		for _, p := range all {
			if keep.Keeps(p.ts, opusPacket) {
				want = append(want, p)
			}
		}
		got := packets(t, cut)
		if len(got) != len(want) {
			t.Fatalf("%s: %d packets kept, want %d", name, len(got), len(want))
		}
		for i, p := range got {
			if !bytes.Equal(p.data, want[i].data) || (i > 0 && p.ts-got[i-1].ts > opusPacket+time.Millisecond) {
				t.Fatalf("%s: packet %d at %v: not the source's, or a gap before it", name, i, p.ts)
			}
		}
	}
}

// A selection of no whole frame, or a file that does not read, writes
// nothing.
func TestCutOfNothingWritesNothing(t *testing.T) {
	src := fixture(t)
	var out bytes.Buffer
	_, _, err := Cut(&out, bytes.NewReader(src), int64(len(src)), keepSpan(100*time.Millisecond, 110*time.Millisecond))
	if !errors.Is(err, ErrNothingKept) || out.Len() != 0 {
		t.Fatalf("err %v, %d bytes written; want ErrNothingKept and none", err, out.Len())
	}
	_, _, err = Cut(&out, bytes.NewReader(src[:300]), 300, keepSpan(0, time.Second))
	if err == nil || out.Len() != 0 {
		t.Fatalf("a broken file: err %v, %d bytes written", err, out.Len())
	}
}
