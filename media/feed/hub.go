package feed

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/avatarweb/recorder/media"
)

// DefaultQueueLen is the queue length NewHub uses when given less than 1.
const DefaultQueueLen = 32

// Hub fans the batches of live sessions out to subscribers. Publish never
// waits for a subscriber: each has a bounded queue, and a batch that finds
// it full is dropped for that subscriber and counted. Make one with NewHub;
// it is safe for concurrent use.
type Hub struct {
	// Now stamps sent_unix_ms; NewHub sets time.Now and tests replace it.
	Now func() time.Time

	queueLen int
	dropped  atomic.Int64 // batches lost to full queues, every subscriber's

	mu       sync.RWMutex // guards sessions and Subscription.closed
	sessions map[string][]*Subscription
}

// NewHub returns a hub whose subscribers each queue up to queueLen batches.
func NewHub(queueLen int) *Hub {
	if queueLen < 1 {
		queueLen = DefaultQueueLen
	}
	return &Hub{Now: time.Now, queueLen: queueLen, sessions: make(map[string][]*Subscription)}
}

// Subscription receives the messages of one session.
type Subscription struct {
	// C delivers encoded messages (see Decode) in batch order. It closes
	// after the queued messages once the subscription is closed or the
	// session ends. Messages may be shared between subscribers: read them,
	// do not modify them.
	C <-chan []byte

	hub     *Hub
	session string
	ch      chan []byte
	dropped atomic.Int64
	closed  bool // guarded by hub.mu
}

// Subscribe adds a subscriber to a session. The session need not have
// started: a consumer may connect first and gets its batches from the first
// one published after it subscribed.
func (h *Hub) Subscribe(sessionID string) *Subscription {
	ch := make(chan []byte, h.queueLen)
	s := &Subscription{C: ch, hub: h, session: sessionID, ch: ch}
	h.mu.Lock()
	h.sessions[sessionID] = append(h.sessions[sessionID], s)
	h.mu.Unlock()
	return s
}

// Subscribers returns how many subscriptions a session has.
func (h *Hub) Subscribers(sessionID string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.sessions[sessionID])
}

// Publish sends batch b of a session, run with parameters p, to every
// subscriber of the session without blocking: a subscriber whose queue is
// full loses the batch and its drop count goes up. The PCM is converted
// once per batch; subscribers with the same drop count share one message.
// With no subscribers, or a Bare batch (no one listened as it began, so a
// subscriber's first batch is the next whole one), Publish does nothing.
// It returns Encode's error for a batch that cannot be encoded.
func (h *Hub) Publish(sessionID string, b media.Batch, p media.Params) error {
	if b.Bare || h.Subscribers(sessionID) == 0 {
		return nil
	}
	enc, err := newEncoding(sessionID, b, p)
	if err != nil {
		return err
	}
	sentAt := h.Now().UnixMilli()

	// Messages built so far, by drop count; nearly always just one.
	type built struct {
		dropped int64
		msg     []byte
	}
	var msgs []built
	messageFor := func(dropped int64) []byte {
		for _, m := range msgs {
			if m.dropped == dropped {
				return m.msg
			}
		}
		msg := enc.message(dropped, sentAt)
		msgs = append(msgs, built{dropped, msg})
		return msg
	}

	// The read lock keeps Close and End from closing a channel mid-send.
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, s := range h.sessions[sessionID] {
		if len(s.ch) == cap(s.ch) { // full: skip building a message for it
			s.dropped.Add(1)
			h.dropped.Add(1)
			continue
		}
		select {
		case s.ch <- messageFor(s.dropped.Load()):
		default: // filled up by a concurrent Publish
			s.dropped.Add(1)
			h.dropped.Add(1)
		}
	}
	return nil
}

// Dropped returns how many batches every subscriber together has lost to
// a full queue since the hub was made.
func (h *Hub) Dropped() int64 { return h.dropped.Load() }

// End closes every subscription of a session; each C closes once its queued
// messages are read. A later Subscribe to the same id starts afresh.
func (h *Hub) End(sessionID string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, s := range h.sessions[sessionID] {
		s.closed = true
		close(s.ch)
	}
	delete(h.sessions, sessionID)
}

// Dropped returns how many batches the subscription has lost to a full queue.
func (s *Subscription) Dropped() int64 { return s.dropped.Load() }

// Close unsubscribes; C closes once its queued messages are read. Close may
// be called more than once, and after End.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	close(s.ch)
	subs := slices.DeleteFunc(h.sessions[s.session], func(x *Subscription) bool { return x == s })
	if len(subs) == 0 {
		delete(h.sessions, s.session)
	} else {
		h.sessions[s.session] = subs
	}
}
