package config

import (
	"errors"
	"flag"
	"time"

	"github.com/avatarweb/recorder/media"
)

// Sessions bounds live WebRTC sessions.
type Sessions struct {
	Max            int           // live at once
	MaxPerClient   int           // and per client
	ConnectTimeout time.Duration // a session with no audio by then ends
	MaxTakeTime    time.Duration // a live take stops by itself after this
	DraftTTL       time.Duration // an unsaved live take is forgotten (kept on disk) after this
	// ReorderMaxHold bounds how long a live session waits for a missing
	// packet; below it the wait follows the measured jitter.
	ReorderMaxHold time.Duration
	OfferTimeout   time.Duration // bounds ICE gathering while answering
}

func (s *Sessions) declare(fs *flag.FlagSet, e *env) {
	fs.IntVar(&s.Max, "max-sessions", e.int("RECORDER_MAX_SESSIONS", 32), "live WebRTC sessions at once; beyond it 503 (env RECORDER_MAX_SESSIONS)")
	fs.IntVar(&s.MaxPerClient, "max-sessions-per-client", e.int("RECORDER_MAX_SESSIONS_PER_CLIENT", 8), "live WebRTC sessions at once per client IP (IPv6: per /64), connected or still connecting; beyond it 429 (env RECORDER_MAX_SESSIONS_PER_CLIENT)")
	fs.DurationVar(&s.ConnectTimeout, "connect-timeout", e.duration("RECORDER_CONNECT_TIMEOUT", 10*time.Second), "a WebRTC session whose audio has not arrived this long after its offer was answered ends, freeing its slot (env RECORDER_CONNECT_TIMEOUT)")
	fs.DurationVar(&s.MaxTakeTime, "max-take-time", e.duration("RECORDER_MAX_TAKE_TIME", 4*time.Hour), "a live take stops by itself after this long and stays a draft (env RECORDER_MAX_TAKE_TIME)")
	fs.DurationVar(&s.DraftTTL, "draft-ttl", e.duration("RECORDER_DRAFT_TTL", 24*time.Hour), "a stopped live take neither saved nor discarded is forgotten after this long; its spool stays on disk and the next start recovers it (env RECORDER_DRAFT_TTL)")
	fs.DurationVar(&s.ReorderMaxHold, "reorder-max-hold", e.duration("RECORDER_REORDER_MAX_HOLD", media.DefaultReorderMaxHold), "longest a live session waits for a missing RTP packet before it counts it lost; below it the wait follows the measured jitter, 1ms-2s (env RECORDER_REORDER_MAX_HOLD)")
}

func (s *Sessions) finish(*Config) error {
	if s.Max < 1 || s.MaxPerClient < 1 || s.MaxTakeTime <= 0 || s.DraftTTL <= 0 || s.ConnectTimeout <= 0 {
		return errors.New("-max-sessions and -max-sessions-per-client must be at least 1, -max-take-time, -draft-ttl and -connect-timeout positive")
	}
	if s.ReorderMaxHold < time.Millisecond || s.ReorderMaxHold > 2*time.Second {
		return errors.New("-reorder-max-hold must be 1ms-2s")
	}
	s.OfferTimeout = 10 * time.Second
	return nil
}

// Uploads bounds MediaRecorder uploads.
type Uploads struct {
	Max          int   // open at once, in all
	MaxPerClient int   // and per client
	MaxTake      int64 // bytes: one take

	maxTakeMiB int64
}

func (u *Uploads) declare(fs *flag.FlagSet, e *env) {
	fs.Int64Var(&u.maxTakeMiB, "max-take", e.int64("RECORDER_MAX_TAKE", 2048), "largest MediaRecorder take in MiB (env RECORDER_MAX_TAKE)")
	fs.IntVar(&u.Max, "max-uploads", e.int("RECORDER_MAX_UPLOADS", 64), "MediaRecorder uploads open at once (begun, not yet saved, discarded or expired); beyond it 503 (env RECORDER_MAX_UPLOADS)")
	fs.IntVar(&u.MaxPerClient, "max-uploads-per-client", e.int("RECORDER_MAX_UPLOADS_PER_CLIENT", 8), "MediaRecorder uploads open at once per client IP (IPv6: per /64); beyond it 429 (env RECORDER_MAX_UPLOADS_PER_CLIENT)")
}

func (u *Uploads) finish(*Config) error {
	if u.Max < 1 || u.MaxPerClient < 1 {
		return errors.New("-max-uploads and -max-uploads-per-client must be at least 1")
	}
	if u.maxTakeMiB < 1 {
		return errors.New("-max-take must be at least 1 MiB")
	}
	u.MaxTake = u.maxTakeMiB << 20
	return nil
}
