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
	"strings"
	"sync"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/disk"
	"github.com/avatarweb/recorder/media/store"
)

// Index is the database side of the library.
type Index interface {
	InsertRecording(ctx context.Context, r *media.Recording) error
	GetRecording(ctx context.Context, filename string) (*media.Recording, error)
	RecordingByTake(ctx context.Context, takeID string) (*media.Recording, error)
	ListRecordings(ctx context.Context, limit, offset int) ([]media.Recording, error)
	ListOlder(ctx context.Context, c media.Cursor, limit int) ([]media.Recording, error)
	ListNewer(ctx context.Context, c media.Cursor, limit int) ([]media.Recording, error)
	CountRecordings(ctx context.Context) (int, error)
	RenameRecording(ctx context.Context, filename, title string) error
	DeleteRecording(ctx context.Context, filename string) error
	Finder
}

// Sessions hands over the takes of live WebRTC sessions.
type Sessions interface {
	Stop(id string) (media.Take, error)
	Release(id string) error
	Discard(id string) error
}

// Modes: how a recording was made (media.ModeWebRTC, ...).
const (
	ModeWebRTC        = media.ModeWebRTC
	ModeMediaRecorder = media.ModeMediaRecorder
)

// Library saves, lists and opens recordings.
type Library struct {
	Store    store.Store
	Index    Index
	Sessions Sessions
	Uploads  Uploads
	Log      *slog.Logger
	Now      func() time.Time
	// Scratch is a local directory for temporary copies of takes ("":
	// the system's), and Space looks after its disk filling up.
	Scratch string
	Space   *disk.Space
	// Grace, when several nodes share the store and the index, is how
	// long Recover and Reconcile leave alone what another node may still
	// be working on: a recording moved aside for deletion, or a file whose
	// row is about to be written, younger than Grace. 0 (one node) settles
	// everything at once.
	Grace time.Duration

	takes    ledger     // each take saved or discarded once
	deleting sync.Mutex // one deletion at a time: see Delete
	trimming sync.Map   // names of the recordings being trimmed: see Trim
}

// SaveSession stops a WebRTC session if it is still live and turns its
// take into a recording titled title ("" for none). clientDuration is what
// the browser measured; the stored duration is the server's own. A take is
// saved once: a save or discard of it while this one runs, or after, is
// refused with a conflict (a *media.SavedError naming the recording, once
// it is saved).
//
// The title is written beside the draft before anything else, so a crash
// during the save leaves it for recovery to use (RecoverSpools).
func (l *Library) SaveSession(ctx context.Context, sessionID string, clientDuration float64, title string) (*media.Recording, error) {
	var rec *media.Recording
	err := l.once(sessionKey(sessionID), saving, func() (string, error) {
		take, err := l.Sessions.Stop(sessionID)
		if err != nil {
			return "", err
		}
		if title != "" {
			if err := titleSpool(take, title); err != nil {
				return "", l.Space.Check(fmt.Errorf("library: title the draft of %q: %w", sessionID, err))
			}
		}
		if rec, err = l.saveTake(ctx, take, clientDuration, title); err != nil {
			var saved *media.SavedError
			if !errors.As(err, &saved) {
				return "", err
			}
			// Saved before (by another node, or before a restart): the draft
			// is only a copy now.
			l.release(sessionID)
			return "", err
		}
		l.release(sessionID)
		return rec.Filename, nil
	})
	return rec, err
}

// release drops a saved session's draft.
func (l *Library) release(sessionID string) {
	if err := l.Sessions.Release(sessionID); err != nil {
		l.Log.Warn("saved, but the draft could not be removed", "session_id", sessionID, "err", err)
	}
}

// SessionSavedAs returns the recording a live take that is no longer a
// session became (saved by its page, or by the server at start after a
// crash), if that was within the last hour; "" otherwise.
func (l *Library) SessionSavedAs(sessionID string) string {
	return l.takes.savedAs(sessionKey(sessionID), l.now())
}

// UploadSavedAs returns the recording an upload that is gone became, if
// it was saved within the last hour; "" otherwise.
func (l *Library) UploadSavedAs(uploadID string) string {
	return l.takes.savedAs(uploadKey(uploadID), l.now())
}

// DiscardSession ends a WebRTC session if it is live and deletes its take,
// unless the take is being saved or was saved: that is a conflict.
func (l *Library) DiscardSession(sessionID string) error {
	return l.discard(sessionKey(sessionID), func() error { return l.Sessions.Discard(sessionID) })
}

// once runs act, which saves or discards the take under key, if the
// ledger gives the take to this request, and records how it ended.
func (l *Library) once(key string, want fateState, act func() (filename string, err error)) error {
	if err := l.takes.claim(key, want); err != nil {
		return err
	}
	filename, err := act()
	l.takes.settle(key, err == nil, filename, l.now())
	if err != nil {
		return l.takes.explain(key, want, err, l.now())
	}
	return nil
}

// discard runs drop, which deletes the take under key, under the ledger.
func (l *Library) discard(key string, drop func() error) error {
	return l.once(key, discarding, func() (string, error) { return "", drop() })
}

// titleSpool writes the sidecar of take's spool anew, with title in it.
func titleSpool(take media.Take, title string) error {
	return media.WriteSpoolMeta(take.SpoolPath, media.SpoolMeta{
		SessionID: take.SessionID, TakeID: take.TakeID, Params: take.Params,
		SampleRate: take.SampleRate, Channels: take.Channels, StartedAt: take.StartedAt,
		Title: title,
	})
}

func (l *Library) saveTake(ctx context.Context, take media.Take, clientDuration float64, title string) (*media.Recording, error) {
	if err := l.checkNotSaved(ctx, take.TakeID); err != nil {
		return nil, err
	}
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
		TakeID:               take.TakeID,
		Mode:                 ModeWebRTC,
		Stats:                stats,
		ParamChanges:         take.Changes,
		Title:                title,
	}
	stats["frames"], stats["batches"] = take.Frames, take.Batches
	audio, size, meta, done, err := takeAudio(spool, take, meta)
	if err != nil {
		return nil, fmt.Errorf("library: draft %q is damaged: %v", take.SessionID, err)
	}
	name, err := l.Store.Save(ctx, audio, size, meta)
	done()
	if errors.Is(err, media.ErrInvalid) {
		// The draft disagrees with itself (a spool shorter than counted):
		// the server's fault, not the request's.
		return nil, fmt.Errorf("library: draft %q is damaged: %v", take.SessionID, err)
	}
	if err != nil {
		return nil, fmt.Errorf("library: save %q: %w", take.SessionID, err)
	}
	peaks, err := spoolPeaks(spool, take)
	if err != nil {
		l.Log.Warn("no waveform for the take", "session_id", take.SessionID, "err", err)
	}
	rec := &media.Recording{
		Filename:       name,
		CreatedAt:      now,
		Duration:       meta.Duration,
		SampleRate:     meta.SampleRate,
		Channels:       meta.Channels,
		FPS:            take.Params.FPS,
		BatchSize:      take.Params.BatchSize,
		Mode:           ModeWebRTC,
		MIME:           meta.MIME,
		Bytes:          size,
		SessionID:      take.SessionID,
		TakeID:         take.TakeID,
		ClientDuration: clientDuration,
		Peaks:          peaks,
		Waveform:       media.WaveformPath(peaks),
		Title:          title,
	}
	if err := l.index(ctx, rec); err != nil {
		return nil, err
	}
	l.Log.Info("recording saved", "filename", name, "session_id", take.SessionID,
		"duration_s", rec.Duration, "bytes", rec.Bytes)
	return rec, nil
}

// index inserts the row of a recording whose file was just saved. The row
// is the library's record of truth: without it the file would be an
// orphan nobody can list, so if the row cannot be written the file is
// taken back.
func (l *Library) index(ctx context.Context, rec *media.Recording) error {
	err := l.Index.InsertRecording(ctx, rec)
	if err == nil {
		return nil
	}
	if rec.TakeID != "" && errors.Is(err, media.ErrConflict) {
		// The take was saved meanwhile (by another node, say): its first
		// recording stands, and this copy goes.
		prev, lookErr := l.Index.RecordingByTake(ctx, rec.TakeID)
		if lookErr == nil && prev.Filename == rec.Filename {
			// This very file was indexed meanwhile, from its own metadata,
			// by another node's Reconcile: the row is this save's. Taking
			// the file back would leave that row without it.
			return nil
		}
		if lookErr == nil {
			err = &media.SavedError{Filename: prev.Filename}
		}
	}
	err = fmt.Errorf("library: index %q: %w", rec.Filename, err)
	if rmErr := l.Store.Remove(ctx, rec.Filename); rmErr != nil {
		err = errors.Join(err, rmErr)
	}
	return err
}

// checkNotSaved refuses a take that is a recording already, with a
// *media.SavedError naming it. Takes from before take ids pass.
func (l *Library) checkNotSaved(ctx context.Context, takeID string) error {
	if takeID == "" {
		return nil
	}
	prev, err := l.Index.RecordingByTake(ctx, takeID)
	switch {
	case err == nil:
		return &media.SavedError{Filename: prev.Filename}
	case errors.Is(err, media.ErrNotFound):
		return nil
	}
	return fmt.Errorf("library: look up take %q: %w", takeID, err)
}

// spoolPeaks reads the draft's PCM again for its waveform thumbnail.
func spoolPeaks(spool *os.File, take media.Take) ([]byte, error) {
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return media.Peaks(spool, take.Channels, take.PCMBytes/int64(2*take.Channels), media.PeakBuckets)
}

// List returns recordings newest first.
func (l *Library) List(ctx context.Context, limit, offset int) ([]media.Recording, error) {
	return l.Index.ListRecordings(ctx, limit, offset)
}

// ListOlder returns up to limit recordings after c in the list (older),
// newest first.
func (l *Library) ListOlder(ctx context.Context, c media.Cursor, limit int) ([]media.Recording, error) {
	return l.Index.ListOlder(ctx, c, limit)
}

// ListNewer returns up to limit recordings just before c in the list
// (newer), newest first.
func (l *Library) ListNewer(ctx context.Context, c media.Cursor, limit int) ([]media.Recording, error) {
	return l.Index.ListNewer(ctx, c, limit)
}

// Count returns how many recordings there are.
func (l *Library) Count(ctx context.Context) (int, error) {
	return l.Index.CountRecordings(ctx)
}

// Get returns a recording's metadata.
func (l *Library) Get(ctx context.Context, filename string) (*media.Recording, error) {
	if !store.ValidName(filename) {
		return nil, media.Invalidf("%q is not a recording name", filename)
	}
	return l.Index.GetRecording(ctx, filename)
}

// Rename sets a recording's title, in its row and in its file (so the
// file alone still says what it is). It holds the deletion lock: writing
// the file while a delete moves it aside would bring it back.
func (l *Library) Rename(ctx context.Context, filename, title string) error {
	if !store.ValidName(filename) {
		return media.Invalidf("%q is not a recording name", filename)
	}
	l.deleting.Lock()
	defer l.deleting.Unlock()
	if err := l.Index.RenameRecording(ctx, filename, title); err != nil {
		return err
	}
	err := l.Store.SetMeta(ctx, filename, func(m *store.Meta) { m.Title = strings.TrimSpace(title) })
	if errors.Is(err, store.ErrCorrupt) {
		// An old file not in the streaming layout: its row has the title.
		l.Log.Warn("title kept in the index only", "filename", filename, "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("library: rename %q: %w", filename, err)
	}
	return nil
}

// Delete removes a recording's file and row together. The file is moved
// aside first, then the row deleted, then the file: if the row cannot go,
// the file comes back, so neither is ever left without the other. A crash
// between the steps leaves the file aside, and Recover settles it.
//
// Deletions run one at a time, so two requests for one recording never
// interleave: the second finds the row gone and answers not found. And a
// row found gone at the second step (another node deleted it) means the
// recording is deleted: the file is finished off, never put back, or it
// would come back at the next start as a recording nobody can delete.
func (l *Library) Delete(ctx context.Context, filename string) error {
	l.deleting.Lock()
	defer l.deleting.Unlock()
	if _, err := l.Get(ctx, filename); err != nil {
		return err
	}
	rm, err := l.Store.StageRemove(ctx, filename)
	if errors.Is(err, media.ErrNotFound) {
		// The row had lost its file already: dropping the row heals it.
		l.Log.Warn("deleting a recording whose file was missing", "filename", filename)
		return l.Index.DeleteRecording(ctx, filename)
	}
	if err != nil {
		return fmt.Errorf("library: delete %q: %w", filename, err)
	}
	err = l.Index.DeleteRecording(ctx, filename)
	if errors.Is(err, media.ErrNotFound) {
		l.Log.Warn("the recording's row went while deleting it; its file goes too", "filename", filename)
		err = nil
	}
	if err != nil {
		if undoErr := rm.Undo(); undoErr != nil {
			err = errors.Join(err, undoErr)
		}
		return fmt.Errorf("library: delete %q: %w", filename, err)
	}
	if err := rm.Done(); err != nil {
		l.Log.Warn("recording deleted, but its file is still aside; the next start removes it", "filename", filename, "err", err)
	}
	l.Log.Info("recording deleted", "filename", filename)
	return nil
}

// Recover settles deletions a crash interrupted: a file moved aside whose
// row still exists is put back; one whose row is gone is deleted.
func (l *Library) Recover(ctx context.Context) error {
	trash, err := l.Store.Trash(ctx)
	if err != nil {
		return err
	}
	for _, rm := range trash {
		if !l.settled(rm) {
			l.Log.Debug("a deletion may still be under way on another node; left for now", "filename", rm.Name())
			continue
		}
		_, err := l.Index.GetRecording(ctx, rm.Name())
		switch {
		case err == nil:
			err = rm.Undo()
			l.Log.Info("restored a recording whose deletion was interrupted", "filename", rm.Name())
		case errors.Is(err, media.ErrNotFound):
			err = rm.Done()
			l.Log.Info("finished an interrupted deletion", "filename", rm.Name())
		}
		if err != nil {
			return fmt.Errorf("library: recover %q: %w", rm.Name(), err)
		}
	}
	return nil
}

// stagedAt is a store.Staged that knows when it was moved aside.
type stagedAt interface{ StagedAt() time.Time }

// settled reports whether a recording moved aside may be settled: always
// with one node; with several, once it has been aside for Grace (a
// deletion takes milliseconds, so one older than that was cut short by a
// crash). A store that cannot tell when is left alone when Grace is set.
func (l *Library) settled(rm store.Staged) bool {
	if l.Grace <= 0 {
		return true
	}
	at, ok := rm.(stagedAt)
	return ok && time.Since(at.StagedAt()) >= l.Grace
}

// Open returns a recording the index knows, with its file opened. The
// name is checked against the index first, so no other file is ever read.
func (l *Library) Open(ctx context.Context, filename string) (*store.Recording, error) {
	if !store.ValidName(filename) {
		return nil, media.Invalidf("%q is not a recording name", filename)
	}
	row, err := l.Index.GetRecording(ctx, filename)
	if err != nil {
		return nil, err
	}
	if row.Damaged {
		return nil, damaged(filename, nil)
	}
	rec, err := l.Store.Open(ctx, filename)
	if errors.Is(err, store.ErrCorrupt) {
		return nil, damaged(filename, err)
	}
	return rec, err
}

// OpenFile opens a recording's JSON file as stored, for download. A file
// flagged damaged, or failing the cheap check now (damaged since the
// start), is refused as damaged rather than served as if it were whole.
func (l *Library) OpenFile(ctx context.Context, filename string) (io.ReadCloser, int64, error) {
	if !store.ValidName(filename) {
		return nil, 0, media.Invalidf("%q is not a recording name", filename)
	}
	row, err := l.Index.GetRecording(ctx, filename)
	if err != nil {
		return nil, 0, err
	}
	if row.Damaged {
		return nil, 0, damaged(filename, nil)
	}
	if err := l.readable(ctx, filename); errors.Is(err, store.ErrCorrupt) {
		return nil, 0, damaged(filename, err)
	} else if err != nil {
		return nil, 0, err
	}
	return l.Store.OpenFile(ctx, filename)
}

func (l *Library) now() time.Time {
	if l.Now != nil {
		return l.Now()
	}
	return time.Now()
}
