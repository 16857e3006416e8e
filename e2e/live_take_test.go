//go:build linux

package e2e

import (
	"strconv"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

// TestLiveTake records each WebRTC engine's fake microphone through the
// real page over WebRTC at two sample rates and checks what the server
// saved (the WAV, its metadata and SQLite row, the tone from start to end)
// and that every audio packet was decoded: no decode errors, and the
// padding-only packets a browser probes the bandwidth with (Firefox sends
// a burst first) counted apart, each one checked to be padding, stamped
// like the audio before it. WebKitGTK has no WebRTC (TestWebKitRecord
// checks the page says so).
//
// Firefox gathers no ICE candidates on loopback unless told to
// (media.peerconnection.ice.loopback); with that, it talks to the server
// on 127.0.0.1 like Chromium. TestNetNAT runs both across namespaces.
func TestLiveTake(t *testing.T) {
	forEachLiveEngine(t, func(t *testing.T, e engine) {
		for _, rate := range []int{48000, 16000} {
			t.Run(strconv.Itoa(rate), func(t *testing.T) {
				var capture captured
				srv := startServer(t, capture.add)
				postJSON(t, srv.url+"/update_params", map[string]any{"sample_rate": rate, "channels": 1})
				p := e.open(t)
				name, recorded := p.recordLive(srv.url, func() { time.Sleep(3 * time.Second) })
				checkRecording(t, srv, name, rate, recorded, e)
				checkDecodedInFull(t, srv, name, capture.packets())
			})
		}
	})
}

// checkDecodedInFull: the saved take's counters account for every packet
// sent, padding-only probes apart, with no decode error and no silence.
func checkDecodedInFull(t *testing.T, srv *testServer, name string, packets []media.Packet) {
	t.Helper()
	var audio, padding int
	var prevTS uint32
	for i, pk := range packets {
		switch {
		case len(pk.Payload) > 0:
			audio++
		case pk.Padding == 0 || i == 0 || pk.Timestamp != prevTS:
			t.Errorf("packet %d (seq %d): empty, padding %d, timestamp %d after %d: not a padding-only probe", i, pk.SequenceNumber, pk.Padding, pk.Timestamp, prevTS)
		default:
			padding++
		}
		prevTS = pk.Timestamp
	}
	stats := savedStats(t, srv.Config.RecordingsDir(), name)
	t.Logf("%d audio packets, %d padding-only; stats %v", audio, padding, stats)
	if stats["decode_errors"] != 0 || stats["empty_packets"] != int64(padding) || stats["packets"] != int64(audio+padding) {
		t.Errorf("stats %v: want no decode errors and the %d padding-only packets of %d counted apart", stats, padding, audio+padding)
	}
	if stats["lost_packets"] == 0 && stats["late_packets"] == 0 && stats["decoded_samples"] != int64(audio)*media.OpusRate/50 {
		t.Errorf("decoded %d samples from %d audio packets of 20 ms: not all decoded in full", stats["decoded_samples"], audio)
	}
	samples, rate := loadTake(t, srv.Config.DataDir, name)
	if quiet := longestQuiet(samples, rate); quiet > 0.05 {
		t.Errorf("%.2f s of silence in the take: audio went missing", quiet)
	}
}
