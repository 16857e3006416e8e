// Package store is the contract of a recordings store: the recording
// file (the seed app's JSON, the audio as standard padded base64 first so
// it streams: {"audio_data":"UklGR...","processing_parameters":{...},...}),
// its names (recording_YYYYMMDD_HHMMSS.json, _2, _3... on a collision),
// how it is written (Encode) and read with seeks (Load), and the Store
// interface both stores implement: a directory (internal/dirstore) and an
// S3 bucket (internal/s3store). storetest is the suite they both pass.
// Takes can be an hour long, so nothing here holds a whole take in
// memory: Encode streams base64 from a reader, and Load returns a
// seekable reader that decodes the base64 on demand.
package store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"time"

	"github.com/avatarweb/recorder/media"
)

// Store keeps recording files. It is safe for concurrent use.
type Store interface {
	// Save streams exactly size bytes of audio (a WAV, WebM, ... file)
	// into a new recording and returns its name: the first free of
	// NameFor's names for now (never overwriting a recording). meta.Bytes
	// is set to size and an empty meta.Timestamp to now. Audio that yields
	// fewer or more bytes wraps media.ErrInvalid, a full disk
	// media.ErrDiskFull; nothing is left behind when it fails.
	Save(ctx context.Context, audio io.Reader, size int64, meta Meta) (string, error)
	// Open opens a recording's audio for reading with seeks (HTTP Range).
	// An invalid name wraps media.ErrInvalid, an absent one
	// media.ErrNotFound, an unparsable file ErrCorrupt.
	Open(ctx context.Context, name string) (*Recording, error)
	// OpenFile opens a recording's JSON file as stored, with its size.
	OpenFile(ctx context.Context, name string) (io.ReadCloser, int64, error)
	// SetMeta rewrites a recording's metadata (its title, say) with edit,
	// leaving its audio byte for byte; a reader sees the old file or the
	// new, never a mix. A file not in the streaming layout wraps
	// ErrCorrupt. The caller keeps it from racing a removal of the same
	// recording, which it would bring back.
	SetMeta(ctx context.Context, name string, edit func(*Meta)) error
	// Names lists the recordings.
	Names(ctx context.Context) ([]string, error)
	// Remove deletes a recording.
	Remove(ctx context.Context, name string) error
	// StageRemove moves a recording aside, where Names and Open no longer
	// see it, to be put back or deleted (Staged).
	StageRemove(ctx context.Context, name string) (Staged, error)
	// Trash lists recordings a crash left aside.
	Trash(ctx context.Context) ([]Staged, error)
	// Ping checks that the store answers, for readiness probes.
	Ping(ctx context.Context) error
}

// TrashPrefix marks a recording moved aside for deletion, in every store.
// ValidName refuses such names, so a file in the trash is never listed or
// served.
const TrashPrefix = ".trash-"

// Staged is a recording moved aside for deletion, by any store. It lets
// the library remove the file and its index row together: the row is
// deleted only once the file is out of the way, and the file comes back
// if the row cannot go. Exactly one of Undo or Done follows.
type Staged interface {
	Name() string
	Undo() error
	Done() error
}

// TimeFormat is how timestamps are written: ISO 8601 in UTC to the
// millisecond, so text order is time order.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// ErrCorrupt marks a recording file whose contents cannot be parsed.
var ErrCorrupt = errors.New("corrupt recording")

// MaxSuffix bounds the _2, _3, ... names tried for one second.
const MaxSuffix = 10000

var validName = regexp.MustCompile(`^recording_[0-9]{8}_[0-9]{6}(_[0-9]+)?\.json$`)

// ValidName reports whether name is a recording file name:
// recording_YYYYMMDD_HHMMSS.json, optionally with a _N suffix before .json.
// No other name is ever opened or removed.
func ValidName(name string) bool {
	return validName.MatchString(name)
}

// NameFor returns the i-th name a recording saved at now may take, i from
// 1 to MaxSuffix: recording_YYYYMMDD_HHMMSS.json (in now's location) for
// 1, then _2.json, _3.json, ... Every store tries them in order and takes
// the first free one, never overwriting a recording.
func NameFor(now time.Time, i int) (string, error) {
	base := now.Format("recording_20060102_150405")
	name := base + ".json"
	if i > 1 {
		name = base + "_" + strconv.Itoa(i) + ".json"
	}
	if i < 1 || i > MaxSuffix || !ValidName(name) {
		return "", fmt.Errorf("no valid recording name %d for %s", i, base)
	}
	return name, nil
}

// Meta is the metadata saved beside the audio, in the seed app's field names.
type Meta struct {
	ProcessingParameters media.Params     `json:"processing_parameters"`
	Timestamp            string           `json:"timestamp"`         // ISO 8601 UTC with ms; Save fills it from Now if empty
	Duration             float64          `json:"duration"`          // seconds
	WebRTCSessionID      string           `json:"webrtc_session_id"` // empty for mediarecorder takes
	TakeID               string           `json:"take_id,omitempty"` // the take it was saved from, once only
	MIME                 string           `json:"mime"`              // of the audio file: "audio/wav", "audio/webm", ...
	SampleRate           int              `json:"sample_rate"`
	Channels             int              `json:"channels"`
	Mode                 string           `json:"mode"`            // "webrtc" or "mediarecorder"
	Bytes                int64            `json:"bytes"`           // size of the decoded audio file; set by Save
	Stats                map[string]int64 `json:"stats,omitempty"` // counters of the live session (packets, lost, ...)
	// ParamChanges lists where fps or batch size changed during the take.
	ParamChanges []media.ParamChange `json:"param_changes,omitempty"`
	// Title is the name the user gave it; SetMeta writes it.
	Title string `json:"title,omitempty"`
	// TrimmedFrom names the recording this one was trimmed from, and
	// Trim the part of it kept ([start, end] in seconds).
	TrimmedFrom string    `json:"trimmed_from,omitempty"`
	Trim        []float64 `json:"trim,omitempty"`
}
