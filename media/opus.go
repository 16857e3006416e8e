package media

// OpusDecoder decodes one Opus packet into interleaved float32 PCM at
// 48 kHz and returns the samples per channel it wrote. The default build
// uses pion/opus (pure Go); -tags libopus uses the reference C library
// through cgo, for a measured baseline and for users who can link it.
type OpusDecoder interface {
	DecodeToFloat32(in []byte, out []float32) (int, error)
}

type opusDecoder = OpusDecoder

// NewOpusDecoder returns the build's Opus decoder, the one the live path
// decodes with, for whatever else decodes a take (exports, tests).
func NewOpusDecoder(channels int) (OpusDecoder, error) {
	return newOpusDecoder(channels)
}
