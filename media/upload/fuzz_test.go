package upload_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/upload"
)

// The fuzzed Spooler's limits are small, so inputs reach them.
const (
	fuzzMaxChunk = 24
	fuzzMaxTake  = 96
	fuzzID       = "take-1"
	fuzzMIME     = "audio/webm;codecs=opus"
)

// putModel is what a take should hold: the first bytes accepted for each
// chunk, in the spool or aside, following Put's documented rules.
type putModel struct {
	chunks   [][]byte       // chunks 0..next-1
	aside    map[int][]byte // chunks past next, held
	finished bool
}

func (m *putModel) bytes() int64 {
	var n int64
	for _, c := range m.chunks {
		n += int64(len(c))
	}
	return n
}

// size is what the take holds, in the spool and aside.
func (m *putModel) size() int64 {
	n := m.bytes()
	for _, c := range m.aside {
		n += int64(len(c))
	}
	return n
}

// asideIndices lists the chunks held aside, in order.
func (m *putModel) asideIndices() []int {
	return slices.Sorted(func(yield func(int) bool) {
		for i := range m.aside {
			if !yield(i) {
				return
			}
		}
	})
}

// held lists every chunk index the take holds.
func (m *putModel) held() []int {
	var held []int
	for i := range m.chunks {
		held = append(held, i)
	}
	return append(held, m.asideIndices()...)
}

// chunk returns the bytes held for chunk index.
func (m *putModel) chunk(index int) []byte {
	if index < len(m.chunks) {
		return m.chunks[index]
	}
	return m.aside[index]
}

// put applies a Put and returns the error class it should have: nil,
// media.ErrInvalid, media.ErrConflict or upload.ErrTooLarge.
func (m *putModel) put(index int, data []byte) error {
	next := len(m.chunks)
	same := func(had []byte) error {
		switch {
		case len(data) > fuzzMaxChunk:
			return upload.ErrTooLarge
		case !bytes.Equal(had, data):
			return media.ErrConflict
		}
		return nil
	}
	switch {
	case index < 0:
		return media.ErrInvalid
	case index < next:
		return same(m.chunks[index])
	case m.aside[index] != nil:
		return same(m.aside[index])
	case m.finished, index-next > upload.MaxAhead:
		return media.ErrConflict
	case int64(len(data)) > min(fuzzMaxChunk, max(fuzzMaxTake-m.size(), 0)):
		return upload.ErrTooLarge
	case index > next:
		m.aside[index] = slices.Clone(data)
		return nil
	}
	m.chunks = append(m.chunks, slices.Clone(data))
	for c, ok := m.aside[len(m.chunks)]; ok; c, ok = m.aside[len(m.chunks)] {
		delete(m.aside, len(m.chunks))
		m.chunks = append(m.chunks, c)
	}
	return nil
}

// finish is Finish's error class.
func (m *putModel) finish() error {
	switch {
	case len(m.aside) > 0:
		return media.ErrConflict
	case m.bytes() == 0:
		return media.ErrInvalid
	}
	m.finished = true
	return nil
}

func (m *putModel) status() upload.Status {
	aside := m.asideIndices()
	return upload.Status{
		ID: fuzzID, MIME: fuzzMIME, Next: len(m.chunks), Bytes: m.bytes(),
		Aside: aside, Chunks: len(m.chunks) + len(aside), Finished: m.finished,
	}
}

// errClass names which of the classes err wraps, for messages.
func errClass(err error) error {
	for _, class := range []error{media.ErrInvalid, media.ErrConflict, upload.ErrTooLarge, media.ErrNotFound} {
		if errors.Is(err, class) {
			return class
		}
	}
	return err
}

func statusEqual(a, b upload.Status) bool {
	return a.ID == b.ID && a.MIME == b.MIME && a.Next == b.Next && a.Bytes == b.Bytes &&
		slices.Equal(a.Aside, b.Aside) && a.Chunks == b.Chunks && a.Finished == b.Finished
}

// FuzzPut decodes ops into Puts (and a few Finishes, Status checks and
// restarts) on one take, checking each outcome against putModel, then
// finishes the take: what Finish hands over is the chunks' first accepted
// bytes, in order.
//
// Each op is one byte, a kind (low 3 bits) and an argument (high 5):
// kinds 0-3 put chunk arg-1 and kind 4 chunk -1-arg, with as many bytes
// of ops as the next byte says (up to a few past MaxChunk); kind 5 re-sends a chunk the take
// holds, with its bytes; 6 finishes; 7 restarts the Spooler on its
// directory, as a server restart would.
func FuzzPut(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0x08, 4, 'a', 'b', 'c', 'd', 0x10, 4, 'e', 'f', 'g', 'h', 6})
	f.Add([]byte{0x18, 4, 1, 2, 3, 4, 0x08, 4, 5, 6, 7, 8, 6, 0x10, 4, 9, 9, 9, 9, 0x05, 0x0d, 6})
	f.Add([]byte{0x08, 4, 'x', 'x', 'x', 'x', 0x08, 4, 'y', 'y', 'y', 'y', 0x04, 0, 0x50, 1, 'q', 0x10, 0, 6})
	f.Add(append([]byte{0x08, 29}, bytes.Repeat([]byte{'z'}, 29)...))
	f.Add([]byte{0x08, 4, 1, 1, 1, 1, 6, 0x10, 4, 2, 2, 2, 2, 0x08, 4, 1, 1, 1, 1, 7, 6})

	f.Fuzz(func(t *testing.T, ops []byte) {
		dir := filepath.Join(t.TempDir(), "uploads")
		s, err := upload.NewSpooler(dir, fuzzMaxChunk, fuzzMaxTake)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Begin("", fuzzID, fuzzMIME); err != nil {
			t.Fatal(err)
		}
		m := &putModel{aside: map[int][]byte{}}
		for step := 0; len(ops) > 0; step++ {
			op := ops[0]
			ops = ops[1:]
			kind, arg := op&7, int(op>>3)
			switch kind {
			case 5: // re-send a chunk the take holds, with its bytes
				held := m.held()
				if len(held) == 0 {
					break
				}
				index := held[arg%len(held)]
				data := m.chunk(index)
				want := m.put(index, data)
				if _, err := s.Put(fuzzID, index, bytes.NewReader(data)); errClass(err) != want {
					t.Fatalf("step %d: re-sending chunk %d: %v, want %v", step, index, err, want)
				}
			case 6:
				want := m.finish()
				if _, _, _, err := s.Finish(fuzzID); errClass(err) != want {
					t.Fatalf("step %d: Finish: %v, want %v", step, err, want)
				}
			case 7:
				if s, err = upload.NewSpooler(dir, fuzzMaxChunk, fuzzMaxTake); err != nil || len(s.Skipped) > 0 {
					t.Fatalf("step %d: restart: %v, skipped %v", step, err, s.Skipped)
				}
			default:
				var n int
				if len(ops) > 0 {
					n, ops = min(int(ops[0])%(fuzzMaxChunk+6), len(ops)-1), ops[1:]
				}
				data := ops[:n]
				ops = ops[n:]
				index := arg - 1
				if kind == 4 {
					index = -1 - arg
				}
				want := m.put(index, data)
				if _, err := s.Put(fuzzID, index, bytes.NewReader(data)); errClass(err) != want {
					t.Fatalf("step %d: Put chunk %d (%d bytes): %v, want %v", step, index, len(data), err, want)
				}
			}
			st, err := s.Status(fuzzID)
			if err != nil || !statusEqual(st, m.status()) {
				t.Fatalf("step %d: Status = %+v, %v; want %+v", step, st, err, m.status())
			}
		}

		want := m.finish()
		path, size, mime, err := s.Finish(fuzzID)
		if errClass(err) != want {
			t.Fatalf("Finish: %v, want %v", err, want)
		}
		if err == nil {
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			spool := bytes.Join(m.chunks, nil)
			if !bytes.Equal(got, spool) || size != int64(len(spool)) || mime != fuzzMIME {
				t.Fatalf("Finish gave %d bytes (%q, size %d), want the chunks in order: %q", len(got), got, size, spool)
			}
		}
		if err := s.Remove(fuzzID); err != nil {
			t.Fatal(err)
		}
		if entries, err := os.ReadDir(dir); err != nil || len(entries) != 0 {
			t.Fatalf("after Remove, %s holds %v (%v)", dir, entries, err)
		}
		if _, err := s.Status(fuzzID); !errors.Is(err, media.ErrNotFound) {
			t.Fatalf("Status after Remove: %v, want ErrNotFound", err)
		}
	})
}
