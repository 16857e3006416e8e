package rtc

import (
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

// TestReceiverReports: the counts of RFC 3550 §6.4.2 and appendix A.3,
// from what a chain's reorder stage saw of a stream with a loss, a
// duplicate, a reordering and a sequence number wrap; and LSR/DLSR from
// the newest sender report.
func TestReceiverReports(t *testing.T) {
	var stats media.Stats
	reorder := &media.Reorder{Stats: &stats}
	push := func(seqs ...uint16) received {
		t.Helper()
		for _, seq := range seqs {
			if err := reorder.Push(media.Packet{SequenceNumber: seq, Payload: []byte{1}}, func(media.Packet) error { return nil }); err != nil {
				t.Fatal(err)
			}
		}
		first, highest, ok := reorder.Received()
		if !ok {
			t.Fatal("Received: no packet seen")
		}
		return received{first: first, highest: highest, count: stats.Packets.Load()}
	}
	r := newReceiverReports()
	now := time.Unix(1000, 0)
	// 65530..65535, 0..3 with 65533 lost, 1 before 0, 2 twice.
	got := push(65530, 65531, 65532, 65534, 65535, 1, 0, 2, 2, 3)
	r.senderReport(0x1122_3344_5566_7788, now.Add(-500*time.Millisecond))
	rr := r.report(7, got, 480, now)
	if len(rr.Reports) != 1 {
		t.Fatalf("report: %+v", rr)
	}
	b := rr.Reports[0]
	// Expected 65530..3 across the wrap: 10; received 10 (one duplicate),
	// so cumulative lost 0 as the RFC counts it, and so the interval.
	if b.SSRC != 7 || b.LastSequenceNumber != 1<<16|3 || b.TotalLost != 0 || b.FractionLost != 0 || b.Jitter != 480 {
		t.Errorf("first report: %+v", b)
	}
	if b.LastSenderReport != 0x3344_5566 || b.Delay != 65536/2 {
		t.Errorf("LSR %#x, DLSR %d; want 0x33445566 and %d", b.LastSenderReport, b.Delay, 65536/2)
	}
	// Next interval: 4..13 with 6, 7 and 8 lost.
	got = push(4, 5, 9, 10, 11, 12, 13)
	b = r.report(7, got, 480, now.Add(time.Second)).Reports[0]
	if b.LastSequenceNumber != 1<<16|13 || b.TotalLost != 3 || b.FractionLost != 3*256/10 {
		t.Errorf("second report: highest %#x, lost %d, fraction %d; want 0x1000d, 3, %d", b.LastSequenceNumber, b.TotalLost, b.FractionLost, 3*256/10)
	}
}
