// Package webm measures and repairs the WebM (Matroska) audio files that
// browsers write with MediaRecorder.
//
// Chromium streams its recording as a live file: the Segment has no
// Duration and no Cues, and the Segment and Cluster sizes are "unknown".
// Players then show no length and cannot seek. Probe measures such a file
// from its blocks, Fix writes a copy with a Duration, Cues, a SeekHead and
// known sizes, Packets walks the audio frames and DecodeOpus decodes them.
//
// Everything reads from an io.ReaderAt by streaming through it with a small
// buffer, so an hour-long take costs no more memory than a short one
// (except DecodeOpus, which returns the whole PCM).
package webm

import (
	"fmt"
	"time"

	"github.com/avatarweb/recorder/media"
)

// Errors about the input. All of them unwrap to media.ErrInvalid: they
// describe a bad upload, not a server fault. I/O errors from the reader are
// returned wrapped as they are.
var (
	// ErrNotWebM reports input that is not EBML, not a webm/matroska
	// DocType, or whose element structure is broken.
	ErrNotWebM = fmt.Errorf("webm: not a WebM file: %w", media.ErrInvalid)
	// ErrTruncated reports a file that ends inside an element.
	ErrTruncated = fmt.Errorf("webm: file is truncated: %w", media.ErrInvalid)
	// ErrNoAudio reports a WebM file without an audio track.
	ErrNoAudio = fmt.Errorf("webm: no audio track: %w", media.ErrInvalid)
	// ErrUnsupported reports valid Matroska this package does not handle,
	// such as an unknown-size element other than a Segment or Cluster.
	ErrUnsupported = fmt.Errorf("webm: unsupported: %w", media.ErrInvalid)
)

// CodecOpus is the Matroska codec ID of Opus audio.
const CodecOpus = "A_OPUS"

// DefaultTimecodeScale is the Matroska default: timecodes in milliseconds.
const DefaultTimecodeScale = 1_000_000

// Info is what Probe measures.
type Info struct {
	Codec         string        // CodecID of the audio track, e.g. "A_OPUS"
	SampleRate    int           // from the track's Audio element (Opus: 48000)
	Channels      int           // from the track's Audio element
	Duration      time.Duration // last block's timecode + its duration − first block's timecode
	TimecodeScale uint64        // nanoseconds per timecode tick (default 1_000_000)
	HasDuration   bool          // Segment/Info/Duration is present
	// HeaderDuration is the value of Segment/Info/Duration when HasDuration.
	// Fix writes the end of the last block measured from timecode 0, which
	// equals Duration when the first block starts at 0 (as Chromium's do).
	HeaderDuration time.Duration
	HasCues        bool   // a Cues element is present
	Blocks         int    // SimpleBlocks and BlockGroups on the audio track
	Clusters       int    // Clusters in the Segment
	CodecPrivate   []byte // the audio track's CodecPrivate (for Opus, the OpusHead)
}

// Element IDs, with their length marker bits, as in the Matroska spec.
const (
	idEBML               = 0x1A45DFA3
	idDocType            = 0x4282
	idSegment            = 0x18538067
	idSeekHead           = 0x114D9B74
	idSeek               = 0x4DBB
	idSeekID             = 0x53AB
	idSeekPosition       = 0x53AC
	idInfo               = 0x1549A966
	idTimecodeScale      = 0x2AD7B1
	idDuration           = 0x4489
	idTracks             = 0x1654AE6B
	idTrackEntry         = 0xAE
	idTrackNumber        = 0xD7
	idTrackType          = 0x83
	idCodecID            = 0x86
	idCodecPrivate       = 0x63A2
	idAudio              = 0xE1
	idSamplingFrequency  = 0xB5
	idChannels           = 0x9F
	idCluster            = 0x1F43B675
	idTimecode           = 0xE7
	idSimpleBlock        = 0xA3
	idBlockGroup         = 0xA0
	idBlock              = 0xA1
	idBlockDuration      = 0x9B
	idCues               = 0x1C53BB6B
	idCuePoint           = 0xBB
	idCueTime            = 0xB3
	idCueTrackPositions  = 0xB7
	idCueTrack           = 0xF7
	idCueClusterPosition = 0xF1
	idChapters           = 0x1043A770
	idAttachments        = 0x1941A469
	idTags               = 0x1254C367
	idVoid               = 0xEC
	idCRC32              = 0xBF
)

// trackTypeAudio is the TrackType of an audio track.
const trackTypeAudio = 2

// endsCluster reports whether an element with this ID cannot be a child of
// a Cluster, so it ends an unknown-size Cluster: the Segment's other
// top-level elements, or the start of another EBML stream.
func endsCluster(id uint32) bool {
	switch id {
	case idCluster, idCues, idTags, idInfo, idTracks, idSeekHead,
		idChapters, idAttachments, idEBML, idSegment:
		return true
	}
	return false
}

// opusSamples returns the length of an Opus packet in 48 kHz samples per
// channel, from its TOC byte (RFC 6716 §3.1), or 0 for an empty packet.
func opusSamples(p []byte) int {
	if len(p) == 0 {
		return 0
	}
	toc := p[0]
	config := toc >> 3
	var frame int
	switch {
	case config < 12: // SILK: 10, 20, 40, 60 ms
		frame = [4]int{480, 960, 1920, 2880}[config&3]
	case config < 16: // Hybrid: 10, 20 ms
		frame = [2]int{480, 960}[config&1]
	default: // CELT: 2.5, 5, 10, 20 ms
		frame = [4]int{120, 240, 480, 960}[config&3]
	}
	switch toc & 3 {
	case 0:
		return frame
	case 1, 2:
		return 2 * frame
	default:
		if len(p) < 2 {
			return 0
		}
		return int(p[1]&0x3F) * frame
	}
}

// opusDuration is the length of an Opus packet.
func opusDuration(p []byte) time.Duration {
	return time.Duration(opusSamples(p)) * time.Second / media.OpusRate
}
