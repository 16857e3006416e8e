// Package settings is the one truth for the processing parameters: every
// way in (the form, the JSON API, the WebSocket) updates them here, they
// are validated and persisted, and every subscriber (open pages, live
// sessions) hears about each change.
package settings

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/avatarweb/recorder/media"
)

// Store persists parameters.
type Store interface {
	Params(ctx context.Context) (media.Params, error)
	SaveParams(ctx context.Context, p media.Params) error
}

// Change is one update, as subscribers receive it.
type Change struct {
	Params media.Params
	Source string // "form", "api", "ws": where the change came from
}

// Settings serializes updates and fans them out.
type Settings struct {
	store Store
	// DefaultFormat is the format live takes are kept in while the stored
	// parameters name none (-live-format): media.FormatWAV when empty.
	DefaultFormat string

	mu      sync.Mutex // serializes read-modify-write and guards subs and last
	subs    map[int]chan Change
	nextSub int
	last    *media.Params // what subscribers last heard (Watch); nil: not read yet
}

// New returns Settings over a store.
func New(store Store) *Settings {
	return &Settings{store: store, subs: map[int]chan Change{}}
}

// Params returns the parameters in force.
func (s *Settings) Params(ctx context.Context) (media.Params, error) {
	p, err := s.store.Params(ctx)
	return s.resolve(p), err
}

// resolve names the default format in parameters stored without one.
func (s *Settings) resolve(p media.Params) media.Params {
	if p.Format == "" {
		p.Format = cmp.Or(s.DefaultFormat, media.FormatWAV)
	}
	return p
}

// Update applies edit to the current parameters, validates and stores the
// result, and tells every subscriber. A refused result changes nothing and
// returns the validation error (media.FieldErrors).
func (s *Settings) Update(ctx context.Context, source string, edit func(media.Params) media.Params) (media.Params, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	current, err := s.store.Params(ctx)
	if err != nil {
		return media.Params{}, fmt.Errorf("settings: read: %w", err)
	}
	current = s.resolve(current)
	next := s.resolve(edit(current))
	if err := next.Validate(); err != nil {
		return current, err
	}
	if next == current {
		return current, nil
	}
	if err := s.store.SaveParams(ctx, next); err != nil {
		return current, fmt.Errorf("settings: save: %w", err)
	}
	s.broadcast(Change{Params: next, Source: source})
	return next, nil
}

// broadcast tells every subscriber; s.mu is held.
func (s *Settings) broadcast(c Change) {
	s.last = &c.Params
	for _, ch := range s.subs {
		// Only the newest parameters matter: replace a change the
		// subscriber has not read yet instead of blocking on it.
		select {
		case <-ch:
		default:
		}
		ch <- c
	}
}

// SourceNode is the Source of a change Watch found in the store: made by
// another node sharing it.
const SourceNode = "node"

// Watch reads the stored parameters every interval until ctx ends, and
// tells every subscriber when they differ from what they last heard: a
// change another node made to a shared store reaches this node's pages
// and live sessions within one interval. Changes made through Update here
// are heard at once and not again. A failed read is retried at the next
// tick.
func (s *Settings) Watch(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		s.poll(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// poll reads the store once; under s.mu, so an Update here cannot slip in
// between the read and the comparison.
func (s *Settings) poll(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.store.Params(ctx)
	p = s.resolve(p)
	switch {
	case err != nil:
	case s.last == nil:
		s.last = &p // the first read: nothing has changed yet
	case *s.last != p:
		s.broadcast(Change{Params: p, Source: SourceNode})
	}
}

// Subscribe returns a channel that receives every later change (a slow
// reader sees only the newest), and a function that ends the subscription
// and closes the channel.
func (s *Settings) Subscribe() (<-chan Change, func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextSub
	s.nextSub++
	ch := make(chan Change, 1)
	s.subs[id] = ch
	var once sync.Once
	return ch, func() {
		once.Do(func() {
			s.mu.Lock()
			delete(s.subs, id)
			close(ch)
			s.mu.Unlock()
		})
	}
}
