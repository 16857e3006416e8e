package guard

import (
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

func TestBodyTimeout(t *testing.T) {
	hook := BodyTimeout(10*time.Second, 16<<20)
	for _, tc := range []struct {
		name   string
		header func(*fasthttp.RequestHeader)
		want   time.Duration
	}{
		{"no body", func(h *fasthttp.RequestHeader) { h.SetMethod("GET") }, 0},
		{"empty body", func(h *fasthttp.RequestHeader) { h.SetContentLength(0) }, 0},
		{"4 KiB", func(h *fasthttp.RequestHeader) { h.SetContentLength(4 << 10) }, 11 * time.Second},
		{"16 MiB", func(h *fasthttp.RequestHeader) { h.SetContentLength(16 << 20) }, (10 + 4096) * time.Second},
		{"chunked", func(h *fasthttp.RequestHeader) { h.SetContentLength(-1) }, (10 + 4096) * time.Second},
		{"over the limit", func(h *fasthttp.RequestHeader) { h.SetContentLength(16<<20 + 1) }, 0},
	} {
		var h fasthttp.RequestHeader
		tc.header(&h)
		if got := hook(&h); got.ReadTimeout != tc.want || got.WriteTimeout != 0 || got.MaxRequestBodySize != 0 {
			t.Errorf("%s: %+v, want ReadTimeout %v only", tc.name, got, tc.want)
		}
	}
}
