package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/avatarweb/recorder/media"
)

const (
	// audioPrefix opens every recording Encode writes.
	audioPrefix = `{"audio_data":"`

	// chunkDecoded is how many audio bytes are encoded or decoded at a time;
	// a multiple of 3, so each chunk but the last encodes without padding.
	chunkDecoded = 48 << 10
	chunkEncoded = chunkDecoded / 3 * 4
)

// Encode writes a whole recording to w, one chunk at a time: the
// audio_data member as base64 streamed from audio, which must yield exactly
// size bytes and then io.EOF, then meta's members, with meta.Bytes set to
// size. A size mismatch wraps media.ErrInvalid; ctx is checked between
// chunks. Every store writes its recordings with it.
func Encode(ctx context.Context, w io.Writer, audio io.Reader, size int64, meta Meta) error {
	if size < 0 {
		return fmt.Errorf("negative size %d: %w", size, media.ErrInvalid)
	}
	meta.Bytes = size
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("encode metadata: %w", err)
	}
	return encode(ctx, w, audio, size, metaJSON)
}

// encode writes the recording: the audio_data member streamed from exactly
// size bytes of audio, then the members of metaJSON (a JSON object).
func encode(ctx context.Context, w io.Writer, audio io.Reader, size int64, metaJSON []byte) error {
	raw := make([]byte, chunkDecoded)
	enc := make([]byte, chunkEncoded)
	if _, err := io.WriteString(w, audioPrefix); err != nil {
		return err
	}
	for done := int64(0); done < size; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int(min(size-done, chunkDecoded))
		got, err := io.ReadFull(audio, raw[:n])
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("audio ended after %d of %d bytes: %w", done+int64(got), size, media.ErrInvalid)
		}
		if err != nil {
			return fmt.Errorf("read audio: %w", err)
		}
		base64.StdEncoding.Encode(enc, raw[:n])
		if _, err := w.Write(enc[:base64.StdEncoding.EncodedLen(n)]); err != nil {
			return err
		}
		done += int64(n)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// The audio must end here: more bytes mean size was wrong.
	var extra [1]byte
	if got, err := io.ReadFull(audio, extra[:]); got > 0 {
		return fmt.Errorf("audio longer than %d bytes: %w", size, media.ErrInvalid)
	} else if !errors.Is(err, io.EOF) {
		return fmt.Errorf("read audio: %w", err)
	}
	// Close the string and splice in the other members: `","timestamp":...}`.
	tail := make([]byte, 0, len(metaJSON)+1)
	tail = append(tail, `",`...)
	tail = append(tail, metaJSON[1:]...)
	_, err := w.Write(tail)
	return err
}

// WAV turns pcmBytes bytes of little-endian int16 interleaved PCM into a
// WAV file to save, with meta's MIME, SampleRate, Channels and Duration set
// from the PCM: it returns the audio to stream, its size and the metadata.
// pcmBytes must be a whole number of frames.
func WAV(pcm io.Reader, pcmBytes int64, sampleRate, channels int, meta Meta) (io.Reader, int64, Meta, error) {
	frameBytes := 2 * int64(channels)
	switch {
	case sampleRate <= 0 || channels <= 0 || channels > math.MaxUint16 ||
		int64(sampleRate)*frameBytes > math.MaxUint32:
		return nil, 0, meta, fmt.Errorf("store: save wav: bad format %d Hz, %d channels: %w", sampleRate, channels, media.ErrInvalid)
	case pcmBytes < 0 || pcmBytes%frameBytes != 0:
		return nil, 0, meta, fmt.Errorf("store: save wav: %d bytes is not a whole number of %d-byte frames: %w", pcmBytes, frameBytes, media.ErrInvalid)
	case pcmBytes > math.MaxUint32-(media.WAVHeaderSize-8):
		return nil, 0, meta, fmt.Errorf("store: save wav: %d bytes is too long for a WAV file: %w", pcmBytes, media.ErrInvalid)
	}
	info := media.WAVInfo{SampleRate: sampleRate, Channels: channels, DataBytes: pcmBytes}
	meta.MIME = media.WAVMIME
	meta.SampleRate = sampleRate
	meta.Channels = channels
	meta.Duration = info.Duration()
	header := media.WAVHeader(sampleRate, channels, pcmBytes)
	return io.MultiReader(bytes.NewReader(header), pcm), int64(len(header)) + pcmBytes, meta, nil
}
