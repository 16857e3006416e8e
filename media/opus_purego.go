//go:build !libopus

package media

import "github.com/pion/opus"

// OpusDecoderName names the Opus decoder this build uses.
const OpusDecoderName = "pion/opus"

func newOpusDecoder(channels int) (opusDecoder, error) {
	dec, err := opus.NewDecoderWithOutput(OpusRate, channels)
	if err != nil {
		return nil, err
	}
	return &dec, nil
}
