//go:build !libopus

package media

// HaveOpusEncoder reports whether NewOpusEncoder works in this build.
const HaveOpusEncoder = false

func newOpusEncoder(rate, channels, bitrate int) (OpusEncoder, error) {
	return nil, ErrNoOpusEncoder
}
