package webm

import (
	"bytes"
	"errors"
	"testing"
)

// TestCompletePrefix cuts Chromium's live WebM (unknown-size Segment and
// Clusters) everywhere a closed tab could, and checks that the prefix it
// keeps is a whole file Fix accepts, losing only the element cut in two.
func TestCompletePrefix(t *testing.T) {
	in := fixture(t)
	full := probe(t, in)

	t.Run("Whole", func(t *testing.T) {
		n, err := CompletePrefix(bytes.NewReader(in), int64(len(in)))
		if err != nil || n != int64(len(in)) {
			t.Fatalf("CompletePrefix = %d, %v; want %d", n, err, len(in))
		}
	})

	t.Run("Cut", func(t *testing.T) {
		// From just after the first block to the end, every 97 bytes.
		for cut := len(in) / 4; cut < len(in); cut += 97 {
			b := in[:cut]
			n, err := CompletePrefix(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatalf("cut at %d: %v", cut, err)
			}
			if n > int64(cut) || n < int64(cut)-maxAudioBlock {
				t.Fatalf("cut at %d: prefix %d", cut, n)
			}
			info, err := Fix(&bytes.Buffer{}, bytes.NewReader(b), n)
			if err != nil {
				t.Fatalf("cut at %d: Fix of the %d-byte prefix: %v", cut, n, err)
			}
			if info.Blocks == 0 || info.Blocks > full.Blocks || info.Duration > full.Duration {
				t.Fatalf("cut at %d: %d blocks, %v; the whole file has %d, %v", cut, info.Blocks, info.Duration, full.Blocks, full.Duration)
			}
		}
	})

	t.Run("ErrNotWebM", func(t *testing.T) {
		b := []byte("RIFF....WAVEfmt ")
		if _, err := CompletePrefix(bytes.NewReader(b), int64(len(b))); !errors.Is(err, ErrNotWebM) {
			t.Fatalf("err = %v, want ErrNotWebM", err)
		}
	})
}
