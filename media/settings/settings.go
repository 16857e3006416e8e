// Package settings is the one truth for the processing parameters: every
// way in (the form, the JSON API, the WebSocket) updates them here, they
// are validated and persisted, and every subscriber (open pages, live
// sessions) hears about each change.
package settings

import (
	"context"
	"fmt"
	"sync"

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

	mu      sync.Mutex // serializes read-modify-write and guards subs
	subs    map[int]chan Change
	nextSub int
}

// New returns Settings over a store.
func New(store Store) *Settings {
	return &Settings{store: store, subs: map[int]chan Change{}}
}

// Params returns the parameters in force.
func (s *Settings) Params(ctx context.Context) (media.Params, error) {
	return s.store.Params(ctx)
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
	next := edit(current)
	if err := next.Validate(); err != nil {
		return current, err
	}
	if next == current {
		return current, nil
	}
	if err := s.store.SaveParams(ctx, next); err != nil {
		return current, fmt.Errorf("settings: save: %w", err)
	}
	for _, ch := range s.subs {
		// Only the newest parameters matter: replace a change the
		// subscriber has not read yet instead of blocking on it.
		select {
		case <-ch:
		default:
		}
		ch <- Change{Params: next, Source: source}
	}
	return next, nil
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
