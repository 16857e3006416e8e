package ogg

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrNothingKept reports a cut that selects no whole packet.
var ErrNothingKept = errors.New("the selection holds no whole packet")

// Cut writes a new Ogg Opus stream of the packets of the one in r that
// keep selects, as they are (no re-encoding): keep is asked about each
// audio packet with its start on the stream's timeline (after the
// pre-skip) and its duration. The header packets are copied, so the
// pre-skip stays with the first packet kept (a player drops the decoder's
// warm-up there, as at the start of any stream); granule positions count
// from the first packet kept and run on over the packets dropped between
// kept ones (keep may select several ranges), and an end trim of the original (a last
// granule short of its packets) carries over when its last packet is kept.
// It reads r twice (once to measure, once to copy) and holds one page in
// memory. It returns the written stream as Probe measures it; a stream
// that does not read, or a selection of no packet (ErrNothingKept), is an
// error before anything is written.
func Cut(w io.Writer, r io.ReaderAt, size int64, keep func(at, dur time.Duration) bool) (Info, error) {
	src, err := Probe(io.NewSectionReader(r, 0, size))
	if err != nil {
		return Info{}, err
	}
	if !anyKept(r, size, src, keep) {
		return Info{}, ErrNothingKept
	}
	c := cutter{keep: keep, src: src, out: w}
	err = walk(io.NewSectionReader(r, 0, size), new(Info), c.packet, c.header)
	if err == nil {
		err = c.close()
	}
	if err != nil {
		return Info{}, fmt.Errorf("ogg: cut: %w", err)
	}
	return c.info(), nil
}

// anyKept reports whether keep selects a packet of the stream, so that
// nothing is written for a selection of none.
func anyKept(r io.ReaderAt, size int64, src Info, keep func(at, dur time.Duration) bool) bool {
	var pos int64
	found := errors.New("found")
	err := Packets(io.NewSectionReader(r, 0, size), func(_ int64, pkt []byte) error {
		n, err := PacketSamples(pkt)
		if err != nil {
			return err
		}
		at, dur := timed(src, pos, n)
		pos += n
		if keep(at, dur) {
			return found
		}
		return nil
	})
	return errors.Is(err, found)
}

// timed places a packet of n samples at pos (samples from the stream's
// start) on the timeline: after the pre-skip, and cut short by the
// source's end trim.
func timed(src Info, pos, n int64) (at, dur time.Duration) {
	end := min(pos+n, max(src.Granule, pos))
	return samplesDuration(pos - int64(src.PreSkip)), samplesDuration(end - pos)
}

// cutter is one Cut under way.
type cutter struct {
	keep    func(at, dur time.Duration) bool
	src     Info
	out     io.Writer
	head    []byte
	w       *Writer
	pos     int64  // samples of the source's packets so far
	dropped int64  // samples of the packets before the first kept
	held    []byte // the last packet kept, written once the next comes
	heldN   int64
	heldEnd int64 // pos at the end of the held packet
	kept    int
}

// header starts the output with the source's OpusHead and OpusTags.
func (c *cutter) header(pkt []byte) error {
	if c.head == nil {
		c.head = append([]byte(nil), pkt...)
		return nil
	}
	w, err := writeHeaders(c.out, c.src.Serial, c.src.Channels == 2, c.head, pkt)
	c.w = w
	return err
}

// packet keeps or drops one audio packet of the source.
func (c *cutter) packet(_ int64, pkt []byte) error {
	n, err := PacketSamples(pkt)
	if err != nil {
		return err
	}
	at, dur := timed(c.src, c.pos, n)
	c.pos += n
	if !c.keep(at, dur) {
		if c.kept == 0 {
			c.dropped += n
		}
		return nil
	}
	if c.held != nil {
		if err := c.w.take(c.held, c.heldN); err != nil {
			return err
		}
	}
	c.held, c.heldN, c.heldEnd = append(c.held[:0], pkt...), n, c.pos
	c.kept++
	return nil
}

// close writes the last packet on the last page, with its granule
// position: the end of the packets kept, or the source's end trim when
// its last packet is among them.
func (c *cutter) close() error {
	w := c.w
	if len(w.lacing)+len(c.held)/255+1 > maxSegments {
		if err := w.page(0, w.granule); err != nil {
			return err
		}
	}
	w.add(c.held)
	w.granule += c.heldN
	if c.heldEnd == c.pos && c.src.Granule < c.pos {
		w.granule = max(c.src.Granule-c.dropped, w.pageFrom)
	}
	return w.Close()
}

// info is the written stream's measure.
func (c *cutter) info() Info {
	info := c.src
	info.Granule = c.w.granule
	info.Packets = c.kept
	info.Pages = int(c.w.seq)
	info.Duration = 0
	if n := info.Granule - int64(info.PreSkip); n > 0 {
		info.Duration = samplesDuration(n)
	}
	return info
}

func samplesDuration(n int64) time.Duration {
	return time.Duration(n) * time.Second / Rate
}
