package ogg_test

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/pion/opus"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/ogg"
)

// span keeps what a trim of [from, to) keeps.
func span(from, to time.Duration) func(at, dur time.Duration) bool {
	return media.Selection{Start: from, End: to}.Keeps
}

// packetsOf reads a stream's audio packets, copied.
func packetsOf(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var pkts [][]byte
	if err := ogg.Packets(bytes.NewReader(b), func(_ int64, p []byte) error {
		pkts = append(pkts, slices.Clone(p))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return pkts
}

// A cut at packet boundaries keeps the selection within a packet, the
// packets in it byte for byte, and a stream that decodes; the source's end
// trim (its last granule short of its packets) carries over when the cut
// keeps the end.
func TestCutKeepsPacketsAndLength(t *testing.T) {
	for _, file := range []string{"tone-440hz-mono.opus", "stereo-44100-0.7s.opus"} {
		src := read(t, file)
		srcInfo, err := ogg.Probe(bytes.NewReader(src))
		if err != nil {
			t.Fatal(err)
		}
		all := packetsOf(t, src)
		length := srcInfo.Duration
		for _, c := range []struct{ from, to time.Duration }{
			{0, length},
			{0, length / 2},
			{length / 3, length},
			{length / 4, length * 3 / 4},
			{213 * time.Millisecond, 301 * time.Millisecond},
		} {
			var out bytes.Buffer
			info, err := ogg.Cut(&out, bytes.NewReader(src), int64(len(src)), span(c.from, c.to))
			if err != nil {
				t.Fatalf("%s %v–%v: %v", file, c.from, c.to, err)
			}
			got, err := ogg.Probe(bytes.NewReader(out.Bytes()))
			if err != nil {
				t.Fatalf("%s %v–%v: the cut does not read: %v", file, c.from, c.to, err)
			}
			if got.Duration != info.Duration || got.Packets != info.Packets {
				t.Errorf("%s %v–%v: Cut says %+v, Probe %+v", file, c.from, c.to, info, got)
			}
			want := c.to - c.from
			if d := got.Duration - want; d < -20*time.Millisecond || d > 20*time.Millisecond {
				t.Errorf("%s %v–%v: %v long, want %v ± 20 ms", file, c.from, c.to, got.Duration, want)
			}
			if c.from == 0 && c.to == length && (got.Granule != srcInfo.Granule || got.Duration != length) {
				t.Errorf("%s: the whole kept is %+v, the source %+v", file, got, srcInfo)
			}
			if got.PreSkip != srcInfo.PreSkip || got.Channels != srcInfo.Channels || got.Serial != srcInfo.Serial {
				t.Errorf("%s: header %+v, source %+v", file, got, srcInfo)
			}
			cut := packetsOf(t, out.Bytes())
			first := int((c.from + 6500*time.Microsecond + 10*time.Millisecond) / (20 * time.Millisecond))
			if !slices.EqualFunc(cut, all[first:first+len(cut)], bytes.Equal) {
				t.Errorf("%s %v–%v: the packets kept are not the source's from packet %d", file, c.from, c.to, first)
			}
			decodes(t, cut, got.Channels)
		}
	}
}

// decodes checks every packet decodes.
func decodes(t *testing.T, pkts [][]byte, channels int) {
	t.Helper()
	dec, err := opus.NewDecoderWithOutput(48000, channels)
	if err != nil {
		t.Fatal(err)
	}
	pcm := make([]float32, 5760*channels)
	for i, p := range pkts {
		if _, err := dec.DecodeToFloat32(p, pcm); err != nil {
			t.Fatalf("packet %d of the cut does not decode: %v", i, err)
		}
	}
}

// A selection of no whole packet writes nothing.
func TestCutOfNothingWritesNothing(t *testing.T) {
	src := read(t, "tone-440hz-mono.opus")
	var out bytes.Buffer
	_, err := ogg.Cut(&out, bytes.NewReader(src), int64(len(src)), span(100*time.Millisecond, 103*time.Millisecond))
	if !errors.Is(err, ogg.ErrNothingKept) || out.Len() != 0 {
		t.Fatalf("err %v, %d bytes written; want ErrNothingKept and none", err, out.Len())
	}
	_, err = ogg.Cut(&out, bytes.NewReader(src[:100]), 100, span(0, time.Second))
	if !errors.Is(err, ogg.ErrNotOgg) || out.Len() != 0 {
		t.Fatalf("a broken stream: err %v, %d bytes written", err, out.Len())
	}
}

// BenchmarkCutHour cuts the middle 40 minutes out of an hour of Opus
// (the fixture's packets over and over, as a live take kept as Opus
// holds them): go test -run - -bench CutHour -benchtime 1x ./media/ogg/
func BenchmarkCutHour(b *testing.B) {
	var pkts [][]byte
	if err := ogg.Packets(bytes.NewReader(read(b, "tone-440hz-mono.opus")), func(_ int64, p []byte) error {
		pkts = append(pkts, slices.Clone(p))
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	var hour bytes.Buffer
	w, err := ogg.NewWriter(&hour, 1, 1, 48000, "bench")
	if err != nil {
		b.Fatal(err)
	}
	for i := range 180_000 { // 20 ms each
		if err := w.WritePacket(pkts[i%len(pkts)]); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	src := hour.Bytes()
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		info, err := ogg.Cut(io.Discard, bytes.NewReader(src), int64(len(src)), span(10*time.Minute, 50*time.Minute))
		if err != nil || info.Duration < 40*time.Minute-20*time.Millisecond {
			b.Fatal(info, err)
		}
	}
}
