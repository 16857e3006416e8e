package media

import (
	"container/heap"
	"context"
	"time"
)

// Packet is one RTP audio packet: just what ordering and decoding need.
type Packet struct {
	SequenceNumber uint16
	Timestamp      uint32 // RTP media clock (48 kHz for Opus)
	Payload        []byte
	// Padding is how many RTP padding bytes followed the payload (already
	// removed from Payload). A packet with padding and no payload carries
	// no audio: senders use them to probe bandwidth.
	Padding uint8
	Arrival time.Time
}

// DefaultReorderDepth is how many packets the reorder buffer holds while it
// waits for a missing one: 10 × 20 ms Opus packets = 200 ms of jitter.
const DefaultReorderDepth = 10

// Reorder puts packets back in sequence-number order. A missing packet is
// waited for until Depth later packets have arrived; then it is declared
// lost and the stream moves on. Packets arriving after their turn (late or
// duplicate) are dropped. The counters go to Stats.
type Reorder struct {
	Depth int
	Stats *Stats

	started bool
	next    int64 // extended sequence number expected next

	// RFC 3550 interarrival jitter, in RTP clock units (48 kHz).
	jitter      float64
	lastTransit float64
	haveTransit bool
	lastExt     int64 // extended sequence number of the newest packet seen
	pending     packetHeap
}

// Push adds one packet and emits every packet that is now in order.
func (r *Reorder) Push(p Packet, emit func(Packet) error) error {
	r.Stats.Packets.Add(1)
	r.Stats.PayloadBytes.Add(int64(len(p.Payload)))
	if len(p.Payload) > 0 { // padding goes out when the pacer sends it, not at its timestamp's time
		r.updateJitter(p)
	}
	ext := r.extend(p.SequenceNumber)
	if !r.started {
		r.started, r.next = true, ext
	}
	if ext < r.next || r.pending.has(ext) {
		r.Stats.LatePackets.Add(1)
		return nil
	}
	heap.Push(&r.pending, seqPacket{ext, p})
	depth := r.Depth
	if depth <= 0 {
		depth = DefaultReorderDepth
	}
	for r.pending.Len() > 0 {
		head := r.pending[0]
		if head.seq != r.next && r.pending.Len() <= depth {
			return nil // keep waiting for the gap to fill
		}
		if head.seq > r.next {
			r.Stats.LostPackets.Add(head.seq - r.next)
		}
		heap.Pop(&r.pending)
		r.next = head.seq + 1
		if err := emit(head.p); err != nil {
			return err
		}
	}
	return nil
}

// Flush emits whatever is still held, in order, counting gaps as lost.
func (r *Reorder) Flush(emit func(Packet) error) error {
	for r.pending.Len() > 0 {
		head := heap.Pop(&r.pending).(seqPacket)
		if head.seq > r.next {
			r.Stats.LostPackets.Add(head.seq - r.next)
		}
		r.next = head.seq + 1
		if err := emit(head.p); err != nil {
			return err
		}
	}
	return nil
}

// updateJitter follows RFC 3550 §6.4.1: the smoothed difference between
// how far apart packets arrived and how far apart they were sent.
func (r *Reorder) updateJitter(p Packet) {
	if p.Arrival.IsZero() {
		return
	}
	transit := float64(p.Arrival.UnixNano())*OpusRate/1e9 - float64(p.Timestamp)
	if r.haveTransit {
		d := transit - r.lastTransit
		if d < 0 {
			d = -d
		}
		if d < OpusRate*10 { // a timestamp jump (DTX, re-anchor) is not jitter
			r.jitter += (d - r.jitter) / 16
			r.Stats.JitterMicros.Store(int64(r.jitter * 1e6 / OpusRate))
		}
	}
	r.lastTransit, r.haveTransit = transit, true
}

// extend unwraps the 16-bit sequence number relative to the newest one seen.
func (r *Reorder) extend(seq uint16) int64 {
	if !r.started {
		r.lastExt = int64(seq)
		return r.lastExt
	}
	ext := r.lastExt + int64(int16(seq-uint16(r.lastExt)))
	if ext > r.lastExt {
		r.lastExt = ext
	}
	return ext
}

type seqPacket struct {
	seq int64
	p   Packet
}

type packetHeap []seqPacket

func (h packetHeap) Len() int           { return len(h) }
func (h packetHeap) Less(i, j int) bool { return h[i].seq < h[j].seq }
func (h packetHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *packetHeap) Push(x any)        { *h = append(*h, x.(seqPacket)) }
func (h *packetHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (h packetHeap) has(seq int64) bool {
	for _, sp := range h {
		if sp.seq == seq {
			return true
		}
	}
	return false
}

// Run is the stage loop: packets in arrival order in, sequence order out.
func (r *Reorder) Run(ctx context.Context, in <-chan Packet, out chan<- Packet) error {
	return runStage(ctx, in, out, r.Push, r.Flush)
}
