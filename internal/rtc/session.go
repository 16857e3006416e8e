package rtc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/media"
)

// ErrEmptyTake reports a session that ended before any audio arrived.
var ErrEmptyTake error = &media.Error{Kind: media.ErrInvalid, Message: "nothing was recorded: no audio reached the server"}

func isEmptyTake(err error) bool { return errors.Is(err, ErrEmptyTake) }

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
	reports   *receiverReports

	mu        sync.Mutex
	pc        *webrtc.PeerConnection
	codec     string
	started   bool // the pipeline runs
	stopping  bool
	answering bool // answer() is using pc: it closes pc if stopped meanwhile
	released  bool // the Manager forgot the session: no timer may start
	chain     *media.Chain
	spool     *media.Spool
	opusPath  string // the take's Ogg, when kept as Opus
	cancel    context.CancelFunc
	err       error
	reason    string // why the session failed, for the page

	// Timers, each stopped when it can no longer matter, so that an ended
	// session is not kept alive by a callback hours away.
	connectTimer *time.Timer // ends a session that never connects
	client       string      // who offered it (OfferOptions.Client), for per-client bounds
	maxTimer     *time.Timer // stops a take at MaxDuration
	expiry       *time.Timer // forgets an ended session (FailedTTL or DraftTTL)
	unhookBase   func() bool // stops the session when the base context ends

	done     chan struct{}
	doneOnce sync.Once
	// onFailed is called once, FailedTTL after the session ended with
	// nothing recorded; onDraftExpired, DraftTTL after it ended with a
	// draft that was neither saved nor discarded since.
	onFailed       func()
	onDraftExpired func()
	// onEnd is called once as the session finishes, its counters final.
	onEnd func()
	// handshook gives back the session's handshake slot (see pacer) once
	// the peer connection is up, audio starts or the session ends; nil
	// before it has one.
	handshook atomic.Pointer[func()]
	// folded says the Manager's totals hold the session's counters;
	// guarded by the Manager's mu.
	folded bool
}

func newSession(id string, p media.Params, cfg Config, spoolPath string) *Session {
	s := &Session{
		ID: id, TakeID: newTakeID(), Params: p, CreatedAt: time.Now(),
		cfg: cfg, log: cfg.Log.With("session_id", id), spoolPath: spoolPath,
		done:    make(chan struct{}),
		live:    newFraming(id, p, cfg.Feed, cfg.Log.With("session_id", id), cfg.Admission.MaxLag),
		net:     newNetState(),
		reports: newReceiverReports(),
	}
	s.state.Store(media.SessionConnecting)
	return s
}

// State returns the session's current state.
func (s *Session) State() string { return s.state.Load().(string) }

// Info returns the session's state and counters.
func (s *Session) Info() media.SessionInfo {
	s.mu.Lock()
	codec, pc, reason := s.codec, s.pc, s.reason
	s.mu.Unlock()
	st := s.stats.Snapshot()
	fr := s.live.info()
	p := s.Params
	p.FPS, p.BatchSize = fr.FPS, fr.BatchSize
	return media.SessionInfo{
		SessionID: s.ID, State: s.State(), Reason: reason, Params: p, Codec: codec, Stats: st, Framing: fr,
		Duration: float64(st.OutputFrames) / float64(s.Params.SampleRate),
		Chain: media.ChainInfo{
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

// rtt is the ICE round trip of the selected candidate pair, while the
// connection is open. It asks the ICE transport alone: PeerConnection's
// GetStats collects every stat there is and reads a field that pion's own
// close (run from its goroutine when the browser hangs up) writes unlocked.
//
// Only once ICE has connected: pion's start of the ICE transport (run by
// its own goroutine as the offer is answered) writes a field these stats
// read without its lock. The connection state is stored atomically after
// that start, so reading it first orders the two.
func (s *Session) rtt(pc *webrtc.PeerConnection) float64 {
	if pc == nil || s.finished() {
		return 0
	}
	if st := pc.ICEConnectionState(); st != webrtc.ICEConnectionStateConnected && st != webrtc.ICEConnectionStateCompleted {
		return 0
	}
	pair, ok := pc.SCTP().Transport().ICETransport().GetSelectedCandidatePairStats()
	if !ok || pair.CurrentRoundTripTime <= 0 {
		return 0
	}
	return pair.CurrentRoundTripTime * 1000
}

// finished reports whether the session has ended. It goes by the state,
// which finish sets before it closes done, so a session whose State is
// final is never counted as live.
func (s *Session) finished() bool {
	st := s.State()
	return st == media.SessionStopped || st == media.SessionFailed
}

func (s *Session) answer(ctx context.Context, api *webrtc.API, ice []webrtc.ICEServer, offer webrtc.SessionDescription, trickle bool) (webrtc.SessionDescription, error) {
	var none webrtc.SessionDescription
	pc, err := api.NewPeerConnection(webrtc.Configuration{ICEServers: ice})
	if err != nil {
		return none, fmt.Errorf("rtc: new peer connection: %w", err)
	}
	// The session is registered before it is answered, so a Stop or
	// Discard may end it at any point of this. Until answer returns, only
	// it touches pc (pion must not be closed under a SetDescription that
	// is still creating the ICE agent): end leaves pc to it, and it closes
	// pc on its way out if the session was ended meanwhile.
	closePC := func() {
		if err := pc.Close(); err != nil {
			s.log.Warn("closing peer connection", "err", err)
		}
	}
	s.mu.Lock()
	if s.stopping {
		s.mu.Unlock()
		closePC()
		return none, s.endedWhileAnswering()
	}
	s.pc, s.answering = pc, true
	defer func() {
		s.mu.Lock()
		s.answering = false
		stopped := s.stopping
		s.mu.Unlock()
		if stopped {
			closePC()
		}
	}()
	// Shutdown (the base context ending) stops the take as Stop does: the
	// pipeline drains into the draft, and is cut off after StopTimeout.
	s.unhookBase = context.AfterFunc(s.cfg.baseContext(), func() {
		if _, err := s.stop(s.cfg.StopTimeout); err != nil && !isEmptyTake(err) {
			s.log.Warn("shutdown: stopping the session", "err", err)
		}
	})
	s.mu.Unlock()
	pc.OnTrack(s.onTrack)
	pc.OnConnectionStateChange(s.onConnectionState)
	pc.OnICECandidate(s.net.add)
	if err := pc.SetRemoteDescription(offer); err != nil {
		return none, s.answerError(&media.Error{Kind: media.ErrInvalid, Message: "the SDP offer was refused", Err: err})
	}
	answer, err := pc.CreateAnswer(nil)
	if err != nil {
		return none, s.answerError(&media.Error{Kind: media.ErrInvalid, Message: "no answer fits the SDP offer (is there an Opus audio track?)", Err: err})
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(answer); err != nil {
		return none, s.answerError(fmt.Errorf("rtc: set local description: %w", err))
	}
	if !trickle {
		select {
		case <-gathered:
		case <-s.done:
			return none, s.endedWhileAnswering()
		case <-ctx.Done():
			return none, fmt.Errorf("rtc: gathering candidates: %w", ctx.Err())
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopping {
		return none, s.endedWhileAnswering()
	}
	s.connectTimer = time.AfterFunc(s.cfg.ConnectTimeout, func() {
		if s.State() == media.SessionConnecting {
			s.log.Warn("no audio before the connect timeout; ending session")
			s.setReason(fmt.Sprintf("no audio reached the server within %s of the offer", s.cfg.ConnectTimeout))
			s.end(false)
		}
	})
	// pion keeps the offer's Opus parameters as its own and refuses an
	// edited answer, so the browser is sent the edit.
	answer = *pc.LocalDescription()
	answer.SDP = askBitrate(answer.SDP, s.cfg.OpusBitrate)
	return answer, nil
}

// answerError is err, unless the session was ended while it was being
// answered: closing its peer connection is what made the step fail then.
func (s *Session) answerError(err error) error {
	s.mu.Lock()
	stopping := s.stopping
	s.mu.Unlock()
	if stopping {
		return s.endedWhileAnswering()
	}
	return err
}

func (s *Session) endedWhileAnswering() error {
	return media.Conflictf("session %q was stopped before its offer was answered", s.ID)
}

// setReason records why the session fails; the first reason stands.
func (s *Session) setReason(reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.reason == "" {
		s.reason = reason
	}
}

func (s *Session) onConnectionState(st webrtc.PeerConnectionState) {
	s.log.Debug("peer connection state", "state", st.String())
	if st == webrtc.PeerConnectionStateConnected {
		s.releaseHandshake() // ICE and DTLS are done: the costly part
	}
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
	go s.readRTCP(receiver, uint32(track.SSRC()))

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopping {
		return
	}
	if err := s.startPipeline(track); err != nil {
		s.err = err
		if s.reason == "" {
			s.reason = failureReason(err)
		}
		s.log.Error("cannot start pipeline", "reason", s.reason, "err", err)
		go s.end(false)
		return
	}
	s.codec = fmt.Sprintf("%s/%d/%d %s", codec.MimeType, codec.ClockRate, codec.Channels, codec.SDPFmtpLine)
	s.started = true
	s.state.Store(media.SessionLive)
	s.releaseHandshake()
	if d := s.cfg.MaxDuration; d > 0 {
		s.maxTimer = time.AfterFunc(d, func() {
			if s.State() == media.SessionLive {
				s.log.Warn("take reached the longest allowed; stopping it (kept as a draft)", "max", d)
				s.end(true)
			}
		})
	}
}

// startPipeline builds the session's chain and starts the one goroutine
// that reads the track and runs every packet through the chain. It ends
// when the track does (the peer connection closed: the chain is drained
// into the take) or the chain fails (a full disk under the spool: the
// session fails with the reason, keeping the audio up to the failure), or
// at once when the context is cancelled (a stop that timed out).
// Called with s.mu held.
func (s *Session) startPipeline(track *webrtc.TrackRemote) error {
	p := s.Params
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
	var opus *media.OpusSpool
	if p.KeepsOpus() {
		if opus, err = media.CreateOpusSpool(media.OpusSpoolPath(s.spoolPath), p.Channels, rand.Uint32()); err != nil {
			return errors.Join(err, spool.Close())
		}
		s.opusPath = opus.Path
	}
	chain, err := media.NewChain(media.ChainConfig{
		Params: p, Stats: &s.stats, Log: s.log, Spool: spool, Opus: opus, ReorderMaxHold: s.cfg.ReorderMaxHold,
		OnFrame: s.live.noteFrame, OnBatch: s.live.publish, Listening: s.live.listening,
	})
	if err != nil {
		if opus != nil {
			err = errors.Join(err, opus.Close())
		}
		return errors.Join(err, spool.Close())
	}
	s.chain, s.spool = chain, spool

	// The base context's values, not its end: shutdown stops the session
	// through the hook answer() sets, which drains the pipeline before it cuts.
	ctx, cancel := context.WithCancel(context.WithoutCancel(s.cfg.baseContext()))
	s.cancel = cancel
	go func() {
		err := s.run(ctx, track, chain)
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		if err != nil {
			s.fail(err)
		}
		cancel()
		s.live.end()
		s.mu.Lock()
		s.err = err
		s.mu.Unlock()
		s.finish()
	}()
	return nil
}

// run is the session's goroutine: it reads the track into one reused
// buffer and pushes each packet through the chain, applies parameter
// changes between packets, and calls the chain's Idle every IdleTick (a
// read deadline wakes it while the sender is quiet). A packet pion refuses
// (a payload type that was not negotiated, one too long, a malformed
// header) is skipped: it must not end the take.
func (s *Session) run(ctx context.Context, track *webrtc.TrackRemote, chain *media.Chain) error {
	buf := make([]byte, maxRTPPacket)
	var pkt rtp.Packet
	bad, read := 0, false
	tick := time.Now().Add(media.IdleTick)
	nextReport := time.Now().Add(reportInterval)
	var deadline idleDeadline
	if err := deadline.rearm(track, time.Now()); err != nil {
		return errors.Join(err, chain.Abort())
	}
	for {
		if ctx.Err() != nil {
			return errors.Join(ctx.Err(), chain.Abort())
		}
		if err := s.live.apply(chain); err != nil {
			return errors.Join(err, chain.Abort())
		}
		n, _, err := track.Read(buf)
		if err == nil {
			err = pkt.Unmarshal(buf[:n])
		}
		now := time.Now()
		if now.After(nextReport) {
			s.sendReport(track, chain, now)
			nextReport = now.Add(reportInterval)
		}
		switch {
		case err == nil:
		case isTimeout(err):
			tick = now.Add(media.IdleTick)
			if err := deadline.rearm(track, now); err != nil {
				return errors.Join(err, chain.Abort())
			}
			// The deadline fires before queued packets are read, so a
			// goroutine that was kept off the CPU might take its own delay
			// for a quiet sender: only a whole tick without a packet is.
			if !read {
				if err := chain.Idle(now); err != nil {
					return errors.Join(err, chain.Abort())
				}
			}
			read = false
			continue
		case errors.Is(err, io.EOF):
			return chain.Close() // the track ended: a normal stop or a closed connection
		default:
			if bad++; bad >= maxBadReads {
				s.log.Warn("rtp track keeps failing; ending it", "err", err)
				return chain.Close()
			}
			s.log.Debug("skipping an rtp packet", "err", err)
			continue
		}
		bad, read = 0, true
		p := media.Packet{
			SequenceNumber: pkt.SequenceNumber, Timestamp: pkt.Timestamp,
			Payload: pkt.Payload, Padding: pkt.PaddingSize, Arrival: now,
		}
		if s.cfg.Tap != nil {
			s.cfg.Tap(s.ID, p)
		}
		if err := chain.Push(p); err != nil {
			return errors.Join(err, chain.Abort())
		}
		if now.After(tick) { // packets keep the deadline from firing: check the stall here
			tick = now.Add(media.IdleTick)
			if err := chain.Idle(now); err != nil {
				return errors.Join(err, chain.Abort())
			}
		}
		if deadline.due(now) {
			if err := deadline.rearm(track, now); err != nil {
				return errors.Join(err, chain.Abort())
			}
		}
	}
}

// isTimeout says whether err is a read deadline's. Its own function so
// that the net.Error it unwraps into escapes only when there is an error:
// declared in run's loop, it cost an allocation per packet.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// idleDeadline is the read deadline that wakes a session's reader when its
// sender goes quiet. Packets push it on, half a tick at a time, so while
// they flow it never fires: a deadline that fires costs a timer goroutine,
// a timeout error and a new channel in pion, ten times a second per session,
// and its garbage is what made the collector run under load.
type idleDeadline struct{ at time.Time }

// arm sets the deadline one IdleTick after now and returns it.
func (d *idleDeadline) arm(now time.Time) time.Time {
	d.at = now.Add(media.IdleTick)
	return d.at
}

// rearm arms the deadline from now and sets it on r.
func (d *idleDeadline) rearm(r interface{ SetReadDeadline(time.Time) error }, now time.Time) error {
	if err := r.SetReadDeadline(d.arm(now)); err != nil {
		return fmt.Errorf("rtc: read deadline: %w", err)
	}
	return nil
}

// due says whether the deadline is close enough to push on (less than half
// a tick away): re-arming at most twice a tick keeps its cost small.
func (d *idleDeadline) due(now time.Time) bool {
	return d.at.Sub(now) < media.IdleTick/2
}

// maxRTPPacket is the read buffer: as large as pion's receive MTU (1500
// bytes: its mux reads every datagram, and every ICE-TCP frame, into a
// buffer that size, so nothing longer reaches a track). Per live session,
// so not 64 KiB.
const maxRTPPacket = 1500

// fail ends a take whose pipeline broke: the reason goes to the page and
// the log at once, and the peer connection is closed. What the spool
// holds up to its last good write stays a draft.
func (s *Session) fail(err error) {
	reason := failureReason(err)
	s.setReason(reason)
	s.log.Error("live take failed; ending it, the audio up to the failure stays a draft",
		"reason", reason, "spool", s.spoolPath, "err", err)
	go s.end(false)
}

// failureReason says in plain words why a pipeline failed.
func failureReason(err error) string {
	switch {
	case media.IsDiskFull(err):
		return "disk full: the server ran out of disk space while recording"
	case media.Message(err) != "":
		return media.Message(err)
	}
	return "the server could not process the audio (its log says why)"
}

// maxBadReads is how many packets in a row pion may refuse to hand over
// before the track is taken for broken.
const maxBadReads = 100

// readRTCP reads the sender's RTCP for the sender reports the receiver
// reports answer; it ends when the receiver closes.
func (s *Session) readRTCP(r *webrtc.RTPReceiver, ssrc uint32) {
	for {
		pkts, _, err := r.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			if sr, ok := p.(*rtcp.SenderReport); ok && sr.SSRC == ssrc {
				s.reports.senderReport(sr.NTPTime, time.Now())
			}
		}
	}
}

// sendReport sends a receiver report about the track, from what the chain
// has read of it; a failed write is only logged: the next may pass.
func (s *Session) sendReport(track *webrtc.TrackRemote, chain *media.Chain, now time.Time) {
	first, highest, ok := chain.Received()
	if !ok {
		return
	}
	got := received{first: first, highest: highest, count: s.stats.Packets.Load()}
	rr := s.reports.report(uint32(track.SSRC()), got, uint32(s.stats.JitterMicros.Load()*media.OpusRate/1e6), now)
	s.mu.Lock()
	pc := s.pc
	s.mu.Unlock()
	if pc == nil {
		return
	}
	if err := pc.WriteRTCP([]rtcp.Packet{rr}); err != nil {
		s.log.Debug("sending a receiver report", "err", err)
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
	if explicit && s.chain != nil {
		s.chain.StopAt(time.Now())
	}
	pc, started := s.pc, s.started
	if s.answering {
		pc = nil // answer closes it as it returns
	}
	stopTimer(s.connectTimer)
	stopTimer(s.maxTimer)
	s.mu.Unlock()

	if pc != nil {
		if err := pc.Close(); err != nil {
			s.log.Warn("closing peer connection", "err", err)
		}
	}
	if !started {
		s.finish()
	}
}

// finish settles the session's state once its pipeline is done (or was
// never started): stopped with a draft; failed, with its reason, when the
// pipeline broke (a draft may still hold the audio before that) or nothing
// was recorded. It starts the timer that forgets the session.
func (s *Session) finish() {
	s.doneOnce.Do(func() {
		s.mu.Lock()
		if s.unhookBase != nil {
			s.unhookBase()
		}
		hasDraft := s.spool != nil && s.spool.Bytes() > 0
		failed := s.err != nil || !hasDraft
		switch {
		case s.reason != "" || !failed:
		case s.err != nil:
			s.reason = failureReason(s.err)
		default:
			s.reason = media.Message(ErrEmptyTake)
		}
		stopTimer(s.connectTimer)
		stopTimer(s.maxTimer)
		s.releaseHandshake()
		if !s.released {
			ttl, expire := s.cfg.FailedTTL, s.onFailed
			if hasDraft {
				ttl, expire = s.cfg.DraftTTL, s.onDraftExpired
			}
			if expire != nil && ttl > 0 {
				s.expiry = time.AfterFunc(ttl, expire)
			}
		}
		reason := s.reason
		s.mu.Unlock()
		if failed {
			s.state.Store(media.SessionFailed)
		} else {
			s.state.Store(media.SessionStopped)
		}
		s.log.Info("session ended", "state", s.State(), "reason", reason, "draft", hasDraft, "stats", s.stats.Snapshot())
		if s.onEnd != nil {
			s.onEnd()
		}
		close(s.done)
	})
}

// release is the Manager forgetting the session: no timer of it may run
// on.
func (s *Session) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.released = true
	stopTimer(s.connectTimer)
	stopTimer(s.maxTimer)
	stopTimer(s.expiry)
}

func stopTimer(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}

// stop ends the session (if live) and waits for its take.
func (s *Session) stop(timeout time.Duration) (media.Take, error) {
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

func (s *Session) take() (media.Take, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.spool == nil || s.spool.Bytes() == 0 {
		if s.err != nil {
			return media.Take{}, &media.Error{Kind: media.ErrInvalid, Message: "nothing was recorded: " + s.reason,
				Err: errors.Join(ErrEmptyTake, fmt.Errorf("rtc: session %q: %w", s.ID, s.err))}
		}
		return media.Take{}, ErrEmptyTake
	}
	// A take that failed part-way (a full disk) is still a draft: the
	// spool holds it up to the last good write.
	fr := s.live.info()
	return media.Take{
		SessionID: s.ID, TakeID: s.TakeID, SpoolPath: s.spoolPath, OpusPath: s.opusPath,
		SampleRate: s.Params.SampleRate, Channels: s.Params.Channels, Params: s.Params,
		PCMBytes: s.spool.Bytes(), StartedAt: s.CreatedAt, Stats: s.stats.Snapshot(),
		Frames: fr.Frames, Batches: fr.Batches, Changes: fr.Changes,
	}, nil
}

func (s *Session) releaseHandshake() {
	if release := s.handshook.Load(); release != nil {
		(*release)()
	}
}
