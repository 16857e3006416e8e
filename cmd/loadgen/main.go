// Command loadgen puts a running recorder under load: it connects several
// WebRTC clients at once, streams a real Chromium Opus capture from each in
// a loop at real time, and reports what the server measures of them.
//
// Usage, from the repository root:
//
//	go run ./cmd/loadgen -url http://127.0.0.1:8080 -sessions 8 -duration 30s [-capture path.rtp] [-save]
//	go run ./cmd/loadgen -url http://127.0.0.1:8080 -sessions 50 -soak 30m [-report-every 1m] [-json]
//
// Each session is an in-process pion client: it posts its offer to
// /webrtc/offer, sets the answer, then sends the capture's packets one
// packet time apart (20 ms for the default capture), looping with sequence
// numbers and timestamps running on. Once a second loadgen polls
// GET /webrtc/sessions/{id} for every session and prints one line: sessions
// live, total frames, the worst p99 latency and the worst drift. At the end
// (after -duration, or on Ctrl-C) it waits briefly for the server to count
// the last packets, POSTs /webrtc/stop, reads the session's final counters,
// then POSTs /save_recording (with -save) or /webrtc/discard, and prints a
// table: packets sent and counted by the server, lost, frames, batches,
// latency p50/p99 (RTP arrival → frame emitted, from the server), drift, and
// the server's duration against the wall time streamed.
//
// Loopback only: loadgen refuses a -url whose host is not localhost or a
// loopback IP, every HTTP connection it opens is checked to go to a
// loopback address, its clients gather loopback ICE candidates only (no
// mDNS), and it drops every candidate of the server's answer that is not a
// loopback IP. It is a tool for loading your own machine, never a remote
// host; the server must offer loopback candidates (the recorder does by
// default: -ice-loopback).
//
// -loss, -jitter and -reorder impair each sender's own stream, as a network
// would, from a seeded random source (-seed; session i draws from
// (seed, i)): packets dropped, sent up to -jitter late, swapped with the
// next. The table and summary then set the packets the senders dropped
// (or still held back when they stopped) beside what the server counted:
// lost, late (came after it stopped waiting) and recovered (came after a
// later packet and were put back in order). -stagger starts each session's
// stream that long after the previous one's; -spread staggers them by one
// packet time over all the sessions, so their packets leave at independent
// moments as real clients' do, instead of all at the same instant.
//
// With -soak, loadgen runs a soak instead: takes of random length, saved
// or discarded, one after another in every session slot, with a report of
// the server's memory, goroutines and open files every -report-every and a
// verdict at the end; see soak.go.
//
// The default capture, media/testdata/chromium-440hz-celt.rtp, is read
// relative to the working directory: run loadgen from the repository root
// or pass -capture.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// defaultCapture is the Chromium CELT capture the tests use.
const defaultCapture = "media/testdata/chromium-440hz-celt.rtp"

// maxSessions bounds -sessions: this is a load tool, not a flood.
const maxSessions = 1024

// config is what the flags say.
type config struct {
	token    string
	url      string
	sessions int
	duration time.Duration
	capture  string
	save     bool
	every    time.Duration // interval of the progress lines and polls
	impair   impairment    // what each sender does to its own stream
	stagger  time.Duration // between one session's stream start and the next's
	spread   bool          // stagger by one packet time over the sessions
	seed     int64         // of the impairments: session i draws from (seed, i)

	serverPID int  // the server's process, for its CPU and RSS (load runs)
	baseline  bool // the server is the aiortc baseline (cmd/loadgen/aiortc)

	// Soak mode, when soak > 0.
	soak                time.Duration
	takeMin, takeMax    time.Duration
	mixSave, mixDiscard int // takes saved to takes discarded
	reportEvery         time.Duration
	warmup              int // reports left out of the verdict
	settle              time.Duration
	deleteSaved         bool
	json                bool
}

func parseFlags(args []string, output io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&c.url, "url", "http://127.0.0.1:8080", "recorder to load: http://localhost or a loopback IP only")
	fs.IntVar(&c.sessions, "sessions", 4, fmt.Sprintf("concurrent sessions (1-%d)", maxSessions))
	fs.DurationVar(&c.duration, "duration", 30*time.Second, "how long every session streams")
	fs.StringVar(&c.token, "token", os.Getenv("RECORDER_TOKEN"), "the server's access token, if it has one (default $RECORDER_TOKEN)")
	fs.StringVar(&c.capture, "capture", defaultCapture, "RTP capture to stream in a loop (mediatest format)")
	fs.BoolVar(&c.save, "save", false, "save every take as a recording at the end (default: discard it)")
	fs.DurationVar(&c.every, "every", time.Second, "interval of the progress lines and session polls")
	fs.Var((*percent)(&c.impair.loss), "loss", "each sender drops this share of its packets at random, such as 2%")
	fs.DurationVar(&c.impair.jitter, "jitter", 0, "each sender delays every packet by a random 0 to this (uniform); beyond a packet time it reorders them")
	fs.Var((*percent)(&c.impair.reorder), "reorder", "each sender swaps this share of its packets with the next one, such as 1%")
	fs.Int64Var(&c.seed, "seed", 1, "seed of -loss, -jitter and -reorder: the same seed impairs the same packets")
	fs.DurationVar(&c.stagger, "stagger", 0, "delay between one session starting to stream and the next (each streams -duration)")
	fs.BoolVar(&c.spread, "spread", false, "start the streams evenly over one packet time, so their packets come at independent moments as real clients' do (default: every session sends at the same instant, the worst case)")
	fs.IntVar(&c.serverPID, "server-pid", 0, "the server's process id: report its CPU ms per second of audio per session and its RSS per session, read from /proc (Linux)")
	fs.BoolVar(&c.baseline, "baseline", false, "the server is the aiortc baseline (cmd/loadgen/aiortc/server.py): loss is what it did not decode of what was sent")
	fs.DurationVar(&c.soak, "soak", 0, fmt.Sprintf("run a soak for this long (at most %s): takes of random length saved or discarded in turn, a report of the server's memory, goroutines and open files every -report-every (the server needs -metrics)", maxSoak))
	fs.DurationVar(&c.takeMin, "take-min", 5*time.Second, "soak: shortest take")
	fs.DurationVar(&c.takeMax, "take-max", 30*time.Second, "soak: longest take")
	mix := fs.String("mix", "2:1", "soak: takes saved to takes discarded, SAVES:DISCARDS")
	fs.DurationVar(&c.reportEvery, "report-every", time.Minute, "soak: interval of the reports")
	fs.IntVar(&c.warmup, "warmup", 2, "soak: reports left out of the verdict as warm-up")
	fs.DurationVar(&c.settle, "settle", time.Minute, "soak: how long the server may take to come back to rest after it")
	fs.BoolVar(&c.deleteSaved, "delete", false, "soak: delete each recording once saved, so a long soak does not fill the disk (a 17 s take at 48 kHz is about 2 MB)")
	fs.BoolVar(&c.json, "json", false, "print the summary (a load run) or the reports and the verdict (a soak) as JSON, one object a line")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if c.soak != 0 {
		if err := c.checkSoak(*mix); err != nil {
			return config{}, err
		}
	}
	switch {
	case fs.NArg() > 0:
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	case c.sessions < 1 || c.sessions > maxSessions:
		return config{}, fmt.Errorf("-sessions must be 1-%d", maxSessions)
	case c.duration <= 0:
		return config{}, errors.New("-duration must be positive")
	case c.every <= 0:
		return config{}, errors.New("-every must be positive")
	case c.impair.jitter < 0 || c.impair.jitter > 10*time.Second || c.stagger < 0 || c.stagger > time.Minute:
		return config{}, errors.New("-jitter must be 0-10s and -stagger 0-1m")
	case c.spread && c.stagger != 0:
		return config{}, errors.New("-spread and -stagger both set when streams start")
	case c.soak != 0 && (c.impair.active() || c.stagger != 0 || c.spread):
		return config{}, errors.New("-loss, -jitter, -reorder and -stagger are for a load run, not -soak")
	}
	return c, nil
}

// checkSoak validates the soak flags and reads -mix.
func (c *config) checkSoak(mix string) error {
	save, discard, ok := strings.Cut(mix, ":")
	var err1, err2 error
	c.mixSave, err1 = strconv.Atoi(save)
	c.mixDiscard, err2 = strconv.Atoi(discard)
	switch {
	case !ok || err1 != nil || err2 != nil || c.mixSave < 0 || c.mixDiscard < 0 || c.mixSave+c.mixDiscard == 0:
		return fmt.Errorf("-mix %q: want SAVES:DISCARDS, such as 2:1", mix)
	case c.soak < 0 || c.soak > maxSoak:
		return fmt.Errorf("-soak must be positive and at most %s", maxSoak)
	case c.takeMin < 100*time.Millisecond || c.takeMax < c.takeMin:
		return errors.New("-take-min must be at least 100ms and -take-max at least -take-min")
	case c.reportEvery < time.Second:
		return errors.New("-report-every must be at least 1s")
	case c.warmup < 0 || c.settle < 0:
		return errors.New("-warmup and -settle must not be negative")
	}
	return nil
}

// run loads the server at -url as the flags say, prints progress and the
// final table to stdout, and returns the first thing that went wrong.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	cfg, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	base, err := loopbackURL(cfg.url)
	if err != nil {
		return err
	}
	capt, err := rtcsend.ReadCapture(cfg.capture)
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: run loadgen from the repository root or pass -capture PATH", err)
	}
	if err != nil {
		return err
	}
	srv := newServerClient(base)
	srv.token = cfg.token
	api, err := rtcsend.NewAPI()
	if err != nil {
		return err
	}
	l := &load{cfg: cfg, srv: srv, api: api, capture: capt, out: stdout}
	if cfg.soak > 0 {
		return l.soak(ctx)
	}
	return l.run(ctx)
}
