package media

// NewOpusDecoder returns the build's Opus decoder (pion/opus, or libopus
// with -tags libopus), for tests that decode what was kept.
func NewOpusDecoder(channels int) (interface {
	DecodeToFloat32(in []byte, out []float32) (int, error)
}, error) {
	return newOpusDecoder(channels)
}
