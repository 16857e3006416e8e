package media

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// spoolFlushEvery bounds how much audio a killed process can lose:
// buffered PCM reaches the file (the OS keeps it if the process dies) at
// least this often. A write per quarter second costs nothing.
const spoolFlushEvery = 250 * time.Millisecond

// Spool is the sink stage: it appends PCM to a file on disk as raw
// little-endian int16, so a take of any length costs no memory.
//
// A write the disk refuses (a full disk: ENOSPC) is final: the spool takes
// nothing after it, and on Close it keeps the whole sample frames that
// reached the file before it, so the take up to the last good write can
// still be saved.
type Spool struct {
	Path       string
	SampleRate int
	Channels   int
	Stats      *Stats

	f         *os.File
	out       io.Writer // the file, or a test's wrapper around it
	w         *bufio.Writer
	bytes     int64 // taken by Write (buffered or written)
	written   int64 // reached the file
	err       error // the first failed write; nothing is taken after it
	lastFlush time.Time
}

// CreateSpool creates (or truncates) the spool file at path.
func CreateSpool(path string, sampleRate, channels int, stats *Stats) (*Spool, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("media: create spool: %w", err)
	}
	s := &Spool{
		Path: path, SampleRate: sampleRate, Channels: channels, Stats: stats,
		f: f, out: f, lastFlush: time.Now(),
	}
	// 16 KiB: the 250 ms flush empties it anyway (24 KB at 48 kHz mono),
	// and it is held per live take: at 200 takes a core, 64 KiB each was
	// 10 MB for nothing.
	s.w = bufio.NewWriterSize(writerFunc(s.writeFile), 16<<10)
	return s, nil
}

// writeFile is what the buffer flushes into: it counts what reached the
// file, a short write included.
func (s *Spool) writeFile(p []byte) (int, error) {
	n, err := s.out.Write(p)
	s.written += int64(n)
	return n, err
}

// Write appends one block. Its format must match the spool's. After a
// write has failed, every Write returns that failure.
func (s *Spool) Write(p PCM) error {
	if p.SampleRate != s.SampleRate || p.Channels != s.Channels {
		return fmt.Errorf("media: spool is %d Hz × %d, got %d Hz × %d: %w",
			s.SampleRate, s.Channels, p.SampleRate, p.Channels, ErrInvalid)
	}
	if s.err != nil {
		return s.err
	}
	if err := s.convert(p.Samples); err != nil {
		return s.fail(err)
	}
	s.bytes += int64(2 * len(p.Samples))
	s.Stats.OutputFrames.Add(int64(p.Frames()))
	if time.Since(s.lastFlush) >= spoolFlushEvery {
		s.lastFlush = time.Now()
		if err := s.w.Flush(); err != nil {
			return s.fail(err)
		}
	}
	return nil
}

// convert writes samples as 16-bit PCM straight into the buffer's free
// space, each sample once, flushing the buffer whenever it fills: a block
// that does not fit is split across flushes.
func (s *Spool) convert(samples []float32) error {
	for len(samples) > 0 {
		if s.w.Available() < 2 {
			if err := s.w.Flush(); err != nil {
				return err
			}
		}
		n := min(len(samples), s.w.Available()/2)
		// Write of AvailableBuffer's own bytes is no copy.
		if _, err := s.w.Write(AppendS16LE(s.w.AvailableBuffer(), samples[:n])); err != nil {
			return err
		}
		samples = samples[n:]
	}
	return nil
}

// fail makes a write error final.
func (s *Spool) fail(err error) error {
	s.err = fmt.Errorf("media: write spool %s: %w", s.Path, err)
	return s.err
}

// Err returns the write error that ended the spool, or nil.
func (s *Spool) Err() error { return s.err }

// Bytes returns how many PCM bytes the take holds: those written, or after
// a failed write the whole sample frames that reached the file.
func (s *Spool) Bytes() int64 {
	if s.err != nil {
		return s.kept()
	}
	return s.bytes
}

// kept is the written bytes, less a sample frame a short write cut.
func (s *Spool) kept() int64 {
	frame := int64(2 * s.Channels)
	return s.written / frame * frame
}

// Close flushes and closes the file; the spool stays on disk. After a
// failed write it cuts the file to the whole frames before the failure.
func (s *Spool) Close() error {
	if s.f == nil {
		return nil
	}
	var err error
	if s.err == nil {
		if ferr := s.w.Flush(); ferr != nil {
			err = s.fail(ferr)
		}
	}
	if s.err != nil {
		// Cutting a file needs no free space; counters follow the file.
		err = errors.Join(err, s.f.Truncate(s.kept()))
		s.Stats.OutputFrames.Store(s.kept() / int64(2*s.Channels))
	}
	err = errors.Join(err, s.f.Close())
	s.f = nil
	if err != nil {
		return fmt.Errorf("media: close spool: %w", err)
	}
	return nil
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
