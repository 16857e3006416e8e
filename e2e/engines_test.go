package e2e

import (
	"os"
	"os/exec"
	"testing"
)

// requireBrowserEnv, when set to 1 (CI sets it), turns a missing browser
// engine from a skip into a failure.
const requireBrowserEnv = "RECORDER_REQUIRE_BROWSER"

// findEngine returns the first of paths that is an executable (an empty
// one, an unset env var, is passed over). Without any it skips the test,
// saying how to get the engine (hint), or fails it where
// RECORDER_REQUIRE_BROWSER=1. Chromium, Firefox and WebKit are all found
// this way.
func findEngine(t *testing.T, engine, hint string, paths ...string) string {
	t.Helper()
	for _, p := range paths {
		if p == "" {
			continue
		}
		if _, err := exec.LookPath(p); err == nil {
			return p
		}
	}
	missingEngine(t, engine+" not found ("+hint+"); skipping the "+engine+" test")
	return ""
}

// missingEngine skips the test with msg, or fails it where
// RECORDER_REQUIRE_BROWSER=1.
func missingEngine(t *testing.T, msg string) {
	t.Helper()
	if os.Getenv(requireBrowserEnv) == "1" {
		t.Fatal(msg + " — but " + requireBrowserEnv + "=1 makes it mandatory")
	}
	t.Skip(msg)
}
