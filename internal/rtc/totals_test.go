package rtc_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/rtc"
)

// counters are the Totals a test compares, by name.
func counters(t rtc.Totals) map[string]int64 {
	return map[string]int64{
		"started": t.Started, "stopped": t.Stopped, "failed": t.Failed,
		"packets": t.Packets, "payload_bytes": t.PayloadBytes, "lost": t.LostPackets, "late": t.LatePackets,
		"decode_errors": t.DecodeErrors, "decoded_samples": t.DecodedSamples, "decode_ns": int64(t.DecodeTime),
		"frames": t.Frames, "batches": t.Batches,
		"latency_count": t.Latency.Count(), "latency_sum": int64(t.Latency.Sum()),
		"lag_count": t.Lag.Count(), "lag_sum": int64(t.Lag.Sum()),
	}
}

// sessionSum is what Totals should say of these sessions, ended and
// settled: the sum of their own counters.
func sessionSum(ss ...*rtc.Session) rtc.Totals {
	var t rtc.Totals
	for _, s := range ss {
		in := s.Info()
		t.Packets += in.Stats.Packets
		t.Frames += in.Framing.Frames
		t.Batches += in.Framing.Batches
		t.DecodedSamples += in.Stats.DecodedSamples
	}
	return t
}

// TestManager_Totals: the Manager's totals are every session's counters
// summed, live and ended; a session that ends is counted once, not again
// by the sum of the live ones, and not lost when it is forgotten; and no
// counter ever goes down while sessions end between reads taken by
// goroutines reading all the while.
func TestManager_Totals(t *testing.T) {
	t.Parallel()
	m := newManager(t)
	pkts := celtCapture(t)

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []string
	reads := 0
	for range 2 {
		wg.Go(func() {
			prev := counters(m.Totals())
			for {
				select {
				case <-stop:
					return
				default:
				}
				time.Sleep(100 * time.Microsecond) // often, without taking a core from the sessions
				cur := counters(m.Totals())
				mu.Lock()
				reads++
				for name, v := range cur {
					if v < prev[name] && len(errs) < 10 {
						errs = append(errs, fmt.Sprintf("%s went down from %d to %d", name, prev[name], v))
					}
				}
				mu.Unlock()
				prev = cur
			}
		})
	}

	a, sa := connect(t, m, "a", params(48000, 1))
	sendAll(t, a, sa, pkts[:40])
	live := m.Totals()
	if live.Started != 1 || live.Packets < 40 || live.Frames == 0 || live.Lag.Count() == 0 || live.Latency.Count() == 0 || live.DecodeTime <= 0 {
		t.Errorf("totals while a is live: %v", counters(live))
	}
	if _, err := m.Stop("a"); err != nil {
		t.Fatal(err)
	}
	ended := m.Totals()
	checkTotals(t, "a stopped", ended, sessionSum(sa), sa)
	if ended.Stopped != 1 || ended.Failed != 0 {
		t.Errorf("a stopped: %d stopped, %d failed; want 1 and 0", ended.Stopped, ended.Failed)
	}
	if err := m.Discard("a"); err != nil {
		t.Fatal(err)
	}
	if got := m.Totals(); got != ended {
		t.Errorf("a forgotten: totals changed\n%v\nwas\n%v", counters(got), counters(ended))
	}

	b, sb := connect(t, m, "b", params(16000, 1))
	sendAll(t, b, sb, pkts[:60])
	if _, err := m.Stop("b"); err != nil {
		t.Fatal(err)
	}
	both := m.Totals()
	checkTotals(t, "a and b ended", both, sessionSum(sa, sb), sa, sb)
	if both.Started != 2 || both.Stopped != 2 {
		t.Errorf("a and b ended: %d started, %d stopped; want 2 and 2", both.Started, both.Stopped)
	}
	close(stop)
	wg.Wait()
	if len(errs) > 0 {
		t.Errorf("over %d concurrent reads:\n%v", reads, errs)
	}
	if reads == 0 {
		t.Error("the concurrent readers read nothing")
	}
	a.close()
	b.close()
}

// checkTotals compares totals with the sum of the sessions' counters; the
// histograms with the sessions' own counts.
func checkTotals(t *testing.T, when string, got, want rtc.Totals, ss ...*rtc.Session) {
	t.Helper()
	if got.Packets != want.Packets || got.Frames != want.Frames || got.Batches != want.Batches || got.DecodedSamples != want.DecodedSamples {
		t.Errorf("%s: totals %d packets %d frames %d batches %d samples; the sessions say %d, %d, %d, %d",
			when, got.Packets, got.Frames, got.Batches, got.DecodedSamples, want.Packets, want.Frames, want.Batches, want.DecodedSamples)
	}
	var lag, latency int64
	for _, s := range ss {
		f := s.Info().Framing
		lag += f.Lag.Count
		latency += f.Latency.Count
	}
	if got.Lag.Count() != lag || got.Latency.Count() != latency {
		t.Errorf("%s: totals count %d lags and %d latencies; the sessions %d and %d", when, got.Lag.Count(), got.Latency.Count(), lag, latency)
	}
}
