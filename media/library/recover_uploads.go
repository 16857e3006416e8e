package library

import (
	"context"
	"errors"
	"time"

	"github.com/avatarweb/recorder/media"
)

// PendingUpload names an upload left when the server stopped.
type PendingUpload struct {
	ID      string
	Touched time.Time // its last chunk
	Title   string    // given by a save a crash cut short, if any
}

// RecoverUploads turns MediaRecorder uploads left by a crash, a killed
// process or a shutdown into recordings titled "Recovered …" (or as their
// user titled them, when a save the crash cut short began), as
// RecoverSpools does for live takes: the page that made them is gone, so
// nobody could press Save. A take cut mid-chunk keeps every whole block;
// one with nothing recorded is removed. Call it at start, before serving,
// with the processing parameters in force.
func (l *Library) RecoverUploads(ctx context.Context, pending []PendingUpload, p media.Params) int {
	n := 0
	for _, u := range pending {
		title := u.Title
		if title == "" {
			title = "Recovered " + u.Touched.Local().Format("2006-01-02 15:04")
		}
		rec, err := l.SaveUpload(ctx, u.ID, 0, p, title)
		if media.SavedAs(err) != "" {
			continue // saved before the crash; SaveUpload dropped the copy
		}
		if errors.Is(err, media.ErrInvalid) {
			l.Log.Warn("an upload left by a crash holds no audio; removing it", "upload_id", u.ID, "err", err)
			if err := l.DiscardUpload(u.ID); err != nil {
				l.Log.Warn("removing an empty upload", "upload_id", u.ID, "err", err)
			}
			continue
		}
		if err != nil {
			l.Log.Error("could not recover an upload; it is left in place", "upload_id", u.ID, "err", err)
			continue
		}
		l.Log.Info("recovered an upload left by a crash or shutdown", "upload_id", u.ID,
			"filename", rec.Filename, "duration_s", rec.Duration)
		n++
	}
	return n
}
