package upload_test

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/upload"
)

func TestPreview(t *testing.T) {
	s, err := upload.NewSpooler(t.TempDir(), 1<<20, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Begin("", "take1", "audio/webm;codecs=opus"); err != nil {
		t.Fatal(err)
	}
	for i, chunk := range []string{"first ", "second"} {
		if _, err := s.Put("take1", i, bytes.NewReader([]byte(chunk))); err != nil {
			t.Fatal(err)
		}
	}
	f, size, mime, err := s.Preview("take1")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, _ := io.ReadAll(io.NewSectionReader(f, 0, size))
	if string(got) != "first second" || mime != "audio/webm;codecs=opus" {
		t.Errorf("preview %q (%s), want the chunks so far", got, mime)
	}
	if _, _, _, err := s.Preview("nope"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("unknown take: %v", err)
	}
}
