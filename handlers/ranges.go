package handlers

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// errUnsatisfiable is a Range that lies wholly past the end.
var errUnsatisfiable = errors.New("range not satisfiable")

// byteRange is an inclusive span of bytes.
type byteRange struct{ start, end int64 }

// parseRange reads a single-range "bytes=" header against a body of size
// bytes. ok is false when the header is absent, malformed or asks for
// several ranges: RFC 9110 lets a server answer those with the whole body.
func parseRange(header string, size int64) (r byteRange, ok bool, err error) {
	spec, found := strings.CutPrefix(header, "bytes=")
	if !found || strings.Contains(spec, ",") {
		return r, false, nil
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return r, false, nil
	}
	switch {
	case first == "": // suffix: the last n bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return r, false, nil
		}
		if n == 0 || size == 0 {
			return r, false, errUnsatisfiable
		}
		return byteRange{max(0, size-n), size - 1}, true, nil
	default:
		start, err := strconv.ParseInt(first, 10, 64)
		if err != nil || start < 0 {
			return r, false, nil
		}
		end := size - 1
		if last != "" {
			if end, err = strconv.ParseInt(last, 10, 64); err != nil || end < start {
				return r, false, nil
			}
		}
		if start >= size {
			return r, false, errUnsatisfiable
		}
		return byteRange{start, min(end, size-1)}, true, nil
	}
}

// serveRange answers size bytes of audio, honouring Range. closer is
// closed when the response body has been sent (or on an early error).
func serveRange(c *fiber.Ctx, audio io.ReadSeeker, closer io.Closer, size int64, modTime time.Time, mime string) error {
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderLastModified, modTime.UTC().Format(http.TimeFormat))
	r, ok, err := parseRange(c.Get(fiber.HeaderRange), size)
	if errors.Is(err, errUnsatisfiable) {
		closer.Close()
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes */%d", size))
		c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
		return c.SendStatus(fiber.StatusRequestedRangeNotSatisfiable)
	}
	c.Set(fiber.HeaderContentType, mime)
	if !ok {
		r = byteRange{0, size - 1}
	} else {
		c.Status(fiber.StatusPartialContent)
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", r.start, r.end, size))
	}
	if _, err := audio.Seek(r.start, io.SeekStart); err != nil {
		closer.Close()
		return fmt.Errorf("seek audio: %w", err)
	}
	n := r.end - r.start + 1
	return sendStream(c, io.LimitReader(audio, n), closer, n)
}
