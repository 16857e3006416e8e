package media

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestLatencyHistogram(t *testing.T) {
	var h LatencyHistogram
	if h.Quantile(0.5) != 0 {
		t.Fatal("empty histogram has a median")
	}
	// 90 fast (2 ms), 10 slow (40 ms).
	for range 90 {
		h.Observe(2 * time.Millisecond)
	}
	for range 10 {
		h.Observe(40 * time.Millisecond)
	}
	within := func(got, want time.Duration) bool {
		return math.Abs(float64(got-want)) <= float64(want)*0.022
	}
	if p50 := h.Quantile(0.5); !within(p50, 2*time.Millisecond) {
		t.Errorf("p50 = %v, want 2 ms (to 2.2 %%)", p50)
	}
	if p95 := h.Quantile(0.95); !within(p95, 40*time.Millisecond) {
		t.Errorf("p95 = %v, want 40 ms", p95)
	}
	if h.Count() != 100 || h.Max() != 40*time.Millisecond {
		t.Errorf("count %d max %v", h.Count(), h.Max())
	}
	h.Observe(time.Hour) // overflow bucket reports the true max
	if got := h.Quantile(1); got != time.Hour {
		t.Errorf("p100 = %v, want the max (1h)", got)
	}
}

// TestLatencyHistogramResolution: quantiles of spread-out values tell
// 4 ms from 5 ms, and from 4.2 ms.
func TestLatencyHistogramResolution(t *testing.T) {
	for _, d := range []time.Duration{
		50 * time.Microsecond, 4 * time.Millisecond, 4200 * time.Microsecond, 5 * time.Millisecond,
		17 * time.Millisecond, 344 * time.Millisecond, 3 * time.Second,
	} {
		var h LatencyHistogram
		for i := range 1000 { // ±1 % around d
			h.Observe(d + d*time.Duration(i-500)/50000)
		}
		h.Observe(0) // a minimum far below: the middle of d's bucket is reported
		if got := h.Quantile(0.5); math.Abs(float64(got-d)) > float64(d)*0.033 {
			t.Errorf("p50 of values around %v = %v", d, got)
		}
	}
}

func TestWindowedLatency(t *testing.T) {
	w := WindowedLatency{Window: 10 * time.Second}
	start := time.Unix(1000, 0)
	for s := range 30 { // 30 s: 20 ms for 20 s, then 5 ms
		d := 20 * time.Millisecond
		if s >= 20 {
			d = 5 * time.Millisecond
		}
		for i := range 50 {
			w.Observe(start.Add(time.Duration(s)*time.Second+time.Duration(i)*20*time.Millisecond), d)
		}
	}
	now := start.Add(30 * time.Second)
	if got := w.Recent(now); got.Count() != 500 || got.Quantile(0.99) > 6*time.Millisecond {
		t.Errorf("recent: %d observed, p99 %v; want the last 10 s: 500 at 5 ms", got.Count(), got.Quantile(0.99))
	}
	if w.All.Count() != 1500 || w.All.Quantile(0.99) < 19*time.Millisecond {
		t.Errorf("all: %d observed, p99 %v", w.All.Count(), w.All.Quantile(0.99))
	}
	if got := w.Recent(now.Add(time.Minute)); got.Count() != 0 {
		t.Errorf("a minute later the window holds %d", got.Count())
	}
}

// TestLatencyCumulative: at every bucket edge the cumulative count is
// exactly the number of durations at most that edge (what a Prometheus
// histogram's le buckets hold), and Sum is the sum of what was observed.
func TestLatencyCumulative(t *testing.T) {
	var h LatencyHistogram
	var values []time.Duration
	var sum time.Duration
	for d := 3 * time.Microsecond; d < 200*time.Second; d = d*107/100 + 1 {
		h.Observe(d)
		values = append(values, d)
		sum += d
	}
	edges := LatencyEdges()
	if len(edges) < 300 || edges[0] != latencyBase {
		t.Fatalf("%d edges from %v", len(edges), edges[0])
	}
	got := h.Cumulative(edges)
	for i, edge := range edges {
		var want uint64
		for _, v := range values {
			if v <= edge {
				want++
			}
		}
		if got[i] != want {
			t.Fatalf("at edge %d (%v): %d durations counted, want %d", i, edge, got[i], want)
		}
	}
	if h.Sum() != sum {
		t.Errorf("Sum = %v, want %v", h.Sum(), sum)
	}
	var o LatencyHistogram
	o.Add(&h)
	o.Add(&h)
	if o.Sum() != 2*sum || o.Count() != 2*h.Count() {
		t.Errorf("Add: sum %v count %d, want %v and %d", o.Sum(), o.Count(), 2*sum, 2*h.Count())
	}

	// Between edges, the bucket holding the bound counts whole.
	var one LatencyHistogram
	one.Observe(4300 * time.Microsecond)
	if c := one.Cumulative([]time.Duration{4 * time.Millisecond, 4300*time.Microsecond - 1, 5 * time.Millisecond}); c[0] != 0 || c[1] != 1 || c[2] != 1 {
		t.Errorf("one 4.3 ms duration, cumulative at 4 ms, just under 4.3 ms and 5 ms: %v, want [0 1 1]", c)
	}
}

// TestLatencyHistogramMatchesTotal: a session's 32-bit histogram reports
// what the 64-bit one does (quantiles, counts, sums, min, max, cumulative
// counts at edges and between them), observed directly or summed with
// Add, on random durations across the whole range.
func TestLatencyHistogramMatchesTotal(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var sessions LatencyHistogram // three sessions added together
	var total LatencyTotal
	for range 3 {
		var h LatencyHistogram
		var direct LatencyTotal
		for range rng.IntN(20_000) {
			d := time.Duration(math.Exp(rng.Float64()*30)) - time.Millisecond // negatives, 0, up to ~3 h
			h.Observe(d)
			direct.Observe(d)
		}
		sameLatency(t, &h.latencyCounts, &direct.latencyCounts, rng)
		sessions.Add(&h)
		total.Add(&h)
	}
	sameLatency(t, &sessions.latencyCounts, &total.latencyCounts, rng)
	var empty LatencyHistogram
	total.Reset()
	total.Add(&empty)
	sameLatency(t, &empty.latencyCounts, &total.latencyCounts, rng)
}

func sameLatency(t *testing.T, h *latencyCounts[uint32], want *latencyCounts[int64], rng *rand.Rand) {
	t.Helper()
	if h.Count() != want.Count() || h.Sum() != want.Sum() || h.Max() != want.Max() || h.min != want.min {
		t.Fatalf("count %d sum %v max %v min %v; 64-bit: %d %v %v %v",
			h.Count(), h.Sum(), h.Max(), h.min, want.Count(), want.Sum(), want.Max(), want.min)
	}
	for _, q := range []float64{0, 0.001, 0.25, 0.5, 0.9, 0.99, 0.999, 1, rng.Float64()} {
		if got, w := h.Quantile(q), want.Quantile(q); got != w {
			t.Fatalf("quantile %v = %v; 64-bit: %v", q, got, w)
		}
	}
	bounds := LatencyEdges()
	for range 50 {
		bounds = append(bounds, time.Duration(rng.Int64N(int64(300*time.Second))))
	}
	slices.Sort(bounds)
	if got, w := h.Cumulative(bounds), want.Cumulative(bounds); !slices.Equal(got, w) {
		t.Fatalf("cumulative counts differ from the 64-bit histogram's")
	}
}

// TestLatencyTotalDoesNotWrap: totals of sessions whose buckets hold
// nearly 2^32 durations each count past 2^32, where 32-bit counts wrap.
func TestLatencyTotalDoesNotWrap(t *testing.T) {
	var session LatencyHistogram
	session.Observe(4 * time.Millisecond)
	session.Observe(time.Second)
	b4, b1 := latencyBucket(4*time.Millisecond), latencyBucket(time.Second)
	session.counts[b4] = math.MaxUint32 - 1 // as if observed for years
	session.counts[b1] = 1 << 31
	session.total = int64(session.counts[b4]) + int64(session.counts[b1])

	var total LatencyTotal
	for range 3 {
		total.Add(&session)
	}
	if want := 3 * session.total; total.Count() != want {
		t.Errorf("Count = %d, want %d", total.Count(), want)
	}
	c := total.Cumulative([]time.Duration{bucketUpper(b4), bucketUpper(b1)})
	if want := uint64(3 * (math.MaxUint32 - 1)); c[0] != want || c[1] != want+3<<31 {
		t.Errorf("cumulative at 4 ms and 1 s: %v, want [%d %d]", c, want, want+3<<31)
	}
	// The median is in the 4 ms bucket only if its count did not wrap.
	if got := total.Quantile(0.5); math.Abs(float64(got-4*time.Millisecond)) > 0.022*float64(4*time.Millisecond) {
		t.Errorf("median %v, want 4 ms", got)
	}
}
