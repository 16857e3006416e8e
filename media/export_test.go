package media

import "io"

// WrapSpoolFile puts wrap's writer between the spool's buffer and its
// file, so a test can make writes fail as a full disk does.
func WrapSpoolFile(s *Spool, wrap func(io.Writer) io.Writer) { s.out = wrap(s.out) }

// HeldSamples is how many samples the batcher's buffer can hold.
func (b *Batcher) HeldSamples() int { return cap(b.arena) }

// ReportCPU is reportCPU, for the benchmarks outside the package.
var ReportCPU = reportCPU
