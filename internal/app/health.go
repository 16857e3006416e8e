package app

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// readyEvery is how often /readyz checks again, however often it is
// asked: a probe flood costs one check a second.
const readyEvery = time.Second

// readyTimeout bounds one check.
const readyTimeout = 3 * time.Second

// readyz is /readyz: the last check's result if it is recent, else a new
// one.
func (s *Server) readyz(ctx context.Context) error {
	return s.health.Result(ctx, time.Now().Add(-readyEvery))
}

// reachable is what a failed request asks (handlers.Reachable): the
// result of a check begun since it began.
func (s *Server) reachable(ctx context.Context, since time.Time) error {
	return s.health.Result(ctx, since)
}

// ready is the check behind both: the data directory takes a file, the
// database answers, and so does the recordings store.
func (s *Server) ready(ctx context.Context) error {
	f, err := os.CreateTemp(s.Config.DataDir, ".readyz-*")
	if err != nil {
		return fmt.Errorf("data directory not writable: %w", err)
	}
	name := f.Name()
	_, werr := f.Write([]byte("ok"))
	cerr := f.Close()
	os.Remove(name)
	if err := errors.Join(werr, cerr); err != nil {
		return fmt.Errorf("data directory not writable: %w", err)
	}
	if err := s.DB.Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	if err := s.store.Ping(ctx); err != nil {
		return fmt.Errorf("recordings store: %w", err)
	}
	return nil
}

// Healthcheck is `recorder -healthcheck`, for a container's HEALTHCHECK
// where there is no curl: it asks this machine's server for /healthz (at
// RECORDER_ADDR's port, over HTTPS when RECORDER_TLS or RECORDER_CERT is
// set) and returns the exit status, 0 when healthy.
func Healthcheck(getenv func(string) string) int {
	addr := getenv("RECORDER_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		return 1
	}
	scheme := "http"
	if tlsOn, _ := strconv.ParseBool(getenv("RECORDER_TLS")); tlsOn || getenv("RECORDER_CERT") != "" {
		scheme = "https"
	}
	client := &http.Client{Timeout: 4 * time.Second, Transport: &http.Transport{
		// The certificate is checked by browsers; here only liveness is.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec
	}}
	res, err := client.Get(scheme + "://127.0.0.1:" + port + "/healthz")
	if err != nil {
		fmt.Fprintln(os.Stderr, "healthcheck:", err)
		return 1
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		fmt.Fprintln(os.Stderr, "healthcheck:", res.Status)
		return 1
	}
	return 0
}
