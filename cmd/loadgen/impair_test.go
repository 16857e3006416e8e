package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
)

const every = 20 * time.Millisecond

func TestPlan(t *testing.T) {
	const n = 20000
	t.Run("None", func(t *testing.T) {
		sends := impairment{}.plan(n, every, sessionRand(1, 0))
		for i, s := range sends {
			if s.Index != i || s.At != time.Duration(i)*every {
				t.Fatalf("send %d: %+v, want packet %d at %v", i, s, i, time.Duration(i)*every)
			}
		}
		if len(sends) != n || countSends(sends) != (sendCounts{}) {
			t.Errorf("%d sends, counts %+v", len(sends), countSends(sends))
		}
	})
	t.Run("Loss", func(t *testing.T) {
		sends := impairment{loss: 0.02}.plan(n, every, sessionRand(1, 0))
		dropped := n - len(sends)
		if dropped < n*15/1000 || dropped > n*25/1000 {
			t.Errorf("dropped %d of %d at 2%%", dropped, n)
		}
		c := countSends(sends)
		if c.reordered != 0 || c.withheld < int64(dropped)-5 || c.withheld > int64(dropped) {
			t.Errorf("counts %+v for %d dropped (the ones after the last sent are not withheld)", c, dropped)
		}
		if sends[0].Index != 0 {
			t.Errorf("packet 0 dropped")
		}
	})
	t.Run("Reorder", func(t *testing.T) {
		sends := impairment{reorder: 0.01}.plan(n, every, sessionRand(1, 0))
		if len(sends) != n {
			t.Fatalf("%d sends, want %d", len(sends), n)
		}
		swaps := 0
		for k, s := range sends {
			if s.At != time.Duration(k)*every {
				t.Fatalf("send %d at %v: a swap keeps the send times", k, s.At)
			}
		}
		for k := 0; k < len(sends); k++ {
			if sends[k].Index != k {
				// packet k+1 goes at k's time and k at k+1's.
				if sends[k].Index != k+1 || sends[k+1].Index != k {
					t.Fatalf("sends %d, %d are packets %d, %d: not a swap of neighbours", k, k+1, sends[k].Index, sends[k+1].Index)
				}
				swaps++
				k++
			}
		}
		if swaps < n*7/1000 || swaps > n*13/1000 {
			t.Errorf("%d swaps of %d at 1%%", swaps, n)
		}
		if c := countSends(sends); c.reordered != int64(swaps) || c.withheld != 0 {
			t.Errorf("counts %+v, want %d reordered", c, swaps)
		}
	})
	t.Run("Jitter", func(t *testing.T) {
		const jitter = 50 * time.Millisecond
		sends := impairment{jitter: jitter}.plan(n, every, sessionRand(1, 0))
		var sum time.Duration
		for k, s := range sends {
			late := s.At - time.Duration(s.Index)*every
			if late < 0 || late >= jitter {
				t.Fatalf("packet %d sent %v late, want 0-%v", s.Index, late, jitter)
			}
			if k > 0 && s.At < sends[k-1].At {
				t.Fatalf("sends out of time order at %d", k)
			}
			sum += late
		}
		if mean := sum / n; mean < 23*time.Millisecond || mean > 27*time.Millisecond {
			t.Errorf("mean delay %v, want about %v", mean, jitter/2)
		}
		// A delay of up to 2.5 packet times reorders many packets.
		if c := countSends(sends); c.reordered < n/10 {
			t.Errorf("%d of %d reordered by up to 50 ms of jitter", c.reordered, n)
		}
	})
	t.Run("Seed", func(t *testing.T) {
		im := impairment{loss: 0.02, jitter: 20 * time.Millisecond, reorder: 0.01}
		a, b := im.plan(2000, every, sessionRand(7, 3)), im.plan(2000, every, sessionRand(7, 3))
		if !slices.Equal(a, b) {
			t.Error("the same seed and session gave two plans")
		}
		if c := im.plan(2000, every, sessionRand(7, 4)); slices.Equal(a, c) {
			t.Error("two sessions got the same plan")
		}
		// The loss alone drops the same packets as with the rest on.
		lossOnly := impairment{loss: 0.02}.plan(2000, every, sessionRand(7, 3))
		if !slices.Equal(indices(lossOnly), sortedIndices(a)) {
			t.Error("-loss alone dropped other packets than with -jitter and -reorder on")
		}
	})
}

func indices(sends []rtcsend.Send) []int {
	var out []int
	for _, s := range sends {
		out = append(out, s.Index)
	}
	return out
}

func sortedIndices(sends []rtcsend.Send) []int {
	out := indices(sends)
	slices.Sort(out)
	return out
}

func TestPercentFlag(t *testing.T) {
	for in, want := range map[string]float64{"2%": 0.02, "2": 0.02, "0.5%": 0.005, "100%": 1, "0": 0} {
		var p percent
		if err := p.Set(in); err != nil || float64(p) != want {
			t.Errorf("Set(%q) = %v, %v; want %v", in, float64(p), err, want)
		}
	}
	for _, bad := range []string{"-1%", "101%", "x", ""} {
		var p percent
		if err := p.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
	c, err := parseFlags([]string{"-loss", "2%", "-jitter", "20ms", "-reorder", "1%", "-stagger", "10ms", "-seed", "9"}, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	if c.impair != (impairment{loss: 0.02, jitter: 20 * time.Millisecond, reorder: 0.01}) || c.stagger != 10*time.Millisecond || c.seed != 9 {
		t.Errorf("parsed %+v stagger %v seed %d", c.impair, c.stagger, c.seed)
	}
	for _, args := range [][]string{
		{"-jitter", "-1ms"}, {"-stagger", "-1s"}, {"-loss", "200%"},
		{"-soak", "1m", "-loss", "1%"}, {"-spread", "-stagger", "1ms"}, {"-soak", "1m", "-spread"},
	} {
		if _, err := parseFlags(args, &bytes.Buffer{}); err == nil || strings.Contains(err.Error(), "help") {
			t.Errorf("parseFlags(%q) = %v, want refused", args, err)
		}
	}
}

// TestRun_Impaired: with the senders dropping, delaying and swapping
// packets, the server counts as lost what they dropped plus what came too
// late, and every packet sent after a later one is either put back in
// order (recovered) or late.
func TestRun_Impaired(t *testing.T) {
	srv := startServer(t)
	args := []string{"-url", srv.url, "-sessions", "2", "-duration", "3s", "-capture", testCapture,
		"-loss", "5%", "-jitter", "30ms", "-reorder", "2%", "-stagger", "50ms", "-seed", "3"}
	out, rows := runTable(t, args, 2)
	for _, r := range rows {
		lost, dropped, late := atoi(t, r, "lost"), atoi(t, r, "dropped"), atoi(t, r, "late")
		reordered, recovered := atoi(t, r, "reord_sent"), atoi(t, r, "recovered")
		if dropped < 2 || reordered < 3 {
			t.Errorf("%s: the sender dropped %d and reordered %d of about 150", r["session"], dropped, reordered)
		}
		// Loopback loses nothing: a couple of packets allowed for a
		// socket buffer overrun on a loaded machine.
		if lost < dropped || lost > dropped+late+2 {
			t.Errorf("%s: server lost %d; the sender dropped %d, %d came late", r["session"], lost, dropped, late)
		}
		if recovered+late < reordered-2 || recovered+late > reordered {
			t.Errorf("%s: %d recovered + %d late, but %d sent out of order", r["session"], recovered, late, reordered)
		}
	}
	if !strings.Contains(out, "dropped=") || !strings.Contains(out, "recovered=") {
		t.Error("the summary does not say what was dropped and recovered")
	}
}

// TestRun_Spread: -spread starts the streams one packet time / sessions
// apart, so their packets do not all leave at the same instant.
func TestRun_Spread(t *testing.T) {
	srv := startServer(t)
	args := []string{"-url", srv.url, "-sessions", "4", "-duration", "1s", "-capture", testCapture, "-spread"}
	var out bytes.Buffer
	if err := run(t.Context(), args, &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "streams started 5ms apart") {
		t.Errorf("4 sessions of 20 ms packets spread: want streams started 5ms apart in\n%s", out.String())
	}
}
