package library

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/avatarweb/recorder/media"
)

// PendingUpload names an upload left when the server stopped.
type PendingUpload struct {
	ID      string
	Touched time.Time // its last chunk
	Title   string    // given by a save a crash cut short, if any
}

// RecoverUploads saves the MediaRecorder uploads left by a crash, a
// killed process or a shutdown as recordings titled "Recovered …", as
// RecoverSpools does for live takes, so nothing depends on a page coming
// back. Unlike a live take, an upload stays: its page may still be
// recording (it keeps every chunk until the server has it) and go on
// uploading once the server is back. Saving the take then replaces the
// recovered recording with the whole take, and discarding it deletes
// that recording too, so the user ends with one recording. An upload
// that grew since its last recovery is recovered again, the longer copy
// replacing the shorter.
//
// An upload whose user had pressed Save when the crash came (its state
// has the title they gave) is saved as they asked, and removed. A take
// cut mid-chunk keeps every whole block; one with nothing recorded is
// removed. Call it at start, before serving, with the processing
// parameters in force. It returns how many recordings it made.
func (l *Library) RecoverUploads(ctx context.Context, pending []PendingUpload, p media.Params) int {
	n := 0
	for _, u := range pending {
		made, err := l.recoverUpload(ctx, u, p)
		if errors.Is(err, media.ErrInvalid) {
			l.Log.Warn("an upload left by a crash holds no audio; removing it", "upload_id", u.ID, "err", err)
			if err := l.DiscardUpload(ctx, u.ID); err != nil {
				l.Log.Warn("removing an empty upload", "upload_id", u.ID, "err", err)
			}
			continue
		}
		if err != nil {
			l.Log.Error("could not recover an upload; it is left in place", "upload_id", u.ID, "err", err)
			continue
		}
		if made {
			n++
		}
	}
	return n
}

// recoverUpload saves what upload u holds as a recording, unless it is
// saved already, and reports whether it made one.
func (l *Library) recoverUpload(ctx context.Context, u PendingUpload, p media.Params) (bool, error) {
	if u.Title != "" {
		// A save the crash cut short: finish it (its page, retrying,
		// is told the take is saved).
		rec, err := l.SaveUpload(ctx, u.ID, 0, p, u.Title)
		if media.SavedAs(err) != "" {
			return false, nil // saved before the crash; SaveUpload dropped the copy
		}
		if err != nil {
			return false, err
		}
		l.Log.Info("finished the save of an upload a crash cut short", "upload_id", u.ID, "filename", rec.Filename)
		return true, nil
	}
	takeID, err := l.Uploads.TakeID(u.ID)
	if err != nil {
		return false, err
	}
	prev, prevBytes, err := l.Uploads.Recovered(u.ID)
	if err != nil {
		return false, err
	}
	if saved := media.SavedAs(l.checkNotSaved(ctx, takeID)); saved != "" {
		// Killed after the user's save, before it removed the upload and
		// the recovered copy: finish that.
		l.dropRecovered(ctx, prev, saved)
		l.removeUpload(u.ID)
		return false, nil
	}
	f, size, _, err := l.Uploads.Preview(u.ID)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if prev != "" && size == prevBytes {
		return false, nil // recovered at an earlier start, and no more since
	}
	// The copy carries a take id of its own (the take's, with its size),
	// so a crash during this recovery is finished, not repeated, and the
	// take's own id stays free for the user's save.
	copyID := ""
	if takeID != "" {
		copyID = takeID + "." + strconv.FormatInt(size, 10)
	}
	name := media.SavedAs(l.checkNotSaved(ctx, copyID))
	if name == "" {
		pauses, recorded := l.keptPauses(u.ID, 0) // sent if the take stopped
		rec, _, err := l.saveAudioFile(ctx, f.Name(), size, recorded, pauses, p, copyID, media.RecoveredTitle(u.Touched))
		if err != nil {
			return false, err
		}
		name = rec.Filename
		l.Log.Info("recovered an upload left by a crash or shutdown; its page may still finish it",
			"upload_id", u.ID, "filename", name, "duration_s", rec.Duration)
	}
	if err := l.Uploads.MarkRecovered(u.ID, name, size); err != nil {
		return false, err
	}
	l.dropRecovered(ctx, prev, name) // the shorter copy of an earlier start
	return true, nil
}

// dropRecovered deletes prev, a recording recovered from an upload, now
// that the take is saved whole as (or discarded, if "") keep. One the
// user deleted meanwhile is no matter.
func (l *Library) dropRecovered(ctx context.Context, prev, keep string) {
	if prev == "" || prev == keep {
		return
	}
	err := l.Delete(ctx, prev)
	switch {
	case err == nil:
		l.Log.Info("a recording recovered from part of a take gave way to the whole take", "filename", prev, "kept", keep)
	case !errors.Is(err, media.ErrNotFound):
		l.Log.Warn("could not delete the recording recovered from part of a take", "filename", prev, "err", err)
	}
}
