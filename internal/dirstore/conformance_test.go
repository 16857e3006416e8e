package dirstore_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/dirstore"
	"github.com/avatarweb/recorder/media/store"
	"github.com/avatarweb/recorder/media/store/storetest"
)

// TestConformance runs the suite every store passes against the local
// directory.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		return &dirstore.Store{Dir: filepath.Join(t.TempDir(), "recordings"), Now: now}
	})
}
