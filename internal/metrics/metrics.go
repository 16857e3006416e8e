// Package metrics is the Prometheus adapter: it reads the sessions', the
// uploads' and the feed's plain counters when /metrics is scraped, and
// counts the HTTP layer's requests and saves as the handlers report them
// (it is their Observer). Nothing else in the recorder imports
// Prometheus.
package metrics

import (
	"regexp"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/media"
)

// Sessions are the live WebRTC sessions, as rtc.Manager counts them.
type Sessions interface {
	Live() int   // connecting or recording
	Drafts() int // stopped, kept until saved or discarded
	Totals() rtc.Totals
}

// Uploads counts the MediaRecorder uploads open.
type Uploads interface{ Open() int }

// Feed counts the batches slow subscribers lost.
type Feed interface{ Dropped() int64 }

// Metrics is what /metrics reports: the Go runtime (goroutines, heap, GC;
// plus the heap the last GC found live, which unlike the heap in use does
// not swing with the GC cycle), the process (RSS, open files, CPU), the
// recorder's gauges and the sessions' counters, read when scraped, and
// the HTTP layer's requests and saves, counted as they happen (Request,
// Save). It is a registry of its own, not the library's global default.
type Metrics struct {
	*httpMetrics
	reg *prometheus.Registry
}

// New registers every metric, reading sessions, uploads and feed.
func New(sessions Sessions, uploads Uploads, feed Feed) *Metrics {
	reg := prometheus.NewRegistry()
	obs := newHTTPMetrics()
	reg.MustRegister(
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)},
		)),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "recorder_sessions_live",
			Help: "WebRTC sessions connecting or recording.",
		}, func() float64 { return float64(sessions.Live()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "recorder_drafts",
			Help: "Stopped WebRTC takes kept on disk until saved or discarded.",
		}, func() float64 { return float64(sessions.Drafts()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "recorder_uploads_open",
			Help: "MediaRecorder uploads begun and not yet saved, discarded or expired.",
		}, func() float64 { return float64(uploads.Open()) }),
		newSessionCollector(sessions.Totals, feed.Dropped),
		obs.requests, obs.saves, obs.saveTime,
	)
	return &Metrics{httpMetrics: obs, reg: reg}
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{}))
}

// latencyBounds are the le bounds of the exported latency histograms.
// Each is an edge of the domain's own buckets (media.LatencyTotal,
// 4.4 % wide), so every exported count is exact, not interpolated; they
// are thinned to a bounded list (39) by keeping an edge only once it is
// far enough above the last one kept: 13.9 % apart (every third edge)
// from 1 ms to ~21 ms, where a live session's latencies lie and 4 ms must
// be told from 5 ms (they never share a bucket); 35 % from 0.5 ms to 1 ms
// and from 21 ms to ~110 ms, an overloaded server's range; ×1.9 beyond,
// to ~15 s, where only the tail is seen.
func latencyBounds() []time.Duration {
	var out []time.Duration
	for _, e := range media.LatencyEdges() {
		if e < 490*time.Microsecond {
			continue
		}
		if n := len(out); n > 0 {
			last, step := out[n-1], 1.13
			switch {
			case last >= 10*time.Second:
				return out
			case last < time.Millisecond, last >= 20*time.Millisecond && last < 100*time.Millisecond:
				step = 1.3
			case last >= 100*time.Millisecond:
				step = 1.9
			}
			if float64(e) < float64(last)*step {
				continue
			}
		}
		out = append(out, e)
	}
	return out
}

// sessionCollector converts the sessions' totals to Prometheus metrics
// when scraped. The totals are the Manager's own plain counters (every
// session, ended or live, once), so media stays free of Prometheus.
type sessionCollector struct {
	totals  func() rtc.Totals
	dropped func() int64 // the feed's batches lost to slow subscribers
	bounds  []time.Duration

	started, refused, ended, packets, bytes, lost, late, recovered, decodeErrors, decodeTime, audio,
	frames, batches, feedDropped, lag, latency *prometheus.Desc
}

func newSessionCollector(totals func() rtc.Totals, dropped func() int64) *sessionCollector {
	desc := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("recorder_"+name, help, labels, nil)
	}
	return &sessionCollector{
		totals: totals, dropped: dropped, bounds: latencyBounds(),
		started:      desc("sessions_started_total", "WebRTC sessions begun (offers answered or being answered)."),
		refused:      desc("sessions_refused_total", "WebRTC offers turned away because the server was at capacity (503)."),
		ended:        desc("sessions_ended_total", "WebRTC sessions ended: stopped (the take kept as a draft) or failed (no usable take).", "state"),
		packets:      desc("rtp_packets_total", "RTP packets received from browsers."),
		bytes:        desc("rtp_payload_bytes_total", "Opus payload bytes received."),
		lost:         desc("rtp_packets_lost_total", "RTP sequence numbers never received."),
		late:         desc("rtp_packets_late_total", "RTP packets dropped for arriving after their turn, or twice."),
		recovered:    desc("rtp_packets_recovered_total", "RTP packets that arrived after a later one, in time to be put back in order."),
		decodeErrors: desc("opus_decode_errors_total", "Opus packets the decoder refused (their time becomes silence)."),
		decodeTime:   desc("opus_decode_seconds_total", "Time spent decoding Opus."),
		audio:        desc("audio_decoded_seconds_total", "Seconds of audio decoded (per channel): divide CPU seconds by it for the cost of a second of audio."),
		frames:       desc("frames_total", "Frames cut from live sessions' audio."),
		batches:      desc("batches_total", "Batches of frames cut and handed to the feed."),
		feedDropped:  desc("feed_dropped_batches_total", "Batches a /feed subscriber lost because it read too slowly (its queue was full)."),
		lag: desc("frame_lag_seconds", "End-to-end lag of each frame: emitted, relative to the stream position (RTP time on the wall clock) "+
			"of the packet that completed it; counts network jitter, the reorder wait, queueing and processing."),
		latency: desc("frame_latency_seconds", "Latency of each frame from the read of the RTP packet that completed it to the frame's emission."),
	}
}

// Describe sends every metric's description.
func (c *sessionCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.started, c.refused, c.ended, c.packets, c.bytes, c.lost, c.late, c.recovered, c.decodeErrors,
		c.decodeTime, c.audio, c.frames, c.batches, c.feedDropped, c.lag, c.latency} {
		ch <- d
	}
}

// Collect reads the totals once and sends them.
func (c *sessionCollector) Collect(ch chan<- prometheus.Metric) {
	t := c.totals()
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, labels...)
	}
	counter(c.started, float64(t.Started))
	counter(c.refused, float64(t.Refused))
	counter(c.ended, float64(t.Stopped), media.SessionStopped)
	counter(c.ended, float64(t.Failed), media.SessionFailed)
	counter(c.packets, float64(t.Packets))
	counter(c.bytes, float64(t.PayloadBytes))
	counter(c.lost, float64(t.LostPackets))
	counter(c.late, float64(t.LatePackets))
	counter(c.recovered, float64(t.Recovered))
	counter(c.decodeErrors, float64(t.DecodeErrors))
	counter(c.decodeTime, t.DecodeTime.Seconds())
	counter(c.audio, float64(t.DecodedSamples)/media.OpusRate)
	counter(c.frames, float64(t.Frames))
	counter(c.batches, float64(t.Batches))
	counter(c.feedDropped, float64(c.dropped()))
	ch <- c.histogram(c.lag, &t.Lag)
	ch <- c.histogram(c.latency, &t.Latency)
}

// histogram converts a latency histogram: cumulative counts at c.bounds,
// in seconds.
func (c *sessionCollector) histogram(d *prometheus.Desc, h *media.LatencyTotal) prometheus.Metric {
	counts := h.Cumulative(c.bounds)
	buckets := make(map[float64]uint64, len(counts))
	for i, n := range counts {
		buckets[c.bounds[i].Seconds()] = n
	}
	return prometheus.MustNewConstHistogram(d, uint64(h.Count()), h.Sum().Seconds(), buckets)
}

// httpMetrics counts requests and saves as the handlers report them
// (handlers.Observer).
type httpMetrics struct {
	requests *prometheus.CounterVec
	saves    *prometheus.CounterVec
	saveTime *prometheus.HistogramVec
}

func newHTTPMetrics() *httpMetrics {
	m := &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "recorder_http_requests_total",
			Help: "HTTP requests answered, by method, route pattern (\"unmatched\" when none) and status.",
		}, []string{"method", "route", "status"}),
		saves: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "recorder_saves_total",
			Help: "Attempts to save a take, by mode (webrtc, upload, whole) and outcome (saved, or why not).",
		}, []string{"mode", "outcome"}),
		saveTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "recorder_save_duration_seconds",
			Help:    "How long saving a take took, whatever its outcome, by mode.",
			Buckets: prometheus.ExponentialBuckets(0.01, 2, 12), // 10 ms to 20 s
		}, []string{"mode"}),
	}
	for _, mode := range []string{"webrtc", "upload", "whole"} { // seen at 0 before the first save
		m.saves.WithLabelValues(mode, "saved")
		m.saveTime.WithLabelValues(mode)
	}
	return m
}

// Request counts one answered request.
func (m *httpMetrics) Request(method, route string, status int) {
	m.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
}

// Save counts one save attempt and its duration.
func (m *httpMetrics) Save(mode, outcome string, took time.Duration) {
	m.saves.WithLabelValues(mode, outcome).Inc()
	m.saveTime.WithLabelValues(mode).Observe(took.Seconds())
}
