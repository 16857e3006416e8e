package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/avatarweb/recorder/internal/config"
	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
	"github.com/avatarweb/recorder/media"
)

// scrape GETs /metrics from srv and returns the status and body.
func scrape(t *testing.T, srv *Server, token string) (int, string) {
	t.Helper()
	return getAs(t, srv, "/metrics", token)
}

// getAs GETs target from srv, with the token when one is given.
func getAs(t *testing.T, srv *Server, target, token string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	req.Host = "localhost:8080"
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := srv.App.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(body)
}

func newTestServer(t *testing.T, args []string, env map[string]string) *Server {
	t.Helper()
	cfg, err := config.Parse(append([]string{"-data", t.TempDir(), "-addr", "127.0.0.1:0"}, args...),
		func(name string) string { return env[name] })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	return srv
}

// TestMetrics: off by default; with -metrics (or RECORDER_METRICS) the
// runtime, process and recorder figures in the Prometheus text format,
// the recorder's gauges read live.
func TestMetrics(t *testing.T) {
	t.Run("OffByDefault", func(t *testing.T) {
		srv := newTestServer(t, nil, nil)
		if code, _ := scrape(t, srv, ""); code != http.StatusNotFound {
			t.Errorf("GET /metrics without -metrics: %d, want 404", code)
		}
	})
	for name, tc := range map[string]struct {
		args []string
		env  map[string]string
	}{
		"Flag": {args: []string{"-metrics"}},
		"Env":  {env: map[string]string{"RECORDER_METRICS": "true"}},
	} {
		t.Run(name, func(t *testing.T) {
			srv := newTestServer(t, tc.args, tc.env)
			code, body := scrape(t, srv, "")
			if code != http.StatusOK {
				t.Fatalf("GET /metrics: %d\n%s", code, body)
			}
			for _, metric := range []string{
				"go_goroutines", "go_memstats_heap_inuse_bytes", "go_gc_heap_live_bytes",
				"process_resident_memory_bytes", "process_open_fds",
				"recorder_sessions_live", "recorder_drafts", "recorder_uploads_open",
			} {
				if !regexp.MustCompile(`(?m)^` + metric + ` [0-9.e+]+$`).MatchString(body) {
					t.Errorf("no sample of %s in:\n%s", metric, body)
				}
			}
			if !strings.Contains(body, "recorder_uploads_open 0\n") {
				t.Errorf("an upload is open before any began:\n%s", body)
			}
			req := httptest.NewRequest(http.MethodPost, "/uploads",
				strings.NewReader(`{"upload_id":"metrics-test","mime":"audio/webm;codecs=opus"}`))
			req.Host = "localhost:8080"
			req.Header.Set("Content-Type", "application/json")
			res, err := srv.App.Test(req, -1)
			if err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("POST /uploads: %v %v", res.StatusCode, err)
			}
			res.Body.Close()
			if _, body := scrape(t, srv, ""); !strings.Contains(body, "recorder_uploads_open 1\n") {
				t.Errorf("the begun upload is not counted:\n%s", body)
			}
		})
	}
	t.Run("BehindTheToken", func(t *testing.T) {
		const token = "metrics-token-for-tests"
		srv := newTestServer(t, []string{"-metrics"}, map[string]string{"RECORDER_TOKEN": token})
		if code, body := scrape(t, srv, ""); code != http.StatusUnauthorized && code != http.StatusSeeOther {
			t.Errorf("GET /metrics without the token: %d\n%s", code, body)
		}
		if code, body := scrape(t, srv, token); code != http.StatusOK || !strings.Contains(body, "go_goroutines") {
			t.Errorf("GET /metrics with the token: %d\n%s", code, body)
		}
	})
}

// callApp sends a request through srv's app (the Host the guards accept, a
// JSON body when given) and decodes a JSON answer into out when not nil.
func callApp(t *testing.T, srv *Server, method, target, body string, out any) int {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, r)
	req.Host = "localhost:8080"
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := srv.App.Test(req, -1)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	if out != nil {
		if err := json.NewDecoder(res.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: %d, %v", method, target, res.StatusCode, err)
		}
	}
	return res.StatusCode
}

// families scrapes srv's /metrics and parses the text format.
func families(t *testing.T, srv *Server) map[string]*dto.MetricFamily {
	t.Helper()
	code, body := scrape(t, srv, "")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: %d", code)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v\n%s", err, body)
	}
	return fams
}

// sample is the metric of family name whose labels include labels (name,
// value pairs); nil if there is none.
func sample(fams map[string]*dto.MetricFamily, name string, labels ...string) *dto.Metric {
	for _, m := range fams[name].GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for i := 0; i+1 < len(labels); i += 2 {
			match = match && have[labels[i]] == labels[i+1]
		}
		if match {
			return m
		}
	}
	return nil
}

// counter is the value of a counter sample, -1 if there is none.
func counter(fams map[string]*dto.MetricFamily, name string, labels ...string) float64 {
	m := sample(fams, name, labels...)
	if m == nil {
		return -1
	}
	return m.GetCounter().GetValue()
}

// recorderCounters are every recorder_* counter and histogram count, by
// name and labels.
func recorderCounters(fams map[string]*dto.MetricFamily) map[string]float64 {
	out := map[string]float64{}
	for name, f := range fams {
		if !strings.HasPrefix(name, "recorder_") {
			continue
		}
		for _, m := range f.GetMetric() {
			key := name + fmt.Sprint(m.GetLabel())
			switch f.GetType() {
			case dto.MetricType_COUNTER:
				out[key] = m.GetCounter().GetValue()
			case dto.MetricType_HISTOGRAM:
				out[key] = float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return out
}

// TestMetricsAfterTraffic streams a real WebRTC session into the server,
// stops and saves it, and reads /metrics with the Prometheus parser: the
// end-to-end lag and read→frame histograms count exactly the frames the
// session measured, with cumulative buckets fine around 4–5 ms; the
// session counters match the session's own; nothing goes down as the
// session ends and is forgotten; saves are counted by outcome; and HTTP
// requests are counted by route pattern, never by the session's path.
func TestMetricsAfterTraffic(t *testing.T) {
	if testing.Short() {
		t.Skip("streams a WebRTC session in real time")
	}
	srv := newTestServer(t, []string{"-metrics", "-ice-loopback=true"}, nil)
	before := families(t, srv)
	if n := counter(before, "recorder_rtp_packets_total"); n != 0 {
		t.Fatalf("recorder_rtp_packets_total = %v before any session, want 0", n)
	}

	capture, api := toneSender(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	const id = "session_metrics42"
	peer, offer, err := rtcsend.NewPeer(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	body, _ := json.Marshal(map[string]any{"offer": offer, "session_id": id})
	var answered struct {
		Answer webrtc.SessionDescription `json:"answer"`
	}
	if code := callApp(t, srv, http.MethodPost, "/webrtc/offer", string(body), &answered); code != http.StatusOK {
		t.Fatalf("offer: %d", code)
	}
	if err := peer.Accept(ctx, answered.Answer); err != nil {
		t.Fatal(err)
	}
	sctx, stopStream := context.WithTimeout(ctx, 1500*time.Millisecond)
	defer stopStream()
	streamed := make(chan error, 1)
	go func() { streamed <- peer.Stream(sctx, capture, &rtcsend.SendStats{}) }()
	time.Sleep(time.Second)
	live := families(t, srv) // while the session records
	if err := <-streamed; err != nil {
		t.Fatal(err)
	}
	var info media.SessionInfo
	if code := callApp(t, srv, http.MethodGet, "/webrtc/sessions/"+id, "", &info); code != http.StatusOK {
		t.Fatalf("session info: %d", code)
	}
	if code := callApp(t, srv, http.MethodPost, "/webrtc/stop", `{"session_id":"`+id+`"}`, nil); code != http.StatusOK {
		t.Fatalf("stop: %d", code)
	}
	if code := callApp(t, srv, http.MethodGet, "/webrtc/sessions/"+id, "", &info); code != http.StatusOK || info.State != media.SessionStopped {
		t.Fatalf("session info after stop: %d, %q", code, info.State)
	}
	stopped := families(t, srv)
	if code := callApp(t, srv, http.MethodPost, "/save_recording", `{"session_id":"`+id+`","recording_type":"webrtc"}`, nil); code != http.StatusOK {
		t.Fatalf("save: %d", code)
	}
	if code := callApp(t, srv, http.MethodPost, "/save_recording", `{"session_id":"session_never","recording_type":"webrtc"}`, nil); code != http.StatusNotFound {
		t.Fatalf("save of no session: %d, want 404", code)
	}
	after := families(t, srv)

	// The session's own figures, exactly.
	fr := info.Framing
	if fr.Frames < 30 || fr.Lag.Count < 30 || fr.Lag.Count > fr.Frames {
		t.Fatalf("the session framed %d frames, %d with a lag: too few to check", fr.Frames, fr.Lag.Count)
	}
	for _, c := range []struct {
		name string
		want float64
	}{
		{"recorder_frames_total", float64(fr.Frames)},
		{"recorder_batches_total", float64(fr.Batches)},
		{"recorder_rtp_packets_total", float64(info.Stats.Packets)},
		{"recorder_rtp_payload_bytes_total", float64(info.Stats.PayloadBytes)},
		{"recorder_rtp_packets_lost_total", float64(info.Stats.LostPackets)},
		{"recorder_rtp_packets_recovered_total", float64(info.Stats.RecoveredPackets)},
		{"recorder_sessions_started_total", 1},
	} {
		if got := counter(after, c.name); got != c.want {
			t.Errorf("%s = %v, want the session's %v", c.name, got, c.want)
		}
	}
	if got := counter(after, "recorder_sessions_ended_total", "state", "stopped"); got != 1 {
		t.Errorf("sessions ended stopped = %v, want 1", got)
	}
	if got, want := counter(after, "recorder_audio_decoded_seconds_total"), float64(info.Stats.DecodedSamples)/48000; got != want || got < 1 {
		t.Errorf("audio decoded = %v s, want the session's %v s", got, want)
	}
	if got := counter(after, "recorder_opus_decode_seconds_total"); got <= 0 {
		t.Errorf("decode time = %v s, want some", got)
	}
	for name, want := range map[string]int64{
		"recorder_frame_lag_seconds":     fr.Lag.Count,
		"recorder_frame_latency_seconds": fr.Latency.Count,
	} {
		m := sample(after, name)
		if m == nil {
			t.Errorf("no %s", name)
			continue
		}
		h := m.GetHistogram()
		if int64(h.GetSampleCount()) != want {
			t.Errorf("%s counts %d frames, the session measured %d", name, h.GetSampleCount(), want)
		}
		if h.GetSampleSum() <= 0 {
			t.Errorf("%s sums to %v s", name, h.GetSampleSum())
		}
		var prev uint64
		fine := 0 // bounds between 4 and 5 ms: they tell 4 ms from 5 ms
		for _, b := range h.GetBucket() {
			if b.GetCumulativeCount() < prev || b.GetCumulativeCount() > h.GetSampleCount() {
				t.Errorf("%s: bucket le=%v holds %d after %d (of %d)", name, b.GetUpperBound(), b.GetCumulativeCount(), prev, h.GetSampleCount())
			}
			prev = b.GetCumulativeCount()
			if ub := b.GetUpperBound(); ub > 0.004 && ub < 0.005 {
				fine++
			}
		}
		if n := len(h.GetBucket()); n < 30 || n > 45 || fine == 0 {
			t.Errorf("%s: %d buckets, %d between 4 and 5 ms; want 30-45, one or more", name, n, fine)
		}
	}

	// Rising, and never falling as the session ends and is forgotten.
	if l, a := counter(live, "recorder_rtp_packets_total"), counter(after, "recorder_rtp_packets_total"); l <= 0 || a <= l {
		t.Errorf("packets: %v while live, %v after; want them rising", l, a)
	}
	if l, a := sample(live, "recorder_frame_lag_seconds").GetHistogram().GetSampleCount(), sample(after, "recorder_frame_lag_seconds").GetHistogram().GetSampleCount(); l == 0 || a <= l {
		t.Errorf("lag count: %v while live, %v after; want them rising", l, a)
	}
	scrapes := []map[string]float64{recorderCounters(before), recorderCounters(live), recorderCounters(stopped), recorderCounters(after)}
	for i := 1; i < len(scrapes); i++ {
		for key, v := range scrapes[i-1] {
			if now, ok := scrapes[i][key]; !ok || now < v {
				t.Errorf("scrape %d: %s went from %v to %v (present: %v)", i, key, v, now, ok)
			}
		}
	}

	// Saves by outcome; requests by route pattern.
	if got := counter(after, "recorder_saves_total", "mode", "webrtc", "outcome", "saved"); got != 1 {
		t.Errorf("saves saved = %v, want 1", got)
	}
	if got := counter(after, "recorder_saves_total", "mode", "webrtc", "outcome", "not_found"); got != 1 {
		t.Errorf("saves not_found = %v, want 1", got)
	}
	if m := sample(after, "recorder_save_duration_seconds", "mode", "webrtc"); m.GetHistogram().GetSampleCount() != 2 {
		t.Errorf("save durations: %v observed, want 2", m.GetHistogram().GetSampleCount())
	}
	for _, c := range []struct {
		method, route, status string
		want                  float64
	}{
		{"GET", "/webrtc/sessions/:id", "200", 2},
		{"POST", "/webrtc/offer", "200", 1},
		{"POST", "/webrtc/stop", "200", 1},
		{"POST", "/save_recording", "200", 1},
		{"POST", "/save_recording", "404", 1},
		{"GET", "/metrics", "200", 3}, // this scrape is counted once answered
	} {
		if got := counter(after, "recorder_http_requests_total", "method", c.method, "route", c.route, "status", c.status); got != c.want {
			t.Errorf("requests %s %s %s = %v, want %v", c.method, c.route, c.status, got, c.want)
		}
	}
	for _, m := range after["recorder_http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if strings.Contains(l.GetValue(), "session_") {
				t.Errorf("a label holds a path, not a route: %v", m.GetLabel())
			}
		}
	}
}

// TestProfiles: /debug/pprof/ is off by default; with -pprof it serves the
// runtime's profiles, behind the token when one is set.
func TestProfiles(t *testing.T) {
	get := func(srv *Server, token string) (int, string) {
		t.Helper()
		return getAs(t, srv, "/debug/pprof/heap?debug=1", token)
	}
	if code, _ := get(newTestServer(t, nil, nil), ""); code != http.StatusNotFound {
		t.Errorf("GET /debug/pprof/heap without -pprof: %d, want 404", code)
	}
	if code, body := get(newTestServer(t, []string{"-pprof"}, nil), ""); code != http.StatusOK || !strings.Contains(body, "heap profile:") {
		t.Errorf("GET /debug/pprof/heap with -pprof: %d\n%.300s", code, body)
	}
	const token = "pprof-token-for-tests"
	srv := newTestServer(t, nil, map[string]string{"RECORDER_PPROF": "1", "RECORDER_TOKEN": token})
	if code, _ := get(srv, ""); code == http.StatusOK {
		t.Error("GET /debug/pprof/heap without the token: 200")
	}
	if code, _ := get(srv, token); code != http.StatusOK {
		t.Errorf("GET /debug/pprof/heap with the token: %d", code)
	}
}

// TestMetricsCountOtherMethods: a request with a method HTTP does not
// define (PROPFIND, BREW) is answered 400 by Fiber before any middleware,
// and was missing from recorder_http_requests_total; it is counted as
// method OTHER, route unmatched.
func TestMetricsCountOtherMethods(t *testing.T) {
	srv := newTestServer(t, []string{"-metrics"}, nil)
	for _, m := range []string{"PROPFIND", "BREW", "BREW"} {
		req := httptest.NewRequest(m, "/recordings", nil)
		req.Host = "localhost:8080"
		res, err := srv.App.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusBadRequest {
			t.Fatalf("%s: %d, want 400", m, res.StatusCode)
		}
	}
	if got := counter(families(t, srv), "recorder_http_requests_total", "method", "OTHER", "route", "unmatched", "status", "400"); got != 3 {
		t.Errorf("requests OTHER unmatched 400 = %v, want 3", got)
	}
}
