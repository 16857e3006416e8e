package media

import "errors"

// ErrNoOpusEncoder marks a build without an Opus encoder: the default,
// pure-Go one (pion/opus decodes only). -tags libopus has one.
var ErrNoOpusEncoder = errors.New("this build has no Opus encoder")

// OpusFrame is the duration of the packets an OpusEncoder makes, in
// samples at 48 kHz: 20 ms, what browsers send.
const OpusFrame = OpusRate / 50

// OpusEncoder encodes 20 ms frames of interleaved float32 PCM into Opus
// packets at a constant bit rate: every packet is PacketBytes long, so a
// file's size is known before it is encoded.
type OpusEncoder interface {
	// Encode encodes one frame (FrameSize samples per channel) into out
	// (PacketBytes long) and returns the packet, out[:PacketBytes].
	Encode(pcm []float32, out []byte) ([]byte, error)
	// FrameSize is the samples per channel of a frame at the input rate.
	FrameSize() int
	// PacketBytes is the size of every packet.
	PacketBytes() int
	// Lookahead is the encoder's delay in samples at the input rate: the
	// pre-skip of its stream, once brought to 48 kHz.
	Lookahead() int
}

// OpusInputRate reports whether Opus encodes rate as it is (8, 12, 16,
// 24 or 48 kHz); other rates are resampled to 48 kHz first.
func OpusInputRate(rate int) bool {
	switch rate {
	case 8000, 12000, 16000, 24000, 48000:
		return true
	}
	return false
}

// NewOpusEncoder returns the build's Opus encoder for speech at rate (an
// OpusInputRate) and channels (1 or 2), bitrate bits a second, or
// ErrNoOpusEncoder.
func NewOpusEncoder(rate, channels, bitrate int) (OpusEncoder, error) {
	return newOpusEncoder(rate, channels, bitrate)
}
