package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/avatarweb/recorder/media"
)

// progress is one line of the running report: sessions live, packets sent
// and counted, frames so far, the mean p50 and worst p99 latency and the
// drift furthest from zero, over the sessions' newest polls. The latencies
// are the server's, each over its whole session so far.
func progress(elapsed time.Duration, sessions []*session) string {
	var live, polled int
	var sent, counted, lost, frames int64
	var p50, p99, drift, lag50, lag99 float64
	for _, s := range sessions {
		n, _ := s.send.Snapshot(0)
		sent += n
		in, ok := s.latest()
		if !ok {
			continue
		}
		polled++
		p50 += in.Framing.Latency.P50ms
		if in.State == media.SessionLive {
			live++
		}
		counted += in.Stats.Packets
		lost += in.Stats.LostPackets
		frames += in.Framing.Frames
		p99 = max(p99, in.Framing.Latency.P99ms)
		lag50 += in.Framing.LagRecent.P50ms
		lag99 = max(lag99, in.Framing.LagRecent.P99ms)
		if math.Abs(in.Framing.DriftMs) > math.Abs(drift) {
			drift = in.Framing.DriftMs
		}
	}
	if polled > 0 {
		p50 /= float64(polled)
		lag50 /= float64(polled)
	}
	return fmt.Sprintf("t=%s live=%d/%d sent=%d counted=%d lost=%d frames=%d p50_mean=%.2fms p99_max=%.2fms lag_recent_p50_mean=%.2fms lag_recent_p99_max=%.2fms drift_max=%+.1fms",
		elapsed.Round(time.Second), live, len(sessions), sent, counted, lost, frames, p50, p99, lag50, lag99, drift)
}

// writeTable prints the final report: one row per session, then errors.
func writeTable(w io.Writer, rows []row, saved bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "session\tsent\tcounted\tlost\tdropped\tlate\treord_sent\trecovered\tframes\tbatches\tp50_ms\tp99_ms\tlag_p50_ms\tlag_p99_ms\tlive_lag_p99_ms\tdrift_ms\tserver_s\twall_s\tdiff_ms\tstate"
	if saved {
		head += "\trecording"
	}
	fmt.Fprintln(tw, head)
	for _, r := range rows {
		in := r.info
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%+.1f\t%.3f\t%.3f\t%+.0f\t%s",
			r.id, r.sent, in.Stats.Packets, in.Stats.LostPackets, r.counts.withheld, in.Stats.LatePackets,
			r.counts.reordered, in.Stats.RecoveredPackets, in.Framing.Frames, in.Framing.Batches,
			in.Framing.Latency.P50ms, in.Framing.Latency.P99ms, in.Framing.Lag.P50ms, in.Framing.Lag.P99ms,
			r.live.Framing.LagRecent.P99ms, in.Framing.DriftMs,
			in.Duration, r.wall.Seconds(), (in.Duration-r.wall.Seconds())*1000, orDash(in.State))
		if saved {
			fmt.Fprintf(tw, "\t%s", orDash(r.recording))
		}
		fmt.Fprintln(tw)
	}
	_ = tw.Flush()
	for _, r := range rows {
		if r.err != nil {
			fmt.Fprintf(w, "session %s: %v\n", r.id, r.err)
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// summary is the whole run in one line: what the sessions sent and lost,
// and their latencies while streaming (the newest poll's recent window, so
// the stop at the end, when every session drains at once, is left out).
//
// Under -loss, -jitter and -reorder, the server's lost packets are those
// the senders dropped (or still held back when they stopped) plus the late
// ones: packets that came after the server had given up waiting for them.
// Recovered packets came after a later one and were put back in order.
type summary struct {
	Sessions        int     `json:"sessions"`
	Sent            int64   `json:"sent"`
	Counted         int64   `json:"counted"`
	Lost            int64   `json:"lost"`
	LossPct         float64 `json:"loss_pct"`
	Dropped         int64   `json:"dropped"`              // by the senders, on purpose
	Late            int64   `json:"late"`                 // arrived after the server gave them up
	ReorderedSent   int64   `json:"reordered_sent"`       // sent after a later packet
	Recovered       int64   `json:"recovered"`            // put back in order by the server
	LatencyP50Ms    float64 `json:"latency_p50_ms"`       // read → frame, mean of the sessions' p50
	LatencyP99MaxMs float64 `json:"latency_p99_max_ms"`   // read → frame, worst session's p99
	LagP50Ms        float64 `json:"lag_p50_ms"`           // end to end, mean of the sessions' p50
	LagP99Ms        float64 `json:"lag_p99_ms"`           // end to end, median of the sessions' p99
	LagP99MaxMs     float64 `json:"lag_p99_max_ms"`       // end to end, worst session's p99
	WorstSession    string  `json:"worst_session"`        // the one with that p99
	LagWholeP99Max  float64 `json:"lag_whole_p99_max_ms"` // worst whole-session p99, stop included
	Offered         int     `json:"offered"`              // offers made: the sessions and the refused
	Refused         int     `json:"refused"`              // offers the server turned away at capacity (503)
	RefusedMaxMs    float64 `json:"refused_max_ms"`       // the slowest refusal's answer
	*ServerUsage            // with -server-pid
}

func summarize(rows []row) summary {
	var s summary
	var p99s []float64
	for _, r := range rows {
		s.Sessions++
		s.Sent += r.sent
		s.Counted += r.info.Stats.Packets
		s.Lost += r.info.Stats.LostPackets
		s.Dropped += r.counts.withheld
		s.Late += r.info.Stats.LatePackets
		s.ReorderedSent += r.counts.reordered
		s.Recovered += r.info.Stats.RecoveredPackets
		live := r.live.Framing
		s.LatencyP50Ms += live.LatencyRecent.P50ms
		s.LatencyP99MaxMs = max(s.LatencyP99MaxMs, live.LatencyRecent.P99ms)
		s.LagP50Ms += live.LagRecent.P50ms
		p99s = append(p99s, live.LagRecent.P99ms)
		if live.LagRecent.P99ms >= s.LagP99MaxMs {
			s.LagP99MaxMs, s.WorstSession = live.LagRecent.P99ms, r.id
		}
		s.LagWholeP99Max = max(s.LagWholeP99Max, r.info.Framing.Lag.P99ms)
	}
	if s.Sessions > 0 {
		s.LatencyP50Ms /= float64(s.Sessions)
		s.LagP50Ms /= float64(s.Sessions)
		slices.Sort(p99s)
		s.LagP99Ms = p99s[len(p99s)/2]
	}
	if s.Sent > 0 {
		s.LossPct = 100 * float64(s.Lost) / float64(s.Sent)
	}
	return s
}

func writeSummary(w io.Writer, s summary, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(s)
	}
	_, err := fmt.Fprintf(w, "summary: sessions=%d sent=%d counted=%d lost=%d (%.2f%%) dropped=%d late=%d reordered_sent=%d recovered=%d read→frame p50=%.2fms p99_max=%.2fms lag p50=%.2fms p99=%.2fms p99_max=%.2fms (%s) lag_whole_p99_max=%.2fms\n",
		s.Sessions, s.Sent, s.Counted, s.Lost, s.LossPct, s.Dropped, s.Late, s.ReorderedSent, s.Recovered,
		s.LatencyP50Ms, s.LatencyP99MaxMs, s.LagP50Ms, s.LagP99Ms, s.LagP99MaxMs, s.WorstSession, s.LagWholeP99Max)
	if err != nil {
		return err
	}
	if s.Refused > 0 || s.Offered > s.Sessions {
		if _, err := fmt.Fprintf(w, "admission: offered=%d admitted=%d refused=%d slowest refusal=%.0fms\n",
			s.Offered, s.Sessions, s.Refused, s.RefusedMaxMs); err != nil {
			return err
		}
	}
	return writeUsage(w, s.ServerUsage)
}
