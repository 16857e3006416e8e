package media

import (
	"math"
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
