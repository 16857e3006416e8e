package mp4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ErrCannotFix reports a fragmented file that Probe reads but Fix cannot
// rewrite (its runs do not say where their samples lie, or it has more
// samples than maxFixSamples). It is no fault of the file: keep it as it is.
var ErrCannotFix = errors.New("mp4: cannot rewrite this file")

// maxFixSamples bounds the samples Fix keeps in memory (8 bytes each): 8 Mi
// AAC frames are 53 hours at 44.1 kHz, far past any take.
const maxFixSamples = 8 << 20

// keep notes one sample of the run being read, for Fix.
func (w *walker) keep(dur, size uint32) error {
	if len(w.sizes) >= maxFixSamples {
		return fmt.Errorf("mp4: more than %d samples: %w", maxFixSamples, ErrCannotFix)
	}
	w.sizes = append(w.sizes, size)
	w.durs = append(w.durs, dur)
	return nil
}

// Fix writes a copy of the MP4 file in r that every player reads whole:
// a fragmented file (what Safari's and WebKit's MediaRecorder write, with
// no duration in its header, so players show 0:00 or the first second and
// cannot seek) becomes an ordinary one: an ftyp, a moov whose durations
// and sample tables (stts, stsc, stsz, stco) describe the whole take, and
// one mdat with the audio samples in order, byte for byte. The audio
// track's sample entry (stsd) is copied as it is; other tracks, edit
// lists and metadata are dropped. A file that is not fragmented is copied
// unchanged, and fixing a fixed file writes the same bytes again.
//
// Nothing is written unless the file reads whole (as Probe), so a broken
// input gives an error and no output; one Fix cannot rewrite gives
// ErrCannotFix. A failure while writing may leave part of a file in w. It
// returns the Info of the written file.
func Fix(w io.Writer, r io.ReaderAt, size int64) (Info, error) {
	wk, err := collect(r, size)
	if err != nil {
		return Info{}, err
	}
	if !wk.info.Fragmented {
		if _, err := io.Copy(w, io.NewSectionReader(r, 0, size)); err != nil {
			return Info{}, fmt.Errorf("mp4: fix: copy: %w", err)
		}
		return wk.info, nil
	}
	if wk.audio.samples > 0 {
		return Info{}, fmt.Errorf("mp4: samples both in the moov and in fragments: %w", ErrCannotFix)
	}
	if err := wk.writeOrdinary(w); err != nil {
		return Info{}, err
	}
	info := wk.info
	info.Fragmented, info.Fragments = false, 0
	return info, nil
}

// collect reads the whole file as Probe does, keeping the audio track's
// sample entry and its fragments' samples.
func collect(r io.ReaderAt, size int64) (*walker, error) {
	wk := &walker{r: r, size: size, collect: true, skip: -1}
	err := wk.walk()
	wk.finish()
	return wk, err
}

// writeOrdinary writes an ordinary MP4 of the audio samples collected
// (sizes, durs, runs) with the audio track's sample entry as it is.
func (wk *walker) writeOrdinary(w io.Writer) error {
	r := wk.r
	var data int64
	for i, n := range wk.sizes {
		if n == 0 {
			return fmt.Errorf("mp4: sample %d has no data: %w", i, ErrCannotFix)
		}
		data += int64(n)
	}
	if wk.entry.size > 64<<10 {
		return fmt.Errorf("mp4: %d-byte sample description: %w", wk.entry.size, ErrCannotFix)
	}
	stsd := make([]byte, wk.entry.size)
	if err := wk.readInto(stsd, wk.entry.off); err != nil {
		return err
	}

	head := ftypBox()
	mdatHdr := int64(8)
	if data > 1<<32-1-8 {
		mdatHdr = 16
	}
	// The chunk offsets depend on the moov's size, which depends on
	// whether they need 64 bits: lay it out with 32-bit ones first.
	moov := wk.moovBox(stsd, int64(len(head))+mdatHdr, false)
	if base := int64(len(head)+len(moov)) + mdatHdr; base+data > 1<<32-1 {
		moov = wk.moovBox(stsd, base, true)
		moov = wk.moovBox(stsd, int64(len(head)+len(moov))+mdatHdr, true)
	} else {
		moov = wk.moovBox(stsd, base, false)
	}
	out := append(head, moov...)
	if mdatHdr == 16 {
		out = binary.BigEndian.AppendUint32(out, 1)
		out = append(out, typeMdat...)
		out = binary.BigEndian.AppendUint64(out, uint64(16+data))
	} else {
		out = binary.BigEndian.AppendUint32(out, uint32(8+data))
		out = append(out, typeMdat...)
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("mp4: fix: write header: %w", err)
	}
	buf := make([]byte, 64<<10)
	for _, run := range wk.runs {
		var n int64
		for _, s := range wk.sizes[run.first : run.first+run.count] {
			n += int64(s)
		}
		if _, err := io.CopyBuffer(w, io.NewSectionReader(r, run.start, n), buf); err != nil {
			return fmt.Errorf("mp4: fix: copy samples: %w", err)
		}
	}
	return nil
}

// CompletePrefix returns how many leading bytes of an MP4 file cut short
// (a recorder stopped by a closed tab, a crash) form a whole file: up to
// the end of the last mdat that follows a moof. For a file that is not
// truncated it returns size; for one that cannot be cut to a whole file
// (the cut is in the header, or the file is not fragmented) it returns
// the error.
func CompletePrefix(r io.ReaderAt, size int64) (int64, error) {
	w := &walker{r: r, size: size}
	err := w.walk()
	if err == nil {
		return size, nil
	}
	if !errors.Is(err, ErrTruncated) || w.complete == 0 {
		return 0, err
	}
	if _, err := Probe(io.NewSectionReader(r, 0, w.complete), w.complete); err != nil {
		return 0, err
	}
	return w.complete, nil
}

// ftypBox is the file type of a fixed file: MPEG-4 audio.
func ftypBox() []byte {
	var b boxes
	at := b.open(typeFtyp)
	b.raw("M4A ")
	b.u32(0)
	b.raw("M4A mp42isom")
	b.close(at)
	return b
}

// moovBox lays out the moov of a fixed file whose samples start at base,
// with 64-bit chunk offsets if wide.
func (w *walker) moovBox(stsd []byte, base int64, wide bool) []byte {
	t := w.audio
	var ticks uint64
	for _, d := range w.durs {
		ticks += uint64(d)
	}
	long := ticks > 1<<32-1 // the durations need version 1 boxes
	var b boxes
	moov := b.open(typeMoov)

	mvhd := b.open("mvhd")
	b.fullHeader(long, 0)
	b.times(long, t.timescale, ticks)
	b.u32(0x00010000) // rate 1.0
	b.u16(0x0100)     // volume 1.0
	b.zeros(10)
	b.matrix()
	b.zeros(24)
	b.u32(2) // next track id
	b.close(mvhd)

	trak := b.open(typeTrak)
	tkhd := b.open(typeTkhd)
	b.fullHeader(long, 3) // enabled, in the movie
	if long {
		b.u64(0)
		b.u64(0)
		b.u32(1) // track id
		b.u32(0)
		b.u64(ticks)
	} else {
		b.u32(0)
		b.u32(0)
		b.u32(1)
		b.u32(0)
		b.u32(uint32(ticks))
	}
	b.zeros(8)
	b.u16(0)      // layer
	b.u16(1)      // alternate group
	b.u16(0x0100) // volume 1.0
	b.u16(0)
	b.matrix()
	b.u32(0) // width
	b.u32(0) // height
	b.close(tkhd)

	mdia := b.open(typeMdia)
	mdhd := b.open(typeMdhd)
	b.fullHeader(long, 0)
	b.times(long, t.timescale, ticks)
	b.u16(0x55C4) // language "und"
	b.u16(0)
	b.close(mdhd)
	hdlr := b.open(typeHdlr)
	b.u32(0)
	b.u32(0)
	b.raw(handlerSound)
	b.zeros(12)
	b.raw("SoundHandler\x00")
	b.close(hdlr)

	minf := b.open(typeMinf)
	smhd := b.open("smhd")
	b.u32(0)
	b.u32(0) // balance, reserved
	b.close(smhd)
	dinf := b.open("dinf")
	dref := b.open("dref")
	b.u32(0)
	b.u32(1)
	url := b.open("url ")
	b.u32(1) // the data is in this file
	b.close(url)
	b.close(dref)
	b.close(dinf)

	stbl := b.open(typeStbl)
	b.raw(string(stsd))
	w.sampleTables(&b, base, wide)
	b.close(stbl)
	b.close(minf)
	b.close(mdia)
	b.close(trak)
	b.close(moov)
	return b
}

// sampleTables writes stts (durations, run-length coded), stsc (samples
// per chunk: one chunk per run), stsz and stco (or co64).
func (w *walker) sampleTables(b *boxes, base int64, wide bool) {
	stts := b.open(typeStts)
	b.u32(0)
	count := b.placeholder()
	entries := 0
	for i := 0; i < len(w.durs); {
		j := i + 1
		for j < len(w.durs) && w.durs[j] == w.durs[i] {
			j++
		}
		b.u32(uint32(j - i))
		b.u32(w.durs[i])
		entries++
		i = j
	}
	b.put(count, uint32(entries))
	b.close(stts)

	stsc := b.open("stsc")
	b.u32(0)
	count = b.placeholder()
	entries = 0
	for i, r := range w.runs {
		if i > 0 && w.runs[i-1].count == r.count {
			continue
		}
		b.u32(uint32(i + 1)) // first chunk, from 1
		b.u32(uint32(r.count))
		b.u32(1) // sample description index
		entries++
	}
	b.put(count, uint32(entries))
	b.close(stsc)

	stsz := b.open(typeStsz)
	b.u32(0)
	b.u32(0) // sizes differ: one per sample
	b.u32(uint32(len(w.sizes)))
	for _, s := range w.sizes {
		b.u32(s)
	}
	b.close(stsz)

	typ := typeStco
	if wide {
		typ = typeCo64
	}
	stco := b.open(typ)
	b.u32(0)
	b.u32(uint32(len(w.runs)))
	at := base
	for _, r := range w.runs {
		if wide {
			b.u64(uint64(at))
		} else {
			b.u32(uint32(at))
		}
		for _, s := range w.sizes[r.first : r.first+r.count] {
			at += int64(s)
		}
	}
	b.close(stco)
}

// boxes builds MP4 boxes in memory.
type boxes []byte

// open starts a box of typ and returns where, for close.
func (b *boxes) open(typ string) int {
	at := len(*b)
	*b = append(*b, 0, 0, 0, 0)
	*b = append(*b, typ...)
	return at
}

// close writes the size of the box opened at at.
func (b *boxes) close(at int) { binary.BigEndian.PutUint32((*b)[at:], uint32(len(*b)-at)) }

func (b *boxes) u16(v uint16) { *b = binary.BigEndian.AppendUint16(*b, v) }
func (b *boxes) u32(v uint32) { *b = binary.BigEndian.AppendUint32(*b, v) }
func (b *boxes) u64(v uint64) { *b = binary.BigEndian.AppendUint64(*b, v) }
func (b *boxes) raw(s string) { *b = append(*b, s...) }
func (b *boxes) zeros(n int)  { *b = append(*b, make([]byte, n)...) }
func (b *boxes) placeholder() int {
	at := len(*b)
	b.u32(0)
	return at
}
func (b *boxes) put(at int, v uint32) { binary.BigEndian.PutUint32((*b)[at:], v) }

// fullHeader writes a full box's version (1 if long) and flags.
func (b *boxes) fullHeader(long bool, flags uint32) {
	if long {
		flags |= 1 << 24
	}
	b.u32(flags)
}

// times writes creation and modification times (0), timescale and
// duration, in 64 bits if long.
func (b *boxes) times(long bool, timescale uint32, ticks uint64) {
	if long {
		b.u64(0)
		b.u64(0)
		b.u32(timescale)
		b.u64(ticks)
		return
	}
	b.u32(0)
	b.u32(0)
	b.u32(timescale)
	b.u32(uint32(ticks))
}

// matrix writes the identity transformation matrix.
func (b *boxes) matrix() {
	for _, v := range []uint32{0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000} {
		b.u32(v)
	}
}
