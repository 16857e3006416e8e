package dirstore_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/store"
)

func TestStageRemove(t *testing.T) {
	s := newStore(t)
	save := func(t *testing.T) string {
		t.Helper()
		name, err := saveWAV(s, context.Background(), bytes.NewReader(make([]byte, 64)), 64, 8000, 1, store.Meta{Mode: "webrtc"})
		if err != nil {
			t.Fatal(err)
		}
		return name
	}
	t.Run("Undo", func(t *testing.T) {
		name := save(t)
		rm, err := s.StageRemove(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Open(context.Background(), name); !errors.Is(err, media.ErrNotFound) {
			t.Errorf("staged recording still opens: %v", err)
		}
		if err := rm.Undo(); err != nil {
			t.Fatal(err)
		}
		rec, err := s.Open(context.Background(), name)
		if err != nil {
			t.Fatalf("undone removal: %v", err)
		}
		rec.Close()
	})
	t.Run("Done", func(t *testing.T) {
		name := save(t)
		rm, err := s.StageRemove(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		if err := rm.Done(); err != nil {
			t.Fatal(err)
		}
		if slices.Contains(dirNames(t, s.Dir), name) || slices.Contains(dirNames(t, s.Dir), ".trash-"+name) {
			t.Errorf("files left: %v", dirNames(t, s.Dir))
		}
	})
	t.Run("TrashAfterCrash", func(t *testing.T) {
		name := save(t)
		if _, err := s.StageRemove(context.Background(), name); err != nil { // then the process "dies"
			t.Fatal(err)
		}
		trash, err := s.Trash(context.Background())
		if err != nil || len(trash) != 1 || trash[0].Name() != name {
			t.Fatalf("Trash() = %v, %v; want the staged %s", trash, err, name)
		}
		if err := trash[0].Undo(); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(s.Dir, name)); err != nil {
			t.Errorf("not restored: %v", err)
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		if _, err := s.StageRemove(context.Background(), "../x.json"); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("bad name: %v", err)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := s.StageRemove(context.Background(), "recording_20000101_000000.json"); !errors.Is(err, media.ErrNotFound) {
			t.Errorf("missing: %v", err)
		}
	})
}
