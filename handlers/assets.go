package handlers

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/assets"
)

// serveAssets answers /assets/v/VERSION/NAME and /assets/NAME from the
// embedded catalog. Versioned URLs (what the page links) are cached for
// good; plain ones are revalidated by ETag on every use. Compressible
// files go compressed to clients that accept it: brotli, else gzip.
func serveAssets(cat *assets.Catalog, started time.Time) fiber.Handler {
	lastModified := started.UTC().Format(time.RFC1123)
	lastModified = strings.Replace(lastModified, "UTC", "GMT", 1)
	return func(c *fiber.Ctx) error {
		name := c.Params("*")
		immutable := false
		if rest, ok := strings.CutPrefix(name, "v/"); ok {
			version, file, _ := strings.Cut(rest, "/")
			// An old page asking for an old version gets today's file, but
			// only for this once: it must not be cached as that version.
			name, immutable = file, version == cat.Version
		}
		f := cat.Lookup(name)
		if f == nil {
			if cat.IsDir(name) {
				return fiber.ErrForbidden
			}
			return fiber.ErrNotFound
		}
		h := &c.Response().Header
		h.Set(fiber.HeaderETag, f.ETag)
		h.Set(fiber.HeaderLastModified, lastModified)
		h.Set(fiber.HeaderVary, fiber.HeaderAcceptEncoding)
		if immutable {
			h.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
		} else {
			h.Set(fiber.HeaderCacheControl, "no-cache")
		}
		h.Set(fiber.HeaderContentType, f.Type)
		if fresh(c, f.ETag) {
			return c.SendStatus(fiber.StatusNotModified)
		}
		accept := c.Get(fiber.HeaderAcceptEncoding)
		if accepts(accept, "br") {
			if br := f.Brotli(); br != nil {
				h.Set(fiber.HeaderContentEncoding, "br")
				return c.Send(br)
			}
		}
		if f.Gzip != nil && accepts(accept, "gzip") {
			h.Set(fiber.HeaderContentEncoding, "gzip")
			return c.Send(f.Gzip)
		}
		return c.Send(f.Body)
	}
}

// fresh reports whether the client's copy, named by If-None-Match, is
// current.
func fresh(c *fiber.Ctx, etag string) bool {
	for tag := range strings.SplitSeq(c.Get(fiber.HeaderIfNoneMatch), ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == etag || tag == "*" {
			return true
		}
	}
	return false
}

// accepts reads Accept-Encoding for coding with a non-zero q.
func accepts(header, coding string) bool {
	for part := range strings.SplitSeq(header, ",") {
		c, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if c = strings.TrimSpace(c); strings.EqualFold(c, coding) || c == "*" {
			q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}
