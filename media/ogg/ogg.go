// Package ogg reads and writes Ogg Opus files (RFC 3533 pages, RFC 7845
// Opus mapping). Probe checks every page of a file (Firefox's
// MediaRecorder writes them) and measures the stream, Packets hands out
// its audio packets; Writer writes a live take's packets as they were
// sent, and Seal makes a file a killed writer left whole. Nothing here
// holds more than one page in memory.
package ogg

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Rate is the rate Opus granule positions count in, whatever the input
// rate was.
const Rate = 48000

// ErrNotOgg marks bytes that are not an Ogg stream.
var ErrNotOgg = errors.New("not an Ogg stream")

// ErrNotOpus marks an Ogg stream that holds no Opus audio.
var ErrNotOpus = errors.New("no Opus stream")

const (
	headerLen = 27 // fixed part of a page header

	flagContinued = 0x01
	flagBOS       = 0x02
	flagEOS       = 0x04
)

// Info describes the Opus stream of an Ogg file.
type Info struct {
	Serial    uint32 // of the Opus logical stream
	Channels  int    // output channels, from OpusHead
	PreSkip   int    // samples at 48 kHz to drop from the start
	InputRate int    // the encoder's input rate, for information only
	Granule   int64  // the last granule position: samples at 48 kHz, pre-skip included
	Pages     int    // pages of the Opus stream
	Packets   int    // audio packets (the two header packets not counted)
	Duration  time.Duration
}

// page is one parsed page header, with its segment table.
type page struct {
	flags   byte
	granule int64
	serial  uint32
	seq     uint32
	lacing  []byte
	data    []byte
}

// reader walks the pages of a stream in order.
type reader struct {
	r   *bufio.Reader
	off int64 // offset of the next page
	hdr [headerLen + 255]byte
	buf []byte
}

func newReader(r io.Reader) *reader {
	return &reader{r: bufio.NewReaderSize(r, 16<<10)}
}

// next reads the next page and checks its capture pattern, version and
// CRC. At the end of the stream it returns io.EOF; a page cut short is
// an error.
func (rd *reader) next() (page, error) {
	h := rd.hdr[:headerLen]
	n, err := io.ReadFull(rd.r, h)
	if err == io.EOF {
		return page{}, io.EOF
	}
	if err != nil {
		return page{}, fmt.Errorf("ogg: page at %d: header cut short after %d bytes: %w", rd.off, n, ErrNotOgg)
	}
	if string(h[0:4]) != "OggS" {
		return page{}, fmt.Errorf("ogg: no capture pattern at %d: %w", rd.off, ErrNotOgg)
	}
	if h[4] != 0 {
		return page{}, fmt.Errorf("ogg: page at %d: version %d: %w", rd.off, h[4], ErrNotOgg)
	}
	p := page{
		flags:   h[5],
		granule: int64(binary.LittleEndian.Uint64(h[6:14])),
		serial:  binary.LittleEndian.Uint32(h[14:18]),
		seq:     binary.LittleEndian.Uint32(h[18:22]),
	}
	want := binary.LittleEndian.Uint32(h[22:26])
	nseg := int(h[26])
	p.lacing = rd.hdr[headerLen : headerLen+nseg]
	if _, err := io.ReadFull(rd.r, p.lacing); err != nil {
		return page{}, fmt.Errorf("ogg: page at %d: segment table cut short: %w", rd.off, ErrNotOgg)
	}
	size := 0
	for _, l := range p.lacing {
		size += int(l)
	}
	if cap(rd.buf) < size {
		rd.buf = make([]byte, size, max(size, 2*cap(rd.buf)))
	}
	p.data = rd.buf[:size]
	if _, err := io.ReadFull(rd.r, p.data); err != nil {
		return page{}, fmt.Errorf("ogg: page at %d: %d-byte body cut short: %w", rd.off, size, ErrNotOgg)
	}
	// The CRC covers the whole page with its CRC field as zeros.
	var zero [4]byte
	crc := crcUpdate(0, h[:22])
	crc = crcUpdate(crc, zero[:])
	crc = crcUpdate(crc, h[26:])
	crc = crcUpdate(crc, p.lacing)
	crc = crcUpdate(crc, p.data)
	if crc != want {
		return page{}, fmt.Errorf("ogg: page at %d: CRC %08x, header says %08x: %w", rd.off, crc, want, ErrNotOgg)
	}
	rd.off += int64(headerLen + nseg + size)
	return p, nil
}

// packets calls fn with each packet that ends on p, with pending (the
// start of a packet continued from earlier pages) prepended, and returns
// the unfinished packet at the page's end, if any.
func (p page) packets(pending []byte, fn func([]byte) error) ([]byte, error) {
	start := 0
	at := 0
	for _, l := range p.lacing {
		at += int(l)
		if l == 255 {
			continue
		}
		pkt := p.data[start:at]
		if len(pending) > 0 {
			pkt = append(pending, pkt...)
			pending = pending[:0]
		}
		if err := fn(pkt); err != nil {
			return nil, err
		}
		start = at
	}
	if start < at {
		pending = append(pending, p.data[start:at]...)
	}
	return pending, nil
}

// maxPacket bounds one packet spread over pages: an Opus packet is at
// most 120 ms at 510 kb/s, a few kilobytes; OpusTags may hold cover art,
// which is refused beyond this.
const maxPacket = 1 << 20

// Probe reads every page of an Ogg file and measures its Opus stream: it
// finds OpusHead (channels, pre-skip, input rate) in the first packet of
// the stream, and takes the duration from the last granule position minus
// the pre-skip. Every page's capture pattern, version and CRC are checked;
// pages of other logical streams are checked and skipped. A file that is
// not Ogg, or cut inside a page, wraps ErrNotOgg; one without an Opus
// stream wraps ErrNotOpus.
func Probe(r io.Reader) (Info, error) {
	var info Info
	err := walk(r, &info, nil, nil)
	return info, err
}

// Packets checks the file as Probe does and calls fn with each audio
// packet of the Opus stream, in order, with the granule position of the
// page it ends on. The packet is only valid during the call.
func Packets(r io.Reader, fn func(granule int64, packet []byte) error) error {
	var info Info
	return walk(r, &info, fn, nil)
}

// walk is Probe and Packets: it fills info and, when fn is set, passes
// every audio packet to it, and when headers is set, the two header
// packets (OpusHead, OpusTags).
func walk(r io.Reader, info *Info, fn func(int64, []byte) error, headers func([]byte) error) error {
	rd := newReader(r)
	var (
		found   bool // OpusHead seen
		tags    bool // OpusTags seen
		seen    = 0  // header packets of the Opus stream seen
		pending []byte
		lastSeq uint32
		ended   bool // the Opus stream's last page was seen
	)
	for pages := 0; ; pages++ {
		p, err := rd.next()
		if errors.Is(err, io.EOF) {
			if pages == 0 {
				return fmt.Errorf("ogg: empty file: %w", ErrNotOgg)
			}
			break
		}
		if err != nil {
			return err
		}
		if !found {
			if p.flags&flagBOS == 0 {
				continue // only a stream's first page may start it
			}
			if !isOpusHead(p) {
				continue // another codec's stream: skipped
			}
			head := firstPacket(p)
			if err := info.readHead(head); err != nil {
				return err
			}
			info.Serial, found, seen = p.serial, true, 1
			info.Pages, lastSeq = 1, p.seq
			if len(p.lacing) != 1 || p.lacing[0] == 255 || p.granule != 0 {
				return fmt.Errorf("ogg: OpusHead must be alone on its page: %w", ErrNotOpus)
			}
			if headers != nil {
				if err := headers(head); err != nil {
					return err
				}
			}
			continue
		}
		if p.serial != info.Serial {
			continue
		}
		if ended {
			return fmt.Errorf("ogg: a page after the end of the stream: %w", ErrNotOgg)
		}
		if p.seq != lastSeq+1 {
			return fmt.Errorf("ogg: page %d follows page %d: a page is missing: %w", p.seq, lastSeq, ErrNotOgg)
		}
		lastSeq = p.seq
		info.Pages++
		if p.flags&flagContinued == 0 && len(pending) > 0 {
			return fmt.Errorf("ogg: page %d does not continue the packet before it: %w", p.seq, ErrNotOgg)
		}
		pending, err = p.packets(pending, func(pkt []byte) error {
			if seen == 1 {
				seen++
				if len(pkt) < 8 || string(pkt[:8]) != "OpusTags" {
					return fmt.Errorf("ogg: second packet is not OpusTags: %w", ErrNotOpus)
				}
				tags = true
				if headers != nil {
					return headers(pkt)
				}
				return nil
			}
			if len(pkt) == 0 {
				return nil
			}
			info.Packets++
			if fn != nil {
				return fn(p.granule, pkt)
			}
			return nil
		})
		if err != nil {
			return err
		}
		if len(pending) > maxPacket {
			return fmt.Errorf("ogg: a packet of over %d bytes: %w", maxPacket, ErrNotOgg)
		}
		if p.granule != -1 {
			if p.granule < info.Granule {
				return fmt.Errorf("ogg: granule position goes back from %d to %d: %w", info.Granule, p.granule, ErrNotOgg)
			}
			info.Granule = p.granule
		}
		ended = p.flags&flagEOS != 0
	}
	if !found {
		return fmt.Errorf("ogg: no OpusHead: %w", ErrNotOpus)
	}
	if !tags {
		return fmt.Errorf("ogg: no OpusTags: %w", ErrNotOpus)
	}
	if len(pending) > 0 {
		return fmt.Errorf("ogg: the file ends inside a packet: %w", ErrNotOgg)
	}
	if samples := info.Granule - int64(info.PreSkip); samples > 0 {
		info.Duration = time.Duration(samples) * time.Second / Rate
	}
	return nil
}

// isOpusHead reports whether a stream's first page starts with OpusHead.
func isOpusHead(p page) bool {
	return len(p.data) >= 8 && string(p.data[:8]) == "OpusHead"
}

// firstPacket is the first packet of a page that starts one.
func firstPacket(p page) []byte {
	n := 0
	for _, l := range p.lacing {
		n += int(l)
		if l < 255 {
			break
		}
	}
	return p.data[:n]
}

// readHead reads the identification header (RFC 7845 section 5.1).
func (info *Info) readHead(b []byte) error {
	if len(b) < 19 {
		return fmt.Errorf("ogg: %d-byte OpusHead: %w", len(b), ErrNotOpus)
	}
	if b[8]>>4 != 0 {
		return fmt.Errorf("ogg: OpusHead version %d: %w", b[8], ErrNotOpus)
	}
	info.Channels = int(b[9])
	info.PreSkip = int(binary.LittleEndian.Uint16(b[10:12]))
	info.InputRate = int(binary.LittleEndian.Uint32(b[12:16]))
	family := b[18]
	switch {
	case info.Channels == 0:
		return fmt.Errorf("ogg: OpusHead with no channels: %w", ErrNotOpus)
	case family == 0 && info.Channels > 2:
		return fmt.Errorf("ogg: %d channels in mapping family 0: %w", info.Channels, ErrNotOpus)
	case family != 0 && len(b) < 21+info.Channels:
		return fmt.Errorf("ogg: OpusHead channel mapping cut short: %w", ErrNotOpus)
	}
	return nil
}

// crcTable (read only) is the Ogg CRC-32: polynomial 0x04c11db7, not reflected, no
// final XOR.
var crcTable = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()

func crcUpdate(crc uint32, b []byte) uint32 {
	for _, c := range b {
		crc = crc<<8 ^ crcTable[byte(crc>>24)^c]
	}
	return crc
}
