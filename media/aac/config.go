package aac

import (
	"fmt"

	"github.com/avatarweb/recorder/media"
)

// ObjectTypeLC is the audioObjectType of AAC Low Complexity, the profile
// browsers' MediaRecorder encoders write.
const ObjectTypeLC = 2

// Config is what an AudioSpecificConfig (ISO/IEC 14496-3 §1.6.2.1, the
// DecoderSpecificInfo in an MP4's esds box) says about a stream.
type Config struct {
	ObjectType int
	SampleRate int
	Channels   int
	rateIndex  int // samplingFrequencyIndex, which picks the band tables
}

// sampleRates are the rates of samplingFrequencyIndex 0 to 12.
var sampleRates = [...]int{96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350}

// rateIndex is the samplingFrequencyIndex of rate, -1 for a rate without
// one (this decoder has no band tables for it).
func rateIndex(rate int) int {
	for i, r := range sampleRates {
		if r == rate {
			return i
		}
	}
	return -1
}

// ParseConfig reads an AudioSpecificConfig. Only AAC-LC of one or two
// channels (channelConfiguration 1 or 2) is accepted: that is what the
// decoder implements. An error unwraps to media.ErrInvalid.
func ParseConfig(asc []byte) (Config, error) {
	var b bitReader
	b.reset(asc)
	c := Config{ObjectType: b.read(5)}
	if c.ObjectType == 31 {
		c.ObjectType = 32 + b.read(6)
	}
	c.rateIndex = b.read(4)
	if c.rateIndex == 15 {
		c.SampleRate = b.read(24)
		c.rateIndex = rateIndex(c.SampleRate)
	} else if c.rateIndex < len(sampleRates) {
		c.SampleRate = sampleRates[c.rateIndex]
	} else {
		c.rateIndex = -1
	}
	c.Channels = b.read(4)
	switch {
	case b.overrun:
		return c, media.Invalidf("aac: %d-byte AudioSpecificConfig is too short", len(asc))
	case c.ObjectType != ObjectTypeLC:
		return c, media.Invalidf("aac: audio object type %d is not AAC-LC (2)", c.ObjectType)
	case c.rateIndex < 0:
		return c, media.Invalidf("aac: sample rate index or rate %d not supported", c.SampleRate)
	case c.Channels < 1 || c.Channels > 2:
		return c, media.Invalidf("aac: channel configuration %d not supported (mono or stereo only)", c.Channels)
	}
	if b.left() < 3 {
		return c, nil
	}
	// GASpecificConfig: frameLengthFlag, dependsOnCoreCoder (then a
	// 14-bit delay), extensionFlag.
	if b.bit() {
		return c, fmt.Errorf("aac: 960-sample frames not supported: %w", media.ErrInvalid)
	}
	if b.bit() {
		b.skip(14)
	}
	b.skip(1)
	// A backward-compatible extension (syncExtensionType 0x2b7) may
	// signal SBR, which would make this HE-AAC: its LC core decoded alone
	// would play at half the rate.
	if b.left() >= 16 && b.read(11) == 0x2b7 && b.read(5) == 5 && b.bit() {
		return c, fmt.Errorf("aac: HE-AAC (SBR) not supported: %w", media.ErrInvalid)
	}
	return c, nil
}
