package handlers_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/handlers"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/export"
	"github.com/avatarweb/recorder/media/mediatest"
	"github.com/avatarweb/recorder/media/webm"
)

// TestExportFormats: a browser take downloads as recorded, as WAV at its
// processing parameters (48 kHz mono by default), as 16 kHz mono WAV and
// as Ogg Opus, each with its type, a file name that says what it is, its
// length up front, and audio that is the take's.
func TestExportFormats(t *testing.T) {
	raw, err := os.ReadFile("../media/webm/testdata/chromium-440hz.webm")
	if err != nil {
		t.Fatal(err)
	}
	ref, ch, err := webm.DecodeOpus(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	ref = mediatest.Channel(ref, ch, 0) // the tone is the same on both
	ta, _ := newFakeApp(t)
	ta.clock.Set(time.Date(2026, 12, 7, 16, 0, 0, 0, time.UTC))
	_, rec := ta.saveOK(t, saveBody(t, map[string]any{
		"audio_data": base64.StdEncoding.EncodeToString(raw), "mime": "audio/webm", "title": "Standup notes",
	}))
	audio := "/recordings/" + rec.Filename + "/audio?download=1"

	for _, tc := range []struct {
		format, mime, file string
		rate, channels     int // of a WAV
	}{
		{"", "audio/webm;codecs=opus", "Standup notes 2026-12-07.webm", 0, 0},
		{"&format=original", "audio/webm;codecs=opus", "Standup notes 2026-12-07.webm", 0, 0},
		{"&format=wav", "audio/wav", "Standup notes 2026-12-07.wav", 48000, 1},
		{"&format=wav16k", "audio/wav", "Standup notes 2026-12-07 16k.wav", 16000, 1},
		{"&format=ogg", "audio/ogg;codecs=opus", "Standup notes 2026-12-07.ogg", 0, 0},
	} {
		t.Run(tc.format, func(t *testing.T) {
			res := ta.do(t, http.MethodGet, audio+tc.format, "")
			res.wantStatus(t, http.StatusOK)
			if ct := res.header.Get("Content-Type"); ct != tc.mime {
				t.Errorf("Content-Type %q, want %q", ct, tc.mime)
			}
			wantCD := `attachment; filename="` + tc.file + `"`
			if cd := res.header.Get("Content-Disposition"); len(cd) < len(wantCD) || cd[:len(wantCD)] != wantCD {
				t.Errorf("Content-Disposition %q, want %q…", cd, wantCD)
			}
			if cl := res.header.Get("Content-Length"); cl != strconv.Itoa(len(res.body)) {
				t.Errorf("Content-Length %q for %d bytes", cl, len(res.body))
			}
			var got []float32
			switch {
			case tc.rate != 0:
				r := bytes.NewReader(res.body)
				info, err := media.ReadWAVHeader(r)
				if err != nil || info.SampleRate != tc.rate || info.Channels != tc.channels {
					t.Fatalf("WAV %+v, %v; want %d Hz %d ch", info, err, tc.rate, tc.channels)
				}
				pcm, _ := io.ReadAll(r)
				got = media.S16LEToFloat(nil, pcm)
				if tc.rate != 48000 {
					rs, _ := media.NewResampler(tc.rate, 48000, 1)
					got = rs.Flush(rs.Process(nil, got))
				}
			case tc.mime == "audio/ogg;codecs=opus":
				info, pkts, _, err := mediatest.OggPackets(res.body)
				if err != nil {
					t.Fatal(err)
				}
				dec, _ := media.NewOpusDecoder(info.Channels)
				buf := make([]float32, 5760*info.Channels)
				for _, p := range pkts {
					n, _ := dec.DecodeToFloat32(p, buf)
					got = append(got, mediatest.Channel(buf[:n*info.Channels], info.Channels, 0)...)
				}
				got = got[info.PreSkip:]
			default: // as stored: the upload with its length and cues written in
				pcm, ch, err := webm.DecodeOpus(bytes.NewReader(res.body), int64(len(res.body)))
				if err != nil {
					t.Fatal(err)
				}
				got = mediatest.Channel(pcm, ch, 0)
			}
			if c := mediatest.Correlation(got, ref); c < 0.99 || len(got) < len(ref)-48 || len(got) > len(ref)+48 {
				t.Errorf("%d samples correlate %.4f with the %d of the original decode", len(got), c, len(ref))
			}
		})
	}
}

// TestExportRefused: an unknown format is a 400 in words, one the take
// cannot be made into a 406 (Ogg Opus of a WAV in the pure-Go build, or
// of an Ogg take), and nothing is written.
func TestExportRefused(t *testing.T) {
	ta, _ := newFakeApp(t)
	_, rec := ta.saveOK(t, saveBody(t, map[string]any{"audio_data": base64.StdEncoding.EncodeToString(wavTake(0.2)), "mime": "audio/wav"}))
	ogg, err := os.ReadFile("../media/ogg/testdata/tone-440hz-mono.opus")
	if err != nil {
		t.Fatal(err)
	}
	_, oggRec := ta.saveOK(t, saveBody(t, map[string]any{"audio_data": base64.StdEncoding.EncodeToString(ogg), "mime": "audio/ogg"}))
	audio := "/recordings/" + rec.Filename + "/audio?download=1&format="
	before := ta.written(t)
	ta.do(t, http.MethodGet, audio+"mp3", "").wantError(t, http.StatusBadRequest, "format must be")
	if !media.HaveOpusEncoder {
		ta.do(t, http.MethodGet, audio+"ogg", "").wantError(t, http.StatusNotAcceptable, "no Opus encoder")
		ta.do(t, http.MethodHead, audio+"ogg", "").wantStatus(t, http.StatusNotAcceptable)
	}
	ta.do(t, http.MethodGet, "/recordings/"+oggRec.Filename+"/audio?format=ogg", "").wantError(t, http.StatusNotAcceptable, "Ogg Opus already")
	ta.do(t, http.MethodGet, "/recordings/recording_20990101_000000.json/audio?format=wav", "").wantError(t, http.StatusNotFound, "")
	ta.wantUnchanged(t, before)
	// The one it can: 16 kHz mono of a WAV.
	res := ta.do(t, http.MethodGet, audio+"wav16k", "")
	res.wantStatus(t, http.StatusOK)
	if info, err := media.ReadWAVHeader(bytes.NewReader(res.body)); err != nil || info.SampleRate != 16000 {
		t.Errorf("16k of a WAV: %+v, %v", info, err)
	}
}

// TestDownloadMenu: each row offers what its take converts to, each a
// link that saves under a name saying what it is.
func TestDownloadMenu(t *testing.T) {
	raw, err := os.ReadFile("../media/webm/testdata/chromium-440hz.webm")
	if err != nil {
		t.Fatal(err)
	}
	ta, _ := newFakeApp(t)
	ta.clock.Set(time.Date(2026, 12, 7, 16, 0, 0, 0, time.UTC))
	_, webmRec := ta.saveOK(t, saveBody(t, map[string]any{"audio_data": base64.StdEncoding.EncodeToString(raw), "mime": "audio/webm", "title": "Standup notes"}))
	_, wavRec := ta.saveOK(t, saveBody(t, map[string]any{"audio_data": base64.StdEncoding.EncodeToString(wavTake(0.2)), "mime": "audio/wav", "title": "Riff"}))
	safari, err := os.ReadFile("../media/mp4/testdata/webkitgtk-2.50-mediarecorder.mp4")
	if err != nil {
		t.Fatal(err)
	}
	_, mp4Rec := ta.saveOK(t, saveBody(t, map[string]any{"audio_data": base64.StdEncoding.EncodeToString(safari), "mime": "audio/mp4", "title": "Interview"}))
	body := string(ta.do(t, http.MethodGet, "/ui/recordings", "").body)
	link := regexp.MustCompile(`<a href="([^"]*)" download="([^"]*)" aria-label="([^"]*)"`)
	var got []string
	for _, m := range link.FindAllStringSubmatch(body, -1) {
		got = append(got, html.UnescapeString(m[3]+" | "+m[2]+" | "+m[1]))
	}
	w, a := "/recordings/"+webmRec.Filename+"/audio?download=1", "/recordings/"+wavRec.Filename+"/audio?download=1"
	m := "/recordings/" + mp4Rec.Filename + "/audio?download=1"
	var encoded, encodedAAC []string // the libopus build encodes WAV and AAC takes to Ogg Opus
	if media.HaveOpusEncoder {
		encoded = []string{"Download Ogg Opus (64 kbit/s) of Riff | Riff 2026-12-07.ogg | " + a + "&format=ogg"}
		encodedAAC = []string{"Download Ogg Opus (64 kbit/s) of Interview | Interview 2026-12-07.ogg | " + m + "&format=ogg"}
	}
	want := slices.Concat([]string{
		// Safari's AAC in MP4, decoded by media/aac.
		"Download Original (MP4) of Interview | Interview 2026-12-07.m4a | " + m,
	}, encodedAAC, []string{
		"Download WAV of Interview | Interview 2026-12-07.wav | " + m + "&format=wav",
		"Download WAV 16 kHz mono (speech tools) of Interview | Interview 2026-12-07 16k.wav | " + m + "&format=wav16k",
		"Download Original (WAV) of Riff | Riff 2026-12-07.wav | " + a,
	}, encoded, []string{
		"Download WAV 16 kHz mono (speech tools) of Riff | Riff 2026-12-07 16k.wav | " + a + "&format=wav16k",
		"Download Original (WebM) of Standup notes | Standup notes 2026-12-07.webm | " + w,
		"Download Ogg Opus (as recorded) of Standup notes | Standup notes 2026-12-07.ogg | " + w + "&format=ogg",
		"Download WAV of Standup notes | Standup notes 2026-12-07.wav | " + w + "&format=wav",
		"Download WAV 16 kHz mono (speech tools) of Standup notes | Standup notes 2026-12-07 16k.wav | " + w + "&format=wav16k",
	})
	if !slices.Equal(got, want) {
		t.Errorf("menu links:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := strings.Count(body, `<summary aria-label="Download `); n != 3 {
		t.Errorf("%d download menus, want one a row", n)
	}
	// HEAD says the size without converting.
	head := ta.do(t, http.MethodHead, w+"&format=wav16k", "")
	get := ta.do(t, http.MethodGet, w+"&format=wav16k", "")
	if head.status != http.StatusOK || head.header.Get("Content-Length") != strconv.Itoa(len(get.body)) || len(head.body) != 0 {
		t.Errorf("HEAD: %d, Content-Length %q, %d bytes; GET %d bytes", head.status, head.header.Get("Content-Length"), len(head.body), len(get.body))
	}
	// Every link answers what it says.
	for _, l := range want {
		url := html.UnescapeString(l[strings.LastIndex(l, " | ")+3:])
		ta.do(t, http.MethodGet, url, "").wantStatus(t, http.StatusOK)
	}
}

// TestExportWAVAsOggOpus: in the libopus build (the release image) a WAV
// take downloads as Ogg Opus, its length known before it is encoded (HEAD
// says it without encoding; GET sends that many bytes), and decodes to
// the take.
func TestExportWAVAsOggOpus(t *testing.T) {
	if !media.HaveOpusEncoder {
		t.Skip("the pure-Go build has no Opus encoder (TestExportRefused): go test -tags libopus")
	}
	ta, _ := newFakeApp(t)
	ta.clock.Set(time.Date(2026, 12, 7, 16, 0, 0, 0, time.UTC))
	take := wavTake(1.5)
	_, rec := ta.saveOK(t, saveBody(t, map[string]any{"audio_data": base64.StdEncoding.EncodeToString(take), "mime": "audio/wav", "title": "Riff"}))
	got, _ := oggExport(t, ta, "/recordings/"+rec.Filename+"/audio?download=1&format=ogg", "Riff 2026-12-07.ogg")
	r := bytes.NewReader(take)
	media.ReadWAVHeader(r)
	pcm, _ := io.ReadAll(r)
	rs, _ := media.NewResampler(16000, 48000, 1)
	want := rs.Flush(rs.Process(nil, media.S16LEToFloat(nil, pcm)))
	if c := mediatest.Correlation(got, want); c < 0.99 || len(got) != len(want) {
		t.Errorf("%d samples correlate %.4f with the take's %d", len(got), c, len(want))
	}
}

// TestExportAACAsOggOpus: in the libopus build a Safari take (AAC in MP4)
// downloads as Ogg Opus, encoded from its AAC decode, its length known
// before anything is decoded (HEAD says it; GET sends that many bytes),
// and decodes to what its WAV download holds, as long to within a 20 ms
// frame. The pure-Go build answers 406 in words, and writes nothing.
func TestExportAACAsOggOpus(t *testing.T) {
	raw, err := os.ReadFile("../media/mp4/testdata/webkitgtk-2.50-mediarecorder.mp4")
	if err != nil {
		t.Fatal(err)
	}
	ta, _ := newFakeApp(t)
	ta.clock.Set(time.Date(2026, 12, 7, 16, 0, 0, 0, time.UTC))
	_, rec := ta.saveOK(t, saveBody(t, map[string]any{"audio_data": base64.StdEncoding.EncodeToString(raw), "mime": "audio/mp4", "title": "Interview"}))
	url := "/recordings/" + rec.Filename + "/audio?download=1&format="
	if !media.HaveOpusEncoder {
		before := ta.written(t)
		ta.do(t, http.MethodGet, url+"ogg", "").wantError(t, http.StatusNotAcceptable, "no Opus encoder")
		ta.do(t, http.MethodHead, url+"ogg", "").wantStatus(t, http.StatusNotAcceptable)
		ta.wantUnchanged(t, before)
		t.Skip("the pure-Go build has no Opus encoder: go test -tags libopus")
	}
	decoded, channels := oggExport(t, ta, url+"ogg", "Interview 2026-12-07.ogg")
	got := mediatest.Channel(decoded, channels, 0)

	wav := ta.do(t, http.MethodGet, url+"wav", "")
	r := bytes.NewReader(wav.body)
	wi, err := media.ReadWAVHeader(r)
	if err != nil {
		t.Fatal(err)
	}
	pcm, _ := io.ReadAll(r)
	rs, _ := media.NewResampler(wi.SampleRate, 48000, wi.Channels)
	want := mediatest.Channel(rs.Flush(rs.Process(nil, media.S16LEToFloat(nil, pcm))), wi.Channels, 0)
	n := min(len(got), len(want))
	if c := mediatest.Correlation(got[:n], want[:n]); c < 0.99 || len(got) < len(want)-960 || len(got) > len(want)+960 {
		t.Errorf("%d samples correlate %.4f with the %d of the WAV download", len(got), c, len(want))
	}
}

// TestExportsBounded: conversions beyond the server's bound wait a little
// for a slot and are then refused, 503 with Retry-After and nothing
// written; once a slot is free the same download goes through. Serving
// the original converts nothing and is never held back.
func TestExportsBounded(t *testing.T) {
	slots := export.NewSlots(1, 50*time.Millisecond)
	ta, _ := newFakeAppWith(t, withHandler(func(h *handlers.Handler) { h.Exports = slots }))
	raw, err := os.ReadFile("../media/ogg/testdata/tone-440hz-mono.opus")
	if err != nil {
		t.Fatal(err)
	}
	_, rec := ta.saveOK(t, saveBody(t, map[string]any{"audio_data": base64.StdEncoding.EncodeToString(raw), "mime": "audio/ogg"}))
	audio := "/recordings/" + rec.Filename + "/audio?download=1"

	release, err := slots.Take(context.Background()) // another download converting
	if err != nil {
		t.Fatal(err)
	}
	res := ta.do(t, http.MethodGet, audio+"&format=wav", "")
	res.wantError(t, http.StatusServiceUnavailable, "busy converting other recordings")
	if ra := res.header.Get("Retry-After"); ra == "" {
		t.Error("503 without Retry-After")
	}
	ta.do(t, http.MethodGet, audio, "").wantStatus(t, http.StatusOK)
	ta.do(t, http.MethodHead, audio+"&format=wav", "").wantStatus(t, http.StatusOK)

	release()
	res = ta.do(t, http.MethodGet, audio+"&format=wav", "")
	res.wantStatus(t, http.StatusOK)
	if info, err := media.ReadWAVHeader(bytes.NewReader(res.body)); err != nil || info.SampleRate != 48000 {
		t.Errorf("WAV once a slot is free: %+v, %v", info, err)
	}
	// The slot comes back when the download ends.
	rel, err := slots.Take(context.Background())
	if err != nil {
		t.Fatalf("the finished download kept its slot: %v", err)
	}
	rel()
}

// oggExport downloads an Ogg Opus export named file (HEAD, then GET),
// checks its headers (type, name, a Content-Length that HEAD knows and
// GET keeps) and returns its audio decoded, interleaved, pre-skip and end
// trimming applied, and its channels.
func oggExport(t *testing.T, ta *testApp, url, file string) ([]float32, int) {
	t.Helper()
	head := ta.do(t, http.MethodHead, url, "")
	res := ta.do(t, http.MethodGet, url, "")
	res.wantStatus(t, http.StatusOK)
	if ct := res.header.Get("Content-Type"); ct != "audio/ogg;codecs=opus" {
		t.Errorf("Content-Type %q", ct)
	}
	if cd := res.header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="`+file+`"`) {
		t.Errorf("Content-Disposition %q", cd)
	}
	if cl := strconv.Itoa(len(res.body)); res.header.Get("Content-Length") != cl || head.header.Get("Content-Length") != cl || len(head.body) != 0 {
		t.Errorf("GET Content-Length %q, HEAD %q (%d bytes), for %d bytes", res.header.Get("Content-Length"), head.header.Get("Content-Length"), len(head.body), len(res.body))
	}
	info, pkts, _, err := mediatest.OggPackets(res.body)
	if err != nil {
		t.Fatal(err)
	}
	dec, _ := media.NewOpusDecoder(info.Channels)
	buf := make([]float32, 5760*info.Channels)
	var got []float32
	for _, p := range pkts {
		n, _ := dec.DecodeToFloat32(p, buf)
		got = append(got, buf[:n*info.Channels]...)
	}
	c := int64(info.Channels)
	return got[int64(info.PreSkip)*c : info.Granule*c], info.Channels
}
