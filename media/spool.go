package media

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"time"
)

// spoolFlushEvery bounds how much audio a killed process can lose:
// buffered PCM reaches the file (the OS keeps it if the process dies) at
// least this often. A write per quarter second costs nothing.
const spoolFlushEvery = 250 * time.Millisecond

// Spool is the sink stage: it appends PCM to a file on disk as raw
// little-endian int16, so a take of any length costs no memory.
type Spool struct {
	Path       string
	SampleRate int
	Channels   int
	Stats      *Stats

	f         *os.File
	w         *bufio.Writer
	buf       []byte
	bytes     int64
	lastFlush time.Time
}

// CreateSpool creates (or truncates) the spool file at path.
func CreateSpool(path string, sampleRate, channels int, stats *Stats) (*Spool, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("media: create spool: %w", err)
	}
	return &Spool{
		Path: path, SampleRate: sampleRate, Channels: channels, Stats: stats,
		f: f, w: bufio.NewWriterSize(f, 64<<10), lastFlush: time.Now(),
	}, nil
}

// Write appends one block. Its format must match the spool's.
func (s *Spool) Write(p PCM) error {
	if p.SampleRate != s.SampleRate || p.Channels != s.Channels {
		return fmt.Errorf("media: spool is %d Hz × %d, got %d Hz × %d: %w",
			s.SampleRate, s.Channels, p.SampleRate, p.Channels, ErrInvalid)
	}
	s.buf = AppendS16LE(s.buf[:0], p.Samples)
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("media: write spool: %w", err)
	}
	s.bytes += int64(len(s.buf))
	s.Stats.OutputFrames.Add(int64(p.Frames()))
	if time.Since(s.lastFlush) >= spoolFlushEvery {
		s.lastFlush = time.Now()
		if err := s.w.Flush(); err != nil {
			return fmt.Errorf("media: flush spool: %w", err)
		}
	}
	return nil
}

// Bytes returns how many PCM bytes have been written.
func (s *Spool) Bytes() int64 { return s.bytes }

// Close flushes and closes the file; the spool stays on disk.
func (s *Spool) Close() error {
	if s.f == nil {
		return nil
	}
	err := s.w.Flush()
	err = errors.Join(err, s.f.Close())
	s.f = nil
	if err != nil {
		return fmt.Errorf("media: close spool: %w", err)
	}
	return nil
}

// Run is the stage loop: it writes every block from in until in closes or
// ctx ends, then closes the spool. When out is not nil each block is passed
// on after it is written (the spool is a tee in front of the framer), and
// out is closed at the end.
func (s *Spool) Run(ctx context.Context, in <-chan PCM, out chan<- PCM) error {
	defer s.Close()
	if out != nil {
		defer close(out)
	}
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case p, ok := <-in:
			if !ok {
				return s.Close()
			}
			if err := s.Write(p); err != nil {
				return err
			}
			if out == nil {
				continue
			}
			select {
			case out <- p:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
	}
}
