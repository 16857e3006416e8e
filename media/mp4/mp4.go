// Package mp4 measures the MP4 (ISO BMFF) audio files that Safari writes
// with MediaRecorder.
//
// Safari records AAC into a fragmented MP4: an ftyp, a moov whose mvhd and
// mdhd durations are 0 and whose mvex/trex carries per-track defaults, then
// one moof+mdat pair per fragment. The header says nothing about the length
// of the take, so Probe measures it from the fragments' sample tables.
// Ordinary (non-fragmented) MP4 files are measured from their moov.
//
// Probe streams through an io.ReaderAt box by box with small reads: it never
// reads an mdat payload, and no allocation grows with the input.
package mp4

import (
	"fmt"
	"time"

	"github.com/avatarweb/recorder/media"
)

// Errors about the input. All of them unwrap to media.ErrInvalid: they
// describe a bad upload, not a server fault. I/O errors from the reader are
// returned wrapped as they are.
var (
	// ErrNotMP4 reports input that does not start with an ftyp box, or
	// whose box structure or sample tables are broken.
	ErrNotMP4 = fmt.Errorf("mp4: not an MP4 file: %w", media.ErrInvalid)
	// ErrTruncated reports a file that ends inside a box, or before the
	// media it describes. A fragmented file cut cleanly between boxes after
	// at least one fragment is not truncated: it is a shorter take.
	ErrTruncated = fmt.Errorf("mp4: file is truncated: %w", media.ErrInvalid)
	// ErrNoAudio reports an MP4 file without an audio ('soun') track.
	ErrNoAudio = fmt.Errorf("mp4: no audio track: %w", media.ErrInvalid)
)

// CodecAAC is the sample entry type of AAC audio.
const CodecAAC = "mp4a"

// Info is what Probe measures about the first audio track.
type Info struct {
	Codec      string // sample entry fourcc, e.g. "mp4a" (AAC) or "Opus"
	SampleRate int    // from the audio sample entry, else the mdhd timescale
	Channels   int    // from the audio sample entry
	// Duration is the sum of the track's sample durations: over all
	// fragments (and any samples in the moov) for a fragmented file; from
	// the stts table, else the mdhd duration, for a non-fragmented one.
	// Edit lists (encoder priming) are not applied.
	Duration   time.Duration
	Fragmented bool // the moov has an mvex box
	Samples    int  // audio samples (AAC frames) counted
	Fragments  int  // moof boxes holding a run of the audio track
	Timescale  int  // the audio track's mdhd timescale (ticks per second)
}

// Box types this package reads.
const (
	typeFtyp = "ftyp"
	typeMoov = "moov"
	typeTrak = "trak"
	typeTkhd = "tkhd"
	typeMdia = "mdia"
	typeMdhd = "mdhd"
	typeHdlr = "hdlr"
	typeMinf = "minf"
	typeStbl = "stbl"
	typeStsd = "stsd"
	typeStts = "stts"
	typeStsz = "stsz"
	typeStz2 = "stz2"
	typeStco = "stco"
	typeCo64 = "co64"
	typeMvex = "mvex"
	typeTrex = "trex"
	typeMoof = "moof"
	typeTraf = "traf"
	typeTfhd = "tfhd"
	typeTrun = "trun"
	typeMdat = "mdat"
	typeEdts = "edts"
	typeElst = "elst"
)

// handlerSound is the hdlr handler_type of an audio track.
const handlerSound = "soun"

// tfhd flags (ISO/IEC 14496-12 §8.8.7).
const (
	tfhdBaseDataOffset      = 0x000001
	tfhdSampleDescription   = 0x000002
	tfhdDefaultDuration     = 0x000008
	tfhdDefaultSize         = 0x000010
	tfhdDefaultFlags        = 0x000020
	tfhdDefaultBaseIsMoof   = 0x020000
	trunDataOffset          = 0x000001
	trunFirstSampleFlags    = 0x000004
	trunSampleDuration      = 0x000100
	trunSampleSize          = 0x000200
	trunSampleFlags         = 0x000400
	trunSampleCompositionTO = 0x000800
)

// ticksDuration converts ticks of timescale per second to a Duration
// without overflowing on the way; ok is false if the result does not fit.
func ticksDuration(ticks uint64, timescale uint32) (d time.Duration, ok bool) {
	ts := uint64(timescale)
	sec, rem := ticks/ts, ticks%ts
	if sec >= uint64(1<<63-1)/uint64(time.Second) {
		return 0, false
	}
	return time.Duration(sec)*time.Second + time.Duration(rem*uint64(time.Second)/ts), true
}
