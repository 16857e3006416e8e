package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/s3store"
	"github.com/avatarweb/recorder/internal/s3store/s3test"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/store"
	"github.com/avatarweb/recorder/media/store/storetest"
)

// TestConformance runs the suite every store passes against a real
// S3-compatible server.
func TestConformance(t *testing.T) {
	srv := s3test.Start(t)
	storetest.Run(t, func(t *testing.T, now func() time.Time) store.Store {
		return srv.NewStore(t, now)
	})
}

func TestParseURL(t *testing.T) {
	for _, tc := range []struct{ in, bucket, prefix string }{
		{"s3://b", "b", ""},
		{"s3://b/", "b", ""},
		{"s3://b/recordings", "b", "recordings/"},
		{"s3://b/a/b/", "b", "a/b/"},
	} {
		b, p, err := s3store.ParseURL(tc.in)
		if err != nil || b != tc.bucket || p != tc.prefix {
			t.Errorf("%s: %q %q %v", tc.in, b, p, err)
		}
	}
	for _, bad := range []string{"", "b", "http://b/x", "s3:///x", "s3://key:secret@b/x", "s3://b/x?y=1"} {
		if _, _, err := s3store.ParseURL(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// TestNothingLeftBehind: a failed save leaves no object, no marker and no
// open multipart upload; a good one only its recording.
func TestNothingLeftBehind(t *testing.T) {
	srv := s3test.Start(t)
	s := srv.NewStore(t, func() time.Time { return storetest.Clock })
	ctx := context.Background()
	big := bytes.Repeat([]byte{1}, 12<<20)
	if _, err := s.Save(ctx, bytes.NewReader(big), int64(len(big))+1, store.Meta{}); !errors.Is(err, media.ErrInvalid) {
		t.Fatalf("short audio: %v", err)
	}
	canceled, cancel := context.WithCancel(ctx)
	r := &cancelAfter{r: bytes.NewReader(big), n: 9 << 20, cancel: cancel}
	if _, err := s.Save(canceled, r, int64(len(big)), store.Meta{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled: %v", err)
	}
	keys, uploads := srv.Keys(t, s.Bucket())
	if len(keys) != 0 || len(uploads) != 0 {
		t.Errorf("after failed saves: keys %q, open uploads %q", keys, uploads)
	}
	name, err := s.Save(ctx, bytes.NewReader(big), int64(len(big)), store.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	keys, uploads = srv.Keys(t, s.Bucket())
	if !slices.Equal(keys, []string{"recordings/" + name}) || len(uploads) != 0 {
		t.Errorf("after a save: keys %q, open uploads %q", keys, uploads)
	}
}

// cancelAfter cancels a context once n bytes were read.
type cancelAfter struct {
	r      io.Reader
	n      int
	cancel func()
}

func (c *cancelAfter) Read(p []byte) (int, error) {
	k, err := c.r.Read(p)
	if c.n -= k; c.n <= 0 && c.cancel != nil {
		c.cancel()
		c.cancel = nil
	}
	return k, err
}

// TestNeverOverwrites: a recording written under a name by another node
// while this one uploads is not overwritten (If-None-Match on completion),
// and names taken by another node's save in progress are skipped.
func TestNeverOverwrites(t *testing.T) {
	srv := s3test.Start(t)
	s := srv.NewStore(t, func() time.Time { return storetest.Clock })
	ctx := context.Background()
	conditional, err := s.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !conditional {
		t.Fatal("versitygw does not honour If-None-Match: *")
	}
	// Another node is saving recording_..._130258.json right now.
	srv.Put(t, s.Bucket(), "recordings/.saving-recording_20261126_130258.json", nil)
	name, err := s.Save(ctx, strings.NewReader("abc"), 3, store.Meta{})
	if err != nil || name != "recording_20261126_130258_2.json" {
		t.Fatalf("saved as %q, %v; want the _2 name", name, err)
	}
	// A writer that ignores the markers puts a recording under the name
	// this save claimed while its upload runs: the upload must not
	// replace it.
	big := bytes.Repeat([]byte{2}, 12<<20)
	const third = "recording_20261126_130258_3.json"
	intruder := &cancelAfter{r: bytes.NewReader(big), n: 10 << 20, cancel: func() {
		srv.Put(t, s.Bucket(), "recordings/"+third, []byte("theirs"))
	}}
	if name, err := s.Save(ctx, intruder, int64(len(big)), store.Meta{}); err == nil {
		t.Errorf("saved as %s over a recording written meanwhile", name)
	}
	f, _, err := s.OpenFile(ctx, third)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, _ := io.ReadAll(f); string(got) != "theirs" {
		t.Errorf("the other recording was overwritten: %d bytes", len(got))
	}
}

// TestCorrupt: an object that is not a recording opens as store.ErrCorrupt.
func TestCorrupt(t *testing.T) {
	srv := s3test.Start(t)
	s := srv.NewStore(t, nil)
	const name = "recording_20260101_000000.json"
	srv.Put(t, s.Bucket(), "recordings/"+name, []byte(`{"audio_data":"QUJD`))
	if _, err := s.Open(context.Background(), name); !errors.Is(err, store.ErrCorrupt) {
		t.Errorf("truncated: %v", err)
	}
}

// TestReplacedWhileReading: an object replaced after Open fails the next
// read instead of mixing two recordings.
func TestReplacedWhileReading(t *testing.T) {
	srv := s3test.Start(t)
	s := srv.NewStore(t, func() time.Time { return storetest.Clock })
	ctx := context.Background()
	data := bytes.Repeat([]byte("abcdefgh"), 200_000)
	name, err := s.Save(ctx, bytes.NewReader(data), int64(len(data)), store.Meta{})
	if err != nil {
		t.Fatal(err)
	}
	rec, err := s.Open(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	f, _, err := s.OpenFile(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(f)
	f.Close()
	srv.Put(t, s.Bucket(), "recordings/"+name, bytes.ReplaceAll(raw, []byte("YWJj"), []byte("eHl6")))
	if _, err := io.ReadAll(rec.Audio); err == nil {
		t.Error("read a replaced object without an error")
	}
}
