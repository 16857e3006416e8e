package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/avatarweb/recorder/internal/config"
	"github.com/avatarweb/recorder/internal/dirstore"
	"github.com/avatarweb/recorder/internal/s3store"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/disk"
	"github.com/avatarweb/recorder/media/store"
)

// reserveSize is the space kept in DATA/space.reserve and given up when a
// delete finds the disk full: SQLite's WAL needs a few pages even to
// delete a row.
const reserveSize = 1 << 20

// checkWritable refuses to start on a data directory (or one of its
// subdirectories) that cannot be written, which would otherwise fail every
// save. A full disk only gets a warning, since deleting still works; it
// reports whether the disk is full.
func checkWritable(cfg config.Config, log *slog.Logger) (full bool, err error) {
	dirs := []string{cfg.DataDir, cfg.SpoolDir(), cfg.UploadsDir()}
	if cfg.Storage.S3 == nil {
		dirs = append(dirs, cfg.RecordingsDir())
	}
	for _, dir := range dirs {
		err := disk.CheckWritable(dir)
		if media.IsDiskFull(err) {
			if !full {
				log.Warn("the disk is full: saving will fail until space is freed; deleting works", "path", dir)
			}
			full = true
			continue
		}
		if err != nil {
			return false, err
		}
	}
	return full, nil
}

// openStore returns where recordings are kept: DATA/recordings, or the
// bucket of -store s3://…, which must answer before the server starts.
// Credentials are never logged.
func openStore(ctx context.Context, cfg config.Config, space *disk.Space, log *slog.Logger) (store.Store, error) {
	if cfg.Storage.S3 == nil {
		return &dirstore.Store{Dir: cfg.RecordingsDir(), Space: space}, nil
	}
	s3 := *cfg.Storage.S3
	s, err := s3store.New(s3)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conditional, err := s.Check(ctx)
	if err != nil {
		return nil, fmt.Errorf("recordings store: %w", err)
	}
	if !conditional {
		log.Warn("the S3 server ignores If-None-Match: two nodes saving in the same second could take one name", "store", s.String())
	}
	log.Info("recordings kept in a bucket", "store", s.String(), "endpoint", s3.Endpoint, "credentials", s3.AccessKey != "")
	return s, nil
}
