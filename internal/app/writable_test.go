//go:build linux

package app

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/avatarweb/recorder/internal/config"
	"github.com/avatarweb/recorder/media/mediatest"
)

// readOnly makes dir (or a file) read-only: a remount of the tmpfs when
// it is its root, else a read-only bind mount of it on itself.
func readOnly(t *testing.T, dir string, root bool) {
	t.Helper()
	if !root {
		if err := syscall.Mount(dir, dir, "", syscall.MS_BIND, ""); err != nil {
			t.Fatalf("bind %s: %v", dir, err)
		}
		t.Cleanup(func() { syscall.Unmount(dir, syscall.MNT_DETACH) })
	}
	flags := uintptr(syscall.MS_REMOUNT | syscall.MS_RDONLY)
	if !root {
		flags |= syscall.MS_BIND
	}
	if err := syscall.Mount("", dir, "", flags, ""); err != nil {
		t.Fatalf("remount %s read-only: %v", dir, err)
	}
	if f, err := os.OpenFile(dir, os.O_WRONLY, 0); err == nil {
		f.Close()
		t.Fatalf("%s is still writable", dir)
	} else if err := os.WriteFile(filepath.Join(dir, "probe"), nil, 0o644); err == nil {
		t.Fatalf("%s is still writable", dir)
	}
}

// TestRefusesUnwritableData: a data directory (or one of its
// subdirectories) that cannot be written stops the server at start with
// a message naming it, instead of starting and failing every save.
func TestRefusesUnwritableData(t *testing.T) {
	for _, sub := range []string{"", "recordings", "spool", "uploads", "recorder.db"} {
		name := sub
		if name == "" {
			name = "data"
		}
		t.Run(name, func(t *testing.T) {
			data := mediatest.Tmpfs(t, "16m")
			cfg, err := config.Parse([]string{"-data", data, "-addr", "127.0.0.1:0"}, func(string) string { return "" })
			if err != nil {
				t.Fatal(err)
			}
			// A first start makes the layout, as a real data dir has it.
			srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				t.Fatal(err)
			}
			srv.Close()
			if err := os.MkdirAll(filepath.Join(data, "recordings"), 0o755); err != nil {
				t.Fatal(err)
			}

			bad := filepath.Join(data, sub)
			readOnly(t, bad, sub == "")
			srv, err = New(context.Background(), cfg, slog.New(slog.DiscardHandler))
			if err == nil {
				srv.Close()
				t.Fatalf("started with %s read-only", bad)
			}
			if !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "not writable") {
				t.Errorf("error %q, want it to say %s is not writable", err, bad)
			}
		})
	}
}

// TestStartsOnFullDisk: a full disk is not an unwritable one; the server
// starts (with a warning) so recordings can be deleted to free space.
func TestStartsOnFullDisk(t *testing.T) {
	data := mediatest.Tmpfs(t, "16m")
	cfg, err := config.Parse([]string{"-data", data, "-addr", "127.0.0.1:0"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	srv.Close()
	f, err := os.Create(filepath.Join(data, "filler"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, n := range []int{1 << 20, 4 << 10, 1} {
		buf := make([]byte, n)
		for {
			if _, err := f.Write(buf); err != nil {
				break
			}
		}
	}
	srv, err = New(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("a full disk stopped the start: %v", err)
	}
	srv.Close()
}
