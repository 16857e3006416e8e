package main

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
)

// impairment is what a session's sender does to its own stream, as a
// network would: drop packets, delay them (which reorders them when the
// delay varies by more than a packet time) and swap neighbours.
type impairment struct {
	loss    float64       // fraction of packets dropped
	jitter  time.Duration // each packet is sent up to this much late (uniform)
	reorder float64       // fraction of packets swapped with the next one
}

func (im impairment) active() bool { return im.loss > 0 || im.jitter > 0 || im.reorder > 0 }

// plan lays out packets 0..n-1, every apart, impaired with rng, in the
// order they are sent. It draws the same three numbers from rng for every
// packet whatever the impairment, so one seed gives the same losses,
// swaps and delays in runs that differ only in what they turn on. Packet
// 0 goes out as it is, so sender and server agree where the stream starts.
//
// A swapped pair trades send times (the later packet goes first, the
// earlier one a packet time late); the delay is added after that.
func (im impairment) plan(n int, every time.Duration, rng *rand.Rand) []rtcsend.Send {
	sends := make([]rtcsend.Send, 0, n)
	at := make([]time.Duration, n)
	for i := range at {
		at[i] = time.Duration(i) * every
	}
	drop := make([]bool, n)
	for i := range n {
		d, r, j := rng.Float64(), rng.Float64(), rng.Float64()
		if i == 0 {
			continue
		}
		drop[i] = d < im.loss
		if r < im.reorder && i+1 < n && at[i] == time.Duration(i)*every { // not already swapped
			at[i], at[i+1] = at[i+1], at[i]
		}
		at[i] += time.Duration(j * float64(im.jitter))
	}
	for i := range n {
		if !drop[i] {
			sends = append(sends, rtcsend.Send{Index: i, At: at[i]})
		}
	}
	slices.SortStableFunc(sends, func(a, b rtcsend.Send) int { return cmp.Compare(a.At, b.At) })
	return sends
}

// sessionRand is session i's source of impairments under seed.
func sessionRand(seed int64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), uint64(i)))
}

// sendCounts is what a sender did to its stream, up to the newest packet
// it sent: packets it left out (dropped, or still delayed when the stream
// ended: the server can only count them lost) and packets it sent after a
// later one.
type sendCounts struct {
	withheld  int64
	reordered int64
}

// countSends tells what the sends of a plan (those that went out) did.
func countSends(sends []rtcsend.Send) sendCounts {
	var c sendCounts
	highest := -1
	for _, s := range sends {
		if s.Index < highest {
			c.reordered++
		}
		highest = max(highest, s.Index)
	}
	c.withheld = int64(highest + 1 - len(sends))
	return c
}

// percent is a flag holding a fraction, written as a percentage: "2%" or
// "2" is 0.02.
type percent float64

func (p *percent) String() string { return strconv.FormatFloat(float64(*p)*100, 'g', -1, 64) + "%" }

func (p *percent) Set(s string) error {
	v, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(s), "%"), 64)
	if err != nil || v < 0 || v > 100 {
		return fmt.Errorf("%q: want a percentage 0-100, such as 2%%", s)
	}
	*p = percent(v / 100)
	return nil
}
