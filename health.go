package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"time"
)

// ready is /readyz: the data directory takes a file and the database
// answers.
func (s *server) ready(ctx context.Context) error {
	f, err := os.CreateTemp(s.cfg.DataDir, ".readyz-*")
	if err != nil {
		return fmt.Errorf("data directory not writable: %w", err)
	}
	name := f.Name()
	_, werr := f.Write([]byte("ok"))
	cerr := f.Close()
	os.Remove(name)
	if werr != nil || cerr != nil {
		return fmt.Errorf("data directory not writable: %w", firstErr(werr, cerr))
	}
	if err := s.db.Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// healthcheck is `recorder -healthcheck`, for a container's HEALTHCHECK
// where there is no curl: it asks this machine's server for /healthz (at
// RECORDER_ADDR's port, over HTTPS when RECORDER_TLS or RECORDER_CERT is
// set) and returns the exit status, 0 when healthy.
func healthcheck(getenv func(string) string) int {
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
