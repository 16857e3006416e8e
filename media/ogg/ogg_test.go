package ogg_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media/ogg"
)

// Fixtures, made with sox and opusenc (opus-tools 0.2, libopus 1.3.1):
//
//	sox -n -r 48000 -c 1 -b 16 tone.wav synth 1.5 sine 440 vol 0.5
//	opusenc --bitrate 24 tone.wav tone-440hz-mono.opus
//	sox -n -r 44100 -c 2 -b 16 st.wav synth 0.7 sine 440 sine 660 vol 0.5
//	opusenc --bitrate 32 st.wav stereo-44100-0.7s.opus
func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestProbe(t *testing.T) {
	for _, tc := range []struct {
		file      string
		channels  int
		inputRate int
		duration  time.Duration
	}{
		{"tone-440hz-mono.opus", 1, 48000, 1500 * time.Millisecond},
		{"stereo-44100-0.7s.opus", 2, 44100, 700 * time.Millisecond},
	} {
		t.Run(tc.file, func(t *testing.T) {
			info, err := ogg.Probe(bytes.NewReader(read(t, tc.file)))
			if err != nil {
				t.Fatal(err)
			}
			if info.Channels != tc.channels || info.InputRate != tc.inputRate || info.PreSkip != 312 ||
				info.Duration != tc.duration || info.Granule != int64(tc.duration/time.Microsecond)*48/1000+312 {
				t.Errorf("info %+v", info)
			}
			// One packet per 20 ms, the pre-skip included.
			if want := int((info.Granule + 959) / 960); info.Packets != want {
				t.Errorf("%d packets, want %d", info.Packets, want)
			}
		})
	}
}

func TestPackets(t *testing.T) {
	raw := read(t, "tone-440hz-mono.opus")
	info, err := ogg.Probe(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	n, last := 0, int64(0)
	err = ogg.Packets(bytes.NewReader(raw), func(granule int64, packet []byte) error {
		n++
		if granule < last {
			t.Errorf("granule %d after %d", granule, last)
		}
		last = granule
		// A mono 20 ms CELT or SILK frame: TOC config with frame size
		// code 3 (20 ms), code 0 (one frame), mono.
		if toc := packet[0]; toc&0x04 != 0 || toc&0x03 != 0 {
			t.Errorf("packet %d: TOC %08b, want one mono frame", n, toc)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n != info.Packets || last != info.Granule {
		t.Errorf("%d packets ending at %d, Probe says %d ending at %d", n, last, info.Packets, info.Granule)
	}
	stop := errors.New("stop")
	if err := ogg.Packets(bytes.NewReader(raw), func(int64, []byte) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("fn's error: got %v", err)
	}
}

// page builds one Ogg page holding packets whole (each under 255*255
// bytes), with a correct CRC.
func page(flags byte, granule int64, serial, seq uint32, packets ...[]byte) []byte {
	var lacing, body []byte
	for _, p := range packets {
		n := len(p)
		for ; n >= 255; n -= 255 {
			lacing = append(lacing, 255)
		}
		lacing = append(lacing, byte(n))
		body = append(body, p...)
	}
	h := []byte("OggS\x00")
	h = append(h, flags)
	h = binary.LittleEndian.AppendUint64(h, uint64(granule))
	h = binary.LittleEndian.AppendUint32(h, serial)
	h = binary.LittleEndian.AppendUint32(h, seq)
	h = append(h, 0, 0, 0, 0, byte(len(lacing)))
	h = append(h, lacing...)
	h = append(h, body...)
	binary.LittleEndian.PutUint32(h[22:26], oggCRC(h))
	return h
}

func oggCRC(b []byte) uint32 {
	var crc uint32
	for _, c := range b {
		crc ^= uint32(c) << 24
		for range 8 {
			if crc&0x80000000 != 0 {
				crc = crc<<1 ^ 0x04c11db7
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

func opusHead(channels byte, preSkip uint16) []byte {
	h := []byte("OpusHead\x01")
	h = append(h, channels)
	h = binary.LittleEndian.AppendUint16(h, preSkip)
	h = binary.LittleEndian.AppendUint32(h, 48000)
	return append(h, 0, 0, 0)
}

// TestProbeBuilt: the test's page writer agrees with the reader, so the
// error cases below fail for the reason they name.
func TestProbeBuilt(t *testing.T) {
	frame := []byte{0xF8, 1, 2, 3} // CELT FB 20 ms, mono, one frame
	frames := make([][]byte, 49)
	for i := range frames {
		frames[i] = frame
	}
	var f []byte
	f = append(f, page(0x02, 0, 7, 0, opusHead(1, 312))...)
	f = append(f, page(0, 0, 7, 1, []byte("OpusTags\x00\x00\x00\x00\x00\x00\x00\x00"))...)
	f = append(f, page(0x04, 312+960*49, 7, 2, frames...)...)
	info, err := ogg.Probe(bytes.NewReader(f))
	if err != nil || info.Duration != 980*time.Millisecond || info.Packets != 49 || info.Pages != 3 {
		t.Fatalf("%+v, %v", info, err)
	}
}

func TestProbeRefuses(t *testing.T) {
	raw := read(t, "tone-440hz-mono.opus")
	flipped := bytes.Clone(raw)
	flipped[len(flipped)/2] ^= 0x40
	tags := []byte("OpusTags\x00\x00\x00\x00\x00\x00\x00\x00")
	vorbis := append(page(0x02, 0, 1, 0, []byte("\x01vorbis0123456789012345678901")), page(0x04, 0, 1, 1, []byte("x"))...)
	noTags := append(page(0x02, 0, 9, 0, opusHead(1, 312)), page(0x04, 960, 9, 1, []byte{0xF8})...)
	gap := append(append(page(0x02, 0, 9, 0, opusHead(1, 312)), page(0, 0, 9, 1, tags)...), page(0x04, 960, 9, 3, []byte{0xF8})...)
	back := append(append(append(page(0x02, 0, 9, 0, opusHead(1, 312)), page(0, 0, 9, 1, tags)...),
		page(0, 9600, 9, 2, []byte{0xF8})...), page(0x04, 960, 9, 3, []byte{0xF8})...)
	threeCh := append(append(page(0x02, 0, 9, 0, opusHead(3, 312)), page(0, 0, 9, 1, tags)...), page(0x04, 960, 9, 2, []byte{0xF8})...)
	afterEOS := append(append(append(page(0x02, 0, 9, 0, opusHead(1, 312)), page(0, 0, 9, 1, tags)...),
		page(0x04, 960, 9, 2, []byte{0xF8})...), page(0, 1920, 9, 3, []byte{0xF8})...)
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ogg.ErrNotOgg},
		{"junk", bytes.Repeat([]byte{0x5a}, 4000), ogg.ErrNotOgg},
		{"capture pattern then junk", append([]byte("OggS"), bytes.Repeat([]byte{0x5a}, 4000)...), ogg.ErrNotOgg},
		{"truncated", raw[:len(raw)-100], ogg.ErrNotOgg},
		{"trailing junk", append(bytes.Clone(raw), "junk"...), ogg.ErrNotOgg},
		{"bad CRC", flipped, ogg.ErrNotOgg},
		{"vorbis", vorbis, ogg.ErrNotOpus},
		{"no OpusTags", noTags, ogg.ErrNotOpus},
		{"missing page", gap, ogg.ErrNotOgg},
		{"granule goes back", back, ogg.ErrNotOgg},
		{"3 channels in family 0", threeCh, ogg.ErrNotOpus},
		{"page after EOS", afterEOS, ogg.ErrNotOgg},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ogg.Probe(bytes.NewReader(tc.data)); !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

func FuzzProbe(f *testing.F) {
	f.Add(read(f, "tone-440hz-mono.opus"))
	f.Add([]byte("OggS"))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := ogg.Probe(bytes.NewReader(b))
		if err == nil && (info.Channels == 0 || info.Duration < 0) {
			t.Errorf("accepted %+v", info)
		}
	})
}

func BenchmarkProbe(b *testing.B) {
	raw := read(b, "tone-440hz-mono.opus")
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := ogg.Probe(bytes.NewReader(raw)); err != nil {
			b.Fatal(err)
		}
	}
}
