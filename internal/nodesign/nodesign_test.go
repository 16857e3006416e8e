package nodesign

import (
	"crypto/sha256"
	"errors"
	"testing"
	"time"
)

func TestVerify(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := New([]byte("a-secret-shared-by-the-nodes"), clock)
	signed := func(edit func(*Request)) (Request, string) {
		r := s.NewRequest("POST", "/save_recording?x=1", "node-a", "192.0.2.7", []byte(`{"session_id":"s1"}`))
		sig := s.Sign(r)
		if edit != nil {
			edit(&r)
		}
		return r, sig
	}
	t.Run("OK", func(t *testing.T) {
		r, sig := signed(nil)
		if err := s.Verify(r, sig); err != nil {
			t.Fatal(err)
		}
		if err := s.Verify(r, sig); !errors.Is(err, ErrReplayed) {
			t.Errorf("the same request again: %v, want ErrReplayed", err)
		}
	})
	for _, tc := range []struct {
		name string
		edit func(*Request)
		want error
	}{
		{"ErrMethod", func(r *Request) { r.Method = "DELETE" }, ErrBadSignature},
		{"ErrURI", func(r *Request) { r.URI = "/recordings/x" }, ErrBadSignature},
		{"ErrNode", func(r *Request) { r.Node = "node-b" }, ErrBadSignature},
		{"ErrClient", func(r *Request) { r.Client = "198.51.100.1" }, ErrBadSignature},
		{"ErrBody", func(r *Request) { r.BodySum = sha256.Sum256([]byte(`{"session_id":"s2"}`)) }, ErrBadSignature},
		{"ErrTime", func(r *Request) { r.Time = r.Time.Add(time.Second) }, ErrBadSignature},
		{"ErrNewline", func(r *Request) { r.URI = "/a\n/b" }, ErrMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, sig := signed(tc.edit)
			if err := s.Verify(r, sig); !errors.Is(err, tc.want) {
				t.Errorf("Verify: %v, want %v", err, tc.want)
			}
		})
	}
	t.Run("ErrOtherSecret", func(t *testing.T) {
		r, _ := signed(nil)
		if err := s.Verify(r, New([]byte("another secret"), clock).Sign(r)); !errors.Is(err, ErrBadSignature) {
			t.Errorf("signed with another secret: %v", err)
		}
	})
	t.Run("ErrStale", func(t *testing.T) {
		old := New([]byte("a-secret-shared-by-the-nodes"), func() time.Time { return now.Add(-Window - time.Second) })
		r := old.NewRequest("GET", "/webrtc/sessions/s1", "node-a", "192.0.2.7", nil)
		if err := s.Verify(r, old.Sign(r)); !errors.Is(err, ErrStale) {
			t.Errorf("31 s old: %v, want ErrStale", err)
		}
	})
}
