package media

import (
	"errors"
	"fmt"
	"syscall"
)

// ErrInvalid marks input that breaks a domain rule; handlers map it to 4xx.
var ErrInvalid = errors.New("invalid")

// ErrConflict marks a request that clashes with existing state, such as a
// session id already in use.
var ErrConflict = errors.New("conflict")

// ErrNotFound marks a session or recording that does not exist.
var ErrNotFound = errors.New("not found")

// ErrBusy marks a request refused because the server is at a limit it
// sets itself (live sessions); trying again later may work.
var ErrBusy = errors.New("busy")

// ErrTooMany marks a request refused because its client holds as many of
// something as one client may (live takes, uploads); the HTTP layer maps
// it to 429.
var ErrTooMany = errors.New("too many")

// ErrDiskFull marks a write refused for want of space on the disk. Code
// that finds the disk full wraps it (see IsDiskFull for the system's own
// errors); handlers answer 507 with DiskFullMessage.
var ErrDiskFull = errors.New("disk full")

// DiskFullMessage is what users are told when the disk is full.
const DiskFullMessage = "the server's disk is full"

// IsDiskFull reports whether err says the disk is full: ErrDiskFull, or
// the system's ENOSPC or EDQUOT anywhere in its chain.
func IsDiskFull(err error) bool {
	return errors.Is(err, ErrDiskFull) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// ErrUnavailable marks a request that failed because something the server
// keeps recordings in, the recording store or the index database, does
// not answer. What the request held is still there (a draft, an upload),
// so trying again once it is back works; handlers answer 503 with
// UnavailableMessage.
var ErrUnavailable = errors.New("unavailable")

// UnavailableMessage is what users are told while the store or the index
// is out of reach.
const UnavailableMessage = "the recording store is unreachable; nothing was lost, try again"

// ErrDamaged marks a stored recording whose file cannot be read: the
// server's data is at fault, not the request, but the message says so
// plainly.
var ErrDamaged = errors.New("damaged")

// ErrBadAudio marks audio that does not parse as a container the server
// reads (WebM, Ogg, MP4, WAV): the request is well formed but its content
// cannot be processed. It is a kind of ErrInvalid.
var ErrBadAudio = fmt.Errorf("unreadable audio: %w", ErrInvalid)

// Error is a domain error whose Message is written for the person using
// the app. Kind is one of the sentinels above; Err, if any, is the cause,
// kept for logs and errors.Is but never shown.
type Error struct {
	Kind    error
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + ": " + e.Err.Error()
	}
	return e.Message
}

// Unwrap exposes both the kind and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Err == nil {
		return []error{e.Kind}
	}
	return []error{e.Kind, e.Err}
}

// Invalidf returns an ErrInvalid with a message for users.
func Invalidf(format string, args ...any) error {
	return &Error{Kind: ErrInvalid, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf returns an ErrNotFound with a message for users.
func NotFoundf(format string, args ...any) error {
	return &Error{Kind: ErrNotFound, Message: fmt.Sprintf(format, args...)}
}

// Conflictf returns an ErrConflict with a message for users.
func Conflictf(format string, args ...any) error {
	return &Error{Kind: ErrConflict, Message: fmt.Sprintf(format, args...)}
}

// BadAudiof returns an ErrBadAudio with a message for users.
func BadAudiof(format string, args ...any) error {
	return &Error{Kind: ErrBadAudio, Message: fmt.Sprintf(format, args...)}
}

// Message returns the user-facing message of the first *Error in err's
// chain, or "" when there is none.
func Message(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return ""
}

// SavedError reports a take that has already become a recording: saving
// it again is refused (an ErrConflict), and Filename names the recording
// so a client that retried can tell its take is safe.
type SavedError struct {
	Filename string
}

func (e *SavedError) Error() string {
	return fmt.Sprintf("this take was already saved as %s", e.Filename)
}

// Unwrap makes a SavedError an ErrConflict.
func (e *SavedError) Unwrap() error { return ErrConflict }

// SavedAs returns the recording an already-saved take became, or "".
func SavedAs(err error) string {
	var e *SavedError
	if errors.As(err, &e) {
		return e.Filename
	}
	return ""
}
