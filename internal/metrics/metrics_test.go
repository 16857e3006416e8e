package metrics

import (
	"slices"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/media"
)

type fakeSources struct{ totals rtc.Totals }

func (f *fakeSources) Live() int          { return 3 }
func (f *fakeSources) Drafts() int        { return 2 }
func (f *fakeSources) Totals() rtc.Totals { return f.totals }
func (f *fakeSources) Open() int          { return 1 }
func (f *fakeSources) Dropped() int64     { return 7 }

// TestCollect: what the sources say when scraped, and what the handlers
// report, come out under the documented names.
func TestCollect(t *testing.T) {
	src := &fakeSources{}
	src.totals.Started, src.totals.Stopped, src.totals.Failed, src.totals.Packets = 5, 3, 1, 1500
	src.totals.Lag.Observe(4 * time.Millisecond)
	src.totals.Lag.Observe(5 * time.Millisecond)
	m := New(src, src, src)
	m.Request("GET", "/recordings", 200)
	m.Save("webrtc", "saved", 20*time.Millisecond)
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]*dto.MetricFamily{}
	for _, f := range fams {
		got[f.GetName()] = f
	}
	for name, want := range map[string]float64{
		"recorder_sessions_live": 3, "recorder_drafts": 2, "recorder_uploads_open": 1,
		"recorder_sessions_started_total": 5, "recorder_rtp_packets_total": 1500,
		"recorder_feed_dropped_batches_total": 7, "recorder_http_requests_total": 1,
	} {
		f := got[name]
		if f == nil {
			t.Errorf("no %s", name)
			continue
		}
		m := f.GetMetric()[0]
		v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
		if v != want {
			t.Errorf("%s = %v, want %v", name, v, want)
		}
	}
	ended := got["recorder_sessions_ended_total"].GetMetric()
	if len(ended) != 2 || ended[0].GetCounter().GetValue()+ended[1].GetCounter().GetValue() != 4 {
		t.Errorf("ended: %v", ended)
	}
	h := got["recorder_frame_lag_seconds"].GetMetric()[0].GetHistogram()
	if h.GetSampleCount() != 2 {
		t.Errorf("lag histogram counts %d, want 2", h.GetSampleCount())
	}
	// 4 ms and 5 ms never share a bucket.
	for _, b := range h.GetBucket() {
		if b.GetUpperBound() > 0.004 && b.GetUpperBound() < 0.005 && b.GetCumulativeCount() != 1 {
			t.Errorf("bucket ≤ %v s holds %d, want 1", b.GetUpperBound(), b.GetCumulativeCount())
		}
	}
}

// TestLatencyBounds: the exported bounds are the domain's own bucket
// edges, ascending, 39 of them from about 0.5 ms to about 12.5 s.
func TestLatencyBounds(t *testing.T) {
	b := latencyBounds()
	edges := media.LatencyEdges()
	if len(b) != 39 || !slices.IsSorted(b) || b[0] < 490*time.Microsecond || b[len(b)-1] > 13*time.Second {
		t.Fatalf("bounds %v", b)
	}
	for _, x := range b {
		if !slices.Contains(edges, x) {
			t.Errorf("bound %v is not a bucket edge: its count would be interpolated", x)
		}
	}
}
