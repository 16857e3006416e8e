package main

// The aiortc baseline (cmd/loadgen/aiortc/server.py) counts the packets it
// decoded; what it lost is what was sent and never decoded.

// baselineTail is the packets aiortc's audio jitter buffer (prefetch 4)
// holds at the end of any stream: it hands a packet to the decoder only
// once four newer frames are behind it, so a stream's last four packets are
// never decoded. They are not counted as lost.
const baselineTail = 4

// baselineLoss sets each row's lost packets to those sent and not decoded
// (beyond the tail), where that is more than the server reports itself.
func baselineLoss(rows []row) {
	for i := range rows {
		st := &rows[i].info.Stats
		if missing := rows[i].sent - st.Packets - baselineTail; missing > st.LostPackets {
			st.LostPackets = missing
		}
	}
}
