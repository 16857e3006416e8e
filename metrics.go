package main

import (
	"regexp"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/avatarweb/recorder/media/rtc"
	"github.com/avatarweb/recorder/media/upload"
)

// newRegistry builds what /metrics reports: the Go runtime (goroutines,
// heap, GC; plus the heap the last GC found live, which unlike the heap in
// use does not swing with the GC cycle), the process (RSS, open files,
// CPU) and the recorder's own gauges, read when scraped. It is a registry
// of its own, not the library's global default.
func newRegistry(sessions *rtc.Manager, uploads *upload.Spooler) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(
			collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/gc/heap/live:bytes$`)},
		)),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "recorder_sessions_live",
			Help: "WebRTC sessions connecting or recording.",
		}, func() float64 { return float64(sessions.Live()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "recorder_drafts",
			Help: "Stopped WebRTC takes kept on disk until saved or discarded.",
		}, func() float64 { return float64(sessions.Drafts()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "recorder_uploads_open",
			Help: "MediaRecorder uploads begun and not yet saved, discarded or expired.",
		}, func() float64 { return float64(uploads.Open()) }),
	)
	return reg
}

// metricsHandler serves reg in the Prometheus text format.
func metricsHandler(reg *prometheus.Registry) fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
}
