package main

import (
	"fmt"
	"io"
	"math"
	"text/tabwriter"
	"time"

	"github.com/avatarweb/recorder/media/rtc"
)

// progress is one line of the running report: sessions live, packets sent
// and counted, frames so far, the mean p50 and worst p99 latency and the
// drift furthest from zero, over the sessions' newest polls. The latencies
// are the server's, each over its whole session so far.
func progress(elapsed time.Duration, sessions []*session) string {
	var live, polled int
	var sent, counted, lost, frames int64
	var p50, p99, drift float64
	for _, s := range sessions {
		n, _ := s.send.Snapshot(0)
		sent += n
		in, ok := s.latest()
		if !ok {
			continue
		}
		polled++
		p50 += in.Framing.Latency.P50ms
		if in.State == rtc.StateLive {
			live++
		}
		counted += in.Stats.Packets
		lost += in.Stats.LostPackets
		frames += in.Framing.Frames
		p99 = max(p99, in.Framing.Latency.P99ms)
		if math.Abs(in.Framing.DriftMs) > math.Abs(drift) {
			drift = in.Framing.DriftMs
		}
	}
	if polled > 0 {
		p50 /= float64(polled)
	}
	return fmt.Sprintf("t=%s live=%d/%d sent=%d counted=%d lost=%d frames=%d p50_mean=%.2fms p99_max=%.2fms drift_max=%+.1fms",
		elapsed.Round(time.Second), live, len(sessions), sent, counted, lost, frames, p50, p99, drift)
}

// writeTable prints the final report: one row per session, then errors.
func writeTable(w io.Writer, rows []row, saved bool) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	head := "session\tsent\tcounted\tlost\tframes\tbatches\tp50_ms\tp99_ms\tdrift_ms\tserver_s\twall_s\tdiff_ms\tstate"
	if saved {
		head += "\trecording"
	}
	fmt.Fprintln(tw, head)
	for _, r := range rows {
		in := r.info
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%+.1f\t%.3f\t%.3f\t%+.0f\t%s",
			r.id, r.sent, in.Stats.Packets, in.Stats.LostPackets, in.Framing.Frames, in.Framing.Batches,
			in.Framing.Latency.P50ms, in.Framing.Latency.P99ms, in.Framing.DriftMs,
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
