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

// DefaultReorderDepth is the fewest packets the reorder buffer may hold
// while it waits for a missing one: 10 × 20 ms Opus packets = 200 ms.
const DefaultReorderDepth = 10

// DefaultReorderMaxHold is the longest a missing packet is waited for,
// however large the jitter.
const DefaultReorderMaxHold = 200 * time.Millisecond

// reorderJitterFactor is k in the hold k·J + one packet time. J is the RFC
// 3550 jitter, the mean of |D|, the difference between two consecutive
// packets' transit times. A missing packet's lateness is measured against
// the packet before it, so it is such a difference too: for uniform delays
// (loadgen's -jitter) |D| never exceeds 3·J; for Gaussian delays, 4·J is
// 3.2 standard deviations of D, which 1 packet in 1400 is later than.
const reorderJitterFactor = 4

// jitterWarmup is how many transit differences the hold's jitter takes
// before the hold follows it; until then the hold is the max. The RFC 3550
// filter moves 1/16 of the way per packet, so it starts far below a
// jittery path's jitter: the hold's own estimate is the plain mean of the
// first 16 differences, then the same filter.
const jitterWarmup = 8

// Reorder puts packets back in sequence-number order. A missing packet is
// waited for as long as the measured jitter says it may still come: it is
// declared lost, and the stream moves on, once the newest packet (or the
// clock, see Idle) is later than the missing packet's expected arrival by
// more than the hold,
//
//	hold = clamp(4·jitter + one packet time, one packet time, MaxHold)
//
// (see reorderJitterFactor), and MaxHold for the first 8 packets, until the
// jitter is measured (see jitterWarmup). The packet time is the margin that
// lets a packet arrive just after the next one (a swap) with no jitter. The
// expected arrival is the arrival of the packet emitted before the gap plus
// the RTP time between the two. Whatever the jitter, no more than Depth
// packets are held: the count is a hard cap, and the only bound for packets
// that carry no arrival time. Packets arriving after their turn (late or
// duplicate) are dropped. The counters go to Stats.
//
// A packet that arrives in turn with nothing held is passed straight on;
// one that must wait is copied into a buffer the Reorder keeps and reuses,
// so Push allocates nothing once it has held as many packets as it ever
// will. An emitted packet's Payload is valid until emit returns.
type Reorder struct {
	// Depth is the most packets held (when zero, MaxHold in packets, and
	// at least DefaultReorderDepth).
	Depth int
	// MaxHold bounds how long a missing packet is waited for
	// (DefaultReorderMaxHold when zero).
	MaxHold time.Duration
	Stats   *Stats

	started  bool
	firstExt int64 // extended sequence number of the first packet
	next     int64 // extended sequence number expected next

	// RFC 3550 interarrival jitter, in RTP clock units (48 kHz).
	jitter      float64
	holdJitter  float64 // the same, converging fast from the start (see jitterWarmup)
	jitterN     int     // transit differences the jitter is made of, up to 16
	lastTransit float64
	haveTransit bool
	lastExt     int64 // extended sequence number of the newest packet seen
	pending     heldPackets
	free        [][]byte // payload buffers of packets emitted from pending

	// What the hold is measured from: the newest arrival seen, and the
	// newest emitted audio packet (its sequence number, timestamp and
	// arrival, unix nanoseconds; refAt is 0 until one had an arrival).
	newestAt int64
	refSeq   int64
	refTS    uint32
	refAt    int64
	step     int64 // RTP time between consecutive audio packets (0: not seen yet)
}

// Push adds one packet and emits every packet that is now in order, and
// those held behind a gap that has waited out its hold.
func (r *Reorder) Push(p Packet, emit func(Packet) error) error {
	r.Stats.Packets.Add(1)
	r.Stats.PayloadBytes.Add(int64(len(p.Payload)))
	if len(p.Payload) > 0 { // padding goes out when the pacer sends it, not at its timestamp's time
		r.updateJitter(p)
	}
	if !p.Arrival.IsZero() {
		r.newestAt = max(r.newestAt, p.Arrival.UnixNano())
	}
	newest := r.lastExt
	ext := r.extend(p.SequenceNumber)
	if !r.started {
		r.started, r.firstExt, r.next = true, ext, ext
		newest = ext
	}
	if ext < r.next || r.pending.has(ext) {
		r.Stats.LatePackets.Add(1)
		return r.release(r.newestAt, emit) // its arrival still tells the time
	}
	if ext < newest { // a later packet came first, and this one is in time
		r.Stats.RecoveredPackets.Add(1)
	}
	if ext == r.next && len(r.pending) == 0 { // in turn: nothing to wait for
		r.next = ext + 1
		r.noteEmitted(ext, p)
		return emit(p)
	}
	r.hold(ext, p)
	return r.release(r.newestAt, emit)
}

// Idle releases the packets held behind a gap whose hold has run out by
// now, as if a packet had arrived then: when a sender stops, or pauses,
// right after a loss, what it sent before the pause still goes on. Call it
// while no packet comes (the Chain's Idle does).
func (r *Reorder) Idle(now time.Time, emit func(Packet) error) error {
	if len(r.pending) == 0 {
		return nil
	}
	return r.release(max(r.newestAt, now.UnixNano()), emit)
}

// release emits the held packets that are in turn, or behind a gap that
// has waited out its hold (at the time now, unix nanoseconds) or holds more
// than Depth packets.
func (r *Reorder) release(now int64, emit func(Packet) error) error {
	depth := r.Depth
	if depth <= 0 {
		depth = max(DefaultReorderDepth, int((int64(r.maxHold())*OpusRate/1e9+r.packetTime()-1)/r.packetTime()))
	}
	for len(r.pending) > 0 {
		if r.pending[0].seq != r.next && len(r.pending) <= depth && !r.expired(now) {
			return nil // keep waiting for the gap to fill
		}
		if err := r.emitHead(emit); err != nil {
			return err
		}
	}
	return nil
}

// expired tells whether the gap before the first held packet has waited
// out its hold at now (unix nanoseconds).
func (r *Reorder) expired(now int64) bool {
	if r.refAt == 0 || now == 0 {
		return false // no arrival times: only Depth bounds the wait
	}
	return now-r.expectedAt() > int64(r.Hold())
}

// expectedAt is when the first missing packet was due (unix nanoseconds):
// the arrival of the packet emitted before the gap plus the RTP time from
// it to the missing packet. That time is counted back from the first held
// packet, one packet time per sequence number, so a missing packet that
// ended a pause (DTX) is expected when the pause ended, not 20 ms after
// the last packet before it. It is at least one packet time.
func (r *Reorder) expectedAt() int64 {
	step := r.packetTime()
	head := r.pending[0]
	d := int64(int32(head.p.Timestamp-r.refTS)) - (head.seq-r.next)*step
	if len(head.p.Payload) == 0 || head.seq <= r.refSeq || d < step || d > 10*OpusRate {
		d = step // padding carries an old timestamp; a jump is no pause
	}
	return r.refAt + d*1e9/OpusRate
}

// Hold returns how long a missing packet is waited for now, after its
// expected arrival (see Reorder).
func (r *Reorder) Hold() time.Duration {
	maxHold := r.maxHold()
	if r.jitterN < jitterWarmup {
		return maxHold // the jitter is not known yet
	}
	ptime := time.Duration(r.packetTime() * 1e9 / OpusRate)
	hold := time.Duration(reorderJitterFactor*r.holdJitter*1e9/OpusRate) + ptime
	return min(max(hold, ptime), maxHold)
}

func (r *Reorder) maxHold() time.Duration {
	if r.MaxHold <= 0 {
		return DefaultReorderMaxHold
	}
	return r.MaxHold
}

// packetTime is the RTP time between consecutive audio packets: the newest
// seen, or 20 ms before any.
func (r *Reorder) packetTime() int64 {
	if r.step > 0 {
		return r.step
	}
	return OpusRate / 50
}

// noteEmitted keeps what the hold of a later gap is measured from: the
// emitted audio packet's arrival and timestamp, and the packet time.
func (r *Reorder) noteEmitted(ext int64, p Packet) {
	if len(p.Payload) == 0 || p.Arrival.IsZero() {
		return
	}
	if r.refAt != 0 && ext == r.refSeq+1 {
		if d := int64(int32(p.Timestamp - r.refTS)); d > 0 && d <= maxOpusFrames {
			r.step = d
		}
	}
	r.refSeq, r.refTS, r.refAt = ext, p.Timestamp, p.Arrival.UnixNano()
}

// Received returns the extended sequence numbers of the first packet and
// of the highest seen (what RTCP receiver reports count from); ok is false
// before any packet.
func (r *Reorder) Received() (first, highest int64, ok bool) {
	return r.firstExt, r.lastExt, r.started
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
	r.noteEmitted(head.seq, head.p)
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
			r.jitterN = min(r.jitterN+1, 16)
			r.holdJitter += (d - r.holdJitter) / float64(r.jitterN)
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
