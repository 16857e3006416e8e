//go:build !unix

package pgtest

import (
	"errors"
	"testing"
)

// Server is a running throwaway PostgreSQL cluster; there is none here.
type Server struct{}

// Start fails: the server is started on Unix only.
func Start() (*Server, error) {
	return nil, errors.New("the test PostgreSQL server runs on Unix only")
}

// Stop does nothing.
func (*Server) Stop() {}

// FreshURL is never reached: Start fails.
func (*Server) FreshURL(testing.TB) string { return "" }

// Down does nothing.
func (*Server) Down() {}

// Up is never reached: Start fails.
func (*Server) Up() error { return errors.New("the test PostgreSQL server runs on Unix only") }
