package main

import (
	"context"
	"fmt"
	"os"
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
