package media

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SpoolMeta is written beside a live take's spool when it starts, so that
// after a crash the next start knows what the raw PCM is and whose it was.
type SpoolMeta struct {
	SessionID string `json:"session_id"`
	// TakeID names this take alone (a session id may be used again); the
	// recording saved from it carries it too, so recovery never saves a
	// take twice.
	TakeID     string    `json:"take_id,omitempty"`
	Params     Params    `json:"processing_parameters"`
	SampleRate int       `json:"sample_rate"`
	Channels   int       `json:"channels"`
	StartedAt  time.Time `json:"started_at"`
	// Title is the one the user gave when saving: written before the save
	// begins, so a save a crash cut short keeps it.
	Title string `json:"title,omitempty"`
}

// SpoolMetaPath is where the sidecar of the spool at pcmPath lives.
func SpoolMetaPath(pcmPath string) string {
	return strings.TrimSuffix(pcmPath, filepath.Ext(pcmPath)) + ".json"
}

// SpoolMetaTemp matches (filepath.Match) the temporary file a sidecar is
// written to before it takes its name: one a crash left is garbage.
const SpoolMetaTemp = "*.json.tmp"

// WriteSpoolMeta writes the sidecar of the spool at pcmPath atomically.
func WriteSpoolMeta(pcmPath string, m SpoolMeta) error {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("media: spool meta: %w", err)
	}
	path := SpoolMetaPath(pcmPath)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		_ = os.Remove(tmp) // a full disk may have left part of it
		return fmt.Errorf("media: spool meta: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("media: spool meta: %w", err)
	}
	return nil
}

// ReadSpoolMeta reads a sidecar.
func ReadSpoolMeta(metaPath string) (SpoolMeta, error) {
	var m SpoolMeta
	b, err := os.ReadFile(metaPath)
	if err != nil {
		return m, fmt.Errorf("media: spool meta: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("media: spool meta %s: %w", metaPath, err)
	}
	if m.SampleRate <= 0 || (m.Channels != 1 && m.Channels != 2) {
		return m, fmt.Errorf("media: spool meta %s: bad format %d Hz × %d: %w", metaPath, m.SampleRate, m.Channels, ErrInvalid)
	}
	return m, nil
}
