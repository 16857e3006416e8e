package ogg

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// Seal makes a stream a Writer left unfinished (its process killed) whole:
// the file is cut after its last whole page, and that page is marked as the
// end of the stream. A Writer never splits a packet over pages, so the cut
// loses no part of a packet it keeps. It returns the file's new size and
// the stream as Probe measures it. A file cut before its two header pages
// were whole has no audio: it is left as it is, and Seal returns
// ErrNotOpus.
func Seal(f *os.File) (int64, Info, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return 0, Info{}, fmt.Errorf("ogg: seal: %w", err)
	}
	rd := newReader(f)
	var end, last int64 // end of the last whole page; where it starts
	var lastFlags byte
	pages := 0
	for {
		at := rd.off
		p, err := rd.next()
		if err != nil {
			break // the end, or the page a crash cut: drop from here
		}
		pages++
		end, last, lastFlags = rd.off, at, p.flags
	}
	if pages < 2 {
		return 0, Info{}, fmt.Errorf("ogg: seal: %d whole pages, no audio: %w", pages, ErrNotOpus)
	}
	if err := f.Truncate(end); err != nil {
		return 0, Info{}, fmt.Errorf("ogg: seal: %w", err)
	}
	if pages > 2 && lastFlags&flagEOS == 0 {
		if err := markEOS(f, last, end); err != nil {
			return 0, Info{}, err
		}
	}
	info, err := Probe(io.NewSectionReader(f, 0, end))
	if err != nil {
		return 0, Info{}, fmt.Errorf("ogg: seal: %w", err)
	}
	return end, info, nil
}

// markEOS sets the end-of-stream flag of the page at [from, to) and
// writes its CRC anew.
func markEOS(f *os.File, from, to int64) error {
	buf := make([]byte, to-from)
	if _, err := f.ReadAt(buf, from); err != nil {
		return fmt.Errorf("ogg: seal: read the last page: %w", err)
	}
	buf[5] |= flagEOS
	clear(buf[22:26])
	binary.LittleEndian.PutUint32(buf[22:], crcUpdate(0, buf))
	if _, err := f.WriteAt(buf[:27], from); err != nil {
		return fmt.Errorf("ogg: seal: mark the last page: %w", err)
	}
	return nil
}
