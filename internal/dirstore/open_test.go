package dirstore_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/avatarweb/recorder/internal/dirstore"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/store"
)

func TestSeek(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	// Sizes around the 48 KiB decode chunk, with each base64 padding.
	for _, size := range []int{0, 1, 2, 3, 4, 5, 49151, 49152, 49153, 300_001, 300_002, 300_003} {
		orig := randomBytes(rng, size)
		s := newStore(t)
		name, err := s.Save(context.Background(), bytes.NewReader(orig), int64(size), testMeta())
		if err != nil {
			t.Fatal(err)
		}
		rec, err := s.Open(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		defer rec.Close()
		if rec.Size != int64(size) {
			t.Fatalf("size %d: Size = %d", size, rec.Size)
		}
		checkSeeks(t, rng, rec.Audio, orig)
	}
}

// checkSeeks seeks r at random and checks each read against orig.
func checkSeeks(t *testing.T, rng *rand.Rand, r io.ReadSeeker, orig []byte) {
	t.Helper()
	size := int64(len(orig))
	pos := int64(0)
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	for i := range 400 {
		target := rng.Int64N(size + 10) // sometimes past the end
		var offset int64
		whence := i % 3
		switch whence {
		case io.SeekStart:
			offset = target
		case io.SeekCurrent:
			offset = target - pos
		case io.SeekEnd:
			offset = target - size
		}
		got, err := r.Seek(offset, whence)
		if err != nil || got != target {
			t.Fatalf("size %d: Seek(%d, %d) at %d = %d, %v; want %d", size, offset, whence, pos, got, err, target)
		}
		n := 1 + rng.IntN(70_000)
		if i%4 == 0 {
			n = 1 + rng.IntN(8) // small reads across quads
		}
		buf := make([]byte, n)
		m, err := io.ReadFull(r, buf)
		want := orig[min(target, size):min(target+int64(n), size)]
		if !bytes.Equal(buf[:m], want) {
			t.Fatalf("size %d: %d bytes at %d (whence %d) differ", size, n, target, whence)
		}
		switch {
		case m == n && err != nil:
			t.Fatalf("size %d: read %d at %d: %v", size, n, target, err)
		case m < n && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF):
			t.Fatalf("size %d: short read at %d: %v", size, target, err)
		}
		pos = target + int64(m)
	}

	// Reading through in odd small pieces gives the whole.
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	var all []byte
	buf := make([]byte, 7)
	for {
		n, err := r.Read(buf[:1+len(all)%7])
		all = append(all, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(all, orig) {
		t.Errorf("size %d: small reads differ", size)
	}

	if _, err := r.Seek(-1, io.SeekStart); err == nil {
		t.Error("Seek to -1 succeeded")
	}
	if _, err := r.Seek(-size-1, io.SeekEnd); err == nil {
		t.Error("Seek before the start from the end succeeded")
	}
	if _, err := r.Seek(size+5, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Errorf("Read past the end = %d, %v", n, err)
	}
}

// writeRecording writes a recording file by hand into s.Dir.
func writeRecording(t *testing.T, s *dirstore.Store, name, content string) {
	t.Helper()
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.Dir, name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestOpenLegacy(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	wav := append(media.WAVHeader(16000, 1, 1000), randomBytes(rng, 1000)...)
	b64 := base64.StdEncoding.EncodeToString(wav)
	s := newStore(t)

	t.Run("PythonKeyOrder", func(t *testing.T) {
		// json.dumps of the seed's dict: other keys first, ", " and ": ".
		writeRecording(t, s, baseName, `{"timestamp": "2025-03-01T10:00:00.000Z", "processing_parameters": {"fps": 25, "batch_size": 32, "sample_rate": 16000, "channels": 1}, "audio_data": "`+b64+`", "duration": 0.03125, "webrtc_session_id": "session_old", "mime": "audio/wav", "sample_rate": 16000, "channels": 1, "mode": "webrtc"}`)
		rec, audio := openAll(t, s, baseName)
		want := store.Meta{
			ProcessingParameters: media.Params{FPS: 25, BatchSize: 32, SampleRate: 16000, Channels: 1},
			Timestamp:            "2025-03-01T10:00:00.000Z", Duration: 0.03125, WebRTCSessionID: "session_old",
			MIME: "audio/wav", SampleRate: 16000, Channels: 1, Mode: "webrtc",
		}
		if !reflect.DeepEqual(rec.Meta, want) {
			t.Errorf("meta = %+v\nwant %+v", rec.Meta, want)
		}
		if rec.Size != int64(len(wav)) || !bytes.Equal(audio, wav) {
			t.Errorf("audio: %d bytes, size %d; want the %d saved", len(audio), rec.Size, len(wav))
		}
		checkSeeks(t, rng, rec.Audio, wav)
	})

	t.Run("EscapedSlashes", func(t *testing.T) {
		// Some JSON writers escape "/" even in the first member.
		audio := bytes.Repeat([]byte{0xff, 0xfe, 0xfd}, 100)
		esc := strings.ReplaceAll(base64.StdEncoding.EncodeToString(audio), "/", `\/`)
		if !strings.Contains(esc, `\/`) {
			t.Fatal("test audio has no / in base64")
		}
		writeRecording(t, s, "recording_20261126_130508.json", `{"audio_data":"`+esc+`","mime":"audio\/webm","bytes":300}`)
		rec, got := openAll(t, s, "recording_20261126_130508.json")
		if !bytes.Equal(got, audio) || rec.Meta.MIME != "audio/webm" {
			t.Errorf("audio %d bytes, mime %q", len(got), rec.Meta.MIME)
		}
	})

	t.Run("OnlyAudio", func(t *testing.T) {
		writeRecording(t, s, "recording_20261126_130509.json", `{"audio_data":"`+b64+`"}`)
		rec, got := openAll(t, s, "recording_20261126_130509.json")
		if !bytes.Equal(got, wav) || !reflect.DeepEqual(rec.Meta, store.Meta{}) {
			t.Errorf("audio %d bytes, meta %+v", len(got), rec.Meta)
		}
	})
}

func TestOpenLargeMetadata(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	audio := randomBytes(rng, 100_000)
	for name, meta := range map[string]store.Meta{
		// The 64 KiB tail window starts inside these runs of base64
		// characters, so the first quote in it is the session id's; with
		// one of these lengths the base64 run up to it is whole quads.
		"LongSessionID0": {WebRTCSessionID: strings.Repeat("a", 90_000), Mode: "webrtc"},
		"LongSessionID1": {WebRTCSessionID: strings.Repeat("a", 90_001), Mode: "webrtc"},
		"LongSessionID2": {WebRTCSessionID: strings.Repeat("a", 90_002), Mode: "webrtc"},
		"LongSessionID3": {WebRTCSessionID: strings.Repeat("a", 90_003), Mode: "webrtc"},
		"ManyStats": {Stats: func() map[string]int64 {
			m := map[string]int64{}
			for i := range 10_000 {
				m["counter"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+itoa(i)] = int64(i)
			}
			return m
		}()},
	} {
		t.Run(name, func(t *testing.T) {
			s := newStore(t)
			name, err := s.Save(context.Background(), bytes.NewReader(audio), int64(len(audio)), meta)
			if err != nil {
				t.Fatal(err)
			}
			rec, got := openAll(t, s, name)
			if !bytes.Equal(got, audio) {
				t.Errorf("audio: %d bytes, want %d", len(got), len(audio))
			}
			meta.Bytes, meta.Timestamp = int64(len(audio)), rec.Meta.Timestamp
			if !reflect.DeepEqual(rec.Meta, meta) {
				t.Error("metadata differs")
			}
		})
	}
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestOpenCorrupt(t *testing.T) {
	s := newStore(t)
	audio := randomBytes(rand.New(rand.NewPCG(9, 10)), 3000)
	name, err := s.Save(context.Background(), bytes.NewReader(audio), int64(len(audio)), testMeta())
	if err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(s.Dir, name))
	if err != nil {
		t.Fatal(err)
	}
	text := string(good)
	quote := strings.Index(text[15:], `"`) + 15
	for i, content := range []string{
		text[:len(text)/2],            // truncated in the audio
		text[:len(text)-5],            // truncated in the metadata
		text[:quote-4] + text[quote:], // a quad short of bytes
		text[:quote-1] + text[quote:], // not whole quads
		strings.Replace(text, `"bytes":3000`, `"bytes":2999`, 1),
		text + "x",                              // data after the object
		"",                                      // empty
		`{"audio_data":"`,                       // nothing after the prefix
		`{"mode":"webrtc"}`,                     // no audio
		`{"audio_data":"!!!!","mode":"webrtc"}`, // not base64
		`[1,2,3]`,
	} {
		writeRecording(t, s, baseName, content)
		rec, err := s.Open(context.Background(), baseName)
		if err == nil {
			rec.Close()
			t.Errorf("case %d: opened", i)
			continue
		}
		if !errors.Is(err, store.ErrCorrupt) {
			t.Errorf("case %d: err = %v, want ErrCorrupt", i, err)
		}
	}

	// Damage in the middle of the base64 is only seen when read.
	damaged := []byte(text)
	damaged[1000] = '='
	writeRecording(t, s, baseName, string(damaged))
	rec, err := s.Open(context.Background(), baseName)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	if _, err := io.ReadAll(rec.Audio); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("read of damaged audio: err = %v, want ErrCorrupt", err)
	}
	// So is a newline beyond the tail Open reads, which the base64
	// decoder would skip; nearer the end Open refuses it.
	big := randomBytes(rand.New(rand.NewPCG(11, 12)), 100_000)
	name, err = s.Save(context.Background(), bytes.NewReader(big), int64(len(big)), testMeta())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(s.Dir, name)
	bigText, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	bigText[1000] = '\n'
	if err := os.WriteFile(path, bigText, 0o644); err != nil {
		t.Fatal(err)
	}
	rec2, err := s.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer rec2.Close()
	if _, err := io.ReadAll(rec2.Audio); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("read of audio with a newline: err = %v, want ErrCorrupt", err)
	}
	damaged[len(damaged)-200] = '\n'
	writeRecording(t, s, baseName, string(damaged))
	if _, err := s.Open(context.Background(), baseName); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("open of audio with a newline: err = %v, want ErrCorrupt", err)
	}
}
