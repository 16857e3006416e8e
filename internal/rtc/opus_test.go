package rtc_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// TestSession_KeepsOpus: a take whose format is opus, streamed over a real
// WebRTC connection with packets lost, a DTX pause and a stalled sender,
// is kept as an Ogg whose packets are the RTP payloads sent, byte for
// byte and in order, and which lasts as long as the take (its PCM, and the
// wall clock from the first packet to the stop) within one 20 ms packet.
func TestSession_KeepsOpus(t *testing.T) {
	capture, err := rtcsend.ReadCapture(filepath.Join("..", "..", "media", "testdata", "chromium-440hz-celt.rtp"))
	if err != nil {
		t.Fatal(err)
	}
	// 250 slots of 20 ms (5 s). A lost packet uses its sequence number; a
	// DTX pause or a quiet sender sends nothing and uses none.
	const slots = 250
	lost := func(i int) bool { return i == 40 || i == 41 || i == 100 }
	quiet := func(i int) bool { return (i >= 120 && i < 150) || (i >= 170 && i < 230) } // 0.6 s DTX; a 1.2 s stall
	var (
		stream = rtcsend.Capture{Every: capture.Every, Step: capture.Step, SeqSpan: 1 << 15, TsSpan: 1 << 30}
		plan   []rtcsend.Send
		sent   [][]byte
		seq    = capture.Pkts[0].SequenceNumber
	)
	for i := range slots {
		if quiet(i) {
			continue
		}
		p := capture.Pkts[i%len(capture.Pkts)]
		p.SequenceNumber, p.Timestamp = seq, capture.Pkts[0].Timestamp+uint32(i)*capture.Step
		seq++
		if lost(i) {
			continue
		}
		stream.Pkts = append(stream.Pkts, p)
		plan = append(plan, rtcsend.Send{Index: len(stream.Pkts) - 1, At: time.Duration(i) * capture.Every})
		sent = append(sent, p.Payload)
	}

	m, s, take := streamOpusTake(t, "opus", 16000, stream, plan)
	if take.OpusPath == "" {
		t.Fatal("the take was not kept as Opus")
	}
	info := s.Info()
	t.Logf("stats: %+v", info.Stats)

	b, err := os.ReadFile(take.OpusPath)
	if err != nil {
		t.Fatal(err)
	}
	oi, kept, lostFrames, err := mediatest.OggPackets(b)
	if err != nil {
		t.Fatalf("the take's Ogg does not read: %v", err)
	}
	if !slices.EqualFunc(kept, sent, bytes.Equal) {
		t.Errorf("the Ogg holds %d packets, not the %d RTP payloads sent", len(kept), len(sent))
	}
	// 3 lost, 30 of DTX, 60 of the stall, and the 300 ms before the stop.
	if lostFrames < 3+30+60 {
		t.Errorf("%d lost frames stand for the time without packets, want at least %d", lostFrames, 3+30+60)
	}
	oggSeconds := float64(oi.Granule) / media.OpusRate
	if d := oggSeconds - take.Duration(); d < -0.02 || d > 0.02 {
		t.Errorf("the Ogg lasts %.3f s, the take %.3f s", oggSeconds, take.Duration())
	}
	wall := float64(slots)*0.02 + 0.3
	if oggSeconds < wall-0.1 || oggSeconds > wall+0.25 {
		t.Errorf("the Ogg lasts %.3f s for a take of about %.2f s on the wall clock", oggSeconds, wall)
	}
	t.Logf("%d packets sent, Ogg of %d bytes, %.3f s (take %.3f s): %.0f bytes/s", len(sent), len(b), oggSeconds, take.Duration(), float64(len(b))/oggSeconds)

	// The Ogg goes with the rest of the draft.
	if err := m.Release("opus"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(take.OpusPath); !os.IsNotExist(err) {
		t.Errorf("the Ogg is still there after the draft was released: %v", err)
	}
}

// streamOpusTake streams stream by plan from a pion peer over a real
// connection into a new take id kept as Opus at rate Hz, mono, and stops
// it once the last packets have landed.
func streamOpusTake(t *testing.T, id string, rate int, stream rtcsend.Capture, plan []rtcsend.Send) (*rtc.Manager, *rtc.Session, media.Take) {
	t.Helper()
	m := newManager(t)
	api, err := rtcsend.NewAPI()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	peer, offer, err := rtcsend.NewPeer(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	p := params(rate, 1)
	p.Format = media.FormatOpus
	s, answer, err := m.Offer(ctx, id, offer, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := peer.Accept(ctx, answer); err != nil {
		t.Fatal(err)
	}
	var st rtcsend.SendStats
	if n, err := peer.StreamPlan(ctx, stream, plan, &st); err != nil || n != len(plan) {
		t.Fatalf("sent %d of %d packets: %v", n, len(plan), err)
	}
	time.Sleep(300 * time.Millisecond) // the last packets land; the stop comes after
	take, err := m.Stop(id)
	if err != nil {
		t.Fatal(err)
	}
	return m, s, take
}
