//go:build unix

package rtc_test

import (
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/rtc"
)

// benchRun is the wall time every session streams for in one iteration.
const benchRun = 3 * time.Second

// BenchmarkLatencyUnderLoad measures the server pipeline's latency while
// 1, 4 and 16 sessions stream at once into one Manager. Latency is RTP
// arrival → frame emitted: reorder wait + Opus decode + resample + framing,
// as Info().Framing.Latency reports it (log buckets ~19 % wide).
//
// Each session is an in-process pion client, on loopback candidates only,
// sending the Chromium CELT capture in a loop (sequence numbers and
// timestamps continuing) at real time, one 20 ms packet every 20 ms, for
// benchRun of wall time. Streaming real time does not get faster with b.N,
// so one iteration is one whole run; run it once:
//
//	go test -run XXX -bench LatencyUnderLoad -benchtime 1x ./media/rtc/
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
	pkts := celtCapture(b)
	for _, n := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("sessions=%d", n), func(b *testing.B) {
			baseline := settledGoroutines()
			var total loadResult
			for b.Loop() {
				total.add(runLoad(b, pkts, n, benchRun))
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

// runLoad connects n clients to a fresh Manager, streams pkts looped from
// all of them for d, reads every session's latency, and stops and closes
// everything.
func runLoad(b *testing.B, pkts []sendPacket, n int, d time.Duration) loadResult {
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

	clients := make([]*loopbackClient, n)
	sessions := make([]*rtc.Session, n)
	for i := range n {
		c := newLoopbackClient(b)
		defer c.close()
		s, answer, err := m.Offer(b.Context(), fmt.Sprintf("load-%d", i), c.offer, media.DefaultParams())
		if err != nil {
			b.Fatalf("Offer: %v", err)
		}
		c.accept(b, answer)
		clients[i], sessions[i] = c, s
	}

	cpu0 := cpuTime(b)
	sent := make([]int, n)
	errs := make([]error, n)
	until := time.Now().Add(d)
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() { sent[i], errs[i] = c.stream(pkts, until) })
	}
	wg.Wait()
	for i, s := range sessions {
		if errs[i] != nil {
			b.Fatalf("session %s: %v", s.ID, errs[i])
		}
		waitFor(b, 5*time.Second, func() bool { return s.Info().Stats.Packets >= int64(sent[i]) },
			func() string {
				return fmt.Sprintf("session %s received %d of %d packets", s.ID, s.Info().Stats.Packets, sent[i])
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

// loopbackClient is a browser like newBrowser's, but one that gathers and
// accepts loopback ICE candidates only, so the benchmark's traffic never
// leaves 127.0.0.1.
type loopbackClient struct {
	pc        *webrtc.PeerConnection
	track     *webrtc.TrackLocalStaticRTP
	offer     webrtc.SessionDescription
	connected chan struct{}
}

func newLoopbackClient(tb testing.TB) *loopbackClient {
	tb.Helper()
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1",
		},
		PayloadType: 111,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		tb.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se),
		webrtc.WithInterceptorRegistry(&interceptor.Registry{}))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		tb.Fatal(err)
	}
	c := &loopbackClient{pc: pc, connected: make(chan struct{})}
	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(c.connected) })
		}
	})
	c.track, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
	}, "audio", "bench")
	if err != nil {
		tb.Fatal(err)
	}
	tr, err := pc.AddTransceiverFromTrack(c.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		tb.Fatal(err)
	}
	go func() { // read the Manager's RTCP until the connection closes
		for {
			if _, _, err := tr.Sender().ReadRTCP(); err != nil {
				return
			}
		}
	}()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		tb.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		tb.Fatal(err)
	}
	select {
	case <-gathered:
	case <-time.After(10 * time.Second):
		tb.Fatal("client: ICE gathering did not complete")
	}
	c.offer = *pc.LocalDescription()
	return c
}

// accept sets the answer, less its candidates off loopback, and waits for
// the connection.
func (c *loopbackClient) accept(tb testing.TB, answer webrtc.SessionDescription) {
	tb.Helper()
	answer.SDP = loopbackCandidates(answer.SDP)
	if !strings.Contains(answer.SDP, "a=candidate:") {
		tb.Fatal("client: the answer has no loopback ICE candidate")
	}
	if err := c.pc.SetRemoteDescription(answer); err != nil {
		tb.Fatal(err)
	}
	select {
	case <-c.connected:
	case <-time.After(10 * time.Second):
		tb.Fatalf("client: not connected after 10s (state %s)", c.pc.ConnectionState())
	}
}

// loopbackCandidates drops every ICE candidate line whose address is not a
// loopback IP.
func loopbackCandidates(sdp string) string {
	lines := strings.SplitAfter(sdp, "\n")
	kept := lines[:0]
	for _, l := range lines {
		if f := strings.Fields(l); len(f) >= 5 && strings.HasPrefix(f[0], "a=candidate:") {
			if ip := net.ParseIP(f[4]); ip == nil || !ip.IsLoopback() {
				continue
			}
		}
		kept = append(kept, l)
	}
	return strings.Join(kept, "")
}

// stream sends pkts in a loop, sequence numbers and timestamps running on
// from one loop to the next, one packet every 20 ms from now until until.
// It returns how many packets it sent.
func (c *loopbackClient) stream(pkts []sendPacket, until time.Time) (int, error) {
	first, last := pkts[0], pkts[len(pkts)-1]
	seqSpan := last.seq - first.seq + 1
	tsSpan := last.ts - first.ts + packetSamples
	start := time.Now()
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * packetDur)
		if !at.Before(until) {
			return i, nil
		}
		time.Sleep(time.Until(at))
		loop, p := i/len(pkts), pkts[i%len(pkts)]
		h := rtp.Header{
			Version: 2, PayloadType: 111,
			SequenceNumber: p.seq + uint16(loop)*seqSpan,
			Timestamp:      p.ts + uint32(loop)*tsSpan,
		}
		if err := c.track.WriteRTP(&rtp.Packet{Header: h, Payload: p.payload}); err != nil {
			return i, fmt.Errorf("write packet %d: %w", i, err)
		}
	}
}

func (c *loopbackClient) close() { _ = c.pc.Close() }
