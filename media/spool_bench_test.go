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
// live take does. The signal is a tone under noise, so the sign of a
// sample is no easier to guess than in speech.
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
	stream := mediatest.Tone(440, rate, channels, packets*frames/float64(rate), 0.5)
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range stream {
		stream[i] += float32(rng.Float64()*0.2 - 0.1)
	}
	path := filepath.Join(b.TempDir(), "take.pcm")
	var spool *media.Spool
	b.SetBytes(int64(2 * frames * channels))
	b.ReportAllocs()
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
