package webm

import (
	"errors"
	"fmt"
	"io"
	"time"
)

// ErrNothingKept reports a cut that selects no whole frame.
var ErrNothingKept = errors.New("webm: the selection holds no whole frame")

// clusterSpan is how much audio Cut puts in one Cluster: well inside the
// ±32 s a block's 16-bit relative timecode reaches at millisecond ticks,
// and the seek granularity of the Cues Fix writes.
const clusterSpan = 5 * time.Second

// Cut writes a new WebM file of the Opus frames of the one in r that keep
// selects, as they are (no re-encoding): keep is asked about each frame
// with its timestamp and duration. The EBML header, Info and Tracks are
// copied (OpusHead and CodecDelay with them); the frames go one per
// SimpleBlock into Clusters of clusterSpan, their timestamps re-based so
// the first kept starts at 0 and each follows the one before (keep may
// select several ranges: the gaps between them close). The file is written as a MediaRecorder
// streams it (unknown sizes, no Duration nor Cues): Fix gives it those.
// It returns the number of frames written and their length. A file that
// does not read, is not Opus, or a selection of no frame
// (ErrNothingKept), is an error before anything is written.
func Cut(w io.Writer, r io.ReaderAt, size int64, keep func(at, dur time.Duration) bool) (int, time.Duration, error) {
	info, err := Probe(r, size)
	if err != nil {
		return 0, 0, err
	}
	if info.Codec != CodecOpus {
		return 0, 0, fmt.Errorf("webm: cut: %q audio: %w", info.Codec, ErrUnsupported)
	}
	c := &webmCutter{keep: keep, out: w, scale: time.Duration(info.TimecodeScale)}
	if !c.anyKept(r, size) {
		return 0, 0, ErrNothingKept
	}
	c.wk = newWalker(r, size)
	c.wk.onTop = c.top
	c.wk.onBlock = c.block
	if err := c.wk.walk(); err != nil {
		return 0, 0, fmt.Errorf("webm: cut: %w", err)
	}
	return c.kept, c.end, nil
}

// webmCutter is one Cut under way.
type webmCutter struct {
	keep    func(at, dur time.Duration) bool
	out     io.Writer
	wk      *walker
	scale   time.Duration // one timecode tick
	heads   []byte        // Info and Tracks, as they are
	started bool          // the headers are written
	origin  time.Duration // the source time of the first frame kept
	skipped time.Duration // of frames dropped after the first kept: closed gaps
	cluster time.Duration // the start of the open Cluster, re-based
	open    bool
	kept    int
	end     time.Duration // the end of the last frame kept, re-based
	buf     []byte
}

// anyKept reports whether keep selects a frame.
func (c *webmCutter) anyKept(r io.ReaderAt, size int64) bool {
	found := errors.New("found")
	err := Packets(r, size, func(ts time.Duration, p []byte) error {
		if c.keep(ts, opusDuration(p)) {
			return found
		}
		return nil
	})
	return errors.Is(err, found)
}

// top keeps the Info and Tracks elements to copy.
func (c *webmCutter) top(e element) error {
	if e.id != idInfo && e.id != idTracks {
		return nil
	}
	b, err := c.wk.c.at(e.off, int(e.end()-e.off))
	if err != nil {
		return err
	}
	c.heads = append(c.heads, b...)
	return nil
}

// block writes the frames of an audio block that keep selects.
func (c *webmCutter) block(b *block) error {
	ts := time.Duration(b.timecode) * c.scale
	for _, f := range b.frames {
		dur := opusDuration(f)
		switch {
		case c.keep(ts, dur):
			if err := c.frame(ts, dur, f); err != nil {
				return err
			}
		case c.started:
			c.skipped += dur // the frames after close the gap
		}
		ts += dur
	}
	return nil
}

// frame writes one kept frame as a SimpleBlock, after the file's headers
// for the first and a new Cluster when the open one is full.
func (c *webmCutter) frame(ts, dur time.Duration, f []byte) error {
	b := c.buf[:0]
	if !c.started {
		head, err := c.wk.c.at(0, int(c.wk.ebmlEnd))
		if err != nil {
			return err
		}
		b = append(b, head...)
		b = appendID(b, idSegment)
		b = appendVint(b, allOnes(8), 8) // unknown size
		b = append(b, c.heads...)
		c.started, c.origin = true, ts
	}
	at := ts - c.origin - c.skipped
	if !c.open || at-c.cluster >= clusterSpan {
		c.open, c.cluster = true, at
		b = appendID(b, idCluster)
		b = appendVint(b, allOnes(8), 8)
		b = appendUint(b, idTimecode, uint64(at/c.scale))
	}
	rel := at/c.scale - c.cluster/c.scale
	body := uint64(1 + 2 + 1 + len(f)) // track number (1 byte), timecode, flags, frame
	if c.wk.track >= 127 {
		return fmt.Errorf("webm: cut: audio track number %d: %w", c.wk.track, ErrUnsupported)
	}
	b = appendID(b, idSimpleBlock)
	b = appendVint(b, body, sizeLen(body))
	b = appendVint(b, c.wk.track, 1)
	b = append(b, byte(uint16(rel)>>8), byte(rel), 0x80) // keyframe
	b = append(b, f...)
	c.buf = b
	if err := write(c.out, b); err != nil {
		return fmt.Errorf("webm: cut: %w", err)
	}
	c.kept++
	c.end = at + dur
	return nil
}
