package media

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// WAVHeaderSize is the size of the canonical 16-bit PCM WAV header that
// WAVHeader writes.
const WAVHeaderSize = 44

// WAVMIME is the media type of the WAV files this package writes.
const WAVMIME = "audio/wav"

// WAVHeader returns the 44-byte header of a 16-bit PCM WAV file holding
// dataBytes bytes of interleaved samples.
func WAVHeader(sampleRate, channels int, dataBytes int64) []byte {
	const bitsPerSample = 16
	blockAlign := channels * bitsPerSample / 8
	h := make([]byte, 0, WAVHeaderSize)
	h = append(h, "RIFF"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(36+dataBytes))
	h = append(h, "WAVEfmt "...)
	h = binary.LittleEndian.AppendUint32(h, 16) // fmt chunk size
	h = binary.LittleEndian.AppendUint16(h, 1)  // PCM
	h = binary.LittleEndian.AppendUint16(h, uint16(channels))
	h = binary.LittleEndian.AppendUint32(h, uint32(sampleRate))
	h = binary.LittleEndian.AppendUint32(h, uint32(sampleRate*blockAlign))
	h = binary.LittleEndian.AppendUint16(h, uint16(blockAlign))
	h = binary.LittleEndian.AppendUint16(h, bitsPerSample)
	h = append(h, "data"...)
	h = binary.LittleEndian.AppendUint32(h, uint32(dataBytes))
	return h
}

// WAVInfo describes the PCM stream inside a WAV file.
type WAVInfo struct {
	SampleRate int
	Channels   int
	DataBytes  int64 // size of the data chunk
}

// Duration returns the length of the audio in seconds.
func (w WAVInfo) Duration() float64 {
	if w.SampleRate == 0 || w.Channels == 0 {
		return 0
	}
	return float64(w.DataBytes) / float64(2*w.Channels*w.SampleRate)
}

// ErrNotWAV reports input that is not a 16-bit PCM WAV file.
var ErrNotWAV = errors.New("not a 16-bit PCM WAV file")

// ReadWAVHeader reads chunks up to the start of the data chunk and leaves r
// positioned at the first sample. It accepts any chunk layout with a 16-bit
// PCM fmt chunk (other tools add LIST or fact chunks before data).
func ReadWAVHeader(r io.Reader) (WAVInfo, error) {
	var riff [12]byte
	if _, err := io.ReadFull(r, riff[:]); err != nil {
		return WAVInfo{}, fmt.Errorf("wav: read RIFF header: %w", err)
	}
	if string(riff[0:4]) != "RIFF" || string(riff[8:12]) != "WAVE" {
		return WAVInfo{}, ErrNotWAV
	}
	var info WAVInfo
	var haveFmt bool
	for {
		var chunk [8]byte
		if _, err := io.ReadFull(r, chunk[:]); err != nil {
			return WAVInfo{}, fmt.Errorf("wav: read chunk header: %w", err)
		}
		id, size := string(chunk[0:4]), int64(binary.LittleEndian.Uint32(chunk[4:8]))
		switch id {
		case "fmt ":
			if size < 16 {
				return WAVInfo{}, ErrNotWAV
			}
			var f [16]byte
			if _, err := io.ReadFull(r, f[:]); err != nil {
				return WAVInfo{}, fmt.Errorf("wav: read fmt chunk: %w", err)
			}
			format, bits := binary.LittleEndian.Uint16(f[0:2]), binary.LittleEndian.Uint16(f[14:16])
			if (format != 1 && format != 0xFFFE) || bits != 16 {
				return WAVInfo{}, ErrNotWAV
			}
			info.Channels = int(binary.LittleEndian.Uint16(f[2:4]))
			info.SampleRate = int(binary.LittleEndian.Uint32(f[4:8]))
			haveFmt = true
			if err := skip(r, size-16+size%2); err != nil {
				return WAVInfo{}, err
			}
		case "data":
			if !haveFmt || info.Channels == 0 || info.SampleRate == 0 {
				return WAVInfo{}, ErrNotWAV
			}
			info.DataBytes = size
			return info, nil
		default:
			if err := skip(r, size+size%2); err != nil {
				return WAVInfo{}, err
			}
		}
	}
}

func skip(r io.Reader, n int64) error {
	if _, err := io.CopyN(io.Discard, r, n); err != nil {
		return fmt.Errorf("wav: skip chunk: %w", err)
	}
	return nil
}
