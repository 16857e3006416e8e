// Package library keeps recordings: each one is a JSON file in the store and
// a row in the index, written in that order and removed together, so the
// directory and the database agree.
package library

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/rtc"
	"github.com/avatarweb/recorder/media/store"
)

// Index is the database side of the library.
type Index interface {
	InsertRecording(ctx context.Context, r *db.Recording) error
	GetRecording(ctx context.Context, filename string) (*db.Recording, error)
	ListRecordings(ctx context.Context, limit, offset int) ([]db.Recording, error)
	DeleteRecording(ctx context.Context, filename string) error
}

// Sessions hands over the takes of live WebRTC sessions.
type Sessions interface {
	Stop(id string) (rtc.Take, error)
	Release(id string) error
}

// Mode names how a recording was made.
const (
	ModeWebRTC        = "webrtc"
	ModeMediaRecorder = "mediarecorder"
)

// Library saves, lists and opens recordings.
type Library struct {
	Store    *store.Store
	Index    Index
	Sessions Sessions
	Log      *slog.Logger
	Now      func() time.Time
}

// SaveSession stops a WebRTC session if it is still live and turns its
// take into a recording. clientDuration is what the browser measured; the
// stored duration is the server's own.
func (l *Library) SaveSession(ctx context.Context, sessionID string, clientDuration float64) (*db.Recording, error) {
	take, err := l.Sessions.Stop(sessionID)
	if err != nil {
		return nil, err
	}
	rec, err := l.saveTake(ctx, take, clientDuration)
	if err != nil {
		return nil, err
	}
	if err := l.Sessions.Release(sessionID); err != nil {
		l.Log.Warn("saved, but the draft could not be removed", "session_id", sessionID, "err", err)
	}
	return rec, nil
}

func (l *Library) saveTake(ctx context.Context, take rtc.Take, clientDuration float64) (*db.Recording, error) {
	spool, err := os.Open(take.SpoolPath)
	if err != nil {
		return nil, fmt.Errorf("library: open draft %q: %w", take.SessionID, err)
	}
	defer spool.Close()

	now := l.now()
	stats := take.Stats.Map()
	if clientDuration > 0 {
		stats["client_duration_ms"] = int64(clientDuration * 1000)
	}
	meta := store.Meta{
		ProcessingParameters: take.Params,
		Timestamp:            now.UTC().Format(store.TimeFormat),
		WebRTCSessionID:      take.SessionID,
		Mode:                 ModeWebRTC,
		Stats:                stats,
		ParamChanges:         take.Framing.Changes,
	}
	stats["frames"], stats["batches"] = take.Framing.Frames, take.Framing.Batches
	name, err := l.Store.SaveWAV(ctx, spool, take.PCMBytes, take.SampleRate, take.Channels, meta)
	if errors.Is(err, media.ErrInvalid) {
		// The draft disagrees with itself (a spool shorter than counted):
		// the server's fault, not the request's.
		return nil, fmt.Errorf("library: draft %q is damaged: %v", take.SessionID, err)
	}
	if err != nil {
		return nil, fmt.Errorf("library: save %q: %w", take.SessionID, err)
	}
	rec := &db.Recording{
		Filename:   name,
		CreatedAt:  now,
		Duration:   take.Duration(),
		SampleRate: take.SampleRate,
		Channels:   take.Channels,
		FPS:        take.Params.FPS,
		BatchSize:  take.Params.BatchSize,
		Mode:       ModeWebRTC,
		MIME:       media.WAVMIME,
		Bytes:      media.WAVHeaderSize + take.PCMBytes,
		SessionID:  take.SessionID,
	}
	if err := l.Index.InsertRecording(ctx, rec); err != nil {
		// The row is the library's record of truth: without it the file
		// would be an orphan nobody can list, so take the file back.
		err = fmt.Errorf("library: index %q: %w", name, err)
		if rmErr := l.Store.Remove(name); rmErr != nil {
			err = errors.Join(err, rmErr)
		}
		return nil, err
	}
	l.Log.Info("recording saved", "filename", name, "session_id", take.SessionID,
		"duration_s", rec.Duration, "bytes", rec.Bytes)
	return rec, nil
}

// List returns recordings newest first.
func (l *Library) List(ctx context.Context, limit, offset int) ([]db.Recording, error) {
	return l.Index.ListRecordings(ctx, limit, offset)
}

// Open returns a recording the index knows, with its file opened. The
// name is checked against the index first, so no other file is ever read.
func (l *Library) Open(ctx context.Context, filename string) (*store.Recording, error) {
	if !store.ValidName(filename) {
		return nil, media.Invalidf("%q is not a recording name", filename)
	}
	if _, err := l.Index.GetRecording(ctx, filename); err != nil {
		return nil, err
	}
	return l.Store.Open(filename)
}

// OpenFile opens a recording's JSON file as stored, for download.
func (l *Library) OpenFile(ctx context.Context, filename string) (io.ReadCloser, int64, error) {
	if !store.ValidName(filename) {
		return nil, 0, media.Invalidf("%q is not a recording name", filename)
	}
	if _, err := l.Index.GetRecording(ctx, filename); err != nil {
		return nil, 0, err
	}
	return l.Store.OpenFile(filename)
}

func (l *Library) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}
