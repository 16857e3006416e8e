package aac

import (
	"bytes"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media/mp4"
)

// BenchmarkDecodeHour decodes an hour of AAC-LC through one decoder, the
// frames of a real take cycled: WebKitGTK's 44.1 kHz mono take, and
// ffmpeg's 48 kHz stereo file (M/S, intensity, PNS, short windows). It
// reports the CPU per second of audio, what it allocated, and the live
// heap the decoder holds (HeapAlloc after a GC, the decoder alive).
//
//	go test -run XXX -bench DecodeHour -benchtime 1x ./media/aac/
func BenchmarkDecodeHour(b *testing.B) {
	for _, c := range []struct{ name, file string }{
		{"webkit-44k-mono", "../mp4/testdata/webkitgtk-2.50-mediarecorder.mp4"},
		{"ffmpeg-48k-stereo", "testdata/stereo-48k.m4a"},
	} {
		b.Run(c.name, func(b *testing.B) {
			raw, err := os.ReadFile(c.file)
			if err != nil {
				b.Fatal(err)
			}
			tr, err := mp4.ReadTrack(bytes.NewReader(raw), int64(len(raw)))
			if err != nil {
				b.Fatal(err)
			}
			var frames [][]byte
			tr.EachSample(func(p []byte) error {
				frames = append(frames, bytes.Clone(p))
				return nil
			})
			cfg, err := ParseConfig(tr.DecoderConfig)
			if err != nil {
				b.Fatal(err)
			}
			hour := 3600 * cfg.SampleRate / FrameSamples
			out := make([]float32, FrameSamples*cfg.Channels)
			var before, after runtime.MemStats
			b.ResetTimer()
			for range b.N {
				runtime.GC()
				runtime.ReadMemStats(&before)
				start := time.Now()
				d, err := NewDecoder(cfg)
				if err != nil {
					b.Fatal(err)
				}
				for i := range hour {
					if _, err := d.Decode(frames[i%len(frames)], out); err != nil {
						b.Fatal(err)
					}
				}
				elapsed := time.Since(start)
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(elapsed.Microseconds())/3600/1000, "ms/audio-s")
				b.ReportMetric(elapsed.Seconds(), "s/hour")
				b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "MiB-allocated/hour")
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<10), "KiB-heap-held")
				runtime.KeepAlive(d)
			}
		})
	}
}

// BenchmarkIMDCT is one long-window inverse MDCT, most of a frame's cost.
func BenchmarkIMDCT(b *testing.B) {
	t := newIMDCT(2048, 1)
	x, y := make([]float64, 1024), make([]float64, 2048)
	for i := range x {
		x[i] = float64(i%7) - 3
	}
	for b.Loop() {
		t.transform(x, y)
	}
}
