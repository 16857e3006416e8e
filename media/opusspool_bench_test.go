package media_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/avatarweb/recorder/media"
)

// BenchmarkOpusHour keeps one hour of Chromium's stream (the capture in
// testdata, looped: 20 ms packets at Chromium's default 32 kbit/s) as Ogg,
// as a live take kept as Opus does, and reports the file's size and the
// size of the recording's JSON, whose audio is base64 (4 bytes for 3):
// go test -run - -bench OpusHour ./media/
func BenchmarkOpusHour(b *testing.B) {
	pkts := capture(b, "chromium-440hz-celt.rtp")
	const hour = 3600 * 50 // packets
	var size int64
	for b.Loop() {
		path := filepath.Join(b.TempDir(), "take.ogg")
		s, err := media.CreateOpusSpool(path, 1, 1)
		if err != nil {
			b.Fatal(err)
		}
		for i := range int64(hour) {
			if err := s.Packet(i*packetFrames, pkts[i%int64(len(pkts))].Payload); err != nil {
				b.Fatal(err)
			}
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
		st, err := os.Stat(path)
		if err != nil {
			b.Fatal(err)
		}
		size = st.Size()
	}
	b.ReportMetric(float64(size)/1e6, "Ogg-MB/h")
	b.ReportMetric(float64((size+2)/3*4)/1e6, "JSON-MB/h")
}
