// Package storetest is the conformance suite of store.Store: the
// directory (internal/dirstore) and the bucket (internal/s3store) run the
// same tests, so the library can rely on one behaviour.
package storetest

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/store"
)

// NewStore returns an empty store whose clock is now.
type NewStore func(t *testing.T, now func() time.Time) store.Store

// Clock is the time the suite saves at, unless a test moves it.
var Clock = time.Date(2026, 11, 26, 13, 2, 58, 95e6, time.UTC)

// Run runs the suite: every test gets a new empty store from newStore.
func Run(t *testing.T, newStore NewStore) {
	fixed := func() time.Time { return Clock }
	tests := []struct {
		name string
		run  func(t *testing.T, s store.Store)
	}{
		{"SaveOpen", testSaveOpen},
		{"Empty", testEmpty},
		{"Large", testLarge},
		{"Seek", testSeek},
		{"OpenFile", testOpenFile},
		{"Collision", testCollision},
		{"ConcurrentCollision", testConcurrentCollision},
		{"SaveFailureLeavesNothing", testSaveFailure},
		{"NotFound", testNotFound},
		{"Invalid", testInvalid},
		{"Remove", testRemove},
		{"StageUndo", testStageUndo},
		{"StageDone", testStageDone},
		{"TrashAfterCrash", testTrash},
		{"SetMeta", testSetMeta},
		{"Ping", testPing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.run(t, newStore(t, fixed)) })
	}
}

// audio returns n reproducible random bytes.
func audio(seed uint64, n int) []byte {
	r := rand.New(rand.NewPCG(seed, 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func meta() store.Meta {
	return store.Meta{
		ProcessingParameters: media.DefaultParams(), Duration: 3.04, WebRTCSessionID: "session_x",
		TakeID: "take_x", MIME: "audio/wav", SampleRate: 48000, Channels: 1, Mode: "webrtc",
		Stats: map[string]int64{"packets": 152}, ParamChanges: []media.ParamChange{{Frame: 33, Seconds: 1.1, FPS: 25, BatchSize: 16}},
	}
}

func save(t *testing.T, s store.Store, data []byte) string {
	t.Helper()
	name, err := s.Save(context.Background(), bytes.NewReader(data), int64(len(data)), meta())
	if err != nil {
		t.Fatalf("save %d bytes: %v", len(data), err)
	}
	return name
}

// readAll opens name and returns its metadata and audio.
func readAll(t *testing.T, s store.Store, name string) (*store.Recording, []byte) {
	t.Helper()
	rec, err := s.Open(context.Background(), name)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	defer rec.Close()
	got, err := io.ReadAll(rec.Audio)
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return rec, got
}

func names(t *testing.T, s store.Store) []string {
	t.Helper()
	got, err := s.Names(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	return got
}

func trash(t *testing.T, s store.Store) []string {
	t.Helper()
	staged, err := s.Trash(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, st := range staged {
		got = append(got, st.Name())
	}
	slices.Sort(got)
	return got
}

func want(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: %q, want %q", what, got, want)
	}
}

func testSaveOpen(t *testing.T, s store.Store) {
	data := audio(1, 100_001) // not a multiple of 3: padded base64
	name := save(t, s, data)
	if name != "recording_20261126_130258.json" {
		t.Errorf("name %q", name)
	}
	rec, got := readAll(t, s, name)
	if !bytes.Equal(got, data) {
		t.Errorf("audio differs: %d bytes read, %d saved", len(got), len(data))
	}
	m := meta()
	m.Bytes, m.Timestamp = int64(len(data)), "2026-11-26T13:02:58.095Z"
	if fmt.Sprint(rec.Meta) != fmt.Sprint(m) {
		t.Errorf("meta\n%+v, want\n%+v", rec.Meta, m)
	}
	if rec.Size != int64(len(data)) || rec.Filename != name || rec.ModTime.IsZero() {
		t.Errorf("size %d, filename %q, modtime %v", rec.Size, rec.Filename, rec.ModTime)
	}
	want(t, "names", names(t, s), []string{name})
}

func testEmpty(t *testing.T, s store.Store) {
	name := save(t, s, nil)
	rec, got := readAll(t, s, name)
	if len(got) != 0 || rec.Size != 0 || rec.Meta.Bytes != 0 {
		t.Errorf("empty recording read back as %d bytes, size %d", len(got), rec.Size)
	}
}

// testLarge saves more than one part of a multipart upload (8 MiB of
// base64 and more).
func testLarge(t *testing.T, s store.Store) {
	data := audio(2, 13<<20+5)
	name := save(t, s, data)
	_, got := readAll(t, s, name)
	if !bytes.Equal(got, data) {
		t.Errorf("audio differs: %d bytes read, %d saved", len(got), len(data))
	}
}

func testSeek(t *testing.T, s store.Store) {
	data := audio(3, 3<<20+1)
	name := save(t, s, data)
	rec, err := s.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	r := rand.New(rand.NewPCG(3, 3))
	for range 50 {
		off := r.Int64N(int64(len(data)) + 10)
		n := r.IntN(200_000)
		if _, err := rec.Audio.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, n)
		k, err := io.ReadFull(rec.Audio, buf)
		end := min(off+int64(n), int64(len(data)))
		wantN := max(0, int(end-off))
		if k != wantN || (err != nil && wantN == n) {
			t.Fatalf("read %d at %d: got %d, %v; want %d", n, off, k, err, wantN)
		}
		if wantN > 0 && !bytes.Equal(buf[:k], data[off:end]) {
			t.Fatalf("read %d at %d: wrong bytes", n, off)
		}
	}
	if pos, err := rec.Audio.Seek(-10, io.SeekEnd); err != nil || pos != int64(len(data))-10 {
		t.Fatalf("seek from end: %d, %v", pos, err)
	}
	tail, err := io.ReadAll(rec.Audio)
	if err != nil || !bytes.Equal(tail, data[len(data)-10:]) {
		t.Errorf("tail: %x, %v", tail, err)
	}
}

func testOpenFile(t *testing.T, s store.Store) {
	data := audio(4, 1000)
	name := save(t, s, data)
	f, size, err := s.OpenFile(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(raw)) != size {
		t.Errorf("size %d, read %d", size, len(raw))
	}
	if !bytes.HasPrefix(raw, []byte(`{"audio_data":"`)) {
		t.Errorf("file starts %q, not with audio_data", raw[:min(len(raw), 20)])
	}
	var doc struct {
		AudioData string `json:"audio_data"`
		Mode      string `json:"mode"`
		Bytes     int    `json:"bytes"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.AudioData != base64.StdEncoding.EncodeToString(data) || doc.Mode != "webrtc" || doc.Bytes != len(data) {
		t.Errorf("file holds mode %q, bytes %d, audio equal %v", doc.Mode, doc.Bytes, doc.AudioData == base64.StdEncoding.EncodeToString(data))
	}
}

// testCollision: saves in one second take _2, _3, ...; none is
// overwritten.
func testCollision(t *testing.T, s store.Store) {
	var saved []string
	for i := range 4 {
		name := save(t, s, audio(uint64(10+i), 500+i))
		saved = append(saved, name)
	}
	want(t, "names", saved, []string{
		"recording_20261126_130258.json", "recording_20261126_130258_2.json",
		"recording_20261126_130258_3.json", "recording_20261126_130258_4.json",
	})
	for i, name := range saved {
		if _, got := readAll(t, s, name); !bytes.Equal(got, audio(uint64(10+i), 500+i)) {
			t.Errorf("%s: overwritten", name)
		}
	}
}

// testConcurrentCollision: saves at once in one second each get a name
// of their own and keep their own audio.
func testConcurrentCollision(t *testing.T, s store.Store) {
	const n = 8
	var wg sync.WaitGroup
	got := make([]string, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			data := audio(uint64(20+i), 30_000+i)
			got[i], errs[i] = s.Save(context.Background(), bytes.NewReader(data), int64(len(data)), meta())
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i, name := range got {
		if seen[name] {
			t.Errorf("name %s given twice", name)
		}
		seen[name] = true
		if _, data := readAll(t, s, name); !bytes.Equal(data, audio(uint64(20+i), 30_000+i)) {
			t.Errorf("%s does not hold the audio saved as it", name)
		}
	}
	if l := names(t, s); len(l) != n {
		t.Errorf("%d recordings listed, want %d", len(l), n)
	}
}

// failingReader yields n bytes, then an error.
type failingReader struct{ n int }

func (f *failingReader) Read(p []byte) (int, error) {
	if f.n == 0 {
		return 0, errors.New("microphone unplugged")
	}
	k := min(len(p), f.n)
	clear(p[:k])
	f.n -= k
	return k, nil
}

func testSaveFailure(t *testing.T, s store.Store) {
	ctx := context.Background()
	big := 12 << 20 // past the first part of an upload
	canceled, cancel := context.WithCancel(ctx)
	cancel()
	cases := []struct {
		name  string
		ctx   context.Context
		audio io.Reader
		size  int64
		kind  error
	}{
		{"Short", ctx, bytes.NewReader(audio(5, 100)), 200, media.ErrInvalid},
		{"ShortLarge", ctx, bytes.NewReader(audio(5, big)), int64(big) + 1, media.ErrInvalid},
		{"Long", ctx, bytes.NewReader(audio(5, 300)), 200, media.ErrInvalid},
		{"LongLarge", ctx, bytes.NewReader(audio(5, big+1)), int64(big), media.ErrInvalid},
		{"ReadError", ctx, &failingReader{n: big}, int64(big) + 10, nil},
		{"Negative", ctx, bytes.NewReader(nil), -1, media.ErrInvalid},
		{"Canceled", canceled, bytes.NewReader(audio(5, 100)), 100, context.Canceled},
	}
	for _, tc := range cases {
		name, err := s.Save(tc.ctx, tc.audio, tc.size, meta())
		if err == nil {
			t.Errorf("%s: saved as %s", tc.name, name)
			continue
		}
		if tc.kind != nil && !errors.Is(err, tc.kind) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.kind)
		}
	}
	want(t, "names after failed saves", names(t, s), nil)
	want(t, "trash after failed saves", trash(t, s), nil)
	// And the first name is still free.
	if name := save(t, s, audio(6, 10)); name != "recording_20261126_130258.json" {
		t.Errorf("after failed saves the first name is %s", name)
	}
}

func testNotFound(t *testing.T, s store.Store) {
	ctx := context.Background()
	const absent = "recording_20000101_000000.json"
	if _, err := s.Open(ctx, absent); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("open: %v", err)
	}
	if _, _, err := s.OpenFile(ctx, absent); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("open file: %v", err)
	}
	if err := s.Remove(ctx, absent); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("remove: %v", err)
	}
	if _, err := s.StageRemove(ctx, absent); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("stage remove: %v", err)
	}
	want(t, "names of an empty store", names(t, s), nil)
}

func testInvalid(t *testing.T, s store.Store) {
	ctx := context.Background()
	name := save(t, s, audio(7, 10))
	for _, bad := range []string{"../" + name, "x/" + name, store.TrashPrefix + name, "recording.json", ""} {
		if _, err := s.Open(ctx, bad); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("open %q: %v", bad, err)
		}
		if _, _, err := s.OpenFile(ctx, bad); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("open file %q: %v", bad, err)
		}
		if err := s.Remove(ctx, bad); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("remove %q: %v", bad, err)
		}
		if _, err := s.StageRemove(ctx, bad); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("stage remove %q: %v", bad, err)
		}
	}
	want(t, "names", names(t, s), []string{name})
}

func testRemove(t *testing.T, s store.Store) {
	a := save(t, s, audio(8, 10))
	b := save(t, s, audio(9, 10))
	if err := s.Remove(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	want(t, "names", names(t, s), []string{b})
	if _, err := s.Open(context.Background(), a); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("open removed: %v", err)
	}
}

func testStageUndo(t *testing.T, s store.Store) {
	data := audio(10, 5000)
	name := save(t, s, data)
	rm, err := s.StageRemove(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if rm.Name() != name {
		t.Errorf("staged %q, want %q", rm.Name(), name)
	}
	want(t, "names while staged", names(t, s), nil)
	want(t, "trash while staged", trash(t, s), []string{name})
	if _, err := s.Open(context.Background(), name); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("open while staged: %v", err)
	}
	if err := rm.Undo(); err != nil {
		t.Fatal(err)
	}
	want(t, "names after undo", names(t, s), []string{name})
	want(t, "trash after undo", trash(t, s), nil)
	if _, got := readAll(t, s, name); !bytes.Equal(got, data) {
		t.Error("audio differs after undo")
	}
}

func testStageDone(t *testing.T, s store.Store) {
	name := save(t, s, audio(11, 5000))
	rm, err := s.StageRemove(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	if err := rm.Done(); err != nil {
		t.Fatal(err)
	}
	want(t, "names after done", names(t, s), nil)
	want(t, "trash after done", trash(t, s), nil)
	// The name is free again.
	if again := save(t, s, audio(12, 10)); again != name {
		t.Errorf("saved as %s after deleting %s", again, name)
	}
}

// testTrash: a removal a crash interrupted is found by Trash and can be
// settled either way.
func testTrash(t *testing.T, s store.Store) {
	ctx := context.Background()
	kept, gone := save(t, s, audio(13, 100)), save(t, s, audio(14, 100))
	for _, name := range []string{kept, gone} {
		if _, err := s.StageRemove(ctx, name); err != nil { // then the crash
			t.Fatal(err)
		}
	}
	staged, err := s.Trash(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(staged) != 2 {
		t.Fatalf("%d in the trash, want 2", len(staged))
	}
	for _, st := range staged {
		if st.Name() == kept {
			err = st.Undo()
		} else {
			err = st.Done()
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	want(t, "names after recovery", names(t, s), []string{kept})
	want(t, "trash after recovery", trash(t, s), nil)
	if _, got := readAll(t, s, kept); !bytes.Equal(got, audio(13, 100)) {
		t.Error("restored recording differs")
	}
}

// testSetMeta: a title is written into a recording, small or larger than
// a multipart upload's part, its audio left byte for byte and its other
// members as they were; a recording that is not there, or a name that is
// not a recording's, is refused.
func testSetMeta(t *testing.T, s store.Store) {
	ctx := context.Background()
	for _, n := range []int{1000, 13<<20 + 5} {
		data := audio(uint64(n), n)
		name := save(t, s, data)
		for _, title := range []string{"Café ☕ \"quoted\"", ""} {
			if err := s.SetMeta(ctx, name, func(m *store.Meta) { m.Title = title }); err != nil {
				t.Fatalf("%d bytes: set title %q: %v", n, title, err)
			}
			rec, got := readAll(t, s, name)
			m := meta()
			m.Bytes, m.Timestamp, m.Title = int64(n), "2026-11-26T13:02:58.095Z", title
			if !bytes.Equal(got, data) || fmt.Sprint(rec.Meta) != fmt.Sprint(m) {
				t.Errorf("%d bytes, title %q: audio equal %v, meta\n%+v, want\n%+v", n, title, bytes.Equal(got, data), rec.Meta, m)
			}
		}
		want(t, "names after SetMeta", names(t, s), []string{name})
		if err := s.Remove(ctx, name); err != nil {
			t.Fatal(err)
		}
	}
	edit := func(m *store.Meta) { m.Title = "x" }
	if err := s.SetMeta(ctx, "recording_20990101_000000.json", edit); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("absent: %v, want ErrNotFound", err)
	}
	if err := s.SetMeta(ctx, "../recorder.db", edit); !errors.Is(err, media.ErrInvalid) {
		t.Errorf("bad name: %v, want ErrInvalid", err)
	}
	want(t, "names after refusals", names(t, s), nil)
}

// testPing: a store made for the test answers.
func testPing(t *testing.T, s store.Store) {
	if err := s.Ping(context.Background()); err != nil {
		t.Error(err)
	}
}
