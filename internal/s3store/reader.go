package s3store

import (
	"context"
	"fmt"
	"io"
	"sync"

	"github.com/minio/minio-go/v7"
)

const (
	// firstWindow is how much a ranged GET asks for after a seek: a
	// Range request for a few seconds of audio fetches little more.
	firstWindow = 256 << 10
	// maxWindow is where the window stops doubling while reading on.
	maxWindow = 8 << 20
)

// objectReader is an io.ReaderAt over one object, by ranged GETs. It keeps
// the body of the last GET open: a read where the last one ended goes on
// reading it, and each further GET of a sequential read asks for twice as
// much, up to maxWindow; a read elsewhere starts a new small one. Every
// GET carries the object's ETag, so an object replaced meanwhile fails the
// read instead of mixing two recordings.
type objectReader struct {
	s    *Store
	ctx  context.Context
	key  string
	etag string
	size int64

	mu     sync.Mutex
	body   io.ReadCloser // bytes [pos, end) of the object, or nil
	pos    int64
	end    int64
	window int64
	closed bool
}

// ReadAt reads len(p) bytes at off, or up to the end with io.EOF.
func (r *objectReader) ReadAt(p []byte, off int64) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, fmt.Errorf("s3store: read %s: closed", r.key)
	}
	if off < 0 {
		return 0, fmt.Errorf("s3store: read %s: negative offset", r.key)
	}
	n := 0
	for n < len(p) {
		if off >= r.size {
			return n, io.EOF
		}
		if r.body == nil || off != r.pos {
			if err := r.get(off, int64(len(p)-n)); err != nil {
				return n, err
			}
		}
		want := min(int64(len(p)-n), r.end-r.pos)
		k, err := io.ReadFull(r.body, p[n:n+int(want)])
		n, off, r.pos = n+k, off+int64(k), r.pos+int64(k)
		if err != nil {
			r.drop()
			return n, fmt.Errorf("s3store: read %s at %d: %w", r.key, off, err)
		}
		if r.pos == r.end {
			r.drop()
		}
	}
	return n, nil
}

// get opens a ranged GET at off for at least need bytes.
func (r *objectReader) get(off, need int64) error {
	sequential := off == r.pos && r.window > 0
	r.drop()
	if sequential {
		r.window = min(2*max(r.window, firstWindow), maxWindow)
	} else {
		r.window = firstWindow
	}
	end := min(r.size, off+max(need, r.window))
	var opts minio.GetObjectOptions
	if err := opts.SetRange(off, end-1); err != nil {
		return fmt.Errorf("s3store: read %s at %d: %w", r.key, off, err)
	}
	if r.etag != "" {
		opts.SetMatchETag(r.etag)
	}
	body, info, _, err := r.s.client.GetObject(r.ctx, r.s.bucket, r.key, opts)
	if err != nil {
		return fmt.Errorf("s3store: read %s at %d: %w", r.key, off, err)
	}
	if info.Size != end-off {
		body.Close()
		return fmt.Errorf("s3store: read %s: asked for %d bytes at %d, got %d", r.key, end-off, off, info.Size)
	}
	r.body, r.pos, r.end = body, off, end
	return nil
}

// drop closes the open body, if any.
func (r *objectReader) drop() {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
}

// Close ends reading.
func (r *objectReader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.drop()
	r.closed = true
	return nil
}
