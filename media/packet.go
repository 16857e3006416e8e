package media

import "time"

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
//
// A packet that arrives in turn with nothing held is passed straight on;
// one that must wait is copied into a buffer the Reorder keeps and reuses,
// so Push allocates nothing once it has held as many packets as it ever
// will. An emitted packet's Payload is valid until emit returns.
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
	pending     heldPackets
	free        [][]byte // payload buffers of packets emitted from pending
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
	if ext == r.next && len(r.pending) == 0 { // in turn: nothing to wait for
		r.next = ext + 1
		return emit(p)
	}
	r.hold(ext, p)
	depth := r.Depth
	if depth <= 0 {
		depth = DefaultReorderDepth
	}
	for len(r.pending) > 0 {
		if r.pending[0].seq != r.next && len(r.pending) <= depth {
			return nil // keep waiting for the gap to fill
		}
		if err := r.emitHead(emit); err != nil {
			return err
		}
	}
	return nil
}

// Flush emits whatever is still held, in order, counting gaps as lost.
func (r *Reorder) Flush(emit func(Packet) error) error {
	for len(r.pending) > 0 {
		if err := r.emitHead(emit); err != nil {
			return err
		}
	}
	return nil
}

// hold keeps a packet that must wait, its payload copied, in sequence order.
func (r *Reorder) hold(ext int64, p Packet) {
	var buf []byte
	if n := len(r.free); n > 0 {
		buf, r.free = r.free[n-1], r.free[:n-1]
	}
	buf = append(buf[:0], p.Payload...)
	p.Payload = buf
	i := len(r.pending)
	for i > 0 && r.pending[i-1].seq > ext {
		i--
	}
	r.pending = append(r.pending, heldPacket{})
	copy(r.pending[i+1:], r.pending[i:])
	r.pending[i] = heldPacket{ext, p}
}

// emitHead emits the oldest held packet, counting the gap before it as
// lost, and keeps its buffer for reuse.
func (r *Reorder) emitHead(emit func(Packet) error) error {
	head := r.pending[0]
	copy(r.pending, r.pending[1:])
	r.pending = r.pending[:len(r.pending)-1]
	if head.seq > r.next {
		r.Stats.LostPackets.Add(head.seq - r.next)
	}
	r.next = head.seq + 1
	err := emit(head.p)
	r.free = append(r.free, head.p.Payload)
	return err
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

// heldPacket is a packet waiting for an earlier one, by extended sequence
// number.
type heldPacket struct {
	seq int64
	p   Packet
}

// heldPackets are the waiting packets in sequence order.
type heldPackets []heldPacket

// Len returns how many packets are held.
func (h heldPackets) Len() int { return len(h) }

func (h heldPackets) has(seq int64) bool {
	for _, sp := range h {
		if sp.seq == seq {
			return true
		}
	}
	return false
}
