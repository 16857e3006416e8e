package media

import (
	"math"
	"sync/atomic"
	"time"
)

// Latency buckets grow by 2^(1/4) (~19 %) from 100 µs to ~100 s: fine
// enough for p50/p99 to within a bucket, fixed in size, and lock-free.
const (
	latencyBase    = 100 * time.Microsecond
	latencyPerOct  = 4
	latencyBuckets = 20 * latencyPerOct
)

// LatencyHistogram counts durations in logarithmic buckets. It is safe
// for one writer and many readers.
type LatencyHistogram struct {
	counts [latencyBuckets + 1]atomic.Int64 // the last bucket is overflow
	total  atomic.Int64
	max    atomic.Int64 // nanoseconds
}

// Observe adds one duration.
func (h *LatencyHistogram) Observe(d time.Duration) {
	h.counts[latencyBucket(d)].Add(1)
	h.total.Add(1)
	if int64(d) > h.max.Load() {
		h.max.Store(int64(d))
	}
}

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

// Quantile returns the upper edge of the bucket holding quantile q (0..1),
// or 0 when nothing was observed.
func (h *LatencyHistogram) Quantile(q float64) time.Duration {
	n := h.total.Load()
	if n == 0 {
		return 0
	}
	rank := int64(math.Ceil(q * float64(n)))
	var seen int64
	for b := range h.counts {
		seen += h.counts[b].Load()
		if seen >= rank {
			if b == latencyBuckets {
				return time.Duration(h.max.Load())
			}
			return min(bucketUpper(b), time.Duration(h.max.Load()))
		}
	}
	return time.Duration(h.max.Load())
}

// Count returns how many durations were observed.
func (h *LatencyHistogram) Count() int64 { return h.total.Load() }

// Max returns the longest duration observed.
func (h *LatencyHistogram) Max() time.Duration { return time.Duration(h.max.Load()) }
