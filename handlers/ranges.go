package handlers

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/media/store"
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

// serveRange answers an open recording's audio, honouring Range. The
// recording is closed when the response body has been sent.
func serveRange(c *fiber.Ctx, rec *store.Recording, mime string) error {
	c.Set(fiber.HeaderAcceptRanges, "bytes")
	c.Set(fiber.HeaderLastModified, rec.ModTime.UTC().Format(http.TimeFormat))
	c.Type(strings.TrimPrefix(mime, "audio/")) // fiber maps the extension back
	c.Set(fiber.HeaderContentType, mime)
	r, ok, err := parseRange(c.Get(fiber.HeaderRange), rec.Size)
	if errors.Is(err, errUnsatisfiable) {
		rec.Close()
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes */%d", rec.Size))
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8) // the body is the status text, not audio
		return c.SendStatus(fiber.StatusRequestedRangeNotSatisfiable)
	}
	if !ok {
		r = byteRange{0, rec.Size - 1}
	} else {
		c.Status(fiber.StatusPartialContent)
		c.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", r.start, r.end, rec.Size))
	}
	if _, err := rec.Audio.Seek(r.start, io.SeekStart); err != nil {
		rec.Close()
		return fmt.Errorf("seek audio of %q: %w", rec.Filename, err)
	}
	n := r.end - r.start + 1
	return c.SendStream(readCloser{io.LimitReader(rec.Audio, n), rec}, int(n))
}

// readCloser lets fasthttp close the recording after streaming it.
type readCloser struct {
	io.Reader
	io.Closer
}
