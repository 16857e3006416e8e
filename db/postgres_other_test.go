//go:build !linux

package db

import (
	"os"
	"testing"
)

// postgresServer: the throwaway server is started on Linux only (it relies
// on Linux process attributes).
func postgresServer(tb testing.TB) *pgServer {
	tb.Helper()
	if os.Getenv(requirePostgresEnv) == "1" {
		tb.Fatalf("PostgreSQL tests run on Linux only (%s=1 makes this a failure)", requirePostgresEnv)
	}
	tb.Skip("PostgreSQL tests skipped: they start their server on Linux only")
	return nil
}

type pgServer struct{}

func (*pgServer) freshSource(testing.TB) string { return "" }
