package media_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/avatarweb/recorder/media"
)

// TestOpenTake: a draft plays as a WAV of the PCM its take counted (not
// what was written to the spool after), read from any offset, the
// header's end included; a spool that is gone is not found.
func TestOpenTake(t *testing.T) {
	pcm := make([]byte, 9600)
	for i := range pcm {
		pcm[i] = byte(i * 7)
	}
	path := filepath.Join(t.TempDir(), "take.pcm")
	if err := os.WriteFile(path, append(pcm, 1, 2, 3, 4), 0o600); err != nil { // a write past the count
		t.Fatal(err)
	}
	take := media.Take{SessionID: "s1", SpoolPath: path, SampleRate: 48000, Channels: 1, PCMBytes: int64(len(pcm))}
	p, err := media.OpenTake(take)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	want := append(media.WAVHeader(48000, 1, int64(len(pcm))), pcm...)
	if p.Size != int64(len(want)) || p.MIME != "audio/wav" {
		t.Fatalf("size %d, mime %q; want %d, audio/wav", p.Size, p.MIME, len(want))
	}
	for _, off := range []int64{0, 40, 44, 45, p.Size - 1} {
		if _, err := p.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(p)
		if err != nil || !bytes.Equal(got, want[off:]) {
			t.Errorf("from %d: %d bytes (%v), want %d equal", off, len(got), err, len(want)-int(off))
		}
	}
	info, err := media.ReadWAVHeader(bytes.NewReader(want))
	if err != nil || info.DataBytes != int64(len(pcm)) {
		t.Errorf("header: %+v, %v", info, err)
	}

	take.SpoolPath = filepath.Join(t.TempDir(), "gone.pcm")
	if _, err := media.OpenTake(take); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("a gone spool: %v, want ErrNotFound", err)
	}
}
