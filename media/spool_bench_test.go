package media_test

import (
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// BenchmarkSpoolWrite: one op is one 20 ms packet (960 frames at 48 kHz)
// written to a spool file on disk, flushes and write calls included, as a
// live take does, on a signal like speech (see speechLike).
func BenchmarkSpoolWrite(b *testing.B) {
	for _, channels := range []int{1, 2} {
		b.Run(map[int]string{1: "mono", 2: "stereo"}[channels], func(b *testing.B) {
			benchmarkSpoolWrite(b, channels)
		})
	}
}

func benchmarkSpoolWrite(b *testing.B, channels int) {
	const rate, frames = 48000, 960
	const packets = 500 // a 10 s take, then a new file: the disk is not filled
	stream := speechLike(rate, channels, packets*frames/rate)
	path := filepath.Join(b.TempDir(), "take.pcm")
	var spool *media.Spool
	b.SetBytes(int64(2 * frames * channels))
	b.ReportAllocs()
	defer reportCPU(b)()
	for i := 0; b.Loop(); i++ {
		k := i % packets
		if k == 0 {
			b.StopTimer()
			if spool != nil {
				if err := spool.Close(); err != nil {
					b.Fatal(err)
				}
			}
			var err error
			if spool, err = media.CreateSpool(path, rate, channels, &media.Stats{}); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		p := media.PCM{Samples: stream[k*frames*channels : (k+1)*frames*channels], SampleRate: rate, Channels: channels}
		if err := spool.Write(p); err != nil {
			b.Fatal(err)
		}
	}
	if err := spool.Close(); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAppendS16LE is the conversion alone: the stereo packets of the
// same stream, no I/O.
func BenchmarkAppendS16LE(b *testing.B) {
	stream := speechLike(48000, 2, 2)
	const packet = 960 * 2
	buf := make([]byte, 0, 2*packet)
	b.SetBytes(2 * packet)
	defer reportCPU(b)()
	for i := 0; b.Loop(); i++ {
		k := i % (len(stream) / packet)
		buf = media.AppendS16LE(buf[:0], stream[k*packet:(k+1)*packet])
	}
}

// reportCPU is media.ReportCPU, which the benchmarks inside the package
// use too.
var reportCPU = media.ReportCPU

// speechLike is seconds of a tone under noise, every other second only
// the faint noise of a pause: in a pause the sign of each sample is
// random, as a quiet microphone's is, which a conversion that branches on
// it pays for.
func speechLike(rate, channels, seconds int) []float32 {
	out := mediatest.Tone(440, rate, channels, float64(seconds), 0.5)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range out {
		noise := float32(rng.Float64()*0.2 - 0.1)
		if i/(rate*channels)%2 == 1 { // a pause
			out[i] = noise / 100
			continue
		}
		out[i] += noise
	}
	return out
}
