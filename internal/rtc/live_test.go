package rtc_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/media"
)

// recordingFeed is a Feed that keeps what it is given.
type recordingFeed struct {
	mu      sync.Mutex
	batches []media.Batch
	params  []media.Params
	ended   []string
}

func (f *recordingFeed) Publish(_ string, b media.Batch, p media.Params) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.batches = append(f.batches, b.Clone()) // valid only during Publish
	f.params = append(f.params, p)
	return nil
}

func (f *recordingFeed) Subscribers(string) int { return 1 }

func (f *recordingFeed) End(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ended = append(f.ended, id)
}

// TestFraming: a take is cut into frames of rate/fps samples, grouped in
// batches, published to the feed, and every sample is framed once.
func TestFraming(t *testing.T) {
	t.Parallel()
	feed := &recordingFeed{}
	m := newManager(t, func(c *rtc.Config) { c.Feed = feed })
	p := media.Params{FPS: 30, BatchSize: 16, SampleRate: 16000, Channels: 1}
	take, s := record(t, m, "framed", p, celtCapture(t))

	info := s.Info().Framing
	outFrames := take.PCMBytes / 2
	// 16000/30 = 533.33: frames of 533 or 534 samples, the last one short.
	if want := (outFrames*30 + 15999) / 16000; info.Frames != want {
		t.Errorf("%d frames for %d samples, want %d", info.Frames, outFrames, want)
	}
	feed.mu.Lock()
	defer feed.mu.Unlock()
	var framed int64
	var next int64
	for i, b := range feed.batches {
		if b.Index != int64(i) || b.FirstFrame != next {
			t.Errorf("batch %d: index %d first frame %d, want %d %d", i, b.Index, b.FirstFrame, i, next)
		}
		if i < len(feed.batches)-1 && len(b.Frames) != 16 {
			t.Errorf("batch %d holds %d frames, want 16", i, len(b.Frames))
		}
		for _, fr := range b.Frames {
			if fr.Start != framed || fr.Len() < 533 && fr.Index != info.Frames-1 || fr.Len() > 534 {
				t.Errorf("frame %d starts at %d with %d samples; %d framed before it", fr.Index, fr.Start, fr.Len(), framed)
			}
			framed += int64(fr.Len())
		}
		next += int64(len(b.Frames))
		if feed.params[i] != p {
			t.Errorf("batch %d published with %+v, want %+v", i, feed.params[i], p)
		}
	}
	if framed != outFrames || int64(len(feed.batches)) != info.Batches {
		t.Errorf("framed %d of %d samples in %d batches (session says %d)", framed, outFrames, len(feed.batches), info.Batches)
	}
	if !slices.Equal(feed.ended, []string{"framed"}) {
		t.Errorf("feed ended %v, want the session once", feed.ended)
	}
	if info.Latency.Count != info.Frames || info.Latency.P50ms <= 0 || info.Latency.P99ms < info.Latency.P50ms {
		t.Errorf("latency %+v for %d frames", info.Latency, info.Frames)
	}
	// Every frame but those the stop drains has an end-to-end lag.
	if l := info.Lag; l.Count < info.Frames-2 || l.Count > info.Frames || l.P50ms <= 0 || l.P99ms < l.P50ms || l.MaxMs < l.P99ms {
		t.Errorf("lag %+v for %d frames", l, info.Frames)
	}
	if r := info.LatencyRecent; r.Count == 0 || r.Count > info.Latency.Count {
		t.Errorf("recent latency %+v, whole session %+v", r, info.Latency)
	}
	// A tone from the first frame on is the background to the voice
	// detector (its noise floor starts there), but its level is measured.
	if f := info.Features; f.RMS < 0.3 || f.RMS > 0.4 || f.Peak < 0.45 || f.Peak > 0.55 {
		t.Errorf("a 440 Hz tone at -6 dBFS: features %+v, want RMS ~0.35 and peak ~0.5", f)
	}
	if take.Frames != info.Frames || len(take.Changes) != 0 {
		t.Errorf("take: %d frames, changes %+v", take.Frames, take.Changes)
	}
}

// TestFramingApply: fps and batch size changed mid-take apply at the next
// boundary, are logged where they took effect, and lose no sample.
func TestFramingApply(t *testing.T) {
	t.Parallel()
	feed := &recordingFeed{}
	m := newManager(t, func(c *rtc.Config) { c.Feed = feed })
	p := media.Params{FPS: 30, BatchSize: 16, SampleRate: 48000, Channels: 1}
	b, s := connect(t, m, "changing", p)
	pkts := celtCapture(t)
	sendAll(t, b, s, pkts[:50])
	waitFor(t, 5*time.Second, func() bool { return s.Info().Framing.Frames >= 25 }, func() string { return "frames did not flow" })
	next := p
	next.FPS, next.BatchSize = 25, 32
	m.Apply(next)
	sendAll(t, b, s, shift(pkts[50:], -pkts[50].at))
	take, err := m.Stop("changing")
	if err != nil {
		t.Fatal(err)
	}
	changes := take.Changes
	if len(changes) != 2 || changes[0].FPS != 25 || changes[1].BatchSize != 32 {
		t.Fatalf("changes %+v, want fps 25 then batch 32", changes)
	}
	feed.mu.Lock()
	defer feed.mu.Unlock()
	var framed int64
	for _, bt := range feed.batches {
		fps := bt.Frames[0].FPS
		for _, fr := range bt.Frames {
			if fr.FPS != fps {
				t.Errorf("batch %d mixes %d and %d fps", bt.Index, fps, fr.FPS)
			}
			want := int64(48000 / fr.FPS)
			if fr.Start != framed || int64(fr.Len()) != want && fr.Index != take.Frames-1 {
				t.Errorf("frame %d at %d fps: %d samples from %d, want %d from %d", fr.Index, fr.FPS, fr.Len(), fr.Start, want, framed)
			}
			if fr.FPS == 25 && fr.Index < changes[0].Frame || fr.FPS == 30 && fr.Index >= changes[0].Frame {
				t.Errorf("frame %d at %d fps, but the change took effect at frame %d", fr.Index, fr.FPS, changes[0].Frame)
			}
			framed += int64(fr.Len())
		}
	}
	if framed != take.PCMBytes/2 {
		t.Errorf("framed %d samples of %d", framed, take.PCMBytes/2)
	}
	if got := changes[0].Seconds; got != float64(changes[0].Frame)/30 {
		t.Errorf("fps change at frame %d logged at %.4f s, want %.4f", changes[0].Frame, got, float64(changes[0].Frame)/30)
	}
}

func shift(pkts []sendPacket, by time.Duration) []sendPacket {
	out := slices.Clone(pkts)
	for i := range out {
		out[i].at += by
	}
	return out
}
