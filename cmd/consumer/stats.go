package main

import (
	"fmt"
	"time"

	"github.com/avatarweb/recorder/media/feed"
)

// stats counts what arrives, per interval and in total.
type stats struct {
	batches, frames int64
	mouth           float64 // sum over the interval's frames
	voice           int64   // frames with voice in the interval
	age             time.Duration

	totalBatches, totalFrames int64
	dropped                   int64 // as the latest header reports
}

// add counts one batch received at now.
func (s *stats) add(h feed.Header, now time.Time) {
	s.batches++
	s.frames += int64(h.Frames)
	for _, f := range h.Features {
		s.mouth += float64(f.Mouth)
		if f.Voice {
			s.voice++
		}
	}
	s.age += now.Sub(time.UnixMilli(h.SentAt))
	s.totalBatches++
	s.totalFrames += int64(h.Frames)
	s.dropped = h.Dropped
}

// interval describes the interval since the last call and starts the next.
func (s *stats) interval() string {
	line := fmt.Sprintf("batches=%d frames=%d dropped=%d", s.batches, s.frames, s.dropped)
	if s.frames > 0 {
		line += fmt.Sprintf(" mouth=%.2f voice=%.2f", s.mouth/float64(s.frames), float64(s.voice)/float64(s.frames))
	}
	if s.batches > 0 {
		line += fmt.Sprintf(" age=%s", (s.age / time.Duration(s.batches)).Round(time.Millisecond))
	}
	s.batches, s.frames, s.mouth, s.voice, s.age = 0, 0, 0, 0, 0
	return line
}

// total describes everything received.
func (s *stats) total() string {
	return fmt.Sprintf("batches=%d frames=%d dropped=%d", s.totalBatches, s.totalFrames, s.dropped)
}
