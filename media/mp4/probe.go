package mp4

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
)

// Probe measures an MP4 file by streaming through its boxes: codec, rate
// and channels from the first audio track's sample entry, and the duration
// and sample count from its sample tables (for a fragmented file, from every
// moof's trun boxes), whatever the mvhd and mdhd durations claim. mdat
// payloads are skipped, never read. On error the returned Info holds what
// was read before it (for a truncated file, the fragments up to the cut).
func Probe(r io.ReaderAt, size int64) (Info, error) {
	w := &walker{r: r, size: size}
	err := w.walk()
	w.finish()
	return w.info, err
}

// box is one box header: its type and where it and its payload lie.
type box struct {
	typ  string
	off  int64 // start of the box header
	hdr  int64 // header length: 8, or 16 with a largesize
	size int64 // whole box, header included
}

func (b box) data() int64 { return b.off + b.hdr }
func (b box) end() int64  { return b.off + b.size }
func (b box) len() int64  { return b.size - b.hdr }

// track is what the moov says about the audio track.
type track struct {
	id         uint32
	timescale  uint32
	mdhdTicks  uint64
	sttsTicks  uint64
	samples    int64 // in the moov's sample tables
	chunks     int64 // chunk offsets in stco/co64
	maxChunk   int64 // largest chunk offset
	trexDur    uint32
	trexSize   uint32
	haveTrex   bool
	haveStsz   bool
	sttsSample int64 // samples counted by stts
}

// walker holds the state of one Probe.
type walker struct {
	r     io.ReaderAt
	size  int64
	buf   [64]byte
	br    *bufio.Reader
	info  Info
	audio *track
	ticks uint64 // sum of the audio track's sample durations, fragments only
	mdat  bool   // an mdat box was seen
	// complete is the end of the last mdat after a moof: a fragmented
	// file cut there is whole (see CompletePrefix).
	complete int64
	lastTop  string // type of the last top-level box read

	// The rest is kept for Fix only (collect set): the audio sample entry
	// and every run of the audio track's fragments with its samples.
	collect     bool
	entry       box // the audio track's stsd box
	stblBox     box // the audio track's stbl box, for Cut
	runs        []run
	sizes, durs []uint32 // per sample, over all runs in order
	moofRuns    int      // index in runs of the current moof's first run
	// decoderConfig is the audio sample entry's codec configuration (the
	// AudioSpecificConfig of AAC); skip is the media time the edit list
	// starts at, -1 without one.
	decoderConfig []byte
	skip          int64
}

// run is a track run of the audio track: count samples whose data lies
// from start, one after another; its samples are sizes[first:first+count].
type run struct {
	start        int64
	first, count int
}

// walk reads the top-level boxes.
func (w *walker) walk() error {
	if w.size < 16 {
		return fmt.Errorf("mp4: %d-byte file: %w", w.size, ErrNotMP4)
	}
	head, err := w.read(0, 8)
	if err != nil {
		return err
	}
	if string(head[4:8]) != typeFtyp {
		return fmt.Errorf("mp4: first box is %q, not ftyp: %w", printable(head[4:8]), ErrNotMP4)
	}
	var prev box // the top-level box before this one
	for off := int64(0); off < w.size; {
		b, err := w.header(off, w.size, true)
		if err != nil {
			return err
		}
		repeat, err := w.repeats(prev, b)
		if err != nil {
			return err
		}
		prev, off = b, b.end()
		if repeat {
			continue
		}
		switch b.typ {
		case typeFtyp:
			if b.off != 0 {
				return fmt.Errorf("mp4: second ftyp at offset %d: %w", b.off, ErrNotMP4)
			}
			if b.len() < 8 {
				return fmt.Errorf("mp4: %d-byte ftyp: %w", b.size, ErrNotMP4)
			}
		case typeMoov:
			if w.audio != nil {
				return fmt.Errorf("mp4: second moov at offset %d: %w", b.off, ErrNotMP4)
			}
			if err := w.moov(b); err != nil {
				return err
			}
		case typeMoof:
			if w.audio == nil {
				return fmt.Errorf("mp4: moof at offset %d before the moov: %w", b.off, ErrNotMP4)
			}
			if err := w.moof(b); err != nil {
				return err
			}
		case typeMdat:
			w.mdat = true
			if w.lastTop == typeMoof {
				w.complete = b.end()
			}
		}
		w.lastTop = b.typ
	}
	t := w.audio
	switch {
	case t == nil:
		return fmt.Errorf("mp4: no moov box: %w", ErrTruncated)
	case w.info.Fragmented && w.info.Fragments == 0 && t.samples == 0:
		return fmt.Errorf("mp4: fragmented file without a fragment: %w", ErrTruncated)
	case t.samples > 0 && t.chunks > 0 && (!w.mdat || t.maxChunk >= w.size):
		return fmt.Errorf("mp4: sample data at offset %d is missing: %w", t.maxChunk, ErrTruncated)
	}
	return nil
}

// repeats reports whether top-level box b repeats prev byte for byte.
// WebKit writes its ftyp twice, and the last moof of a take (and the one
// before a pause) twice before its mdat: such a repeat is one box. The
// first copy of a moof points into the second, whose data follows it, so
// the runs read from the first are moved to where the second points.
func (w *walker) repeats(prev, b box) (bool, error) {
	if b.typ != prev.typ || b.size != prev.size || (b.typ != typeFtyp && b.typ != typeMoof) {
		return false, nil
	}
	var p, q [64]byte
	for at := int64(0); at < b.size; at += int64(len(p)) {
		n := int(min(int64(len(p)), b.size-at))
		if err := w.readInto(p[:n], prev.off+at); err != nil {
			return false, err
		}
		if err := w.readInto(q[:n], b.off+at); err != nil {
			return false, err
		}
		if !bytes.Equal(p[:n], q[:n]) {
			return false, nil
		}
	}
	if b.typ == typeMoof {
		for i := w.moofRuns; i < len(w.runs); i++ {
			w.runs[i].start += b.off - prev.off
		}
	}
	return true, nil
}

// finish fills in the duration and sample count from what was read.
func (w *walker) finish() {
	t := w.audio
	if t == nil {
		return
	}
	ticks, carry := bits.Add64(w.ticks, t.sttsTicks, 0)
	if !w.info.Fragmented && t.sttsTicks == 0 {
		ticks, carry = t.mdhdTicks, 0
	}
	if d, ok := ticksDuration(ticks, t.timescale); ok && carry == 0 {
		w.info.Duration = d
	}
	w.info.Samples += int(t.samples)
}

// header reads the box header at off, which must lie within [off, end).
// top says the box is at the top level, where running past end means the
// file is truncated; inside another box it means the file is broken.
func (w *walker) header(off, end int64, top bool) (box, error) {
	broken := ErrNotMP4
	if top {
		broken = ErrTruncated
	}
	if end-off < 8 {
		return box{}, fmt.Errorf("mp4: %d bytes at offset %d are too short for a box: %w", end-off, off, broken)
	}
	h, err := w.read(off, 8)
	if err != nil {
		return box{}, err
	}
	b := box{typ: string(h[4:8]), off: off, hdr: 8}
	size := uint64(binary.BigEndian.Uint32(h))
	switch size {
	case 0: // to the end of the file (or the parent box)
		size = uint64(end - off)
	case 1:
		if end-off < 16 {
			return box{}, fmt.Errorf("mp4: %q box at offset %d: no room for its largesize: %w", printable(h[4:8]), off, broken)
		}
		l, err := w.read(off+8, 8)
		if err != nil {
			return box{}, err
		}
		size, b.hdr = binary.BigEndian.Uint64(l), 16
	}
	if size < uint64(b.hdr) {
		return box{}, fmt.Errorf("mp4: %q box at offset %d has size %d: %w", printable([]byte(b.typ)), off, size, ErrNotMP4)
	}
	if size > uint64(end-off) {
		return box{}, fmt.Errorf("mp4: %q box at offset %d has size %d, past the end at %d: %w", printable([]byte(b.typ)), off, size, end, broken)
	}
	b.size = int64(size)
	return b, nil
}

// children calls fn for each box inside parent. A few stray bytes after the
// last child, too short to be a box, are ignored (some muxers pad).
func (w *walker) children(parent box, fn func(box) error) error {
	for off := parent.data(); parent.end()-off >= 8; {
		b, err := w.header(off, parent.end(), false)
		if err != nil {
			return err
		}
		if err := fn(b); err != nil {
			return err
		}
		off = b.end()
	}
	return nil
}

// read reads n ≤ len(w.buf) bytes at off into w.buf.
func (w *walker) read(off int64, n int) ([]byte, error) {
	p := w.buf[:n]
	if err := w.readInto(p, off); err != nil {
		return nil, err
	}
	return p, nil
}

// readInto fills p from off.
func (w *walker) readInto(p []byte, off int64) error {
	if k, err := w.r.ReadAt(p, off); k < len(p) {
		if err == nil || errors.Is(err, io.EOF) {
			return fmt.Errorf("mp4: read %d bytes at offset %d: %w", len(p), off, ErrTruncated)
		}
		return fmt.Errorf("mp4: read at offset %d: %w", off, err)
	}
	return nil
}

// payload reads the first n bytes of b's payload, which must have them.
func (w *walker) payload(b box, n int) ([]byte, error) {
	if b.len() < int64(n) {
		return nil, fmt.Errorf("mp4: %d-byte %s box at offset %d, want %d: %w", b.size, b.typ, b.off, int64(n)+b.hdr, ErrNotMP4)
	}
	return w.read(b.data(), n)
}

// table returns a buffered reader over the count entries of entrySize bytes
// that start skip bytes into b's payload, after checking that b holds them.
func (w *walker) table(b box, skip int64, count uint64, entrySize int64) (*bufio.Reader, error) {
	room := b.len() - skip
	if room < 0 || count > uint64(room/entrySize) {
		return nil, fmt.Errorf("mp4: %s box at offset %d: %d entries of %d bytes do not fit in %d bytes: %w", b.typ, b.off, count, entrySize, max(room, 0), ErrNotMP4)
	}
	sr := io.NewSectionReader(w.r, b.data()+skip, int64(count)*entrySize)
	if w.br == nil {
		w.br = bufio.NewReaderSize(sr, 4096)
	} else {
		w.br.Reset(sr)
	}
	return w.br, nil
}

// next reads one big-endian field of n bytes (4 or 8) from br.
func (w *walker) next(br *bufio.Reader, n int) (uint64, error) {
	p := w.buf[:n]
	if _, err := io.ReadFull(br, p); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return 0, fmt.Errorf("mp4: table read: %w", ErrTruncated)
		}
		return 0, fmt.Errorf("mp4: table read: %w", err)
	}
	if n == 8 {
		return binary.BigEndian.Uint64(p), nil
	}
	return uint64(binary.BigEndian.Uint32(p)), nil
}

// countSamples adds n samples to the total, which can never exceed the
// file size: every sample needs data somewhere in the file.
func (w *walker) countSamples(n uint64, at box) error {
	if n > uint64(w.size) || int64(w.info.Samples)+int64(n) > w.size {
		return fmt.Errorf("mp4: %s box at offset %d: %d samples in a %d-byte file: %w", at.typ, at.off, n, w.size, ErrNotMP4)
	}
	w.info.Samples += int(n)
	return nil
}

// moov reads the movie header: the first audio track and its trex.
func (w *walker) moov(moov box) error {
	var mvex box
	err := w.children(moov, func(b box) error {
		switch b.typ {
		case typeTrak:
			if w.audio == nil {
				return w.trak(b)
			}
		case typeMvex:
			mvex = b
		}
		return nil
	})
	if err != nil {
		return err
	}
	if w.audio == nil {
		return fmt.Errorf("mp4: moov at offset %d: %w", moov.off, ErrNoAudio)
	}
	if mvex.typ == "" {
		return nil
	}
	w.info.Fragmented = true
	return w.children(mvex, func(b box) error {
		if b.typ != typeTrex {
			return nil
		}
		p, err := w.payload(b, 24)
		if err != nil {
			return err
		}
		t := w.audio
		if binary.BigEndian.Uint32(p[4:]) == t.id && !t.haveTrex {
			t.trexDur = binary.BigEndian.Uint32(p[12:])
			t.trexSize = binary.BigEndian.Uint32(p[16:])
			t.haveTrex = true
		}
		return nil
	})
}

// trak reads a track and, if it is an audio track, makes it w.audio.
func (w *walker) trak(trak box) error {
	var (
		t                 track
		handler           string
		mdia, minf, stbl  box
		edts              box
		haveTkhd, haveMdh bool
	)
	err := w.children(trak, func(b box) error {
		switch b.typ {
		case typeTkhd:
			p, err := w.payload(b, 4)
			if err != nil {
				return err
			}
			at := 12 // version, flags, creation and modification times
			if p[0] == 1 {
				at = 20
			}
			if p, err = w.payload(b, at+4); err != nil {
				return err
			}
			t.id, haveTkhd = binary.BigEndian.Uint32(p[at:]), true
		case typeMdia:
			mdia = b
		case typeEdts:
			edts = b
		}
		return nil
	})
	if err != nil || mdia.typ == "" {
		return err
	}
	err = w.children(mdia, func(b box) error {
		switch b.typ {
		case typeMdhd:
			p, err := w.payload(b, 4)
			if err != nil {
				return err
			}
			if p[0] == 1 {
				if p, err = w.payload(b, 32); err != nil {
					return err
				}
				t.timescale, t.mdhdTicks = binary.BigEndian.Uint32(p[20:]), binary.BigEndian.Uint64(p[24:])
			} else {
				if p, err = w.payload(b, 20); err != nil {
					return err
				}
				t.timescale, t.mdhdTicks = binary.BigEndian.Uint32(p[12:]), uint64(binary.BigEndian.Uint32(p[16:]))
				if t.mdhdTicks == 1<<32-1 {
					t.mdhdTicks = 1<<64 - 1
				}
			}
			if t.mdhdTicks == 1<<64-1 { // unknown
				t.mdhdTicks = 0
			}
			haveMdh = true
		case typeHdlr:
			p, err := w.payload(b, 12)
			if err != nil {
				return err
			}
			handler = string(p[8:12])
		case typeMinf:
			minf = b
		}
		return nil
	})
	if err != nil || handler != handlerSound {
		return err
	}
	if !haveTkhd || !haveMdh || t.timescale == 0 {
		return fmt.Errorf("mp4: audio trak at offset %d lacks a tkhd or an mdhd with a timescale: %w", trak.off, ErrNotMP4)
	}
	if minf.typ != "" {
		err = w.children(minf, func(b box) error {
			if b.typ == typeStbl {
				stbl = b
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	if stbl.typ == "" {
		return fmt.Errorf("mp4: audio trak at offset %d has no stbl: %w", trak.off, ErrNotMP4)
	}
	w.audio = &t
	w.stblBox = stbl
	if w.collect && edts.typ != "" {
		if err := w.editList(edts); err != nil {
			return err
		}
	}
	w.info.Timescale = int(t.timescale)
	if err := w.stbl(stbl); err != nil {
		return err
	}
	if w.info.Codec == "" {
		return fmt.Errorf("mp4: audio trak at offset %d has no sample entry: %w", trak.off, ErrNotMP4)
	}
	if t.haveStsz {
		// stsz counted the samples; stts only times them.
		w.info.Samples = 0
	} else {
		t.samples = t.sttsSample
		w.info.Samples = 0
	}
	return nil
}

// stbl reads the audio track's sample entry and sample tables.
func (w *walker) stbl(stbl box) error {
	t := w.audio
	return w.children(stbl, func(b box) error {
		switch b.typ {
		case typeStsd:
			return w.stsd(b)
		case typeStts:
			p, err := w.payload(b, 8)
			if err != nil {
				return err
			}
			n := uint64(binary.BigEndian.Uint32(p[4:]))
			br, err := w.table(b, 8, n, 8)
			if err != nil {
				return err
			}
			for range n {
				count, err := w.next(br, 4)
				if err != nil {
					return err
				}
				delta, err := w.next(br, 4)
				if err != nil {
					return err
				}
				if err := w.countSamples(count, b); err != nil {
					return err
				}
				var carry uint64
				t.sttsTicks, carry = bits.Add64(t.sttsTicks, count*delta, 0)
				if carry != 0 {
					return fmt.Errorf("mp4: stts at offset %d: duration overflows: %w", b.off, ErrNotMP4)
				}
				t.sttsSample += int64(count)
			}
		case typeStsz, typeStz2:
			p, err := w.payload(b, 12)
			if err != nil {
				return err
			}
			n := uint64(binary.BigEndian.Uint32(p[8:]))
			if n > uint64(w.size) {
				return fmt.Errorf("mp4: %s at offset %d: %d samples in a %d-byte file: %w", b.typ, b.off, n, w.size, ErrNotMP4)
			}
			t.samples, t.haveStsz = int64(n), true
		case typeStco, typeCo64:
			p, err := w.payload(b, 8)
			if err != nil {
				return err
			}
			n := uint64(binary.BigEndian.Uint32(p[4:]))
			width := 4
			if b.typ == typeCo64 {
				width = 8
			}
			br, err := w.table(b, 8, n, int64(width))
			if err != nil {
				return err
			}
			for range n {
				off, err := w.next(br, width)
				if err != nil {
					return err
				}
				if off > uint64(1<<63-1) {
					return fmt.Errorf("mp4: %s at offset %d: chunk offset %d: %w", b.typ, b.off, off, ErrNotMP4)
				}
				t.maxChunk = max(t.maxChunk, int64(off))
			}
			t.chunks += int64(n)
		}
		return nil
	})
}

// stsd reads the first sample entry of the audio track: an
// AudioSampleEntry, whose channel count and 16.16 sample rate sit at fixed
// places after the SampleEntry and reserved fields.
func (w *walker) stsd(stsd box) error {
	p, err := w.payload(stsd, 8)
	if err != nil {
		return err
	}
	if binary.BigEndian.Uint32(p[4:]) == 0 {
		return fmt.Errorf("mp4: stsd at offset %d has no entries: %w", stsd.off, ErrNotMP4)
	}
	w.entry = stsd
	entry, err := w.header(stsd.data()+8, stsd.end(), false)
	if err != nil {
		return err
	}
	if p, err = w.payload(entry, 28); err != nil {
		return err
	}
	w.info.Codec = printable([]byte(entry.typ))
	w.info.Channels = int(binary.BigEndian.Uint16(p[16:]))
	w.info.SampleRate = int(binary.BigEndian.Uint32(p[24:]) >> 16)
	if w.info.SampleRate == 0 {
		w.info.SampleRate = int(w.audio.timescale)
	}
	// The ISO entry's channelcount is nominal (muxers write 2 for mp4a);
	// the codec configuration box inside it has the real layout.
	// QuickTime sound descriptions v1 and v2 put more fields first.
	at := int64(28)
	switch binary.BigEndian.Uint16(p[8:]) {
	case 1:
		at += 16
	case 2:
		at += 36
	}
	if entry.len() < at {
		return nil
	}
	inner := box{typ: entry.typ, off: entry.off, hdr: entry.hdr + at, size: entry.size}
	return w.children(inner, func(b box) error {
		switch b.typ {
		case "esds":
			if ch := w.esdsChannels(b); ch > 0 {
				w.info.Channels = ch
			}
		case "dOps": // Opus: Version, OutputChannelCount, PreSkip, ...
			if p, err := w.payload(b, 2); err == nil && p[1] > 0 {
				w.info.Channels = int(p[1])
			}
			if w.collect {
				if p, err := w.payload(b, int(min(b.len(), int64(len(w.buf))))); err == nil {
					w.decoderConfig = append([]byte(nil), p...)
				}
			}
		}
		return nil
	})
}

// esdsChannels returns the channel count in the AudioSpecificConfig of an
// esds box (ISO/IEC 14496-1 descriptors, 14496-3 §1.6.2.1), or 0 if there
// is none or it says "defined elsewhere".
func (w *walker) esdsChannels(b box) int {
	p, err := w.payload(b, int(min(b.len(), int64(len(w.buf)))))
	if err != nil || len(p) < 4 {
		return 0
	}
	p = p[4:] // version and flags
	// descriptor returns the payload of the descriptor with tag at the
	// start of p, or nil.
	descriptor := func(p []byte, tag byte) []byte {
		if len(p) < 2 || p[0] != tag {
			return nil
		}
		var n, i int
		for i = 1; i < len(p) && i <= 4; i++ {
			n = n<<7 | int(p[i]&0x7F)
			if p[i]&0x80 == 0 {
				break
			}
		}
		i++
		if i > len(p) {
			return nil
		}
		return p[i:min(i+n, len(p))]
	}
	es := descriptor(p, 0x03) // ES_Descriptor
	if len(es) < 3 {
		return 0
	}
	flags, skip := es[2], 3
	if flags&0x80 != 0 { // streamDependenceFlag
		skip += 2
	}
	if flags&0x40 != 0 && len(es) > skip { // URL_Flag
		skip += 1 + int(es[skip])
	}
	if flags&0x20 != 0 { // OCRstreamFlag
		skip += 2
	}
	if skip >= len(es) {
		return 0
	}
	dc := descriptor(es[skip:], 0x04) // DecoderConfigDescriptor
	if len(dc) < 13 {
		return 0
	}
	asc := descriptor(dc[13:], 0x05) // DecoderSpecificInfo
	if len(asc) < 2 {
		return 0
	}
	if w.collect {
		w.decoderConfig = append([]byte(nil), asc...)
	}
	// audioObjectType (5 bits, 6 more if 31), samplingFrequencyIndex
	// (4 bits, 24 more if 15), channelConfiguration (4 bits).
	bits := uint64(0)
	for i := range min(len(asc), 8) {
		bits |= uint64(asc[i]) << (56 - 8*i)
	}
	pos := 5
	if bits>>59 == 31 {
		pos += 6
	}
	if (bits<<pos)>>60 == 15 {
		pos += 24
	}
	pos += 4
	if pos+4 > 8*min(len(asc), 8) {
		return 0
	}
	switch ch := int((bits << pos) >> 60); {
	case ch >= 1 && ch <= 6:
		return ch
	case ch == 7:
		return 8
	}
	return 0
}

// moof reads a movie fragment: the runs of the audio track in its trafs.
func (w *walker) moof(moof box) error {
	var (
		index   int   // of the traf within the moof
		prevEnd int64 // end of the previous traf's data, -1 if unknown
		audio   bool  // the moof holds an audio traf
	)
	w.moofRuns = len(w.runs)
	err := w.children(moof, func(b box) error {
		if b.typ != typeTraf {
			return nil
		}
		end, ours, err := w.traf(b, moof, index, prevEnd)
		if err != nil {
			return err
		}
		index, prevEnd, audio = index+1, end, audio || ours
		return nil
	})
	if audio {
		w.info.Fragments++
	}
	return err
}

// fragDefaults are the tfhd defaults of one traf, over the trex ones.
type fragDefaults struct {
	dur, size         uint32
	haveDur, haveSize bool
}

// traf reads a track fragment. If it belongs to the audio track it adds
// its runs to the totals and checks their data lies within the file. It
// returns the end of its data (-1 if unknown) and whether it was audio.
func (w *walker) traf(traf, moof box, index int, prevEnd int64) (int64, bool, error) {
	t := w.audio
	var (
		seenTfhd, ours bool
		def            fragDefaults
		base           int64 = -1 // base data offset, -1 if unknown
		next           int64 = -1 // where the next run's data starts
		first                = true
	)
	err := w.children(traf, func(b box) error {
		switch b.typ {
		case typeTfhd:
			if seenTfhd {
				return fmt.Errorf("mp4: second tfhd at offset %d: %w", b.off, ErrNotMP4)
			}
			seenTfhd = true
			p, err := w.payload(b, 8)
			if err != nil {
				return err
			}
			flags := binary.BigEndian.Uint32(p) & 0xFFFFFF
			if ours = binary.BigEndian.Uint32(p[4:]) == t.id; !ours {
				return nil
			}
			need := 8
			for _, f := range []struct {
				flag uint32
				n    int
			}{{tfhdBaseDataOffset, 8}, {tfhdSampleDescription, 4}, {tfhdDefaultDuration, 4}, {tfhdDefaultSize, 4}, {tfhdDefaultFlags, 4}} {
				if flags&f.flag != 0 {
					need += f.n
				}
			}
			if p, err = w.payload(b, need); err != nil {
				return err
			}
			def = fragDefaults{dur: t.trexDur, size: t.trexSize, haveDur: t.haveTrex, haveSize: t.haveTrex}
			at := 8
			switch {
			case flags&tfhdBaseDataOffset != 0:
				if v := binary.BigEndian.Uint64(p[at:]); v <= uint64(1<<63-1) {
					base = int64(v)
				}
				at += 8
			case flags&tfhdDefaultBaseIsMoof != 0 || index == 0:
				base = moof.off
			default:
				base = prevEnd
			}
			if flags&tfhdSampleDescription != 0 {
				at += 4
			}
			if flags&tfhdDefaultDuration != 0 {
				def.dur, def.haveDur = binary.BigEndian.Uint32(p[at:]), true
				at += 4
			}
			if flags&tfhdDefaultSize != 0 {
				def.size, def.haveSize = binary.BigEndian.Uint32(p[at:]), true
			}
			next = base
		case typeTrun:
			if !seenTfhd {
				return fmt.Errorf("mp4: trun at offset %d before its tfhd: %w", b.off, ErrNotMP4)
			}
			if !ours {
				return nil
			}
			end, err := w.trun(b, def, base, next, first)
			first, next = false, end
			return err
		}
		return nil
	})
	if err == nil && !seenTfhd {
		err = fmt.Errorf("mp4: traf at offset %d has no tfhd: %w", traf.off, ErrNotMP4)
	}
	if !ours {
		next = -1
	}
	return next, ours, err
}

// trun reads one track run of the audio track: it adds the run's sample
// durations and count to the totals and, when its data position is known,
// checks the data lies within the file. It returns the end of the data, or
// -1 if unknown. base is the traf's base data offset and next the end of
// the previous run's data (both -1 if unknown).
func (w *walker) trun(b box, def fragDefaults, base, next int64, first bool) (int64, error) {
	p, err := w.payload(b, 8)
	if err != nil {
		return -1, err
	}
	flags := binary.BigEndian.Uint32(p) & 0xFFFFFF
	count := uint64(binary.BigEndian.Uint32(p[4:]))
	skip := int64(8)
	start := next
	if flags&trunDataOffset != 0 {
		if p, err = w.payload(b, 12); err != nil {
			return -1, err
		}
		start = -1
		if base >= 0 {
			start = base + int64(int32(binary.BigEndian.Uint32(p[8:])))
		}
		skip += 4
	} else if first {
		start = base
	}
	if flags&trunFirstSampleFlags != 0 {
		skip += 4
	}
	var entry int64
	for _, f := range []uint32{trunSampleDuration, trunSampleSize, trunSampleFlags, trunSampleCompositionTO} {
		if flags&f != 0 {
			entry += 4
		}
	}
	if err := w.countSamples(count, b); err != nil {
		return -1, err
	}
	perDur, perSize := flags&trunSampleDuration != 0, flags&trunSampleSize != 0
	if !perDur && !def.haveDur {
		return -1, fmt.Errorf("mp4: trun at offset %d: no sample duration in it, its tfhd or a trex: %w", b.off, ErrNotMP4)
	}
	var ticks, bytes uint64
	if entry == 0 {
		if b.len() < skip {
			return -1, fmt.Errorf("mp4: %d-byte trun at offset %d: %w", b.size, b.off, ErrNotMP4)
		}
		// count ≤ file size (countSamples), so count × size cannot overflow
		// a file of a sane size; the duration product is checked.
		hi, lo := bits.Mul64(count, uint64(def.dur))
		if hi != 0 {
			return -1, fmt.Errorf("mp4: trun at offset %d: duration overflows: %w", b.off, ErrNotMP4)
		}
		ticks, bytes = lo, count*uint64(def.size)
		if w.collect {
			for range count {
				if err := w.keep(def.dur, def.size); err != nil {
					return -1, err
				}
			}
		}
	} else {
		br, err := w.table(b, skip, count, entry)
		if err != nil {
			return -1, err
		}
		for range count {
			dur, size := uint64(def.dur), uint64(def.size)
			if perDur {
				if dur, err = w.next(br, 4); err != nil {
					return -1, err
				}
			}
			if perSize {
				if size, err = w.next(br, 4); err != nil {
					return -1, err
				}
			}
			if _, err := br.Discard(int(entry) - 4*boolInt(perDur) - 4*boolInt(perSize)); err != nil {
				return -1, fmt.Errorf("mp4: trun at offset %d: %w", b.off, ErrTruncated)
			}
			var carry uint64
			if ticks, carry = bits.Add64(ticks, dur, 0); carry != 0 {
				return -1, fmt.Errorf("mp4: trun at offset %d: duration overflows: %w", b.off, ErrNotMP4)
			}
			bytes += size // entries fit in the file, so this stays below 2⁶²
			if w.collect {
				if err := w.keep(uint32(dur), uint32(size)); err != nil {
					return -1, err
				}
			}
		}
	}
	var carry uint64
	if w.ticks, carry = bits.Add64(w.ticks, ticks, 0); carry != 0 {
		return -1, fmt.Errorf("mp4: trun at offset %d: duration overflows: %w", b.off, ErrNotMP4)
	}
	if w.collect {
		if start < 0 || (!perSize && !def.haveSize) {
			return -1, fmt.Errorf("mp4: trun at offset %d: where its samples lie is not said: %w", b.off, ErrCannotFix)
		}
		w.runs = append(w.runs, run{start: start, first: len(w.sizes) - int(count), count: int(count)})
	}
	if start < 0 || (!perSize && !def.haveSize) {
		return -1, nil
	}
	end := uint64(start) + bytes
	if end > uint64(w.size) {
		return -1, fmt.Errorf("mp4: trun at offset %d: sample data [%d, %d) past the end at %d: %w", b.off, start, end, w.size, ErrTruncated)
	}
	return int64(end), nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// printable returns a fourcc as text, with bytes outside printable ASCII
// escaped so that error messages stay readable.
func printable(p []byte) string {
	for _, c := range p {
		if c < 0x20 || c > 0x7E {
			return fmt.Sprintf("%x", p)
		}
	}
	return string(p)
}
