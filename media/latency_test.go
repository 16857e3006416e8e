package media

import (
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
		return got >= want && float64(got) <= float64(want)*1.19+1
	}
	if p50 := h.Quantile(0.5); !within(p50, 2*time.Millisecond) {
		t.Errorf("p50 = %v, want 2 ms (to one bucket)", p50)
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
