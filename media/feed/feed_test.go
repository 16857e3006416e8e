package feed

import (
	"encoding/binary"
	"errors"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

// makeBatch returns batch index holding one frame per entry of frameLens
// (samples per channel), with distinct samples and features.
func makeBatch(index int64, frameLens []int, p media.Params) media.Batch {
	b := media.Batch{Index: index, FirstFrame: index * int64(p.BatchSize), BatchSize: p.BatchSize}
	for i, n := range frameLens {
		samples := make([]float32, n*p.Channels)
		for j := range samples {
			samples[j] = float32(math.Sin(float64(int(index)*7919+i*131+j) * 0.01))
		}
		b.Frames = append(b.Frames, media.Frame{
			Index: b.FirstFrame + int64(i), Samples: samples,
			SampleRate: p.SampleRate, Channels: p.Channels, FPS: p.FPS,
			Features: media.Features{RMS: float32(i) / 10, Peak: float32(i) / 5, Voice: i%2 == 1, Mouth: float32(i) / 3},
			Arrival:  time.Unix(0, 0),
		})
	}
	return b
}

// wantPCM is the int16 PCM a batch should travel as.
func wantPCM(b media.Batch) []int16 {
	var out []int16
	for _, f := range b.Frames {
		for _, s := range f.Samples {
			out = append(out, media.FloatToS16(s))
		}
	}
	return out
}

func TestEncodeDecode(t *testing.T) {
	tests := []struct {
		name      string
		p         media.Params
		frameLens []int
	}{
		{"Mono48k", media.Params{FPS: 30, BatchSize: 16, SampleRate: 48000, Channels: 1}, slices.Repeat([]int{1600}, 16)},
		{"Stereo44k", media.Params{FPS: 30, BatchSize: 16, SampleRate: 44100, Channels: 2}, []int{1470, 1470, 1470}},
		// 22050/60 = 367.5: frame lengths alternate.
		{"StereoVarying", media.Params{FPS: 60, BatchSize: 16, SampleRate: 22050, Channels: 2}, []int{367, 368, 367, 368, 367}},
		{"PartialBatch", media.Params{FPS: 30, BatchSize: 64, SampleRate: 8000, Channels: 1}, []int{266, 267, 267}},
		{"Empty", media.Params{FPS: 30, BatchSize: 64, SampleRate: 48000, Channels: 1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := makeBatch(3, tt.frameLens, tt.p)
			before := time.Now().UnixMilli()
			msg, err := Encode("sess-1", b, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			h, pcm, err := Decode(msg)
			if err != nil {
				t.Fatal(err)
			}
			if h.Version != 1 || h.SessionID != "sess-1" || h.Batch != 3 || h.FirstFrame != 3*int64(tt.p.BatchSize) ||
				h.Frames != len(tt.frameLens) || h.SampleRate != tt.p.SampleRate || h.Channels != tt.p.Channels ||
				h.FPS != tt.p.FPS || h.BatchSize != tt.p.BatchSize || h.Dropped != 0 {
				t.Errorf("header = %+v", h)
			}
			if h.SentAt < before || h.SentAt > time.Now().UnixMilli() {
				t.Errorf("sent_unix_ms = %d, not now", h.SentAt)
			}
			if !slices.Equal(h.FrameSamples, tt.frameLens) && len(tt.frameLens) > 0 {
				t.Errorf("frame_samples = %v, want %v", h.FrameSamples, tt.frameLens)
			}
			for i, f := range b.Frames {
				if h.Features[i] != f.Features {
					t.Errorf("features[%d] = %+v, want %+v", i, h.Features[i], f.Features)
				}
			}
			if want := wantPCM(b); !slices.Equal(pcm, want) {
				t.Errorf("PCM differs: %d samples, want %d", len(pcm), len(want))
			}
		})
	}
}

func TestEncodeClips(t *testing.T) {
	p := media.Params{FPS: 30, BatchSize: 16, SampleRate: 8000, Channels: 2}
	b := media.Batch{Frames: []media.Frame{{Samples: []float32{1.5, -2, 1, -1, 0, 0.5, float32(math.Inf(1)), float32(math.Inf(-1))}}}}
	msg, err := Encode("s", b, p)
	if err != nil {
		t.Fatal(err)
	}
	_, pcm, err := Decode(msg)
	if err != nil {
		t.Fatal(err)
	}
	want := []int16{32767, -32768, 32767, -32767, 0, 16384, 32767, -32768}
	if !slices.Equal(pcm, want) {
		t.Errorf("PCM = %v, want %v", pcm, want)
	}
}

func TestEncodeInvalid(t *testing.T) {
	p := media.Params{FPS: 30, BatchSize: 16, SampleRate: 48000, Channels: 2}
	tests := []struct {
		name string
		b    media.Batch
		p    media.Params
	}{
		{"OddSamples", media.Batch{Frames: []media.Frame{{Samples: make([]float32, 3)}}}, p},
		{"NoChannels", media.Batch{}, media.Params{SampleRate: 48000}},
		{"NoRate", media.Batch{}, media.Params{Channels: 1}},
		{"MixedRates", media.Batch{Frames: []media.Frame{{SampleRate: 48000}, {SampleRate: 16000}}}, p},
		{"MixedChannels", media.Batch{Frames: []media.Frame{{Channels: 2}, {Channels: 1, Samples: make([]float32, 2)}}}, p},
		{"FrameOddSamples", media.Batch{Frames: []media.Frame{{Channels: 2, Samples: make([]float32, 5)}}}, media.Params{}},
		{"HugeHeader", media.Batch{Frames: make([]media.Frame, 30_000)}, p},
		{"NaNFeature", media.Batch{Frames: []media.Frame{{Features: media.Features{RMS: float32(math.NaN())}}}}, p},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Encode("s", tt.b, tt.p); err == nil {
				t.Fatal("Encode succeeded")
			}
		})
	}
}

// The frames' own format wins over the session parameters, and fps may
// change inside a batch.
func TestEncodeFramesDescribeThemselves(t *testing.T) {
	b := media.Batch{Index: 2, FirstFrame: 40, Frames: []media.Frame{
		{Index: 40, SampleRate: 16000, Channels: 2, FPS: 25, Samples: make([]float32, 2*640)},
		{Index: 41, SampleRate: 16000, Channels: 2, FPS: 30, Samples: make([]float32, 2*533)},
	}}
	msg, err := Encode("s", b, media.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	h, pcm, err := Decode(msg)
	if err != nil {
		t.Fatal(err)
	}
	if h.SampleRate != 16000 || h.Channels != 2 || h.FPS != 25 || h.BatchSize != 64 ||
		!slices.Equal(h.FrameSamples, []int{640, 533}) || len(pcm) != 2*(640+533) {
		t.Errorf("header %+v with %d samples", h, len(pcm))
	}
}

// rawMessage assembles a message from a header string and PCM bytes.
func rawMessage(header string, pcm []byte) []byte {
	msg := binary.LittleEndian.AppendUint32(nil, uint32(len(header)))
	return append(append(msg, header...), pcm...)
}

func TestDecodeRejects(t *testing.T) {
	valid := `{"v":1,"session_id":"s","frames":2,"sample_rate":8000,"channels":2,"frame_samples":[1,2],"features":[{},{}]}`
	pcm := make([]byte, (1+2)*2*2)
	if _, _, err := Decode(rawMessage(valid, pcm)); err != nil {
		t.Fatalf("valid message refused: %v", err)
	}
	good, err := Encode("s", makeBatch(0, []int{10, 10}, media.DefaultParams()), media.DefaultParams())
	if err != nil {
		t.Fatal(err)
	}
	withLen := func(n uint32) []byte {
		m := slices.Clone(good)
		binary.LittleEndian.PutUint32(m, n)
		return m
	}
	tests := []struct {
		name string
		msg  []byte
	}{
		{"Nil", nil},
		{"Short", []byte{1, 0, 0}},
		{"PrefixOnly", []byte{2, 0, 0, 0}},
		{"HeaderBeyondMessage", withLen(uint32(len(good)))},
		{"HeaderLenHuge", withLen(math.MaxUint32)},
		{"HeaderLenZero", withLen(0)},
		{"HeaderCut", good[:20]},
		{"BadJSON", rawMessage(`{"v":1,`, pcm)},
		{"JSONArray", rawMessage(`[1,2]`, pcm)},
		{"WrongType", rawMessage(`{"v":"1"}`, pcm)},
		{"Version", rawMessage(`{"v":2,"frames":0,"sample_rate":8000,"channels":1}`, nil)},
		{"NoChannels", rawMessage(`{"v":1,"frames":0,"sample_rate":8000,"channels":0}`, nil)},
		{"NoRate", rawMessage(`{"v":1,"frames":0,"channels":1}`, nil)},
		{"PCMLonger", rawMessage(valid, append(slices.Clone(pcm), 0, 0))},
		{"PCMShorter", rawMessage(valid, pcm[:len(pcm)-2])},
		{"PCMOdd", rawMessage(valid, pcm[:len(pcm)-1])},
		{"PCMMono", rawMessage(valid, pcm[:len(pcm)/2])},
		{"PCMNoFrames", rawMessage(`{"v":1,"frames":0,"sample_rate":8000,"channels":1,"frame_samples":[],"features":[]}`, []byte{0, 0})},
		{"EncodedPCMCut", good[:len(good)-2]},
		{"FramesMismatch", rawMessage(`{"v":1,"frames":3,"sample_rate":8000,"channels":2,"frame_samples":[1,2],"features":[{},{},{}]}`, pcm)},
		{"FeaturesMismatch", rawMessage(`{"v":1,"frames":2,"sample_rate":8000,"channels":2,"frame_samples":[1,2],"features":[{}]}`, pcm)},
		{"NegativeFrame", rawMessage(`{"v":1,"frames":2,"sample_rate":8000,"channels":2,"frame_samples":[4,-1],"features":[{},{}]}`, pcm)},
		{"HugeFrame", rawMessage(`{"v":1,"frames":2,"sample_rate":8000,"channels":1,"frame_samples":[9223372036854775807,9223372036854775807],"features":[{},{}]}`, pcm)},
		{"HugeChannels", rawMessage(`{"v":1,"frames":1,"sample_rate":8000,"channels":9223372036854775807,"frame_samples":[2],"features":[{}]}`, pcm)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, samples, err := Decode(tt.msg)
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("err = %v, want ErrMalformed", err)
			}
			if h.Version != 0 || samples != nil {
				t.Errorf("returned %+v and %d samples along with the error", h, len(samples))
			}
		})
	}
}

func TestDecodeIgnoresUnknownFields(t *testing.T) {
	h, pcm, err := Decode(rawMessage(`{"v":1,"frames":1,"sample_rate":8000,"channels":1,"frame_samples":[1],"features":[{"mouth":0.5,"new":1}],"later":true}`, []byte{1, 0}))
	if err != nil {
		t.Fatal(err)
	}
	if h.Features[0].Mouth != 0.5 || !slices.Equal(pcm, []int16{1}) {
		t.Errorf("got %+v %v", h, pcm)
	}
}

func FuzzDecode(f *testing.F) {
	for _, p := range []media.Params{
		{FPS: 30, BatchSize: 16, SampleRate: 48000, Channels: 1},
		{FPS: 60, BatchSize: 16, SampleRate: 22050, Channels: 2},
	} {
		msg, err := Encode("seed", makeBatch(1, []int{5, 6, 5}, p), p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(msg)
	}
	f.Add(rawMessage(`{"v":1,"frames":0,"sample_rate":8000,"channels":1}`, nil))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, msg []byte) {
		h, pcm, err := Decode(msg)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		perChannel := 0
		for _, n := range h.FrameSamples {
			perChannel += n
		}
		if len(pcm) != perChannel*h.Channels || len(h.FrameSamples) != h.Frames || len(h.Features) != h.Frames {
			t.Fatalf("accepted inconsistent message: %+v with %d samples", h, len(pcm))
		}
		// What Decode accepts, Encode reproduces.
		b := media.Batch{Index: h.Batch, FirstFrame: h.FirstFrame, BatchSize: h.BatchSize}
		rest := pcm
		for i, n := range h.FrameSamples {
			fr := media.Frame{Features: h.Features[i], Samples: make([]float32, n*h.Channels)}
			for j := range fr.Samples {
				fr.Samples[j] = float32(rest[j]) / 32767
			}
			rest = rest[n*h.Channels:]
			b.Frames = append(b.Frames, fr)
		}
		p := media.Params{FPS: h.FPS, BatchSize: h.BatchSize, SampleRate: h.SampleRate, Channels: h.Channels}
		again, err := Encode(h.SessionID, b, p)
		if err != nil {
			t.Fatalf("Encode of a decoded message: %v", err)
		}
		h2, pcm2, err := Decode(again)
		if err != nil {
			t.Fatalf("Decode of re-encoded message: %v", err)
		}
		h2.SentAt, h2.Dropped = h.SentAt, h.Dropped
		if !headersEqual(h, h2) || !slices.Equal(pcm, pcm2) {
			t.Fatalf("round trip changed the message:\n%+v\n%+v", h, h2)
		}
	})
}

// headersEqual compares headers, treating nil and empty slices alike.
func headersEqual(a, b Header) bool {
	for _, h := range []*Header{&a, &b} {
		if len(h.FrameSamples) == 0 {
			h.FrameSamples = nil
		}
		if len(h.Features) == 0 {
			h.Features = nil
		}
	}
	return reflect.DeepEqual(a, b)
}
