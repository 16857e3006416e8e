// Package upload receives takes that the browser records with MediaRecorder
// and uploads as they are recorded: one numbered chunk (a Blob) per
// timeslice. Chunks are appended in index order to a spool file on disk, so
// an hour-long take is never held whole in memory; a client whose connection
// drops asks Status what the server has and re-sends the rest. Sending a
// chunk again is harmless: identical bytes are a no-op, different bytes a
// conflict.
//
// Each take lives in its own directory under Spooler.Dir, named by its id:
//
//	state.json   mime, next index, bytes, chunks held aside (written atomically)
//	spool        the chunks 0..next-1, concatenated
//	hashes       SHA-256 of chunks 0..next-1, 32 bytes each
//	aside-N      chunk N, which arrived before the chunks ahead of it
//
// state.json is the record: the spool and hashes files are written first
// and may run past what it says after a crash, and anything past it is
// ignored and cut off. So a chunk whose connection dies, or a server that
// dies, never leaves partial data in a take, and NewSpooler picks up the
// takes in Dir where they were.
package upload

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/avatarweb/recorder/media"
)

// MaxAhead is how far past the next expected chunk a chunk may arrive: up to
// MaxAhead chunks are held aside until the gap before them fills.
const MaxAhead = 8

// ErrTooLarge is the Kind of the *media.Error returned for a chunk over
// MaxChunk or a take over MaxTake; the HTTP layer maps it to 413.
var ErrTooLarge = errors.New("too large")

// ErrTooMany is the Kind of the *media.Error returned when a client
// begins a take beyond Spooler.MaxPerClient: media.ErrTooMany.
var ErrTooMany = media.ErrTooMany

// Status is what the server has of a take.
type Status struct {
	ID   string `json:"upload_id"`
	MIME string `json:"mime"`
	// Next is the index of the next chunk to append: chunks 0..Next-1 are
	// in the spool.
	Next int `json:"next_chunk"`
	// Bytes is the size of the spool: chunks 0..Next-1.
	Bytes int64 `json:"bytes"`
	// Aside lists, in order, the chunks past Next that are held until the
	// chunks before them arrive.
	Aside []int `json:"aside,omitempty"`
	// Chunks counts the chunks the server holds: Next + len(Aside).
	Chunks int `json:"chunks"`
	// Finished is set by Finish; no new chunk is accepted after it.
	Finished bool `json:"finished"`
	// RecoveredAs names the recording the server made of the take's
	// first RecoveredBytes when it started again after a crash or a
	// shutdown; the take goes on, and saving it replaces that recording.
	RecoveredAs    string `json:"recovered_as,omitempty"`
	RecoveredBytes int64  `json:"recovered_bytes,omitempty"`
}

// Spooler keeps the uploads in progress, one directory per take under Dir.
// Create it with NewSpooler and do not change its fields once it is in use.
// Puts to different takes run in parallel; Puts to one take are serialized.
type Spooler struct {
	Dir      string           // one subdirectory per take
	MaxChunk int64            // largest chunk accepted, in bytes
	MaxTake  int64            // largest take accepted, in bytes, counting chunks held aside
	Now      func() time.Time // clock for Expire; nil means time.Now

	// MaxOpen caps the takes held at once (begun, or reloaded at start,
	// and not yet removed or expired); beyond it Begin refuses a new take
	// with media.ErrBusy. MaxPerClient caps those begun by one client,
	// beyond which Begin refuses with ErrTooMany. 0 means no cap. Takes
	// reloaded at start count toward MaxOpen only.
	MaxOpen      int
	MaxPerClient int

	// Skipped lists the takes in Dir that NewSpooler could not load, with
	// why. They are left on disk untouched for someone to look at; their
	// ids cannot be begun again until they are moved away.
	Skipped []error

	mu      sync.Mutex
	takes   map[string]*take
	clients map[string]int // takes in s.takes per client, for MaxPerClient
	bufs    sync.Pool      // *[]byte of copyBufSize
}

// NewSpooler creates dir if needed and loads the takes already in it, so
// clients can resume uploads across a restart of the server. The limits
// must be positive.
func NewSpooler(dir string, maxChunk, maxTake int64) (*Spooler, error) {
	if dir == "" || maxChunk <= 0 || maxTake <= 0 {
		return nil, fmt.Errorf("upload: new spooler: need a directory and positive limits, got %q, %d, %d: %w",
			dir, maxChunk, maxTake, media.ErrInvalid)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("upload: new spooler: %w", err)
	}
	s := &Spooler{Dir: dir, MaxChunk: maxChunk, MaxTake: maxTake, takes: map[string]*take{}}
	if err := s.load(); err != nil {
		return nil, fmt.Errorf("upload: new spooler: %w", err)
	}
	return s, nil
}

func (s *Spooler) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Begin starts a take for client, or resumes it when id exists with the
// same mime (whoever asks: a phone may change networks mid-take). id is 1
// to 64 of A-Z a-z 0-9 _ -, chosen by the client; mime is the recorder's
// audio/* type, such as "audio/webm;codecs=opus", at most 100 characters.
// An existing id with another mime is a media.ErrConflict. client names
// who begins a new take, for MaxPerClient ("" counts toward MaxOpen
// only); a new take beyond the caps is refused (ErrTooMany, media.ErrBusy)
// and leaves nothing behind.
func (s *Spooler) Begin(client, id, mime string) (Status, error) {
	if !validID(id) {
		return Status{}, fmt.Errorf("upload: begin: %w", invalidID(id))
	}
	if err := checkMIME(mime); err != nil {
		return Status{}, fmt.Errorf("upload: begin %q: %w", id, err)
	}
	for {
		s.mu.Lock()
		if s.takes == nil {
			s.takes = map[string]*take{}
		}
		t := s.takes[id]
		if t == nil {
			if err := s.admitLocked(client); err != nil {
				s.mu.Unlock()
				return Status{}, fmt.Errorf("upload: begin %q: %w", id, err)
			}
			// Publish the take locked, so the disk work runs outside s.mu
			// and whoever finds the take meanwhile waits for it.
			t = &take{id: id, client: client, dir: filepath.Join(s.Dir, id), created: make(chan struct{})}
			t.mu.Lock()
			s.addLocked(t)
			s.mu.Unlock()
			return s.create(t, mime)
		}
		s.mu.Unlock()

		<-t.created
		t.smu.Lock()
		if t.gone { // removed since we looked: start afresh
			t.smu.Unlock()
			continue
		}
		defer t.smu.Unlock()
		if t.st.MIME != mime {
			return Status{}, fmt.Errorf("upload: begin %q: %w", id,
				media.Conflictf("upload %q was started as %q, not %q", id, t.st.MIME, mime))
		}
		t.touched = s.now()
		return t.statusLocked(), nil
	}
}

// create makes the directory of the new take t, which the caller has
// published in s.takes with t.mu held; it unlocks t.mu and closes
// t.created.
func (s *Spooler) create(t *take, mime string) (Status, error) {
	defer t.mu.Unlock()
	defer close(t.created)
	st := state{Version: stateVersion, MIME: mime, Touched: s.now(), TakeID: newTakeID()}
	if err := createTakeDir(s.Dir, t.dir, st); err != nil {
		t.smu.Lock()
		t.gone = true
		t.smu.Unlock()
		s.forget(t)
		return Status{}, fmt.Errorf("upload: begin %q: %w", t.id, err)
	}
	t.setState(st)
	return t.status(), nil
}

// Put stores chunk index (0-based) of take id, read from r; at most
// MaxChunk bytes are read, whatever the request claimed.
//
// Chunk Next is appended to the spool, followed by any chunks held aside
// that it lets through; a chunk up to MaxAhead past Next is held aside; one
// further ahead is a media.ErrConflict. A chunk the take already has, in
// the spool or aside, is a no-op if its bytes are the same and a
// media.ErrConflict if not. Over MaxChunk, or past MaxTake for the take, is
// ErrTooLarge. A new chunk after Finish is a media.ErrConflict.
//
// On any error, including r failing part way, the take is as it was before.
func (s *Spooler) Put(id string, index int, r io.Reader) (Status, error) {
	t, err := s.lock(id)
	if err != nil {
		return Status{}, fmt.Errorf("upload: put chunk %d: %w", index, err)
	}
	defer t.mu.Unlock()
	t.touch(s.now())
	if r == nil {
		r = strings.NewReader("")
	}
	if err := s.put(t, index, r); err != nil {
		return Status{}, fmt.Errorf("upload: put %q chunk %d: %w", id, index, err)
	}
	return t.status(), nil
}

// put does Put with t.mu held.
func (s *Spooler) put(t *take, index int, r io.Reader) error {
	st := &t.st // only holders of t.mu change it
	if index < 0 {
		return media.Invalidf("chunk index %d is negative", index)
	}
	if index < st.Next {
		return s.verify(r, index, t.hash(index))
	}
	if a := st.aside(index); a != nil {
		want, err := hex.DecodeString(a.SHA256) // checked when read back
		if err != nil {
			return err
		}
		return s.verify(r, index, want)
	}
	if st.Finished {
		return media.Conflictf("the upload is finished: chunk %d cannot be added", index)
	}
	if index-st.Next > MaxAhead {
		return media.Conflictf("chunk %d is too far ahead; send chunk %d first", index, st.Next)
	}
	limit := min(s.MaxChunk, max(s.MaxTake-st.held(), 0))
	buf := s.buffer()
	defer s.bufs.Put(buf)
	if index == st.Next {
		return s.appendChunk(t, r, limit, *buf)
	}
	return s.holdChunk(t, index, r, limit, *buf)
}

// Status reports what the server has of take id. It does not wait for a Put
// in progress, so a client can ask while its last request is still dying.
func (s *Spooler) Status(id string) (Status, error) {
	t, err := s.find(id)
	if err != nil {
		return Status{}, fmt.Errorf("upload: status: %w", err)
	}
	<-t.created
	t.smu.Lock()
	defer t.smu.Unlock()
	if t.gone {
		return Status{}, fmt.Errorf("upload: status: %w", notFound(id))
	}
	t.touched = s.now()
	return t.statusLocked(), nil
}

// TakeID returns the id unique to take id (a client may begin another take
// under the same id once this one is removed); "" for a take begun by an
// older server.
func (s *Spooler) TakeID(id string) (string, error) {
	t, err := s.find(id)
	if err != nil {
		return "", fmt.Errorf("upload: take id: %w", err)
	}
	<-t.created
	t.smu.Lock()
	defer t.smu.Unlock()
	if t.gone {
		return "", fmt.Errorf("upload: take id: %w", notFound(id))
	}
	return t.st.TakeID, nil
}

// SetTitle records the title the user gave take id as it is saved, on
// disk with the take, so that if a crash cuts the save short the take is
// recovered under it (Pending.Title).
func (s *Spooler) SetTitle(id, title string) error {
	t, err := s.lock(id)
	if err != nil {
		return fmt.Errorf("upload: title: %w", err)
	}
	defer t.mu.Unlock()
	next := t.st
	next.Title = title
	if err := t.save(next); err != nil {
		return fmt.Errorf("upload: title %q: %w", id, err)
	}
	return nil
}

// Finish checks that take id is complete, marks it finished so no new chunk
// can change it, and returns the spool file, its size and the take's mime,
// for the caller to stream into the store: it should read exactly size bytes
// (io.NewSectionReader), then Remove the take. Finish may be called again,
// say if saving failed. Chunks held aside (one is missing) are a
// media.ErrConflict; an empty take a media.ErrInvalid.
func (s *Spooler) Finish(id string) (path string, size int64, mime string, err error) {
	t, err := s.lock(id)
	if err != nil {
		return "", 0, "", fmt.Errorf("upload: finish: %w", err)
	}
	defer t.mu.Unlock()
	now := s.now()
	t.touch(now)
	st := t.st
	if len(st.Aside) > 0 {
		return "", 0, "", fmt.Errorf("upload: finish %q: %w", id, media.Conflictf(
			"chunk %d is missing; %s arrived after it", st.Next, chunkList(st.Aside)))
	}
	if st.Bytes == 0 {
		return "", 0, "", fmt.Errorf("upload: finish %q: %w", id,
			media.Invalidf("nothing was recorded: the upload is empty"))
	}
	path = filepath.Join(t.dir, spoolFile)
	if err := trimTo(path, st.Bytes); err != nil {
		return "", 0, "", fmt.Errorf("upload: finish %q: %w", id, err)
	}
	if !st.Finished {
		next := st
		next.Finished = true
		next.Touched = now
		if err := t.save(next); err != nil {
			return "", 0, "", fmt.Errorf("upload: finish %q: %w", id, err)
		}
	}
	return path, st.Bytes, st.MIME, nil
}

// Recovered names the recording a start of the server made of take id
// (see MarkRecovered), and how many of its bytes that holds; "" if none.
func (s *Spooler) Recovered(id string) (filename string, bytes int64, err error) {
	st, err := s.Status(id)
	if err != nil {
		return "", 0, fmt.Errorf("upload: recovered: %w", err)
	}
	return st.RecoveredAs, st.RecoveredBytes, nil
}

// MarkRecovered notes that the take's first bytes (its committed spool
// then) are saved as the recording filename: a server that starts again
// after a crash saves each take left behind, and keeps the take, so the
// page that makes it can go on uploading. The take is not finished.
func (s *Spooler) MarkRecovered(id, filename string, bytes int64) error {
	t, err := s.lock(id)
	if err != nil {
		return fmt.Errorf("upload: mark recovered: %w", err)
	}
	defer t.mu.Unlock()
	if bytes < 0 || bytes > t.st.Bytes {
		return fmt.Errorf("upload: mark %q recovered: %d bytes of %d: %w", id, bytes, t.st.Bytes, media.ErrInvalid)
	}
	next := t.st
	next.RecoveredAs, next.RecoveredBytes = filename, bytes
	if err := t.save(next); err != nil {
		return fmt.Errorf("upload: mark %q recovered: %w", id, err)
	}
	return nil
}

// Remove deletes take id, its spool and its state: after it is saved, or
// to discard it.
func (s *Spooler) Remove(id string) error {
	t, err := s.lock(id)
	if err != nil {
		return fmt.Errorf("upload: remove: %w", err)
	}
	gone, err := t.retire(s.Dir)
	if err == nil {
		s.forget(t)
	}
	t.mu.Unlock()
	if err != nil {
		return fmt.Errorf("upload: remove %q: %w", id, err)
	}
	// The take is gone from Dir; what RemoveAll leaves, NewSpooler clears.
	if err := os.RemoveAll(gone); err != nil {
		return fmt.Errorf("upload: remove %q: %w", id, err)
	}
	return nil
}

// Expire removes the takes untouched (by Begin, Put, Status or Finish) for
// longer than maxAge and returns how many. A take with a Put in progress is
// in use, so it is kept. Call it from a ticker.
func (s *Spooler) Expire(maxAge time.Duration) int {
	now := s.now()
	var dirs []string
	s.mu.Lock()
	for _, t := range s.takes {
		if !t.mu.TryLock() {
			continue
		}
		t.smu.Lock()
		stale := now.Sub(t.touched) > maxAge
		t.smu.Unlock()
		if stale {
			if gone, err := t.retire(s.Dir); err == nil {
				s.dropLocked(t)
				dirs = append(dirs, gone)
			}
		}
		t.mu.Unlock()
	}
	s.mu.Unlock()
	for _, d := range dirs {
		os.RemoveAll(d) // what is left, NewSpooler clears
	}
	return len(dirs)
}

// find returns take id without locking it.
func (s *Spooler) find(id string) (*take, error) {
	if !validID(id) {
		return nil, invalidID(id)
	}
	s.mu.Lock()
	t := s.takes[id]
	s.mu.Unlock()
	if t == nil {
		return nil, notFound(id)
	}
	return t, nil
}

// lock returns take id with t.mu held; the caller unlocks it.
func (s *Spooler) lock(id string) (*take, error) {
	t, err := s.find(id)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	if t.gone {
		t.mu.Unlock()
		return nil, notFound(id)
	}
	return t, nil
}

// forget drops t from s.takes, unless a new take has its id by now.
func (s *Spooler) forget(t *take) {
	s.mu.Lock()
	if s.takes[t.id] == t {
		s.dropLocked(t)
	}
	s.mu.Unlock()
}

// admitLocked checks that client may begin one more take. s.mu is held.
func (s *Spooler) admitLocked(client string) error {
	if client != "" && s.MaxPerClient > 0 && s.clients[client] >= s.MaxPerClient {
		return &media.Error{Kind: ErrTooMany, Message: fmt.Sprintf(
			"%d uploads in progress from your address already: save or discard one first", s.clients[client])}
	}
	if s.MaxOpen > 0 && len(s.takes) >= s.MaxOpen {
		return &media.Error{Kind: media.ErrBusy, Message: "the server has too many uploads in progress; try again later"}
	}
	return nil
}

// addLocked puts t in s.takes and counts it for its client. s.mu is held.
func (s *Spooler) addLocked(t *take) {
	s.takes[t.id] = t
	if t.client != "" {
		if s.clients == nil {
			s.clients = map[string]int{}
		}
		s.clients[t.client]++
	}
}

// dropLocked removes t, which is in s.takes, and uncounts it. s.mu is held.
func (s *Spooler) dropLocked(t *take) {
	delete(s.takes, t.id)
	if t.client != "" {
		if s.clients[t.client]--; s.clients[t.client] <= 0 {
			delete(s.clients, t.client)
		}
	}
}

// buffer returns a copy buffer; put it back in s.bufs.
func (s *Spooler) buffer() *[]byte {
	if b, ok := s.bufs.Get().(*[]byte); ok {
		return b
	}
	b := make([]byte, copyBufSize)
	return &b
}

// tooLarge explains why n bytes did not fit.
func (s *Spooler) tooLarge(n int64) error {
	if n > s.MaxChunk {
		return &media.Error{Kind: ErrTooLarge, Message: "a chunk may be at most " + formatBytes(s.MaxChunk)}
	}
	return &media.Error{Kind: ErrTooLarge, Message: "a recording may be at most " + formatBytes(s.MaxTake)}
}

// newTakeID names one take for good: 128 random bits.
func newTakeID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

func invalidID(id string) error {
	if len(id) > 80 {
		id = id[:80] + "…"
	}
	return media.Invalidf("%q is not an upload id: use 1 to 64 letters, digits, _ or -", id)
}

func notFound(id string) error {
	return media.NotFoundf("no upload %q: it was saved, discarded or expired", id)
}

// chunkList writes the indices of aside as "chunk 5" or "chunks 5, 7".
func chunkList(aside []asideChunk) string {
	idx := make([]string, len(aside))
	for i, a := range aside {
		idx[i] = strconv.Itoa(a.Index)
	}
	if len(idx) == 1 {
		return "chunk " + idx[0]
	}
	return "chunks " + strings.Join(idx, ", ")
}

// formatBytes writes n as "8 MiB", "512 KiB" or "1000 bytes".
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
