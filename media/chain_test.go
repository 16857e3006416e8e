package media_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// chainRun is one Chain over a spool in a temp dir, with what it handed out.
type chainRun struct {
	chain   *media.Chain
	spool   *media.Spool
	stats   *media.Stats
	path    string
	frames  []media.Frame
	lags    []time.Duration
	batches []media.Batch
}

func newChainRun(t testing.TB, p media.Params, now func() time.Time) *chainRun {
	t.Helper()
	r := &chainRun{path: filepath.Join(t.TempDir(), "take.pcm")}
	stats := &media.Stats{}
	spool, err := media.CreateSpool(r.path, p.SampleRate, p.Channels, stats)
	if err != nil {
		t.Fatal(err)
	}
	r.spool, r.stats = spool, stats
	r.chain, err = media.NewChain(media.ChainConfig{
		Params: p, Stats: stats, Spool: spool, Now: now,
		OnFrame: func(f media.Frame, lag time.Duration) {
			r.frames = append(r.frames, f.Clone())
			r.lags = append(r.lags, lag)
		},
		OnBatch: func(b media.Batch) { r.batches = append(r.batches, b.Clone()) },
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestChain: packets pushed through the chain give the spool the decoder's
// audio resampled, every sample framed once, frames batched, and each
// frame's lag measured from its packet's place on the RTP clock.
func TestChain(t *testing.T) {
	for _, p := range []media.Params{
		{FPS: 30, BatchSize: 16, SampleRate: 48000, Channels: 1},
		{FPS: 29, BatchSize: 32, SampleRate: 16000, Channels: 1},
		{FPS: 25, BatchSize: 16, SampleRate: 22050, Channels: 2},
	} {
		t.Run("", func(t *testing.T) {
			pkts := capture(t, "chromium-440hz-celt.rtp")
			// Every packet arrives on time, and its frames are emitted
			// 3 ms after it arrived.
			for i := range pkts {
				pkts[i].Arrival = pkts[0].Arrival.Add(time.Duration(pkts[i].Timestamp-pkts[0].Timestamp) * time.Second / media.OpusRate)
			}
			var now time.Time
			r := newChainRun(t, p, func() time.Time { return now })
			// Packet 20 comes 1 ms after 21: the reorder puts it back.
			pkts[20], pkts[21] = pkts[21], pkts[20]
			pkts[21].Arrival = pkts[20].Arrival.Add(time.Millisecond)
			for _, pk := range pkts {
				now = pk.Arrival.Add(3 * time.Millisecond)
				if err := r.chain.Push(pk); err != nil {
					t.Fatal(err)
				}
			}
			if err := r.chain.Close(); err != nil {
				t.Fatal(err)
			}
			slices.SortFunc(pkts, func(a, b media.Packet) int { return int(a.SequenceNumber) - int(b.SequenceNumber) })
			decoded, _ := decodeAll(t, p.Channels, pkts, time.Time{})
			want := decoded
			if p.SampleRate != media.OpusRate {
				rs, err := media.NewResampler(media.OpusRate, p.SampleRate, p.Channels)
				if err != nil {
					t.Fatal(err)
				}
				want = rs.Flush(rs.Process(nil, decoded))
			}
			got, err := os.ReadFile(r.path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, media.AppendS16LE(nil, want)) {
				t.Errorf("spool holds %d bytes, want the %d of decode+resample", len(got), 2*len(want))
			}
			var framed []float32
			var next int64
			late := 0
			for i, f := range r.frames {
				if f.Index != int64(i) || f.Start != next {
					t.Fatalf("frame %d: Index %d Start %d, want Start %d", i, f.Index, f.Start, next)
				}
				next += int64(f.Len())
				framed = append(framed, f.Samples...)
				// 3 ms, or up to 24 for the frames packets 20 and 21
				// completed: 20 came 21 ms late. The frames the stop
				// drains have none.
				switch lag := r.lags[i]; {
				case lag == 3*time.Millisecond:
				case lag > 3*time.Millisecond && lag <= 24*time.Millisecond:
					if late++; late > 2 {
						t.Errorf("frame %d: lag %v, want 3ms", i, lag)
					}
				case lag < 0 && i >= len(r.frames)-2:
				default:
					t.Errorf("frame %d: lag %v, want 3ms", i, lag)
				}
			}
			if !slices.Equal(framed, want) {
				t.Errorf("frames hold %d samples differing from the spool's %d", len(framed), len(want))
			}
			var inBatches int
			for i, b := range r.batches {
				if b.Index != int64(i) || (i < len(r.batches)-1 && len(b.Frames) != p.BatchSize) {
					t.Errorf("batch %d: Index %d with %d frames", i, b.Index, len(b.Frames))
				}
				for _, f := range b.Frames {
					if !slices.Equal(f.Samples, r.frames[inBatches].Samples) {
						t.Errorf("batch %d: frame %d differs from the frame cut", i, f.Index)
					}
					inBatches++
				}
			}
			if inBatches != len(r.frames) {
				t.Errorf("batches hold %d of %d frames", inBatches, len(r.frames))
			}
		})
	}
}

// TestChainChanges: fps and batch size set between packets apply at the
// next frame and batch boundary, and a bad value is final.
func TestChainChanges(t *testing.T) {
	pkts := capture(t, "chromium-440hz-celt.rtp")
	r := newChainRun(t, media.Params{FPS: 30, BatchSize: 16, SampleRate: 48000, Channels: 1}, nil)
	for i, pk := range pkts {
		if i == 30 {
			if err := r.chain.SetFPS(60); err != nil {
				t.Fatal(err)
			}
			if err := r.chain.SetBatchSize(32); err != nil {
				t.Fatal(err)
			}
		}
		if err := r.chain.Push(pk); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.chain.Close(); err != nil {
		t.Fatal(err)
	}
	// 30 packets = 600 ms = 18 frames at 30 fps; then 800-sample frames.
	for i, f := range r.frames {
		want := 1600
		if i >= 18 {
			want = 800
		}
		if f.Len() != want && i != len(r.frames)-1 {
			t.Fatalf("frame %d has %d samples, want %d", i, f.Len(), want)
		}
	}
	// 16 frames at 30 fps, then the 2 before the change go out short,
	// then batches of 32 at 60 fps.
	if b := r.batches; len(b) < 3 || len(b[0].Frames) != 16 || len(b[1].Frames) != 2 || b[1].Frames[0].FPS != 30 ||
		b[2].BatchSize != 32 || b[2].Frames[0].FPS != 60 {
		t.Errorf("batches %v", batchShapes(r.batches))
	}
	r2 := newChainRun(t, media.Params{FPS: 30, BatchSize: 16, SampleRate: 48000, Channels: 1}, nil)
	if err := r2.chain.SetFPS(0); !errors.Is(err, media.ErrInvalid) {
		t.Errorf("SetFPS(0) = %v, want ErrInvalid", err)
	}
	if err := r2.chain.Push(pkts[0]); !errors.Is(err, media.ErrInvalid) {
		t.Errorf("Push after a failure = %v, want the failure", err)
	}
	if err := r2.chain.Close(); !errors.Is(err, media.ErrInvalid) {
		t.Errorf("Close after a failure = %v, want the failure", err)
	}
}

func batchShapes(bs []media.Batch) [][2]int {
	var s [][2]int
	for _, b := range bs {
		s = append(s, [2]int{len(b.Frames), b.Frames[0].FPS})
	}
	return s
}

// TestChainDiskFull: a write the disk refuses ends the chain: Push returns
// the error from then on, and Close keeps the whole sample frames that
// reached the file.
func TestChainDiskFull(t *testing.T) {
	pkts := capture(t, "chromium-440hz-celt.rtp")
	r := newChainRun(t, media.Params{FPS: 30, BatchSize: 16, SampleRate: 16000, Channels: 1}, nil)
	const room = 10_001
	media.WrapSpoolFile(r.spool, func(w io.Writer) io.Writer { return &fullDisk{w: w, room: room} })
	var err error
	for _, pk := range pkts {
		if err = r.chain.Push(pk); err != nil {
			break
		}
	}
	if err == nil {
		err = r.chain.Close()
	}
	if !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("chain ended with %v, want ENOSPC", err)
	}
	if err := r.chain.Push(pkts[len(pkts)-1]); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Push after the failure = %v, want ENOSPC", err)
	}
	r.chain.Close()
	if fi, err := os.Stat(r.path); err != nil || fi.Size() != room/2*2 || r.spool.Bytes() != fi.Size() {
		t.Errorf("spool file %v (%v), Bytes %d; want %d", fi.Size(), err, r.spool.Bytes(), room/2*2)
	}
}

// onTime returns the capture's packets with each arriving exactly when it
// was sent (its RTP time after the first), looped to n packets.
func onTime(t *testing.T, n int) []media.Packet {
	t.Helper()
	pkts := capture(t, "chromium-440hz-celt.rtp")
	out := make([]media.Packet, n)
	for i := range out {
		loop := i / len(pkts)
		p := pkts[i%len(pkts)]
		p.SequenceNumber += uint16(loop * len(pkts))
		p.Timestamp += uint32(loop * len(pkts) * packetFrames)
		out[i] = p
		out[i].Arrival = pkts[0].Arrival.Add(time.Duration(p.Timestamp-pkts[0].Timestamp) * time.Second / media.OpusRate)
	}
	return out
}

// TestChainLossLatency: one packet lost from a steady stream delays the
// frames after it by about the hold at no jitter (a packet time past the
// lost packet's time), not by the 200 ms the reorder stage once waited for
// ten more packets whatever the network.
func TestChainLossLatency(t *testing.T) {
	pkts := onTime(t, 150)
	var now time.Time
	r := newChainRun(t, media.Params{FPS: 50, BatchSize: 16, SampleRate: 48000, Channels: 1}, func() time.Time { return now })
	for i, pk := range pkts {
		if i == 100 {
			continue
		}
		now = pk.Arrival.Add(time.Millisecond) // 1 ms of processing
		if err := r.chain.Push(pk); err != nil {
			t.Fatal(err)
		}
	}
	var worst time.Duration
	for _, lag := range r.lags {
		worst = max(worst, lag)
	}
	// The frames of 101 wait for 102 (20 ms), and 101's own are due 20 ms
	// after 100's: with the millisecond of processing, 41 ms.
	if worst > 45*time.Millisecond {
		t.Errorf("worst frame lag %v after a single loss, want at most 45ms", worst)
	}
	if err := r.chain.Close(); err != nil {
		t.Fatal(err)
	}
	if lost := r.stats.LostPackets.Load(); lost != 1 {
		t.Errorf("lost %d, want 1", lost)
	}
}

// TestChainLossThenPause: a sender that pauses right after a loss gets the
// packets it sent before the pause into the take, on time, when Idle
// finds their hold run out; they are not held until the stall detection
// writes silence over their place (and then trimmed).
func TestChainLossThenPause(t *testing.T) {
	pkts := onTime(t, 80)
	stats := &media.Stats{}
	spool, err := media.CreateSpool(filepath.Join(t.TempDir(), "take.pcm"), 48000, 1, stats)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := media.NewChain(media.ChainConfig{
		Params: media.Params{FPS: 50, BatchSize: 16, SampleRate: 48000, Channels: 1}, Stats: stats, Spool: spool,
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, pk := range pkts {
		if i == 75 { // lost; 76-79 are held for it, then the sender pauses
			continue
		}
		if err := chain.Push(pk); err != nil {
			t.Fatal(err)
		}
	}
	last := pkts[len(pkts)-1].Arrival
	for tick := media.IdleTick; tick <= 10*media.IdleTick; tick += media.IdleTick {
		if err := chain.Idle(last.Add(tick)); err != nil {
			t.Fatal(err)
		}
	}
	if err := chain.Close(); err != nil {
		t.Fatal(err)
	}
	st := stats.Snapshot()
	if st.LostPackets != 1 || st.TrimmedSamples != 0 || st.DecodedSamples != 79*packetFrames {
		t.Errorf("lost %d, decoded %d samples, trimmed %d; want 1, %d, 0",
			st.LostPackets, st.DecodedSamples, st.TrimmedSamples, 79*packetFrames)
	}
}

// TestChainAllocs: once its buffers have grown, the chain allocates nothing,
// whatever the output rate, across the mode switches of Chromium's stream.
func TestChainAllocs(t *testing.T) {
	if raceDetector {
		t.Skip("under -race sync.Pool drops a quarter of what it is given back, the pooled CELT scratch too (internal/fork/opus/PATCHES.md)")
	}
	pkts := capture(t, "chromium-440hz-celt.rtp")
	for _, rate := range []int{48000, 16000, 44100} {
		stats := &media.Stats{}
		spool, err := media.CreateSpool(filepath.Join(t.TempDir(), "a.pcm"), rate, 1, stats)
		if err != nil {
			t.Fatal(err)
		}
		chain, err := media.NewChain(media.ChainConfig{
			Params: media.Params{FPS: 30, BatchSize: 64, SampleRate: rate, Channels: 1}, Stats: stats, Spool: spool,
			OnFrame: func(media.Frame, time.Duration) {}, OnBatch: func(media.Batch) {},
		})
		if err != nil {
			t.Fatal(err)
		}
		i := 0
		push := func() {
			p := pkts[i%len(pkts)]
			p.SequenceNumber += uint16(i / len(pkts) * len(pkts))
			p.Timestamp += uint32(i / len(pkts) * len(pkts) * packetFrames)
			p.Arrival = p.Arrival.Add(time.Duration(i/len(pkts)*len(pkts)) * 20 * time.Millisecond)
			if err := chain.Push(p); err != nil {
				t.Fatal(err)
			}
			i++
		}
		loops := func(n int) {
			for range n * len(pkts) {
				push()
			}
		}
		loops(3) // grow every buffer: a batch of 64 frames takes 2.1 s
		// Count every allocation of three whole loops (after three more to
		// warm up), not an average per packet: AllocsPerRun rounds down, so
		// the few dozen the capture's mode switches made per loop averaged
		// to 0.
		if n := testing.AllocsPerRun(1, func() { loops(3) }); n != 0 {
			t.Errorf("%d Hz: %v allocations in 3 loops of %d packets, want 0", rate, n, len(pkts))
		}
		chain.Close()
	}
}

// BenchmarkChain runs the Chromium capture, looped, through a whole chain
// (reorder, decode, resample, spool to a temp file, frame with features,
// batch) as a live session does, at 48 and 16 kHz; ns/op is per 20 ms
// packet. cpu_ms/s_audio is the CPU a session spends per second of audio
// (one goroutine: the time per packet × 50).
func BenchmarkChain(b *testing.B) {
	pkts, err := mediatestPackets()
	if err != nil {
		b.Fatal(err)
	}
	for _, rate := range []int{48000, 16000} {
		b.Run(fmt.Sprintf("%dHz", rate), func(b *testing.B) {
			p := media.Params{FPS: 30, BatchSize: 64, SampleRate: rate, Channels: 1}
			stats := &media.Stats{}
			spool, err := media.CreateSpool(filepath.Join(b.TempDir(), "take.pcm"), rate, 1, stats)
			if err != nil {
				b.Fatal(err)
			}
			chain, err := media.NewChain(media.ChainConfig{
				Params: p, Stats: stats, Spool: spool,
				OnFrame: func(media.Frame, time.Duration) {}, OnBatch: func(media.Batch) {},
			})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			// The chain runs on the calling goroutine: its thread's CPU time
			// is the chain's, and far steadier than wall time here.
			defer reportCPU(b)()
			i := 0
			for b.Loop() {
				loop := i / len(pkts)
				pk := pkts[i%len(pkts)]
				pk.SequenceNumber += uint16(loop * len(pkts))
				pk.Timestamp += uint32(loop * len(pkts) * packetFrames)
				pk.Arrival = pk.Arrival.Add(time.Duration(loop*len(pkts)) * 20 * time.Millisecond)
				if err := chain.Push(pk); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*50/1e6, "cpu_ms/s_audio")
			chain.Close()
		})
	}
}

func mediatestPackets() ([]media.Packet, error) {
	return mediatest.ReadPackets("testdata/chromium-440hz-celt.rtp", time.Unix(1000, 0))
}
