package app

import "runtime/debug"

// gcPercent is the collector's pace unless GOGC says otherwise: the heap
// may grow by half its live size between collections, not by all of it.
// The live path allocates almost nothing per packet (a collection every
// minute or so at 200 sessions), so a tighter pace costs next to no CPU,
// while the headroom is most of what a session's RSS holds beyond its
// live heap (docs/performance.md, "The collector was the cliff").
const gcPercent = 50

// paceCollector sets gcPercent when GOGC is not set, and returns the pace
// in force.
func paceCollector(getenv func(string) string) int {
	if getenv("GOGC") != "" {
		old := debug.SetGCPercent(-1)
		debug.SetGCPercent(old)
		return old
	}
	debug.SetGCPercent(gcPercent)
	return gcPercent
}
