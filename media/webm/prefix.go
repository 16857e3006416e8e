package webm

import (
	"errors"
	"io"
)

// CompletePrefix returns how many leading bytes of a WebM file cut short
// (a recorder stopped by a closed tab, a crash) form a whole file: up to
// the end of the last element read whole, inside unknown-size Clusters
// (what browsers' MediaRecorder writes). For a file that is not truncated
// it returns size; for one that cannot be cut to a whole file (the cut is
// in the headers, or inside a known-size Cluster) it returns the error.
func CompletePrefix(r io.ReaderAt, size int64) (int64, error) {
	w := newWalker(r, size)
	err := w.walk()
	if err == nil {
		return size, nil
	}
	if !errors.Is(err, ErrTruncated) || w.complete == 0 {
		return 0, err
	}
	if _, err := Probe(io.NewSectionReader(r, 0, w.complete), w.complete); err != nil {
		return 0, err
	}
	return w.complete, nil
}
