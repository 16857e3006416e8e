package media_test

import (
	"bytes"
	"testing"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

func TestPeaks(t *testing.T) {
	// 1 s of full-scale tone, 1 s of silence, 1 s at a quarter.
	tone := mediatest.Tone(440, 8000, 2, 1, 1)
	quiet := mediatest.Tone(440, 8000, 2, 1, 0.25)
	samples := append(append(append([]float32{}, tone...), make([]float32, len(tone))...), quiet...)
	pcm := media.AppendS16LE(nil, samples)
	got, err := media.Peaks(bytes.NewReader(pcm), 2, int64(len(samples)/2), 3)
	if err != nil {
		t.Fatal(err)
	}
	if got[0] < 250 || got[1] != 0 || got[2] < 125 || got[2] > 130 {
		t.Errorf("peaks %v, want ~255, 0, ~128 (sqrt scale of 1, 0, 0.25)", got)
	}
	if mem := media.PeaksOf(samples, 2, 3); !bytes.Equal(mem, got) {
		t.Errorf("PeaksOf %v differs from Peaks %v", mem, got)
	}
	if _, err := media.Peaks(bytes.NewReader(pcm[:100]), 2, int64(len(samples)/2), 3); err == nil {
		t.Error("short PCM: no error")
	}
}
