package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/media/library"
)

// purgeEvery is how often recordings kept long enough in Recently deleted
// are deleted for good.
const purgeEvery = time.Hour

// purgeTrash deletes for good, at start and then every purgeEvery, the
// recordings that have been in Recently deleted for keep; it returns the
// function that stops it. Nodes sharing an index take turns: one purges
// while the others skip that round (db.Exclusively). Each purge is
// crash-safe on its own (library.Purge), so a node dying mid-way leaves
// the rest for the next round, on any node.
func purgeTrash(lib *library.Library, database *db.DB, keep time.Duration, log *slog.Logger) func() {
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(purgeEvery)
		defer tick.Stop()
		for {
			purgeOnce(ctx, lib, database, keep, log)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		cancel()
		<-stopped
	}
}

func purgeOnce(ctx context.Context, lib *library.Library, database *db.DB, keep time.Duration, log *slog.Logger) {
	var n int
	ran, err := database.Exclusively(ctx, "purge Recently deleted", func(ctx context.Context) error {
		var err error
		n, err = lib.PurgeExpired(ctx, keep)
		return err
	})
	switch {
	case err != nil && ctx.Err() == nil:
		log.Error("purging Recently deleted", "purged", n, "err", err)
	case !ran:
		log.Debug("another node is purging Recently deleted")
	case n > 0:
		log.Info("deleted for good recordings kept long enough in Recently deleted", "count", n, "keep", keep)
	}
}
