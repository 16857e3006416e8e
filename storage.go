package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/store"
	"github.com/avatarweb/recorder/media/store/s3store"
)

// openStore returns where recordings are kept: DATA/recordings, or the
// bucket of -store s3://…, which must answer before the server starts.
// Credentials are never logged.
func openStore(ctx context.Context, cfg config, space *store.Space, log *slog.Logger) (library.Store, error) {
	if cfg.S3 == nil {
		return &store.Store{Dir: cfg.recordingsDir(), Space: space}, nil
	}
	s, err := s3store.New(*cfg.S3)
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
	log.Info("recordings kept in a bucket", "store", s.String(), "endpoint", cfg.S3.Endpoint,
		"credentials", cfg.S3.AccessKey != "")
	return s, nil
}
