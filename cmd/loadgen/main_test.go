package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/handlers"
	"github.com/avatarweb/recorder/handlers/guard"
	"github.com/avatarweb/recorder/internal/dirstore"
	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/feed"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/settings"
)

const testCapture = "../../media/testdata/chromium-440hz-celt.rtp"

// testServer is the recorder wired as main.go's newServer wires it, on a
// temp data dir, serving on 127.0.0.1 at an ephemeral port.
type testServer struct {
	url      string
	db       *db.DB
	sessions *rtc.Manager
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	return startServerWith(t, rtc.Config{})
}

// startServerWith starts a server whose session manager has cfg's limits.
func startServerWith(t *testing.T, cfg rtc.Config) *testServer {
	t.Helper()
	log := slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
	dir := t.TempDir()
	database, err := db.Open(t.Context(), filepath.Join(dir, "recorder.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := database.Close(); err != nil {
			t.Error(err)
		}
	})
	hub := feed.NewHub(8)
	cfg.SpoolDir, cfg.Feed, cfg.IncludeLoopback, cfg.Log = filepath.Join(dir, "spool"), hub, true, log
	sessions, err := rtc.NewManager(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sessions.Close)
	h := handlers.Handler{
		Settings: settings.New(database),
		Feed:     hub,
		Sessions: sessions,
		Library: &library.Library{
			Store:    &dirstore.Store{Dir: filepath.Join(dir, "recordings")},
			Index:    database,
			Sessions: sessions,
			Log:      log,
		},
		Log:          log,
		OfferTimeout: 10 * time.Second,
	}
	h.Metrics = adaptor.HTTPHandler(promhttp.HandlerFor(testRegistry(sessions), promhttp.HandlerOpts{}))
	app := handlers.NewApp(h, handlers.AppConfig{
		Guard:   guard.New(guard.Config{OfferRate: 0, Log: log}),
		Log:     log,
		MaxBody: 4 << 20,
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	t.Cleanup(func() {
		if err := app.ShutdownWithTimeout(5 * time.Second); err != nil {
			t.Error(err)
		}
		<-served
	})
	return &testServer{url: "http://" + ln.Addr().String(), db: database, sessions: sessions}
}

// testRegistry is what the recorder's -metrics serves, as far as the soak
// reads it: runtime, process, live sessions and drafts.
func testRegistry(sessions *rtc.Manager) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)})),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "recorder_sessions_live", Help: "live"},
			func() float64 { return float64(sessions.Live()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "recorder_drafts", Help: "drafts"},
			func() float64 { return float64(sessions.Drafts()) }),
	)
	return reg
}

// runTable runs loadgen with args, which must succeed, and returns its
// output and the final table's rows, of which there must be n.
func runTable(t *testing.T, args []string, n int) (string, []map[string]string) {
	t.Helper()
	var out bytes.Buffer
	if err := run(t.Context(), args, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Logf("output:\n%s", out.String())
	rows := tableRows(t, out.String())
	if len(rows) != n {
		t.Fatalf("table has %d sessions, want %d", len(rows), n)
	}
	return out.String(), rows
}

// tableRows parses the final table: one map of column → value per row.
func tableRows(t *testing.T, out string) []map[string]string {
	t.Helper()
	var head []string
	var rows []map[string]string
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		switch {
		case len(f) > 0 && f[0] == "session" && len(f) > 1 && f[1] == "sent":
			head = f
		case head != nil && len(f) == len(head) && strings.HasPrefix(f[0], "load-"):
			r := map[string]string{}
			for i, name := range head {
				r[name] = f[i]
			}
			rows = append(rows, r)
		}
	}
	if head == nil {
		t.Fatalf("no table in the output:\n%s", out)
	}
	return rows
}

func atoi(t *testing.T, r map[string]string, col string) int {
	t.Helper()
	n, err := strconv.Atoi(r[col])
	if err != nil {
		t.Fatalf("column %s of %v: %v", col, r, err)
	}
	return n
}

func atof(t *testing.T, r map[string]string, col string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(r[col], 64)
	if err != nil {
		t.Fatalf("column %s of %v: %v", col, r, err)
	}
	return v
}

func TestRun(t *testing.T) {
	for _, tc := range []struct {
		name string
		save bool
	}{
		{"Discard", false},
		{"Save", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startServer(t)
			args := []string{"-url", srv.url, "-sessions", "2", "-duration", "2s", "-capture", testCapture}
			if tc.save {
				args = append(args, "-save")
			}
			out, rows := runTable(t, args, 2)
			if !strings.Contains(out, "live=2/2") {
				t.Error("no progress line shows both sessions live")
			}
			for _, r := range rows {
				sent, counted, frames := atoi(t, r, "sent"), atoi(t, r, "counted"), atoi(t, r, "frames")
				// 2 s of 20 ms packets: about 100.
				if sent < 90 || sent > 102 {
					t.Errorf("%s: sent %d packets in 2s, want about 100", r["session"], sent)
				}
				if counted < sent-2 || counted > sent {
					t.Errorf("%s: the server counted %d of %d packets", r["session"], counted, sent)
				}
				if frames <= 0 || atoi(t, r, "batches") < 0 {
					t.Errorf("%s: %d frames, %s batches", r["session"], frames, r["batches"])
				}
				if p50, p99 := atof(t, r, "p50_ms"), atof(t, r, "p99_ms"); p50 <= 0 || p99 < p50 {
					t.Errorf("%s: latency p50 %.2f ms, p99 %.2f ms", r["session"], p50, p99)
				}
				if server, wall := atof(t, r, "server_s"), atof(t, r, "wall_s"); server < wall-0.1 || server > wall+0.1 {
					t.Errorf("%s: the server has %.3f s of a %.3f s stream", r["session"], server, wall)
				}
				if r["state"] != media.SessionStopped {
					t.Errorf("%s: state %s, want %s", r["session"], r["state"], media.SessionStopped)
				}
			}

			n, err := srv.db.CountRecordings(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			want := 0
			if tc.save {
				want = 2
			}
			if n != want {
				t.Errorf("%d recordings saved, want %d", n, want)
			}
			for _, r := range rows {
				if _, err := srv.sessions.Get(r["session"]); !errors.Is(err, media.ErrNotFound) {
					t.Errorf("session %s still held after the run: %v", r["session"], err)
				}
			}
		})
	}
}

// TestRun_Arrivals: in an overload run the offers the server turns away
// (here at its cap of 2) are counted as refused, not as errors, and the
// admitted sessions stream as they connect.
func TestRun_Arrivals(t *testing.T) {
	srv := startServerWith(t, rtc.Config{MaxSessions: 2})
	args := []string{"-url", srv.url, "-sessions", "4", "-arrive", "400ms", "-duration", "2s", "-capture", testCapture, "-json"}
	var out bytes.Buffer
	if err := run(t.Context(), args, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	t.Logf("output:\n%s", out.String())
	var sum struct {
		Sessions, Offered, Refused int
		Sent, Counted              int64
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.Offered != 4 || sum.Sessions != 2 || sum.Refused != 2 {
		t.Errorf("offered %d, admitted %d, refused %d; want 4, 2, 2", sum.Offered, sum.Sessions, sum.Refused)
	}
	if sum.Sent < 180 || sum.Counted < sum.Sent-4 {
		t.Errorf("the admitted sessions sent %d packets, the server counted %d; want about 200 each way", sum.Sent, sum.Counted)
	}
}

func TestRun_RefusesRemoteHosts(t *testing.T) {
	for _, u := range []string{
		"http://example.com:8080",
		"http://192.168.1.10:8080",
		"http://10.0.0.1",
		"http://0.0.0.0:8080",
		"http://[2001:db8::1]:8080",
		"http://localhost.example.com:8080",
		"http://127.0.0.1.nip.io:8080",
		"http://:8080",
	} {
		t.Run(u, func(t *testing.T) {
			var out bytes.Buffer
			err := run(t.Context(), []string{"-url", u, "-sessions", "1", "-duration", "1s", "-capture", testCapture}, &out)
			if !errors.Is(err, errNotLoopback) {
				t.Errorf("run: %v, want it refused as not loopback", err)
			}
			if out.Len() > 0 {
				t.Errorf("output for a refused URL:\n%s", out.String())
			}
		})
	}
}

func TestLoopbackURL(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080", true},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080", true},
		{"http://localhost:8080", "http://localhost:8080", true},
		{"http://LOCALHOST", "http://LOCALHOST", true},
		{"http://[::1]:8080", "http://[::1]:8080", true},
		{"http://127.1.2.3:8080", "http://127.1.2.3:8080", true},
		{"127.0.0.1:8080", "", false},
		{"ws://127.0.0.1:8080", "", false},
		{"http://127.0.0.1:8080/webrtc", "", false},
		{"http://user@127.0.0.1:8080", "", false},
		{"http://example.com", "", false},
	} {
		got, err := loopbackURL(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("loopbackURL(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestDialLoopback(t *testing.T) {
	for addr, ok := range map[string]bool{
		"127.0.0.1:8080":      true,
		"[::1]:8080":          true,
		"10.0.0.1:8080":       false,
		"93.184.216.34:80":    false,
		"[2001:db8::1]:8080":  false,
		"localhost:8080":      false, // a dialer sees resolved IPs only
		"not an address at 1": false,
	} {
		err := dialLoopback("tcp", addr, nil)
		if (err == nil) != ok {
			t.Errorf("dialLoopback(%q) = %v, want ok %v", addr, err, ok)
		}
	}
}

func TestParseFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-sessions", "0"},
		{"-sessions", "1025"},
		{"-duration", "0s"},
		{"-every", "-1s"},
		{"extra"},
		{"-arrive", "-1s"},
		{"-arrive", "20s", "-spread"},
		{"-arrive", "20s", "-soak", "1m"},
	} {
		if _, err := parseFlags(args, &bytes.Buffer{}); err == nil {
			t.Errorf("parseFlags(%q) accepted", args)
		}
	}
	c, err := parseFlags(nil, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.capture != defaultCapture || c.url != "http://127.0.0.1:8080" || c.save {
		t.Errorf("defaults: %+v", c)
	}
}
