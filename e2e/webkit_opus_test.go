package e2e

import (
	"math"
	"testing"
)

// TestWebKitPlaysOpus: Safari's engine plays and decodes an Ogg Opus as a
// live take kept as Opus stores it, with 1.5 s of lost frames (time
// without packets) in the middle, for its whole length.
func TestWebKitPlaysOpus(t *testing.T) {
	srv := startServer(t, nil)
	b64, want := gappyOgg(t)
	saved := postJSON(t, srv.url+"/save_recording", map[string]any{"audio_data": b64, "recording_type": "mediarecorder", "duration": want})
	filename, _ := saved["filename"].(string)
	p := newWebKit(t, 800, 600)
	p.do("opening the page", p.navigate(srv.url), p.waitFor(`body[data-ready]`))
	var got decodedAudio
	if err := p.b.Eval(p.ctx, decodeJS("/recordings/"+filename+"/audio"), &got); err != nil {
		t.Fatal(err)
	}
	t.Logf("WebKit: player %.3f s, decoded %.3f s, played %.2f s in 1.2 s, of %.3f s", got.Player, got.Decoded, got.Played, want)
	if math.Abs(got.Player-want) > 0.1 || math.Abs(got.Decoded-want) > 0.1 {
		t.Errorf("WebKit's player says %.3f s and decodes %.3f s of a %.3f s Ogg", got.Player, got.Decoded, want)
	}
	if got.Played < 0.5 {
		t.Errorf("WebKit did not play it (%.2f s in 1.2 s)", got.Played)
	}
}
