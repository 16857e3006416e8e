package feed

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

var testParams = media.Params{FPS: 30, BatchSize: 16, SampleRate: 8000, Channels: 1}

// small is a cheap batch for tests that publish many.
func small(index int64) media.Batch { return makeBatch(index, []int{4, 3}, testParams) }

// receive takes one message from s, failing the test if none is queued.
func receive(t *testing.T, s *Subscription) (Header, []int16) {
	t.Helper()
	select {
	case msg, ok := <-s.C:
		if !ok {
			t.Fatal("C closed")
		}
		h, pcm, err := Decode(msg)
		if err != nil {
			t.Fatal(err)
		}
		return h, pcm
	default:
		t.Fatal("no message queued")
	}
	panic("unreachable")
}

// assertClosed checks that s.C is closed with nothing left in it.
func assertClosed(t *testing.T, s *Subscription) {
	t.Helper()
	select {
	case msg, ok := <-s.C:
		if ok {
			t.Fatalf("C delivered %d more bytes, want closed", len(msg))
		}
	default:
		t.Fatal("C is open")
	}
}

func mustPublish(t testing.TB, h *Hub, id string, b media.Batch) {
	t.Helper()
	if err := h.Publish(id, b, testParams); err != nil {
		t.Fatal(err)
	}
}

func TestHubDeliversInOrder(t *testing.T) {
	h := NewHub(32)
	fixed := time.UnixMilli(1_767_225_600_000)
	h.Now = func() time.Time { return fixed }
	// Subscribing before anything is published works.
	a, b := h.Subscribe("s1"), h.Subscribe("s1")
	other := h.Subscribe("s2")
	if n := h.Subscribers("s1"); n != 2 {
		t.Fatalf("Subscribers = %d, want 2", n)
	}
	for i := range int64(20) {
		mustPublish(t, h, "s1", small(i))
	}
	for _, s := range []*Subscription{a, b} {
		for i := range int64(20) {
			hd, pcm := receive(t, s)
			if hd.Batch != i || hd.SessionID != "s1" || hd.Dropped != 0 || hd.SentAt != fixed.UnixMilli() {
				t.Fatalf("message %d: header %+v", i, hd)
			}
			if !slices.Equal(pcm, wantPCM(small(i))) {
				t.Fatalf("message %d: PCM differs", i)
			}
		}
	}
	if len(other.C) != 0 {
		t.Errorf("other session got %d messages", len(other.C))
	}
	h.End("s1")
	assertClosed(t, a)
	assertClosed(t, b)
	if n := h.Subscribers("s1"); n != 0 {
		t.Errorf("Subscribers after End = %d", n)
	}
	if n := h.Subscribers("s2"); n != 1 {
		t.Errorf("End closed another session: Subscribers(s2) = %d", n)
	}
}

// TestHubSkipsBareBatches: a batch cut while no one listened has no
// samples; a subscriber who arrived during it gets the next whole one.
func TestHubSkipsBareBatches(t *testing.T) {
	h := NewHub(32)
	s := h.Subscribe("s1")
	bare := small(0)
	bare.Bare = true
	for i := range bare.Frames {
		bare.Frames[i].Samples = nil
	}
	mustPublish(t, h, "s1", bare)
	mustPublish(t, h, "s1", small(1))
	hd, pcm := receive(t, s)
	if hd.Batch != 1 || !slices.Equal(pcm, wantPCM(small(1))) {
		t.Errorf("first message is batch %d, want 1 (the whole one)", hd.Batch)
	}
	if len(s.C) != 0 {
		t.Errorf("%d more messages queued", len(s.C))
	}
}

func TestHubSlowSubscriber(t *testing.T) {
	const queue, batches = 4, 10_000
	h := NewHub(queue)
	slow, fast := h.Subscribe("s"), h.Subscribe("s")

	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range int64(batches) {
			if err := h.Publish("s", small(i), testParams); err != nil {
				t.Error(err)
				return
			}
			// The fast subscriber reads every batch as it comes.
			msg := <-fast.C
			if hd, _, err := Decode(msg); err != nil || hd.Batch != i || hd.Dropped != 0 {
				t.Errorf("fast subscriber: batch %d: header %+v, err %v", i, hd, err)
				return
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("Publish blocked on a subscriber that does not read")
	}
	if t.Failed() {
		return
	}
	if got, want := slow.Dropped(), int64(batches-queue); got != want {
		t.Fatalf("slow Dropped() = %d, want %d", got, want)
	}
	if fast.Dropped() != 0 {
		t.Errorf("fast Dropped() = %d", fast.Dropped())
	}
	if got, want := h.Dropped(), int64(batches-queue); got != want {
		t.Errorf("hub Dropped() = %d, want the slow subscriber's %d", got, want)
	}
	// The slow subscriber kept the first batches it had room for.
	for i := range int64(queue) {
		if hd, _ := receive(t, slow); hd.Batch != i || hd.Dropped != 0 {
			t.Fatalf("slow message %d: header %+v", i, hd)
		}
	}
	// Its next message reports what it lost.
	mustPublish(t, h, "s", small(batches))
	if hd, _ := receive(t, slow); hd.Batch != batches || hd.Dropped != batches-queue {
		t.Errorf("slow next header: batch %d dropped %d, want %d and %d", hd.Batch, hd.Dropped, batches, batches-queue)
	}
	if hd, _ := receive(t, fast); hd.Dropped != 0 {
		t.Errorf("fast next header: dropped %d", hd.Dropped)
	}
}

// Subscribers with different drop counts share the PCM but not the header.
func TestHubHeadersPerSubscriber(t *testing.T) {
	h := NewHub(8)
	subs := []*Subscription{h.Subscribe("s"), h.Subscribe("s"), h.Subscribe("s"), h.Subscribe("s")}
	subs[1].dropped.Store(3)
	subs[2].dropped.Store(3)
	subs[3].dropped.Store(1 << 40)
	b := makeBatch(5, []int{100, 101}, testParams)
	mustPublish(t, h, "s", b)
	msgs := make([][]byte, len(subs))
	for i, s := range subs {
		msgs[i] = <-s.C
		hd, pcm, err := Decode(msgs[i])
		if err != nil {
			t.Fatal(err)
		}
		if hd.Dropped != s.Dropped() {
			t.Errorf("subscriber %d: header dropped %d, want %d", i, hd.Dropped, s.Dropped())
		}
		if !slices.Equal(pcm, wantPCM(b)) {
			t.Errorf("subscriber %d: PCM differs", i)
		}
	}
	if &msgs[1][0] != &msgs[2][0] {
		t.Error("subscribers with equal drop counts got separate messages")
	}
	if &msgs[0][0] == &msgs[1][0] || &msgs[1][0] == &msgs[3][0] {
		t.Error("subscribers with different drop counts share a message")
	}
}

func TestSubscriptionClose(t *testing.T) {
	h := NewHub(4)
	a, b := h.Subscribe("s"), h.Subscribe("s")
	mustPublish(t, h, "s", small(0))
	a.Close()
	if n := h.Subscribers("s"); n != 1 {
		t.Fatalf("Subscribers after Close = %d, want 1", n)
	}
	a.Close() // idempotent
	if n := h.Subscribers("s"); n != 1 {
		t.Fatalf("Subscribers after second Close = %d, want 1", n)
	}
	mustPublish(t, h, "s", small(1))
	// The queued message is still delivered, then C closes.
	if hd, _ := receive(t, a); hd.Batch != 0 {
		t.Errorf("queued batch = %d", hd.Batch)
	}
	assertClosed(t, a)
	for i := range int64(2) {
		if hd, _ := receive(t, b); hd.Batch != i {
			t.Errorf("b got batch %d, want %d", hd.Batch, i)
		}
	}
	b.Close()
	if n := h.Subscribers("s"); n != 0 {
		t.Errorf("Subscribers = %d, want 0", n)
	}
	h.End("s") // nothing left to close
	// Close after End is harmless.
	c := h.Subscribe("s")
	h.End("s")
	c.Close()
	assertClosed(t, c)
}

func TestHubEnd(t *testing.T) {
	h := NewHub(4)
	s := h.Subscribe("s")
	mustPublish(t, h, "s", small(0))
	mustPublish(t, h, "s", small(1))
	h.End("s")
	for i := range int64(2) {
		if hd, _ := receive(t, s); hd.Batch != i {
			t.Errorf("batch %d, want %d", hd.Batch, i)
		}
	}
	assertClosed(t, s)
	mustPublish(t, h, "s", small(2)) // no subscribers: a no-op
	// A new subscription to the same id starts afresh.
	s2 := h.Subscribe("s")
	mustPublish(t, h, "s", small(3))
	if hd, _ := receive(t, s2); hd.Batch != 3 {
		t.Errorf("batch %d, want 3", hd.Batch)
	}
}

func TestHubPublishInvalid(t *testing.T) {
	h := NewHub(4)
	s := h.Subscribe("s")
	bad := media.Batch{Frames: []media.Frame{{Samples: make([]float32, 3)}}}
	if err := h.Publish("s", bad, media.Params{SampleRate: 8000, Channels: 2}); err == nil {
		t.Fatal("Publish of an unencodable batch succeeded")
	}
	if len(s.C) != 0 || s.Dropped() != 0 {
		t.Errorf("queue %d, dropped %d after a failed Publish", len(s.C), s.Dropped())
	}
}

func TestNewHubDefaultQueue(t *testing.T) {
	s := NewHub(0).Subscribe("s")
	if cap(s.ch) != DefaultQueueLen {
		t.Errorf("queue length %d, want %d", cap(s.ch), DefaultQueueLen)
	}
}

// Run with -race: publishers, subscribers that come and go, readers and End
// all at once.
func TestHubConcurrent(t *testing.T) {
	h := NewHub(8)
	sessions := []string{"a", "b", "c"}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, id := range sessions {
		for range 2 { // two publishers per session
			wg.Go(func() {
				for i := int64(0); ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if err := h.Publish(id, small(i), testParams); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	var subWG sync.WaitGroup
	for n := range 12 {
		subWG.Go(func() {
			for round := range 50 {
				s := h.Subscribe(sessions[(n+round)%len(sessions)])
				for range round % 5 {
					select {
					case msg, ok := <-s.C:
						if ok {
							if _, _, err := Decode(msg); err != nil {
								t.Error(err)
							}
						}
					case <-time.After(time.Millisecond):
					}
				}
				_ = s.Dropped()
				s.Close()
				if round%2 == 0 {
					s.Close()
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 50 {
			h.End(sessions[i%len(sessions)])
			_ = h.Subscribers(sessions[i%len(sessions)])
			time.Sleep(100 * time.Microsecond)
		}
	})
	subWG.Wait()
	close(stop)
	wg.Wait()
	for _, id := range sessions {
		if n := h.Subscribers(id); n != 0 {
			t.Errorf("session %s: %d subscribers left", id, n)
		}
	}
}

// A 64-frame batch of 48 kHz mono at 30 fps: 102 400 samples, 200 KiB of PCM.
func benchBatch() (media.Batch, media.Params) {
	p := media.DefaultParams()
	return makeBatch(1, slices.Repeat([]int{p.SampleRate / p.FPS}, p.BatchSize), p), p
}

func BenchmarkEncode(b *testing.B) {
	batch, p := benchBatch()
	b.SetBytes(int64(2 * p.SampleRate / p.FPS * p.BatchSize))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Encode("s", batch, p); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPublish publishes to 4 subscribers that keep up (one shared
// message) and to 4 with different drop counts (one message each).
func BenchmarkPublish(b *testing.B) {
	for _, distinct := range []bool{false, true} {
		b.Run(fmt.Sprintf("subs=4/distinctDropped=%v", distinct), func(b *testing.B) {
			batch, p := benchBatch()
			h := NewHub(4)
			subs := make([]*Subscription, 4)
			for i := range subs {
				subs[i] = h.Subscribe("s")
				if distinct {
					subs[i].dropped.Store(int64(i))
				}
			}
			b.SetBytes(int64(2 * p.SampleRate / p.FPS * p.BatchSize))
			b.ReportAllocs()
			for b.Loop() {
				if err := h.Publish("s", batch, p); err != nil {
					b.Fatal(err)
				}
				for _, s := range subs {
					<-s.C
				}
			}
		})
	}
}
