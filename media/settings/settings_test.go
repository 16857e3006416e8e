package settings_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/settings"
)

// memStore is an in-memory Store that counts writes.
type memStore struct {
	mu     sync.Mutex
	p      media.Params
	writes int
}

func (m *memStore) Params(context.Context) (media.Params, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.p, nil
}

func (m *memStore) SaveParams(_ context.Context, p media.Params) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.p, m.writes = p, m.writes+1
	return nil
}

func withFPS(fps int) func(media.Params) media.Params {
	return func(p media.Params) media.Params { p.FPS = fps; return p }
}

func TestUpdate(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		store := &memStore{p: media.DefaultParams()}
		s := settings.New(store)
		changes, cancel := s.Subscribe()
		defer cancel()
		got, err := s.Update(ctx, "api", withFPS(25))
		if err != nil || got.FPS != 25 || store.p.FPS != 25 {
			t.Fatalf("Update: %+v, %v; stored %+v", got, err, store.p)
		}
		select {
		case c := <-changes:
			if c.Params.FPS != 25 || c.Source != "api" {
				t.Errorf("subscriber got %+v", c)
			}
		case <-time.After(time.Second):
			t.Fatal("subscriber not told")
		}
	})
	t.Run("ErrInvalid", func(t *testing.T) {
		store := &memStore{p: media.DefaultParams()}
		s := settings.New(store)
		changes, cancel := s.Subscribe()
		defer cancel()
		_, err := s.Update(ctx, "form", withFPS(0))
		var fields media.FieldErrors
		if !errors.As(err, &fields) || fields["fps"] == "" {
			t.Fatalf("fps 0: %v", err)
		}
		if store.writes != 0 || store.p != media.DefaultParams() {
			t.Errorf("refused update was stored: %+v (%d writes)", store.p, store.writes)
		}
		select {
		case c := <-changes:
			t.Errorf("subscriber told of a refused change: %+v", c)
		default:
		}
	})
	t.Run("SlowSubscriberSeesNewest", func(t *testing.T) {
		s := settings.New(&memStore{p: media.DefaultParams()})
		changes, cancel := s.Subscribe()
		defer cancel()
		for _, fps := range []int{10, 20, 40} {
			if _, err := s.Update(ctx, "ws", withFPS(fps)); err != nil {
				t.Fatal(err)
			}
		}
		if c := <-changes; c.Params.FPS != 40 {
			t.Errorf("slow subscriber got fps %d, want the newest (40)", c.Params.FPS)
		}
	})
	t.Run("Unsubscribed", func(t *testing.T) {
		s := settings.New(&memStore{p: media.DefaultParams()})
		changes, cancel := s.Subscribe()
		cancel()
		cancel() // idempotent
		if _, err := s.Update(ctx, "api", withFPS(12)); err != nil {
			t.Fatal(err)
		}
		if c, open := <-changes; open {
			t.Errorf("unsubscribed channel got %+v", c)
		}
	})
}

func TestConcurrentUpdatesSerialize(t *testing.T) {
	store := &memStore{p: media.DefaultParams()}
	s := settings.New(store)
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Each edit steps batch_size from the value it read. Two
			// edits reading the same value would write the same result,
			// and the second would be no change: fewer than 50 writes.
			_, _ = s.Update(context.Background(), "api", func(p media.Params) media.Params {
				p.BatchSize = 16 * (1 + (p.BatchSize/16)%16)
				return p
			})
		}()
	}
	wg.Wait()
	if store.writes != 50 {
		t.Errorf("%d writes for 50 serialized changes", store.writes)
	}
}

// TestWatch: two Settings over one store stand for two nodes sharing an
// index. A change made on one reaches the other's subscribers through
// Watch, once, marked as another node's; a change made on the watching
// node itself is heard once, from Update, not again from Watch.
func TestWatch(t *testing.T) {
	store := &memStore{p: media.DefaultParams()}
	nodeA, nodeB := settings.New(store), settings.New(store)
	changes, cancel := nodeA.Subscribe()
	defer cancel()
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		nodeA.Watch(ctx, 5*time.Millisecond)
	}()
	defer func() { stop(); <-watching }()
	time.Sleep(20 * time.Millisecond) // Watch has read the store at least once

	if _, err := nodeB.Update(context.Background(), "api", withFPS(25)); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-changes:
		if c.Params.FPS != 25 || c.Source != settings.SourceNode {
			t.Fatalf("node A heard %+v, want fps 25 from another node", c)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("node A never heard node B's change")
	}

	if _, err := nodeA.Update(context.Background(), "form", withFPS(20)); err != nil {
		t.Fatal(err)
	}
	if c := <-changes; c.Params.FPS != 20 || c.Source != "form" {
		t.Fatalf("node A heard %+v, want its own fps 20 from the form", c)
	}
	time.Sleep(50 * time.Millisecond) // ten polls
	select {
	case c := <-changes:
		t.Fatalf("node A heard its own change again: %+v", c)
	default:
	}
}
