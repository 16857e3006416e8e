// Package rtcsend is a WebRTC sender for tests and load tools: a pion peer
// that streams a captured Opus stream in a loop, in real time, over
// loopback only (it gathers loopback candidates only and drops every other
// candidate from the answer), so it never sends traffic anywhere else.
package rtcsend

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// OpusPayloadType is what the recorder negotiates for Opus.
const OpusPayloadType = 111

// Capture is a recorded stream to send in a loop.
type Capture struct {
	Pkts    []media.Packet
	Step    uint32        // RTP timestamp step between packets
	Every   time.Duration // real time between packets
	SeqSpan uint16        // sequence numbers one loop takes
	TsSpan  uint32        // timestamps one loop takes
}

// ReadCapture reads a packet capture (mediatest format) and works out its
// packet time from its timestamps.
func ReadCapture(path string) (Capture, error) {
	pkts, err := mediatest.ReadPackets(path, time.Time{})
	if errors.Is(err, fs.ErrNotExist) {
		return Capture{}, fmt.Errorf("rtcsend: capture %s: %w", path, err)
	}
	if err != nil {
		return Capture{}, fmt.Errorf("rtcsend: capture: %w", err)
	}
	if len(pkts) < 2 {
		return Capture{}, fmt.Errorf("rtcsend: capture %s: %d packets, need at least 2", path, len(pkts))
	}
	first, last := pkts[0], pkts[len(pkts)-1]
	n := uint32(len(pkts) - 1)
	step := (last.Timestamp - first.Timestamp) / n
	if step == 0 || step > media.OpusRate/8 {
		return Capture{}, fmt.Errorf("rtcsend: capture %s: packets %d timestamps apart on average, want 1-%d", path, step, media.OpusRate/8)
	}
	return Capture{
		Pkts:    pkts,
		Step:    step,
		Every:   time.Duration(step) * time.Second / media.OpusRate,
		SeqSpan: last.SequenceNumber - first.SequenceNumber + 1,
		TsSpan:  last.Timestamp - first.Timestamp + step,
	}, nil
}

// Packet returns packet i of the endless loop of the capture: sequence
// numbers and timestamps run on from one loop to the next.
func (c Capture) Packet(i int) *rtp.Packet {
	loop, p := i/len(c.Pkts), c.Pkts[i%len(c.Pkts)]
	return &rtp.Packet{
		Header: rtp.Header{
			Version: 2, PayloadType: OpusPayloadType,
			SequenceNumber: p.SequenceNumber + uint16(loop)*c.SeqSpan,
			Timestamp:      p.Timestamp + uint32(loop)*c.TsSpan,
		},
		Payload: p.Payload,
	}
}

// NewAPI is the pion API every client shares: Opus only, no
// interceptors (nothing is retransmitted, so the server sees exactly the
// packets sent), and ICE on loopback IPv4 only, without mDNS.
func NewAPI() (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: media.OpusRate, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1",
		},
		PayloadType: OpusPayloadType,
	}, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("register opus: %w", err)
	}
	var se webrtc.SettingEngine
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(ice.MulticastDNSModeDisabled)
	return webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithSettingEngine(se),
		webrtc.WithInterceptorRegistry(&interceptor.Registry{})), nil
}

// Peer is one client: a peer connection sending one Opus track.
type Peer struct {
	pc        *webrtc.PeerConnection
	track     *webrtc.TrackLocalStaticRTP
	connected chan struct{}
	failed    chan struct{}
}

// NewPeer creates a peer connection and its offer, with every (loopback)
// ICE candidate gathered.
func NewPeer(ctx context.Context, api *webrtc.API) (_ *Peer, _ webrtc.SessionDescription, err error) {
	var none webrtc.SessionDescription
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, none, fmt.Errorf("new peer connection: %w", err)
	}
	p := &Peer{pc: pc, connected: make(chan struct{}), failed: make(chan struct{})}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()
	var connected, failed sync.Once
	pc.OnConnectionStateChange(func(s webrtc.PeerConnectionState) {
		switch s {
		case webrtc.PeerConnectionStateConnected:
			connected.Do(func() { close(p.connected) })
		case webrtc.PeerConnectionStateFailed, webrtc.PeerConnectionStateClosed:
			failed.Do(func() { close(p.failed) })
		}
	})
	p.track, err = webrtc.NewTrackLocalStaticRTP(webrtc.RTPCodecCapability{
		MimeType: webrtc.MimeTypeOpus, ClockRate: media.OpusRate, Channels: 2,
	}, "audio", "rtcsend")
	if err != nil {
		return nil, none, fmt.Errorf("new track: %w", err)
	}
	tr, err := pc.AddTransceiverFromTrack(p.track, webrtc.RTPTransceiverInit{Direction: webrtc.RTPTransceiverDirectionSendonly})
	if err != nil {
		return nil, none, fmt.Errorf("add track: %w", err)
	}
	go func() { // read the server's RTCP until the connection closes
		for {
			if _, _, err := tr.Sender().ReadRTCP(); err != nil {
				return
			}
		}
	}()
	offer, err := pc.CreateOffer(nil)
	if err != nil {
		return nil, none, fmt.Errorf("create offer: %w", err)
	}
	gathered := webrtc.GatheringCompletePromise(pc)
	if err := pc.SetLocalDescription(offer); err != nil {
		return nil, none, fmt.Errorf("set offer: %w", err)
	}
	select {
	case <-gathered:
	case <-ctx.Done():
		return nil, none, fmt.Errorf("gathering ICE candidates: %w", ctx.Err())
	}
	return p, *pc.LocalDescription(), nil
}

// Accept sets the server's answer, less every candidate that is not on
// loopback, and waits for the connection.
func (p *Peer) Accept(ctx context.Context, answer webrtc.SessionDescription) error {
	sdp, n := LoopbackCandidates(answer.SDP)
	if n == 0 {
		return errors.New("the server's answer has no loopback ICE candidate (is it running with -ice-loopback?)")
	}
	answer.SDP = sdp
	if err := p.pc.SetRemoteDescription(answer); err != nil {
		return fmt.Errorf("set answer: %w", err)
	}
	select {
	case <-p.connected:
		return nil
	case <-p.failed:
		return fmt.Errorf("connection %s", p.pc.ConnectionState())
	case <-ctx.Done():
		return fmt.Errorf("connecting (state %s): %w", p.pc.ConnectionState(), ctx.Err())
	}
}

// Stream sends the capture in a loop, each packet at its time counted from
// now, until ctx ends. It counts the packets sent and notes when the first
// and the newest went out.
func (p *Peer) Stream(ctx context.Context, c Capture, st *SendStats) error {
	_, err := p.send(ctx, c, st, func(k int) (Send, bool) {
		return Send{Index: k, At: time.Duration(k) * c.Every}, true
	})
	return err
}

// Send is one packet of a plan: packet Index of the capture's endless
// loop (see Capture.Packet), sent At after the stream starts.
type Send struct {
	Index int
	At    time.Duration
}

// StreamPlan sends the packets of plan, in its order, each at its time
// counted from now, until the plan is done or ctx ends. It counts the
// packets sent as Stream does and returns how many of the plan went out.
// A plan is how a sender impairs its own stream: packets left out are
// lost, packets sent out of order arrive reordered.
func (p *Peer) StreamPlan(ctx context.Context, c Capture, plan []Send, st *SendStats) (int, error) {
	return p.send(ctx, c, st, func(k int) (Send, bool) {
		if k < len(plan) {
			return plan[k], true
		}
		return Send{}, false
	})
}

// send sends the packets next gives, the k-th at its time counted from
// now, until next has no more or ctx ends, and returns how many went out.
func (p *Peer) send(ctx context.Context, c Capture, st *SendStats, next func(k int) (Send, bool)) (int, error) {
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for k := 0; ; k++ {
		s, ok := next(k)
		if !ok {
			return k, nil
		}
		timer.Reset(time.Until(start.Add(s.At)))
		select {
		case <-ctx.Done():
			return k, nil
		case <-p.failed:
			return k, fmt.Errorf("connection %s after %d packets", p.pc.ConnectionState(), k)
		case <-timer.C:
		}
		if err := p.track.WriteRTP(c.Packet(s.Index)); err != nil {
			return k, fmt.Errorf("write packet %d: %w", s.Index, err)
		}
		st.Sent(time.Now())
	}
}

func (p *Peer) Close() { _ = p.pc.Close() }

// SendStats is what a stream has sent so far.
type SendStats struct {
	mu          sync.Mutex
	packets     int64
	first, last time.Time
}

func (s *SendStats) Sent(at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.packets == 0 {
		s.first = at
	}
	s.packets++
	s.last = at
}

// Snapshot returns the packets sent and the wall time they span, the
// newest packet's own duration included.
func (s *SendStats) Snapshot(every time.Duration) (int64, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.packets == 0 {
		return 0, 0
	}
	return s.packets, s.last.Sub(s.first) + every
}

// LoopbackCandidates drops every ICE candidate line of an SDP whose
// address is not a loopback IP (other interfaces, server-reflexive and
// relay candidates, mDNS names) and reports how many it kept.
func LoopbackCandidates(sdp string) (string, int) {
	lines := strings.SplitAfter(sdp, "\n")
	kept, n := lines[:0], 0
	for _, l := range lines {
		if f := strings.Fields(l); len(f) > 0 && strings.HasPrefix(f[0], "a=candidate:") {
			if len(f) < 5 {
				continue
			}
			if ip := net.ParseIP(f[4]); ip == nil || !ip.IsLoopback() {
				continue
			}
			n++
		}
		kept = append(kept, l)
	}
	return strings.Join(kept, ""), n
}
