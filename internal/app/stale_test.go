package app

import (
	"os"
	"path/filepath"
	"testing"
)

// TestStaleTempFilesRemovedAtStart: a kill -9 mid-save leaves the file the
// recording was being written to (.recording-*.tmp in the recordings
// directory, .audio-*.tmp of a whole take in the spool); they survived
// every restart. The next start removes them, and nothing else.
func TestStaleTempFilesRemovedAtStart(t *testing.T) {
	data := t.TempDir()
	left := map[string]bool{
		filepath.Join(data, "recordings", ".recording-00000000deadbeef.tmp"): false,
		filepath.Join(data, "spool", ".audio-123.tmp"):                       false,
		filepath.Join(data, "spool", ".fixed-456.webm"):                      false,
		filepath.Join(data, "recordings", "notes.txt"):                       true, // not ours: kept
	}
	for path := range left {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(`{"audio_data":"UklGR`), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	newTestServer(t, []string{"-data", data}, nil) // the last -data wins
	for path, kept := range left {
		if _, err := os.Stat(path); (err == nil) != kept {
			t.Errorf("%s: there %v after the start, want %v", filepath.Base(path), err == nil, kept)
		}
	}
}
