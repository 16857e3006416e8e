package app

import (
	"net/http"
	"net/http/pprof"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
)

// profiles serves the Go runtime's profiles under /debug/pprof/,
// for finding where a loaded server spends its CPU and memory:
//
//	go tool pprof http://127.0.0.1:8080/debug/pprof/profile?seconds=10
//	go tool pprof -sample_index=alloc_space http://127.0.0.1:8080/debug/pprof/heap
//
// It is a mux of its own: importing net/http/pprof also registers on
// http.DefaultServeMux, which this program never serves.
func profiles() fiber.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // heap, allocs, goroutine, block, mutex…
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return adaptor.HTTPHandler(mux)
}
