package media_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

// frFPS are the frame rates the framing tests cover: the limits, the film
// and TV rates, and primes that divide no sample rate.
var frFPS = []int{1, 24, 25, 29, 30, 59, 60}

// frValue is the ramp test signal: sample i (per channel) of channel c
// holds its own interleaved position, exact in float32 below 2^24.
func frValue(i int64, channels, c int) float32 { return float32(i*int64(channels) + int64(c)) }

// frBound is where frame k of a grid at fps starts, counted from the grid's
// first sample: floor(k*rate/fps), computed independently of the framer.
func frBound(k int64, rate, fps int) int64 { return k * int64(rate) / int64(fps) }

// frChange is an fps change made after at samples per channel were pushed.
type frChange struct {
	at  int64
	fps int
}

// frSlot is where a frame should lie.
type frSlot struct {
	start, len int64
	fps        int
}

// frExpect models the frame grid for total samples with fps changes: a
// change takes effect at the first frame boundary at or after it (the frame
// in progress keeps its length), the later of two changes before a boundary
// wins, and the trailing samples form a short frame.
func frExpect(rate, fps int, total int64, changes []frChange) []frSlot {
	var slots []frSlot
	var seg, k int64
	for start := int64(0); start < total; {
		newFPS := fps
		for len(changes) > 0 && changes[0].at <= start {
			newFPS = changes[0].fps
			changes = changes[1:]
		}
		if newFPS != fps {
			fps, seg, k = newFPS, start, 0
		}
		end := min(seg+frBound(k+1, rate, fps), total)
		slots = append(slots, frSlot{start, end - start, fps})
		start, k = end, k+1
	}
	return slots
}

// frRecorder collects frames and checks, as each arrives, that it carries
// the Arrival of the block being pushed.
type frRecorder struct {
	t       testing.TB
	frames  []media.Frame
	arrival time.Time
}

func (r *frRecorder) emit(f media.Frame) error {
	if !f.Arrival.Equal(r.arrival) {
		r.t.Errorf("frame %d: Arrival %v, want %v (the block that completed it)", f.Index, f.Arrival, r.arrival)
	}
	r.frames = append(r.frames, f.Clone()) // Samples are valid only during emit
	return nil
}

// frPush pushes the ramp for total samples per channel in random blocks
// (some empty), making the changes at their positions, then flushes. It
// reuses one input buffer, so a frame that kept a reference to it would
// show as wrong samples.
func frPush(t testing.TB, fr *media.Framer, rng *rand.Rand, rate, channels int, total int64, maxBlock int, changes []frChange) []media.Frame {
	t.Helper()
	rec := &frRecorder{t: t}
	buf := make([]float32, maxBlock*channels)
	for pos, block := int64(0), 0; ; block++ {
		for len(changes) > 0 && changes[0].at == pos {
			if err := fr.SetFPS(changes[0].fps); err != nil {
				t.Fatalf("SetFPS(%d): %v", changes[0].fps, err)
			}
			changes = changes[1:]
		}
		if pos == total {
			break
		}
		n := min(int64(rng.IntN(maxBlock+1)), total-pos)
		if len(changes) > 0 {
			n = min(n, changes[0].at-pos)
		}
		samples := buf[:n*int64(channels)]
		for i := range n {
			for c := range channels {
				samples[i*int64(channels)+int64(c)] = frValue(pos+i, channels, c)
			}
		}
		rec.arrival = time.Unix(1000, int64(block))
		if err := fr.Push(media.PCM{Samples: samples, SampleRate: rate, Channels: channels, Arrival: rec.arrival}, rec.emit); err != nil {
			t.Fatalf("Push: %v", err)
		}
		for i := range samples {
			samples[i] = -1 // the caller reuses its buffer
		}
		pos += n
	}
	if err := fr.Flush(rec.emit); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	return rec.frames
}

// frCheck compares frames with the slots of the model, sample by sample.
func frCheck(t testing.TB, frames []media.Frame, want []frSlot, rate, channels int) {
	t.Helper()
	if len(frames) != len(want) {
		t.Fatalf("%d frames, want %d", len(frames), len(want))
	}
	for i, f := range frames {
		w := want[i]
		if f.Index != int64(i) || f.Start != w.start || int64(f.Len()) != w.len || f.FPS != w.fps ||
			f.SampleRate != rate || f.Channels != channels || len(f.Samples) != f.Len()*channels {
			t.Fatalf("frame %d: Index %d Start %d Len %d at %d fps, %d Hz × %d (%d values); want Start %d Len %d at %d fps",
				i, f.Index, f.Start, f.Len(), f.FPS, f.SampleRate, f.Channels, len(f.Samples), w.start, w.len, w.fps)
		}
		for j, v := range f.Samples {
			if want := frValue(f.Start+int64(j/channels), channels, j%channels); v != want {
				t.Fatalf("frame %d value %d = %v, want %v", i, j, v, want)
			}
		}
	}
}

func TestFramerGrid(t *testing.T) {
	for _, rate := range media.SampleRates {
		for _, fps := range frFPS {
			for _, channels := range []int{1, 2} {
				t.Run(fmt.Sprintf("%d/%dfps/ch%d", rate, fps, channels), func(t *testing.T) {
					rng := rand.New(rand.NewPCG(uint64(rate), uint64(fps*10+channels)))
					// A little over 3 s, ending mid-frame, in blocks up to
					// 100 ms: the grid wraps its second counter three times.
					total := int64(3*rate + rate/fps/2 + 1)
					fr, err := media.NewFramer(rate, channels, fps)
					if err != nil {
						t.Fatal(err)
					}
					frames := frPush(t, fr, rng, rate, channels, total, rate/10, nil)

					want := frExpect(rate, fps, total, nil)
					frCheck(t, frames, want, rate, channels)
					// The model itself: frame k starts at floor(k*rate/fps)
					// and lasts floor or ceil of rate/fps, bar the last.
					lo, hi := int64(rate/fps), int64((rate+fps-1)/fps)
					for k, f := range frames {
						if f.Start != frBound(int64(k), rate, fps) {
							t.Fatalf("frame %d starts at %d, want %d", k, f.Start, frBound(int64(k), rate, fps))
						}
						if n := int64(f.Len()); k < len(frames)-1 && (n < lo || n > hi) {
							t.Fatalf("frame %d has %d samples, want %d or %d", k, n, lo, hi)
						}
					}
					if last := frames[len(frames)-1]; last.Start+int64(last.Len()) != total || int64(last.Len()) >= lo {
						t.Errorf("last frame %d+%d, want a short frame ending at %d", last.Start, last.Len(), total)
					}
				})
			}
		}
	}
}

// TestFramerNoDrift streams ten minutes and checks the last frames sit
// exactly where k*rate/fps puts them.
func TestFramerNoDrift(t *testing.T) {
	for _, tc := range []struct{ rate, fps int }{{44100, 30}, {22050, 60}, {16000, 29}, {48000, 59}} {
		t.Run(fmt.Sprintf("%d/%dfps", tc.rate, tc.fps), func(t *testing.T) {
			const seconds, tail = 600, 111
			total := int64(seconds*tc.rate + tail)
			fr, err := media.NewFramer(tc.rate, 1, tc.fps)
			if err != nil {
				t.Fatal(err)
			}
			var count, next int64 // frames seen; the sample the next frame must start at
			var last media.Frame
			emit := func(f media.Frame) error {
				// The ramp wraps at 2^16 to stay exact in float32.
				if f.Index != count || f.Start != next || f.Samples[0] != float32(f.Start%65536) ||
					f.Samples[len(f.Samples)-1] != float32((f.Start+int64(f.Len())-1)%65536) {
					return fmt.Errorf("frame %d: Index %d Start %d, want Start %d", count, f.Index, f.Start, next)
				}
				count, next, last = count+1, f.Start+int64(f.Len()), f
				return nil
			}
			block := make([]float32, tc.rate/50) // 20 ms
			for pos := int64(0); pos < total; {
				n := min(int64(len(block)), total-pos)
				for i := range n {
					block[i] = float32((pos + i) % 65536)
				}
				if err := fr.Push(media.PCM{Samples: block[:n], SampleRate: tc.rate, Channels: 1}, emit); err != nil {
					t.Fatal(err)
				}
				pos += n
			}
			full := count
			if err := fr.Flush(emit); err != nil {
				t.Fatal(err)
			}
			wantFull := total * int64(tc.fps) / int64(tc.rate)
			if full != wantFull || count != wantFull+1 {
				t.Errorf("%d frames then %d after Flush, want %d then %d", full, count, wantFull, wantFull+1)
			}
			if want := frBound(wantFull, tc.rate, tc.fps); last.Start != want || int64(last.Len()) != total-want || last.Len() != tail {
				t.Errorf("last frame %d+%d, want %d+%d", last.Start, last.Len(), want, total-want)
			}
		})
	}
}

func TestFramerSetFPS(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rate    int
		fps     int
		total   int64
		changes []frChange
	}{
		{"mid-frame", 48000, 30, 48000 * 2, []frChange{{1600*10 + 7, 25}}},
		{"on-boundary", 16000, 30, 32000, []frChange{{frBound(7, 16000, 30), 29}}},
		{"before-start", 22050, 30, 30000, []frChange{{0, 24}}},
		{"to-1fps", 44100, 60, 44100 * 3, []frChange{{44100/60*5 + 1, 1}}},
		{"from-1fps", 8000, 1, 8000 * 3, []frChange{{3999, 60}}},
		{"after-wrap", 32000, 29, 32000 * 4, []frChange{{32000*2 + 555, 59}, {32000*3 + 1, 24}}},
		{"later-wins", 22050, 29, 22050 * 2, []frChange{{100, 30}, {200, 24}}},
		{"cancel", 8000, 25, 8000 * 2, []frChange{{1000, 30}, {1100, 25}}},
		{"every-frame", 24000, 30, 24000 * 2, func() []frChange {
			var cs []frChange
			for i := int64(1); i < 60; i++ {
				cs = append(cs, frChange{i * 397, frFPS[i%int64(len(frFPS))]})
			}
			return cs
		}()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, channels := range []int{1, 2} {
				fr, err := media.NewFramer(tc.rate, channels, tc.fps)
				if err != nil {
					t.Fatal(err)
				}
				frames := frPush(t, fr, rand.New(rand.NewPCG(1, uint64(channels))), tc.rate, channels, tc.total, tc.rate/25, tc.changes)
				want := frExpect(tc.rate, tc.fps, tc.total, tc.changes)
				frCheck(t, frames, want, tc.rate, channels)
			}
		})
	}
	t.Run("ErrInvalid", func(t *testing.T) {
		fr, err := media.NewFramer(16000, 1, 30)
		if err != nil {
			t.Fatal(err)
		}
		for _, fps := range []int{0, -30, 61, 1000} {
			if err := fr.SetFPS(fps); !errors.Is(err, media.ErrInvalid) {
				t.Errorf("SetFPS(%d) = %v, want ErrInvalid", fps, err)
			}
		}
		frames := frPush(t, fr, rand.New(rand.NewPCG(2, 2)), 16000, 1, 16000, 1000, nil)
		frCheck(t, frames, frExpect(16000, 30, 16000, nil), 16000, 1)
	})
}

func TestFramerErrInvalid(t *testing.T) {
	for _, tc := range []struct{ rate, channels, fps int }{
		{0, 1, 30}, {-16000, 1, 30}, {16000, 0, 30}, {16000, 3, 30}, {16000, 1, 0}, {16000, 1, 61},
	} {
		if _, err := media.NewFramer(tc.rate, tc.channels, tc.fps); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("NewFramer(%d, %d, %d) = %v, want ErrInvalid", tc.rate, tc.channels, tc.fps, err)
		}
	}
	fr, err := media.NewFramer(16000, 2, 30)
	if err != nil {
		t.Fatal(err)
	}
	emit := func(media.Frame) error { t.Error("a refused block emitted a frame"); return nil }
	for _, p := range []media.PCM{
		{Samples: make([]float32, 2000), SampleRate: 48000, Channels: 2},
		{Samples: make([]float32, 2000), SampleRate: 16000, Channels: 1},
		{Samples: make([]float32, 2001), SampleRate: 16000, Channels: 2},
	} {
		if err := fr.Push(p, emit); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("Push(%d Hz × %d, %d values) = %v, want ErrInvalid", p.SampleRate, p.Channels, len(p.Samples), err)
		}
	}
	// Nothing was taken: the grid still starts at sample 0.
	frames := frPush(t, fr, rand.New(rand.NewPCG(3, 3)), 16000, 2, 8000, 700, nil)
	frCheck(t, frames, frExpect(16000, 30, 8000, nil), 16000, 2)
}

// TestFramerFlush checks Flush with nothing pending emits nothing, and that
// pushing after a Flush starts a new grid where the short frame ended.
func TestFramerFlush(t *testing.T) {
	fr, err := media.NewFramer(16000, 1, 30)
	if err != nil {
		t.Fatal(err)
	}
	var frames []media.Frame
	emit := func(f media.Frame) error { frames = append(frames, f.Clone()); return nil }
	if err := fr.Flush(emit); err != nil || len(frames) != 0 {
		t.Fatalf("Flush of an empty framer: %v, %d frames", err, len(frames))
	}
	push := func(from, n int) {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(from + i)
		}
		if err := fr.Push(media.PCM{Samples: s, SampleRate: 16000, Channels: 1}, emit); err != nil {
			t.Fatal(err)
		}
	}
	push(0, 1000) // 533 + 467 pending
	if err := fr.Flush(emit); err != nil {
		t.Fatal(err)
	}
	if err := fr.Flush(emit); err != nil {
		t.Fatal(err)
	}
	push(1000, 1100) // a new grid at 1000: 533 + 533 + 34 pending
	if err := fr.Flush(emit); err != nil {
		t.Fatal(err)
	}
	want := []struct{ index, start, len int64 }{{0, 0, 533}, {1, 533, 467}, {2, 1000, 533}, {3, 1533, 533}, {4, 2066, 34}}
	if len(frames) != len(want) {
		t.Fatalf("%d frames, want %d", len(frames), len(want))
	}
	for i, w := range want {
		f := frames[i]
		if f.Index != w.index || f.Start != w.start || int64(f.Len()) != w.len || f.Samples[0] != float32(w.start) {
			t.Errorf("frame %d: Index %d Start %d Len %d first %v, want %+v", i, f.Index, f.Start, f.Len(), f.Samples[0], w)
		}
	}
}

// TestFramerAllocs checks a frame costs no allocation: its Samples alias
// the block or the framer's reused buffer.
func TestFramerAllocs(t *testing.T) {
	fr, err := media.NewFramer(48000, 2, 30)
	if err != nil {
		t.Fatal(err)
	}
	block := media.PCM{Samples: make([]float32, 2*1600), SampleRate: 48000, Channels: 2}
	emitted := 0
	emit := func(media.Frame) error { emitted++; return nil }
	if n := testing.AllocsPerRun(100, func() {
		if err := fr.Push(block, emit); err != nil {
			t.Fatal(err)
		}
	}); n != 0 || emitted != 101 {
		t.Errorf("%.1f allocations per frame (%d frames), want 0", n, emitted)
	}
	// Blocks that do not hold whole frames go through the buffer.
	half := media.PCM{Samples: make([]float32, 1000), SampleRate: 48000, Channels: 2}
	if n := testing.AllocsPerRun(100, func() {
		if err := fr.Push(half, emit); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%.1f allocations per part-frame block, want 0", n)
	}
}

func frChannelFrames(t *testing.T, ch <-chan media.Frame) <-chan []media.Frame {
	t.Helper()
	done := make(chan []media.Frame, 1)
	go func() {
		var frames []media.Frame
		for f := range ch {
			frames = append(frames, f)
		}
		done <- frames
	}()
	return done
}

// TestFramerChanges: fps changes made between pushes apply at the next
// frame boundary; a bad rate or block is refused.
func TestFramerChanges(t *testing.T) {
	const rate, channels, fps = 22050, 2, 29
	const total = rate*2 + 100
	in := make([]float32, total*channels)
	for i := range in {
		in[i] = frValue(int64(i/channels), channels, i%channels)
	}
	blocks := func() []media.PCM {
		var ps []media.PCM
		for off := 0; off < len(in); off += 882 {
			ps = append(ps, media.PCM{Samples: in[off:min(off+882, len(in))], SampleRate: rate, Channels: channels})
		}
		return ps
	}
	t.Run("OK", func(t *testing.T) {
		fr, err := media.NewFramer(rate, channels, fps)
		if err != nil {
			t.Fatal(err)
		}
		rec := &frRecorder{t: t}
		for _, p := range blocks() {
			if err := fr.Push(p, rec.emit); err != nil {
				t.Fatal(err)
			}
		}
		if err := fr.Flush(rec.emit); err != nil {
			t.Fatal(err)
		}
		frCheck(t, rec.frames, frExpect(rate, fps, total, nil), rate, channels)
	})
	t.Run("WithChanges", func(t *testing.T) {
		fr, err := media.NewFramer(rate, channels, fps)
		if err != nil {
			t.Fatal(err)
		}
		rec := &frRecorder{t: t}
		var changes []frChange
		for i, p := range blocks() {
			switch i {
			case 10:
				if err := fr.SetFPS(60); err != nil {
					t.Fatal(err)
				}
				changes = append(changes, frChange{int64(i * 882 / channels), 60})
			case 20:
				if err := fr.SetFPS(24); err != nil {
					t.Fatal(err)
				}
				changes = append(changes, frChange{int64(i * 882 / channels), 24})
			}
			if err := fr.Push(p, rec.emit); err != nil {
				t.Fatal(err)
			}
		}
		if err := fr.Flush(rec.emit); err != nil {
			t.Fatal(err)
		}
		frCheck(t, rec.frames, frExpect(rate, fps, total, changes), rate, channels)
	})
	t.Run("ChangeBeforeBlock", func(t *testing.T) {
		fr, err := media.NewFramer(rate, channels, fps)
		if err != nil {
			t.Fatal(err)
		}
		if err := fr.SetFPS(25); err != nil {
			t.Fatal(err)
		}
		rec := &frRecorder{t: t}
		if err := fr.Push(media.PCM{Samples: in[:2*rate], SampleRate: rate, Channels: channels}, rec.emit); err != nil {
			t.Fatal(err)
		}
		if err := fr.Flush(rec.emit); err != nil {
			t.Fatal(err)
		}
		frCheck(t, rec.frames, frExpect(rate, 25, rate, nil), rate, channels)
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		fr, err := media.NewFramer(rate, channels, fps)
		if err != nil {
			t.Fatal(err)
		}
		if err := fr.SetFPS(0); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("SetFPS(0) = %v, want ErrInvalid", err)
		}
		bad := media.PCM{Samples: make([]float32, 100), SampleRate: 48000, Channels: channels}
		if err := fr.Push(bad, func(media.Frame) error { return nil }); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("Push of a 48 kHz block = %v, want ErrInvalid", err)
		}
	})
}

// frFrames returns n bare frames numbered from 0.
func frFrames(n int) []media.Frame {
	frames := make([]media.Frame, n)
	for i := range frames {
		frames[i] = media.Frame{Index: int64(i), Start: int64(i) * 1600}
	}
	return frames
}

// frCut is a batch as the tests expect it.
type frCut struct {
	first int64
	len   int
	size  int
}

// frBatches pushes frames into a batcher, calling set(i) before frame i, and
// flushes.
func frBatches(t *testing.T, b *media.Batcher, frames []media.Frame, set func(i int)) []media.Batch {
	t.Helper()
	var batches []media.Batch
	emit := func(bt media.Batch) error { batches = append(batches, bt.Clone()); return nil }
	for i, f := range frames {
		if set != nil {
			set(i)
		}
		if err := b.Push(f, emit); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Flush(emit); err != nil {
		t.Fatal(err)
	}
	return batches
}

// frCheckBatches checks batches against cuts and that together they hold
// every frame once, in order.
func frCheckBatches(t *testing.T, batches []media.Batch, want []frCut, frames []media.Frame) {
	t.Helper()
	var got []frCut
	var joined []int64
	for i, b := range batches {
		got = append(got, frCut{b.FirstFrame, len(b.Frames), b.BatchSize})
		if b.Index != int64(i) || b.FirstFrame != b.Frames[0].Index {
			t.Errorf("batch %d: Index %d FirstFrame %d, Frames[0].Index %d", i, b.Index, b.FirstFrame, b.Frames[0].Index)
		}
		for _, f := range b.Frames {
			joined = append(joined, f.Index)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("batches (first, frames, size)\n got %v\nwant %v", got, want)
	}
	var all []int64
	for _, f := range frames {
		all = append(all, f.Index)
	}
	if !slices.Equal(joined, all) {
		t.Errorf("batches hold frames %v, want %v", joined, all)
	}
}

func TestBatcher(t *testing.T) {
	const n = 1000
	for _, size := range []int{1, 3, 16, 64, 256} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			b, err := media.NewBatcher(size)
			if err != nil {
				t.Fatal(err)
			}
			frames := frFrames(n)
			var want []frCut
			for first := 0; first < n; first += size {
				want = append(want, frCut{int64(first), min(size, n-first), size})
			}
			frCheckBatches(t, frBatches(t, b, frames, nil), want, frames)
		})
	}
	t.Run("ErrInvalid", func(t *testing.T) {
		for _, size := range []int{0, -16, media.MaxBatchSize + 1} {
			if _, err := media.NewBatcher(size); !errors.Is(err, media.ErrInvalid) {
				t.Errorf("NewBatcher(%d) = %v, want ErrInvalid", size, err)
			}
		}
		b, err := media.NewBatcher(4)
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{0, -1, 257} {
			if err := b.SetBatchSize(size); !errors.Is(err, media.ErrInvalid) || b.BatchSize() != 4 {
				t.Errorf("SetBatchSize(%d) = %v, size now %d", size, err, b.BatchSize())
			}
		}
	})
	t.Run("FlushEmpty", func(t *testing.T) {
		b, err := media.NewBatcher(4)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Flush(func(media.Batch) error { t.Error("Flush of an empty batcher emitted"); return nil }); err != nil {
			t.Fatal(err)
		}
	})
}

func TestBatcherSetBatchSize(t *testing.T) {
	for _, tc := range []struct {
		name string
		size int
		n    int
		sets map[int]int // before frame i, set the size
		want []frCut
	}{
		{"smaller-than-fill", 16, 20, map[int]int{10: 4},
			// frames 0–9 held; at frame 10 they go out in 4s, 8–10 stay
			[]frCut{{0, 4, 4}, {4, 4, 4}, {8, 4, 4}, {12, 4, 4}, {16, 4, 4}}},
		{"equal-to-fill", 16, 16, map[int]int{8: 8},
			[]frCut{{0, 8, 8}, {8, 8, 8}}},
		{"smaller-above-fill", 16, 20, map[int]int{3: 8},
			[]frCut{{0, 8, 8}, {8, 8, 8}, {16, 4, 8}}},
		{"larger", 4, 25, map[int]int{6: 16},
			[]frCut{{0, 4, 4}, {4, 16, 16}, {20, 5, 16}}},
		{"larger-then-much-smaller", 16, 24, map[int]int{5: 32, 20: 2},
			[]frCut{{0, 2, 2}, {2, 2, 2}, {4, 2, 2}, {6, 2, 2}, {8, 2, 2}, {10, 2, 2}, {12, 2, 2},
				{14, 2, 2}, {16, 2, 2}, {18, 2, 2}, {20, 2, 2}, {22, 2, 2}}},
		{"at-boundary", 4, 14, map[int]int{8: 3},
			[]frCut{{0, 4, 4}, {4, 4, 4}, {8, 3, 3}, {11, 3, 3}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := media.NewBatcher(tc.size)
			if err != nil {
				t.Fatal(err)
			}
			frames := frFrames(tc.n)
			batches := frBatches(t, b, frames, func(i int) {
				if size, ok := tc.sets[i]; ok {
					if err := b.SetBatchSize(size); err != nil {
						t.Fatal(err)
					}
				}
			})
			frCheckBatches(t, batches, tc.want, frames)
		})
	}
}

func TestBatcherChanges(t *testing.T) {
	frames := frFrames(100)
	t.Run("WithChanges", func(t *testing.T) {
		b, err := media.NewBatcher(16)
		if err != nil {
			t.Fatal(err)
		}
		batches := frBatches(t, b, frames, func(i int) {
			switch i {
			case 40: // 32 out, 8 held
				if err := b.SetBatchSize(4); err != nil {
					t.Fatal(err)
				}
			case 60: // 40–59 out in 4s
				if err := b.SetBatchSize(32); err != nil {
					t.Fatal(err)
				}
			}
		})
		want := []frCut{{0, 16, 16}, {16, 16, 16}, {32, 4, 4}, {36, 4, 4}}
		for first := 40; first < 60; first += 4 {
			want = append(want, frCut{int64(first), 4, 4})
		}
		want = append(want, frCut{60, 32, 32}, frCut{92, 8, 32})
		frCheckBatches(t, batches, want, frames)
	})
	t.Run("FPSChange", func(t *testing.T) {
		// A batch never mixes frame rates: the one in progress at a
		// change goes out short.
		b, err := media.NewBatcher(16)
		if err != nil {
			t.Fatal(err)
		}
		fs := frFrames(40)
		for i := range fs {
			fs[i].FPS = 30
			if i >= 10 {
				fs[i].FPS = 60
			}
		}
		want := []frCut{{0, 10, 16}, {10, 16, 16}, {26, 14, 16}}
		frCheckBatches(t, frBatches(t, b, fs, nil), want, fs)
	})
}

// TestBatcherSamples: a batch holds each frame's samples as pushed, though
// the pusher reuses its buffer, and cutting batches allocates nothing once
// the batcher's buffer has grown.
func TestBatcherSamples(t *testing.T) {
	b, err := media.NewBatcher(4)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]float32, 10)
	var got []media.Batch
	emit := func(bt media.Batch) error { got = append(got, bt.Clone()); return nil }
	for i := range 11 {
		for j := range buf {
			buf[j] = float32(i*100 + j)
		}
		if err := b.Push(media.Frame{Index: int64(i), Samples: buf[:5+i%3], Channels: 1}, emit); err != nil {
			t.Fatal(err)
		}
		clear(buf)
	}
	if err := b.Flush(emit); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 {
		t.Fatalf("%d batches, want 3", len(got))
	}
	for _, bt := range got {
		for _, f := range bt.Frames {
			i := int(f.Index)
			if len(f.Samples) != 5+i%3 || f.Samples[0] != float32(i*100) || f.Samples[len(f.Samples)-1] != float32(i*100+len(f.Samples)-1) {
				t.Errorf("frame %d holds %v", i, f.Samples)
			}
		}
	}
	frame := media.Frame{Samples: make([]float32, 1600), Channels: 1}
	if n := testing.AllocsPerRun(200, func() {
		if err := b.Push(frame, func(media.Batch) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("%.2f allocations per frame, want 0", n)
	}
}

// TestBatcherListening: while no one listens, batches are cut bare (same
// indices, frames and features, no samples) and the batcher holds no audio;
// whether a batch carries samples is settled as it begins, so a listener
// arriving mid-batch gets whole batches from the next one on.
func TestBatcherListening(t *testing.T) {
	b, err := media.NewBatcher(4)
	if err != nil {
		t.Fatal(err)
	}
	listening := false
	b.Listening = func() bool { return listening }
	var got []media.Batch
	emit := func(bt media.Batch) error { got = append(got, bt.Clone()); return nil }
	push := func(i int) {
		t.Helper()
		samples := make([]float32, 1600)
		for j := range samples {
			samples[j] = float32(i*10000 + j)
		}
		f := media.Frame{Index: int64(i), Samples: samples, Channels: 1, Features: media.Features{RMS: float32(i)}}
		if err := b.Push(f, emit); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 6 { // batch 0 whole and bare, batch 1 begun bare
		push(i)
	}
	if n := b.HeldSamples(); n != 0 {
		t.Errorf("holds room for %d samples with no one listening, want 0", n)
	}
	listening = true
	for i := 6; i < 12; i++ { // batch 1 ends bare; batch 2 has samples
		push(i)
	}
	listening = false
	for i := 12; i < 16; i++ { // batch 3 began unheard
		push(i)
	}
	if len(got) != 4 {
		t.Fatalf("%d batches, want 4", len(got))
	}
	for k, bt := range got {
		wantBare := k != 2
		if bt.Index != int64(k) || bt.FirstFrame != int64(4*k) || len(bt.Frames) != 4 || bt.Bare != wantBare {
			t.Errorf("batch %d: index %d, first frame %d, %d frames, bare %v; want bare %v",
				k, bt.Index, bt.FirstFrame, len(bt.Frames), bt.Bare, wantBare)
			continue
		}
		for _, f := range bt.Frames {
			i := int(f.Index)
			if f.Features.RMS != float32(i) {
				t.Errorf("frame %d lost its features: %+v", i, f.Features)
			}
			switch {
			case wantBare && f.Samples != nil:
				t.Errorf("bare batch %d: frame %d has %d samples", k, i, len(f.Samples))
			case !wantBare && (len(f.Samples) != 1600 || f.Samples[0] != float32(i*10000) || f.Samples[1599] != float32(i*10000+1599)):
				t.Errorf("batch %d: frame %d holds the wrong samples", k, i)
			}
		}
	}
}

// BenchmarkFramer frames 20 ms blocks of 48 kHz mono at 30 fps, features
// included; ns/op is per block (1.5 blocks per frame).
func BenchmarkFramer(b *testing.B) {
	const rate, block = 48000, 960
	fr, err := media.NewFramer(rate, 1, 30)
	if err != nil {
		b.Fatal(err)
	}
	p := media.PCM{Samples: ftNoise(rand.New(rand.NewPCG(1, 1)), block, -20), SampleRate: rate, Channels: 1}
	frames := 0
	emit := func(media.Frame) error { frames++; return nil }
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	stopCPU := reportCPU(b)
	for b.Loop() {
		if err := fr.Push(p, emit); err != nil {
			b.Fatal(err)
		}
	}
	stopCPU()
	runtime.ReadMemStats(&after)
	if frames > 0 {
		b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(frames), "allocs/frame")
	}
	b.ReportMetric(float64(b.N)*block/rate/b.Elapsed().Seconds(), "x_realtime")
}
