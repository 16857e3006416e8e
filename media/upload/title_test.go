package upload_test

import (
	"strings"
	"testing"

	"github.com/avatarweb/recorder/media/upload"
)

// TestTitleKept: the title given as an upload is saved stays with it on
// disk, so that the next start, after a crash cut the save short, finds
// it with the take (Pending.Title) and saves it under that title.
func TestTitleKept(t *testing.T) {
	dir := t.TempDir()
	s, err := upload.NewSpooler(dir, 1<<20, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Begin("c", "u1", "audio/webm"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put("u1", 0, strings.NewReader("\x1a\x45\xdf\xa3 some webm")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetTitle("u1", "Interview with Ada"); err != nil {
		t.Fatal(err)
	}
	restarted, err := upload.NewSpooler(dir, 1<<20, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	list := restarted.List()
	if len(list) != 1 || list[0].ID != "u1" || list[0].Title != "Interview with Ada" {
		t.Errorf("after a restart: %+v, want u1 titled", list)
	}
	if err := s.SetTitle("nope", "x"); err == nil {
		t.Error("titled an upload that does not exist")
	}
}
