package library_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/s3store/s3test"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/mediatest"
)

// BenchmarkSaveHourTake saves a one-hour 48 kHz mono WebRTC take (a
// 345 MB spool → a 460 MB base64 JSON file, plus its waveform) and
// reports the heap's peak above what it was before the save, and the
// throughput. The goal is under 64 MiB extra, whatever the take's length.
//
//	go test -run XXX -bench SaveHourTake -benchtime 1x ./media/library/
func BenchmarkSaveHourTake(b *testing.B) {
	lib, _, sessions, _ := setup(b)
	saveHourTake(b, lib, sessions)
}

// BenchmarkSaveHourTakeS3 is BenchmarkSaveHourTake into a bucket of a real
// S3-compatible server (versitygw, on this machine): a multipart upload
// of 8 MiB parts.
//
//	go test -run XXX -bench SaveHourTakeS3 -benchtime 1x ./media/library/
func BenchmarkSaveHourTakeS3(b *testing.B) {
	gw := s3test.Start(b)
	lib, _, sessions, _ := setup(b)
	lib.Store = gw.NewStore(b, lib.Now)
	saveHourTake(b, lib, sessions)
}

func saveHourTake(b *testing.B, lib *library.Library, sessions *fakeSessions) {
	dir := b.TempDir()
	const seconds = 3600
	path := filepath.Join(dir, "hour.pcm")
	writeToneSpool(b, path, seconds)
	p := media.DefaultParams()
	pcmBytes := int64(seconds * media.OpusRate * 2)
	sessions.take = media.Take{SessionID: "session_x", SpoolPath: path, SampleRate: 48000, Channels: 1, Params: p, PCMBytes: pcmBytes}

	b.SetBytes(pcmBytes)
	var peakMiB float64
	for b.Loop() {
		var rec *media.Recording
		extra, err := heapPeakAbove(func() (err error) {
			rec, err = lib.SaveSession(context.Background(), "session_x", 0, "")
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		peakMiB = max(peakMiB, extra)
		if err := lib.Delete(context.Background(), rec.Filename); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(peakMiB, "peak_extra_MiB")
}

// heapPeakAbove runs fn and returns the heap's peak while it ran above
// what it was before, in MiB.
func heapPeakAbove(fn func() error) (float64, error) {
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	done := make(chan struct{})
	go sampleHeap(&peak, done)
	err := fn()
	close(done)
	return float64(peak.Load()-min(peak.Load(), before.HeapInuse)) / (1 << 20), err
}

// sampleHeap records the largest HeapInuse seen until done closes.
func sampleHeap(peak *atomic.Uint64, done <-chan struct{}) {
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapInuse > peak.Load() {
			peak.Store(m.HeapInuse)
		}
		select {
		case <-done:
			return
		case <-tick.C:
		}
	}
}

// writeToneSpool writes seconds of a 440 Hz tone as a 48 kHz mono spool,
// one second at a time.
func writeToneSpool(b *testing.B, path string, seconds int) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	second := media.AppendS16LE(nil, mediatest.Tone(440, 48000, 1, 1, 0.5))
	for range seconds {
		if _, err := w.Write(second); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkReconcile reconciles a library of 200 one-minute WAV takes
// (1.9 MB recording files), each given the cheap check for damage at
// every start; it reports the time per recording (page cache warm).
//
//	go test -run XXX -bench Reconcile ./media/library/
func BenchmarkReconcile(b *testing.B) {
	lib, database, _, recDir := setup(b)
	ctx := context.Background()
	pcm := media.AppendS16LE(nil, mediatest.Tone(440, 16000, 1, 60, 0.5))
	wav := append(media.WAVHeader(16000, 1, int64(len(pcm))), pcm...)
	const n = 200
	for i := range n {
		lib.Now = func() time.Time { return time.Date(2025, 1, 1, 0, 0, i, 0, time.UTC) }
		if _, err := lib.SaveAudio(ctx, wav, "", 60, media.DefaultParams(), ""); err != nil {
			b.Fatal(err)
		}
	}
	if entries, _ := os.ReadDir(recDir); len(entries) != n {
		b.Fatalf("%d files", len(entries))
	}
	for b.Loop() {
		if err := lib.Reconcile(ctx, database); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*n), "µs/recording")
}
