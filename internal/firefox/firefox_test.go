package firefox

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLineWriter(t *testing.T) {
	var got []string
	w := &lineWriter{line: func(s string) { got = append(got, s) }}
	for _, chunk := range []string{"one\ntw", "o\n", "three", "\nfour"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	if strings.Join(got, "|") != "one|two|three" {
		t.Errorf("lines %q, want one, two, three (four not ended yet)", got)
	}
}

func TestWritePrefs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "user.js")
	if err := writePrefs(path, map[string]any{"a.b": true, "c": 3, "d": `x"y`}); err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	for _, want := range []string{`user_pref("a.b", true);`, `user_pref("c", 3);`, `user_pref("d", "x\"y");`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("user.js lacks %s:\n%s", want, raw)
		}
	}
}

// TestBrowser drives a real Firefox through a small page: a click is a
// trusted user click, an evaluated promise is awaited, exceptions come
// back as errors, waiting sees the page change.
func TestBrowser(t *testing.T) {
	exe, err := exec.LookPath("firefox-esr")
	if err != nil {
		if os.Getenv("RECORDER_REQUIRE_BROWSER") == "1" {
			t.Fatal("firefox-esr not found, and RECORDER_REQUIRE_BROWSER=1 makes it mandatory")
		}
		t.Skip("firefox-esr not found (apt-get install -y firefox-esr)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	b, err := Launch(ctx, Options{Exec: exe, Log: t.Logf})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	page := `data:text/html,<button id="b" style="margin-top:2000px">go</button><p id="out"></p>` +
		`<script>document.getElementById("b").addEventListener("click", (e) => {` +
		`setTimeout(() => document.getElementById("out").dataset.clicked = String(e.isTrusted), 100); })</script>`
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
	if png, err := b.Screenshot(ctx); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) || len(png) < 100 {
		t.Errorf("screenshot: %d bytes starting %.8q, %v; want a PNG", len(png), png, err)
	}
}
