//go:build unix

package rtc_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
	"github.com/avatarweb/recorder/media"
)

// benchRun is the wall time every session streams for in one iteration.
const benchRun = 3 * time.Second

// BenchmarkLatencyUnderLoad measures the server pipeline's latency while
// 1, 4 and 16 sessions stream at once into one Manager. Latency is RTP
// arrival → frame emitted: reorder wait + Opus decode + resample + framing,
// as Info().Framing.Latency reports it (log buckets ~19 % wide).
//
// Each session is an in-process rtcsend client, on loopback candidates only,
// sending the Chromium CELT capture in a loop (sequence numbers and
// timestamps continuing) at real time, one 20 ms packet every 20 ms, for
// benchRun of wall time. Streaming real time does not get faster with b.N,
// so one iteration is one whole run; run it once:
//
//	go test -run XXX -bench LatencyUnderLoad -benchtime 1x ./internal/rtc/
//
// Metrics, over every session of every iteration (ns/op is a whole run,
// connecting included, and means little):
//
//	p50_ms          mean of the sessions' p50
//	p99_ms          worst session's p99
//	p99/p50         p99_ms / p50_ms
//	frames          frames emitted per run, all sessions together
//	cpu_ms/s_audio  process CPU (user+sys, getrusage) while streaming, per
//	                second of audio the sessions produced; the clients run
//	                in the same process (SRTP, pacing), so this is an upper
//	                bound for the server's share
func BenchmarkLatencyUnderLoad(b *testing.B) {
	capture, err := rtcsend.ReadCapture(filepath.Join("..", "..", "media", "testdata", "chromium-440hz-celt.rtp"))
	if err != nil {
		b.Fatal(err)
	}
	api, err := rtcsend.NewAPI()
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) {
			baseline := settledGoroutines()
			var total loadResult
			for b.Loop() {
				total.add(runLoad(b, api, capture, n, benchRun))
			}
			total.report(b)
			waitGoroutines(b, baseline)
		})
	}
}

// loadResult sums what runs measured.
type loadResult struct {
	runs     int
	sessions int
	p50Sum   float64 // ms, over sessions
	p99Max   float64 // ms
	frames   int64
	audio    float64 // seconds of output, all sessions
	cpu      time.Duration
}

func (r *loadResult) add(o loadResult) {
	r.runs += o.runs
	r.sessions += o.sessions
	r.p50Sum += o.p50Sum
	r.p99Max = max(r.p99Max, o.p99Max)
	r.frames += o.frames
	r.audio += o.audio
	r.cpu += o.cpu
}

func (r loadResult) report(b *testing.B) {
	if r.sessions == 0 || r.runs == 0 {
		return
	}
	p50 := r.p50Sum / float64(r.sessions)
	b.ReportMetric(p50, "p50_ms")
	b.ReportMetric(r.p99Max, "p99_ms")
	if p50 > 0 {
		b.ReportMetric(r.p99Max/p50, "p99/p50")
	}
	b.ReportMetric(float64(r.frames)/float64(r.runs), "frames")
	if r.audio > 0 {
		b.ReportMetric(float64(r.cpu)/float64(time.Millisecond)/r.audio, "cpu_ms/s_audio")
	}
}

// runLoad connects n clients to a fresh Manager, streams the capture
// looped from all of them for d, reads every session's latency, and stops
// and closes everything.
func runLoad(b *testing.B, api *webrtc.API, capture rtcsend.Capture, n int, d time.Duration) loadResult {
	b.Helper()
	m, err := rtc.NewManager(rtc.Config{
		SpoolDir:        filepath.Join(b.TempDir(), "spool"),
		IncludeLoopback: true,
		Log:             benchLog(b),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer m.Close()

	peers := make([]*rtcsend.Peer, n)
	sessions := make([]*rtc.Session, n)
	for i := range n {
		p, offer, err := rtcsend.NewPeer(b.Context(), api)
		if err != nil {
			b.Fatal(err)
		}
		defer p.Close()
		s, answer, err := m.Offer(b.Context(), fmt.Sprintf("load-%d", i), offer, media.DefaultParams())
		if err != nil {
			b.Fatalf("Offer: %v", err)
		}
		if err := p.Accept(b.Context(), answer); err != nil {
			b.Fatal(err)
		}
		peers[i], sessions[i] = p, s
	}

	cpu0 := cpuTime(b)
	stats := make([]rtcsend.SendStats, n)
	errs := make([]error, n)
	ctx, cancel := context.WithTimeout(b.Context(), d)
	defer cancel()
	var wg sync.WaitGroup
	for i, p := range peers {
		wg.Go(func() { errs[i] = p.Stream(ctx, capture, &stats[i]) })
	}
	wg.Wait()
	for i, s := range sessions {
		if errs[i] != nil {
			b.Fatalf("session %s: %v", s.ID, errs[i])
		}
		sent, _ := stats[i].Snapshot(capture.Every)
		waitFor(b, 5*time.Second, func() bool { return s.Info().Stats.Packets >= sent },
			func() string {
				return fmt.Sprintf("session %s received %d of %d packets", s.ID, s.Info().Stats.Packets, sent)
			})
	}
	cpu := cpuTime(b) - cpu0

	r := loadResult{runs: 1, sessions: n, cpu: cpu}
	for _, s := range sessions {
		in := s.Info()
		lat := in.Framing.Latency
		if lat.Count == 0 {
			b.Fatalf("session %s emitted no frames", s.ID)
		}
		r.p50Sum += lat.P50ms
		r.p99Max = max(r.p99Max, lat.P99ms)
		r.frames += in.Framing.Frames
		r.audio += in.Duration
	}
	for _, s := range sessions {
		if _, err := m.Stop(s.ID); err != nil {
			b.Fatalf("Stop %s: %v", s.ID, err)
		}
	}
	return r
}

// cpuTime is the user and system CPU time this process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchLog sends warnings and errors to the benchmark's log while it runs,
// and drops what pion's goroutines log after it has ended.
func benchLog(b *testing.B) *slog.Logger {
	w := &testLog{t: b}
	b.Cleanup(func() {
		w.mu.Lock()
		w.done = true
		w.mu.Unlock()
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelWarn}))
}
