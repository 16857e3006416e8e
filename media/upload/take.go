package upload

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"mime"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/avatarweb/recorder/media"
)

const (
	stateVersion = 1
	maxMIME      = 100

	// Files in a take's directory.
	stateFile   = "state.json"
	spoolFile   = "spool"
	hashFile    = "hashes"
	asidePrefix = "aside-" // aside-N holds chunk N
	tmpPrefix   = ".tmp-"  // a file being written

	// Directories in Dir that are no take; NewSpooler removes them.
	newPrefix  = ".new-"  // a take being created
	gonePrefix = ".gone-" // a take being removed

	copyBufSize = 64 << 10
)

// state is a take's record, kept in state.json. The spool and hashes files
// may be longer than it says; the rest is not part of the take.
type state struct {
	Version  int          `json:"version"`
	MIME     string       `json:"mime"`
	Next     int          `json:"next"`  // chunks 0..Next-1 are in the spool
	Bytes    int64        `json:"bytes"` // their size
	Aside    []asideChunk `json:"aside,omitempty"`
	Finished bool         `json:"finished,omitempty"`
	Touched  time.Time    `json:"touched"` // last change, for Expire after a restart
	// TakeID names this take alone (a client may use its upload id again
	// once the take is saved): the recording saved from it carries it, so
	// the take is never saved twice, even across a crash.
	TakeID string `json:"take_id,omitempty"`
	// Title is the one the user gave when saving (SetTitle), kept so a
	// save a crash cut short keeps it.
	Title string `json:"title,omitempty"`
	// RecoveredAs names the recording a start of the server made of the
	// take's first RecoveredBytes (see Spooler.MarkRecovered).
	RecoveredAs    string `json:"recovered_as,omitempty"`
	RecoveredBytes int64  `json:"recovered_bytes,omitempty"`
	// Pauses are where the page paused the take, [start, end] in seconds
	// on the recorder's clock, and Recorded how long it recorded outside
	// them, as the page said when the take stopped (SetPauses): a save
	// that names none (from "Unsaved takes", or a recovery) uses these.
	Pauses   [][2]float64 `json:"pauses,omitempty"`
	Recorded float64      `json:"recorded_s,omitempty"`
}

// asideChunk is a chunk held in its own file until the gap before it fills.
type asideChunk struct {
	Index  int    `json:"index"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // hex
}

// aside returns the chunk index held aside, or nil.
func (st *state) aside(index int) *asideChunk {
	for i := range st.Aside {
		if st.Aside[i].Index == index {
			return &st.Aside[i]
		}
	}
	return nil
}

// held is the size of the take so far: the spool and the chunks aside.
func (st *state) held() int64 {
	n := st.Bytes
	for _, a := range st.Aside {
		n += a.Size
	}
	return n
}

// check validates a state read back from disk.
func (st *state) check() error {
	if st.Version != stateVersion {
		return fmt.Errorf("state version %d, want %d", st.Version, stateVersion)
	}
	if err := checkMIME(st.MIME); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if st.Next < 0 || st.Bytes < 0 || st.RecoveredBytes < 0 || st.RecoveredBytes > st.Bytes {
		return fmt.Errorf("state: next %d, bytes %d, recovered %d", st.Next, st.Bytes, st.RecoveredBytes)
	}
	prev := st.Next
	for _, a := range st.Aside {
		if a.Index <= prev || a.Index > st.Next+MaxAhead || a.Size < 0 || !validHash(a.SHA256) {
			return fmt.Errorf("state: bad chunk aside: %+v", a)
		}
		prev = a.Index
	}
	return nil
}

func validHash(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == sha256.Size
}

// take is one upload in progress.
type take struct {
	// mu is held by whoever changes the take (Put, Finish, Remove, Expire)
	// for the whole change, reading the request included.
	mu      sync.Mutex
	id, dir string
	client  string        // who began it, for Spooler.MaxPerClient; "" when reloaded
	created chan struct{} // closed once Begin has made the take on disk
	hashes  []byte        // SHA-256 of chunks 0..st.Next-1, 32 bytes each; guarded by mu

	// smu guards the fields below for quick reads (Status, Begin) during a
	// change. Changing st or gone takes mu as well, so holders of mu may
	// read those two without smu.
	smu     sync.Mutex
	st      state
	gone    bool // removed: a take with the same id may have been begun since
	touched time.Time
}

func (t *take) touch(now time.Time) {
	t.smu.Lock()
	t.touched = now
	t.smu.Unlock()
}

func (t *take) setState(st state) {
	t.smu.Lock()
	t.st = st
	t.touched = st.Touched
	t.smu.Unlock()
}

// save writes st to disk and makes it the take's state. t.mu is held.
func (t *take) save(st state) error {
	if err := writeState(t.dir, st); err != nil {
		return err
	}
	t.setState(st)
	return nil
}

func (t *take) status() Status {
	t.smu.Lock()
	defer t.smu.Unlock()
	return t.statusLocked()
}

// statusLocked is status with t.smu held.
func (t *take) statusLocked() Status {
	var aside []int
	for _, a := range t.st.Aside {
		aside = append(aside, a.Index)
	}
	return Status{
		ID: t.id, MIME: t.st.MIME, Next: t.st.Next, Bytes: t.st.Bytes,
		Aside: aside, Chunks: t.st.Next + len(aside), Finished: t.st.Finished,
		RecoveredAs: t.st.RecoveredAs, RecoveredBytes: t.st.RecoveredBytes,
	}
}

// hash returns the SHA-256 of chunk i < st.Next. t.mu is held.
func (t *take) hash(i int) []byte {
	return t.hashes[i*sha256.Size : (i+1)*sha256.Size]
}

// retire moves the take's directory out of Dir (parent), to be deleted at
// leisure, and marks the take gone. t.mu is held.
func (t *take) retire(parent string) (string, error) {
	gone := filepath.Join(parent, fmt.Sprintf("%s%s-%016x", gonePrefix, t.id, rand.Uint64()))
	if err := os.Rename(t.dir, gone); err != nil {
		return "", err
	}
	t.smu.Lock()
	t.gone = true
	t.smu.Unlock()
	return gone, nil
}

// verify reads a chunk the take already has and checks it is the same.
func (s *Spooler) verify(r io.Reader, index int, want []byte) error {
	buf := s.buffer()
	defer s.bufs.Put(buf)
	h := sha256.New()
	n, err := copyChunk(h, limitPlusOne(r, s.MaxChunk), *buf)
	if err != nil {
		return err
	}
	if n > s.MaxChunk {
		return s.tooLarge(n)
	}
	if !bytes.Equal(h.Sum(nil), want) {
		return media.Conflictf("chunk %d was already received with different bytes", index)
	}
	return nil
}

// appendChunk writes chunk st.Next from r to the end of the spool, then the
// chunks aside that follow it, and commits. t.mu is held.
//
// It writes past the end the state records and moves that end only once the
// data and hashes are synced, so until then, or if anything fails, the
// take is unchanged: what was written is cut off here, and, should that
// fail or the server die first, overwritten by the next chunk and cut off by
// Finish and NewSpooler.
func (s *Spooler) appendChunk(t *take, r io.Reader, limit int64, buf []byte) error {
	old := t.st
	spool := filepath.Join(t.dir, spoolFile)
	hashes := filepath.Join(t.dir, hashFile)
	committed := false
	defer func() {
		if !committed {
			os.Truncate(spool, old.Bytes)
			os.Truncate(hashes, int64(old.Next)*sha256.Size)
		}
	}()

	f, err := os.OpenFile(spool, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	next, sums, err := s.fill(f, t.dir, old, r, limit, buf)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write spool: %w", cerr)
	}
	if err != nil {
		return err
	}
	if err := writeAt(hashes, sums, int64(old.Next)*sha256.Size); err != nil {
		return fmt.Errorf("write hashes: %w", err)
	}
	next.Touched = s.now()
	if err := t.save(next); err != nil {
		return err
	}
	committed = true
	t.hashes = append(t.hashes, sums...)
	for _, a := range old.Aside[:len(old.Aside)-len(next.Aside)] {
		os.Remove(asidePath(t.dir, a.Index)) // or NewSpooler will
	}
	return nil
}

// fill writes chunk old.Next from r to f at old.Bytes, then the chunks aside
// that follow it, syncs f, and returns the state after them and their
// hashes.
func (s *Spooler) fill(f *os.File, dir string, old state, r io.Reader, limit int64, buf []byte) (state, []byte, error) {
	w := io.NewOffsetWriter(f, old.Bytes)
	h := sha256.New()
	n, err := copyChunk(io.MultiWriter(w, h), limitPlusOne(r, limit), buf)
	if err != nil {
		return state{}, nil, fmt.Errorf("receive chunk: %w", err)
	}
	if n > limit {
		return state{}, nil, s.tooLarge(n)
	}
	next := old
	next.Next++
	next.Bytes += n
	sums := h.Sum(make([]byte, 0, sha256.Size*(1+len(old.Aside))))

	k := 0
	for ; k < len(old.Aside) && old.Aside[k].Index == next.Next; k++ {
		a := old.Aside[k]
		n, err := copyFile(w, h, asidePath(dir, a.Index), buf)
		if err != nil {
			return state{}, nil, fmt.Errorf("append chunk %d held aside: %w", a.Index, err)
		}
		sum := h.Sum(nil)
		if n != a.Size || hex.EncodeToString(sum) != a.SHA256 {
			return state{}, nil, fmt.Errorf("chunk %d held aside is damaged: %d bytes, sha256 %x; want %d bytes, %s",
				a.Index, n, sum, a.Size, a.SHA256)
		}
		sums = append(sums, sum...)
		next.Next++
		next.Bytes += n
	}
	next.Aside = nil
	if k < len(old.Aside) {
		next.Aside = slices.Clone(old.Aside[k:])
	}
	if err := f.Sync(); err != nil {
		return state{}, nil, fmt.Errorf("sync spool: %w", err)
	}
	return next, sums, nil
}

// copyFile appends the file at path to w, hashing it into h (reset first).
func copyFile(w io.Writer, h hash.Hash, path string, buf []byte) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	h.Reset()
	return copyChunk(io.MultiWriter(w, h), f, buf)
}

// holdChunk writes chunk index, ahead of st.Next, from r to a temporary
// file, renames it to aside-N, and commits. On error nothing is left.
func (s *Spooler) holdChunk(t *take, index int, r io.Reader, limit int64, buf []byte) error {
	f, err := os.CreateTemp(t.dir, tmpPrefix+"*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // gone once renamed
	h := sha256.New()
	n, err := copyChunk(io.MultiWriter(f, h), limitPlusOne(r, limit), buf)
	if err != nil {
		err = fmt.Errorf("receive chunk: %w", err)
	} else if n > limit {
		err = s.tooLarge(n)
	} else if err = f.Sync(); err != nil {
		err = fmt.Errorf("sync chunk: %w", err)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("write chunk: %w", cerr)
	}
	if err != nil {
		return err
	}

	path := asidePath(t.dir, index)
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	next := t.st
	next.Aside = append(slices.Clone(t.st.Aside), asideChunk{Index: index, Size: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	slices.SortFunc(next.Aside, func(a, b asideChunk) int { return a.Index - b.Index })
	next.Touched = s.now()
	if err := t.save(next); err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// limitPlusOne reads at most limit+1 bytes from r: one past the limit tells
// a body that is too large from one that fits exactly.
func limitPlusOne(r io.Reader, limit int64) io.Reader {
	if limit < math.MaxInt64 {
		limit++
	}
	return io.LimitReader(r, limit)
}

// copyChunk copies r to w through buf. Unlike io.CopyBuffer it always uses
// buf, so copying allocates nothing.
func copyChunk(w io.Writer, r io.Reader, buf []byte) (int64, error) {
	var n int64
	for {
		k, rerr := r.Read(buf)
		if k > 0 {
			if _, err := w.Write(buf[:k]); err != nil {
				return n, fmt.Errorf("write: %w", err)
			}
			n += int64(k)
		}
		if errors.Is(rerr, io.EOF) {
			return n, nil
		}
		if rerr != nil {
			return n, fmt.Errorf("read: %w", rerr)
		}
	}
}

// writeAt writes data at off in the file at path and syncs it.
func writeAt(path string, data []byte, off int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	_, err = f.WriteAt(data, off)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeState replaces dir/state.json with st atomically: a synced temporary
// file renamed over it.
func writeState(dir string, st state) (err error) {
	data, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode state: %w", err)
	}
	f, err := os.CreateTemp(dir, tmpPrefix+"*")
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	defer func() {
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, stateFile))
	}
	if err != nil {
		return fmt.Errorf("write state: %w", err)
	}
	return nil
}

// createTakeDir makes the directory of a new take at final, in parent, with
// its state: built under a temporary name and renamed, so a take in Dir
// always has a state.
func createTakeDir(parent, final string, st state) error {
	tmp, err := os.MkdirTemp(parent, newPrefix+"*")
	if err != nil {
		return err
	}
	if err := writeState(tmp, st); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := os.Rename(tmp, final); err != nil {
		os.RemoveAll(tmp)
		return err
	}
	if err := media.SyncDir(parent); err != nil {
		os.RemoveAll(final)
		return err
	}
	return nil
}

// trimTo cuts the file at path to size bytes. A file shorter than that is
// an error, as is a missing one unless size is 0.
func trimTo(path string, size int64) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) && size == 0 {
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file", path)
	case fi.Size() < size:
		return fmt.Errorf("%s has %d bytes, want %d", path, fi.Size(), size)
	case fi.Size() > size:
		return os.Truncate(path, size)
	}
	return nil
}

func asidePath(dir string, index int) string {
	return filepath.Join(dir, asidePrefix+strconv.Itoa(index))
}

// load loads the takes in s.Dir and clears what interrupted Begins and
// Removes left.
func (s *Spooler) load() error {
	entries, err := os.ReadDir(s.Dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, newPrefix), strings.HasPrefix(name, gonePrefix):
			os.RemoveAll(filepath.Join(s.Dir, name))
		case validID(name) && e.IsDir():
			t, err := loadTake(s.Dir, name)
			if err != nil {
				s.Skipped = append(s.Skipped, fmt.Errorf("upload: load %q: %w", name, err))
				continue
			}
			s.takes[name] = t
		}
	}
	return nil
}

// loadTake reads back take id from its directory in parent, cutting the
// spool and hashes to what the state records and dropping files a crash
// left. A chunk aside whose file is missing or the wrong size is dropped:
// the client sends it again.
func loadTake(parent, id string) (*take, error) {
	dir := filepath.Join(parent, id)
	data, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, err
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return nil, fmt.Errorf("read state: %w", err)
	}
	if err := st.check(); err != nil {
		return nil, err
	}
	if err := trimTo(filepath.Join(dir, spoolFile), st.Bytes); err != nil {
		return nil, err
	}
	hashes, err := readHashes(filepath.Join(dir, hashFile), st.Next)
	if err != nil {
		return nil, err
	}
	keep, err := tidy(dir, st.Aside)
	if err != nil {
		return nil, err
	}
	if len(keep) != len(st.Aside) {
		st.Aside = keep
		if err := writeState(dir, st); err != nil {
			return nil, err
		}
	}
	created := make(chan struct{})
	close(created)
	return &take{id: id, dir: dir, created: created, hashes: hashes, st: st, touched: st.Touched}, nil
}

// readHashes reads the hashes of n chunks, cutting the file to them.
func readHashes(path string, n int) ([]byte, error) {
	want := n * sha256.Size
	if err := trimTo(path, int64(want)); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) && want == 0 {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(data) != want {
		return nil, fmt.Errorf("%s has %d bytes, want %d", path, len(data), want)
	}
	return data, nil
}

// tidy removes temporary files and unrecorded chunk files from a take's
// directory and returns the chunks of aside whose files are sound.
func tidy(dir string, aside []asideChunk) ([]asideChunk, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	sound := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, tmpPrefix):
			os.Remove(filepath.Join(dir, name)) // a write cut short
		case strings.HasPrefix(name, asidePrefix):
			sound[name] = false
		}
	}
	var keep []asideChunk
	for _, a := range aside {
		name := filepath.Base(asidePath(dir, a.Index))
		if _, ok := sound[name]; !ok {
			continue
		}
		if fi, err := os.Lstat(filepath.Join(dir, name)); err == nil && fi.Mode().IsRegular() && fi.Size() == a.Size {
			sound[name] = true
			keep = append(keep, a)
		}
	}
	for name, ok := range sound {
		if !ok { // appended before the crash, never recorded, or damaged
			os.Remove(filepath.Join(dir, name))
		}
	}
	return keep, nil
}

// checkMIME accepts an audio/* media type of at most maxMIME printable
// ASCII characters.
func checkMIME(m string) error {
	if m == "" {
		return media.Invalidf("the recording's type is missing")
	}
	if len(m) > maxMIME {
		return media.Invalidf("the recording's type is longer than %d characters", maxMIME)
	}
	notAudio := media.Invalidf("%q is not an audio type", m)
	for i := 0; i < len(m); i++ {
		if m[i] < 0x20 || m[i] > 0x7e {
			return notAudio
		}
	}
	// Parameters (codecs=...) are the browser's business; the type is ours.
	mt, _, err := mime.ParseMediaType(m)
	if (err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter)) || !strings.HasPrefix(mt, "audio/") {
		return notAudio
	}
	return nil
}
