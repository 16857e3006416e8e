package webm

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// pieceKind says how Fix writes one top-level element.
type pieceKind uint8

const (
	pieceCopy    pieceKind = iota // copied byte for byte
	pieceInfo                     // rewritten with a Duration
	pieceCluster                  // rewritten with a known size
)

// piece is one top-level element of the output, in order.
type piece struct {
	kind     pieceKind
	id       uint32
	off      int64 // source: start of the element (pieceCopy)
	dataOff  int64 // source: start of its data (pieceCluster)
	end      int64 // source: end of the element
	timecode uint64
	pos      int64 // output: offset from the start of the Segment data
}

// Fix writes a copy of a WebM file that players can seek in: the Segment
// Info gets a Duration (the end of the last audio block, in TimecodeScale
// units), a SeekHead pointing at Info, Tracks and Cues leads the Segment,
// a Cues element with one CuePoint per Cluster precedes the Clusters, and
// the Segment and every Cluster have a known size. Any old SeekHead, Cues
// and top-level Void are dropped; Tracks and other top-level elements are
// copied as they are, and every Cluster's children byte for byte. Fixing a
// fixed file writes the same bytes again.
//
// Fix reads r twice, streaming: first to measure and to find the Clusters,
// then to copy. Memory grows only with the number of Clusters. Nothing is
// written unless the first pass read the whole file without error, so a
// truncated or broken input gives an error wrapping ErrTruncated or
// ErrNotWebM, and no output; a failure while writing may leave part of a
// file in w. It returns the Info of the written file.
func Fix(w io.Writer, r io.ReaderAt, size int64) (Info, error) {
	sc, err := scan(r, size)
	if err != nil {
		return Info{}, err
	}
	lay := layOut(sc)
	if err := lay.write(w, r, sc); err != nil {
		return Info{}, err
	}
	info := sc.wk.info
	info.HasDuration = true
	info.HeaderDuration = ticksToDuration(sc.ticks, info.TimecodeScale)
	info.HasCues = lay.hasCues
	return info, nil
}

// scanned is the first pass over a file: its top-level elements as pieces
// to write again, the Info to rewrite, and the length of the audio.
type scanned struct {
	wk       *walker
	pieces   []piece
	infoBody []byte  // Info's children less Duration and CRC-32
	ticks    float64 // the audio's length in timecode ticks
}

// scan reads the whole file, keeping its elements in order except those
// Fix writes anew (SeekHead, Cues, Void, CRC-32, a second Info).
func scan(r io.ReaderAt, size int64) (*scanned, error) {
	sc := &scanned{wk: newWalker(r, size)}
	wk := sc.wk
	haveInfo := false
	wk.onTop = func(e element) error {
		switch e.id {
		case idSeekHead, idCues, idVoid, idCRC32:
			return nil
		case idInfo:
			if haveInfo {
				return nil // a second Info is invalid; keep the first
			}
			haveInfo = true
			var err error
			if sc.infoBody, err = infoWithoutDuration(wk.c, e); err != nil {
				return err
			}
			sc.pieces = append(sc.pieces, piece{kind: pieceInfo, id: e.id})
			return nil
		}
		sc.pieces = append(sc.pieces, piece{kind: pieceCopy, id: e.id, off: e.off, end: e.end()})
		return nil
	}
	wk.onCluster = func(cl cluster) error {
		sc.pieces = append(sc.pieces, piece{kind: pieceCluster, id: idCluster, dataOff: cl.dataOff, end: cl.end, timecode: cl.timecode})
		return nil
	}
	if err := wk.walk(); err != nil {
		return nil, err
	}
	if !haveInfo {
		return nil, fmt.Errorf("webm: no Segment Info: %w", ErrNotWebM)
	}
	if wk.info.Blocks > 0 {
		sc.ticks = wk.endTicks()
	}
	return sc, nil
}

// segmentLayout is where everything goes in the new Segment: SeekHead, then the
// pieces in their order with Cues before the first Cluster. Every size is
// known before any position is: the positions inside Cues and SeekHead
// are fixed-width.
type segmentLayout struct {
	infoEl   []byte // the new Info element, Duration included
	seeks    []seek
	segSize  int64
	cuesBody uint64
	hasCues  bool
}

// layOut sets each piece's position in sc.pieces and returns the layout.
func layOut(sc *scanned) segmentLayout {
	lay := segmentLayout{infoEl: infoElement(sc.infoBody, sc.ticks)}
	var scratch []byte
	for _, p := range sc.pieces {
		if p.kind == pieceCluster {
			scratch = appendCuePoint(scratch[:0], p.timecode, sc.wk.track, 0)
			lay.cuesBody += uint64(len(scratch))
		}
	}
	lay.hasCues = lay.cuesBody > 0
	cuesSize := int64(0)
	if lay.hasCues {
		cuesSize = int64(headerLen(idCues, lay.cuesBody)) + int64(lay.cuesBody)
	}
	lay.seeks = []seek{{id: idInfo}, {id: idTracks}}
	if lay.hasCues {
		lay.seeks = append(lay.seeks, seek{id: idCues})
	}
	pos := int64(len(appendSeekHead(nil, lay.seeks)))
	cuesPos := int64(-1)
	for i := range sc.pieces {
		p := &sc.pieces[i]
		if p.kind == pieceCluster && cuesPos < 0 {
			cuesPos = pos
			pos += cuesSize
		}
		p.pos = pos
		switch p.kind {
		case pieceInfo:
			pos += int64(len(lay.infoEl))
		case pieceCopy:
			pos += p.end - p.off
		case pieceCluster:
			pos += int64(idLen(idCluster)) + 8 + p.end - p.dataOff
		}
	}
	lay.segSize = pos
	for i := range lay.seeks {
		switch lay.seeks[i].id {
		case idCues:
			lay.seeks[i].pos = cuesPos
		default:
			for _, p := range sc.pieces {
				if p.id == lay.seeks[i].id {
					lay.seeks[i].pos = p.pos
					break
				}
			}
		}
	}
	return lay
}

// infoElement is a whole Info element: body, then a Duration of ticks.
func infoElement(body []byte, ticks float64) []byte {
	el := appendID(nil, idInfo)
	el = appendVint(el, uint64(len(body)+11), sizeLen(uint64(len(body)+11)))
	el = append(el, body...)
	el = appendID(el, idDuration)
	el = appendVint(el, 8, 1)
	return binary.BigEndian.AppendUint64(el, math.Float64bits(ticks))
}

// write writes the fixed file: the EBML header as it was, then the
// Segment as laid out, copying the pieces from r.
func (lay segmentLayout) write(w io.Writer, r io.ReaderAt, sc *scanned) error {
	bw := bufio.NewWriterSize(w, bufSize)
	buf := make([]byte, bufSize)
	if err := copyRange(bw, r, 0, sc.wk.ebmlEnd, buf); err != nil {
		return err
	}
	head := appendID(nil, idSegment)
	head = appendVint(head, uint64(lay.segSize), 8)
	head = appendSeekHead(head, lay.seeks)
	if err := write(bw, head); err != nil {
		return err
	}
	cuesDone := false
	var scratch []byte
	for _, p := range sc.pieces {
		var err error
		if p.kind == pieceCluster && !cuesDone {
			cuesDone = true
			err = writeCues(bw, sc.pieces, lay.cuesBody, sc.wk.track)
		}
		if err == nil {
			switch p.kind {
			case pieceInfo:
				err = write(bw, lay.infoEl)
			case pieceCopy:
				err = copyRange(bw, r, p.off, p.end, buf)
			case pieceCluster:
				scratch = appendID(scratch[:0], idCluster)
				scratch = appendVint(scratch, uint64(p.end-p.dataOff), 8)
				if err = write(bw, scratch); err == nil {
					err = copyRange(bw, r, p.dataOff, p.end, buf)
				}
			}
		}
		if err != nil {
			return err
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("webm: write: %w", err)
	}
	return nil
}

// infoWithoutDuration returns the children of Info except Duration and
// CRC-32 (which the new Duration would break).
func infoWithoutDuration(c *cursor, info element) ([]byte, error) {
	var body []byte
	err := c.children(info, func(e element) error {
		if e.id == idDuration || e.id == idCRC32 {
			return nil
		}
		b, err := c.at(e.off, int(e.end()-e.off))
		body = append(body, b...)
		return err
	})
	return body, err
}

// seek is one entry of a SeekHead.
type seek struct {
	id  uint32 // a 4-byte top-level ID
	pos int64
}

// appendSeekHead appends a SeekHead whose size does not depend on the
// positions (they are written as 8-byte integers).
func appendSeekHead(b []byte, seeks []seek) []byte {
	const seekBody = 2 + 1 + 4 + 2 + 1 + 8 // SeekID, SeekPosition
	body := uint64(len(seeks) * (2 + 1 + seekBody))
	b = appendID(b, idSeekHead)
	b = appendVint(b, body, sizeLen(body))
	for _, s := range seeks {
		b = appendID(b, idSeek)
		b = appendVint(b, seekBody, 1)
		b = appendID(b, idSeekID)
		b = appendVint(b, 4, 1)
		b = binary.BigEndian.AppendUint32(b, s.id)
		b = appendUintN(b, idSeekPosition, uint64(s.pos), 8)
	}
	return b
}

// appendCuePoint appends a CuePoint whose size does not depend on pos
// (CueClusterPosition is written as an 8-byte integer).
func appendCuePoint(b []byte, timecode, track uint64, pos int64) []byte {
	positions := uint64(2+uintLen(track)) + 2 + 8
	body := uint64(2+uintLen(timecode)) + 1 + uint64(sizeLen(positions)) + positions
	b = appendID(b, idCuePoint)
	b = appendVint(b, body, sizeLen(body))
	b = appendUint(b, idCueTime, timecode)
	b = appendID(b, idCueTrackPositions)
	b = appendVint(b, positions, sizeLen(positions))
	b = appendUint(b, idCueTrack, track)
	return appendUintN(b, idCueClusterPosition, uint64(pos), 8)
}

// writeCues writes the Cues element, one CuePoint per Cluster piece.
func writeCues(w io.Writer, pieces []piece, body uint64, track uint64) error {
	b := appendID(make([]byte, 0, 64), idCues)
	b = appendVint(b, body, sizeLen(body))
	if err := write(w, b); err != nil {
		return err
	}
	for _, p := range pieces {
		if p.kind != pieceCluster {
			continue
		}
		b = appendCuePoint(b[:0], p.timecode, track, p.pos)
		if err := write(w, b); err != nil {
			return err
		}
	}
	return nil
}

// copyRange copies r's bytes [off, end) to w through buf.
func copyRange(w io.Writer, r io.ReaderAt, off, end int64, buf []byte) error {
	for off < end {
		n := int(min(int64(len(buf)), end-off))
		m, err := r.ReadAt(buf[:n], off)
		if m < n {
			if err == nil || errors.Is(err, io.EOF) {
				err = ErrTruncated
			}
			return fmt.Errorf("webm: read at offset %d: %w", off, err)
		}
		if err := write(w, buf[:n]); err != nil {
			return err
		}
		off += int64(n)
	}
	return nil
}

// write writes b to w.
func write(w io.Writer, b []byte) error {
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("webm: write: %w", err)
	}
	return nil
}
