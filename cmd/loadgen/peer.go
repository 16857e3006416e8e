package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"sync"
	"time"

	"github.com/pion/ice/v4"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// opusPayloadType is what the recorder negotiates for Opus.
const opusPayloadType = 111

// capture is a recorded stream to send in a loop.
type capture struct {
	pkts    []media.Packet
	step    uint32        // RTP timestamp step between packets
	every   time.Duration // real time between packets
	seqSpan uint16        // sequence numbers one loop takes
	tsSpan  uint32        // timestamps one loop takes
}

// readCapture reads a packet capture (mediatest format) and works out its
// packet time from its timestamps.
func readCapture(path string) (capture, error) {
	pkts, err := mediatest.ReadPackets(path, time.Time{})
	if errors.Is(err, fs.ErrNotExist) {
		return capture{}, fmt.Errorf("capture %s not found: run loadgen from the repository root or pass -capture PATH", path)
	}
	if err != nil {
		return capture{}, fmt.Errorf("capture: %w", err)
	}
	if len(pkts) < 2 {
		return capture{}, fmt.Errorf("capture %s: %d packets, need at least 2", path, len(pkts))
	}
	first, last := pkts[0], pkts[len(pkts)-1]
	n := uint32(len(pkts) - 1)
	step := (last.Timestamp - first.Timestamp) / n
	if step == 0 || step > media.OpusRate/8 {
		return capture{}, fmt.Errorf("capture %s: packets %d timestamps apart on average, want 1-%d", path, step, media.OpusRate/8)
	}
	return capture{
		pkts:    pkts,
		step:    step,
		every:   time.Duration(step) * time.Second / media.OpusRate,
		seqSpan: last.SequenceNumber - first.SequenceNumber + 1,
		tsSpan:  last.Timestamp - first.Timestamp + step,
	}, nil
}

// packet returns packet i of the endless loop of the capture: sequence
// numbers and timestamps run on from one loop to the next.
func (c capture) packet(i int) *rtp.Packet {
	loop, p := i/len(c.pkts), c.pkts[i%len(c.pkts)]
	return &rtp.Packet{
		Header: rtp.Header{
			Version: 2, PayloadType: opusPayloadType,
			SequenceNumber: p.SequenceNumber + uint16(loop)*c.seqSpan,
			Timestamp:      p.Timestamp + uint32(loop)*c.tsSpan,
		},
		Payload: p.Payload,
	}
}

// newClientAPI is the pion API every client shares: Opus only, no
// interceptors (nothing is retransmitted, so the server sees exactly the
// packets sent), and ICE on loopback IPv4 only, without mDNS.
func newClientAPI() (*webrtc.API, error) {
	me := &webrtc.MediaEngine{}
	if err := me.RegisterCodec(webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType: webrtc.MimeTypeOpus, ClockRate: media.OpusRate, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1",
		},
		PayloadType: opusPayloadType,
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

// peer is one client: a peer connection sending one Opus track.
type peer struct {
	pc        *webrtc.PeerConnection
	track     *webrtc.TrackLocalStaticRTP
	connected chan struct{}
	failed    chan struct{}
}

// newPeer creates a peer connection and its offer, with every (loopback)
// ICE candidate gathered.
func newPeer(ctx context.Context, api *webrtc.API) (_ *peer, _ webrtc.SessionDescription, err error) {
	var none webrtc.SessionDescription
	pc, err := api.NewPeerConnection(webrtc.Configuration{})
	if err != nil {
		return nil, none, fmt.Errorf("new peer connection: %w", err)
	}
	p := &peer{pc: pc, connected: make(chan struct{}), failed: make(chan struct{})}
	defer func() {
		if err != nil {
			p.close()
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
	}, "audio", "loadgen")
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

// accept sets the server's answer, less every candidate that is not on
// loopback, and waits for the connection.
func (p *peer) accept(ctx context.Context, answer webrtc.SessionDescription) error {
	sdp, n := loopbackCandidates(answer.SDP)
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

// stream sends the capture in a loop, each packet at its time counted from
// now, until ctx ends. It counts the packets sent and notes when the first
// and the newest went out.
func (p *peer) stream(ctx context.Context, c capture, st *sendStats) error {
	start := time.Now()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := 0; ; i++ {
		timer.Reset(time.Until(start.Add(time.Duration(i) * c.every)))
		select {
		case <-ctx.Done():
			return nil
		case <-p.failed:
			return fmt.Errorf("connection %s after %d packets", p.pc.ConnectionState(), i)
		case <-timer.C:
		}
		if err := p.track.WriteRTP(c.packet(i)); err != nil {
			return fmt.Errorf("write packet %d: %w", i, err)
		}
		st.sent(time.Now())
	}
}

func (p *peer) close() { _ = p.pc.Close() }

// sendStats is what a stream has sent so far.
type sendStats struct {
	mu          sync.Mutex
	packets     int64
	first, last time.Time
}

func (s *sendStats) sent(at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.packets == 0 {
		s.first = at
	}
	s.packets++
	s.last = at
}

// snapshot returns the packets sent and the wall time they span, the
// newest packet's own duration included.
func (s *sendStats) snapshot(every time.Duration) (int64, time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.packets == 0 {
		return 0, 0
	}
	return s.packets, s.last.Sub(s.first) + every
}
