package library_test

import (
	"testing"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/internal/s3store/s3test"
	"github.com/avatarweb/recorder/media/library"
)

// forEachStore runs test on a library whose recordings are kept in each
// store: a directory, and a bucket of a real S3-compatible server
// (skipped without one, see s3test).
func forEachStore(t *testing.T, test func(t *testing.T, lib *library.Library, database *db.DB, sessions *fakeSessions)) {
	t.Run("Dir", func(t *testing.T) {
		lib, database, sessions, _ := setup(t)
		test(t, lib, database, sessions)
	})
	t.Run("S3", func(t *testing.T) {
		gw := s3test.Start(t)
		lib, database, sessions, _ := setup(t)
		lib.Store = gw.NewStore(t, lib.Now)
		test(t, lib, database, sessions)
	})
}
