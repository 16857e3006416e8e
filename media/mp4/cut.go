package mp4

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrNothingKept reports a cut that selects no whole sample.
var ErrNothingKept = errors.New("mp4: the selection holds no whole sample")

// Cut writes a new ordinary MP4 file of the audio samples (AAC or Opus
// frames) of the one in r that keep selects, as they are (no
// re-encoding): keep is asked about each sample with its start and
// duration on the track's timeline. The samples kept are those keep
// selects (it may select several ranges: the gaps close), in one mdat, with sample tables and
// durations written anew as Fix writes them (the sample entry copied,
// edit lists dropped: the encoder's priming, about 21 ms of AAC, stays in
// a cut from the start). The source may be fragmented or ordinary. It
// returns the written file's Info. A file that does not read, or a
// selection of no sample (ErrNothingKept), is an error before anything
// is written.
func Cut(w io.Writer, r io.ReaderAt, size int64, keep func(at, dur time.Duration) bool) (Info, error) {
	wk, err := collect(r, size)
	if err != nil {
		return Info{}, err
	}
	if !wk.info.Fragmented {
		err = wk.readSampleTables()
	} else if wk.audio.samples > 0 {
		err = fmt.Errorf("mp4: samples both in the moov and in fragments: %w", ErrCannotFix)
	}
	if err != nil {
		return Info{}, err
	}
	kept := wk.selected(keep)
	if len(kept) == 0 {
		return Info{}, ErrNothingKept
	}
	wk.restrict(kept)
	if err := wk.writeOrdinary(w); err != nil {
		return Info{}, fmt.Errorf("mp4: cut: %w", err)
	}
	info := wk.info
	info.Fragmented, info.Fragments, info.Samples = false, 0, len(wk.sizes)
	var ticks uint64
	for _, d := range wk.durs {
		ticks += uint64(d)
	}
	info.Duration, _ = ticksDuration(ticks, wk.audio.timescale)
	return info, nil
}

// selected returns the indices, in order, of the samples keep selects.
func (w *walker) selected(keep func(at, dur time.Duration) bool) []int {
	var kept []int
	var at uint64
	scale := uint64(w.audio.timescale)
	ticks := func(n uint64) time.Duration {
		return time.Duration(n/scale)*time.Second + time.Duration(n%scale)*time.Second/time.Duration(scale)
	}
	for i, d := range w.durs {
		if keep(ticks(at), ticks(uint64(d))) {
			kept = append(kept, i)
		}
		at += uint64(d)
	}
	return kept
}

// restrict keeps the samples of those collected at the indices kept (in
// order), with the runs that hold them cut to them: a run is split where a
// sample in it is dropped. The kept samples' durations follow each other,
// so the gap dropped samples leave closes.
func (w *walker) restrict(kept []int) {
	var runs []run
	sizes, durs := make([]uint32, 0, len(kept)), make([]uint32, 0, len(kept))
	k := 0
	for _, r := range w.runs {
		start, joined := r.start, false // joined: the sample before was kept, into the last run
		for i := r.first; i < r.first+r.count; i++ {
			keep := k < len(kept) && kept[k] == i
			switch {
			case keep && joined:
				runs[len(runs)-1].count++
			case keep:
				runs = append(runs, run{start: start, first: len(sizes), count: 1})
			}
			if keep {
				sizes, durs = append(sizes, w.sizes[i]), append(durs, w.durs[i])
				k++
			}
			start += int64(w.sizes[i])
			joined = keep
		}
	}
	w.runs, w.sizes, w.durs = runs, sizes, durs
}

// readSampleTables reads an ordinary file's audio sample tables into sizes,
// durs and runs (one run per chunk), as Fix collects a fragmented file's.
func (w *walker) readSampleTables() error {
	var stts, stsz, stsc, stco box
	err := w.children(w.stblBox, func(b box) error {
		switch b.typ {
		case typeStts:
			stts = b
		case typeStsz:
			stsz = b
		case "stsc":
			stsc = b
		case typeStco, typeCo64:
			stco = b
		}
		return nil
	})
	if err != nil {
		return err
	}
	if stts.typ == "" || stsz.typ == "" || stsc.typ == "" || stco.typ == "" {
		return fmt.Errorf("mp4: the sample tables are not stts, stsz, stsc and stco: %w", ErrCannotFix)
	}
	if err := w.readStts(stts); err != nil {
		return err
	}
	if err := w.readStsz(stsz); err != nil {
		return err
	}
	if len(w.sizes) != len(w.durs) {
		return fmt.Errorf("mp4: %d sample sizes for %d durations: %w", len(w.sizes), len(w.durs), ErrNotMP4)
	}
	offsets, err := w.readStco(stco)
	if err != nil {
		return err
	}
	return w.readStsc(stsc, offsets)
}

// entries reads a full box's entry count and returns a reader over its
// count entries of entrySize bytes after skip bytes of payload.
func (w *walker) entries(b box, skip int64, entrySize int64, fn func(i int, v []uint64) error) error {
	p, err := w.payload(b, int(skip))
	if err != nil {
		return err
	}
	n := uint64(binary.BigEndian.Uint32(p[skip-4:]))
	if n > maxFixSamples {
		return fmt.Errorf("mp4: %d entries in %s: %w", n, b.typ, ErrCannotFix)
	}
	br, err := w.table(b, skip, n, entrySize)
	if err != nil {
		return err
	}
	width := 4
	if b.typ == typeCo64 {
		width = 8
	}
	fields := int(entrySize) / width
	v := make([]uint64, fields)
	for i := range int(n) {
		for f := range v {
			if v[f], err = w.next(br, width); err != nil {
				return err
			}
		}
		if err := fn(i, v); err != nil {
			return err
		}
	}
	return nil
}

func (w *walker) readStts(b box) error {
	return w.entries(b, 8, 8, func(_ int, v []uint64) error {
		if uint64(len(w.durs))+v[0] > maxFixSamples {
			return fmt.Errorf("mp4: more than %d samples: %w", maxFixSamples, ErrCannotFix)
		}
		for range v[0] {
			w.durs = append(w.durs, uint32(v[1]))
		}
		return nil
	})
}

func (w *walker) readStsz(b box) error {
	p, err := w.payload(b, 12)
	if err != nil {
		return err
	}
	fixed, n := binary.BigEndian.Uint32(p[4:]), uint64(binary.BigEndian.Uint32(p[8:]))
	if fixed == 0 {
		return w.entries(b, 12, 4, func(_ int, v []uint64) error {
			w.sizes = append(w.sizes, uint32(v[0]))
			return nil
		})
	}
	if n > maxFixSamples {
		return fmt.Errorf("mp4: more than %d samples: %w", maxFixSamples, ErrCannotFix)
	}
	for range n {
		w.sizes = append(w.sizes, fixed)
	}
	return nil
}

func (w *walker) readStco(b box) ([]int64, error) {
	var offsets []int64
	size := int64(4)
	if b.typ == typeCo64 {
		size = 8
	}
	err := w.entries(b, 8, size, func(_ int, v []uint64) error {
		offsets = append(offsets, int64(v[0]))
		return nil
	})
	return offsets, err
}

// readStsc lays the samples out in their chunks, one run per chunk.
func (w *walker) readStsc(b box, offsets []int64) error {
	type entry struct{ firstChunk, perChunk uint64 }
	var table []entry
	err := w.entries(b, 8, 12, func(_ int, v []uint64) error {
		table = append(table, entry{v[0], v[1]})
		return nil
	})
	if err != nil {
		return err
	}
	sample, j := 0, -1 // j: the table entry chunk c falls under
	for c, off := range offsets {
		for j+1 < len(table) && table[j+1].firstChunk <= uint64(c+1) {
			j++
		}
		var per uint64
		if j >= 0 {
			per = table[j].perChunk
		}
		count := int(min(per, uint64(len(w.sizes)-sample)))
		end := off
		for _, s := range w.sizes[sample : sample+count] {
			end += int64(s)
		}
		if off < 0 || end > w.size {
			return fmt.Errorf("mp4: chunk %d at %d runs past the end of the file: %w", c+1, off, ErrTruncated)
		}
		w.runs = append(w.runs, run{start: off, first: sample, count: count})
		sample += count
	}
	if sample != len(w.sizes) {
		return fmt.Errorf("mp4: the chunks hold %d of %d samples: %w", sample, len(w.sizes), ErrNotMP4)
	}
	return nil
}
