package media

// opusDecoder decodes one Opus packet into interleaved float32 PCM at
// 48 kHz and returns the samples per channel it wrote. The default build
// uses pion/opus (pure Go); -tags libopus uses the reference C library
// through cgo, for a measured baseline and for users who can link it.
type opusDecoder interface {
	DecodeToFloat32(in []byte, out []float32) (int, error)
}
