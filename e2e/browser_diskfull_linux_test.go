package e2e

import (
	"context"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/avatarweb/recorder/internal/app"
	"github.com/avatarweb/recorder/internal/config"
	"github.com/avatarweb/recorder/media/mediatest"
)

// TestBrowserDiskFull: the data disk fills up during a live take in a
// real browser. The page stops the take by itself, says "disk full", and
// offers the draft; once space is freed, Save keeps it.
func TestBrowserDiskFull(t *testing.T) {
	chromiumPath(t)
	wav := toneWAV(t)
	data := mediatest.Tmpfs(t, "4m")
	cfg, err := config.Parse([]string{"-data", data, "-addr", "127.0.0.1:0"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := app.New(ctx, cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		srv.Close()
	})

	// Leave about 3 s of 48 kHz mono PCM free.
	var st syscall.Statfs_t
	if err := syscall.Statfs(data, &st); err != nil {
		t.Fatal(err)
	}
	filler := filepath.Join(data, "filler")
	if err := os.WriteFile(filler, make([]byte, int64(st.Bavail)*st.Bsize-300<<10), 0o644); err != nil {
		t.Fatal(err)
	}

	type css = chromedp.CSS
	page := newBrowser(t, wav)
	err = chromedp.Do(page,
		chromedp.Navigate("http://"+ln.Addr().String()),
		chromedp.WaitVisible(css(`[data-testid=btn-start]`)),
		chromedp.Click(css(`[data-testid=btn-start]`)),
		chromedp.WaitReady(css(`body[data-state=live]`)),
		chromedp.WaitReady(css(`body[data-state=draft]`)), // stopped by the page, not by us
	)
	status, _ := chromedp.Run(page, chromedp.Text(css(`[data-testid=status]`)))
	if err != nil {
		t.Fatalf("the page never offered the draft: %v (status line: %q)", err, status)
	}
	t.Logf("status: %s", status)
	if !strings.Contains(status, "disk full") {
		t.Errorf("status line %q, want it to say the disk is full", status)
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	err = chromedp.Do(page,
		chromedp.Click(css(`[data-testid=btn-save]`)),
		chromedp.WaitReady(css(`body[data-saved-filename]`)),
	)
	if err != nil {
		status, _ := chromedp.Run(page, chromedp.Text(css(`[data-testid=status]`)))
		t.Fatalf("saving the draft after space was freed: %v (status line: %q)", err, status)
	}
	filename := attr(t, page, "body", "data-saved-filename")
	rec, err := srv.DB.GetRecording(context.Background(), filename)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("saved %s: %.2f s", filename, rec.Duration)
	if rec.Duration < 1 {
		t.Errorf("saved %.2f s, want the seconds recorded before the disk filled", rec.Duration)
	}
}
