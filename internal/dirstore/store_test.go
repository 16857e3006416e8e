package dirstore_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/dirstore"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/store"
)

var fixedNow = time.Date(2026, 11, 26, 13, 5, 7, 123e6, time.UTC)

const baseName = "recording_20261126_130507.json"

// newStore returns a Store on a directory that does not exist yet, with the
// clock fixed at fixedNow.
func newStore(tb testing.TB) *dirstore.Store {
	tb.Helper()
	return &dirstore.Store{
		Dir: filepath.Join(tb.TempDir(), "recordings"),
		Now: func() time.Time { return fixedNow },
	}
}

// dirNames lists the names in dir; a missing dir is empty.
func dirNames(tb testing.TB, dir string) []string {
	tb.Helper()
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func randomBytes(rng *rand.Rand, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

func testMeta() store.Meta {
	return store.Meta{
		ProcessingParameters: media.DefaultParams(),
		WebRTCSessionID:      "session_abc",
		Mode:                 "webrtc",
		Stats:                map[string]int64{"packets": 151, "lost": 2},
	}
}

// openAll opens name and reads its whole audio.
func openAll(tb testing.TB, s *dirstore.Store, name string) (*store.Recording, []byte) {
	tb.Helper()
	rec, err := s.Open(context.Background(), name)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { rec.Close() })
	audio, err := io.ReadAll(rec.Audio)
	if err != nil {
		tb.Fatal(err)
	}
	return rec, audio
}

func TestSaveWAV(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pads := map[int]bool{}
	for _, tc := range []struct{ frames, channels int }{
		{0, 1}, {1, 1}, {2, 1}, {3, 1}, {1000, 1}, {1001, 1}, {1002, 1},
		{1, 2}, {2, 2}, {3, 2}, {40000, 1}, {40001, 2}, {40002, 2},
	} {
		pcmBytes := 2 * tc.channels * tc.frames
		wavBytes := media.WAVHeaderSize + pcmBytes
		pads[(3-wavBytes%3)%3] = true
		t.Run(fmt.Sprintf("%dx%d", tc.frames, tc.channels), func(t *testing.T) {
			s := newStore(t)
			pcm := randomBytes(rng, pcmBytes)
			name, err := saveWAV(s, context.Background(), bytes.NewReader(pcm), int64(pcmBytes), 48000, tc.channels, testMeta())
			if err != nil {
				t.Fatal(err)
			}
			if name != baseName {
				t.Errorf("name = %q, want %q", name, baseName)
			}
			wantDuration := float64(tc.frames) / 48000
			wantMeta := testMeta()
			wantMeta.Timestamp = "2026-11-26T13:05:07.123Z"
			wantMeta.Duration = wantDuration
			wantMeta.MIME = "audio/wav"
			wantMeta.SampleRate = 48000
			wantMeta.Channels = tc.channels
			wantMeta.Bytes = int64(wavBytes)

			// The file is plain JSON in the seed's format.
			raw, err := os.ReadFile(filepath.Join(s.Dir, name))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(raw, []byte(`{"audio_data":"`)) {
				t.Errorf("file starts %q", raw[:20])
			}
			var doc struct {
				AudioData            *string          `json:"audio_data"`
				ProcessingParameters *media.Params    `json:"processing_parameters"`
				Timestamp            *string          `json:"timestamp"`
				Duration             *float64         `json:"duration"`
				WebRTCSessionID      *string          `json:"webrtc_session_id"`
				MIME                 *string          `json:"mime"`
				SampleRate           *int             `json:"sample_rate"`
				Channels             *int             `json:"channels"`
				Mode                 *string          `json:"mode"`
				Bytes                *int64           `json:"bytes"`
				Stats                map[string]int64 `json:"stats"`
			}
			if err := json.Unmarshal(raw, &doc); err != nil {
				t.Fatalf("file is not JSON: %v", err)
			}
			switch {
			case doc.AudioData == nil, doc.ProcessingParameters == nil, doc.Timestamp == nil,
				doc.Duration == nil, doc.WebRTCSessionID == nil, doc.MIME == nil,
				doc.SampleRate == nil, doc.Channels == nil, doc.Mode == nil, doc.Bytes == nil:
				t.Fatalf("missing member in %s", raw[len(raw)-300:])
			}
			got := store.Meta{
				ProcessingParameters: *doc.ProcessingParameters, Timestamp: *doc.Timestamp,
				Duration: *doc.Duration, WebRTCSessionID: *doc.WebRTCSessionID, MIME: *doc.MIME,
				SampleRate: *doc.SampleRate, Channels: *doc.Channels, Mode: *doc.Mode,
				Bytes: *doc.Bytes, Stats: doc.Stats,
			}
			if !reflect.DeepEqual(got, wantMeta) {
				t.Errorf("JSON members = %+v\nwant %+v", got, wantMeta)
			}
			wav, err := base64.StdEncoding.DecodeString(*doc.AudioData)
			if err != nil {
				t.Fatal(err)
			}
			if len(wav) != wavBytes {
				t.Errorf("audio_data holds %d bytes, want %d", len(wav), wavBytes)
			}
			r := bytes.NewReader(wav)
			info, err := media.ReadWAVHeader(r)
			if err != nil {
				t.Fatal(err)
			}
			if want := (media.WAVInfo{SampleRate: 48000, Channels: tc.channels, DataBytes: int64(pcmBytes)}); info != want {
				t.Errorf("WAV header = %+v, want %+v", info, want)
			}
			if rest, _ := io.ReadAll(r); !bytes.Equal(rest, pcm) {
				t.Error("audio_data PCM differs from the input")
			}

			// Open gives back the same.
			rec, audio := openAll(t, s, name)
			if rec.Filename != name || rec.Size != int64(wavBytes) {
				t.Errorf("Open: filename %q size %d, want %q %d", rec.Filename, rec.Size, name, wavBytes)
			}
			if !reflect.DeepEqual(rec.Meta, wantMeta) {
				t.Errorf("Open: meta = %+v\nwant %+v", rec.Meta, wantMeta)
			}
			if !bytes.Equal(audio, wav) {
				t.Error("Open: audio differs from audio_data")
			}
			if !bytes.Equal(audio[media.WAVHeaderSize:], pcm) {
				t.Error("Open: PCM differs from the input")
			}
		})
	}
	if len(pads) != 3 {
		t.Errorf("cases cover base64 padding %v, want 0, 1 and 2", pads)
	}
}

func TestSaveWAVInvalid(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		pcmBytes             int64
		sampleRate, channels int
	}{
		{"HalfSample", 3, 48000, 1},
		{"HalfFrame", 6, 48000, 2},
		{"Negative", -2, 48000, 1},
		{"NoChannels", 0, 48000, 0},
		{"NoRate", 2, 0, 1},
		{"TooLong", 1 << 32, 48000, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			pcm := bytes.NewReader(make([]byte, max(tc.pcmBytes, 0)%1024))
			_, err := saveWAV(s, context.Background(), pcm, tc.pcmBytes, tc.sampleRate, tc.channels, testMeta())
			if !errors.Is(err, media.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
			if names := dirNames(t, s.Dir); len(names) != 0 {
				t.Errorf("left %v", names)
			}
		})
	}
}

func TestSaveCollision(t *testing.T) {
	t.Run("Suffixes", func(t *testing.T) {
		s := newStore(t)
		var saved [][]byte
		for i, want := range []string{baseName, "recording_20261126_130507_2.json", "recording_20261126_130507_3.json"} {
			audio := bytes.Repeat([]byte{byte('a' + i)}, 100+i)
			name, err := s.Save(context.Background(), bytes.NewReader(audio), int64(len(audio)), testMeta())
			if err != nil {
				t.Fatal(err)
			}
			if name != want {
				t.Errorf("save %d: name = %q, want %q", i, name, want)
			}
			saved = append(saved, audio)
		}
		for i, name := range dirNames(t, s.Dir) {
			if _, audio := openAll(t, s, name); !bytes.Equal(audio, saved[i]) {
				t.Errorf("%s was overwritten: holds %q", name, audio)
			}
		}
		if names := dirNames(t, s.Dir); len(names) != 3 {
			t.Errorf("directory holds %v", names)
		}
	})

	t.Run("ForeignFile", func(t *testing.T) {
		s := newStore(t)
		if err := os.MkdirAll(s.Dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(s.Dir, baseName), []byte("keep"), 0o644); err != nil {
			t.Fatal(err)
		}
		name, err := s.Save(context.Background(), bytes.NewReader([]byte("x")), 1, testMeta())
		if err != nil {
			t.Fatal(err)
		}
		if name != "recording_20261126_130507_2.json" {
			t.Errorf("name = %q", name)
		}
		if b, _ := os.ReadFile(filepath.Join(s.Dir, baseName)); string(b) != "keep" {
			t.Errorf("existing file overwritten: %q", b)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := newStore(t)
		const n = 8
		names := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				audio := bytes.Repeat([]byte{byte(i)}, 1000)
				name, err := s.Save(context.Background(), bytes.NewReader(audio), 1000, testMeta())
				if err != nil {
					t.Error(err)
				}
				names[i] = name
			})
		}
		wg.Wait()
		for i, name := range names {
			if _, audio := openAll(t, s, name); !bytes.Equal(audio, bytes.Repeat([]byte{byte(i)}, 1000)) {
				t.Errorf("%s does not hold save %d's audio", name, i)
			}
		}
		slices.Sort(names)
		if len(slices.Compact(names)) != n || len(dirNames(t, s.Dir)) != n {
			t.Errorf("names %v, directory %v", names, dirNames(t, s.Dir))
		}
	})

	t.Run("LocalClock", func(t *testing.T) {
		s := newStore(t)
		s.Now = func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("X", 3600)) }
		name, err := s.Save(context.Background(), bytes.NewReader(nil), 0, store.Meta{})
		if err != nil {
			t.Fatal(err)
		}
		if name != "recording_20260102_030405.json" {
			t.Errorf("name = %q", name)
		}
		rec, audio := openAll(t, s, name)
		if rec.Meta.Timestamp != "2026-01-02T02:04:05.000Z" || len(audio) != 0 || rec.Size != 0 {
			t.Errorf("timestamp %q, %d bytes", rec.Meta.Timestamp, len(audio))
		}
	})
}

// errReader fails after n bytes.
type errReader struct{ n int }

func (r *errReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, errors.New("connection reset")
	}
	n := min(len(p), r.n)
	clear(p[:n])
	r.n -= n
	return n, nil
}

func TestSaveFailure(t *testing.T) {
	audio := make([]byte, 200_000)
	for _, tc := range []struct {
		name    string
		r       io.Reader
		size    int64
		invalid bool
	}{
		{"Short", bytes.NewReader(audio[:199_999]), 200_000, true},
		{"ShortInLastChunk", bytes.NewReader(audio[:5]), 6, true},
		{"Empty", bytes.NewReader(nil), 6, true},
		{"Long", bytes.NewReader(audio), 199_999, true},
		{"LongByOne", bytes.NewReader(audio[:7]), 6, true},
		{"NegativeSize", bytes.NewReader(nil), -1, true},
		{"ReadError", &errReader{n: 100_000}, 200_000, false},
		{"ReadErrorAtEnd", &errReader{n: 200_000}, 200_000, false},
		{"NoName", bytes.NewReader(audio), 200_000, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStore(t)
			if tc.name == "NoName" {
				// A clock past year 9999 gives no valid name: the link fails.
				s.Now = func() time.Time { return time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC) }
			}
			name, err := s.Save(context.Background(), tc.r, tc.size, testMeta())
			if err == nil {
				t.Fatalf("saved %q", name)
			}
			if errors.Is(err, media.ErrInvalid) != tc.invalid {
				t.Errorf("err = %v; ErrInvalid: %v, want %v", err, !tc.invalid, tc.invalid)
			}
			if names := dirNames(t, s.Dir); len(names) != 0 {
				t.Errorf("left %v", names)
			}
		})
	}
}

// cancelReader cancels its context once it has been read from, and counts
// the bytes read.
type cancelReader struct {
	r      io.Reader
	cancel context.CancelFunc
	read   int
}

func (r *cancelReader) Read(p []byte) (int, error) {
	r.cancel()
	n, err := r.r.Read(p)
	r.read += n
	return n, err
}

func TestSaveCanceled(t *testing.T) {
	t.Run("Before", func(t *testing.T) {
		s := newStore(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := s.Save(ctx, bytes.NewReader(make([]byte, 10)), 10, testMeta())
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
		if names := dirNames(t, s.Dir); len(names) != 0 {
			t.Errorf("left %v", names)
		}
	})
	t.Run("During", func(t *testing.T) {
		s := newStore(t)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		const size = 1 << 20
		r := &cancelReader{r: bytes.NewReader(make([]byte, size)), cancel: cancel}
		_, err := saveWAV(s, ctx, r, size, 48000, 1, testMeta())
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v", err)
		}
		if r.read > size/4 {
			t.Errorf("read %d bytes after the cancel", r.read)
		}
		if names := dirNames(t, s.Dir); len(names) != 0 {
			t.Errorf("left %v", names)
		}
	})
}

func TestInvalidName(t *testing.T) {
	// Dir exists and is empty, so a name that reached the disk would be
	// ErrNotFound, not ErrInvalid; the decoys beside and inside it must stay.
	root := t.TempDir()
	s := &dirstore.Store{Dir: filepath.Join(root, "recordings")}
	decoy := filepath.Join(root, "recordings.db")
	for _, path := range []string{decoy, filepath.Join(s.Dir, "x")} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("keep"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{
		"../recordings.db",
		"..%2fx",
		"/etc/passwd",
		"recording_20261126_130507.json/..",
		"recording_20261126_130507.json/../x",
		"",
		"x",
		".",
		"recording_20261126_130507.JSON",
		"recording_x.json",
		"recording_20261126_130507.json\x00",
		"sub/recording_20261126_130507.json",
		`..\recording_20261126_130507.json`,
	} {
		if _, err := s.Open(context.Background(), name); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("Open(%q): err = %v, want ErrInvalid", name, err)
		}
		if err := s.Remove(context.Background(), name); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("Remove(%q): err = %v, want ErrInvalid", name, err)
		}
	}
	for _, path := range []string{decoy, filepath.Join(s.Dir, "x")} {
		if _, err := os.Stat(path); err != nil {
			t.Errorf("decoy gone: %v", err)
		}
	}
}

func TestSymlink(t *testing.T) {
	s := newStore(t)
	name, err := s.Save(context.Background(), bytes.NewReader([]byte("secret")), 6, testMeta())
	if err != nil {
		t.Fatal(err)
	}
	// Move the real file outside Dir and leave a link to it in its place.
	outside := filepath.Join(t.TempDir(), "outside.json")
	if err := os.Rename(filepath.Join(s.Dir, name), outside); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(s.Dir, name)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(context.Background(), name); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Open: err = %v, want ErrNotFound", err)
	}
	if err := s.Remove(context.Background(), name); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Remove: err = %v, want ErrNotFound", err)
	}
	if _, err := os.Lstat(filepath.Join(s.Dir, name)); err != nil {
		t.Errorf("link removed: %v", err)
	}
	if _, err := os.Stat(outside); err != nil {
		t.Errorf("target removed: %v", err)
	}

	// A directory with a valid name is not a recording either.
	dirName := "recording_20261126_130508.json"
	if err := os.Mkdir(filepath.Join(s.Dir, dirName), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(context.Background(), dirName); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Open(directory): err = %v, want ErrNotFound", err)
	}
	if err := s.Remove(context.Background(), dirName); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Remove(directory): err = %v, want ErrNotFound", err)
	}
}

func TestRemove(t *testing.T) {
	s := newStore(t)
	name, err := s.Save(context.Background(), bytes.NewReader([]byte("abc")), 3, testMeta())
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		if err := s.Remove(context.Background(), name); err != nil {
			t.Fatal(err)
		}
		if names := dirNames(t, s.Dir); len(names) != 0 {
			t.Errorf("left %v", names)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if err := s.Remove(context.Background(), name); !errors.Is(err, media.ErrNotFound) {
			t.Errorf("Remove: err = %v, want ErrNotFound", err)
		}
		if _, err := s.Open(context.Background(), name); !errors.Is(err, media.ErrNotFound) {
			t.Errorf("Open: err = %v, want ErrNotFound", err)
		}
	})
	t.Run("NoDir", func(t *testing.T) {
		s := newStore(t)
		if _, err := s.Open(context.Background(), baseName); !errors.Is(err, media.ErrNotFound) {
			t.Errorf("Open: err = %v, want ErrNotFound", err)
		}
	})
}

func TestRecordingClose(t *testing.T) {
	s := newStore(t)
	name, err := s.Save(context.Background(), bytes.NewReader([]byte("abcdef")), 6, testMeta())
	if err != nil {
		t.Fatal(err)
	}
	rec, err := s.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := rec.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if _, err := io.ReadAll(rec.Audio); err == nil {
		t.Error("read after Close succeeded")
	}
}

// genReader yields n pseudo-random bytes without holding them.
type genReader struct {
	n     int64
	state uint64
}

func (g *genReader) Read(p []byte) (int, error) {
	if g.n == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), g.n)]
	for i := range p {
		g.state = g.state*6364136223846793005 + 1442695040888963407
		p[i] = byte(g.state >> 56)
	}
	g.n -= int64(len(p))
	return len(p), nil
}

// allocated returns how many bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func TestMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 67 MB file")
	}
	const pcmBytes = 50_000_000
	const limit = 4 << 20
	s := newStore(t)
	var name string
	var err error
	n := allocated(func() {
		name, err = saveWAV(s, context.Background(), &genReader{n: pcmBytes}, pcmBytes, 48000, 1, testMeta())
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("SaveWAV of %d bytes allocated %d bytes", pcmBytes, n)
	if n > limit {
		t.Errorf("SaveWAV of %d bytes allocated %d bytes, want < %d", pcmBytes, n, limit)
	}

	var rec *store.Recording
	var same bool
	n = allocated(func() {
		rec, err = s.Open(context.Background(), name)
		if err != nil {
			return
		}
		defer rec.Close()
		if _, err = rec.Audio.Seek(media.WAVHeaderSize, io.SeekStart); err != nil {
			return
		}
		same, err = sameStream(rec.Audio, &genReader{n: pcmBytes})
	})
	if err != nil {
		t.Fatal(err)
	}
	if !same {
		t.Error("read back PCM differs from what was saved")
	}
	t.Logf("Open and read of %d bytes allocated %d bytes", rec.Size, n)
	if n > limit {
		t.Errorf("Open and read of %d bytes allocated %d bytes, want < %d", rec.Size, n, limit)
	}
}

// sameStream reports whether a and b yield the same bytes.
func sameStream(a, b io.Reader) (bool, error) {
	bufA, bufB := make([]byte, 32<<10), make([]byte, 32<<10)
	for {
		na, errA := io.ReadFull(a, bufA)
		nb, errB := io.ReadFull(b, bufB)
		if !bytes.Equal(bufA[:na], bufB[:nb]) {
			return false, nil
		}
		if errA == io.EOF || errA == io.ErrUnexpectedEOF {
			return errB == io.EOF || errB == io.ErrUnexpectedEOF, nil
		}
		if errA != nil {
			return false, errA
		}
	}
}

func BenchmarkSaveWAV(b *testing.B) {
	const pcmBytes = 60 * 48000 * 2 // 60 s of 48 kHz mono
	pcm := randomBytes(rand.New(rand.NewPCG(1, 2)), pcmBytes)
	s := newStore(b)
	clock := fixedNow
	s.Now = func() time.Time { clock = clock.Add(time.Second); return clock }
	b.SetBytes(pcmBytes)
	b.ReportAllocs()
	for b.Loop() {
		name, err := saveWAV(s, context.Background(), bytes.NewReader(pcm), pcmBytes, 48000, 1, testMeta())
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Remove(context.Background(), name); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenRead(b *testing.B) {
	const pcmBytes = 60 * 48000 * 2
	s := newStore(b)
	name, err := saveWAV(s, context.Background(), &genReader{n: pcmBytes}, pcmBytes, 48000, 1, testMeta())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(pcmBytes + media.WAVHeaderSize)
	b.ReportAllocs()
	for b.Loop() {
		rec, err := s.Open(context.Background(), name)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rec.Audio); err != nil {
			b.Fatal(err)
		}
		rec.Close()
	}
}

// saveWAV saves pcmBytes of PCM as a WAV recording (store.WAV).
func saveWAV(s *dirstore.Store, ctx context.Context, pcm io.Reader, pcmBytes int64, sampleRate, channels int, meta store.Meta) (string, error) {
	audio, size, meta, err := store.WAV(pcm, pcmBytes, sampleRate, channels, meta)
	if err != nil {
		return "", err
	}
	return s.Save(ctx, audio, size, meta)
}
