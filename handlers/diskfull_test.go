//go:build linux

package handlers_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// fill writes to path until the file system is full.
func fill(t *testing.T, path string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, size := range []int{1 << 20, 64 << 10, 4 << 10, 512, 1} {
		buf := bytes.Repeat([]byte{1}, size)
		for {
			if _, err := f.Write(buf); err != nil {
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("fill: %v", err)
				}
				break
			}
		}
	}
}

// TestDiskFull runs the app on a 4 MiB tmpfs, fills it, and checks
// that saves answer 507 with a plain message and write nothing, that the
// full disk is logged once with its path however many requests are
// refused, that deleting still works (so users can free space), and that
// saving works again once space is freed.
func TestDiskFull(t *testing.T) {
	dir := mediatest.Tmpfs(t, "4m")
	logs := &logLines{t: t}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ta, sessions := newFakeAppIn(t, dir, log)
	at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	first, _ := ta.saveTone(t, sessions, "s1", at)
	second, _ := ta.saveTone(t, sessions, "s2", at.Add(time.Second))

	ta.begin(t, "u-full", "audio/webm")
	filler := filepath.Join(dir, "filler")
	fill(t, filler)

	// Saves of every kind, and upload chunks, are refused with 507, and
	// leave nothing.
	before := ta.written(t)
	wav := base64.StdEncoding.EncodeToString(wavTake(0.5))
	for i := range 3 {
		ta.do(t, http.MethodPut, "/uploads/u-full/chunks/0", string(bytes.Repeat([]byte{0x1a}, 64<<10)), "Content-Type", "application/octet-stream").
			wantError(t, http.StatusInsufficientStorage, "the server's disk is full")
		sessions.addTake(t, "s3", toneParams, tone(toneParams.SampleRate, toneParams.Channels, 0.5))
		ta.do(t, http.MethodPost, "/save_recording", `{"session_id":"s3","recording_type":"webrtc","duration":0.5}`).
			wantError(t, http.StatusInsufficientStorage, "the server's disk is full")
		ta.do(t, http.MethodPost, "/save_recording", saveBody(t, map[string]any{"audio_data": wav, "duration": 0.5})).
			wantError(t, http.StatusInsufficientStorage, "the server's disk is full")
		ta.wantUnchanged(t, before)
		if i == 0 && logs.errors("disk is full") != 1 {
			t.Errorf("the first refusal logged %d times", logs.errors("disk is full"))
		}
	}
	if n := logs.errors("disk is full"); n != 1 {
		t.Errorf("9 refused requests logged the full disk %d times, want once", n)
	}
	if n := logs.errors("path=" + dir); n != 1 {
		t.Errorf("the log does not name a path under %s", dir)
	}

	// Deleting still works on the full disk: file and row go.
	ta.do(t, http.MethodDelete, "/recordings/"+first, "").wantStatus(t, http.StatusOK)
	if _, err := ta.db.GetRecording(context.Background(), first); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("row after delete: %v", err)
	}
	if _, err := os.Stat(filepath.Join(ta.recDir, first)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("file after delete: %v", err)
	}

	// Space freed: saving works again, and the next full disk is a new
	// episode, logged once more.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	third, _ := ta.saveTone(t, sessions, "s4", at.Add(2*time.Second))
	// The end of the episode counts every request refused in it.
	if n := logs.count("refused_while_full=9"); n != 1 {
		t.Errorf("the end of the episode does not count the 9 refusals:\n%s", logs.lines("room again"))
	}
	if got := ta.written(t).rows; got != 2 {
		t.Errorf("%d rows, want %s and %s", got, second, third)
	}
	// The reserve given up for the delete is back, for the next time.
	if fi, err := os.Stat(filepath.Join(dir, "space.reserve")); err != nil || fi.Size() != 256<<10 {
		t.Errorf("reserve after a save: %v, %v", fi, err)
	}
	fill(t, filler)
	ta.do(t, http.MethodPost, "/save_recording", saveBody(t, map[string]any{"audio_data": wav, "duration": 0.5})).
		wantError(t, http.StatusInsufficientStorage, "the server's disk is full")
	if n := logs.errors("disk is full"); n != 2 {
		t.Errorf("two episodes logged %d times, want twice", n)
	}
	ta.do(t, http.MethodDelete, "/recordings/"+second, "").wantStatus(t, http.StatusOK)
}
