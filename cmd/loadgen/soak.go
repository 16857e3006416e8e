package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Soak mode (-soak DURATION) keeps -sessions takes going for the whole
// duration: each session records a take of a random length between
// -take-min and -take-max, stops it, saves or discards it (-mix, saves to
// discards, in turn), and a new session takes its place at once. Every
// -report-every it prints a row: the sessions the server has live and its
// drafts, the takes saved, discarded and failed, the packets the server
// counted lost, and the server's RSS, heap in use, heap live after the last
// GC, goroutines and open files, from its /metrics. With -delete every
// recording is deleted once saved, so that a long soak does not fill the
// disk (it writes about 4 MB per minute of audio saved: 7 GB in 30 minutes
// of 50 sessions) and deletions are soaked too. The server must run
// with -metrics, -max-sessions and -max-sessions-per-client at least
// -sessions and -offer-rate 0 (one client opens a new session every few
// seconds per slot).
//
// The first row (elapsed 0) is the server before the soak, the baseline.
// When the time is up the takes in progress are finished and saved or
// discarded as planned, idle connections closed, and the server is given up
// to -settle to come back to rest; the last row is the server then. The
// verdict judges the rows after -warmup reports:
//
//   - errors: none of the takes failed and every scrape answered;
//   - RSS and the live heap are flat: over the judged rows, the largest
//     and smallest values lie within ±5 % of their midpoint, that is
//     (max−min)/(max+min) ≤ 5 %. The heap in use swings with the GC cycle
//     (up to GOGC=100 % above the live heap), so it is shown but not judged;
//   - goroutines and open files do not grow while the soak runs: their
//     count beyond the baseline, per live session (counts scale with the
//     sessions live at the scrape), has a median over the last third of the
//     judged rows at most 5 % above its median over the first third;
//   - and they come back after it: at rest, at most restGoroutines and
//     restFDs above the baseline.
//
// A soak is bounded: -sessions at most maxSessions, -soak at most maxSoak.

// Bounds and margins of a soak.
const (
	maxSoak = 24 * time.Hour
	// flatBand is the verdict's limit on (max−min)/(max+min) of RSS and
	// the live heap: every value within ±5 % of the midpoint.
	flatBand = 0.05
	// perSessionGrowth is the verdict's limit on the growth of goroutines
	// and open files per live session from the first judged row to the last.
	perSessionGrowth = 0.05
	// restGoroutines and restFDs are how far above the baseline the server
	// may be at rest after the soak: a worker or a connection or two, and
	// the SQLite pool grown to its bound (4 connections of 3 files each:
	// the database, its WAL and its shared memory).
	restGoroutines = 10
	restFDs        = 5 + 4*3
	// maxShownErrors bounds the error lines printed; the rest are counted.
	maxShownErrors = 20
)

// soakRow is one report: the server's figures and the takes so far.
type soakRow struct {
	Phase       string  `json:"phase"` // "baseline", "run" or "rest"
	ElapsedS    float64 `json:"elapsed_s"`
	Live        int     `json:"live"`   // the server's sessions connecting or recording
	Drafts      int     `json:"drafts"` // the server's stopped takes not yet saved or discarded
	Saves       int64   `json:"saves"`
	Deletes     int64   `json:"deletes"` // saved, then deleted (-delete)
	Discards    int64   `json:"discards"`
	Errors      int64   `json:"errors"` // takes that failed
	LostPackets int64   `json:"lost_packets"`
	RSSBytes    float64 `json:"rss_bytes"`
	HeapInuse   float64 `json:"heap_inuse_bytes"`
	HeapLive    float64 `json:"heap_live_bytes"` // marked live by the last GC
	Goroutines  int     `json:"goroutines"`
	FDs         int     `json:"open_fds"`
	ScrapeError string  `json:"scrape_error,omitempty"`
}

// check is one line of the verdict.
type check struct {
	Name   string `json:"name"`
	Pass   bool   `json:"pass"`
	Judged bool   `json:"judged"` // false: shown for information
	Detail string `json:"detail"`
}

// verdict is the soak's outcome.
type verdict struct {
	Pass   bool    `json:"pass"`
	Checks []check `json:"checks"`
}

// errSoakFailed is returned when the soak ran but its verdict is FAIL.
var errSoakFailed = errors.New("soak: the verdict is FAIL")

// soaker is one soak run.
type soaker struct {
	l     *load
	start time.Time

	takes                            atomic.Int64 // begun, for the save/discard turn
	saves, deletes, discards, failed atomic.Int64
	lost                             atomic.Int64
	connecting                       chan struct{} // bounds the offers in flight

	mu        sync.Mutex // guards the output and shownErrs
	shownErrs int
}

// soak runs the soak mode and prints its rows and verdict.
func (l *load) soak(ctx context.Context) error {
	k := &soaker{l: l, connecting: make(chan struct{}, maxConnecting)}
	prefix, err := runID()
	if err != nil {
		return err
	}
	base, err := k.scrape(ctx, "baseline")
	if err != nil {
		return err
	}
	k.header()
	k.print(base)

	runCtx, cancel := context.WithTimeout(ctx, l.cfg.soak)
	defer cancel()
	k.start = time.Now()
	var wg sync.WaitGroup
	for w := range l.cfg.sessions {
		// Start the slots spread over the shortest take, so that neither
		// the offers nor the ends of the takes come all at once.
		delay := time.Duration(w) * l.cfg.takeMin / time.Duration(l.cfg.sessions)
		wg.Go(func() { k.slot(runCtx, fmt.Sprintf("soak-%s-%02d", prefix, w+1), delay) })
	}

	rows := []soakRow{base}
	tick := time.NewTicker(l.cfg.reportEvery)
	defer tick.Stop()
running:
	for {
		select {
		case <-runCtx.Done():
			break running
		case <-tick.C:
			r, _ := k.scrape(ctx, "run")
			rows = append(rows, r)
			k.print(r)
		}
	}
	wg.Wait()
	if ctx.Err() != nil {
		k.println("interrupted: the takes in progress were finished")
	}
	rest := k.settle(context.WithoutCancel(ctx), base)
	rows = append(rows, rest)
	k.print(rest)
	v := judge(rows, l.cfg.warmup)
	k.printVerdict(v)
	if !v.Pass {
		return errSoakFailed
	}
	return nil
}

// slot runs takes one after another until ctx ends, the first after delay.
func (k *soaker) slot(ctx context.Context, name string, delay time.Duration) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(delay):
	}
	for seq := 1; ctx.Err() == nil; seq++ {
		k.take(ctx, fmt.Sprintf("%s-%d", name, seq))
	}
}

// take records one take of a random length and saves or discards it.
func (k *soaker) take(ctx context.Context, id string) {
	cfg := k.l.cfg
	length := cfg.takeMin + rand.N(cfg.takeMax-cfg.takeMin+1)
	n := k.takes.Add(1) - 1
	save := n%int64(cfg.mixSave+cfg.mixDiscard) < int64(cfg.mixSave)

	s := &session{id: id}
	select {
	case k.connecting <- struct{}{}:
	case <-ctx.Done():
		return
	}
	err := k.l.connect(ctx, s)
	<-k.connecting
	if err != nil {
		if ctx.Err() == nil { // not merely the soak ending mid-offer
			k.fail(id, err)
		}
		return
	}
	streamCtx, cancel := context.WithTimeout(ctx, length)
	err = s.peer.Stream(streamCtx, k.l.capture, &s.send)
	cancel()
	s.mu.Lock()
	s.streamErr = err
	s.mu.Unlock()

	r := k.l.finish(context.WithoutCancel(ctx), s, save)
	k.lost.Add(r.info.Stats.LostPackets)
	switch {
	case r.err != nil:
		k.fail(id, r.err)
	case save:
		k.saves.Add(1)
		if k.l.cfg.deleteSaved {
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
			defer cancel()
			if err := k.l.srv.deleteRecording(dctx, r.recording); err != nil {
				k.fail(id, err)
			} else {
				k.deletes.Add(1)
			}
		}
	default:
		k.discards.Add(1)
	}
}

// fail counts a failed take and prints the first few.
func (k *soaker) fail(id string, err error) {
	k.failed.Add(1)
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.shownErrs >= maxShownErrors {
		return
	}
	k.shownErrs++
	if k.l.cfg.json {
		_ = json.NewEncoder(k.l.out).Encode(struct {
			Type    string `json:"type"`
			Session string `json:"session"`
			Error   string `json:"error"`
		}{"error", id, err.Error()})
		return
	}
	fmt.Fprintf(k.l.out, "error: take %s: %v\n", id, err)
	if k.shownErrs == maxShownErrors {
		fmt.Fprintln(k.l.out, "error: further errors are counted, not shown")
	}
}

// scrape reads the server's figures into a row. A failed scrape still
// gives a row, with the takes counted and the error noted.
func (k *soaker) scrape(ctx context.Context, phase string) (soakRow, error) {
	r := soakRow{
		Phase: phase, Saves: k.saves.Load(), Deletes: k.deletes.Load(), Discards: k.discards.Load(),
		Errors: k.failed.Load(), LostPackets: k.lost.Load(),
	}
	if !k.start.IsZero() {
		r.ElapsedS = time.Since(k.start).Seconds()
	}
	sctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	m, err := k.l.srv.metrics(sctx)
	if err != nil {
		r.ScrapeError = err.Error()
		return r, err
	}
	r.Live = int(m["recorder_sessions_live"])
	r.Drafts = int(m["recorder_drafts"])
	r.RSSBytes = m["process_resident_memory_bytes"]
	r.HeapInuse = m["go_memstats_heap_inuse_bytes"]
	r.HeapLive = m["go_gc_heap_live_bytes"]
	r.Goroutines = int(m["go_goroutines"])
	r.FDs = int(m["process_open_fds"])
	return r, nil
}

// settle waits up to -settle for the server to come back to rest after the
// soak: no session live, no draft left, goroutines and open files back
// near the baseline. It returns the last row read.
func (k *soaker) settle(ctx context.Context, base soakRow) soakRow {
	k.l.srv.http.CloseIdleConnections()
	deadline := time.Now().Add(k.l.cfg.settle)
	for {
		r, err := k.scrape(ctx, "rest")
		rested := err == nil && r.Live == 0 && r.Drafts == 0 &&
			r.Goroutines <= base.Goroutines+restGoroutines && r.FDs <= base.FDs+restFDs
		if rested || time.Now().After(deadline) {
			return r
		}
		// The scrape's own connection would count as an open file.
		k.l.srv.http.CloseIdleConnections()
		time.Sleep(time.Second)
	}
}

// judge reads the verdict from the rows: the baseline first, the rest
// row last, the run rows between.
func judge(rows []soakRow, warmup int) verdict {
	var v verdict
	add := func(c check) { v.Checks = append(v.Checks, c) }
	base, rest := rows[0], rows[len(rows)-1]
	run := rows[1 : len(rows)-1]

	scrapeErrs := 0
	for _, r := range rows {
		if r.ScrapeError != "" {
			scrapeErrs++
		}
	}
	add(check{Name: "errors", Judged: true, Pass: rest.Errors == 0 && scrapeErrs == 0,
		Detail: fmt.Sprintf("%d takes failed (%d saved, %d of them deleted, %d discarded); %d scrapes of /metrics failed",
			rest.Errors, rest.Saves, rest.Deletes, rest.Discards, scrapeErrs)})

	var judged []soakRow
	for i, r := range run {
		if i >= warmup && r.ScrapeError == "" {
			judged = append(judged, r)
		}
	}
	if len(judged) < 2 {
		add(check{Name: "flat", Judged: true, Detail: fmt.Sprintf(
			"%d reports after the %d of warm-up: too short to judge (need 2)", len(judged), warmup)})
	} else {
		add(flat("rss", judged, func(r soakRow) float64 { return r.RSSBytes }, true))
		add(flat("heap live", judged, func(r soakRow) float64 { return r.HeapLive }, true))
		add(flat("heap in use", judged, func(r soakRow) float64 { return r.HeapInuse }, false))
		add(perSession("goroutines", base.Goroutines, judged, func(r soakRow) int { return r.Goroutines }))
		add(perSession("open files", base.FDs, judged, func(r soakRow) int { return r.FDs }))
	}
	add(atRest("goroutines at rest", base.Goroutines, rest, rest.Goroutines, restGoroutines))
	add(atRest("open files at rest", base.FDs, rest, rest.FDs, restFDs))

	v.Pass = true
	for _, c := range v.Checks {
		if c.Judged && !c.Pass {
			v.Pass = false
		}
	}
	return v
}

// flat checks that value stays within ±flatBand of the midpoint of its
// largest and smallest values over rows.
func flat(name string, rows []soakRow, value func(soakRow) float64, judged bool) check {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range rows {
		lo, hi = min(lo, value(r)), max(hi, value(r))
	}
	band := 0.0
	if hi+lo > 0 {
		band = (hi - lo) / (hi + lo)
	}
	return check{Name: name, Judged: judged, Pass: band <= flatBand,
		Detail: fmt.Sprintf("%.1f–%.1f MiB: ±%.1f %% around the midpoint (limit ±%.0f %%)",
			lo/(1<<20), hi/(1<<20), band*100, flatBand*100)}
}

// perSession checks that a count beyond the baseline, per live session,
// does not grow while the soak runs: the median over the last third of the
// judged rows may be at most perSessionGrowth above the median over the
// first third (plus half a unit, for small counts). Medians, because a
// scrape may land while a take is being set up or torn down, which moves
// the count by a session's worth without anything leaking.
func perSession(name string, base int, rows []soakRow, count func(soakRow) int) check {
	per := make([]float64, len(rows))
	for i, r := range rows {
		per[i] = float64(count(r)-base) / float64(max(r.Live, 1))
	}
	third := max(len(per)/3, 1)
	a, b := median(per[:third]), median(per[len(per)-third:])
	growth := 0.0
	if a > 0 {
		growth = b/a - 1
	}
	return check{Name: name, Judged: true, Pass: b <= a*(1+perSessionGrowth)+0.5,
		Detail: fmt.Sprintf("%.1f → %.1f per live session beyond the baseline %d, medians of the first and last %d reports (%+.1f %%, limit +%.0f %%)",
			a, b, base, third, growth*100, perSessionGrowth*100)}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// atRest checks the count after the soak against the baseline.
func atRest(name string, base int, rest soakRow, n, margin int) check {
	if rest.ScrapeError != "" {
		return check{Name: name, Judged: true, Detail: "no figures: " + rest.ScrapeError}
	}
	return check{Name: name, Judged: true, Pass: n <= base+margin,
		Detail: fmt.Sprintf("%d after the soak, %d before (limit +%d); %d live, %d drafts",
			n, base, margin, rest.Live, rest.Drafts)}
}

const soakColumns = "%-9s %5s %6s %7s %7s %8s %6s %6s %8s %9s %9s %10s %5s\n"

// header prints what runs and the column heads.
func (k *soaker) header() {
	cfg := k.l.cfg
	k.mu.Lock()
	defer k.mu.Unlock()
	if cfg.json {
		_ = json.NewEncoder(k.l.out).Encode(struct {
			Type       string  `json:"type"`
			URL        string  `json:"url"`
			Sessions   int     `json:"sessions"`
			SoakS      float64 `json:"soak_s"`
			TakeMinS   float64 `json:"take_min_s"`
			TakeMaxS   float64 `json:"take_max_s"`
			Saves      int     `json:"mix_saves"`
			Discards   int     `json:"mix_discards"`
			Delete     bool    `json:"delete_saved"`
			ReportS    float64 `json:"report_every_s"`
			WarmupRows int     `json:"warmup_reports"`
		}{"start", k.l.srv.base, cfg.sessions, cfg.soak.Seconds(), cfg.takeMin.Seconds(), cfg.takeMax.Seconds(),
			cfg.mixSave, cfg.mixDiscard, cfg.deleteSaved, cfg.reportEvery.Seconds(), cfg.warmup})
		return
	}
	deleted := ""
	if cfg.deleteSaved {
		deleted = " (each recording deleted once saved)"
	}
	fmt.Fprintf(k.l.out, "soak: %d sessions against %s for %s; takes of %s–%s, saved:discarded %d:%d%s; a report every %s\n",
		cfg.sessions, k.l.srv.base, cfg.soak, cfg.takeMin, cfg.takeMax, cfg.mixSave, cfg.mixDiscard, deleted, cfg.reportEvery)
	fmt.Fprintf(k.l.out, soakColumns, "elapsed", "live", "drafts", "saves", "deleted", "discards", "errors", "lost",
		"rss_MiB", "heap_MiB", "live_MiB", "goroutines", "fds")
}

// print prints a row.
func (k *soaker) print(r soakRow) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.l.cfg.json {
		_ = json.NewEncoder(k.l.out).Encode(struct {
			Type string `json:"type"`
			soakRow
		}{"row", r})
		return
	}
	elapsed := fmt.Sprintf("%dm%02ds", int(r.ElapsedS)/60, int(r.ElapsedS)%60)
	switch r.Phase {
	case "baseline":
		elapsed = "baseline"
	case "rest":
		elapsed = "rest"
	}
	if r.ScrapeError != "" {
		fmt.Fprintf(k.l.out, "%-9s saves=%d discards=%d errors=%d; no figures: %s\n",
			elapsed, r.Saves, r.Discards, r.Errors, r.ScrapeError)
		return
	}
	mib := func(b float64) string { return fmt.Sprintf("%.1f", b/(1<<20)) }
	fmt.Fprintf(k.l.out, soakColumns, elapsed, fmt.Sprint(r.Live), fmt.Sprint(r.Drafts), fmt.Sprint(r.Saves),
		fmt.Sprint(r.Deletes), fmt.Sprint(r.Discards), fmt.Sprint(r.Errors), fmt.Sprint(r.LostPackets),
		mib(r.RSSBytes), mib(r.HeapInuse), mib(r.HeapLive), fmt.Sprint(r.Goroutines), fmt.Sprint(r.FDs))
}

func (k *soaker) println(s string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if !k.l.cfg.json {
		fmt.Fprintln(k.l.out, s)
	}
}

// printVerdict prints the verdict, one line per check.
func (k *soaker) printVerdict(v verdict) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.l.cfg.json {
		_ = json.NewEncoder(k.l.out).Encode(struct {
			Type string `json:"type"`
			verdict
		}{"verdict", v})
		return
	}
	writeVerdict(k.l.out, v, k.l.cfg.warmup)
}

func writeVerdict(w io.Writer, v verdict, warmup int) {
	word := "PASS"
	if !v.Pass {
		word = "FAIL"
	}
	fmt.Fprintf(w, "verdict: %s (the first %d reports are warm-up)\n", word, warmup)
	for _, c := range v.Checks {
		mark := "ok"
		switch {
		case !c.Judged:
			mark = "info"
		case !c.Pass:
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %-4s  %-19s %s\n", mark, c.Name, c.Detail)
	}
}
