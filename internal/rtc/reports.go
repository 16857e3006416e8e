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

// received is what a session has read of a stream, as RTCP receiver
// reports count it: the extended sequence numbers of the first packet and
// of the highest, and how many packets came (duplicates included).
type received struct {
	first, highest, count int64
}

// receiverReports makes the RTCP receiver reports (RFC 3550 §6.4.2) of one
// received stream, in place of pion's report interceptor, which parsed
// every packet a second time and allocated twice per packet, about 22 KB
// per second of a session. The sequence numbers and packet counts are the
// ones the session's chain keeps anyway; this keeps only what the report
// before said, and the newest sender report, which the RTCP reader notes
// with senderReport for the round trip the sender works out from LSR and
// DLSR.
type receiverReports struct {
	ssrc uint32 // ours, as a reporter

	// At the previous report; owned by the session's goroutine.
	expectedPrior, countPrior int64

	mu    sync.Mutex // guards lsr and lsrAt, set by the RTCP reader
	lsr   uint32     // middle 32 bits of the newest sender report's NTP time
	lsrAt time.Time  // when it came
}

func newReceiverReports() *receiverReports {
	return &receiverReports{ssrc: rand.Uint32()}
}

// senderReport notes a sender report's NTP time, as it arrives.
func (r *receiverReports) senderReport(ntp uint64, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lsr, r.lsrAt = uint32(ntp>>16), at
}

// report returns the receiver report about mediaSSRC now, given what was
// received and the jitter (RTP clock units) the session measured.
func (r *receiverReports) report(mediaSSRC uint32, got received, jitter uint32, now time.Time) *rtcp.ReceiverReport {
	expected := got.highest - got.first + 1
	lost := expected - got.count // negative with duplicates
	expInterval, countInterval := expected-r.expectedPrior, got.count-r.countPrior
	r.expectedPrior, r.countPrior = expected, got.count
	var fraction uint8
	if lostInterval := expInterval - countInterval; expInterval > 0 && lostInterval > 0 {
		fraction = uint8(lostInterval << 8 / expInterval)
	}
	block := rtcp.ReceptionReport{
		SSRC:               mediaSSRC,
		FractionLost:       fraction,
		TotalLost:          uint32(min(max(lost, -1<<23), 1<<23-1)) & 0xFFFFFF, // 24-bit signed
		LastSequenceNumber: uint32(got.highest),
		Jitter:             jitter,
	}
	r.mu.Lock()
	if !r.lsrAt.IsZero() {
		block.LastSenderReport = r.lsr
		block.Delay = uint32(now.Sub(r.lsrAt).Seconds() * 65536)
	}
	r.mu.Unlock()
	return &rtcp.ReceiverReport{SSRC: r.ssrc, Reports: []rtcp.ReceptionReport{block}}
}
