package rtc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/media"
)

// Session states, as the page and the API show them.
const (
	StateConnecting = "connecting" // answered, waiting for ICE/DTLS and audio
	StateLive       = "live"       // audio is arriving
	StateStopped    = "stopped"    // ended; the take is a draft
	StateFailed     = "failed"     // ended without a usable take
)

// ErrEmptyTake reports a session that ended before any audio arrived.
var ErrEmptyTake error = &media.Error{Kind: media.ErrInvalid, Message: "nothing was recorded: no audio reached the server"}

func isEmptyTake(err error) bool { return errors.Is(err, ErrEmptyTake) }

// Take is a finished session's audio, as the library saves it.
type Take = media.Take

// Info is a session as the API reports it.
type Info struct {
	SessionID string              `json:"session_id"`
	State     string              `json:"state"`
	Params    media.Params        `json:"processing_parameters"` // in force now
	Duration  float64             `json:"duration"`
	Codec     string              `json:"codec,omitempty"`
	Chain     Chain               `json:"chain"`
	Stats     media.StatsSnapshot `json:"stats"`
	Framing   FramingInfo         `json:"framing"`
	RTTms     float64             `json:"rtt_ms"` // ICE round trip (STUN consent checks)
}

// Chain is the audio's format at each step, for the page to show.
type Chain struct {
	Codec        string  `json:"codec"`
	DecodedRate  int     `json:"decoded_rate"`
	Resampler    string  `json:"resampler"`
	OutputRate   int     `json:"output_rate"`
	Channels     int     `json:"channels"`
	FrameSamples float64 `json:"frame_samples"`
}

// Session is one browser's peer connection and the pipeline that turns its
// audio track into a spool file: RTP → reorder → Opus decode (48 kHz, placed
// on the RTP timeline) → resample to the session's rate → spool.
type Session struct {
	ID        string
	TakeID    string       // unique to this take: the same ID may come again
	Params    media.Params // at the start; fps and batch size may change live
	CreatedAt time.Time

	cfg       Config
	log       *slog.Logger
	spoolPath string
	stats     media.Stats
	state     atomic.Value // string
	live      *framing
	net       *netState // own ICE candidates, restarts

	mu       sync.Mutex
	pc       *webrtc.PeerConnection
	codec    string
	started  bool // the pipeline runs
	stopping bool
	decoder  *media.Decoder
	spool    *media.Spool
	cancel   context.CancelFunc
	err      error

	done     chan struct{}
	doneOnce sync.Once
	onFailed func() // called once if the session ends with nothing recorded
	timer    *time.Timer
}

func newSession(id string, p media.Params, cfg Config, spoolPath string) *Session {
	s := &Session{
		ID: id, TakeID: newTakeID(), Params: p, CreatedAt: time.Now(),
		cfg: cfg, log: cfg.Log.With("session_id", id), spoolPath: spoolPath,
		done: make(chan struct{}),
		live: newFraming(id, p, cfg.Feed, cfg.Log.With("session_id", id)),
		net:  newNetState(),
	}
	s.state.Store(StateConnecting)
	return s
}

// State returns the session's current state.
func (s *Session) State() string { return s.state.Load().(string) }

// Info returns the session's state and counters.
func (s *Session) Info() Info {
	s.mu.Lock()
	codec, pc := s.codec, s.pc
	s.mu.Unlock()
	st := s.stats.Snapshot()
	fr := s.live.info()
	p := s.Params
	p.FPS, p.BatchSize = fr.FPS, fr.BatchSize
	return Info{
		SessionID: s.ID, State: s.State(), Params: p, Codec: codec, Stats: st, Framing: fr,
		Duration: float64(st.OutputFrames) / float64(s.Params.SampleRate),
		Chain: Chain{
			Codec: codec, DecodedRate: media.OpusRate, Resampler: media.ResamplerName(media.OpusRate, p.SampleRate),
			OutputRate: p.SampleRate, Channels: p.Channels, FrameSamples: fr.FrameSamples,
		},
		RTTms: s.rtt(pc),
	}
}

// Apply asks a live session to cut frames and batches with p's fps and
// batch size from the next boundary on. Its output format stays as it
// started: a take is one WAV at one rate.
func (s *Session) Apply(p media.Params) {
	if !s.finished() {
		s.live.request(p)
	}
}

func (s *Session) addICECandidate(c webrtc.ICECandidateInit) error {
	s.mu.Lock()
	pc := s.pc
	s.mu.Unlock()
	if pc == nil || s.finished() {
		return media.Conflictf("session %q is not connecting any more", s.ID)
	}
	if err := pc.AddICECandidate(c); err != nil {
		return &media.Error{Kind: media.ErrInvalid, Message: "the ICE candidate was refused", Err: err}
	}
	return nil
}

// rtt is the ICE round trip of the nominated candidate pair, while the
// connection is open.
func (s *Session) rtt(pc *webrtc.PeerConnection) float64 {
	if pc == nil || s.finished() {
		return 0
	}
	for _, st := range pc.GetStats() {
		if pair, ok := st.(webrtc.ICECandidatePairStats); ok && pair.Nominated && pair.CurrentRoundTripTime > 0 {
			return pair.CurrentRoundTripTime * 1000
		}
	}
	return 0
}

// finished reports whether the session has ended. It goes by the state,
// which finish sets before it closes done, so a session whose State is
// final is never counted as live.
func (s *Session) finished() bool {
	st := s.State()
	return st == StateStopped || st == StateFailed
}

func (s *Session) answer(ctx context.Context, api *webrtc.API, ice []webrtc.ICEServer, offer webrtc.SessionDescription, trickle bool) (webrtc.SessionDescription, error) {
	var none webrtc.SessionDescription
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: ice})
	if err != nil {
		return none, fmt.Errorf("rtc: new peer connection: %w", err)
	}
	s.mu.Lock()
	s.pc = pc
	s.mu.Unlock()
	pc.OnTrack(s.onTrack)
	pc.OnConnectionStateChange(s.onConnectionState)
	pc.OnICECandidate(s.net.add)
	if err := pc.SetRemoteDescription(offer); err != nil {
		return none, &media.Error{Kind: media.ErrInvalid, Message: "the SDP offer was refused", Err: err}
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return none, &media.Error{Kind: media.ErrInvalid, Message: "no answer fits the SDP offer (is there an Opus audio track?)", Err: err}
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return none, fmt.Errorf("rtc: set local description: %w", err)
	}
	if !trickle {
		select {
		case <-gathered:
		case <-ctx.Done():
			return none, fmt.Errorf("rtc: gathering candidates: %w", ctx.Err())
		}
	}
	s.timer = time.AfterFunc(s.cfg.ConnectTimeout, func() {
		if s.State() == StateConnecting {
			s.log.Warn("no audio before the connect timeout; ending session")
			s.end(false)
		}
	})
	return *pc.LocalDescription(), nil
}

func (s *Session) onConnectionState(st webrtc.PeerConnectionState) {
	s.log.Debug("peer connection state", "state", st.String())
	if st == webrtc.PeerConnectionStateFailed || st == webrtc.PeerConnectionStateClosed {
		s.end(false)
	}
}

// onTrack starts the pipeline for the first audio track; pion calls it on
// its own goroutine.
func (s *Session) onTrack(track *webrtc.TrackRemote, receiver *webrtc.RTPReceiver) {
	codec := track.Codec()
	if !strings.EqualFold(codec.MimeType, webrtc.MimeTypeOpus) {
		s.log.Warn("ignoring non-Opus track", "mime", codec.MimeType)
		return
	}
	go drainRTCP(receiver)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopping {
		return
	}
	if err := s.startPipeline(track); err != nil {
		s.err = err
		s.log.Error("cannot start pipeline", "err", err)
		go s.end(false)
		return
	}
	s.codec = fmt.Sprintf("%s/%d/%d %s", codec.MimeType, codec.ClockRate, codec.Channels, codec.SDPFmtpLine)
	s.started = true
	s.state.Store(StateLive)
	if d := s.cfg.MaxDuration; d > 0 {
		time.AfterFunc(d, func() {
			if s.State() == StateLive {
				s.log.Warn("take reached the longest allowed; stopping it (kept as a draft)", "max", d)
				s.end(true)
			}
		})
	}
}

// startPipeline wires the stages with small buffered channels; each stage
// ends when its input closes, so closing the peer connection drains them
// all in order. Called with s.mu held.
func (s *Session) startPipeline(track *webrtc.TrackRemote) error {
	p := s.Params
	dec, err := media.NewDecoder(p.Channels, &s.stats, s.log)
	if err != nil {
		return err
	}
	rs, err := media.NewResampler(media.OpusRate, p.SampleRate, p.Channels)
	if err != nil {
		return err
	}
	// The sidecar first: a spool without one could not be recovered.
	if err := media.WriteSpoolMeta(s.spoolPath, media.SpoolMeta{
		SessionID: s.ID, TakeID: s.TakeID, Params: p, SampleRate: p.SampleRate, Channels: p.Channels, StartedAt: s.CreatedAt,
	}); err != nil {
		return err
	}
	spool, err := media.CreateSpool(s.spoolPath, p.SampleRate, p.Channels, &s.stats)
	if err != nil {
		return err
	}
	framer, err := media.NewFramer(p.SampleRate, p.Channels, p.FPS)
	if err != nil {
		return err
	}
	batcher, err := media.NewBatcher(p.BatchSize)
	if err != nil {
		return err
	}
	s.decoder, s.spool = dec, spool
	reorder := &media.Reorder{Stats: &s.stats}

	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	packets := make(chan media.Packet, 64)
	ordered := make(chan media.Packet, 16)
	decoded := make(chan media.PCM, 16)
	resampled := make(chan media.PCM, 16)
	spooled := make(chan media.PCM, 16)
	frames := make(chan media.Frame, 16)

	var wg sync.WaitGroup
	var errMu sync.Mutex
	var errs []error
	run := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil && !errors.Is(err, context.Canceled) {
				errMu.Lock()
				errs = append(errs, err)
				errMu.Unlock()
			}
		}()
	}
	run(func() error { return s.readRTP(ctx, track, packets) })
	run(func() error { return reorder.Run(ctx, packets, ordered) })
	run(func() error { return dec.Run(ctx, ordered, decoded) })
	run(func() error { return rs.Run(ctx, decoded, resampled) })
	run(func() error { return spool.Run(ctx, resampled, spooled) })
	run(func() error { return framer.RunWithChanges(ctx, spooled, s.live.fpsIn, frames) })
	run(func() error { return s.live.cut(ctx, frames, batcher) })
	go func() {
		wg.Wait()
		cancel()
		s.mu.Lock()
		s.err = errors.Join(errs...)
		s.mu.Unlock()
		s.finish()
	}()
	return nil
}

// maxBadReads is how many packets in a row pion may refuse to hand over
// before the track is taken for broken.
const maxBadReads = 100

// readRTP is the source: it ends when the track does (peer connection
// closed) and closes out. A packet pion refuses (a payload type that was
// not negotiated, one too long, a malformed header) is skipped: it must not
// end the take.
func (s *Session) readRTP(ctx context.Context, track *webrtc.TrackRemote, out chan<- media.Packet) error {
	defer close(out)
	bad := 0
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil // the track ended: a normal stop or a closed connection
			}
			if bad++; bad >= maxBadReads {
				s.log.Warn("rtp track keeps failing; ending it", "err", err)
				return nil
			}
			s.log.Debug("skipping an rtp packet", "err", err)
			continue
		}
		bad = 0
		p := media.Packet{
			SequenceNumber: pkt.SequenceNumber, Timestamp: pkt.Timestamp,
			Payload: pkt.Payload, Padding: pkt.PaddingSize, Arrival: time.Now(),
		}
		if s.cfg.Tap != nil {
			s.cfg.Tap(s.ID, p)
		}
		select {
		case out <- p:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// drainRTCP reads the receiver's RTCP so the interceptors (NACK, reports)
// run; it ends when the receiver closes.
func drainRTCP(r *webrtc.RTPReceiver) {
	for {
		if _, _, err := r.ReadRTCP(); err != nil {
			return
		}
	}
}

// end closes the peer connection. Without a pipeline the session is
// finished at once; otherwise the pipeline finishes when it has drained.
func (s *Session) end(explicit bool) {
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		return
	}
	s.stopping = true
	if explicit && s.decoder != nil {
		s.decoder.StopAt(time.Now())
	}
	pc, started := s.pc, s.started
	s.mu.Unlock()

	if s.timer != nil {
		s.timer.Stop()
	}
	if pc != nil {
		if err := pc.Close(); err != nil {
			s.log.Warn("closing peer connection", "err", err)
		}
	}
	if !started {
		s.finish()
	}
}

func (s *Session) finish() {
	s.doneOnce.Do(func() {
		if s.stats.OutputFrames.Load() > 0 {
			s.state.Store(StateStopped)
		} else {
			s.state.Store(StateFailed)
		}
		s.log.Info("session ended", "state", s.State(), "stats", s.stats.Snapshot())
		close(s.done)
		if s.State() == StateFailed && s.onFailed != nil {
			s.onFailed()
		}
	})
}

// stop ends the session (if live) and waits for its take.
func (s *Session) stop(timeout time.Duration) (Take, error) {
	s.end(true)
	select {
	case <-s.done:
	case <-time.After(timeout):
		s.mu.Lock()
		if s.cancel != nil {
			s.cancel()
		}
		s.mu.Unlock()
		<-s.done
	}
	return s.take()
}

func (s *Session) take() (Take, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return Take{}, fmt.Errorf("rtc: session %q: %w", s.ID, s.err)
	}
	if s.spool == nil || s.spool.Bytes() == 0 {
		return Take{}, ErrEmptyTake
	}
	fr := s.live.info()
	return Take{
		SessionID: s.ID, TakeID: s.TakeID, SpoolPath: s.spoolPath,
		SampleRate: s.Params.SampleRate, Channels: s.Params.Channels, Params: s.Params,
		PCMBytes: s.spool.Bytes(), StartedAt: s.CreatedAt, Stats: s.stats.Snapshot(),
		Frames: fr.Frames, Batches: fr.Batches, Changes: fr.Changes,
	}, nil
}
