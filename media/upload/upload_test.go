package upload_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/upload"
)

const webm = "audio/webm;codecs=opus"

// errDropped is what a reader whose connection died returns.
var errDropped = errors.New("connection reset by peer")

// failReader yields data[:after] and then errDropped.
type failReader struct {
	data  []byte
	after int
	off   int
}

func (r *failReader) Read(p []byte) (int, error) {
	if r.off >= r.after {
		return 0, errDropped
	}
	n := copy(p, r.data[r.off:r.after])
	r.off += n
	return n, nil
}

// countReader counts what is read from r.
type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func newSpooler(tb testing.TB, maxChunk, maxTake int64) *upload.Spooler {
	tb.Helper()
	s, err := upload.NewSpooler(filepath.Join(tb.TempDir(), "uploads"), maxChunk, maxTake)
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// randomChunks returns chunks of random bytes of the given sizes.
func randomChunks(seed uint64, sizes ...int) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 1))
	chunks := make([][]byte, len(sizes))
	for i, n := range sizes {
		chunks[i] = make([]byte, n)
		for j := range chunks[i] {
			chunks[i][j] = byte(rng.Uint32())
		}
	}
	return chunks
}

func begin(tb testing.TB, s *upload.Spooler, id string) upload.Status {
	tb.Helper()
	st, err := s.Begin("", id, webm)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

func put(tb testing.TB, s *upload.Spooler, id string, index int, data []byte) upload.Status {
	tb.Helper()
	st, err := s.Put(id, index, bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("put %s chunk %d: %v", id, index, err)
	}
	return st
}

func status(tb testing.TB, s *upload.Spooler, id string) upload.Status {
	tb.Helper()
	st, err := s.Status(id)
	if err != nil {
		tb.Fatal(err)
	}
	return st
}

// spoolFile returns the spool of take id as it is on disk, nil if absent.
func spoolFile(tb testing.TB, s *upload.Spooler, id string) []byte {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join(s.Dir, id, "spool"))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		tb.Fatal(err)
	}
	return data
}

// finish finishes take id and returns the spool it hands over, checking
// that the file is exactly the size Finish reports.
func finish(tb testing.TB, s *upload.Spooler, id string) []byte {
	tb.Helper()
	path, size, mime, err := s.Finish(id)
	if err != nil {
		tb.Fatal(err)
	}
	if mime != webm {
		tb.Errorf("Finish mime %q, want %q", mime, webm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	if int64(len(data)) != size {
		tb.Errorf("Finish says %d bytes, the file has %d", size, len(data))
	}
	return data
}

// files lists the names in take id's directory.
func files(tb testing.TB, s *upload.Spooler, id string) []string {
	tb.Helper()
	entries, err := os.ReadDir(filepath.Join(s.Dir, id))
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestPut(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := newSpooler(t, 1<<20, 1<<30)
		chunks := randomChunks(1, 16000, 1, 65536+17, 0, 300000, 4096, 12345)
		st := begin(t, s, "take-1")
		if want := (upload.Status{ID: "take-1", MIME: webm}); !reflect.DeepEqual(st, want) {
			t.Errorf("Begin: %+v, want %+v", st, want)
		}
		var want []byte
		for i, c := range chunks {
			st := put(t, s, "take-1", i, c)
			want = append(want, c...)
			exp := upload.Status{ID: "take-1", MIME: webm, Next: i + 1, Bytes: int64(len(want)), Chunks: i + 1}
			if !reflect.DeepEqual(st, exp) {
				t.Errorf("after chunk %d: Put %+v, want %+v", i, st, exp)
			}
			if got := status(t, s, "take-1"); !reflect.DeepEqual(got, exp) {
				t.Errorf("after chunk %d: Status %+v, want %+v", i, got, exp)
			}
		}
		if got := finish(t, s, "take-1"); !bytes.Equal(got, want) {
			t.Fatalf("spool is %d bytes, not the %d bytes sent", len(got), len(want))
		}
		if !status(t, s, "take-1").Finished {
			t.Error("Status after Finish: not finished")
		}
		// Finish again, as after a failed save.
		if got := finish(t, s, "take-1"); !bytes.Equal(got, want) {
			t.Error("second Finish: spool changed")
		}
		// Sent again, an appended chunk is still fine; a new one is not.
		put(t, s, "take-1", 2, chunks[2])
		if _, err := s.Put("take-1", len(chunks), strings.NewReader("late")); !errors.Is(err, media.ErrConflict) {
			t.Errorf("new chunk after Finish: %v, want ErrConflict", err)
		}
		if err := s.Remove("take-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(filepath.Join(s.Dir, "take-1")); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("take directory after Remove: %v", err)
		}
		if _, err := s.Status("take-1"); !errors.Is(err, media.ErrNotFound) {
			t.Errorf("Status after Remove: %v, want ErrNotFound", err)
		}
		// The id can be used again, from scratch.
		if st := begin(t, s, "take-1"); st.Next != 0 || st.Bytes != 0 || st.Finished {
			t.Errorf("Begin after Remove: %+v", st)
		}
		if got := entries(t, s.Dir); !slices.Equal(got, []string{"take-1"}) {
			t.Errorf("Dir holds %v", got)
		}
	})

	t.Run("OutOfOrder", func(t *testing.T) {
		s := newSpooler(t, 1<<20, 1<<30)
		chunks := randomChunks(2, 1000, 2000, 3000, 4000, 5000)
		begin(t, s, "ooo")
		steps := []struct {
			index int
			next  int
			aside []int
		}{
			{2, 0, []int{2}},
			{0, 1, []int{2}},
			{1, 3, nil},
			{4, 3, []int{4}},
			{3, 5, nil},
		}
		for _, step := range steps {
			st := put(t, s, "ooo", step.index, chunks[step.index])
			n := int64(len(slices.Concat(chunks[:step.next]...)))
			if st.Next != step.next || !slices.Equal(st.Aside, step.aside) || st.Bytes != n ||
				st.Chunks != step.next+len(step.aside) {
				t.Errorf("after chunk %d: %+v, want next %d, aside %v, %d bytes", step.index, st, step.next, step.aside, n)
			}
			if got := spoolFile(t, s, "ooo"); !bytes.Equal(got, slices.Concat(chunks[:st.Next]...)) {
				t.Errorf("after chunk %d: spool is %d bytes, not chunks 0..%d", step.index, len(got), st.Next-1)
			}
		}
		if got := finish(t, s, "ooo"); !bytes.Equal(got, slices.Concat(chunks...)) {
			t.Errorf("spool is %d bytes, not the %d sent", len(got), len(slices.Concat(chunks...)))
		}
		if got := files(t, s, "ooo"); !slices.Equal(got, []string{"hashes", "spool", "state.json"}) {
			t.Errorf("take directory holds %v", got)
		}
	})

	t.Run("TooFarAhead", func(t *testing.T) {
		s := newSpooler(t, 1<<20, 1<<30)
		begin(t, s, "far")
		put(t, s, "far", 0, []byte("zero"))
		_, err := s.Put("far", 1+upload.MaxAhead+1, strings.NewReader("ten"))
		if !errors.Is(err, media.ErrConflict) || media.Message(err) != "chunk 10 is too far ahead; send chunk 1 first" {
			t.Errorf("chunk 10 with next 1: %v (%q)", err, media.Message(err))
		}
		st := put(t, s, "far", 1+upload.MaxAhead, []byte("nine"))
		if st.Next != 1 || !slices.Equal(st.Aside, []int{9}) {
			t.Errorf("chunk 9 with next 1: %+v", st)
		}
		_, _, _, err = s.Finish("far")
		if !errors.Is(err, media.ErrConflict) || !strings.Contains(media.Message(err), "chunk 1 is missing") {
			t.Errorf("Finish with chunk 1 missing: %v", err)
		}
	})

	t.Run("Idempotent", func(t *testing.T) {
		s := newSpooler(t, 1<<20, 1<<30)
		chunks := randomChunks(3, 700, 800, 900, 1000)
		other := randomChunks(4, 800, 1000)
		begin(t, s, "idem")
		put(t, s, "idem", 0, chunks[0])
		put(t, s, "idem", 1, chunks[1])
		before := put(t, s, "idem", 3, chunks[3])
		spool := spoolFile(t, s, "idem")

		// Identical bytes, appended (1) or aside (3): nothing changes.
		for _, i := range []int{0, 1, 3} {
			if st := put(t, s, "idem", i, chunks[i]); !reflect.DeepEqual(st, before) {
				t.Errorf("chunk %d again: %+v, want %+v", i, st, before)
			}
		}
		// Other bytes: conflict, nothing changes.
		for _, c := range []struct {
			index int
			data  []byte
		}{{1, other[0]}, {3, other[1]}, {1, chunks[1][:799]}, {3, nil}} {
			_, err := s.Put("idem", c.index, bytes.NewReader(c.data))
			if !errors.Is(err, media.ErrConflict) {
				t.Errorf("chunk %d with other bytes: %v, want ErrConflict", c.index, err)
			}
		}
		if st := status(t, s, "idem"); !reflect.DeepEqual(st, before) {
			t.Errorf("after conflicts: %+v, want %+v", st, before)
		}
		if got := spoolFile(t, s, "idem"); !bytes.Equal(got, spool) {
			t.Error("after conflicts: spool changed")
		}
		put(t, s, "idem", 2, chunks[2])
		if got := finish(t, s, "idem"); !bytes.Equal(got, slices.Concat(chunks...)) {
			t.Error("spool is not the chunks first sent")
		}
	})

	t.Run("ReaderFails", func(t *testing.T) {
		s := newSpooler(t, 1<<20, 1<<30)
		chunks := randomChunks(5, 100000, 200000, 300000, 1000, 250000)
		begin(t, s, "drop")
		put(t, s, "drop", 0, chunks[0])
		before := put(t, s, "drop", 1, chunks[1])
		spool := spoolFile(t, s, "drop")
		for _, i := range []int{2, 4} { // appended, held aside
			_, err := s.Put("drop", i, &failReader{data: chunks[i], after: len(chunks[i]) / 2})
			if !errors.Is(err, errDropped) {
				t.Errorf("chunk %d dropped half way: %v", i, err)
			}
			if st := status(t, s, "drop"); !reflect.DeepEqual(st, before) {
				t.Errorf("chunk %d dropped: %+v, want %+v", i, st, before)
			}
			if got := spoolFile(t, s, "drop"); !bytes.Equal(got, spool) {
				t.Errorf("chunk %d dropped: spool is %d bytes, was %d", i, len(got), len(spool))
			}
			if got := files(t, s, "drop"); !slices.Equal(got, []string{"hashes", "spool", "state.json"}) {
				t.Errorf("chunk %d dropped: take directory holds %v", i, got)
			}
		}
		for i := 2; i < len(chunks); i++ {
			put(t, s, "drop", i, chunks[i])
		}
		if got := finish(t, s, "drop"); !bytes.Equal(got, slices.Concat(chunks...)) {
			t.Error("spool is not the chunks sent")
		}
	})

	t.Run("EmptyChunk", func(t *testing.T) {
		// MediaRecorder can hand over an empty Blob; it still takes an index.
		s := newSpooler(t, 1<<20, 1<<30)
		begin(t, s, "empty")
		put(t, s, "empty", 0, nil)
		put(t, s, "empty", 1, []byte("x"))
		if st, err := s.Put("empty", 2, nil); err != nil || st.Next != 3 || st.Bytes != 1 {
			t.Errorf("nil reader: %+v, %v", st, err)
		}
		if _, err := s.Put("empty", 0, strings.NewReader("y")); !errors.Is(err, media.ErrConflict) {
			t.Errorf("bytes for empty chunk 0: %v, want ErrConflict", err)
		}
		if got := finish(t, s, "empty"); string(got) != "x" {
			t.Errorf("spool %q", got)
		}
	})
}

// TestResume plays a client whose connection drops while it sends chunk 5:
// it asks what the server has and goes on from there.
func TestResume(t *testing.T) {
	s := newSpooler(t, 1<<20, 1<<30)
	sizes := make([]int, 12)
	for i := range sizes {
		sizes[i] = 15000 + 997*i
	}
	chunks := randomChunks(6, sizes...)
	begin(t, s, "resume")
	for i := range 5 {
		put(t, s, "resume", i, chunks[i])
	}
	if _, err := s.Put("resume", 5, &failReader{data: chunks[5], after: 4000}); err == nil {
		t.Fatal("dropped chunk 5: no error")
	}
	// Reconnected: Begin again (same id and type), then Status.
	st := begin(t, s, "resume")
	if st.Next != 5 || st.Bytes != int64(sum(sizes[:5])) {
		t.Fatalf("resumed at %+v, want chunk 5 after %d bytes", st, sum(sizes[:5]))
	}
	if st2 := status(t, s, "resume"); !reflect.DeepEqual(st, st2) {
		t.Errorf("Begin says %+v, Status %+v", st, st2)
	}
	for i := st.Next; i < len(chunks); i++ {
		put(t, s, "resume", i, chunks[i])
	}
	if got := finish(t, s, "resume"); !bytes.Equal(got, slices.Concat(chunks...)) {
		t.Error("resumed take differs from the recording")
	}
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

func TestRestart(t *testing.T) {
	s := newSpooler(t, 1<<20, 1<<30)
	chunks := randomChunks(7, 5000, 6000, 7000, 8000, 9000, 10000)
	begin(t, s, "restart")
	for _, i := range []int{0, 1, 2, 4} {
		put(t, s, "restart", i, chunks[i])
	}
	before := status(t, s, "restart")

	// What a crash can leave: data past the recorded end, a temporary file,
	// a chunk file never recorded, half-created and half-removed takes.
	take := filepath.Join(s.Dir, "restart")
	appendFile(t, filepath.Join(take, "spool"), []byte("partial chunk 3"))
	appendFile(t, filepath.Join(take, "hashes"), make([]byte, 32))
	writeFile(t, filepath.Join(take, ".tmp-123"), []byte("half a state"))
	writeFile(t, filepath.Join(take, "aside-6"), []byte("unrecorded"))
	for _, d := range []string{".new-1", ".gone-x-2"} {
		if err := os.MkdirAll(filepath.Join(s.Dir, d, "sub"), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	// And a take that cannot be read: skipped and left alone.
	if err := os.MkdirAll(filepath.Join(s.Dir, "broken"), 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(s.Dir, "broken", "state.json"), []byte("{not json"))

	s2, err := upload.NewSpooler(s.Dir, 1<<20, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if got := status(t, s2, "restart"); !reflect.DeepEqual(got, before) {
		t.Errorf("after restart: %+v, want %+v", got, before)
	}
	if got := spoolFile(t, s2, "restart"); !bytes.Equal(got, slices.Concat(chunks[:3]...)) {
		t.Errorf("after restart: spool is %d bytes, want %d", len(got), before.Bytes)
	}
	if got := files(t, s2, "restart"); !slices.Equal(got, []string{"aside-4", "hashes", "spool", "state.json"}) {
		t.Errorf("after restart: take directory holds %v", got)
	}
	if got := entries(t, s2.Dir); !slices.Equal(got, []string{"broken", "restart"}) {
		t.Errorf("after restart: Dir holds %v", got)
	}
	if len(s2.Skipped) != 1 || !strings.Contains(s2.Skipped[0].Error(), `"broken"`) {
		t.Errorf("Skipped: %v", s2.Skipped)
	}
	if _, err := s2.Status("broken"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Status of a broken take: %v", err)
	}

	// The hashes came back: re-sent chunks are checked.
	put(t, s2, "restart", 1, chunks[1])
	if _, err := s2.Put("restart", 1, bytes.NewReader(chunks[2])); !errors.Is(err, media.ErrConflict) {
		t.Errorf("chunk 1 with other bytes after restart: %v", err)
	}
	if _, err := s2.Begin("", "restart", "audio/mp4"); !errors.Is(err, media.ErrConflict) {
		t.Errorf("Begin with another type after restart: %v", err)
	}
	put(t, s2, "restart", 3, chunks[3])
	put(t, s2, "restart", 5, chunks[5])
	if got := finish(t, s2, "restart"); !bytes.Equal(got, slices.Concat(chunks...)) {
		t.Error("take finished after a restart differs from the recording")
	}

	// Finished survives a restart too.
	s3, err := upload.NewSpooler(s.Dir, 1<<20, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if st := status(t, s3, "restart"); !st.Finished || st.Next != 6 {
		t.Errorf("after a second restart: %+v", st)
	}
}

// TestRestartDamagedAside checks that a chunk aside whose file went
// missing is dropped, so the client sends it again.
func TestRestartDamagedAside(t *testing.T) {
	s := newSpooler(t, 1<<20, 1<<30)
	chunks := randomChunks(8, 100, 200, 300, 400)
	begin(t, s, "dmg")
	put(t, s, "dmg", 0, chunks[0])
	put(t, s, "dmg", 2, chunks[2])
	put(t, s, "dmg", 3, chunks[3])
	if err := os.Truncate(filepath.Join(s.Dir, "dmg", "aside-2"), 10); err != nil {
		t.Fatal(err)
	}
	s2, err := upload.NewSpooler(s.Dir, 1<<20, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	if st := status(t, s2, "dmg"); st.Next != 1 || !slices.Equal(st.Aside, []int{3}) {
		t.Errorf("after restart: %+v, want next 1, aside [3]", st)
	}
	for i := 1; i < 3; i++ {
		put(t, s2, "dmg", i, chunks[i])
	}
	if got := finish(t, s2, "dmg"); !bytes.Equal(got, slices.Concat(chunks...)) {
		t.Error("spool differs from the recording")
	}
}

func appendFile(tb testing.TB, path string, data []byte) {
	tb.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := f.Write(data); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
}

func writeFile(tb testing.TB, path string, data []byte) {
	tb.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
}

func entries(tb testing.TB, dir string) []string {
	tb.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		tb.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestLimits(t *testing.T) {
	t.Run("Chunk", func(t *testing.T) {
		s := newSpooler(t, 1000, 1<<20)
		begin(t, s, "big")
		for _, index := range []int{0, 2} { // appended, held aside
			r := &countReader{r: bytes.NewReader(make([]byte, 1001))}
			_, err := s.Put("big", index, r)
			var me *media.Error
			if !errors.Is(err, upload.ErrTooLarge) || !errors.As(err, &me) || me.Message != "a chunk may be at most 1000 bytes" {
				t.Errorf("1001-byte chunk %d: %v, want ErrTooLarge", index, err)
			}
			if st := status(t, s, "big"); st.Bytes != 0 || st.Chunks != 0 {
				t.Errorf("after 1001-byte chunk %d: %+v", index, st)
			}
			if got := spoolFile(t, s, "big"); len(got) != 0 {
				t.Errorf("after 1001-byte chunk %d: spool has %d bytes", index, len(got))
			}
			for _, name := range files(t, s, "big") {
				if strings.HasPrefix(name, "aside-") || strings.HasPrefix(name, ".tmp-") {
					t.Errorf("after 1001-byte chunk %d: %s left in the take directory", index, name)
				}
			}
		}
		// An endless body is not read past the limit.
		r := &countReader{r: zeros{}}
		if _, err := s.Put("big", 0, r); !errors.Is(err, upload.ErrTooLarge) || r.n > 1001 {
			t.Errorf("endless chunk: %v after reading %d bytes", err, r.n)
		}
		if st := put(t, s, "big", 0, make([]byte, 1000)); st.Bytes != 1000 {
			t.Errorf("1000-byte chunk: %+v", st)
		}
	})

	t.Run("Take", func(t *testing.T) {
		s := newSpooler(t, 1000, 2500)
		begin(t, s, "long")
		put(t, s, "long", 0, make([]byte, 1000))
		put(t, s, "long", 1, make([]byte, 1000))
		put(t, s, "long", 3, make([]byte, 400)) // aside counts: 2400 held
		_, err := s.Put("long", 2, bytes.NewReader(make([]byte, 101)))
		if !errors.Is(err, upload.ErrTooLarge) || !strings.Contains(media.Message(err), "recording may be at most") {
			t.Errorf("chunk past MaxTake: %v", err)
		}
		if _, err := s.Put("long", 4, bytes.NewReader(make([]byte, 101))); !errors.Is(err, upload.ErrTooLarge) {
			t.Errorf("chunk aside past MaxTake: %v", err)
		}
		if st := status(t, s, "long"); st.Bytes != 2000 || !slices.Equal(st.Aside, []int{3}) {
			t.Errorf("after refusals: %+v", st)
		}
		if got := spoolFile(t, s, "long"); len(got) != 2000 {
			t.Errorf("after refusals: spool has %d bytes", len(got))
		}
		if st := put(t, s, "long", 2, make([]byte, 100)); st.Bytes != 2500 || st.Next != 4 {
			t.Errorf("chunk up to MaxTake: %+v", st)
		}
		if st := put(t, s, "long", 4, nil); st.Next != 5 {
			t.Errorf("empty chunk at MaxTake: %+v", st)
		}
	})
}

func TestNoLimits(t *testing.T) {
	s := newSpooler(t, math.MaxInt64, math.MaxInt64)
	begin(t, s, "huge")
	put(t, s, "huge", 1, []byte("b"))
	if st := put(t, s, "huge", 0, []byte("a")); st.Bytes != 2 || st.Next != 2 {
		t.Errorf("with no limits: %+v", st)
	}
	if got := finish(t, s, "huge"); string(got) != "ab" {
		t.Errorf("spool %q", got)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

func TestValidation(t *testing.T) {
	s := newSpooler(t, 1<<20, 1<<30)
	begin(t, s, "ok")

	for _, id := range []string{"", "../x", "a/b", "..", ".", "a b", "é", strings.Repeat("a", 65), "x\x00"} {
		if _, err := s.Begin("", id, webm); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("Begin(%q): %v, want ErrInvalid", id, err)
		}
		if _, err := s.Put(id, 0, strings.NewReader("x")); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("Put(%q): %v, want ErrInvalid", id, err)
		}
	}
	for _, id := range []string{"a", "A-z_09", strings.Repeat("a", 64), "-"} {
		if _, err := s.Begin("", id, webm); err != nil {
			t.Errorf("Begin(%q): %v", id, err)
		}
	}
	for _, mime := range []string{"", "text/html", "audio/", "audio", "video/webm", "audio/" + strings.Repeat("x", 194), "audio/webm\n", "/webm"} {
		if _, err := s.Begin("", "m", mime); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("Begin mime %q: %v, want ErrInvalid", mime, err)
		}
	}
	for i, mime := range []string{"audio/webm;codecs=opus", "audio/mp4", "audio/ogg; codecs=\"opus\"", "Audio/WebM", "audio/mp4;codecs=mp4a.40.2", "audio/" + strings.Repeat("x", 94)} {
		if _, err := s.Begin("", fmt.Sprint("mime", i), mime); err != nil {
			t.Errorf("Begin mime %q: %v", mime, err)
		}
	}
	if _, err := s.Begin("", "ok", "audio/mp4"); !errors.Is(err, media.ErrConflict) {
		t.Errorf("Begin with another type: %v, want ErrConflict", err)
	}
	if _, err := s.Put("ok", -1, strings.NewReader("x")); !errors.Is(err, media.ErrInvalid) {
		t.Errorf("Put chunk -1: %v, want ErrInvalid", err)
	}
	_, _, _, err := s.Finish("ok")
	if !errors.Is(err, media.ErrInvalid) || media.Message(err) != "nothing was recorded: the upload is empty" {
		t.Errorf("Finish empty: %v", err)
	}

	if _, err := s.Put("nope", 0, strings.NewReader("x")); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Put unknown: %v", err)
	}
	if _, err := s.Status("nope"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Status unknown: %v", err)
	}
	if _, _, _, err := s.Finish("nope"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Finish unknown: %v", err)
	}
	if err := s.Remove("nope"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Remove unknown: %v", err)
	}
	if err := s.Remove("ok"); err != nil {
		t.Fatal(err)
	}
	if err := s.Remove("ok"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Remove twice: %v", err)
	}
	if _, err := upload.NewSpooler(t.TempDir(), 0, 1); !errors.Is(err, media.ErrInvalid) {
		t.Errorf("NewSpooler with MaxChunk 0: %v", err)
	}
	// Nothing escaped Dir.
	if got := entries(t, filepath.Dir(s.Dir)); !slices.Equal(got, []string{"uploads"}) {
		t.Errorf("beside Dir: %v", got)
	}
}

func TestConcurrent(t *testing.T) {
	s := newSpooler(t, 1<<20, 1<<30)
	const takes = 8
	var wg sync.WaitGroup
	errs := make(chan error, takes*4)
	for k := range takes {
		id := fmt.Sprint("take", k)
		sizes := make([]int, 20)
		for i := range sizes {
			sizes[i] = 1000 + 37*i + 113*k
		}
		chunks := randomChunks(uint64(100+k), sizes...)
		// Two clients Begin the same new take at once.
		for range 2 {
			wg.Go(func() {
				if _, err := s.Begin("", id, webm); err != nil {
					errs <- err
				}
			})
		}
		wg.Go(func() {
			for {
				if _, err := s.Status(id); err == nil {
					break
				}
				runtime.Gosched()
			}
			// Send in pairs swapped: 1, 0, 3, 2, ... with chunk i sent twice
			// at once from two goroutines now and then.
			for i := 0; i < len(chunks); i += 2 {
				for _, j := range []int{i + 1, i} {
					var inner sync.WaitGroup
					for range 1 + j%3/2 {
						inner.Go(func() {
							if _, err := s.Put(id, j, bytes.NewReader(chunks[j])); err != nil {
								errs <- err
							}
						})
					}
					inner.Wait()
				}
				if _, err := s.Status(id); err != nil {
					errs <- err
				}
			}
			path, size, _, err := s.Finish(id)
			if err != nil {
				errs <- err
				return
			}
			got, err := os.ReadFile(path)
			if err != nil {
				errs <- err
				return
			}
			if want := slices.Concat(chunks...); int64(len(got)) != size || !bytes.Equal(got, want) {
				errs <- fmt.Errorf("%s: spool is %d bytes (Finish says %d), not the %d sent", id, len(got), size, len(want))
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestExpire(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := func() time.Time { return now }
	s := newSpooler(t, 1<<20, 1<<30)
	s.Now = clock
	begin(t, s, "old")
	begin(t, s, "fresh")
	begin(t, s, "polled")
	put(t, s, "old", 0, []byte("a"))
	now = now.Add(40 * time.Minute)
	put(t, s, "fresh", 0, []byte("b"))
	status(t, s, "polled")
	now = now.Add(30 * time.Minute)

	if n := s.Expire(time.Hour); n != 1 {
		t.Errorf("Expire removed %d takes, want 1", n)
	}
	if _, err := s.Status("old"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("Status of an expired take: %v", err)
	}
	for _, id := range []string{"fresh", "polled"} {
		status(t, s, id)
	}
	if got := entries(t, s.Dir); !slices.Equal(got, []string{"fresh", "polled"}) {
		t.Errorf("Dir holds %v", got)
	}

	// After a restart the last change counts: "fresh" was put 30 minutes
	// ago, "polled" only begun 70 minutes ago.
	s2, err := upload.NewSpooler(s.Dir, 1<<20, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	s2.Now = clock
	if n := s2.Expire(time.Hour); n != 1 {
		t.Errorf("Expire after restart removed %d takes, want 1", n)
	}
	if got := entries(t, s.Dir); !slices.Equal(got, []string{"fresh"}) {
		t.Errorf("after restart, Dir holds %v", got)
	}
	now = now.Add(30 * time.Minute)
	if n := s2.Expire(time.Hour); n != 0 {
		t.Errorf("Expire at exactly maxAge removed %d", n)
	}
	now = now.Add(time.Second)
	if n := s2.Expire(time.Hour); n != 1 {
		t.Errorf("Expire past maxAge removed %d", n)
	}
}

// genReader yields n pseudo-random bytes from seed without holding them.
func genReader(seed byte, n int64) io.Reader {
	return io.LimitReader(rand.NewChaCha8([32]byte{seed}), n)
}

func TestMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 64 MiB")
	}
	const chunk, chunks = 1 << 20, 64
	s := newSpooler(t, chunk, chunk*chunks)
	begin(t, s, "mem")
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := range chunks {
		if _, err := s.Put("mem", i, genReader(byte(i), chunk)); err != nil {
			t.Fatal(err)
		}
	}
	path, size, _, err := s.Finish("mem")
	if err != nil {
		t.Fatal(err)
	}
	runtime.ReadMemStats(&after)
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("64 MiB in 1 MiB chunks: %d KiB allocated", alloc>>10)
	if alloc > 8<<20 {
		t.Errorf("uploading 64 MiB allocated %d KiB", alloc>>10)
	}

	if size != chunk*chunks {
		t.Errorf("Finish says %d bytes", size)
	}
	want := sha256.New()
	for i := range chunks {
		io.Copy(want, genReader(byte(i), chunk))
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got := sha256.New()
	if _, err := io.Copy(got, f); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Sum(nil), want.Sum(nil)) {
		t.Error("spool differs from the chunks sent")
	}
}

// BenchmarkPut appends chunks in order: 1 MiB, and 16 KiB (about a second
// of Opus at 128 kbit/s, what MediaRecorder hands over with a 1 s
// timeslice). Each Put syncs the spool, the hashes and the state.
func BenchmarkPut(b *testing.B) {
	for _, size := range []int{1 << 20, 16 << 10} {
		b.Run(formatSize(size), func(b *testing.B) { benchmarkPut(b, size) })
	}
}

func formatSize(n int) string {
	if n >= 1<<20 {
		return fmt.Sprint(n>>20, "MiB")
	}
	return fmt.Sprint(n>>10, "KiB")
}

func benchmarkPut(b *testing.B, chunk int) {
	const perTake = 64
	s := newSpooler(b, int64(chunk), int64(chunk)*perTake)
	data := randomChunks(9, chunk)[0]
	b.SetBytes(int64(chunk))
	b.ReportAllocs()
	take := 0
	begin(b, s, "bench0")
	i := 0
	for b.Loop() {
		if i == perTake { // keep the disk use bounded
			b.StopTimer()
			if err := s.Remove(fmt.Sprint("bench", take)); err != nil {
				b.Fatal(err)
			}
			take++
			begin(b, s, fmt.Sprint("bench", take))
			i = 0
			b.StartTimer()
		}
		if _, err := s.Put(fmt.Sprint("bench", take), i, bytes.NewReader(data)); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// blockReader yields first, then waits for release before ending.
type blockReader struct {
	first   []byte
	started chan struct{}
	release chan struct{}
}

func (r *blockReader) Read(p []byte) (int, error) {
	if len(r.first) > 0 {
		n := copy(p, r.first)
		r.first = r.first[n:]
		return n, nil
	}
	close(r.started)
	<-r.release
	return 0, io.EOF
}

// TestSlowPut checks that a Put still reading its request (a connection
// about to time out) neither blocks Status and Begin nor is expired.
func TestSlowPut(t *testing.T) {
	now := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	s := newSpooler(t, 1<<20, 1<<30)
	s.Now = func() time.Time { return now }
	begin(t, s, "slow")
	before := put(t, s, "slow", 0, []byte("zero"))
	r := &blockReader{first: []byte("one"), started: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := s.Put("slow", 1, r)
		done <- err
	}()
	<-r.started
	if st := status(t, s, "slow"); !reflect.DeepEqual(st, before) {
		t.Errorf("Status during a Put: %+v, want %+v", st, before)
	}
	if st := begin(t, s, "slow"); !reflect.DeepEqual(st, before) {
		t.Errorf("Begin during a Put: %+v, want %+v", st, before)
	}
	now = now.Add(48 * time.Hour) // the Put is slow indeed
	if n := s.Expire(time.Hour); n != 0 {
		t.Errorf("Expire removed %d takes with a Put in progress", n)
	}
	close(r.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := finish(t, s, "slow"); string(got) != "zeroone" {
		t.Errorf("spool %q", got)
	}
}

// TestMarkRecovered: the recording a start of the server made of a take
// is noted in the take, survives a reload, and leaves the take open for
// more chunks; it cannot claim more bytes than the take holds.
func TestMarkRecovered(t *testing.T) {
	s := newSpooler(t, 1<<20, 1<<30)
	if _, err := s.Begin("", "take", "audio/webm"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put("take", 0, strings.NewReader("0123456789")); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkRecovered("take", "recording_1.json", 11); !errors.Is(err, media.ErrInvalid) {
		t.Errorf("marking 11 bytes of 10: %v, want ErrInvalid", err)
	}
	if err := s.MarkRecovered("take", "recording_1.json", 10); err != nil {
		t.Fatal(err)
	}
	s2, err := upload.NewSpooler(s.Dir, 1<<20, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	name, n, err := s2.Recovered("take")
	if name != "recording_1.json" || n != 10 || err != nil {
		t.Errorf("after a reload: %q, %d, %v", name, n, err)
	}
	st, err := s2.Put("take", 1, strings.NewReader("abc"))
	if err != nil || st.Bytes != 13 || st.RecoveredAs != "recording_1.json" || st.RecoveredBytes != 10 || st.Finished {
		t.Errorf("a chunk after recovery: %+v, %v", st, err)
	}
	if err := s2.MarkRecovered("nope", "x", 0); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("marking an unknown take: %v", err)
	}
}

// TestPauses: the pauses of a stopped take are kept on disk with it,
// replaced by a later word, and read back after a restart.
func TestPauses(t *testing.T) {
	s := newSpooler(t, 1<<20, 1<<30)
	if _, err := s.Begin("", "take", "audio/mp4"); err != nil {
		t.Fatal(err)
	}
	if got, rec, err := s.Pauses("take"); len(got) != 0 || rec != 0 || err != nil {
		t.Errorf("pauses of a take never paused: %v, %v, %v", got, rec, err)
	}
	first := []media.Selection{{Start: time.Second, End: 2 * time.Second}}
	if err := s.SetPauses("take", first, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	want := []media.Selection{{Start: time.Second, End: 2 * time.Second}, {Start: 3 * time.Second, End: 3500 * time.Millisecond}}
	if err := s.SetPauses("take", want, 7*time.Second); err != nil {
		t.Fatal(err)
	}
	s2, err := upload.NewSpooler(s.Dir, 1<<20, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	got, rec, err := s2.Pauses("take")
	if !slices.Equal(got, want) || rec != 7*time.Second || err != nil {
		t.Errorf("after a restart: %v, %v, %v; want %v, 7s", got, rec, err, want)
	}
	if err := s2.SetPauses("nope", want, time.Second); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("pauses of an unknown take: %v", err)
	}
}
