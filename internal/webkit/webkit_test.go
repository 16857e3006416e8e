package webkit

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Where Debian's webkit2gtk-driver and xvfb put what the tests run.
const (
	driverPath  = "/usr/bin/WebKitWebDriver"
	browserPath = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser"
	xvfbPath    = "/usr/bin/Xvfb"
)

// TestBrowser drives a real WebKit through a small page: a click is a
// trusted user click, an evaluated promise is awaited, exceptions come
// back as errors, typing reaches the page, waiting sees the page change,
// and a screenshot is a PNG of the window.
func TestBrowser(t *testing.T) {
	for _, p := range []string{driverPath, browserPath, xvfbPath} {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("RECORDER_REQUIRE_BROWSER") == "1" {
				t.Fatalf("%s not found, and RECORDER_REQUIRE_BROWSER=1 makes it mandatory", p)
			}
			t.Skipf("%s not found (apt-get install -y webkit2gtk-driver xvfb)", p)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := Launch(ctx, Options{Driver: driverPath, Browser: browserPath, Xvfb: xvfbPath, Width: 640, Height: 480, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	page := `data:text/html,<input id="in"><button id="b" style="margin-top:2000px">go</button><p id="out"></p>` +
		`<script>document.getElementById("b").addEventListener("click", (e) => {` +
		`setTimeout(() => document.getElementById("out").dataset.clicked = String(e.isTrusted), 100); });` +
		`document.getElementById("in").addEventListener("keydown", (e) => { if (e.key === "Enter") document.body.dataset.entered = e.target.value; })</script>`
	if err := b.Navigate(ctx, page); err != nil {
		t.Fatal(err)
	}
	var sum int
	if err := b.Eval(ctx, `new Promise((r) => setTimeout(() => r(20 + 22), 10))`, &sum); err != nil || sum != 42 {
		t.Errorf("Eval of a promise: %d, %v; want 42", sum, err)
	}
	if err := b.Eval(ctx, `(() => { throw new Error("boom") })()`, nil); err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Eval of a throw: %v, want the exception", err)
	}
	if err := b.Click(ctx, `#nope`); err == nil {
		t.Error("Click on a missing element succeeded")
	}
	if err := b.Click(ctx, `#b`); err != nil { // below the fold: scrolled to first
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 5*time.Second)
	defer wcancel()
	if err := b.WaitFor(wctx, `#out[data-clicked]`); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := b.Attr(ctx, `#out`, "data-clicked"); v != "true" || !ok || err != nil {
		t.Errorf("click event trusted = %q (%v, %v), want a real user click", v, ok, err)
	}
	if v, ok, err := b.Attr(ctx, `#out`, "data-missing"); ok || err != nil {
		t.Errorf("missing attribute: %q, %v, %v", v, ok, err)
	}
	if err := b.Type(ctx, `#in`, "hello\ue007"); err != nil {
		t.Fatal(err)
	}
	if v, _, err := b.Attr(ctx, `body`, "data-entered"); v != "hello" || err != nil {
		t.Errorf("typed %q (%v), want hello then Enter", v, err)
	}
	shot, err := b.Screenshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil || img.Bounds().Dx() < 100 {
		t.Errorf("screenshot: %v, %v", img.Bounds(), err)
	}
}
