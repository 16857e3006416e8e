//go:build linux

package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/avatarweb/recorder/media/mediatest"
	"github.com/avatarweb/recorder/media/webm"
)

// The outage scenario of issue 17: a take begins, its server is killed
// (kill -9) 3 s in and started again 5 s later, and the user stops at
// 15 s.
const (
	outageAt   = 3 * time.Second
	outageFor  = 5 * time.Second
	outageTake = 15 * time.Second
)

func sleepUntil(at time.Time) { time.Sleep(time.Until(at)) }

// kill9 kills the server as a crash would.
func kill9(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
}

// serverOutage is the server of one outage scenario: the built binary, run on
// a data directory of its own, killed and started again.
type serverOutage struct {
	t               *testing.T
	bin, addr, data string
	base            string
	srv             *exec.Cmd
	begun, killed   time.Time
}

func newOutage(t *testing.T, bin string) *serverOutage {
	o := &serverOutage{t: t, bin: bin, addr: freeAddr(t), data: t.TempDir()}
	o.base = "http://" + o.addr
	o.srv = startBinary(t, bin, o.addr, o.data)
	return o
}

// kill kills the server outageAt after the take began.
func (o *serverOutage) kill() {
	sleepUntil(o.begun.Add(outageAt))
	kill9(o.t, o.srv)
	o.killed = time.Now()
}

// restart starts the server again outageFor after the kill.
func (o *serverOutage) restart() {
	sleepUntil(o.killed.Add(outageFor))
	o.srv = startBinary(o.t, o.bin, o.addr, o.data)
}

// listed is GET /recordings of the server at base.
type listed struct {
	Filename string  `json:"filename"`
	Duration float64 `json:"duration"`
	Mode     string  `json:"mode"`
}

func recordingsAt(t *testing.T, base string) []listed {
	t.Helper()
	var list struct {
		Recordings []listed `json:"recordings"`
	}
	getJSON(t, base+"/recordings", &list)
	return list.Recordings
}

// recordThroughRestart makes a Record-mode take through the outage: the
// page says within about 2 s that the server is lost and goes on
// recording; the take resumes on the restarted server (which recovered
// its upload meanwhile); Stop and Save end with one recording of at
// least 95 % of the take. It returns the saved recording.
func recordThroughRestart(t *testing.T, p *tab, bin string) listed {
	o := newOutage(t, bin)
	base, data := o.base, o.data
	p.startTake(base, "Record in the browser", "recording")
	o.begun = time.Now()
	o.kill()
	killed := o.killed
	noticed := p.waitStatus("Connection lost — still recording here; it uploads when the server is back", 10*time.Second)
	t.Logf("%s: the page said the server was lost %v after the kill", p.engine, noticed.Sub(killed).Round(10*time.Millisecond))
	if noticed.Sub(killed) > 3*time.Second {
		t.Errorf("%s: the page took %v to say the server was lost, want about 2 s", p.engine, noticed.Sub(killed).Round(10*time.Millisecond))
	}
	o.restart()
	switch got := recordingsAt(t, base); len(got) {
	case 0: // a slow browser may have sent nothing whole before the kill
		t.Logf("%s: nothing had reached the server before the kill, so it recovered nothing", p.engine)
	case 1:
		t.Logf("%s: the restarted server recovered %.2f s; the page goes on with it", p.engine, got[0].Duration)
	default:
		t.Errorf("%s: after the restart %d recordings, want at most the one the server recovered", p.engine, len(got))
	}
	if s := p.state(); s != "recording" {
		t.Errorf("%s: the take is %q after the restart, want still recording", p.engine, s)
	}

	sleepUntil(o.begun.Add(outageTake))
	p.do("pressing Stop", p.press("Stop"))
	p.do("the review", p.waitUpTo(`body[data-state=draft]`, 60*time.Second))
	var recorded float64
	p.eval(`Number(document.body.dataset.recordedSeconds)`, &recorded)
	p.do("pressing Save", p.press("Save"))
	p.do("saving", p.waitUpTo(`body[data-saved-filename]`, 30*time.Second))

	got := recordingsAt(t, base)
	if len(got) != 1 {
		t.Fatalf("%s: %d recordings after the save, want one: %+v", p.engine, len(got), got)
	}
	rec := got[0]
	kept := rec.Duration / recorded
	t.Logf("%s: saved %.2f s of a %.2f s take (the page's clock; %v by the test's): %.1f %% kept", p.engine, rec.Duration, recorded, outageTake, 100*kept)
	if kept < 0.95 {
		t.Errorf("%s: saved %.2f s of the %.2f s take: under 95 %%", p.engine, rec.Duration, recorded)
	}
	if left, _ := os.ReadDir(filepath.Join(data, "uploads")); len(left) != 0 {
		t.Errorf("%s: uploads left after the save: %v", p.engine, left)
	}
	return rec
}

// TestOutageRecordMode: the server is killed mid-take and restarted, in
// each engine that records in the browser; nothing is lost.
func TestOutageRecordMode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds, kills and restarts the server binary")
	}
	bin := buildBinary(t)
	forEachEngine(t, func(t *testing.T, e engine) {
		if rec := recordThroughRestart(t, e.open(t), bin); rec.Mode != "mediarecorder" {
			t.Errorf("%s: mode %q", e.name, rec.Mode)
		}
	})
}

// TestOutageLiveMode: the server of a live take is killed 3 s in. The
// page says so within about 2 s and offers to go on recording in the
// browser; the user accepts at once. Once the server is back (5 s later,
// having recovered the live part) the page shows that part as a
// recording with its length; Stop and Save at 15 s add the rest as its
// second part.
func TestOutageLiveMode(t *testing.T) {
	if testing.Short() {
		t.Skip("builds, kills and restarts the server binary")
	}
	bin := buildBinary(t)
	forEachLiveEngine(t, func(t *testing.T, e engine) {
		p := e.open(t)
		o := newOutage(t, bin)
		base := o.base
		p.startTake(base, "Live to the server", "live")
		o.begun = time.Now()
		o.kill()
		killed := o.killed
		p.do("the page noticing", p.waitUpTo(`body[data-state=interrupted]`, 10*time.Second))
		noticed := time.Since(killed)
		status := p.status()
		t.Logf("the page said so %v after the kill: %q", noticed.Round(10*time.Millisecond), status)
		if noticed > 3*time.Second || !strings.Contains(status, "Connection lost") || !strings.Contains(status, "Keep recording here in the browser") {
			t.Errorf("%v after the kill the status says %q; want “Connection lost” and the offer, within about 2 s", noticed.Round(10*time.Millisecond), status)
		}
		if e.name == "Chromium" { // the README's screenshot
			p.shoot("desktop-connection-lost.png")
		}
		p.do("keeping on in the browser", p.press("Keep recording in the browser"))
		p.do("recording in the browser", p.waitUpTo(`body[data-state=recording]`, 5*time.Second))

		o.restart()
		p.waitStatus("The live part (", 20*time.Second)
		t.Logf("with the server back: %q", p.status())
		p.do("the live part in the list", p.waitUpTo(`[data-testid=recording]`, 5*time.Second))

		sleepUntil(o.begun.Add(outageTake))
		p.do("pressing Stop", p.press("Stop"))
		p.do("the review", p.waitUpTo(`body[data-state=draft]`, 60*time.Second))
		var clock struct{ Recorded, LostAt float64 }
		p.eval(`({recorded: Number(document.body.dataset.recordedSeconds), lostAt: Number(document.body.dataset.lostAt)})`, &clock)
		p.do("pressing Save", p.press("Save"))
		p.do("saving", p.waitUpTo(`body[data-saved-filename]`, 30*time.Second))

		got := recordingsAt(t, base)
		if len(got) != 2 {
			t.Fatalf("%d recordings, want the live part and the rest: %+v", len(got), got)
		}
		var live, rest listed
		for _, r := range got {
			if r.Mode == "webrtc" {
				live = r
			} else {
				rest = r
			}
		}
		titles := map[string]string{}
		for _, r := range []listed{live, rest} {
			var file struct {
				Title string `json:"title"`
			}
			getJSON(t, base+"/recordings/"+r.Filename, &file)
			titles[r.Mode] = file.Title
		}
		total := live.Duration + rest.Duration
		t.Logf("live part %.2f s (%q; the page lost the server at %.2f s), in the browser %.2f s (%q): %.2f s of %.2f s (%.1f %%)",
			live.Duration, titles["webrtc"], clock.LostAt, rest.Duration, titles["mediarecorder"], total, clock.Recorded, 100*total/clock.Recorded)
		// The server keeps a live take up to its last spool flush (about a
		// second before the kill), and the page loses it when it notices.
		if live.Duration < clock.LostAt-1.5 || live.Duration > clock.LostAt+0.5 {
			t.Errorf("the live part is %.2f s; the page lost the server at %.2f s", live.Duration, clock.LostAt)
		}
		if total < 0.9*clock.Recorded {
			t.Errorf("the two parts hold %.2f s of the %.2f s take", total, clock.Recorded)
		}
		if !strings.HasSuffix(titles["webrtc"], ", part 1 (live)") || !strings.HasSuffix(titles["mediarecorder"], ", part 2 (browser)") ||
			strings.TrimSuffix(titles["webrtc"], ", part 1 (live)") != strings.TrimSuffix(titles["mediarecorder"], ", part 2 (browser)") {
			t.Errorf("titles %q: want one take's part 1 (live) and part 2 (browser)", titles)
		}
	})
}

// TestNetCutRecordMode: the browser's network is cut for 30 s (its home
// router's uplink goes down) in the middle of a Record-mode take; the
// page says so, records on, and uploads the rest when the link is back:
// the saved take is whole, the tone without a gap.
func TestNetCutRecordMode(t *testing.T) {
	needNetns(t)
	chromiumPath(t)
	bin := buildBinary(t)
	n := newTopology(t)
	n.firewall("home")
	n.firewall("cloud")
	srv := n.startServer(t, bin)
	p := chromiumTab(t, n.browserIn(t, "cli", srv.public, toneWAV(t)))
	p.startTake(srv.public+"/", "Record in the browser", "recording")
	begun := time.Now()

	const cutFor = 30 * time.Second
	sleepUntil(begun.Add(outageAt))
	n.run("ip", "-n", n.ns("home"), "link", "set", "h-out", "down")
	cut := time.Now()
	noticed := p.waitStatus("Connection lost", 10*time.Second)
	t.Logf("the page said the connection was lost %v after the cut", noticed.Sub(cut).Round(10*time.Millisecond))
	sleepUntil(cut.Add(cutFor))
	n.run("ip", "-n", n.ns("home"), "link", "set", "h-out", "up")
	back := p.waitStatus("Connected again", 30*time.Second)
	t.Logf("the page was connected again %v after the link came back", back.Sub(cut.Add(cutFor)).Round(10*time.Millisecond))

	sleepUntil(begun.Add(outageAt + cutFor + 5*time.Second))
	p.do("pressing Stop", p.press("Stop"))
	p.do("the review", p.waitUpTo(`body[data-state=draft]`, 60*time.Second))
	var recorded float64
	p.eval(`Number(document.body.dataset.recordedSeconds)`, &recorded)
	p.do("pressing Save", p.press("Save"))
	p.do("saving", p.waitUpTo(`body[data-saved-filename]`, 30*time.Second))
	var name string
	p.eval(`document.body.dataset.savedFilename`, &name)

	file := readSaved(t, filepath.Join(srv.data, "recordings"), name)
	pcm, channels, err := webm.DecodeOpus(bytes.NewReader(file.Audio), int64(len(file.Audio)))
	if err != nil {
		t.Fatal(err)
	}
	left := mediatest.Channel(pcm, channels, 0)
	quiet := longestQuiet(left, 48000)
	t.Logf("saved %.2f s of %.2f s recorded (%.1f %%), longest silence %.2f s", file.Duration, recorded, 100*file.Duration/recorded, quiet)
	if file.Duration < 0.95*recorded || math.Abs(file.Duration-recorded) > 2 {
		t.Errorf("saved %.2f s of the %.2f s recorded across a %v cut", file.Duration, recorded, cutFor)
	}
	if quiet > 0.3 {
		t.Errorf("a silence of %.2f s in the tone: audio went missing", quiet)
	}
	res, err := srv.client.Get(srv.base + "/recordings")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var list struct {
		Recordings []listed `json:"recordings"`
	}
	if err := json.NewDecoder(res.Body).Decode(&list); err != nil || res.StatusCode != http.StatusOK || len(list.Recordings) != 1 {
		t.Errorf("recordings after the save: %+v, %v; want one", list.Recordings, err)
	}
}

// TestOutageClosedTab: the server is killed mid-take, and the tab is
// closed while it is down, holding what it recorded since; the browser's
// next visit, with the server back, uploads that from IndexedDB and
// offers the whole take, which saves.
func TestOutageClosedTab(t *testing.T) {
	if testing.Short() {
		t.Skip("builds, kills and restarts the server binary")
	}
	chromiumPath(t)
	o := newOutage(t, buildBinary(t))
	base := o.base
	browser := newBrowser(t, toneWAV(t))
	if err := chromedp.Do(browser, chromedp.Navigate("about:blank")); err != nil {
		t.Fatal(err)
	}
	first, closeFirst := chromedp.NewContext(browser)
	p := chromiumTab(t, first)
	p.startTake(base, "Record in the browser", "recording")
	o.begun = time.Now()
	var id string
	p.eval(`window.recorder.take.id`, &id)

	o.kill()
	p.waitStatus("Connection lost", 10*time.Second)
	time.Sleep(4 * time.Second)
	held := time.Since(o.begun).Seconds()
	closeFirst() // the server is down: what came after the kill is only in the browser
	o.restart()

	next, closeNext := chromedp.NewContext(browser)
	defer closeNext()
	p = chromiumTab(t, next)
	p.do("opening the page again", p.navigate(base))
	row := fmt.Sprintf(`[data-testid=unsaved-take][data-id=%q]`, id)
	p.do("the unsaved take", p.waitUpTo(row, 30*time.Second))
	p.do("saving it", p.click(row+` [data-testid=unsaved-save]`))
	p.do("saved", p.waitUpTo(`body[data-saved-filename]`, 30*time.Second))
	got := recordingsAt(t, base)
	if len(got) != 1 {
		t.Fatalf("%d recordings, want one: %+v", len(got), got)
	}
	t.Logf("held %.2f s when the tab closed (%.2f s after the kill); saved %.2f s (%.1f %%)", held, held-outageAt.Seconds(), got[0].Duration, 100*got[0].Duration/held)
	if got[0].Duration < 0.9*held {
		t.Errorf("saved %.2f s of the %.2f s the tab held: the part after the kill was lost", got[0].Duration, held)
	}
}

// TestOutageLiveDeclined: the server of a live take is killed, and the
// user stops instead of keeping on in the browser. The page waits for the
// server, and once it is back shows what it had as a recording, with its
// length; nothing is left to save or discard.
func TestOutageLiveDeclined(t *testing.T) {
	if testing.Short() {
		t.Skip("builds, kills and restarts the server binary")
	}
	bin := buildBinary(t)
	forEachLiveEngine(t, func(t *testing.T, e engine) {
		p := e.open(t)
		o := newOutage(t, bin)
		p.startTake(o.base, "Live to the server", "live")
		o.begun = time.Now()
		o.kill()
		p.do("the page noticing", p.waitUpTo(`body[data-state=interrupted]`, 10*time.Second))
		p.do("pressing Stop", p.press("Stop"))
		p.do("waiting for the server", p.waitUpTo(`body[data-state=waiting]`, 15*time.Second))
		t.Logf("stopped without the server: %q", p.status())
		o.restart()
		back := time.Now()
		said := p.waitStatus("The server restarted and saved the take as its own recording (", 20*time.Second)
		status := p.status()
		t.Logf("%v after the server answered again: %q", said.Sub(back).Round(10*time.Millisecond), status)
		p.do("the recording in the list", p.waitUpTo(`[data-testid=recording].fresh`, 10*time.Second))
		got := recordingsAt(t, o.base)
		if len(got) != 1 || got[0].Mode != "webrtc" || !strings.Contains(status, fmt.Sprintf("(%.1f s)", got[0].Duration)) {
			t.Errorf("recordings %+v; the page says %q: want the live part, with its length", got, status)
		}
		if s := p.state(); s != "idle" {
			t.Errorf("state %q once the take is shown saved, want idle", s)
		}
	})
}
