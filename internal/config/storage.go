package config

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/avatarweb/recorder/internal/s3store"
)

// Storage is where the index and the recordings are kept.
type Storage struct {
	// DB is the index: a postgres:// URL or a SQLite file; "" is
	// DATA/recorder.db (see Config.DBSource).
	DB string
	// S3 is where recordings are kept when -store is s3://bucket/prefix;
	// nil keeps them in DATA/recordings.
	S3 *s3store.Config
	// KeepDeleted is how long a recording deleted on the page stays in
	// Recently deleted before it is deleted for good.
	KeepDeleted time.Duration

	keepDays int
	store    string
	s3       s3store.Config // endpoint, region, path style and credentials
}

func (s *Storage) declare(fs *flag.FlagSet, e *env) {
	fs.StringVar(&s.DB, "db", e.str("RECORDER_DB", ""), "index of recordings and settings: a postgres://user@host/dbname URL (shared by several nodes; password best in PGPASSWORD or ~/.pgpass) or a SQLite file; default DATA/recorder.db (env RECORDER_DB)")
	fs.IntVar(&s.keepDays, "keep-deleted", e.int("RECORDER_KEEP_DELETED", 30), "days a recording deleted on the page stays in Recently deleted, where it can be restored, before it is deleted for good (env RECORDER_KEEP_DELETED)")
	fs.StringVar(&s.store, "store", e.str("RECORDER_STORE", ""), "where recordings are kept: s3://bucket/prefix for an S3-compatible bucket; empty for DATA/recordings (env RECORDER_STORE)")
	fs.StringVar(&s.s3.Endpoint, "s3-endpoint", e.str("AWS_ENDPOINT_URL_S3", e.str("AWS_ENDPOINT_URL", "")), "S3 server URL, such as http://127.0.0.1:7070; empty for AWS (env AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL)")
	fs.StringVar(&s.s3.Region, "s3-region", e.str("AWS_REGION", e.str("AWS_DEFAULT_REGION", "us-east-1")), "S3 region (env AWS_REGION, AWS_DEFAULT_REGION)")
	fs.BoolVar(&s.s3.PathStyle, "s3-path-style", e.bool("RECORDER_S3_PATH_STYLE", false), "address buckets as ENDPOINT/bucket, as most S3-compatible servers want (env RECORDER_S3_PATH_STYLE)")
	// Credentials only from the environment: flags show in ps.
	s.s3.AccessKey, s.s3.SecretKey, s.s3.SessionToken = e.get("AWS_ACCESS_KEY_ID"), e.get("AWS_SECRET_ACCESS_KEY"), e.get("AWS_SESSION_TOKEN")
}

func (s *Storage) finish(*Config) error {
	if s.keepDays < 1 {
		return errors.New("-keep-deleted must be at least 1 day")
	}
	s.KeepDeleted = time.Duration(s.keepDays) * 24 * time.Hour
	if s.store == "" {
		return nil
	}
	bucket, prefix, err := s3store.ParseURL(s.store)
	if err != nil {
		return fmt.Errorf("-store: %w", err)
	}
	s3 := s.s3
	s3.Bucket, s3.Prefix = bucket, prefix
	s.S3 = &s3
	return nil
}
