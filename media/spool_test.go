package media_test

import (
	"bytes"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

func TestSpoolRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "take.pcm")
	stats := &media.Stats{}
	spool, err := media.CreateSpool(path, 16000, 2, stats)
	if err != nil {
		t.Fatal(err)
	}
	tone := mediatest.Tone(440, 16000, 2, 1.5, 0.5)
	for off := 0; off < len(tone); off += 640 { // 20 ms stereo blocks
		if err := spool.Write(media.PCM{Samples: tone[off:min(off+640, len(tone))], SampleRate: 16000, Channels: 2}); err != nil {
			t.Fatal(err)
		}
	}
	if err := spool.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if want := media.AppendS16LE(nil, tone); !bytes.Equal(got, want) {
		t.Errorf("spool has %d bytes, want the %d bytes of the tone", len(got), len(want))
	}
	if spool.Bytes() != int64(len(got)) || stats.OutputFrames.Load() != int64(len(tone)/2) {
		t.Errorf("Bytes() %d, OutputFrames %d; file %d bytes, %d frames", spool.Bytes(), stats.OutputFrames.Load(), len(got), len(tone)/2)
	}
}

func TestSpoolRefusesOtherFormat(t *testing.T) {
	spool, err := media.CreateSpool(filepath.Join(t.TempDir(), "take.pcm"), 48000, 1, &media.Stats{})
	if err != nil {
		t.Fatal(err)
	}
	defer spool.Close()
	err = spool.Write(media.PCM{Samples: make([]float32, 10), SampleRate: 16000, Channels: 1})
	if !errors.Is(err, media.ErrInvalid) || spool.Bytes() != 0 {
		t.Errorf("16 kHz block into a 48 kHz spool: err %v, %d bytes written", err, spool.Bytes())
	}
}

func TestS16RoundTrip(t *testing.T) {
	in := []float32{0, 0.5, -0.5, 1, -1, 1.5, -1.5}
	got := media.S16LEToFloat(nil, media.AppendS16LE(nil, in))
	want := []float32{0, 0.5, -0.5, 1, -1, 1, -32768.0 / 32767}
	for i := range want {
		if d := got[i] - want[i]; d > 1e-4 || d < -1e-4 {
			t.Errorf("sample %d: %v → %v, want %v (clipped)", i, in[i], got[i], want[i])
		}
	}
}

func TestWAVHeaderRoundTrip(t *testing.T) {
	h := media.WAVHeader(22050, 2, 4410*4)
	if len(h) != media.WAVHeaderSize {
		t.Fatalf("header is %d bytes", len(h))
	}
	info, err := media.ReadWAVHeader(bytes.NewReader(h))
	if err != nil {
		t.Fatal(err)
	}
	if info.SampleRate != 22050 || info.Channels != 2 || info.DataBytes != 4410*4 || info.Duration() != 0.2 {
		t.Errorf("read back %+v (%.3f s)", info, info.Duration())
	}
	if _, err := media.ReadWAVHeader(bytes.NewReader([]byte("RIFF\x00\x00\x00\x00WAVX"))); !errors.Is(err, media.ErrNotWAV) {
		t.Errorf("not a WAV: %v", err)
	}
}

func TestParamsValidate(t *testing.T) {
	ok := media.DefaultParams()
	if err := ok.Validate(); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	for _, tc := range []struct {
		field string
		edit  func(*media.Params)
	}{
		{"fps", func(p *media.Params) { p.FPS = 0 }},
		{"fps", func(p *media.Params) { p.FPS = 61 }},
		{"batch_size", func(p *media.Params) { p.BatchSize = 15 }},
		{"batch_size", func(p *media.Params) { p.BatchSize = 24 }},
		{"batch_size", func(p *media.Params) { p.BatchSize = 272 }},
		{"sample_rate", func(p *media.Params) { p.SampleRate = 12345 }},
		{"channels", func(p *media.Params) { p.Channels = 0 }},
		{"channels", func(p *media.Params) { p.Channels = 3 }},
	} {
		p := ok
		tc.edit(&p)
		err := p.Validate()
		var fields media.FieldErrors
		if !errors.As(err, &fields) || !errors.Is(err, media.ErrInvalid) || fields[tc.field] == "" || len(fields) != 1 {
			t.Errorf("%+v: got %v, want one error on %s", p, err, tc.field)
		}
	}
}

// fullDisk is a file that takes room bytes, then refuses the rest of a
// write as a full disk does: a short write and ENOSPC.
type fullDisk struct {
	w    io.Writer
	room int
}

func (d *fullDisk) Write(p []byte) (int, error) {
	n := min(len(p), d.room)
	n, err := d.w.Write(p[:n])
	d.room -= n
	if err == nil && n < len(p) {
		err = &os.PathError{Op: "write", Path: "take.pcm", Err: syscall.ENOSPC}
	}
	return n, err
}

// TestSpoolDiskFull: a write the disk refuses ends the stage with the
// error (ENOSPC in its chain), takes nothing more, and leaves the spool
// holding whole sample frames up to the last byte that reached the disk,
// which Bytes and the stats report.
func TestSpoolDiskFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "take.pcm")
	stats := &media.Stats{}
	spool, err := media.CreateSpool(path, 16000, 2, stats)
	if err != nil {
		t.Fatal(err)
	}
	const room = 10_001 // not a whole stereo frame: the disk cuts a sample
	media.WrapSpoolFile(spool, func(w io.Writer) io.Writer { return &fullDisk{w: w, room: room} })
	tone := mediatest.Tone(440, 16000, 2, 1.5, 0.5)
	var runErr error
	for off := 0; off < len(tone) && runErr == nil; off += 640 {
		runErr = spool.Write(media.PCM{Samples: tone[off:min(off+640, len(tone))], SampleRate: 16000, Channels: 2})
	}
	if runErr == nil {
		runErr = spool.Close()
	}
	if !errors.Is(runErr, syscall.ENOSPC) {
		t.Fatalf("writing ended with %v, want the disk's ENOSPC", runErr)
	}
	if err := spool.Close(); err != nil && !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Close: %v", err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	const kept = room / 4 * 4
	if want := media.AppendS16LE(nil, tone)[:kept]; !bytes.Equal(got, want) {
		t.Errorf("spool has %d bytes, want the first %d bytes of the tone", len(got), kept)
	}
	if spool.Bytes() != kept || stats.OutputFrames.Load() != kept/4 {
		t.Errorf("Bytes() %d, OutputFrames %d; want %d bytes, %d frames", spool.Bytes(), stats.OutputFrames.Load(), kept, kept/4)
	}
	if err := spool.Write(media.PCM{Samples: tone[:640], SampleRate: 16000, Channels: 2}); !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Write after the failure: %v, want the same error", err)
	}
}

// TestFloatToS16Rounding: the conversion rounds half away from zero and
// clips exactly as math.Round would, on random samples and the edges.
func TestFloatToS16Rounding(t *testing.T) {
	ref := func(s float32) int16 {
		v := math.Round(float64(s) * 32767)
		return int16(max(min(v, math.MaxInt16), math.MinInt16))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	check := func(s float32) {
		if got, want := media.FloatToS16(s), ref(s); got != want {
			t.Fatalf("FloatToS16(%v) = %d, want %d", s, got, want)
		}
	}
	for range 1_000_000 {
		check(float32(rng.Float64()*2.4 - 1.2))
	}
	for k := -32768; k <= 32768; k++ { // the halfway points and their neighbours
		half := (float64(k) + 0.5) / 32767
		for _, s := range []float32{float32(half), math.Nextafter32(float32(half), 2), math.Nextafter32(float32(half), -2)} {
			check(s)
		}
	}
	for _, s := range []float32{0, 1, -1, 2, -2, float32(math.Inf(1)), float32(math.Inf(-1)), math.SmallestNonzeroFloat32} {
		check(s)
	}
}
