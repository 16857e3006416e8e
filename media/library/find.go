package library

import (
	"context"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/find"
)

// Finder is the part of the index that finds recordings and keeps
// Recently deleted (see db.DB.Find).
type Finder interface {
	Find(ctx context.Context, p find.Page) ([]media.Recording, error)
	CountFound(ctx context.Context, q find.Query) (int, error)
	Totals(ctx context.Context) (media.Totals, error)
	TrashRecording(ctx context.Context, filename string) (*media.Recording, error)
	TrashRecordingOnce(ctx context.Context, filename string) (*media.Recording, error)
	RestoreRecording(ctx context.Context, filename string) (*media.Recording, error)
	ExpiredTrash(ctx context.Context, before time.Time, limit int) ([]string, error)
	PurgeRecording(ctx context.Context, filename string, before time.Time) error
}

// Find returns one page of the recordings a search finds, in its order;
// in order find.Deleted, of those in Recently deleted.
func (l *Library) Find(ctx context.Context, p find.Page) ([]media.Recording, error) {
	return l.Index.Find(ctx, p)
}

// CountFound returns how many recordings in the library q finds.
func (l *Library) CountFound(ctx context.Context, q find.Query) (int, error) {
	return l.Index.CountFound(ctx, q)
}

// Totals returns the library's storage figures.
func (l *Library) Totals(ctx context.Context) (media.Totals, error) {
	return l.Index.Totals(ctx)
}
