package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/feed"
)

// feedServer serves /feed/{id}: it sends msgs as binary messages, then, if
// hold is nil, closes the feed normally; otherwise it waits for hold to
// close or the client to leave.
func feedServer(t *testing.T, msgs [][]byte, hold <-chan struct{}) string {
	t.Helper()
	var wg sync.WaitGroup
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Counted from its start: the client's dial returns only after the
		// upgrade below, so this Add comes before the cleanup's Wait (a
		// hijacked connection is not waited for by srv.Close, and a wg.Go
		// reaching a zero count while Wait runs is a race).
		wg.Add(1)
		defer wg.Done()
		if r.URL.Path != "/feed/sess-1" {
			http.NotFound(w, r)
			return
		}
		conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
		if err != nil {
			t.Error(err)
			return
		}
		defer conn.Close()
		for _, m := range msgs {
			if err := conn.WriteMessage(websocket.BinaryMessage, m); err != nil {
				t.Error(err)
				return
			}
		}
		if hold != nil {
			// Read until the client closes or hold ends the wait.
			wg.Go(func() {
				for {
					if _, _, err := conn.ReadMessage(); err != nil {
						return
					}
				}
			})
			<-hold
			return
		}
		msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "session ended")
		_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		// Wait for the client's close reply (or its leaving) before hanging up.
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		for {
			if _, _, err := conn.ReadMessage(); err != nil {
				return
			}
		}
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		wg.Wait()
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/feed/sess-1"
}

// batches encodes n batches of stereo 22050 Hz at 60 fps (frames of 367 and
// 368 samples) and returns the messages and the PCM bytes they carry.
func batches(t *testing.T, n int) ([][]byte, []byte) {
	t.Helper()
	p := media.Params{FPS: 60, BatchSize: 16, SampleRate: 22050, Channels: 2}
	var msgs [][]byte
	var pcm []byte
	for i := range n {
		b := media.Batch{Index: int64(i), FirstFrame: int64(3 * i), BatchSize: 16}
		for j, fl := range []int{367, 368, 367} {
			samples := make([]float32, fl*p.Channels)
			for k := range samples {
				samples[k] = float32(math.Sin(float64(i*1000+j*100+k) / 7))
			}
			b.Frames = append(b.Frames, media.Frame{
				Index: b.FirstFrame + int64(j), Samples: samples, SampleRate: p.SampleRate, Channels: p.Channels, FPS: p.FPS,
				Features: media.Features{Mouth: 0.5, Voice: j == 0},
			})
			pcm = media.AppendS16LE(pcm, samples)
		}
		msg, err := feed.Encode("sess-1", b, p)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, msg)
	}
	return msgs, pcm
}

// readWAV returns the format and data of a WAV file, checking that the
// header's sizes match the file.
func readWAV(t *testing.T, path string) (media.WAVInfo, []byte) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := media.ReadWAVHeader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(data)) != info.DataBytes {
		t.Errorf("header says %d data bytes, file holds %d", info.DataBytes, len(data))
	}
	fi, _ := f.Stat()
	var riff [4]byte
	if _, err := f.ReadAt(riff[:], 4); err == nil && int64(binary.LittleEndian.Uint32(riff[:])) != fi.Size()-8 {
		t.Errorf("RIFF size %d, file is %d bytes", binary.LittleEndian.Uint32(riff[:]), fi.Size())
	}
	return info, data
}

func TestRunWritesWAV(t *testing.T) {
	msgs, pcm := batches(t, 5)
	url := feedServer(t, msgs, nil)
	out := filepath.Join(t.TempDir(), "take.wav")
	var stdout bytes.Buffer
	if err := run(t.Context(), []string{"-url", url, "-out", out}, &stdout); err != nil {
		t.Fatal(err)
	}
	info, data := readWAV(t, out)
	if info.SampleRate != 22050 || info.Channels != 2 {
		t.Errorf("WAV is %d Hz × %d, want 22050 Hz × 2", info.SampleRate, info.Channels)
	}
	if !bytes.Equal(data, pcm) {
		t.Errorf("WAV data differs from the PCM sent: %d bytes, want %d", len(data), len(pcm))
	}
	if !strings.Contains(stdout.String(), "total: batches=5 frames=15 dropped=0") {
		t.Errorf("output lacks the totals:\n%s", stdout.String())
	}
}

func TestRunStatsLines(t *testing.T) {
	msgs, _ := batches(t, 2)
	hold := make(chan struct{})
	defer close(hold)
	url := feedServer(t, msgs, hold)
	var stdout bytes.Buffer
	err := run(t.Context(), []string{"-url", url, "-out", filepath.Join(t.TempDir(), "x.wav"), "-every", "20ms", "-max", "300ms"}, &stdout)
	if err != nil {
		t.Fatal(err)
	}
	// The two batches may straddle a tick: add up the lines.
	var total int
	for _, m := range regexp.MustCompile(`(?m)^t=\S+ batches=(\d+) `).FindAllStringSubmatch(stdout.String(), -1) {
		n, _ := strconv.Atoi(m[1])
		total += n
	}
	if total != 2 {
		t.Errorf("lines count %d batches, want 2:\n%s", total, stdout.String())
	}
	for _, want := range []string{"mouth=0.50 voice=0.33 age=", "batches=0 frames=0 dropped=0\n"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, stdout.String())
		}
	}
}

// -max and a cancelled context both stop a feed that never ends, and the
// WAV file is finished.
func TestRunStops(t *testing.T) {
	for _, how := range []string{"max", "cancel"} {
		t.Run(how, func(t *testing.T) {
			msgs, pcm := batches(t, 1)
			hold := make(chan struct{})
			defer close(hold)
			url := feedServer(t, msgs, hold)
			out := filepath.Join(t.TempDir(), "take.wav")
			args := []string{"-url", url, "-out", out}
			ctx := t.Context()
			if how == "max" {
				args = append(args, "-max", "200ms")
			} else {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, 200*time.Millisecond)
				defer cancel()
			}
			start := time.Now()
			if err := run(ctx, args, io.Discard); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("run took %s to stop", d)
			}
			if _, data := readWAV(t, out); !bytes.Equal(data, pcm) {
				t.Errorf("WAV holds %d bytes, want the %d sent", len(data), len(pcm))
			}
		})
	}
}

func TestRunEmptyFeed(t *testing.T) {
	url := feedServer(t, nil, nil)
	out := filepath.Join(t.TempDir(), "take.wav")
	if err := run(t.Context(), []string{"-url", url, "-out", out}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if info, data := readWAV(t, out); len(data) != 0 || info.SampleRate != media.DefaultParams().SampleRate {
		t.Errorf("empty feed gave %+v with %d bytes", info, len(data))
	}
}

func TestRunErrors(t *testing.T) {
	msgs, _ := batches(t, 1)
	stereo8k, err := feed.Encode("sess-1", media.Batch{Index: 1, Frames: []media.Frame{{Samples: make([]float32, 4)}}},
		media.Params{SampleRate: 8000, Channels: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Malformed", func(t *testing.T) {
		url := feedServer(t, [][]byte{msgs[0], []byte("nonsense")}, nil)
		out := filepath.Join(t.TempDir(), "take.wav")
		err := run(t.Context(), []string{"-url", url, "-out", out}, io.Discard)
		if !errors.Is(err, feed.ErrMalformed) {
			t.Fatalf("err = %v, want ErrMalformed", err)
		}
		// What arrived before is kept in a valid file.
		if _, data := readWAV(t, out); len(data) == 0 {
			t.Error("WAV lost the batch before the bad message")
		}
	})
	t.Run("FormatChange", func(t *testing.T) {
		url := feedServer(t, [][]byte{msgs[0], stereo8k}, nil)
		err := run(t.Context(), []string{"-url", url, "-out", filepath.Join(t.TempDir(), "take.wav")}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "one format") {
			t.Fatalf("err = %v, want a format change error", err)
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		url := feedServer(t, nil, nil)
		err := run(t.Context(), []string{"-url", strings.Replace(url, "sess-1", "other", 1), "-out", filepath.Join(t.TempDir(), "take.wav")}, io.Discard)
		if err == nil {
			t.Fatal("run succeeded against a missing feed")
		}
	})
	t.Run("ServerGone", func(t *testing.T) {
		// The server hangs up without a close message.
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, err := (&websocket.Upgrader{}).Upgrade(w, r, nil)
			if err == nil {
				conn.Close()
			}
		}))
		defer srv.Close()
		err := run(t.Context(), []string{"-url", "ws" + strings.TrimPrefix(srv.URL, "http") + "/feed/x", "-out", filepath.Join(t.TempDir(), "take.wav")}, io.Discard)
		if err == nil {
			t.Fatal("run succeeded after an abrupt hang-up")
		}
	})
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
	}{
		{"NoURL", []string{"-out", "x.wav"}},
		{"EmptyOut", []string{"-url", "ws://x/feed/1", "-out", ""}},
		{"NegativeMax", []string{"-url", "ws://x/feed/1", "-max", "-1s"}},
		{"ZeroEvery", []string{"-url", "ws://x/feed/1", "-every", "0s"}},
		{"BadDuration", []string{"-url", "ws://x/feed/1", "-max", "soon"}},
		{"Extra", []string{"-url", "ws://x/feed/1", "more"}},
		{"Unknown", []string{"-url", "ws://x/feed/1", "-loud"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parseFlags(tt.args, io.Discard); err == nil {
				t.Fatal("accepted")
			}
		})
	}
	c, err := parseFlags([]string{"-url", "ws://x/feed/1", "-out", "a.wav", "-max", "30s"}, io.Discard)
	if err != nil || c != (config{url: "ws://x/feed/1", out: "a.wav", max: 30 * time.Second, every: time.Second}) {
		t.Errorf("parseFlags = %+v, %v", c, err)
	}
}
