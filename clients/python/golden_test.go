// Package python holds the Go side of the Python feed client's tests: the
// golden messages its decoder is checked against, made by the server's own
// encoder; the Python unit tests, run under Debian's Python; and the client
// against the real server binary and a live WebRTC session.
//
// The package has no code of its own: the client is the Python package
// recorder_feed beside this file.
package python

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/feed"
)

var update = flag.Bool("update", false, "rewrite testdata/feed from the feed encoder")

// goldenDir holds one .bin file per golden message and cases.json, what
// each must decode to; the Python tests (tests/test_wire.py) read them.
const goldenDir = "testdata/feed"

// goldenSentAt is every golden message's sent_unix_ms (2026-01-01).
var goldenSentAt = time.UnixMilli(1767225600000)

// goldenCase is one message: a batch of frames of the given lengths
// (samples per channel) and fps, published after dropBefore batches were
// lost to a full queue.
type goldenCase struct {
	name       string
	p          media.Params
	index      int64
	frameLens  []int
	frameFPS   []int // per frame; nil: p.FPS for all
	dropBefore int
}

var goldenCases = []goldenCase{
	// Equal frames: the array is rectangular as it comes.
	{name: "mono48k", p: media.Params{FPS: 60, BatchSize: 16, SampleRate: 48000, Channels: 1}, index: 5,
		frameLens: []int{800, 800, 800}},
	// 22050/60 = 367.5: frames of 367 and 368 samples, stereo.
	{name: "stereo22050", p: media.Params{FPS: 60, BatchSize: 16, SampleRate: 22050, Channels: 2}, index: 0,
		frameLens: []int{367, 368, 367, 368}},
	// fps changes from 30 to 50 inside the batch.
	{name: "fpschange", p: media.Params{FPS: 30, BatchSize: 16, SampleRate: 16000, Channels: 1}, index: 9,
		frameLens: []int{533, 534, 320, 320}, frameFPS: []int{30, 30, 50, 50}},
	// The subscriber lost one batch to its full queue before this one.
	{name: "dropped", p: media.Params{FPS: 25, BatchSize: 16, SampleRate: 8000, Channels: 1}, index: 2,
		frameLens: []int{320, 320}, dropBefore: 1},
	// A batch with no frames.
	{name: "empty", p: media.Params{FPS: 30, BatchSize: 64, SampleRate: 48000, Channels: 2}, index: 1},
}

// goldenSample is the int16 sample (frame f, sample i, channel c) of the
// golden batches: spread over the whole range, the first sample of each
// frame clipped to -32768 (it is sent as -2.0).
func goldenSample(f, i, c int) int16 {
	if i == 0 && c == 0 {
		return -32768
	}
	return int16((f*7919+i*131+c*9973)%65535 - 32767)
}

func (gc goldenCase) batch() media.Batch {
	b := media.Batch{Index: gc.index, FirstFrame: gc.index * int64(gc.p.BatchSize), BatchSize: gc.p.BatchSize}
	for f, n := range gc.frameLens {
		fps := gc.p.FPS
		if gc.frameFPS != nil {
			fps = gc.frameFPS[f]
		}
		samples := make([]float32, n*gc.p.Channels)
		for i := range n {
			for c := range gc.p.Channels {
				k := goldenSample(f, i, c)
				if k == -32768 {
					samples[i*gc.p.Channels+c] = -2 // clipped by the encoder
				} else {
					samples[i*gc.p.Channels+c] = float32(k) / 32767
				}
			}
		}
		b.Frames = append(b.Frames, media.Frame{
			Index: b.FirstFrame + int64(f), Samples: samples,
			SampleRate: gc.p.SampleRate, Channels: gc.p.Channels, FPS: fps,
			Features: media.Features{RMS: float32(f+1) / 8, Peak: float32(f+1) / 4, Voice: f%2 == 1, Mouth: float32(f) / 4},
		})
	}
	return b
}

// message publishes the case's batch through a real Hub with a fixed clock,
// losing dropBefore batches to a full queue first, and returns what the
// subscriber receives.
func (gc goldenCase) message(t *testing.T) []byte {
	t.Helper()
	hub := feed.NewHub(1)
	hub.Now = func() time.Time { return goldenSentAt }
	sub := hub.Subscribe("session_golden")
	defer sub.Close()
	b := gc.batch()
	if gc.dropBefore > 0 {
		if err := hub.Publish("session_golden", b, gc.p); err != nil { // fills the queue
			t.Fatal(err)
		}
		for range gc.dropBefore {
			if err := hub.Publish("session_golden", b, gc.p); err != nil { // lost
				t.Fatal(err)
			}
		}
		<-sub.C
	}
	if err := hub.Publish("session_golden", b, gc.p); err != nil {
		t.Fatal(err)
	}
	return <-sub.C
}

// goldenExpect is what cases.json says a message decodes to.
type goldenExpect struct {
	Name   string      `json:"name"`
	File   string      `json:"file"`
	Header feed.Header `json:"header"`
	// Frames holds the samples of each frame as [sample][channel].
	Frames [][][]int16 `json:"frames"`
}

// TestGoldenMessages keeps testdata/feed what the server's encoder makes:
// each message decodes (with feed.Decode) to the header and samples
// cases.json lists, and both files match byte for byte.
// `go test ./clients/python/ -run TestGoldenMessages -update` rewrites them.
func TestGoldenMessages(t *testing.T) {
	var expects []goldenExpect
	for _, gc := range goldenCases {
		msg := gc.message(t)
		h, pcm, err := feed.Decode(msg)
		if err != nil {
			t.Fatalf("%s: %v", gc.name, err)
		}
		if h.Dropped != int64(gc.dropBefore) || h.SentAt != goldenSentAt.UnixMilli() {
			t.Fatalf("%s: dropped %d, sent_unix_ms %d", gc.name, h.Dropped, h.SentAt)
		}
		e := goldenExpect{Name: gc.name, File: gc.name + ".bin", Header: h, Frames: [][][]int16{}}
		at := 0
		for f, n := range gc.frameLens {
			frame := make([][]int16, n)
			for i := range frame {
				frame[i] = make([]int16, gc.p.Channels)
				for c := range frame[i] {
					if want := goldenSample(f, i, c); pcm[at] != want {
						t.Fatalf("%s: frame %d sample %d channel %d is %d, want %d", gc.name, f, i, c, pcm[at], want)
					}
					frame[i][c] = pcm[at]
					at++
				}
			}
			e.Frames = append(e.Frames, frame)
		}
		expects = append(expects, e)
		checkGolden(t, filepath.Join(goldenDir, e.File), msg)
	}
	// A JSON array, one case a line.
	js := []byte("[\n")
	for i, e := range expects {
		line, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		js = append(js, line...)
		if i < len(expects)-1 {
			js = append(js, ',')
		}
		js = append(js, '\n')
	}
	checkGolden(t, filepath.Join(goldenDir, "cases.json"), append(js, "]\n"...))
}

// checkGolden compares a golden file with what the test made, or writes it
// with -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (make it with -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from what the encoder makes now (%d bytes, want %d): if the format changed on purpose, "+
			"run go test ./clients/python/ -run TestGoldenMessages -update and check the Python client",
			path, len(got), len(want))
	}
}
