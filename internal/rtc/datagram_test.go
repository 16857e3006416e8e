package rtc_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
	"github.com/avatarweb/recorder/media/mediatest"
)

// padOpus returns an Opus packet of exactly size bytes that decodes as p,
// a one-frame packet (code 0): the same frame in a code 3 packet with
// Opus padding (RFC 6716, 3.2.5).
func padOpus(t *testing.T, p []byte, size int) []byte {
	t.Helper()
	if p[0]&3 != 0 {
		t.Fatalf("padOpus takes a one-frame packet, got code %d", p[0]&3)
	}
	frame := p[1:]
	// TOC, frame count byte (padding, one frame), padding length bytes,
	// the frame, the padding.
	pad := size - 2 - len(frame)
	var lengths []byte
	for pad > 0 {
		// Each length byte is one more byte of packet: 255 says 254 bytes
		// of padding and another length byte.
		pad--
		if pad >= 255 {
			lengths = append(lengths, 255)
			pad -= 254
			continue
		}
		lengths = append(lengths, byte(pad))
		break
	}
	out := append([]byte{p[0] | 3, 0x40 | 1}, lengths...)
	out = append(out, frame...)
	out = append(out, make([]byte, size-len(out))...)
	if len(out) != size {
		t.Fatalf("padded to %d bytes, want %d", len(out), size)
	}
	return out
}

// TestSession_LargestDatagramsArriveWhole: packets up to the largest
// datagram an Ethernet path carries (1500 bytes, pion's receive MTU) pass
// ICE's and SRTP's read loops whole. Those loops hold 1500-byte buffers,
// not upstream's 8 KB (internal/fork/ice and internal/fork/srtp, patch 1):
// a smaller buffer would cut the packets, SRTP would refuse them and the
// take would miss them.
func TestSession_LargestDatagramsArriveWhole(t *testing.T) {
	capture, err := rtcsend.ReadCapture(filepath.Join("..", "..", "media", "testdata", "chromium-440hz-celt.rtp"))
	if err != nil {
		t.Fatal(err)
	}
	// RTP header 12 bytes, SRTP's tag 10 (AES-CM) or 16 (AES-GCM): payloads
	// of 1420 to 1472 bytes make datagrams of 1442 to 1500, whichever
	// profile the peers agree on.
	stream := rtcsend.Capture{Every: capture.Every, Step: capture.Step, SeqSpan: 1 << 15, TsSpan: 1 << 30}
	var (
		plan []rtcsend.Send
		sent [][]byte
	)
	for i := range 60 {
		p := capture.Pkts[i%len(capture.Pkts)]
		if p.Payload[0]&3 != 0 {
			continue
		}
		p.Payload = padOpus(t, p.Payload, 1472-i%27*2)
		p.SequenceNumber = capture.Pkts[0].SequenceNumber + uint16(len(sent))
		p.Timestamp = capture.Pkts[0].Timestamp + uint32(len(sent))*capture.Step
		stream.Pkts = append(stream.Pkts, p)
		plan = append(plan, rtcsend.Send{Index: len(stream.Pkts) - 1, At: time.Duration(len(sent)) * capture.Every})
		sent = append(sent, p.Payload)
	}
	if len(sent) < 30 {
		t.Fatalf("only %d one-frame packets in the capture", len(sent))
	}

	_, _, take := streamOpusTake(t, "large", 48000, stream, plan)
	b, err := os.ReadFile(take.OpusPath)
	if err != nil {
		t.Fatal(err)
	}
	_, kept, _, err := mediatest.OggPackets(b)
	if err != nil {
		t.Fatalf("the take's Ogg does not read: %v", err)
	}
	if !slices.EqualFunc(kept, sent, bytes.Equal) {
		t.Errorf("the take kept %d packets of the %d sent whole (%d to %d bytes)", len(kept), len(sent), len(sent[len(sent)-1]), len(sent[0]))
	}
}
