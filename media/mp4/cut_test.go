package mp4

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

// keepSpan keeps what a trim of [from, to) keeps.
func keepSpan(from, to time.Duration) func(at, dur time.Duration) bool {
	return media.Selection{Start: from, End: to}.Keeps
}

// sampleData reads the audio samples of a file, fragmented or not, in
// order, with their start times.
func sampleData(t testing.TB, b []byte) ([][]byte, []time.Duration) {
	t.Helper()
	wk := &walker{r: bytes.NewReader(b), size: int64(len(b)), collect: true}
	if err := wk.walk(); err != nil {
		t.Fatal(err)
	}
	if !wk.info.Fragmented {
		if err := wk.readSampleTables(); err != nil {
			t.Fatal(err)
		}
	}
	var data [][]byte
	var starts []time.Duration
	var ticks uint64
	for _, r := range wk.runs {
		at := r.start
		for i := r.first; i < r.first+r.count; i++ {
			data = append(data, b[at:at+int64(wk.sizes[i])])
			starts = append(starts, time.Duration(ticks)*time.Second/time.Duration(wk.audio.timescale))
			at += int64(wk.sizes[i])
			ticks += uint64(wk.durs[i])
		}
	}
	return data, starts
}

// recordedAndStored is the fixture at path as recorded and as Fix stores it.
func recordedAndStored(t *testing.T, path string) map[string][]byte {
	t.Helper()
	raw := fixture(t, path)
	var fixed bytes.Buffer
	if _, err := Fix(&fixed, bytes.NewReader(raw), int64(len(raw))); err != nil {
		t.Fatal(err)
	}
	return map[string][]byte{"recorded": raw, "stored": fixed.Bytes()}
}

// Cutting each fixture, fragmented as recorded and ordinary as stored,
// keeps the selection within one AAC frame, the frames in it byte for
// byte, and the sample entry; the result is an ordinary MP4 Probe reads.
func TestCutKeepsFramesAndLength(t *testing.T) {
	for _, path := range []string{fragPath, flatPath, webkitPath} {
		for name, src := range recordedAndStored(t, path) {
			info := probe(t, src)
			frame := samples(aacFrame, info.Timescale)
			all, starts := sampleData(t, src)
			length := info.Duration
			for _, c := range []struct{ from, to time.Duration }{
				{0, length},
				{0, length / 2},
				{length / 3, length},
				{length / 4, length * 3 / 4},
				{333 * time.Millisecond, 777 * time.Millisecond},
			} {
				var out bytes.Buffer
				got, err := Cut(&out, bytes.NewReader(src), int64(len(src)), keepSpan(c.from, c.to))
				if err != nil {
					t.Fatalf("%s %s %v–%v: %v", path, name, c.from, c.to, err)
				}
				cut := out.Bytes()
				p := probe(t, cut)
				if p.Fragmented || p.Duration != got.Duration || p.Samples != got.Samples || p.Codec != info.Codec ||
					p.Channels != info.Channels || p.SampleRate != info.SampleRate {
					t.Errorf("%s %s %v–%v: Cut says %+v, Probe %+v", path, name, c.from, c.to, got, p)
				}
				if d := p.Duration - (c.to - c.from); d < -frame || d > frame {
					t.Errorf("%s %s %v–%v: %v long, want %v ± %v", path, name, c.from, c.to, p.Duration, c.to-c.from, frame)
				}
				if !bytes.Equal(sampleEntry(t, cut), sampleEntry(t, src)) {
					t.Errorf("%s %s: the sample entry changed", path, name)
				}
				first := slices.IndexFunc(starts, func(s time.Duration) bool { return s+frame/2 >= c.from })
				kept, _ := sampleData(t, cut)
				if first < 0 || first+len(kept) > len(all) || !slices.EqualFunc(kept, all[first:first+len(kept)], bytes.Equal) {
					t.Errorf("%s %s %v–%v: the %d frames kept are not the source's from frame %d", path, name, c.from, c.to, len(kept), first)
				}
			}
		}
	}
}

// A selection of no whole frame, or a file that does not read, writes
// nothing.
func TestCutOfNothingWritesNothing(t *testing.T) {
	src := fixture(t, flatPath)
	var out bytes.Buffer
	_, err := Cut(&out, bytes.NewReader(src), int64(len(src)), keepSpan(101*time.Millisecond, 103*time.Millisecond))
	if !errors.Is(err, ErrNothingKept) || out.Len() != 0 {
		t.Fatalf("err %v, %d bytes written; want ErrNothingKept and none", err, out.Len())
	}
	_, err = Cut(&out, bytes.NewReader(src[:len(src)/2]), int64(len(src)/2), keepSpan(0, time.Second))
	if err == nil || out.Len() != 0 {
		t.Fatalf("a broken file: err %v, %d bytes written", err, out.Len())
	}
}

// Cutting several ranges (a take's pauses taken out of the middle) keeps
// their frames byte for byte, one range after the other, as long as the
// ranges together within one AAC frame, with durations that follow on
// (no gap where a pause was), in fragmented and ordinary files alike.
func TestCutKeepsSeveralRanges(t *testing.T) {
	for _, path := range []string{fragPath, flatPath, webkitPath} {
		for name, src := range recordedAndStored(t, path) {
			info := probe(t, src)
			frame := samples(aacFrame, info.Timescale)
			all, starts := sampleData(t, src)
			length := info.Duration
			pauses := []media.Selection{{Start: length / 5, End: length * 2 / 5}, {Start: length * 3 / 5, End: length * 7 / 10}}
			keep := media.WithoutPauses(pauses, length)
			var out bytes.Buffer
			got, err := Cut(&out, bytes.NewReader(src), int64(len(src)), keep.Keeps)
			if err != nil {
				t.Fatalf("%s %s: %v", path, name, err)
			}
			cut := out.Bytes()
			p := probe(t, cut)
			if p.Fragmented || p.Duration != got.Duration || p.Samples != got.Samples || p.Codec != info.Codec {
				t.Errorf("%s %s: Cut says %+v, Probe %+v", path, name, got, p)
			}
			want := length - media.PausedTotal(pauses)
			if d := p.Duration - want; d < -frame || d > frame {
				t.Errorf("%s %s: %v long, want %v ± %v", path, name, p.Duration, want, frame)
			}
			var expect [][]byte
			for i, s := range starts {
				if keep.Keeps(s, frame) {
					expect = append(expect, all[i])
				}
			}
			kept, keptStarts := sampleData(t, cut)
			if len(kept) < len(all)/2 || !slices.EqualFunc(kept, expect, bytes.Equal) {
				t.Errorf("%s %s: %d frames kept, not the %d of the ranges byte for byte", path, name, len(kept), len(expect))
			}
			for i := 1; i < len(keptStarts); i++ {
				if gap := keptStarts[i] - keptStarts[i-1]; gap > frame+time.Millisecond {
					t.Errorf("%s %s: frame %d starts %v after the one before: a gap", path, name, i, gap)
					break
				}
			}
		}
	}
}
