//go:build linux

package db

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// TestDeleteOnFullDisk: SQLite needs room in its WAL even to delete a row,
// so on a full disk a delete fails with a disk-full error naming the
// database file, unless MakeRoom frees space, when it succeeds.
func TestDeleteOnFullDisk(t *testing.T) {
	dir := mediatest.Tmpfs(t, "2m")
	path := filepath.Join(dir, "recorder.db")
	db := mustOpenAt(t, path)
	ctx := context.Background()
	mustInsert(t, db, "a.json", "b.json")
	reserve := filepath.Join(dir, "reserve")
	if err := os.WriteFile(reserve, make([]byte, 64<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, n := range []int{64 << 10, 4 << 10, 1} {
		for {
			if _, err := f.Write(bytes.Repeat([]byte{1}, n)); err != nil {
				break
			}
		}
	}

	err = db.DeleteRecording(ctx, "a.json")
	var pe *fs.PathError
	if !media.IsDiskFull(err) || !errors.As(err, &pe) || pe.Path != path {
		t.Fatalf("delete on a full disk without MakeRoom: %v; want a disk-full error naming %s", err, path)
	}
	if _, err := db.GetRecording(ctx, "a.json"); err != nil {
		t.Errorf("the failed delete removed the row: %v", err)
	}

	calls := 0
	db.MakeRoom = func() bool {
		calls++
		return os.Remove(reserve) == nil
	}
	if err := db.DeleteRecording(ctx, "a.json"); err != nil || calls != 1 {
		t.Fatalf("delete with MakeRoom: %v after %d calls", err, calls)
	}
	if _, err := db.GetRecording(ctx, "a.json"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("row after delete: %v", err)
	}
	// Nothing left to free: the delete fails plainly, the row stays.
	if err := db.DeleteRecording(ctx, "b.json"); err != nil {
		if !media.IsDiskFull(err) || calls != 2 {
			t.Errorf("delete with nothing to free: %v after %d calls", err, calls)
		}
		if _, err := db.GetRecording(ctx, "b.json"); err != nil {
			t.Errorf("row b: %v", err)
		}
	}
}

// TestPostgresDiskFull: a PostgreSQL server out of room says so with
// SQLSTATE 53100, and the index reports it as a full disk naming the
// database (without its password), as it does SQLite's. The index's tables
// are put in a tablespace on a small tmpfs, then filled.
func TestPostgresDiskFull(t *testing.T) {
	srv := testPG.Get(t)
	dir := mediatest.Tmpfs(t, "1m")
	if uid, gid, other := srv.Owner(); other {
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	admin, err := sql.Open("pgx", srv.URL(""))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	space := srv.NewName("full")
	if _, err := admin.Exec(`CREATE TABLESPACE ` + space + ` LOCATION '` + dir + `'`); err != nil {
		t.Fatal(err)
	}

	source := srv.FreshURL(t, "default_tablespace="+space)
	db := mustOpenAt(t, source)
	ctx := context.Background()
	mustInsert(t, db, "a.json")

	// Waveforms of random hex, which compresses little, until the disk
	// is full.
	var insertErr error
	for i := 0; insertErr == nil; i++ {
		if i == 1000 {
			t.Fatal("1000 inserts of 64 KiB fitted in a 1 MiB tablespace")
		}
		r := newRecording(fmt.Sprintf("fill%03d.json", i))
		r.Waveform = hex.EncodeToString(randomBytes(t, 32<<10))
		insertErr = db.InsertRecording(ctx, r)
	}
	var pe *fs.PathError
	if !media.IsDiskFull(insertErr) || !errors.As(insertErr, &pe) || pe.Path != redactURL(source) {
		t.Fatalf("insert on a full disk: %v; want a disk-full error naming %s", insertErr, redactURL(source))
	}
	// The failed insert left the index whole: its row and its count are
	// not there, and deleting still works.
	n := mustCount(t, db)
	var rows int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM recordings`).Scan(&rows); err != nil || rows != n {
		t.Fatalf("kept count %d, rows %d (%v)", n, rows, err)
	}
	if err := db.DeleteRecording(ctx, "a.json"); err != nil {
		t.Fatalf("delete on a full disk: %v", err)
	}
}

func randomBytes(tb testing.TB, n int) []byte {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return b
}
