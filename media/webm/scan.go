package webm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"time"
)

// Limits on elements this package reads into memory.
const (
	maxHeaderElement = 1 << 20 // EBML header, Info, Tracks
	maxAudioBlock    = 1 << 20 // one Block on the audio track
)

// cluster is where a Cluster lies and its Timecode.
type cluster struct {
	off, dataOff, end int64
	timecode          uint64
}

// block is one Block or SimpleBlock on the audio track.
type block struct {
	timecode int64         // absolute, in TimecodeScale ticks
	duration time.Duration // BlockDuration, or the frames' Opus durations
	frames   [][]byte      // valid only during the callback
}

// walker streams through one file, parsing the headers it needs and
// handing top-level elements, Clusters and audio blocks to its callbacks.
// After walk, info holds the measurements, complete or up to an error.
type walker struct {
	c    *cursor
	info Info

	ebmlEnd    int64 // end of the EBML header
	segDataOff int64 // start of the Segment's data: the origin of positions
	segEnd     int64 // where parsing of the Segment stops (≤ file size)
	segClaim   int64 // end a known-size Segment claims, else 0

	haveInfo   bool // only the first Info and Tracks count
	haveTracks bool
	track      uint64 // TrackNumber of the audio track
	opus       bool
	block      block // the block being handed on, reused
	first      int64 // first block's timecode, ticks
	last       int64 // last block's timecode, ticks
	lastDur    time.Duration
	complete   int64 // end of the last element read whole, for CompletePrefix

	onTop     func(e element) error  // each top-level element but Clusters
	onCluster func(cl cluster) error // each Cluster, once its end is known
	onBlock   func(b *block) error   // each audio block, in file order
}

func newWalker(r io.ReaderAt, size int64) *walker {
	return &walker{c: newCursor(r, size), info: Info{TimecodeScale: DefaultTimecodeScale}}
}

// walk parses the whole file.
func (w *walker) walk() error {
	if err := w.header(); err != nil {
		return err
	}
	for p := w.segDataOff; p < w.segEnd; {
		e, err := w.c.element(p)
		if err != nil {
			return err
		}
		if e.id == idEBML && w.segClaim == 0 {
			w.segEnd = p // a second stream follows; it is not read
			break
		}
		if e.id == idCluster {
			if p, err = w.parseCluster(e); err != nil {
				return err
			}
			continue
		}
		if err := w.c.within(e, w.segEnd); err != nil {
			return err
		}
		if err := w.topLevel(e); err != nil {
			return err
		}
		p = e.end()
		w.complete = p
	}
	if w.segClaim > w.c.size {
		return fmt.Errorf("webm: Segment ends at %d, past the end of the %d-byte file: %w", w.segClaim, w.c.size, ErrTruncated)
	}
	if !w.haveTracks {
		return fmt.Errorf("webm: no Tracks element: %w", ErrNoAudio)
	}
	return nil
}

// header parses the EBML header and the Segment header.
func (w *walker) header() error {
	c := w.c
	if c.size < 4 {
		return fmt.Errorf("webm: %d-byte file: %w", c.size, ErrNotWebM)
	}
	magic, err := c.at(0, 4)
	if err != nil {
		return err
	}
	if binary.BigEndian.Uint32(magic) != idEBML {
		return fmt.Errorf("webm: no EBML header: %w", ErrNotWebM)
	}
	h, err := c.element(0)
	if err != nil {
		return err
	}
	if !h.known() || h.size > maxHeaderElement {
		return fmt.Errorf("webm: EBML header of unknown or huge size: %w", ErrNotWebM)
	}
	if err := c.within(h, c.size); err != nil {
		return err
	}
	var docType string
	err = c.children(h, func(e element) error {
		if e.id == idDocType {
			b, err := c.data(e, 64)
			if err != nil {
				return err
			}
			docType = string(bytes.TrimRight(b, "\x00"))
		}
		return nil
	})
	if err != nil {
		return err
	}
	if docType != "webm" && docType != "matroska" {
		return fmt.Errorf("webm: DocType %q: %w", docType, ErrNotWebM)
	}
	w.ebmlEnd = h.end()
	for p := h.end(); ; {
		e, err := c.element(p)
		if err != nil {
			return err
		}
		if e.id == idVoid && e.known() {
			p = e.end()
			continue
		}
		if e.id != idSegment {
			return fmt.Errorf("webm: %v where the Segment should be: %w", e, ErrNotWebM)
		}
		w.segDataOff = e.dataOff
		w.segEnd = c.size
		if e.known() {
			// A Segment cut short is read up to the end of the file; the
			// element cut in two, or walk's last check, reports it.
			w.segClaim = e.end()
			w.segEnd = min(e.end(), c.size)
		}
		return nil
	}
}

// topLevel parses a known-size top-level element other than a Cluster.
func (w *walker) topLevel(e element) error {
	switch e.id {
	case idInfo:
		if !w.haveInfo {
			if err := w.parseInfo(e); err != nil {
				return err
			}
		}
	case idTracks:
		if !w.haveTracks {
			if err := w.parseTracks(e); err != nil {
				return err
			}
		}
	case idCues:
		w.info.HasCues = true
	}
	if w.onTop != nil {
		return w.onTop(e)
	}
	return nil
}

func (w *walker) parseInfo(info element) error {
	if info.size > maxHeaderElement {
		return fmt.Errorf("webm: %d-byte Info: %w", info.size, ErrUnsupported)
	}
	w.haveInfo = true
	var duration float64
	err := w.c.children(info, func(e element) error {
		var err error
		switch e.id {
		case idTimecodeScale:
			var scale uint64
			if scale, err = w.c.uint(e); err == nil {
				if scale == 0 {
					return fmt.Errorf("webm: TimecodeScale 0: %w", ErrNotWebM)
				}
				w.info.TimecodeScale = scale
			}
		case idDuration:
			duration, err = w.c.float(e)
			w.info.HasDuration = true
		}
		return err
	})
	if err != nil {
		return err
	}
	if w.info.HasDuration {
		w.info.HeaderDuration = ticksToDuration(duration, w.info.TimecodeScale)
	}
	return nil
}

// ticksToDuration converts a float count of TimecodeScale ticks.
func ticksToDuration(ticks float64, scale uint64) time.Duration {
	return time.Duration(ticks * float64(scale))
}

func (w *walker) parseTracks(tracks element) error {
	if tracks.size > maxHeaderElement {
		return fmt.Errorf("webm: %d-byte Tracks: %w", tracks.size, ErrUnsupported)
	}
	c := w.c
	w.haveTracks = true
	found := false
	err := c.children(tracks, func(entry element) error {
		if entry.id != idTrackEntry || found {
			return nil
		}
		var (
			number, kind uint64
			codec        string
			private      []byte
			rate         = 8000.0 // Matroska defaults
			channels     = uint64(1)
		)
		err := c.children(entry, func(e element) error {
			var err error
			switch e.id {
			case idTrackNumber:
				number, err = c.uint(e)
			case idTrackType:
				kind, err = c.uint(e)
			case idCodecID:
				var b []byte
				if b, err = c.data(e, 64); err == nil {
					codec = string(bytes.TrimRight(b, "\x00"))
				}
			case idCodecPrivate:
				var b []byte
				if b, err = c.data(e, maxHeaderElement); err == nil {
					private = bytes.Clone(b)
				}
			case idAudio:
				err = c.children(e, func(e element) error {
					var err error
					switch e.id {
					case idSamplingFrequency:
						rate, err = c.float(e)
					case idChannels:
						channels, err = c.uint(e)
					}
					return err
				})
			}
			return err
		})
		if err != nil || kind != trackTypeAudio {
			return err
		}
		if number == 0 {
			return fmt.Errorf("webm: audio TrackNumber 0: %w", ErrNotWebM)
		}
		found = true
		w.track = number
		w.opus = codec == CodecOpus
		w.info.Codec = codec
		w.info.SampleRate = int(rate)
		w.info.Channels = int(channels)
		w.info.CodecPrivate = private
		return nil
	})
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("webm: Tracks has no audio TrackEntry: %w", ErrNoAudio)
	}
	return nil
}

// parseCluster reads one Cluster's children and returns where it ends. An
// unknown-size Cluster ends at the first element that cannot be its child,
// or at the end of the Segment.
func (w *walker) parseCluster(e element) (int64, error) {
	c := w.c
	limit := w.segEnd
	if e.known() {
		if err := c.within(e, w.segEnd); err != nil {
			return 0, err
		}
		limit = e.end()
	}
	var (
		timecode uint64
		haveTC   bool
		p        = e.dataOff
	)
	for p < limit {
		ch, err := c.element(p)
		if err != nil {
			return 0, err
		}
		if !e.known() && endsCluster(ch.id) {
			break
		}
		if err := c.within(ch, limit); err != nil {
			return 0, err
		}
		switch ch.id {
		case idTimecode:
			if timecode, err = c.uint(ch); err != nil {
				return 0, err
			}
			haveTC = true
		case idSimpleBlock:
			err = w.parseBlock(ch, timecode, haveTC, 0, false)
		case idBlockGroup:
			var (
				blk    element
				dur    uint64
				hasDur bool
			)
			err = c.children(ch, func(g element) error {
				var err error
				switch g.id {
				case idBlock:
					blk = g
				case idBlockDuration:
					dur, err = c.uint(g)
					hasDur = true
				}
				return err
			})
			if err == nil {
				if blk.dataOff == 0 {
					return 0, fmt.Errorf("webm: %v has no Block: %w", ch, ErrNotWebM)
				}
				err = w.parseBlock(blk, timecode, haveTC, dur, hasDur)
			}
		}
		if err != nil {
			return 0, err
		}
		p = ch.end()
		if !e.known() {
			w.complete = p
		}
	}
	end := p
	if e.known() {
		end = e.end()
	}
	w.info.Clusters++
	if w.onCluster != nil {
		if !haveTC {
			return 0, fmt.Errorf("webm: Cluster at offset %d has no Timecode: %w", e.off, ErrNotWebM)
		}
		return end, w.onCluster(cluster{off: e.off, dataOff: e.dataOff, end: end, timecode: timecode})
	}
	return end, nil
}

// parseBlock reads a Block or SimpleBlock and, if it is on the audio track,
// measures it and hands it on.
func (w *walker) parseBlock(e element, clusterTC uint64, haveTC bool, dur uint64, hasDur bool) error {
	c := w.c
	if !w.haveTracks {
		return fmt.Errorf("webm: block at offset %d before Tracks: %w", e.off, ErrNotWebM)
	}
	head, err := c.at(e.dataOff, int(min(e.size, 12)))
	if err != nil {
		return err
	}
	track, n, err := readVint(head)
	if err != nil || len(head) < n+3 {
		return fmt.Errorf("webm: header of block at offset %d: %w", e.off, ErrNotWebM)
	}
	if track != w.track {
		return nil
	}
	if !haveTC {
		return fmt.Errorf("webm: block at offset %d precedes its Cluster's Timecode: %w", e.off, ErrNotWebM)
	}
	if e.size > maxAudioBlock {
		return fmt.Errorf("webm: %d-byte audio block at offset %d: %w", e.size, e.off, ErrUnsupported)
	}
	data, err := c.at(e.dataOff, int(e.size))
	if err != nil {
		return err
	}
	rel := int16(binary.BigEndian.Uint16(data[n:]))
	flags := data[n+2]
	b := &w.block
	b.frames, err = splitLaces(b.frames[:0], data[n+3:], flags)
	if err != nil {
		return fmt.Errorf("webm: block at offset %d: %w", e.off, err)
	}
	b.timecode, b.duration = int64(clusterTC)+int64(rel), 0
	if hasDur {
		b.duration = time.Duration(dur * w.info.TimecodeScale)
	} else if w.opus {
		for _, f := range b.frames {
			b.duration += opusDuration(f)
		}
	}
	if w.info.Blocks == 0 {
		w.first = b.timecode
	}
	w.info.Blocks++
	w.last, w.lastDur = b.timecode, b.duration
	w.info.Duration = time.Duration((w.last-w.first)*int64(w.info.TimecodeScale)) + w.lastDur
	if w.onBlock != nil {
		return w.onBlock(b)
	}
	return nil
}

// endTicks is the end of the last block in TimecodeScale ticks, the value
// Fix writes as the Segment Duration.
func (w *walker) endTicks() float64 {
	return float64(w.last) + float64(w.lastDur)/float64(w.info.TimecodeScale)
}

// Lacing, from the flags byte of a block.
const (
	lacingMask  = 0x06
	lacingNone  = 0x00
	lacingXiph  = 0x02
	lacingFixed = 0x04
	lacingEBML  = 0x06
)

// splitLaces splits a block's payload into its frames.
func splitLaces(frames [][]byte, p []byte, flags byte) ([][]byte, error) {
	lacing := flags & lacingMask
	if lacing == lacingNone {
		return append(frames, p), nil
	}
	if len(p) < 1 {
		return frames, fmt.Errorf("laced block without a frame count: %w", ErrNotWebM)
	}
	count := int(p[0]) + 1
	p = p[1:]
	bad := func(what string) ([][]byte, error) {
		return frames, fmt.Errorf("bad %s lacing of %d frames: %w", what, count, ErrNotWebM)
	}
	switch lacing {
	case lacingFixed:
		if len(p)%count != 0 {
			return bad("fixed-size")
		}
		n := len(p) / count
		for i := range count {
			frames = append(frames, p[i*n:(i+1)*n])
		}
		return frames, nil
	case lacingXiph:
		sizes := make([]int, 0, 8)
		for range count - 1 {
			size := 0
			for {
				if len(p) == 0 {
					return bad("Xiph")
				}
				b := p[0]
				p = p[1:]
				size += int(b)
				if b != 255 {
					break
				}
			}
			sizes = append(sizes, size)
		}
		return cutLaces(frames, p, sizes, bad)
	default: // EBML: the first size, then signed differences
		sizes := make([]int, 0, 8)
		if count == 1 {
			return append(frames, p), nil
		}
		size, n, err := readVint(p)
		if err != nil || size > uint64(len(p)) {
			return bad("EBML")
		}
		p = p[n:]
		sizes = append(sizes, int(size))
		for range count - 2 {
			raw, n, err := readVint(p)
			if err != nil {
				return bad("EBML")
			}
			p = p[n:]
			delta := int64(raw) - int64(allOnes(n)>>1)
			size = uint64(int64(size) + delta)
			if size > uint64(len(p)) {
				return bad("EBML")
			}
			sizes = append(sizes, int(size))
		}
		return cutLaces(frames, p, sizes, bad)
	}
}

// cutLaces cuts p into frames of the given sizes plus a last one holding
// the rest.
func cutLaces(frames [][]byte, p []byte, sizes []int, bad func(string) ([][]byte, error)) ([][]byte, error) {
	for _, n := range sizes {
		if n > len(p) {
			return bad("frame size in")
		}
		frames = append(frames, p[:n])
		p = p[n:]
	}
	return append(frames, p), nil
}
