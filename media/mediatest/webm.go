package mediatest

import (
	"encoding/binary"
	"math"
	"time"
)

// WebMBlock is one Opus packet of a WebM file and its timestamp.
type WebMBlock struct {
	At     time.Duration // from the file's start, at millisecond ticks
	Packet []byte
}

// WebMOpus builds a WebM file of one Opus track (head is its OpusHead) of
// channels channels, one SimpleBlock per Cluster, each stamped as given:
// a file whose timestamps say what a test needs (a gap, an overlap),
// which no MediaRecorder writes on demand.
func WebMOpus(head []byte, channels int, blocks []WebMBlock) []byte {
	ebml := element(0x1A45DFA3,
		uintElement(0x4286, 1), uintElement(0x42F7, 1), uintElement(0x42F2, 4), uintElement(0x42F3, 8),
		element(0x4282, []byte("webm")), uintElement(0x4287, 4), uintElement(0x4285, 2))
	info := element(0x1549A966, uintElement(0x2AD7B1, 1_000_000), element(0x4D80, []byte("mediatest")))
	rate := binary.BigEndian.AppendUint64(nil, math.Float64bits(48000))
	tracks := element(0x1654AE6B, element(0xAE,
		uintElement(0xD7, 1), uintElement(0x73C5, 1), uintElement(0x83, 2),
		element(0x86, []byte("A_OPUS")), element(0x63A2, head),
		element(0xE1, element(0xB5, rate), uintElement(0x9F, uint64(channels)))))
	body := [][]byte{info, tracks}
	for _, b := range blocks {
		simple := append([]byte{0x81, 0, 0, 0x80}, b.Packet...) // track 1, relative time 0, keyframe
		body = append(body, element(0x1F43B675, uintElement(0xE7, uint64(b.At/time.Millisecond)), element(0xA3, simple)))
	}
	return append(ebml, element(0x18538067, body...)...)
}

// element is an EBML element: its ID as written, an 8-byte size, its
// children.
func element(id uint32, children ...[]byte) []byte {
	var out []byte
	for shift := 24; shift >= 0; shift -= 8 {
		if b := byte(id >> shift); b != 0 || len(out) > 0 {
			out = append(out, b)
		}
	}
	n := 0
	for _, c := range children {
		n += len(c)
	}
	out = binary.BigEndian.AppendUint64(out, uint64(n)|1<<56)
	for _, c := range children {
		out = append(out, c...)
	}
	return out
}

func uintElement(id uint32, v uint64) []byte {
	return element(id, binary.BigEndian.AppendUint64(nil, v))
}
