package library

import (
	"errors"
	"sync"
	"time"

	"github.com/avatarweb/recorder/media"
)

// ledger gives each take one fate. A live draft or an upload is saved
// once or discarded once, whoever asks first; a request that comes while
// another is at work on the take, or after it is settled, is told what
// became of it instead of acting again. Without it two saves of one take
// would both write a recording, and a discard racing a save would both
// succeed.
//
// While a take exists its id names it alone (the session manager and the
// upload spooler refuse a second take under a live id), so claims are
// keyed by id. Once a take is settled its id is free again, for the
// client's next take; what became of the old one is kept aside for
// ledgerMemory and told only to requests that find no take under the id.
// A failed save or discard settles nothing: the take may be tried again
// (say once the disk has room).
type ledger struct {
	mu      sync.Mutex
	working map[string]fateState // claims under way
	settled map[string]fate      // what became of takes that are gone
}

// ledgerMemory is how long a settled fate is remembered.
const ledgerMemory = time.Hour

type fateState int

const (
	saving fateState = iota + 1
	discarding
	saved
	discarded
)

type fate struct {
	state    fateState
	filename string // the recording a saved take became
	at       time.Time
}

// Take keys in the ledger, one namespace per kind of take.
func sessionKey(id string) string { return "webrtc:" + id }
func uploadKey(id string) string  { return "upload:" + id }

// claim gives take key to this request for saving or discarding, or
// returns a conflict naming what another request is doing with it.
func (l *ledger) claim(key string, want fateState) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.working == nil {
		l.working = map[string]fateState{}
	}
	switch l.working[key] {
	case saving:
		return media.Conflictf("this take is being saved right now")
	case discarding:
		return media.Conflictf("this take is being discarded right now")
	}
	l.working[key] = want
	return nil
}

// settle ends a claim. ok false (the save or discard failed) leaves the
// take as it was; ok true records its fate: saved as filename, or
// discarded.
func (l *ledger) settle(key string, ok bool, filename string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	state := l.working[key]
	delete(l.working, key)
	if !ok {
		return
	}
	if l.settled == nil {
		l.settled = map[string]fate{}
	}
	l.prune(now)
	switch state {
	case saving:
		l.settled[key] = fate{state: saved, filename: filename, at: now}
	case discarding:
		l.settled[key] = fate{state: discarded, at: now}
	}
}

// remember records that the take under key was saved as filename
// without a claim: a take the server saved by itself at start.
func (l *ledger) remember(key, filename string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.settled == nil {
		l.settled = map[string]fate{}
	}
	l.prune(now)
	l.settled[key] = fate{state: saved, filename: filename, at: now}
}

// savedAs returns the recording the take under key became, if the
// ledger remembers it saved.
func (l *ledger) savedAs(key string, now time.Time) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if f, ok := l.settled[key]; ok && f.state == saved && now.Sub(f.at) <= ledgerMemory {
		return f.filename
	}
	return ""
}

// explain turns notFound, the answer for a take that is gone, into what
// became of it when the ledger remembers: a save of a saved take or of a
// discarded one, or a discard of a saved take, is a conflict that says
// so. A discard of a discarded take stays not found.
func (l *ledger) explain(key string, want fateState, notFound error, now time.Time) error {
	if !errors.Is(notFound, media.ErrNotFound) {
		return notFound
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	f, ok := l.settled[key]
	if !ok || now.Sub(f.at) > ledgerMemory {
		return notFound
	}
	switch {
	case f.state == saved:
		return &media.SavedError{Filename: f.filename}
	case want == saving:
		return media.Conflictf("this take was discarded")
	}
	return notFound
}

// prune forgets fates older than ledgerMemory, so the ledger stays as
// small as the last hour's takes. Called with l.mu held.
func (l *ledger) prune(now time.Time) {
	for key, f := range l.settled {
		if now.Sub(f.at) > ledgerMemory {
			delete(l.settled, key)
		}
	}
}
