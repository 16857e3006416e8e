// Package pgtest runs a real, throwaway PostgreSQL server for tests: a
// cluster made with initdb in a temp directory and served by postgres on a
// free loopback port. PostgreSQL refuses to run as root, so when the tests
// are root (as in CI) the server runs as the postgres system user that
// Debian's postgresql package creates.
//
// A test binary shares one server: declare a Shared, call its Get from the
// tests that need the server (the first call starts it) and its Stop from
// TestMain after m.Run. Without the server's binaries Get skips the test,
// unless RECORDER_REQUIRE_POSTGRES=1 (CI), when it fails it.
package pgtest

import (
	"os"
	"sync"
	"testing"
)

// RequireEnv, set to 1, makes a missing server a test failure.
const RequireEnv = "RECORDER_REQUIRE_POSTGRES"

// Shared is one server shared by the tests of a test binary.
type Shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Get returns the shared server, starting it the first time; it skips tb
// (or fails it, under RECORDER_REQUIRE_POSTGRES=1) when there is none to
// be had.
func (sh *Shared) Get(tb testing.TB) *Server {
	tb.Helper()
	sh.once.Do(func() { sh.srv, sh.err = Start() })
	if sh.err != nil {
		if os.Getenv(RequireEnv) == "1" {
			tb.Fatalf("PostgreSQL tests: %v (%s=1 makes this a failure)", sh.err, RequireEnv)
		}
		tb.Skipf("PostgreSQL tests skipped: %v (install Debian's postgresql package to run them)", sh.err)
	}
	return sh.srv
}

// Stop stops the server if Get started one. Call it from TestMain.
func (sh *Shared) Stop() {
	if sh.srv != nil {
		sh.srv.Stop()
	}
}
