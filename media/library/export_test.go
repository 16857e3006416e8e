package library_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/export"
)

// TestExportAtProcessingParameters: a take's WAV export is at the sample
// rate and channels it was made under (kept in its file's
// processing_parameters), not the Opus stream's 48 kHz; an export the
// take cannot be made into leaves it open nowhere.
func TestExportAtProcessingParameters(t *testing.T) {
	lib, _, _, _ := setup(t)
	ctx := context.Background()
	raw, err := os.ReadFile("../ogg/testdata/tone-440hz-mono.opus") // 1.5 s
	if err != nil {
		t.Fatal(err)
	}
	p := media.DefaultParams()
	p.SampleRate, p.Channels = 22050, 2
	rec, err := lib.SaveAudio(ctx, raw, "audio/ogg", 1.5, p, "")
	if err != nil {
		t.Fatal(err)
	}
	e, f, err := lib.Export(ctx, rec.Filename, export.WAV)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out bytes.Buffer
	if err := e.WriteTo(ctx, &out); err != nil {
		t.Fatal(err)
	}
	info, err := media.ReadWAVHeader(bytes.NewReader(out.Bytes()))
	if err != nil || info.SampleRate != 22050 || info.Channels != 2 || int64(out.Len()) != e.Size {
		t.Fatalf("WAV %+v (%v), %d bytes of %d planned; want 22050 Hz stereo", info, err, out.Len(), e.Size)
	}
	if d := info.Duration(); d < 1.49 || d > 1.51 {
		t.Errorf("%.3f s, want 1.5", d)
	}
	if _, _, err := lib.Export(ctx, rec.Filename, export.OggOpus); !errors.Is(err, media.ErrInvalid) {
		t.Errorf("Ogg of an Ogg: %v, want ErrInvalid", err)
	}
	if _, _, err := lib.Export(ctx, "../etc/passwd", export.WAV); !errors.Is(err, media.ErrInvalid) {
		t.Errorf("a bad name: %v, want ErrInvalid", err)
	}
}
