// Package disk looks after the local disk the server writes to: a reserve
// given up when the disk fills so recordings can still be deleted, each
// disk-full episode logged once, a check that a directory can be written
// at all, and the removal of temporary files a crash left.
package disk

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/avatarweb/recorder/media"
)

// Space looks after a full disk. It keeps a reserve file that is given up
// when deleting a recording finds the disk full (SQLite needs room for its
// write-ahead log even to delete a row), so people can always delete to
// free space; and it logs each disk-full episode once, with the path that
// could not be written, however many requests are refused meanwhile. An
// episode ends when a recording is saved again.
//
// A nil *Space keeps no reserve and logs nothing; its methods still mark
// disk-full errors for users.
type Space struct {
	Reserve string       // path of the reserve file; "" for none
	Size    int64        // bytes the reserve holds
	Log     *slog.Logger // where episodes are told

	mu      sync.Mutex
	full    bool // in a disk-full episode
	refused int  // requests refused in this episode
}

// Keep makes sure the reserve file is there, whole: it writes it anew if it
// is absent or short (a temp file synced and renamed, so a crash leaves no
// half reserve under its name). On a full disk it fails and leaves no
// partial file; it is tried again after the next save.
func (s *Space) Keep() error {
	if s == nil || s.Reserve == "" || s.Size <= 0 {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.keep()
}

func (s *Space) keep() error {
	if fi, err := os.Stat(s.Reserve); err == nil && fi.Size() >= s.Size {
		return nil
	}
	tmp := s.Reserve + ".tmp"
	err := writeZeros(tmp, s.Size)
	if err == nil {
		err = os.Rename(tmp, s.Reserve)
	}
	if err == nil {
		err = media.SyncDir(filepath.Dir(s.Reserve))
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("disk: keep reserve %q: %w", s.Reserve, err)
	}
	return nil
}

func writeZeros(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	buf := make([]byte, min(size, 64<<10))
	for left := size; left > 0 && err == nil; left -= int64(len(buf)) {
		_, err = f.Write(buf[:min(left, int64(len(buf)))])
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Release removes the reserve file to make room, and reports whether that
// freed anything. Keep writes it again once there is room.
func (s *Space) Release() bool {
	if s == nil || s.Reserve == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Remove(s.Reserve); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			s.log().Error("could not remove the disk space reserve", "path", s.Reserve, "err", err)
		}
		return false
	}
	s.log().Warn("the disk is full: gave up the space reserve so a recording can be deleted", "path", s.Reserve, "bytes", s.Size)
	return true
}

// Check returns err as it is, unless it says the disk is full: then it
// returns a media.ErrDiskFull with the message for users (wrapping err),
// and logs the full disk with the path that could not be written if this
// is the first refusal of an episode.
func (s *Space) Check(err error) error {
	if err == nil || !media.IsDiskFull(err) {
		return err
	}
	var me *media.Error
	if errors.As(err, &me) && me.Kind == media.ErrDiskFull {
		return err // checked already
	}
	if s != nil {
		s.mu.Lock()
		first := !s.full
		s.full = true
		s.refused++
		s.mu.Unlock()
		if first {
			s.log().Error("the disk is full: saving is refused until space is freed; deleting recordings still works",
				"path", failedPath(err), "err", err)
		}
	}
	return &media.Error{Kind: media.ErrDiskFull, Message: media.DiskFullMessage, Err: err}
}

// Reported reports whether err is a full disk that Check has seen (and
// logged, once per episode), so it need not be logged again.
func Reported(err error) bool {
	var me *media.Error
	return errors.As(err, &me) && me.Kind == media.ErrDiskFull
}

// Saved tells s that a write succeeded: a disk-full episode is over, and
// the reserve is written again if it was given up.
func (s *Space) Saved() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.full {
		s.log().Info("the disk has room again; saving works", "refused_while_full", s.refused)
		s.full, s.refused = false, 0
	}
	if s.Reserve != "" && s.Size > 0 {
		if err := s.keep(); err != nil {
			s.log().Debug("the space reserve waits for more room", "err", err)
		}
	}
}

func (s *Space) log() *slog.Logger {
	if s.Log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return s.Log
}

// failedPath is the file a disk-full error is about, when it says.
func failedPath(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Path
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.New
	}
	return "unknown"
}
