package dirstore_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/avatarweb/recorder/media/store"
)

// The streaming layout's sizes, as open.go and store.go have them.
const (
	fuzzPrefix = `{"audio_data":"`
	fuzzWindow = 64 << 10 // tailWindow: the end Open reads first
)

// fuzzRecording applies what pad asks to file: bits 0-1 insert that many
// (0-2) tail windows of base64 after the audio_data prefix, past Open's
// tail window and across decode chunks; bit 2 adds a metadata member
// longer than the tail window, which makes Open scan from the start.
func fuzzRecording(file []byte, pad uint8) []byte {
	if !bytes.HasPrefix(file, []byte(fuzzPrefix)) {
		return file
	}
	if n := int(pad&3) % 3; n > 0 {
		audio := bytes.Repeat([]byte("A"), n*fuzzWindow)
		file = bytes.Join([][]byte{[]byte(fuzzPrefix), audio, file[len(fuzzPrefix):]}, nil)
	}
	if pad&4 != 0 && bytes.HasSuffix(file, []byte("}")) {
		member := `,"pad":"` + strings.Repeat("x", fuzzWindow+100) + `"}`
		file = append(file[:len(file)-1:len(file)-1], member...)
	}
	return file
}

// FuzzOpen writes arbitrary bytes as a well-named recording and opens it:
// a refusal wraps ErrCorrupt; an opened recording reads to exactly Size
// bytes (or fails with ErrCorrupt where its base64 is damaged), and every
// seek and read after that agrees with the whole read.
func FuzzOpen(f *testing.F) {
	s := newStore(f)
	// A recording as Save writes it, and the seed app's layouts.
	wav := append([]byte("RIFF\x24\x00\x00\x00WAVEfmt "), bytes.Repeat([]byte{1, 2, 3}, 11)...)
	name, err := s.Save(context.Background(), bytes.NewReader(wav), int64(len(wav)), testMeta())
	if err != nil {
		f.Fatal(err)
	}
	saved, err := os.ReadFile(filepath.Join(s.Dir, name))
	if err != nil {
		f.Fatal(err)
	}
	seeks := []byte{0, 0, 5, 10, 1, 0xff, 0xfe, 3, 2, 0xff, 0xf0, 200, 0, 0x7f, 0, 1, 0, 0x80, 0, 1}
	f.Add(saved, uint8(0), seeks)
	f.Add(saved[:len(saved)-9], uint8(0), seeks)
	f.Add([]byte(`{"audio_data":"QUJDRA==","mode":"webrtc"}`), uint8(1), seeks)
	f.Add([]byte(`{"audio_data":"QUJD","mode":"webrtc"}`), uint8(6), seeks)
	f.Add([]byte(`{"audio_data":"QUJDRA=","bytes":4}`), uint8(0), seeks)
	f.Add([]byte(`{"audio_data":"QU\/JD"}`), uint8(0), seeks)
	f.Add([]byte(`{"audio_data":"QUJD\nQUJD"}`), uint8(0), seeks)
	f.Add([]byte(`{"timestamp":"2026-11-26T13:05:07.123Z","audio_data":"UklGRg==","mode":"mediarecorder"}`), uint8(0), seeks)
	f.Add([]byte(`{"audio_data":"`), uint8(0), seeks)
	f.Add([]byte{}, uint8(0), []byte{})

	path := filepath.Join(s.Dir, name)
	f.Fuzz(func(t *testing.T, file []byte, pad uint8, seeks []byte) {
		file = fuzzRecording(file, pad)
		if err := os.WriteFile(path, file, 0o644); err != nil {
			t.Fatal(err)
		}
		rec, err := s.Open(context.Background(), name)
		if err != nil {
			if !errors.Is(err, store.ErrCorrupt) {
				t.Fatalf("Open: %v, which is not ErrCorrupt", err)
			}
			return
		}
		defer rec.Close()
		if rec.Filename != name || rec.Size < 0 {
			t.Fatalf("opened as %q with Size %d", rec.Filename, rec.Size)
		}
		// Damage inside the base64 shows only when it is read.
		all, readErr := io.ReadAll(rec.Audio)
		switch {
		case readErr != nil && !errors.Is(readErr, store.ErrCorrupt):
			t.Fatalf("read: %v, which is not ErrCorrupt", readErr)
		case int64(len(all)) > rec.Size:
			t.Fatalf("read %d bytes of a %d-byte recording", len(all), rec.Size)
		case readErr == nil && int64(len(all)) != rec.Size:
			t.Fatalf("Size is %d, but %d bytes read", rec.Size, len(all))
		}
		fuzzSeeks(t, rec.Audio, all, rec.Size, readErr == nil, seeks)
	})
}

// fuzzSeeks seeks r as each 4 bytes of ops say (whence, a signed offset
// scaled to the size, a read length) and, when the whole audio read
// cleanly, checks every read against it.
func fuzzSeeks(t *testing.T, r io.ReadSeeker, all []byte, size int64, check bool, ops []byte) {
	t.Helper()
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		t.Fatalf("Seek(0, SeekStart): %v", err)
	}
	pos := int64(0)
	scale := max(1, size>>14)
	buf := make([]byte, 256)
	for ; len(ops) >= 4; ops = ops[4:] {
		whence := int(ops[0] % 3)
		off := int64(int16(binary.BigEndian.Uint16(ops[1:3]))) * scale
		n := int(ops[3])
		abs := off + [3]int64{0, pos, size}[whence]
		got, err := r.Seek(off, whence)
		if abs < 0 {
			if err == nil {
				t.Fatalf("Seek(%d, %d) to %d: no error", off, whence, abs)
			}
			continue
		}
		if err != nil || got != abs {
			t.Fatalf("Seek(%d, %d) = %d, %v; want %d", off, whence, got, err, abs)
		}
		pos = abs
		k, err := io.ReadFull(r, buf[:n])
		pos += int64(k)
		if !check {
			continue
		}
		want := all[min(abs, size):min(abs+int64(n), size)]
		if !bytes.Equal(buf[:k], want) {
			t.Fatalf("after Seek(%d, %d) to %d, read %d bytes %x; want %x", off, whence, abs, k, buf[:k], want)
		}
		if (len(want) == n) != (err == nil) || (err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF)) {
			t.Fatalf("after Seek(%d, %d) to %d, read %d of %d bytes: %v", off, whence, abs, k, n, err)
		}
	}
}
