package e2e

import (
	"context"
	"debug/buildinfo"
	"debug/elf"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
)

// TestReleaseBuild builds the image's binary with deploy/build-release
// (what the Dockerfile runs): it must be one static executable, built
// with libopus, that decodes a live take like the pure-Go build does, and
// offers it (a WAV) as Ogg Opus.
func TestReleaseBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the release binary")
	}
	if err := exec.Command("pkg-config", "--exists", "opus").Run(); err != nil {
		if os.Getenv("RECORDER_REQUIRE_LIBOPUS") != "" {
			t.Fatal("libopus (libopus-dev) is required here: pkg-config finds no opus")
		}
		t.Skip("no libopus-dev (pkg-config opus): apt-get install libopus-dev")
	}
	bin := filepath.Join(t.TempDir(), "recorder")
	if out, err := exec.Command("../deploy/build-release", bin).CombinedOutput(); err != nil {
		t.Fatalf("deploy/build-release: %v\n%s", err, out)
	}
	checkStatic(t, bin)
	checkBuiltWith(t, bin, "-tags", "libopus")
	checkBuiltWith(t, bin, "CGO_ENABLED", "1")

	data := t.TempDir()
	addr := freeAddr(t)
	startBinary(t, bin, addr, data)
	saved := streamAndSave(t, "http://"+addr, "session_release", 2*time.Second)
	samples, rate := loadTake(t, data, saved.filename)
	checkTone(t, samples, rate, saved.recorded.Seconds(), toneHz)
	checkOggOfWAV(t, "http://"+addr, saved.filename, float64(len(samples))/float64(rate))
}

// checkOggOfWAV: the release build has libopus's encoder, so the Download
// menu of a live take (kept as WAV) offers it as Ogg Opus, and the file
// the entry links to decodes in Chromium to the take's length.
func checkOggOfWAV(t *testing.T, base, name string, seconds float64) {
	t.Helper()
	postForm(t, base+"/recordings/"+name+"/title", "Standup notes")
	p := chromiumTab(t, launch(t))
	const ogg = `a[aria-label="Download Ogg Opus (64 kbit/s) of Standup notes"]`
	p.do("opening the page", p.navigate(base), p.waitFor(`body[data-ready]`), p.until("the row", rowsAre("Standup notes")))
	p.do("opening the menu", p.press("Download Standup notes"),
		p.until("its Ogg Opus entry shown", `document.querySelector('`+ogg+`')?.getClientRects().length > 0`))
	if f := p.attr(ogg, "download"); !strings.HasPrefix(f, "Standup notes ") || !strings.HasSuffix(f, ".ogg") {
		t.Errorf("the Ogg Opus saves as %q", f)
	}
	var got struct {
		Type, Length string
		Seconds      float64
		Bytes        int
	}
	p.eval(`(async () => {
	const res = await fetch(document.querySelector('`+ogg+`').href);
	const buf = await res.arrayBuffer();
	const bytes = buf.byteLength;
	const audio = await new OfflineAudioContext(1, 48000, 48000).decodeAudioData(buf);
	return { Type: res.headers.get('Content-Type'), Length: res.headers.get('Content-Length'), Seconds: audio.duration, Bytes: bytes };
})()`, &got)
	if got.Type != "audio/ogg;codecs=opus" || got.Length != strconv.Itoa(got.Bytes) || math.Abs(got.Seconds-seconds) > 0.02 {
		t.Errorf("the Ogg Opus entry: %+v; want audio/ogg;codecs=opus with its Content-Length, %.3f s", got, seconds)
	}
	t.Logf("Ogg Opus of the WAV take: %d bytes, %.3f s decoded by Chromium, the take %.3f s", got.Bytes, got.Seconds, seconds)
}

// checkStatic: no program interpreter and no shared library to load.
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the release binary is dynamically linked (has %v)", p.Type)
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the release binary needs shared libraries: %v", libs)
	}
}

// checkBuiltWith: the binary's build settings hold key=value (for -tags,
// value is one of the comma-separated tags).
func checkBuiltWith(t *testing.T, bin, key, value string) {
	t.Helper()
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range info.Settings {
		if s.Key == key && (s.Value == value || key == "-tags" && slices.Contains(strings.Split(s.Value, ","), value)) {
			return
		}
	}
	t.Errorf("the release binary was not built with %s=%s: %v", key, value, info.Settings)
}

type savedTake struct {
	filename string
	recorded time.Duration // from the first packet sent to the Stop
}

// streamAndSave streams the Chromium tone capture to base as session id
// for about d, stops the take and saves it.
func streamAndSave(t *testing.T, base, id string, d time.Duration) savedTake {
	t.Helper()
	capture, api := toneSender(t)
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	peer := connectPeer(t, ctx, api, base, id)
	defer peer.Close()
	var stats rtcsend.SendStats
	began := time.Now()
	_ = peer.Stream(ctx, capture, &stats) // ends with ctx
	time.Sleep(300 * time.Millisecond)    // the last packets' way to the server
	// A live take lasts until its Stop, on the server's clock: what it
	// must match is the time from the first packet to the Stop.
	recorded := time.Since(began)
	if code := call(t, "POST", base+"/webrtc/stop", map[string]string{"session_id": id}, nil); code != 200 {
		t.Fatalf("stop: %d", code)
	}
	var saved struct {
		Filename string `json:"filename"`
	}
	if code := call(t, "POST", base+"/save_recording",
		map[string]any{"session_id": id, "recording_type": "webrtc"}, &saved); code != 200 || saved.Filename == "" {
		t.Fatalf("save: %d %+v", code, saved)
	}
	return savedTake{saved.Filename, recorded}
}
