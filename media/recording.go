package media

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Recording is the metadata of one saved recording file.
type Recording struct {
	ID             int64
	Filename       string
	CreatedAt      time.Time
	Duration       float64 // seconds
	SampleRate     int
	Channels       int
	FPS            int
	BatchSize      int
	Mode           string // "webrtc" or "mediarecorder"
	MIME           string
	Bytes          int64
	SessionID      string
	Title          string  // the user's name for it; "" until renamed
	ClientDuration float64 // seconds the browser claimed; 0 when unknown
	Peaks          []byte  // waveform thumbnail: one 0-255 level per bucket
	Missing        bool    // the file was not found at the last start
	Damaged        bool    // the file could not be read at the last start
	TakeID         string  // the take it was saved from; "" for older rows
	Waveform       string  // SVG path of Peaks, drawn at save; "" for older rows
	// DeletedAt is when the recording went to "Recently deleted"; zero
	// while it is in the library.
	DeletedAt time.Time
}

// MaxTitle bounds a recording's title, in characters.
const MaxTitle = 200

// Modes: how a recording was made.
const (
	ModeWebRTC        = "webrtc"        // streamed live to the server
	ModeMediaRecorder = "mediarecorder" // recorded in the browser, uploaded
)

// CleanTitle checks a title a person gave a recording and returns it
// trimmed: valid UTF-8, at most MaxTitle characters, no control characters.
func CleanTitle(title string) (string, error) {
	title = strings.TrimSpace(title)
	if !utf8.ValidString(title) {
		return "", Invalidf("the title is not valid UTF-8 text")
	}
	if utf8.RuneCountInString(title) > MaxTitle || strings.ContainsFunc(title, unicode.IsControl) {
		return "", Invalidf("a title is at most %d characters, without control characters", MaxTitle)
	}
	return title, nil
}

// Cursor is a place in the list, newest first: the created_at and id of
// a recording. The zero Cursor is the top of the list.
type Cursor struct {
	CreatedAt time.Time
	ID        int64
}

// IsZero reports whether c is the top of the list.
func (c Cursor) IsZero() bool { return c.ID == 0 }

// CursorOf is the place of r in the list.
func CursorOf(r Recording) Cursor { return Cursor{CreatedAt: r.CreatedAt, ID: r.ID} }

// recoveredPrefix and recoveredLayout make the title of a take the server
// saved by itself at start: the moment in UTC, which pages show in the
// viewer's own time zone and clock, as they show every other time.
const (
	recoveredPrefix = "Recovered "
	recoveredLayout = "2006-01-02 15:04 UTC"
)

// RecoveredTitle is the title of a take recovered at start, made at t.
func RecoveredTitle(t time.Time) string {
	return recoveredPrefix + t.UTC().Format(recoveredLayout)
}

// RecoveredAt returns the moment a RecoveredTitle names, if title is one.
func RecoveredAt(title string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(title, recoveredPrefix)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(recoveredLayout, rest)
	return t, err == nil
}
