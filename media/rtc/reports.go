package rtc

import (
	"math/rand/v2"
	"sync"
	"time"

	"github.com/pion/rtcp"
)

// reportInterval is how often a live session sends an RTCP receiver
// report: once a second, as pion's report interceptor and browsers do.
const reportInterval = time.Second

// receiverReports keeps what RTCP receiver reports (RFC 3550 §6.4.2) say
// about one received stream, in place of pion's report interceptor, which
// parsed every packet a second time and allocated twice per packet, about
// 22 KB per second of a session. The session's goroutine counts each
// packet it reads with observe and asks for a report once a second; the
// RTCP reader notes the sender's reports with senderReport, for the round
// trip the sender works out from LSR and DLSR.
type receiverReports struct {
	ssrc uint32 // ours, as a reporter

	// Owned by the session's goroutine.
	started                   bool
	baseExt, maxExt           int64 // extended sequence numbers: the first and the highest
	received                  int64
	expectedPrior, recvdPrior int64 // at the previous report

	mu    sync.Mutex // guards lsr and lsrAt, set by the RTCP reader
	lsr   uint32     // middle 32 bits of the newest sender report's NTP time
	lsrAt time.Time  // when it came
}

func newReceiverReports() *receiverReports {
	return &receiverReports{ssrc: rand.Uint32()}
}

// observe counts a packet read from the stream.
func (r *receiverReports) observe(seq uint16) {
	if !r.started {
		r.started = true
		r.baseExt, r.maxExt = int64(seq), int64(seq)
		r.expectedPrior = 0
	}
	ext := r.maxExt + int64(int16(seq-uint16(r.maxExt)))
	r.maxExt = max(r.maxExt, ext)
	r.received++
}

// senderReport notes a sender report's NTP time, as it arrives.
func (r *receiverReports) senderReport(ntp uint64, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lsr, r.lsrAt = uint32(ntp>>16), at
}

// report returns the receiver report about mediaSSRC now, with the
// jitter (RTP clock units) the session measured; false before any packet.
func (r *receiverReports) report(mediaSSRC uint32, jitter uint32, now time.Time) (*rtcp.ReceiverReport, bool) {
	if !r.started {
		return nil, false
	}
	expected := r.maxExt - r.baseExt + 1
	lost := expected - r.received // negative with duplicates
	expInterval, recvInterval := expected-r.expectedPrior, r.received-r.recvdPrior
	r.expectedPrior, r.recvdPrior = expected, r.received
	var fraction uint8
	if lostInterval := expInterval - recvInterval; expInterval > 0 && lostInterval > 0 {
		fraction = uint8(lostInterval << 8 / expInterval)
	}
	block := rtcp.ReceptionReport{
		SSRC:               mediaSSRC,
		FractionLost:       fraction,
		TotalLost:          uint32(min(max(lost, -1<<23), 1<<23-1)) & 0xFFFFFF, // 24-bit signed
		LastSequenceNumber: uint32(r.maxExt),
		Jitter:             jitter,
	}
	r.mu.Lock()
	if !r.lsrAt.IsZero() {
		block.LastSenderReport = r.lsr
		block.Delay = uint32(now.Sub(r.lsrAt).Seconds() * 65536)
	}
	r.mu.Unlock()
	return &rtcp.ReceiverReport{SSRC: r.ssrc, Reports: []rtcp.ReceptionReport{block}}, true
}
