package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
	"github.com/avatarweb/recorder/media"
)

// Time limits of a session's setup and teardown.
const (
	connectTimeout = 30 * time.Second
	finishTimeout  = 30 * time.Second
	// settleTimeout is how long a session may take to count the packets
	// sent before it is stopped: well under the server's stall detection
	// (500 ms), which would pad the take with silence.
	settleTimeout = 400 * time.Millisecond
	// maxConnecting bounds the offers in flight at once.
	maxConnecting = 8
)

// load is one run of the tool.
type load struct {
	cfg     config
	srv     *serverClient
	api     *webrtc.API
	capture rtcsend.Capture
	out     io.Writer
}

// session is one client and what is known of it.
type session struct {
	id   string
	peer *rtcsend.Peer
	send rtcsend.SendStats
	plan []rtcsend.Send // an impaired stream's sends; nil streams the capture as it is

	mu        sync.Mutex
	info      media.SessionInfo // newest polled
	polled    bool
	streamErr error
	counts    sendCounts // what the plan's sends did, once streamed
}

func (s *session) latest() (media.SessionInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.info, s.polled
}

// run connects every session, streams for the configured duration (or
// until ctx ends) printing a progress line per interval, then stops every
// session and prints the table. Sessions are stopped and their takes saved
// or discarded even when ctx has ended.
func (l *load) run(ctx context.Context) error {
	mon, err := newProcMonitor("/proc", l.cfg.serverPID)
	if err != nil {
		return err
	}
	if l.cfg.arrive > 0 {
		return l.runArrivals(ctx, mon)
	}
	sessions, err := l.connectAll(ctx)
	if err != nil {
		l.finishAll(context.WithoutCancel(ctx), sessions)
		return err
	}
	fmt.Fprintf(l.out, "%d sessions connected to %s; streaming %d packets every %s, looped, for %s\n",
		len(sessions), l.srv.base, len(l.capture.Pkts), l.capture.Every, l.cfg.duration)
	stagger := l.cfg.stagger
	if l.cfg.spread {
		stagger = l.capture.Every / time.Duration(len(sessions))
	}
	if im := l.cfg.impair; im.active() || stagger > 0 {
		fmt.Fprintf(l.out, "impaired by the senders: loss %.2f%%, jitter up to %s, reorder %.2f%%, seed %d; streams started %s apart\n",
			im.loss*100, im.jitter, im.reorder*100, l.cfg.seed, stagger)
	}
	if l.cfg.impair.active() {
		n := int(l.cfg.duration/l.capture.Every) + 1
		for i, s := range sessions {
			s.plan = l.cfg.impair.plan(n, l.capture.Every, sessionRand(l.cfg.seed, i))
		}
	}

	mon.started()
	streamCtx, cancel := context.WithTimeout(ctx, l.cfg.duration+time.Duration(len(sessions)-1)*stagger)
	defer cancel()
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Go(func() {
			err := l.stream(streamCtx, s, time.Duration(i)*stagger)
			s.mu.Lock()
			s.streamErr = err
			s.mu.Unlock()
		})
	}
	start := time.Now()
	tick := time.NewTicker(l.cfg.every)
	defer tick.Stop()
streaming:
	for {
		select {
		case <-streamCtx.Done():
			break streaming
		case now := <-tick.C:
			l.poll(ctx, sessions)
			fmt.Fprintln(l.out, progress(now.Sub(start), sessions))
		}
	}
	wg.Wait()
	mon.stopped()
	return l.report(ctx, sessions, nil, mon)
}

// report stops every session, prints the table and the summary, and
// returns the sessions' errors. refused holds how long each offer the
// server refused took to be answered.
func (l *load) report(ctx context.Context, sessions []*session, refused []time.Duration, mon *procMonitor) error {
	if ctx.Err() != nil {
		fmt.Fprintln(l.out, "interrupted: stopping the sessions")
	}
	rows := l.finishAll(context.WithoutCancel(ctx), sessions)
	if l.cfg.baseline {
		baselineLoss(rows)
	}
	writeTable(l.out, rows, l.cfg.save)
	sum := summarize(rows)
	sum.Offered, sum.Refused = len(sessions)+len(refused), len(refused)
	for _, d := range refused {
		sum.RefusedMaxMs = max(sum.RefusedMaxMs, float64(d)/float64(time.Millisecond))
	}
	var usageErr error
	sum.ServerUsage, usageErr = mon.usage(len(rows), audioSeconds(rows))
	if err := writeSummary(l.out, sum, l.cfg.json); err != nil {
		return err
	}
	var errs []error
	for _, r := range rows {
		if r.err != nil {
			errs = append(errs, fmt.Errorf("session %s: %w", r.id, r.err))
		}
	}
	return errors.Join(append(errs, usageErr)...)
}

// stream sends one session's stream for the configured duration, after
// waiting delay: the capture as it is, or the session's impaired plan.
func (l *load) stream(ctx context.Context, s *session, delay time.Duration) error {
	if delay > 0 {
		t := time.NewTimer(delay)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
	ctx, cancel := context.WithTimeout(ctx, l.cfg.duration)
	defer cancel()
	if s.plan == nil {
		return s.peer.Stream(ctx, l.capture, &s.send)
	}
	k, err := s.peer.StreamPlan(ctx, l.capture, s.plan, &s.send)
	s.mu.Lock()
	s.counts = countSends(s.plan[:k])
	s.mu.Unlock()
	return err
}

// connectAll sets up every session, a few at a time. On an error it
// returns the sessions set up so far, for finishAll to end.
func (l *load) connectAll(ctx context.Context) ([]*session, error) {
	prefix, err := runID()
	if err != nil {
		return nil, err
	}
	all := make([]*session, l.cfg.sessions)
	errs := make([]error, l.cfg.sessions)
	slots := make(chan struct{}, maxConnecting)
	var wg sync.WaitGroup
	for i := range all {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			s := &session{id: fmt.Sprintf("load-%s-%02d", prefix, i+1)}
			if errs[i] = l.connect(ctx, s); errs[i] == nil {
				all[i] = s
			} else {
				errs[i] = fmt.Errorf("session %s: %w", s.id, errs[i])
			}
		})
	}
	wg.Wait()
	var ok []*session
	for _, s := range all {
		if s != nil {
			ok = append(ok, s)
		}
	}
	return ok, errors.Join(errs...)
}

// connect creates the client, trades offer and answer with the server and
// waits for the connection.
func (l *load) connect(ctx context.Context, s *session) error {
	ctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	p, offer, err := rtcsend.NewPeer(ctx, l.api)
	if err != nil {
		return err
	}
	answer, err := l.srv.offer(ctx, s.id, offer)
	if err == nil {
		err = p.Accept(ctx, answer)
	}
	if err != nil {
		p.Close()
		// The server may hold a session for this id: end it.
		fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
		defer fcancel()
		_ = l.srv.discard(fctx, s.id)
		return err
	}
	s.peer = p
	return nil
}

// poll reads every session's info at once, within one interval.
func (l *load) poll(ctx context.Context, sessions []*session) {
	ctx, cancel := context.WithTimeout(ctx, l.cfg.every)
	defer cancel()
	var wg sync.WaitGroup
	for _, s := range sessions {
		wg.Go(func() {
			in, err := l.srv.info(ctx, s.id)
			if err != nil {
				return // the line shows the previous counters
			}
			s.mu.Lock()
			s.info, s.polled = in, true
			s.mu.Unlock()
		})
	}
	wg.Wait()
}

// row is one session's line of the final table.
type row struct {
	id        string
	sent      int64
	wall      time.Duration     // streamed, first packet to end of the last
	info      media.SessionInfo // after stop
	live      media.SessionInfo // the newest poll while streaming
	recording string            // with -save
	counts    sendCounts        // what the sender did to its stream
	err       error
}

// finishAll ends every session at once.
func (l *load) finishAll(ctx context.Context, sessions []*session) []row {
	rows := make([]row, len(sessions))
	var wg sync.WaitGroup
	for i, s := range sessions {
		wg.Go(func() { rows[i] = l.finish(ctx, s, l.cfg.save) })
	}
	wg.Wait()
	return rows
}

// finish lets the server count the last packets, stops the session, reads
// its final counters, saves (with save) or discards the take and closes the
// client.
func (l *load) finish(ctx context.Context, s *session, save bool) row {
	defer s.peer.Close()
	ctx, cancel := context.WithTimeout(ctx, finishTimeout)
	defer cancel()
	r := row{id: s.id}
	r.sent, r.wall = s.send.Snapshot(l.capture.Every)
	r.live, _ = s.latest()
	s.mu.Lock()
	r.err = s.streamErr
	r.counts = s.counts
	s.mu.Unlock()

	settle := time.Now().Add(settleTimeout)
	for {
		in, err := l.srv.info(ctx, s.id)
		if err != nil || in.Stats.Packets >= r.sent || time.Now().After(settle) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	stopErr := l.srv.stop(ctx, s.id)
	in, err := l.srv.info(ctx, s.id)
	if err != nil {
		r.err = errors.Join(r.err, stopErr, err)
		_ = l.srv.discard(ctx, s.id)
		return r
	}
	r.info = in
	if stopErr != nil {
		r.err = errors.Join(r.err, stopErr)
		_ = l.srv.discard(ctx, s.id)
		return r
	}
	if save {
		r.recording, err = l.srv.save(ctx, s.id, r.wall.Seconds())
	} else {
		err = l.srv.discard(ctx, s.id)
	}
	r.err = errors.Join(r.err, err)
	return r
}

// runID tells this run's session ids from another's.
func runID() (string, error) {
	var b [3]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("session ids: %w", err)
	}
	return hex.EncodeToString(b[:]), nil
}

// runArrivals is an overload run: the offers arrive evenly over -arrive,
// each session streams -duration as soon as it connects, and an offer the
// server refuses (503) is counted with how long the refusal took.
func (l *load) runArrivals(ctx context.Context, mon *procMonitor) error {
	prefix, err := runID()
	if err != nil {
		return err
	}
	gap := l.cfg.arrive / time.Duration(l.cfg.sessions)
	var (
		mu       sync.Mutex
		sessions []*session
		refused  []time.Duration
		errs     []error
		wg       sync.WaitGroup
	)
	mon.started()
	for i := range l.cfg.sessions {
		wg.Go(func() {
			if !sleepCtx(ctx, time.Duration(i)*gap) {
				return
			}
			s := &session{id: fmt.Sprintf("load-%s-%03d", prefix, i+1)}
			asked := time.Now()
			err := l.connect(ctx, s)
			mu.Lock()
			switch {
			case isRefused(err):
				refused = append(refused, time.Since(asked))
			case err != nil:
				errs = append(errs, fmt.Errorf("session %s: %w", s.id, err))
			default:
				sessions = append(sessions, s)
			}
			mu.Unlock()
			if err == nil {
				err := l.stream(ctx, s, 0)
				s.mu.Lock()
				s.streamErr = err
				s.mu.Unlock()
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	start := time.Now()
	tick := time.NewTicker(l.cfg.every)
	defer tick.Stop()
	for running := true; running; {
		select {
		case <-done:
			running = false
		case now := <-tick.C:
			mu.Lock()
			live, turned := slices.Clone(sessions), len(refused)
			mu.Unlock()
			l.poll(ctx, live)
			fmt.Fprintf(l.out, "%s; refused %d\n", progress(now.Sub(start), live), turned)
		}
	}
	mon.stopped()
	return errors.Join(append(errs, l.report(ctx, sessions, refused, mon))...)
}

// sleepCtx waits d, or until ctx ends (false).
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
