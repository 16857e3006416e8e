package rtcsend

import (
	"bytes"
	"errors"
	"io/fs"
	"path/filepath"
	"testing"
	"time"
)

func TestLoopbackCandidates(t *testing.T) {
	sdp := "v=0\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" +
		"a=candidate:1 1 udp 2130706431 172.17.0.2 40001 typ host\r\n" +
		"a=candidate:2 1 udp 2130706431 127.0.0.1 40002 typ host\r\n" +
		"a=candidate:3 1 udp 1694498815 203.0.113.7 40003 typ srflx raddr 0.0.0.0 rport 40003\r\n" +
		"a=candidate:4 1 udp 2130706431 8d1f3c2e-0000-4000-8000-000000000000.local 40004 typ host\r\n" +
		"a=candidate:5 1 udp 2130706431 ::1 40005 typ host\r\n" +
		"a=end-of-candidates\r\n"
	got, n := LoopbackCandidates(sdp)
	want := "v=0\r\n" +
		"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" +
		"a=candidate:2 1 udp 2130706431 127.0.0.1 40002 typ host\r\n" +
		"a=candidate:5 1 udp 2130706431 ::1 40005 typ host\r\n" +
		"a=end-of-candidates\r\n"
	if got != want || n != 2 {
		t.Errorf("loopbackCandidates kept %d:\n%s\nwant 2:\n%s", n, got, want)
	}
}

func TestCapture(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		c, err := ReadCapture("../../../media/testdata/chromium-440hz-celt.rtp")
		if err != nil {
			t.Fatal(err)
		}
		if len(c.Pkts) != 101 || c.Step != 960 || c.Every != 20*time.Millisecond {
			t.Fatalf("capture: %d packets, step %d, every %s; want 101, 960, 20ms", len(c.Pkts), c.Step, c.Every)
		}
		first := c.Pkts[0]
		// The loop runs on: packet i has sequence first+i and timestamp first+960i.
		for _, i := range []int{0, 1, 100, 101, 102, 202, 1000, 70000} {
			p := c.Packet(i)
			if p.SequenceNumber != first.SequenceNumber+uint16(i) || p.Timestamp != first.Timestamp+uint32(960*i) {
				t.Errorf("packet %d: seq %d ts %d, want %d %d", i, p.SequenceNumber, p.Timestamp,
					first.SequenceNumber+uint16(i), first.Timestamp+uint32(960*i))
			}
			if !bytes.Equal(p.Payload, c.Pkts[i%101].Payload) || p.PayloadType != OpusPayloadType {
				t.Errorf("packet %d: wrong payload or payload type %d", i, p.PayloadType)
			}
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		_, err := ReadCapture(filepath.Join(t.TempDir(), "missing.rtp"))
		if !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadCapture of a missing file: %v, want fs.ErrNotExist", err)
		}
	})
}
