package rtc_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// Opus packets in the captures are 20 ms long.
const (
	packetDur     = 20 * time.Millisecond
	packetSamples = media.OpusRate / 50
)

// sendPacket is one RTP packet of a test stream and when to send it,
// counted from the first packet.
type sendPacket struct {
	at      time.Duration
	seq     uint16
	ts      uint32
	payload []byte
	pt      uint8 // payload type, if not the negotiated Opus one (111)
}

// loadCapture reads a Chromium capture from media/testdata and lays it out
// for sending at 20 ms intervals.
func loadCapture(t testing.TB, name string) []sendPacket {
	t.Helper()
	pkts, err := mediatest.ReadPackets(filepath.Join("..", "..", "media", "testdata", name), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	out := make([]sendPacket, len(pkts))
	for i, p := range pkts {
		out[i] = sendPacket{at: time.Duration(i) * packetDur, seq: p.SequenceNumber, ts: p.Timestamp, payload: p.Payload}
	}
	return out
}

func celtCapture(t testing.TB) []sendPacket { return loadCapture(t, "chromium-440hz-celt.rtp") }
func silkCapture(t testing.TB) []sendPacket { return loadCapture(t, "chromium-440hz-silk.rtp") }

// timeline is the length of a stream's RTP timeline in seconds, from the
// first packet's timestamp to the end of the last packet.
func timeline(pkts []sendPacket) float64 {
	first, last := pkts[0].ts, pkts[0].ts
	for _, p := range pkts {
		if int32(p.ts-last) > 0 {
			last = p.ts
		}
	}
	return float64(last-first+packetSamples) / media.OpusRate
}

// testLog sends a Manager's log to the test's log while the test runs and
// drops what pion's goroutines log after it has ended.
type testLog struct {
	mu   sync.Mutex
	t    testing.TB
	done bool
}

func (w *testLog) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(string(bytes.TrimRight(p, "\n")))
	}
	return len(p), nil
}

// newManager returns a Manager spooling into a fresh temporary directory;
// it is closed when the test ends.
func newManager(t testing.TB, configure ...func(*rtc.Config)) *rtc.Manager {
	t.Helper()
	logw := &testLog{t: t}
	t.Cleanup(func() {
		logw.mu.Lock()
		logw.done = true
		logw.mu.Unlock()
	})
	cfg := rtc.Config{
		SpoolDir:        filepath.Join(t.TempDir(), "spool"),
		IncludeLoopback: true,
		Log:             slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	for _, f := range configure {
		f(&cfg)
	}
	m, err := rtc.NewManager(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}

// browser is the browser side of a session: a pion peer connection that
// sends one Opus track, with no interceptors, so that nothing is ever
// retransmitted and the Manager sees exactly the packets a test sends.
type browser struct {
	pc        *webrtc.PeerConnection
	track     *webrtc.TrackLocalStaticRTP
	raw       *rawTrack // the same track, for packets WriteRTP would rewrite
	offer     webrtc.SessionDescription
	connected chan struct{}
	reports   atomic.Int64                         // RTCP receiver reports the Manager sent about the track
	report    atomic.Pointer[rtcp.ReceptionReport] // the newest
}

// rawTrack is a TrackLocalStaticRTP that also keeps its binding's writer,
// so a test can send a header the track would not (another payload type).
type rawTrack struct {
	*webrtc.TrackLocalStaticRTP

	mu   sync.Mutex
	ssrc webrtc.SSRC
	w    webrtc.TrackLocalWriter
}

func (r *rawTrack) Bind(c webrtc.TrackLocalContext) (webrtc.RTPCodecParameters, error) {
	r.mu.Lock()
	r.ssrc, r.w = c.SSRC(), c.WriteStream()
	r.mu.Unlock()
	return r.TrackLocalStaticRTP.Bind(c)
}

// writeRTP sends h and payload as they are, but for the SSRC.
func (r *rawTrack) writeRTP(h rtp.Header, payload []byte) error {
	r.mu.Lock()
	ssrc, w := r.ssrc, r.w
	r.mu.Unlock()
	h.SSRC = uint32(ssrc)
	if w == nil {
		return errors.New("browser: track not bound")
	}
	_, err := w.WriteRTP(&h, payload)
	return err
}

// newBrowser creates the peer connection and its offer, with every ICE
// candidate gathered. It is closed when the test ends.
func newBrowser(t testing.TB) *browser {
	t.Helper()
	return newBrowserWith(t, nil)
}

// newBrowserWith is newBrowser with settings of its own (nil: none).
func newBrowserWith(t testing.TB, set func(*webrtc.SettingEngine)) *browser {
	t.Helper()
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1",
		},
		PayloadType: 111,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		t.Fatal(err)
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	if set != nil {
		set(&se)
	}
	api := webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se),
		webrtc.WithInterceptorRegistry(&interceptor.Registry{}))
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{pc: pc, connected: make(chan struct{})}
	t.Cleanup(b.close)

	var once sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		if s == webrtc.PeerConnectionStateConnected {
			once.Do(func() { close(b.connected) })
		}
	})
	b.track, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
	}, "audio", "test")
	if err != nil {
		t.Fatal(err)
	}
	b.raw = &rawTrack{TrackLocalStaticRTP: b.track}
	tr, err := pc.AddTransceiverFromTrack(b.raw, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		t.Fatal(err)
	}
	go func() { // read the Manager's RTCP until the connection closes
		for {
			pkts, _, err := tr.Sender().ReadRTCP()
			if err != nil {
				return
			}
			for _, p := range pkts {
				if rr, ok := p.(*rtcp.ReceiverReport); ok && len(rr.Reports) > 0 {
					b.report.Store(&rr.Reports[0])
					b.reports.Add(1)
				}
			}
		}
	}()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gathered:
	case <-time.After(10 * time.Second):
		t.Fatal("browser: ICE gathering did not complete")
	}
	b.offer = *pc.LocalDescription()
	return b
}

// accept sets the Manager's answer and waits for the connection.
func (b *browser) accept(t testing.TB, answer webrtc.SessionDescription) {
	t.Helper()
	if err := b.pc.SetRemoteDescription(answer); err != nil {
		t.Fatal(err)
	}
	select {
	case <-b.connected:
	case <-time.After(10 * time.Second):
		t.Fatalf("browser: not connected after 10s (state %s)", b.pc.ConnectionState())
	}
}

// send writes pkts in order, each at its time (the first one now), in
// real time.
func (b *browser) send(t testing.TB, pkts []sendPacket) {
	t.Helper()
	if len(pkts) == 0 {
		return
	}
	start := time.Now().Add(-pkts[0].at)
	for _, p := range pkts {
		time.Sleep(time.Until(start.Add(p.at)))
		h := rtp.Header{Version: 2, SequenceNumber: p.seq, Timestamp: p.ts, PayloadType: 111}
		var err error
		if p.pt == 0 {
			err = b.track.WriteRTP(&rtp.Packet{Header: h, Payload: p.payload})
		} else {
			h.PayloadType = p.pt
			err = b.raw.writeRTP(h, p.payload)
		}
		if err != nil {
			t.Fatalf("browser: write packet %d: %v", p.seq, err)
		}
	}
}

func (b *browser) close() { _ = b.pc.Close() }

// connect starts session id on m from a new browser.
func connect(t testing.TB, m *rtc.Manager, id string, p media.Params) (*browser, *rtc.Session) {
	t.Helper()
	b := newBrowser(t)
	s, answer, err := m.Offer(t.Context(), id, b.offer, p)
	if err != nil {
		t.Fatalf("Offer: %v", err)
	}
	if s.ID != id || s.Params != p {
		t.Fatalf("Offer returned session %q with %+v, want %q with %+v", s.ID, s.Params, id, p)
	}
	if answer.Type != webrtc.SDPTypeAnswer || !strings.Contains(answer.SDP, "a=candidate:") {
		t.Fatalf("Offer: answer is not a complete answer:\n%s", answer.SDP)
	}
	b.accept(t, answer)
	return b, s
}

// sendAll sends pkts and waits until the session has received every one.
func sendAll(t testing.TB, b *browser, s *rtc.Session, pkts []sendPacket) {
	t.Helper()
	want := s.Info().Stats.Packets
	for _, p := range pkts {
		if p.pt == 0 { // the session counts only what pion hands over
			want++
		}
	}
	b.send(t, pkts)
	waitFor(t, 5*time.Second, func() bool { return s.Info().Stats.Packets >= want },
		func() string { return fmt.Sprintf("session received %d of %d packets", s.Info().Stats.Packets, want) })
}

// record runs a whole session: connect, send pkts, Stop.
func record(t testing.TB, m *rtc.Manager, id string, p media.Params, pkts []sendPacket) (media.Take, *rtc.Session) {
	t.Helper()
	b, s := connect(t, m, id, p)
	if got := s.State(); got != media.SessionConnecting && got != media.SessionLive {
		t.Fatalf("state after connecting = %q", got)
	}
	sendAll(t, b, s, pkts)
	if got := s.State(); got != media.SessionLive {
		t.Errorf("state while sending = %q, want %q", got, media.SessionLive)
	}
	take, err := m.Stop(id)
	if err != nil {
		t.Fatalf("Stop: %v", err)
	}
	return take, s
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, what())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// readTake reads a take's spool file as float samples and checks its size.
func readTake(t testing.TB, take media.Take) []float32 {
	t.Helper()
	data, err := os.ReadFile(take.SpoolPath)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != take.PCMBytes {
		t.Fatalf("spool file has %d bytes, take says %d", len(data), take.PCMBytes)
	}
	if len(data)%(2*take.Channels) != 0 {
		t.Fatalf("spool file has %d bytes: not whole %d-channel int16 frames", len(data), take.Channels)
	}
	return media.S16LEToFloat(nil, data)
}

// checkDuration checks that got is want seconds ±5 %.
func checkDuration(t testing.TB, got, want float64) {
	t.Helper()
	t.Logf("take lasts %.3fs, timeline %.3fs", got, want)
	if got < want*0.95 || got > want*1.05 {
		t.Errorf("take lasts %.3fs, want %.3fs ±5%%", got, want)
	}
}

// checkTone checks that interleaved samples hold a 440 Hz tone after their
// first 200 ms, at a sensible level and the same on every channel.
func checkTone(t testing.TB, samples []float32, rate, channels int) {
	t.Helper()
	left := mediatest.Channel(samples, channels, 0)
	skip := rate / 5
	if len(left) <= skip+rate/5 {
		t.Fatalf("only %d frames of audio", len(left))
	}
	f, rms := mediatest.DominantFrequency(left[skip:], rate), mediatest.RMS(left[skip:])
	t.Logf("%d Hz × %d: %.2f Hz at RMS %.3f", rate, channels, f, rms)
	if f < 438 || f > 442 {
		t.Errorf("dominant frequency %.2f Hz, want 440 ± 2 Hz", f)
	}
	if rms < 0.1 || rms > 0.9 {
		t.Errorf("RMS %.3f, want between 0.1 and 0.9", rms)
	}
	for c := 1; c < channels; c++ {
		other := mediatest.Channel(samples, channels, c)
		for i := range left {
			if other[i] != left[i] {
				t.Errorf("channel %d differs from channel 0 at frame %d: %v vs %v", c, i, other[i], left[i])
				break
			}
		}
	}
}

// span returns frames [from, to) seconds of mono samples at rate.
func span(samples []float32, rate int, from, to float64) []float32 {
	lo, hi := int(from*float64(rate)), int(to*float64(rate))
	lo, hi = max(lo, 0), min(hi, len(samples))
	if lo >= hi {
		return nil
	}
	return samples[lo:hi]
}

// peak is the largest absolute sample.
func peak(samples []float32) float32 {
	var p float32
	for _, s := range samples {
		p = max(p, s, -s)
	}
	return p
}

// checkSilence checks that audio stops for exactly the gap [from, to)
// seconds: silent inside (less 10 ms at each edge for filter ringing and the
// decoder's delay) and a tone on either side.
func checkSilence(t testing.TB, mono []float32, rate int, from, to float64) {
	t.Helper()
	const edge = 0.010
	if p := peak(span(mono, rate, from+edge, to-edge)); p > 0.001 {
		t.Errorf("gap %.3f–%.3fs is not silent: peak %.4f", from, to, p)
	}
	if rms := mediatest.RMS(span(mono, rate, from-0.1, from-edge)); rms < 0.1 {
		t.Errorf("no audio just before the gap at %.3fs: RMS %.4f", from, rms)
	}
	if rms := mediatest.RMS(span(mono, rate, to+0.04, to+0.14)); rms < 0.1 {
		t.Errorf("no audio just after the gap at %.3fs: RMS %.4f", to, rms)
	}
}

// openFiles lists the files this process holds open under dir (Linux).
func openFiles(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skipf("cannot list open files: %v", err)
	}
	var open []string
	for _, e := range entries {
		target, err := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if err == nil && strings.HasPrefix(target, dir) {
			open = append(open, target)
		}
	}
	return open
}

// settledGoroutines waits (up to 3s) for the goroutine count to hold still
// for a quarter of a second and returns it.
func settledGoroutines() int {
	n, same := runtime.NumGoroutine(), 0
	for deadline := time.Now().Add(3 * time.Second); same < 5 && time.Now().Before(deadline); {
		time.Sleep(50 * time.Millisecond)
		if m := runtime.NumGoroutine(); m == n {
			same++
		} else {
			n, same = m, 0
		}
	}
	return n
}

// waitGoroutines waits until at most want goroutines run, and otherwise
// fails with every goroutine's stack.
func waitGoroutines(t testing.TB, want int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > want {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines still running, want at most %d:\n%s", runtime.NumGoroutine(), want, buf)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// isNotExist reports whether path is gone.
func isNotExist(path string) bool {
	_, err := os.Stat(path)
	return errors.Is(err, os.ErrNotExist)
}

// TestAnswerAsksForBitrate: the answer carries the Opus bit rate browsers
// are asked to send at (RFC 7587 maxaveragebitrate), and none when the
// choice is left to them.
func TestAnswerAsksForBitrate(t *testing.T) {
	for _, tc := range []struct {
		bitrate int
		want    string
	}{{28000, "maxaveragebitrate=28000"}, {0, ""}} {
		m := newManager(t, func(c *rtc.Config) { c.OpusBitrate = tc.bitrate })
		b := newBrowser(t)
		_, answer, err := m.Offer(t.Context(), fmt.Sprintf("bitrate-%d", tc.bitrate), b.offer, media.DefaultParams())
		if err != nil {
			t.Fatal(err)
		}
		b.close()
		var fmtp string
		for line := range strings.Lines(answer.SDP) {
			if strings.HasPrefix(line, "a=fmtp:111 ") {
				fmtp = strings.TrimSpace(line)
			}
		}
		if got := strings.Contains(fmtp, "maxaveragebitrate="); got != (tc.want != "") || !strings.Contains(fmtp, tc.want) {
			t.Errorf("asking for %d bits/s, the answer's Opus line is %q", tc.bitrate, fmtp)
		}
	}
}
