package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/feed"
)

// maxWAVData is the most PCM a WAV file can hold: its sizes are 32-bit.
const maxWAVData = math.MaxUint32 - (media.WAVHeaderSize - 8)

// wavFile writes the PCM of feed batches to a 16-bit WAV file: a placeholder
// header first, rewritten on Close with the format of the first batch and
// the real size.
type wavFile struct {
	path           string
	f              *os.File
	w              *bufio.Writer
	rate, channels int // of the first batch; 0 before it
	bytes          int64
	buf            []byte
}

// createWAV creates (or truncates) the file at path and writes a
// placeholder header.
func createWAV(path string) (*wavFile, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create wav: %w", err)
	}
	w := &wavFile{path: path, f: f, w: bufio.NewWriterSize(f, 256<<10)}
	if _, err := w.w.Write(w.header()); err != nil {
		return nil, errors.Join(fmt.Errorf("write wav %s: %w", path, err), f.Close())
	}
	return w, nil
}

// header returns the WAV header for what has been written so far; before
// the first batch it states the default format.
func (w *wavFile) header() []byte {
	rate, channels := w.rate, w.channels
	if rate == 0 {
		p := media.DefaultParams()
		rate, channels = p.SampleRate, p.Channels
	}
	return media.WAVHeader(rate, channels, w.bytes)
}

// Write appends the PCM of one batch, which must have the format of the
// first.
func (w *wavFile) Write(h feed.Header, pcm []int16) error {
	if w.rate == 0 {
		w.rate, w.channels = h.SampleRate, h.Channels
	} else if h.SampleRate != w.rate || h.Channels != w.channels {
		return fmt.Errorf("batch %d is %d Hz × %d, earlier batches %d Hz × %d: a WAV file holds one format",
			h.Batch, h.SampleRate, h.Channels, w.rate, w.channels)
	}
	n := 2 * int64(len(pcm))
	if w.bytes+n > maxWAVData {
		return fmt.Errorf("wav %s: full at %d bytes of PCM", w.path, w.bytes)
	}
	w.buf = w.buf[:0]
	for _, s := range pcm {
		w.buf = binary.LittleEndian.AppendUint16(w.buf, uint16(s))
	}
	if _, err := w.w.Write(w.buf); err != nil {
		return fmt.Errorf("write wav %s: %w", w.path, err)
	}
	w.bytes += n
	return nil
}

// Seconds returns the duration of the audio written.
func (w *wavFile) Seconds() float64 {
	return media.WAVInfo{SampleRate: w.rate, Channels: w.channels, DataBytes: w.bytes}.Duration()
}

// Close flushes, rewrites the header with the real size and closes the
// file. It may be called more than once.
func (w *wavFile) Close() error {
	if w.f == nil {
		return nil
	}
	err := w.w.Flush()
	if err == nil {
		_, err = w.f.WriteAt(w.header(), 0)
	}
	err = errors.Join(err, w.f.Close())
	w.f = nil
	if err != nil {
		return fmt.Errorf("finish wav %s: %w", w.path, err)
	}
	return nil
}
