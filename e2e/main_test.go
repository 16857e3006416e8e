package e2e

import (
	"os"
	"testing"

	"github.com/avatarweb/recorder/db/pgtest"
)

// testPG is a real PostgreSQL server, started by the first test that
// needs it; without the server's binaries those tests are skipped (see
// pgtest.RequireEnv).
var testPG pgtest.Shared

func TestMain(m *testing.M) {
	code := m.Run()
	testPG.Stop()
	os.Exit(code)
}
