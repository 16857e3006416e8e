// Package dirstore keeps recordings in a directory of a local (or
// mounted) file system: one file per recording, named and laid out as
// media/store says. A save writes a temporary file, syncs it and links it
// to the first free name, so a recording is never overwritten and never
// seen half-written; a deletion moves the file aside first (StageRemove).
// It is one of the two implementations of store.Store (the other is
// internal/s3store).
package dirstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/disk"
	"github.com/avatarweb/recorder/media/store"
)

// Store is the recordings directory. It implements store.Store.
type Store struct {
	Dir string           // recordings directory; Save creates it (0o755) on demand
	Now func() time.Time // clock for names and timestamps; nil means time.Now
	// Space is told of every save, so a full disk is logged once per
	// episode and answered with media.ErrDiskFull; nil just marks the error.
	Space *disk.Space
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Save streams audio, which must yield exactly size bytes of an audio file
// (WAV, WebM, ...) and then io.EOF, into a new recording and returns its
// file name. meta.Bytes is set to size and an empty meta.Timestamp to Now.
//
// The name is recording_YYYYMMDD_HHMMSS.json from Now (in the location of
// the time it returns), or the first free of _2.json, _3.json, ...: the file
// is written to a temporary file in Dir, synced, and hard-linked to its name,
// so an existing file is never overwritten and a reader never sees half a
// recording. If audio yields fewer or more than size bytes, fails, or ctx
// ends (checked between chunks), Save returns an error and leaves nothing
// behind; a size mismatch wraps media.ErrInvalid, a full disk
// media.ErrDiskFull.
func (s *Store) Save(ctx context.Context, audio io.Reader, size int64, meta store.Meta) (filename string, err error) {
	defer func() {
		if err != nil {
			err = s.Space.Check(err)
		} else {
			s.Space.Saved()
		}
	}()
	if size < 0 {
		return "", fmt.Errorf("dirstore: save: negative size %d: %w", size, media.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("dirstore: save: %w", err)
	}
	now := s.now()
	if meta.Timestamp == "" {
		meta.Timestamp = now.UTC().Format(store.TimeFormat)
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return "", fmt.Errorf("dirstore: save: %w", err)
	}

	tmp, err := writeTemp(ctx, s.Dir, audio, size, meta)
	if err != nil {
		return "", fmt.Errorf("dirstore: save: %w", err)
	}
	defer os.Remove(tmp) // already gone on success

	name, err := linkNew(tmp, s.Dir, now)
	if err != nil {
		return "", fmt.Errorf("dirstore: save: %w", err)
	}
	final := filepath.Join(s.Dir, name)
	if err := os.Remove(tmp); err != nil {
		os.Remove(final)
		return "", fmt.Errorf("dirstore: save %q: remove temporary file: %w", name, err)
	}
	if err := media.SyncDir(s.Dir); err != nil {
		os.Remove(final)
		return "", fmt.Errorf("dirstore: save %q: %w", name, err)
	}
	return name, nil
}

// Ping checks that the recordings directory can be reached (a network
// file system mounted there may not answer), for readiness probes. A
// directory not made yet is fine: Save makes it.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := os.Stat(s.Dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("dirstore: %w", err)
	}
	return nil
}

// Names lists the recordings in Dir (none if Dir does not exist yet).
func (s *Store) Names(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("dirstore: list: %w", err)
	}
	var names []string
	for _, e := range entries {
		if store.ValidName(e.Name()) && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Remove deletes a recording. An invalid name wraps media.ErrInvalid; an
// absent one, or one that is not a regular file, wraps media.ErrNotFound.
func (s *Store) Remove(ctx context.Context, filename string) error {
	path, _, err := s.lstat(filename)
	if err != nil {
		return fmt.Errorf("dirstore: remove %q: %w", filename, err)
	}
	if err := os.Remove(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = media.NotFoundf("no recording named %q", filename)
		}
		return fmt.Errorf("dirstore: remove %q: %w", filename, err)
	}
	if err := media.SyncDir(s.Dir); err != nil {
		return fmt.Errorf("dirstore: remove %q: %w", filename, err)
	}
	return nil
}

// lstat checks name and returns its path and file info without following
// symbolic links: anything but a regular file counts as absent, so nothing
// outside Dir is ever reached.
func (s *Store) lstat(name string) (string, fs.FileInfo, error) {
	if !store.ValidName(name) {
		return "", nil, media.Invalidf("%q is not a recording name", name)
	}
	path := filepath.Join(s.Dir, name)
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, media.NotFoundf("no recording named %q", name)
	}
	if err != nil {
		return "", nil, err
	}
	if !fi.Mode().IsRegular() {
		return "", nil, &media.Error{Kind: media.ErrNotFound, Message: fmt.Sprintf("no recording named %q", name), Err: errors.New("not a regular file")}
	}
	return path, fi, nil
}

// writeTemp writes a whole recording to a new temporary file in dir, syncs
// and closes it, and returns its path. On error it leaves nothing behind.
func writeTemp(ctx context.Context, dir string, audio io.Reader, size int64, meta store.Meta) (path string, err error) {
	f, err := createTemp(dir)
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := store.Encode(ctx, f, audio, size, meta); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// tempPattern matches the temporary files Save writes a recording to.
const tempPattern = ".recording-*.tmp"

// RemoveStale deletes the temporary files of saves that never finished
// (the process was killed mid-save) and were last written more than
// olderThan ago: 0 at the start of the only node using Dir, or, when
// several nodes share it, long enough that none of them can still be
// writing one. It returns how many it removed.
func (s *Store) RemoveStale(olderThan time.Duration) (int, error) {
	return disk.RemoveStale(s.Dir, tempPattern, olderThan)
}

// createTemp creates a file named .recording-*.tmp in dir, which ValidName
// refuses, with the usual 0o644 (less umask) of the seed's files.
func createTemp(dir string) (*os.File, error) {
	for range 100 {
		path := filepath.Join(dir, fmt.Sprintf(".recording-%016x.tmp", rand.Uint64()))
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, errors.New("no free temporary file name")
}

// linkNew hard-links tmp to the first free recording name for now in dir and
// returns that name. os.Link fails on an existing name, so nothing is ever
// overwritten, even by a concurrent Save.
//
// A name whose recording is in the trash is not free: a deletion moves the
// file aside before it deletes the row, and removes the file from the
// trash only after the row is gone. Checked after linking, so a deletion
// that starts meanwhile is seen too.
func linkNew(tmp, dir string, now time.Time) (string, error) {
	for i := 1; i <= store.MaxSuffix; i++ {
		name, err := store.NameFor(now, i)
		if err != nil {
			return "", err
		}
		err = os.Link(tmp, filepath.Join(dir, name))
		if err == nil && beingDeleted(dir, name) {
			// The name is free only because a recording of that name is
			// being deleted: its row may still be in the index. Taking it
			// would make our row collide with that one; take the next.
			os.Remove(filepath.Join(dir, name))
			continue
		}
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("no free name for %s after %d tries", now.Format("recording_20060102_150405"), store.MaxSuffix)
}

// beingDeleted reports whether recording name is in the trash.
func beingDeleted(dir, name string) bool {
	_, err := os.Lstat(filepath.Join(dir, store.TrashPrefix+name))
	return err == nil
}
