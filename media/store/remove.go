package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/avatarweb/recorder/media"
)

// TrashPrefix marks a recording moved aside for deletion, in every store.
// ValidName refuses such names, so a file in the trash is never listed or
// served.
const TrashPrefix = ".trash-"

// Staged is a recording moved aside for deletion, by any store. It lets
// the library remove the file and its index row together: the row is
// deleted only once the file is out of the way, and the file comes back
// if the row cannot go. Exactly one of Undo or Done follows.
type Staged interface {
	Name() string
	Undo() error
	Done() error
}

// Removal is a recording moved aside in Dir: the local store's Staged.
type Removal struct {
	store *Store
	name  string
}

// StageRemove moves a recording aside. Then exactly one of Undo or Done.
func (s *Store) StageRemove(ctx context.Context, filename string) (Staged, error) {
	path, _, err := s.lstat(filename)
	if err != nil {
		return nil, fmt.Errorf("store: remove %q: %w", filename, err)
	}
	if err := os.Rename(path, filepath.Join(s.Dir, TrashPrefix+filename)); err != nil {
		return nil, fmt.Errorf("store: remove %q: %w", filename, err)
	}
	if err := media.SyncDir(s.Dir); err != nil {
		return nil, fmt.Errorf("store: remove %q: %w", filename, err)
	}
	return &Removal{store: s, name: filename}, nil
}

// Undo puts the recording back.
func (r *Removal) Undo() error {
	if err := os.Rename(r.trash(), filepath.Join(r.store.Dir, r.name)); err != nil {
		return fmt.Errorf("store: restore %q: %w", r.name, err)
	}
	return media.SyncDir(r.store.Dir)
}

// Done deletes the recording for good.
func (r *Removal) Done() error {
	if err := os.Remove(r.trash()); err != nil {
		return fmt.Errorf("store: remove %q: %w", r.name, err)
	}
	return media.SyncDir(r.store.Dir)
}

func (r *Removal) trash() string { return filepath.Join(r.store.Dir, TrashPrefix+r.name) }

// Trash lists recordings left moved aside by a crash between staging a
// removal and finishing it, as Removals to Undo or finish with Done.
func (s *Store) Trash(ctx context.Context) ([]Staged, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: list trash: %w", err)
	}
	var out []Staged
	for _, e := range entries {
		name, ok := strings.CutPrefix(e.Name(), TrashPrefix)
		if ok && ValidName(name) && e.Type().IsRegular() {
			out = append(out, &Removal{store: s, name: name})
		}
	}
	return out, nil
}

// Name is the recording a Removal is about.
func (r *Removal) Name() string { return r.name }
