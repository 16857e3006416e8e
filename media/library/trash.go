package library

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/store"
)

// Trash moves a recording to Recently deleted: out of the list and the
// searches at once, its file and row kept until it is restored or purged.
// This is what the page's Delete does; the JSON API's DELETE is Delete.
func (l *Library) Trash(ctx context.Context, filename string) (*media.Recording, error) {
	if !store.ValidName(filename) {
		return nil, media.Invalidf("%q is not a recording name", filename)
	}
	rec, err := l.Index.TrashRecording(ctx, filename)
	if err == nil {
		l.Log.Info("recording moved to Recently deleted", "filename", filename)
	}
	return rec, err
}

// Restore brings a recording back from Recently deleted into the library.
func (l *Library) Restore(ctx context.Context, filename string) (*media.Recording, error) {
	if !store.ValidName(filename) {
		return nil, media.Invalidf("%q is not a recording name", filename)
	}
	rec, err := l.Index.RestoreRecording(ctx, filename)
	if err == nil {
		l.Log.Info("recording restored", "filename", filename)
	}
	return rec, err
}

// Purge deletes a recording in Recently deleted for good, file and row,
// if it went there before before (the zero time: whenever). It follows
// Delete's order, so a crash at any step leaves nothing half done for
// Recover: the file moved aside, then the row deleted (only if it is still
// in Recently deleted), then the file. A recording restored meanwhile
// keeps its file, and the error wraps db.ErrNotDeleted (a conflict).
func (l *Library) Purge(ctx context.Context, filename string, before time.Time) error {
	if !store.ValidName(filename) {
		return media.Invalidf("%q is not a recording name", filename)
	}
	l.deleting.Lock()
	defer l.deleting.Unlock()
	rec, err := l.Index.GetRecording(ctx, filename)
	if err != nil {
		return err
	}
	if rec.DeletedAt.IsZero() {
		return &media.Error{Kind: media.ErrConflict, Message: "only a recording in Recently deleted can be deleted forever"}
	}
	rm, err := l.Store.StageRemove(ctx, filename)
	if errors.Is(err, media.ErrNotFound) {
		l.Log.Warn("purging a recording whose file was missing", "filename", filename)
		return l.Index.PurgeRecording(ctx, filename, before)
	}
	if err != nil {
		return fmt.Errorf("library: purge %q: %w", filename, err)
	}
	err = l.Index.PurgeRecording(ctx, filename, before)
	if errors.Is(err, media.ErrNotFound) {
		err = nil // another node purged the row: the file goes too
	}
	if err != nil {
		if undoErr := rm.Undo(); undoErr != nil {
			err = errors.Join(err, undoErr)
		}
		return fmt.Errorf("library: purge %q: %w", filename, err)
	}
	if err := rm.Done(); err != nil {
		l.Log.Warn("recording purged, but its file is still aside; the next start removes it", "filename", filename, "err", err)
	}
	l.Log.Info("recording deleted for good", "filename", filename)
	return nil
}

// purgeBatch is how many expired recordings PurgeExpired reads at a time.
const purgeBatch = 100

// PurgeExpired deletes for good the recordings that have been in
// Recently deleted for keep or longer, and returns how many went. One
// restored while it runs stays. It stops at the first failure other than
// a restore, so a sick store is not hammered; the next run goes on.
func (l *Library) PurgeExpired(ctx context.Context, keep time.Duration) (int, error) {
	cutoff := l.now().Add(-keep)
	purged := 0
	for {
		names, err := l.Index.ExpiredTrash(ctx, cutoff, purgeBatch)
		if err != nil {
			return purged, err
		}
		progress := false
		for _, name := range names {
			err := l.Purge(ctx, name, cutoff)
			switch {
			case err == nil:
				purged++
				progress = true
			case errors.Is(err, media.ErrConflict), errors.Is(err, media.ErrNotFound):
				// Restored, or purged by hand, meanwhile.
			default:
				return purged, err
			}
		}
		if len(names) < purgeBatch || !progress {
			return purged, nil
		}
	}
}
