package handlers

import "sync"

// changeHub tells every open page (over /ws) that the recordings list
// changed: a save, rename or delete, from any page or the API. Its zero
// value is ready. A page that is slow to read misses nothing it needs:
// one pending signal stands for any number of changes.
type changeHub struct {
	mu   sync.Mutex
	subs map[chan struct{}]struct{}
}

// subscribe returns a channel that receives a signal after changes, and
// the function that ends the subscription.
func (h *changeHub) subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	h.mu.Lock()
	if h.subs == nil {
		h.subs = map[chan struct{}]struct{}{}
	}
	h.subs[ch] = struct{}{}
	h.mu.Unlock()
	return ch, func() {
		h.mu.Lock()
		delete(h.subs, ch)
		h.mu.Unlock()
	}
}

// publish signals every subscriber without blocking.
func (h *changeHub) publish() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for ch := range h.subs {
		select {
		case ch <- struct{}{}:
		default: // a signal is pending already
		}
	}
}
