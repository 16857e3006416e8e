package mediatest

import (
	"bytes"
	"slices"

	"github.com/avatarweb/recorder/media/ogg"
)

// OggPackets reads an Ogg Opus file as a take kept as Opus holds it: the
// stream's Info, its audio packets (copies) and how many lost frames
// (one-byte packets standing for time without packets) it has.
func OggPackets(b []byte) (info ogg.Info, audio [][]byte, lost int, err error) {
	if info, err = ogg.Probe(bytes.NewReader(b)); err != nil {
		return info, nil, 0, err
	}
	err = ogg.Packets(bytes.NewReader(b), func(_ int64, p []byte) error {
		if len(p) == 1 {
			lost++
		} else {
			audio = append(audio, slices.Clone(p))
		}
		return nil
	})
	return info, audio, lost, err
}
