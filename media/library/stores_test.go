package library_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/internal/s3store/s3test"
	"github.com/avatarweb/recorder/media/library"
)

// backend is a library on one of the stores, with what a test needs to
// reach behind the library's back, as a crash or an operator would.
type backend struct {
	lib      *library.Library
	db       *db.DB
	sessions *fakeSessions
	// held lists everything the store keeps: recordings, the trash and,
	// in a bucket, unfinished uploads.
	held func(t *testing.T) []string
	// put writes a recording file as given, under name.
	put func(t *testing.T, name string, raw []byte)
}

// forEachStore runs test on a library whose recordings are kept in each
// store: a directory, and a bucket of a real S3-compatible server
// (skipped without one, see s3test).
func forEachStore(t *testing.T, test func(t *testing.T, b *backend)) {
	t.Run("Dir", func(t *testing.T) {
		lib, database, sessions, recDir := setup(t)
		test(t, &backend{
			lib: lib, db: database, sessions: sessions,
			held: func(t *testing.T) []string { return files(t, recDir) },
			put: func(t *testing.T, name string, raw []byte) {
				if err := os.WriteFile(filepath.Join(recDir, name), raw, 0o644); err != nil {
					t.Fatal(err)
				}
			},
		})
	})
	t.Run("S3", func(t *testing.T) {
		gw := s3test.Start(t)
		lib, database, sessions, _ := setup(t)
		st := gw.NewStore(t, lib.Now)
		lib.Store = st
		test(t, &backend{
			lib: lib, db: database, sessions: sessions,
			held: func(t *testing.T) []string {
				keys, uploads := gw.Keys(t, st.Bucket())
				for i, k := range keys {
					keys[i] = filepath.Base(k)
				}
				return append(keys, uploads...)
			},
			put: func(t *testing.T, name string, raw []byte) { gw.Put(t, st.Bucket(), "recordings/"+name, raw) },
		})
	})
}

// names lists the recordings the store has, in order.
func (b *backend) names(t *testing.T) []string {
	t.Helper()
	names, err := b.lib.Store.Names(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(names)
	return names
}

// raw reads a recording's file as stored.
func (b *backend) raw(t *testing.T, name string) []byte {
	t.Helper()
	f, _, err := b.lib.Store.OpenFile(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
