package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/media"
)

// listRows is how many recordings the list benchmarks index.
const listRows = 100_000

// fillIndex inserts n recordings with waveforms, one second apart.
func fillIndex(tb testing.TB, d *db.DB, n int) {
	tb.Helper()
	ctx := context.Background()
	peaks := make([]byte, 64)
	for i := range peaks {
		peaks[i] = byte(i * 4)
	}
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		r := &media.Recording{
			Filename:  fmt.Sprintf("recording_%s_%d.json", start.Add(time.Duration(i)*time.Second).Format("20060102_150405"), i),
			CreatedAt: start.Add(time.Duration(i) * time.Second),
			Duration:  3, SampleRate: 48000, Channels: 1, FPS: 30, BatchSize: 64,
			Mode: "webrtc", MIME: "audio/wav", Bytes: 288044, Peaks: peaks, Waveform: media.WaveformPath(peaks),
		}
		if err := d.InsertRecording(ctx, r); err != nil {
			tb.Fatal(err)
		}
	}
}

// deepURL is the page link to the last twenty recordings.
func deepURL(b *testing.B, ta *testApp) string {
	recs, err := ta.db.ListRecordings(context.Background(), 1, listRows-21)
	if err != nil || len(recs) != 1 {
		b.Fatal(err)
	}
	c := media.CursorOf(recs[0])
	return fmt.Sprintf("/?after=%d_%d", c.CreatedAt.UnixMilli(), c.ID)
}

// BenchmarkRecordingsPage times GET / (the first page of the list) and a
// page deep in the list, with 100 000 recordings indexed; p99 is the
// 99th percentile of the per-request times.
func BenchmarkRecordingsPage(b *testing.B) {
	ta := buildTestApp(b, &fakeSessions{}, slog.New(slog.DiscardHandler))
	fillIndex(b, ta.db, listRows)
	for _, tc := range []struct{ name, url string }{{"first", "/"}, {"deep", deepURL(b, ta)}} {
		b.Run(tc.name, func(b *testing.B) {
			var times []time.Duration
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, tc.url, nil)
				req.Host = "localhost"
				t0 := time.Now()
				res, err := ta.app.Test(req, -1)
				times = append(times, time.Since(t0))
				if err != nil || res.StatusCode != http.StatusOK {
					b.Fatalf("GET %s: %v %v", tc.url, err, res.Status)
				}
				res.Body.Close()
			}
			slices.Sort(times)
			b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}
