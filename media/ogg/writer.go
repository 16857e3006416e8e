package ogg

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// PreSkip is the pre-skip a Writer puts in OpusHead: the 6.5 ms look-ahead
// of libopus, the encoder every browser uses. A player drops that much of
// the decoded start, which is the encoder's delay, not audio.
const PreSkip = 312

// PageDuration is how much audio (at 48 kHz) a Writer gathers on a page
// before it writes it out: a page is the unit that reaches the file, so it
// bounds what a killed process loses, and it is the seek granularity.
const PageDuration = Rate

// maxSegments is the most lacing values one page holds.
const maxSegments = 255

// Writer writes one Ogg Opus stream (RFC 7845) of packets as they were
// sent, without decoding or re-encoding them. Each page reaches the
// underlying writer in one Write as soon as it is complete, so a file cut
// anywhere (a killed process) is a valid stream up to its last whole page
// (see Seal).
//
// The stream's timeline is the sum of its packets' durations, which a
// player follows. Time for which there is no packet (loss, DTX, a stalled
// sender) is kept by Fill, which writes packets of zero-length frames:
// RFC 6716 section 3.2.1 makes those "lost", and decoders conceal them
// (silence, or a fade of the last sound).
type Writer struct {
	w        io.Writer
	serial   uint32
	seq      uint32
	stereo   bool
	granule  int64 // samples of every packet taken, pre-skip included
	owed     int64 // Fill's remainder below the shortest frame (2.5 ms)
	lacing   []byte
	body     []byte
	pageFrom int64 // granule when the pending page began
	written  int64 // bytes of whole pages written
	err      error
}

// NewWriter writes the two header pages (OpusHead and OpusTags) of a
// stream of channels channels (1 or 2) to w. inputRate is the rate the
// audio was captured at (information only; 0 if unknown); vendor goes
// into OpusTags.
func NewWriter(w io.Writer, serial uint32, channels, inputRate int, vendor string) (*Writer, error) {
	return NewWriterSkip(w, serial, channels, inputRate, PreSkip, vendor)
}

// NewWriterSkip is NewWriter with the pre-skip of the packets' encoder
// given, for packets remuxed from another container that says its own
// (Chromium's WebM says 0).
func NewWriterSkip(w io.Writer, serial uint32, channels, inputRate, preSkip int, vendor string) (*Writer, error) {
	if preSkip < 0 || preSkip > 0xffff {
		return nil, fmt.Errorf("ogg: pre-skip %d out of range", preSkip)
	}
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("ogg: %d channels: an Opus stream of mapping family 0 has 1 or 2", channels)
	}
	head := make([]byte, 19)
	copy(head, "OpusHead")
	head[8] = 1 // version
	head[9] = byte(channels)
	binary.LittleEndian.PutUint16(head[10:], uint16(preSkip))
	binary.LittleEndian.PutUint32(head[12:], uint32(inputRate))
	// Output gain 0 and mapping family 0 (mono or stereo) stay zero.
	tags := make([]byte, 0, 16+len(vendor))
	tags = append(tags, "OpusTags"...)
	tags = binary.LittleEndian.AppendUint32(tags, uint32(len(vendor)))
	tags = append(tags, vendor...)
	tags = binary.LittleEndian.AppendUint32(tags, 0) // no comments
	return writeHeaders(w, serial, channels == 2, head, tags)
}

// writeHeaders starts a Writer with its two header pages, head and tags
// as they are.
func writeHeaders(w io.Writer, serial uint32, stereo bool, head, tags []byte) (*Writer, error) {
	ow := &Writer{w: w, serial: serial, stereo: stereo}
	for i, pkt := range [][]byte{head, tags} {
		ow.add(pkt)
		flags := byte(0)
		if i == 0 {
			flags = flagBOS
		}
		if err := ow.page(flags, 0); err != nil {
			return nil, err
		}
	}
	return ow, nil
}

// WritePacket adds one Opus packet, as sent, to the stream. Its duration
// comes from its TOC; a packet that does not parse is refused.
func (w *Writer) WritePacket(pkt []byte) error {
	if w.err != nil {
		return w.err
	}
	n, err := PacketSamples(pkt)
	if err != nil {
		return err
	}
	return w.take(pkt, n)
}

// Fill adds samples (at 48 kHz) of time for which no packet came, as
// packets of zero-length 20 ms frames (the shortest frames for the rest,
// down to 2.5 ms: less is carried over to the next Fill).
func (w *Writer) Fill(samples int64) error {
	w.owed += samples
	for w.err == nil && w.owed >= plcSizes[len(plcSizes)-1].samples {
		for _, s := range plcSizes {
			if w.owed >= s.samples {
				w.owed -= s.samples
				toc := s.config << 3
				if w.stereo {
					toc |= 0x04
				}
				if err := w.take([]byte{toc}, s.samples); err != nil {
					return err
				}
				break
			}
		}
	}
	return w.err
}

// plcSizes are the frames Fill uses, longest first: CELT fullband
// configurations 31 to 28 (20, 10, 5, 2.5 ms). The decoder conceals a lost
// frame in whatever mode it was in, so the mode named here does not matter.
var plcSizes = []struct {
	config  byte
	samples int64
}{{31, 960}, {30, 480}, {29, 240}, {28, 120}}

// take adds a packet of n samples, writing the page before it if the
// packet would not fit, and the page it completes once it holds
// PageDuration.
func (w *Writer) take(pkt []byte, n int64) error {
	if len(w.lacing)+len(pkt)/255+1 > maxSegments {
		if err := w.page(0, w.granule); err != nil {
			return err
		}
	}
	w.add(pkt)
	w.granule += n
	if w.granule-w.pageFrom >= PageDuration {
		return w.page(0, w.granule)
	}
	return nil
}

// add puts a packet on the pending page. An Opus packet is at most a few
// kilobytes, so one always fits on a page of its own.
func (w *Writer) add(pkt []byte) {
	rest := len(pkt)
	for rest >= 255 {
		w.lacing = append(w.lacing, 255)
		rest -= 255
	}
	w.lacing = append(w.lacing, byte(rest))
	w.body = append(w.body, pkt...)
}

// Flush writes the pending page, if any packet waits on it.
func (w *Writer) Flush() error {
	if w.err != nil || len(w.lacing) == 0 {
		return w.err
	}
	return w.page(0, w.granule)
}

// Close writes the last page, marked as the end of the stream. It does not
// close the underlying writer.
func (w *Writer) Close() error {
	if w.err != nil {
		return w.err
	}
	return w.page(flagEOS, w.granule)
}

// CloseWith adds the stream's last packet and writes the last page, marked
// as the end of the stream, with end for its granule position: less than
// the samples of the packets when the encoder's padding of the last frame
// is trimmed (RFC 7845 section 4.4), so the stream decodes to its exact
// length. The last packet shares its page with the ones before it (a page
// written whole by WritePacket cannot be trimmed), and end may trim no
// more than it: it must lie between the previous page's granule position
// and the granule position with the packet. It does not close the
// underlying writer.
func (w *Writer) CloseWith(last []byte, end int64) error {
	if w.err != nil {
		return w.err
	}
	n, err := PacketSamples(last)
	if err != nil {
		return err
	}
	if len(w.lacing)+len(last)/255+1 > maxSegments {
		if err := w.page(0, w.granule); err != nil {
			return err
		}
	}
	if end < w.pageFrom || end > w.granule+n {
		return fmt.Errorf("ogg: end granule %d outside the last page's [%d, %d]", end, w.pageFrom, w.granule+n)
	}
	w.add(last)
	w.granule = end
	return w.page(flagEOS, end)
}

// Granule returns the granule position of the stream so far: the samples
// of every packet taken, pre-skip included.
func (w *Writer) Granule() int64 { return w.granule }

// Written returns how many bytes of whole pages reached the underlying
// writer.
func (w *Writer) Written() int64 { return w.written }

// Err returns the write error that ended the stream, or nil.
func (w *Writer) Err() error { return w.err }

// page writes the pending packets as one page.
func (w *Writer) page(flags byte, granule int64) error {
	buf := make([]byte, headerLen, headerLen+len(w.lacing)+len(w.body))
	copy(buf, "OggS")
	buf[5] = flags
	binary.LittleEndian.PutUint64(buf[6:], uint64(granule))
	binary.LittleEndian.PutUint32(buf[14:], w.serial)
	binary.LittleEndian.PutUint32(buf[18:], w.seq)
	buf[26] = byte(len(w.lacing))
	buf = append(buf, w.lacing...)
	buf = append(buf, w.body...)
	binary.LittleEndian.PutUint32(buf[22:], crcUpdate(0, buf))
	n, err := w.w.Write(buf)
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = fmt.Errorf("ogg: write page %d: %w", w.seq, err)
		return w.err
	}
	w.written += int64(n)
	w.seq++
	w.lacing, w.body = w.lacing[:0], w.body[:0]
	w.pageFrom = granule
	return nil
}

// ErrBadPacket marks bytes that are not an Opus packet (RFC 6716 section 3).
var ErrBadPacket = errors.New("not an Opus packet")

// PacketSamples returns the duration of an Opus packet in samples at
// 48 kHz, from its TOC byte and, for code 3, its frame count.
func PacketSamples(pkt []byte) (int64, error) {
	if len(pkt) == 0 {
		return 0, fmt.Errorf("ogg: empty packet: %w", ErrBadPacket)
	}
	toc := pkt[0]
	config := toc >> 3
	var frame int64 // samples per frame at 48 kHz
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		frame = []int64{480, 960, 1920, 2880}[config&3]
	case config < 16: // hybrid: 10, 20 ms
		frame = []int64{480, 960}[config&1]
	default: // CELT: 2.5, 5, 10, 20 ms
		frame = []int64{120, 240, 480, 960}[config&3]
	}
	frames := int64(1)
	switch toc & 3 {
	case 1, 2:
		frames = 2
	case 3:
		if len(pkt) < 2 {
			return 0, fmt.Errorf("ogg: code 3 packet without its frame count: %w", ErrBadPacket)
		}
		frames = int64(pkt[1] & 0x3f)
		if frames == 0 {
			return 0, fmt.Errorf("ogg: code 3 packet of no frames: %w", ErrBadPacket)
		}
	}
	if n := frames * frame; n <= 5760 { // 120 ms at most
		return n, nil
	}
	return 0, fmt.Errorf("ogg: packet of %d frames of %d samples, over 120 ms: %w", frames, frame, ErrBadPacket)
}
