package media_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/avatarweb/recorder/media"
)

// refFloatToS16 is FloatToS16 as it was before its sign became a Copysign
// instead of a branch: the conversion's bytes must not change.
func refFloatToS16(s float32) int16 {
	v := float64(s) * 32767
	switch {
	case v >= math.MaxInt16:
		return math.MaxInt16
	case v <= math.MinInt16:
		return math.MinInt16
	case v >= 0:
		return int16(v + 0.5)
	case v < 0:
		return int16(v - 0.5)
	}
	return 0
}

func refAppendS16LE(dst []byte, samples []float32) []byte {
	for _, s := range samples {
		v := uint16(refFloatToS16(s))
		dst = append(dst, byte(v), byte(v>>8))
	}
	return dst
}

// edgeSamples are the values a conversion gets wrong first: zeros of both
// signs, the halfway points between two outputs and their neighbours, the
// clipping edges, infinities, NaNs with any payload and sign, subnormals.
func edgeSamples() []float32 {
	out := []float32{
		0, float32(math.Copysign(0, -1)), 1, -1, 2, -2, 1.00001, -1.00001,
		float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN()),
		math.Float32frombits(0x7fc00001), math.Float32frombits(0xffc00000), math.Float32frombits(0x7f800001),
		math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
		32767.0 / 32767, -32768.0 / 32767, 32766.5 / 32767, -32767.5 / 32767, -32768.5 / 32767,
	}
	for k := -32769; k <= 32768; k++ {
		half := float32((float64(k) + 0.5) / 32767)
		out = append(out, half, math.Nextafter32(half, 3), math.Nextafter32(half, -3))
	}
	return out
}

// TestFloatToS16SameAsBefore: every edge value and millions of random
// ones (random bit patterns: every exponent, NaNs and infinities too; and
// random audio levels) convert to the same int16, and so the same bytes,
// as before.
func TestFloatToS16SameAsBefore(t *testing.T) {
	samples := edgeSamples()
	rng := rand.New(rand.NewPCG(7, 8))
	for range 2_000_000 {
		samples = append(samples, math.Float32frombits(rng.Uint32()), float32(rng.Float64()*2.4-1.2))
	}
	for _, s := range samples {
		if got, want := media.FloatToS16(s), refFloatToS16(s); got != want {
			t.Fatalf("FloatToS16(%v, bits %#08x) = %d, was %d", s, math.Float32bits(s), got, want)
		}
	}
	prefix := []byte{1, 2, 3}
	got := media.AppendS16LE(bytes.Clone(prefix), samples)
	if want := refAppendS16LE(bytes.Clone(prefix), samples); !bytes.Equal(got, want) {
		t.Fatal("AppendS16LE's bytes differ from before")
	}
}

// TestSpoolBytesSameAsBefore: blocks of every size, larger than the
// spool's buffer and empty ones too, so that blocks are split across
// flushes at every offset, reach the file as exactly the bytes the old
// conversion made of the whole stream.
func TestSpoolBytesSameAsBefore(t *testing.T) {
	for _, channels := range []int{1, 2} {
		path := filepath.Join(t.TempDir(), "take.pcm")
		spool, err := media.CreateSpool(path, 48000, channels, &media.Stats{})
		if err != nil {
			t.Fatal(err)
		}
		rng := rand.New(rand.NewPCG(9, uint64(channels)))
		var all []float32
		for range 300 {
			block := make([]float32, rng.IntN(12_000)*channels)
			for i := range block {
				block[i] = float32(rng.NormFloat64() * 0.4)
			}
			if rng.IntN(50) == 0 {
				block = append(block, edgeSamples()[:20*channels]...)
			}
			all = append(all, block...)
			if err := spool.Write(media.PCM{Samples: block, SampleRate: 48000, Channels: channels}); err != nil {
				t.Fatal(err)
			}
		}
		if err := spool.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if want := refAppendS16LE(nil, all); !bytes.Equal(got, want) || spool.Bytes() != int64(len(want)) {
			t.Errorf("%d channels: spool holds %d bytes (Bytes %d), want the old conversion's %d, same bytes",
				channels, len(got), spool.Bytes(), len(want))
		}
	}
}
