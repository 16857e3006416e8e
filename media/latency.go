package media

import (
	"math"
	"time"
)

// Latency buckets grow by 2^(1/16) (4.4 %) from 10 µs to ~170 s, and a
// quantile reports its bucket's geometric middle, so it is within 2.2 % of
// the true value: 4 ms and 5 ms are five buckets apart. A histogram is
// fixed in size: 1.5 KiB (LatencyHistogram), 3 KiB (LatencyTotal).
const (
	latencyBase    = 10 * time.Microsecond
	latencyPerOct  = 16
	latencyBuckets = 24 * latencyPerOct
)

// LatencyHistogram counts a session's durations in logarithmic buckets,
// in 32 bits: a session at 50 durations a second would take 2.7 years to
// wrap a bucket, and it halves a histogram a live session holds six of.
// The zero value is empty and ready. It is not safe for concurrent use:
// its owner guards it.
type LatencyHistogram struct{ latencyCounts[uint32] }

// LatencyTotal is a LatencyHistogram in 64 bits, for sums of sessions over
// a process's lifetime, which would wrap 32-bit counts in days.
type LatencyTotal struct{ latencyCounts[int64] }

// Add adds every duration o observed.
func (h *LatencyHistogram) Add(o *LatencyHistogram) { addLatency(&h.latencyCounts, &o.latencyCounts) }

// Add adds every duration o, a session's histogram, observed.
func (t *LatencyTotal) Add(o *LatencyHistogram) { addLatency(&t.latencyCounts, &o.latencyCounts) }

// latencyCounts is a histogram with counts of type C; everything but the
// counts is 64-bit in both.
type latencyCounts[C uint32 | int64] struct {
	counts   [latencyBuckets + 1]C // the last bucket is overflow
	total    int64
	sum      time.Duration // of every duration observed, for a mean
	min, max time.Duration
}

// Observe adds one duration (a negative one counts as 0).
func (h *latencyCounts[C]) Observe(d time.Duration) {
	d = max(d, 0)
	h.counts[latencyBucket(d)]++
	if h.total == 0 || d < h.min {
		h.min = d
	}
	h.max = max(h.max, d)
	h.total++
	h.sum += d
}

// addLatency adds every duration o observed to h.
func addLatency[C, O uint32 | int64](h *latencyCounts[C], o *latencyCounts[O]) {
	if o.total == 0 {
		return
	}
	for b, n := range o.counts {
		h.counts[b] += C(n)
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.total += o.total
	h.sum += o.sum
}

// Reset empties the histogram.
func (h *latencyCounts[C]) Reset() { *h = latencyCounts[C]{} }

func latencyBucket(d time.Duration) int {
	if d <= latencyBase {
		return 0
	}
	b := int(math.Ceil(math.Log2(float64(d)/float64(latencyBase)) * latencyPerOct))
	return min(b, latencyBuckets)
}

// bucketUpper is the largest duration bucket b holds.
func bucketUpper(b int) time.Duration {
	return time.Duration(float64(latencyBase) * math.Pow(2, float64(b)/latencyPerOct))
}

// Quantile returns quantile q (0..1) to within 2.2 %: the geometric middle
// of the bucket holding it, kept between the least and the largest
// duration observed; 0 when nothing was observed.
func (h *latencyCounts[C]) Quantile(q float64) time.Duration {
	if h.total == 0 {
		return 0
	}
	rank := max(int64(math.Ceil(q*float64(h.total))), 1)
	var seen int64
	for b, n := range h.counts {
		seen += int64(n)
		if seen < rank {
			continue
		}
		if b == latencyBuckets {
			return h.max
		}
		mid := time.Duration(float64(latencyBase) * math.Pow(2, (float64(b)-0.5)/latencyPerOct))
		return min(max(mid, h.min), h.max)
	}
	return h.max
}

// Count returns how many durations were observed.
func (h *latencyCounts[C]) Count() int64 { return h.total }

// Max returns the longest duration observed.
func (h *latencyCounts[C]) Max() time.Duration { return h.max }

// Sum returns the sum of every duration observed.
func (h *latencyCounts[C]) Sum() time.Duration { return h.sum }

// LatencyEdges returns the upper edges of the histogram's buckets (the
// overflow bucket aside), ascending: the bounds at which Cumulative is
// exact.
func LatencyEdges() []time.Duration {
	edges := make([]time.Duration, latencyBuckets)
	for b := range edges {
		edges[b] = bucketUpper(b)
	}
	return edges
}

// Cumulative returns, for each of bounds (ascending), how many durations
// fell in the buckets up to the one holding that bound: for a bound that
// is one of LatencyEdges, exactly the durations at most that bound; for
// another, that plus the ones in its bucket above it (at most 4.4 %
// above the bound).
func (h *latencyCounts[C]) Cumulative(bounds []time.Duration) []uint64 {
	out := make([]uint64, len(bounds))
	var seen int64
	next := 0 // the first bucket not yet in seen
	for i, bound := range bounds {
		last := latencyBucket(bound)
		for last > 0 && bucketUpper(last-1) >= bound { // an edge, rounded up by the logarithm
			last--
		}
		for ; next <= last; next++ {
			seen += int64(h.counts[next])
		}
		out[i] = uint64(seen)
	}
	return out
}

// WindowedLatency is a whole-stream latency histogram and a recent one,
// which covers the last Window to 2×Window: two histograms of Window each,
// the older dropped as a new one starts. Not safe for concurrent use.
type WindowedLatency struct {
	Window    time.Duration // DefaultLatencyWindow when zero
	All       LatencyHistogram
	cur, prev LatencyHistogram
	curStart  time.Time
}

// DefaultLatencyWindow is the recent window's unit: quantiles over the
// last 10–20 s.
const DefaultLatencyWindow = 10 * time.Second

// Observe adds d, seen at now.
func (w *WindowedLatency) Observe(now time.Time, d time.Duration) {
	w.rotate(now)
	w.cur.Observe(d)
	w.All.Observe(d)
}

// Recent returns the histogram of the durations observed in the last one
// to two windows before now.
func (w *WindowedLatency) Recent(now time.Time) LatencyHistogram {
	w.rotate(now)
	h := w.prev
	h.Add(&w.cur)
	return h
}

func (w *WindowedLatency) rotate(now time.Time) {
	win := w.Window
	if win <= 0 {
		win = DefaultLatencyWindow
	}
	switch age := now.Sub(w.curStart); {
	case w.curStart.IsZero():
		w.curStart = now
	case age >= 2*win:
		w.prev.Reset()
		w.cur.Reset()
		w.curStart = now
	case age >= win:
		w.prev = w.cur
		w.cur.Reset()
		w.curStart = w.curStart.Add(win)
	}
}
