// Package rtc receives browser microphones over WebRTC. A Manager answers
// offers with pion/webrtc, runs one Session per peer connection and keeps a
// finished take as a draft (a spool file of PCM) until it is saved or
// discarded.
package rtc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/media"
)

// Config is what a Manager needs from the outside.
type Config struct {
	// SpoolDir holds one PCM spool file per session while it records.
	SpoolDir string
	// IncludeLoopback offers 127.0.0.1 ICE candidates too, so a browser on
	// the same machine connects even where no other interface is up.
	IncludeLoopback bool
	// Network is where ICE gathers, what it advertises and which STUN and
	// TURN servers (with credentials) both ends use.
	Network Network
	// ConnectTimeout ends a session that has not connected by then.
	ConnectTimeout time.Duration
	// StopTimeout bounds how long Stop waits for the pipeline to drain.
	StopTimeout time.Duration
	// MaxSessions bounds live sessions at once (0: no bound); an offer
	// beyond it is refused with media.ErrBusy.
	MaxSessions int
	// OpusBitrate, when set, asks browsers to send Opus at this average
	// bit rate (bits/s) at most.
	OpusBitrate int
	// Admission refuses a session (media.ErrBusy) while the measured load
	// leaves no room for it, below MaxSessions.
	Admission Admission
	// MaxPerClient bounds the live sessions of one client
	// (OfferOptions.Client) at once (0: no bound); an offer beyond it is
	// refused with media.ErrTooMany. A session counts until it ends,
	// connected or not (ConnectTimeout ends one that never connects).
	MaxPerClient int
	// MaxDuration stops a live take by itself after this long (0: never);
	// the take stays a draft, as after Stop.
	MaxDuration time.Duration
	// FailedTTL is how long a session that ended with nothing recorded
	// stays visible (so the page can read why) before it is forgotten.
	FailedTTL time.Duration
	// DraftTTL is how long an ended take stays a draft, neither saved nor
	// discarded, before the Manager forgets it (default 24 h). Its spool
	// stays on disk: the next start recovers it into a recording.
	DraftTTL time.Duration
	// BaseContext is the root of every session: when it ends (shutdown),
	// live takes stop and stay drafts. Nil means context.Background().
	BaseContext context.Context
	// Feed, when set, receives every session's batches as they are cut.
	Feed Feed
	// Tap, when set, sees every RTP packet as received (tests capture
	// real packets with it).
	Tap func(sessionID string, p media.Packet)
	// ReorderMaxHold is the longest a session waits for a missing packet,
	// however large the jitter (media.DefaultReorderMaxHold when zero).
	ReorderMaxHold time.Duration
	Log            *slog.Logger
}

// Manager owns every live session and every draft take.
type Manager struct {
	cfg     Config
	api     *webrtc.API
	sockets *listeners // the UDP and TCP muxes shared by every session
	cpu     *cpuMeter  // the process's CPU use, for admission
	pacer   *pacer     // handshakes in flight (nil: unpaced)

	mu       sync.Mutex
	sessions map[string]*Session
	totals   Totals // sessions started, and the counters of the ended ones (see Totals)
}

// NewManager builds the pion API (Opus only, no interceptors: sessions
// send their own receiver reports) and the spool directory.
func NewManager(cfg Config) (*Manager, error) {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 30 * time.Second
	}
	if cfg.StopTimeout <= 0 {
		cfg.StopTimeout = 5 * time.Second
	}
	if cfg.FailedTTL <= 0 {
		cfg.FailedTTL = time.Minute
	}
	if cfg.DraftTTL <= 0 {
		cfg.DraftTTL = 24 * time.Hour
	}
	cfg.Admission = cfg.Admission.withDefaults()
	if err := os.MkdirAll(cfg.SpoolDir, 0o755); err != nil {
		return nil, fmt.Errorf("rtc: spool dir: %w", err)
	}
	api, sockets, err := newAPI(cfg)
	if err != nil {
		return nil, err
	}
	m := &Manager{cfg: cfg, api: api, sockets: sockets, cpu: newCPUMeter(cfg.Admission), sessions: map[string]*Session{}}
	if !cfg.Admission.Off {
		m.pacer = newPacer(cfg.Admission)
	}
	return m, nil
}

func newAPI(cfg Config) (*webrtc.API, *listeners, error) {
	m := &webrtc.MediaEngine{}
	if err := m.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: media.OpusRate, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1",
		},
		PayloadType: 111,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, nil, fmt.Errorf("rtc: register opus: %w", err)
	}
	// No interceptors: a receive-only Opus session needs only RTCP
	// receiver reports, which the session sends itself (reports.go) from
	// the packets it reads anyway. pion's defaults cost every packet a
	// second parse and allocations: a NACK generator and responder (Opus
	// is negotiated without NACK, as browsers offer it, and nothing is
	// sent), a statistics recorder (the session's own counters are the
	// media.Stats the chain keeps; its round trip is the ICE pair's),
	// transport-wide congestion control feedback (bandwidth estimation,
	// which one Opus stream of a few tens of kbit/s does without: the
	// browser then sends at its configured rate), the simulcast header
	// extensions (video only) and the report interceptor itself (two
	// allocations a packet).
	reg := &interceptor.Registry{}
	var se webrtc.SettingEngine
	se.LoggerFactory = newPionLogs(cfg.Log)
	ifaces, err := newSharedInterfaces(time.Now)
	if err != nil {
		return nil, nil, fmt.Errorf("rtc: network interfaces: %w", err)
	}
	se.SetNet(ifaces)
	se.SetIncludeLoopbackCandidate(cfg.IncludeLoopback)
	// No mDNS: a browser that hides its address behind a .local name
	// still sends its checks to ours, and the server learns it from them
	// (a peer-reflexive candidate), as any server does. pion's default
	// opened a multicast socket and a goroutine per session for it.
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	sockets, err := cfg.Network.configure(&se, cfg.IncludeLoopback)
	if err != nil {
		return nil, nil, err
	}
	return webrtc.NewAPI(webrtc.WithMediaEngine(m), webrtc.WithInterceptorRegistry(reg), webrtc.WithSettingEngine(se)), sockets, nil
}

var sessionIDPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// Offer starts a session from a browser's SDP offer and returns the answer
// with every ICE candidate in it (gathering completes before answering, so
// no trickle is needed). id may be empty: one is issued.
func (m *Manager) Offer(ctx context.Context, id string, offer webrtc.SessionDescription, p media.Params) (*Session, webrtc.SessionDescription, error) {
	return m.offer(ctx, id, offer, p, media.OfferOptions{})
}

func (m *Manager) offer(ctx context.Context, id string, offer webrtc.SessionDescription, p media.Params, o media.OfferOptions) (*Session, webrtc.SessionDescription, error) {
	var none webrtc.SessionDescription
	if err := p.Validate(); err != nil {
		return nil, none, err
	}
	if offer.Type != webrtc.SDPTypeOffer || offer.SDP == "" {
		return nil, none, media.Invalidf("need an SDP offer: {type:\"offer\", sdp}")
	}
	if err := checkOffer(offer.SDP); err != nil {
		return nil, none, err
	}
	if id == "" {
		id = newSessionID()
	} else if !sessionIDPattern.MatchString(id) {
		return nil, none, media.Invalidf("session_id must be 1-64 letters, digits, _ or -")
	}
	s, err := m.register(id, p, o.Client)
	if err != nil {
		return nil, none, err
	}
	// The handshake (ICE, DTLS) is the costly part of a start: a storm
	// of them takes its turns, so the live sessions stay on time.
	release, err := m.pacer.acquire(ctx)
	if err == nil {
		s.handshook.Store(&release)
		var answer webrtc.SessionDescription
		if answer, err = s.answer(ctx, m.api, m.iceServers(), offer, o.Trickle); err == nil {
			return s, answer, nil
		}
	}
	s.end(false)
	m.forget(id)
	if errors.Is(err, media.ErrBusy) {
		m.countRefused()
	}
	return nil, none, err
}

func (m *Manager) register(id string, p media.Params, client string) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.sessions[id]; ok {
		return nil, media.Conflictf("session %q already exists", id)
	}
	if m.cfg.MaxPerClient > 0 && client != "" && m.liveOfLocked(client) >= m.cfg.MaxPerClient {
		return nil, &media.Error{Kind: media.ErrTooMany, Message: fmt.Sprintf(
			"%d live takes from your address already, the most one client may have; stop one first", m.cfg.MaxPerClient)}
	}
	if m.cfg.MaxSessions > 0 && m.liveLocked() >= m.cfg.MaxSessions {
		return nil, atCapacity(countTakes(m.cfg.MaxSessions) + " at once is its limit")
	}
	if err := m.cfg.Admission.admit(m.loadLocked()); err != nil {
		m.totals.Refused++
		return nil, err
	}
	spoolPath := filepath.Join(m.cfg.SpoolDir, id+".pcm")
	if _, err := os.Stat(spoolPath); err == nil {
		// An expired draft's: a new take must not overwrite it.
		return nil, media.Conflictf("session %q already exists (as an unsaved take kept on disk)", id)
	}
	s := newSession(id, p, m.cfg, spoolPath)
	s.client = client
	s.onFailed = func() { m.forgetFailed(s) }
	s.onDraftExpired = func() { m.forgetDraft(s) }
	s.onEnd = func() { m.fold(s) }
	m.sessions[id] = s
	m.totals.Started++
	return s, nil
}

func (c Config) baseContext() context.Context {
	if c.BaseContext == nil {
		return context.Background()
	}
	return c.BaseContext
}

func (m *Manager) iceServers() []webrtc.ICEServer {
	return m.cfg.Network.Servers(time.Now())
}

// BrowserICE is the ICE configuration a page builds its peer connection
// with: the STUN and TURN servers (TURN credentials made fresh when they
// come from a shared secret) and the transport policy.
func (m *Manager) BrowserICE(now time.Time) media.BrowserICE {
	return m.cfg.Network.Browser(now)
}

// AddICECandidate adds a candidate the browser trickled after its offer.
func (m *Manager) AddICECandidate(id string, c media.ICECandidate) error {
	s, err := m.Get(id)
	if err != nil {
		return err
	}
	return s.addICECandidate(webrtc.ICECandidateInit(c))
}

// Get returns a session, live or finished.
func (m *Manager) Get(id string) (*Session, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.sessions[id]
	if !ok {
		return nil, media.NotFoundf("no session %q", id)
	}
	return s, nil
}

// Stop ends a live session and returns its take, now a draft on disk. On a
// finished session it just returns the take.
func (m *Manager) Stop(id string) (media.Take, error) {
	s, err := m.Get(id)
	if err != nil {
		return media.Take{}, err
	}
	return s.stop(m.cfg.StopTimeout)
}

// Release forgets a saved session and deletes its spool.
func (m *Manager) Release(id string) error { return m.Discard(id) }

// Discard ends a session if live and deletes its take.
func (m *Manager) Discard(id string) error {
	s, err := m.Get(id)
	if err != nil {
		return err
	}
	if _, err := s.stop(m.cfg.StopTimeout); err != nil && !isEmptyTake(err) {
		m.cfg.Log.Warn("discard: stop failed", "session_id", id, "err", err)
	}
	m.forget(id)
	return removeSpool(s.spoolPath)
}

// removeSpool deletes a take's spool, its Ogg if any, and its sidecar.
func removeSpool(path string) error {
	var errs []error
	for _, p := range []string{path, media.OpusSpoolPath(path), media.SpoolMetaPath(path)} {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("rtc: remove spool: %w", err)
	}
	return nil
}

// Close ends every live session; their drafts stay on disk.
func (m *Manager) Close() {
	m.mu.Lock()
	all := make([]*Session, 0, len(m.sessions))
	for _, s := range m.sessions {
		all = append(all, s)
	}
	m.mu.Unlock()
	// All at once: shutdown takes one StopTimeout at most, however many
	// takes are live.
	var wg sync.WaitGroup
	for _, s := range all {
		wg.Go(func() {
			if _, err := s.stop(m.cfg.StopTimeout); err != nil && !isEmptyTake(err) {
				m.cfg.Log.Warn("shutdown: stop failed", "session_id", s.ID, "err", err)
			}
		})
	}
	wg.Wait()
	if err := m.sockets.Close(); err != nil {
		m.cfg.Log.Warn("closing the ICE sockets", "err", err)
	}
}

// Apply passes new fps and batch size to every live session; each applies
// them at its next frame and batch boundary.
func (m *Manager) Apply(p media.Params) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.sessions {
		s.Apply(p)
	}
}

// Live counts sessions that are not finished.
func (m *Manager) Live() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.liveLocked()
}

// liveOfLocked counts client's sessions that are not finished.
func (m *Manager) liveOfLocked(client string) int {
	n := 0
	for _, s := range m.sessions {
		if s.client == client && !s.finished() {
			n++
		}
	}
	return n
}

// loadLocked is what admission weighs: the sessions by state, the late
// ones, and the process's CPU use.
func (m *Manager) loadLocked() load {
	l := load{cores: m.cpu.Cores()}
	now := m.cfg.Admission.Now()
	for _, s := range m.sessions {
		switch s.State() {
		case media.SessionConnecting:
			// Only a fresh one is handshaking; an older one waits for a
			// browser that may never come, at no cost (ConnectTimeout
			// ends it), and must not hold the way for everyone.
			if now.Sub(s.CreatedAt) < handshakeTime {
				l.connecting++
			}
		case media.SessionLive:
			l.live++
			if s.live.runningLate(now) {
				l.late++
			}
		}
	}
	return l
}

func (m *Manager) countRefused() {
	m.mu.Lock()
	m.totals.Refused++
	m.mu.Unlock()
}

func (m *Manager) liveLocked() int {
	n := 0
	for _, s := range m.sessions {
		if !s.finished() {
			n++
		}
	}
	return n
}

// forgetFailed drops a session that recorded nothing, with its empty
// spool, unless it was discarded already (its spool went then) or its id
// has since been reused: the spool at that path is then another session's.
func (m *Manager) forgetFailed(s *Session) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dropLocked(s) {
		return
	}
	if err := removeSpool(s.spoolPath); err != nil {
		m.cfg.Log.Warn("removing empty spool", "session_id", s.ID, "err", err)
	}
}

// forgetDraft drops a draft nobody saved or discarded within DraftTTL,
// unless it is gone already. Its spool is kept, not deleted: the next
// start recovers it into a recording.
func (m *Manager) forgetDraft(s *Session) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dropLocked(s) {
		return
	}
	m.cfg.Log.Warn("an unsaved draft expired: forgotten, its spool kept on disk for recovery at the next start",
		"session_id", s.ID, "spool", s.spoolPath, "draft_ttl", m.cfg.DraftTTL)
}

func (m *Manager) forget(id string) {
	m.mu.Lock()
	s := m.sessions[id]
	if s != nil {
		m.dropLocked(s)
	}
	m.mu.Unlock()
	if s != nil {
		s.release()
	}
}

// dropLocked forgets s, its counters folded into the totals, unless its id
// now names another session (or none); it tells whether s was dropped.
// m.mu is held.
func (m *Manager) dropLocked(s *Session) bool {
	if m.sessions[s.ID] != s {
		return false
	}
	m.foldLocked(s)
	delete(m.sessions, s.ID)
	return true
}

// newTakeID names one take for good: 128 random bits.
func newTakeID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func newSessionID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "session_" + hex.EncodeToString(b[:])
}
