package mp4

import (
	"bytes"
	"os"
	"testing"
)

func TestReadTrack(t *testing.T) {
	for _, c := range []struct {
		file    string
		asc     []byte
		skip    int64
		samples int
		ticks   int64
	}{
		// ffmpeg's ordinary MP4: an edit list starting after the priming.
		{"tone-faststart.m4a", []byte{0x12, 0x10}, 1024, 66, 67174},
		// Fragmented, Safari's layout: no edit list.
		{"tone-frag.m4a", []byte{0x11, 0x88}, -1, 95, 97024},
		// WebKit's take, its last moof written twice.
		{"webkitgtk-2.50-mediarecorder.mp4", nil, -1, 330, 337920},
	} {
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile("testdata/" + c.file)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := ReadTrack(bytes.NewReader(b), int64(len(b)))
			if err != nil {
				t.Fatal(err)
			}
			// ffmpeg appends a sync extension saying "no SBR".
			if c.asc != nil && !bytes.HasPrefix(tr.DecoderConfig, c.asc) {
				t.Errorf("DecoderConfig %x, want it to start %x", tr.DecoderConfig, c.asc)
			}
			if len(tr.DecoderConfig) < 2 {
				t.Errorf("DecoderConfig %x: no AudioSpecificConfig", tr.DecoderConfig)
			}
			if tr.Skip != c.skip || tr.Samples != c.samples || tr.Ticks != c.ticks {
				t.Errorf("skip %d, %d samples, %d ticks; want %d, %d, %d", tr.Skip, tr.Samples, tr.Ticks, c.skip, c.samples, c.ticks)
			}
			// Every sample is found, none empty.
			n := 0
			err = tr.EachSample(func(p []byte) error {
				n++
				if len(p) == 0 {
					t.Errorf("sample %d is empty", n)
				}
				return nil
			})
			if err != nil || n != c.samples {
				t.Errorf("EachSample: %d samples, %v", n, err)
			}
		})
	}
}
