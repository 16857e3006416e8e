package config

import (
	"errors"
	"flag"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/avatarweb/recorder/media"
)

// DefaultOpusBitrate is what browsers are asked to send live Opus at:
// speech stays clear at it, and an hour of it kept as Opus is about 13 MB
// of Ogg (17 MB of JSON), where Firefox left alone sends 66 kbit/s.
const DefaultOpusBitrate = 28000

// Sessions bounds live WebRTC sessions.
type Sessions struct {
	// Max is a fixed cap on live sessions; 0 (-max-sessions auto)
	// admits by the measured load instead (rtc.Admission).
	Max            int
	MaxPerClient   int           // and per client
	ConnectTimeout time.Duration // a session with no audio by then ends
	MaxTakeTime    time.Duration // a live take stops by itself after this
	DraftTTL       time.Duration // an unsaved live take is forgotten (kept on disk) after this
	// ReorderMaxHold bounds how long a live session waits for a missing
	// packet; below it the wait follows the measured jitter.
	ReorderMaxHold time.Duration
	OfferTimeout   time.Duration // bounds ICE gathering while answering
	// LiveFormat is what live takes are kept as until someone chooses
	// (the format processing parameter): wav or opus.
	LiveFormat string
	// OpusBitrate is the average bit rate browsers are asked to send live
	// Opus at (bits/s; 0: their own choice).
	OpusBitrate int

	max string // -max-sessions as given
}

func (s *Sessions) declare(fs *flag.FlagSet, e *env) {
	fs.StringVar(&s.max, "max-sessions", e.str("RECORDER_MAX_SESSIONS", "auto"), "live WebRTC sessions at once: auto admits a new one while the measured CPU and lag of those live leave room for it, a number is a fixed cap instead; beyond it 503 with Retry-After (env RECORDER_MAX_SESSIONS)")
	fs.IntVar(&s.MaxPerClient, "max-sessions-per-client", e.int("RECORDER_MAX_SESSIONS_PER_CLIENT", 8), "live WebRTC sessions at once per client IP (IPv6: per /64), connected or still connecting; beyond it 429 (env RECORDER_MAX_SESSIONS_PER_CLIENT)")
	fs.DurationVar(&s.ConnectTimeout, "connect-timeout", e.duration("RECORDER_CONNECT_TIMEOUT", 10*time.Second), "a WebRTC session whose audio has not arrived this long after its offer was answered ends, freeing its slot (env RECORDER_CONNECT_TIMEOUT)")
	fs.DurationVar(&s.MaxTakeTime, "max-take-time", e.duration("RECORDER_MAX_TAKE_TIME", 4*time.Hour), "a live take stops by itself after this long and stays a draft (env RECORDER_MAX_TAKE_TIME)")
	fs.DurationVar(&s.DraftTTL, "draft-ttl", e.duration("RECORDER_DRAFT_TTL", 24*time.Hour), "a stopped live take neither saved nor discarded is forgotten after this long; its spool stays on disk and the next start recovers it (env RECORDER_DRAFT_TTL)")
	fs.DurationVar(&s.ReorderMaxHold, "reorder-max-hold", e.duration("RECORDER_REORDER_MAX_HOLD", media.DefaultReorderMaxHold), "longest a live session waits for a missing RTP packet before it counts it lost; below it the wait follows the measured jitter, 1ms-2s (env RECORDER_REORDER_MAX_HOLD)")
	fs.IntVar(&s.OpusBitrate, "opus-bitrate", e.int("RECORDER_OPUS_BITRATE", DefaultOpusBitrate), "average bit rate in bits/s a browser is asked to send a live take's Opus at (maxaveragebitrate in the answer): what an Opus take costs on disk, about 17 MB an hour at 28000 as JSON; 6000-510000, or 0 for the browser's own choice (Chromium about 32000, Firefox about 66000) (env RECORDER_OPUS_BITRATE)")
	fs.StringVar(&s.LiveFormat, "live-format", e.str("RECORDER_LIVE_FORMAT", media.FormatWAV), "what a live take is kept as until the format parameter is set: wav (PCM at the sample rate and channels, about 460 MB an hour at 48 kHz mono) or opus (the browser's packets as sent, in Ogg: about 20 MB an hour) (env RECORDER_LIVE_FORMAT)")
}

func (s *Sessions) finish(*Config) error {
	if s.max != "auto" {
		n, err := strconv.Atoi(s.max)
		if err != nil || n < 1 {
			return fmt.Errorf("-max-sessions %q: want auto or a number of at least 1", s.max)
		}
		s.Max = n
	}
	if s.MaxPerClient < 1 || s.MaxTakeTime <= 0 || s.DraftTTL <= 0 || s.ConnectTimeout <= 0 {
		return errors.New("-max-sessions-per-client must be at least 1, -max-take-time, -draft-ttl and -connect-timeout positive")
	}
	if s.ReorderMaxHold < time.Millisecond || s.ReorderMaxHold > 2*time.Second {
		return errors.New("-reorder-max-hold must be 1ms-2s")
	}
	if s.OpusBitrate != 0 && (s.OpusBitrate < 6000 || s.OpusBitrate > 510000) {
		return errors.New("-opus-bitrate must be 6000-510000 (RFC 7587), or 0 for the browser's choice")
	}
	if !slices.Contains(media.Formats, s.LiveFormat) {
		return errors.New("-live-format must be wav or opus")
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
