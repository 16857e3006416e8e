package guard

import (
	"time"

	"github.com/valyala/fasthttp"
)

// MinBodyRate is the slowest a request body may arrive, in bytes a
// second: 4 KiB/s (32 kbit/s), below the worst mobile link that can still
// record, far above a slowloris trickle.
const MinBodyRate = 4 << 10

// BodyTimeout returns the fasthttp Server.HeaderReceived hook that gives
// each request's body its own time to arrive: grace, plus a second for
// every MinBodyRate bytes its Content-Length declares (maxBody for a
// chunked body). The server's ReadTimeout then bounds the request line
// and headers only, so a slow client cannot hold a connection with a
// half-sent header, while an upload of maxBody on a slow phone still
// gets through. Requests without a body keep the header deadline.
func BodyTimeout(grace time.Duration, maxBody int64) func(*fasthttp.RequestHeader) fasthttp.RequestConfig {
	return func(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
		n := int64(h.ContentLength())
		switch {
		case n == -1: // chunked: as long as the largest body allowed
			n = maxBody
		case n <= 0:
			return fasthttp.RequestConfig{}
		case n > maxBody: // refused unread with 413
			return fasthttp.RequestConfig{}
		}
		return fasthttp.RequestConfig{ReadTimeout: grace + time.Duration(n)*time.Second/MinBodyRate}
	}
}
