package config

import "flag"

// Observe is what the server shows of itself.
type Observe struct {
	Metrics  bool // serve /metrics
	Profiles bool // serve /debug/pprof/
}

func (o *Observe) declare(fs *flag.FlagSet, e *env) {
	fs.BoolVar(&o.Metrics, "metrics", e.bool("RECORDER_METRICS", false), "serve /metrics in the Prometheus text format (behind the access token when one is set) (env RECORDER_METRICS)")
	fs.BoolVar(&o.Profiles, "pprof", e.bool("RECORDER_PPROF", false), "serve the Go runtime's CPU, heap and other profiles under /debug/pprof/ (behind the access token when one is set) (env RECORDER_PPROF)")
}

func (*Observe) finish(*Config) error { return nil }
