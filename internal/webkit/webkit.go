// Package webkit drives WebKitGTK (Safari's engine) for tests over classic
// W3C WebDriver: Debian's WebKitWebDriver (package webkit2gtk-driver)
// starts the MiniBrowser in automation mode, on a virtual X display (Xvfb)
// this package starts for it, and commands go as JSON over HTTP. Only the
// standard library is used; nothing is downloaded.
//
// Only what the tests use is here, in the shape of internal/firefox:
// navigate, evaluate a script, click an element as a user does, wait for a
// selector, read text and attributes, take a screenshot.
package webkit

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/avatarweb/recorder/internal/pagequery"
)

// Options say how to start WebKit.
type Options struct {
	// Driver is WebKitWebDriver (e.g. /usr/bin/WebKitWebDriver).
	Driver string
	// Browser is the MiniBrowser the driver starts, and Args its flags,
	// e.g. --enable-mock-capture-devices=true --enable-media-stream=true
	// (--automation is added).
	Browser string
	Args    []string
	// Xvfb is the X server to run the browser on (e.g. /usr/bin/Xvfb).
	Xvfb string
	// Width and Height are the browser window's size (default 1280×800).
	Width, Height int
	// Log receives the driver's and the X server's output lines; nil drops
	// them.
	Log func(format string, args ...any)
}

// Browser is one running WebKit with one WebDriver session.
type Browser struct {
	xvfb, driver       *exec.Cmd
	xvfbOut, driverOut *io.PipeWriter // their output, to the log
	session            string         // the session's URL: http://127.0.0.1:PORT/session/ID
	client             *http.Client
	log                func(string, ...any)
	closeOnce          sync.Once
}

// Launch starts Xvfb, WebKitWebDriver and a MiniBrowser session. Close
// ends them all.
func Launch(ctx context.Context, opt Options) (*Browser, error) {
	logf := opt.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	width, height := opt.Width, opt.Height
	if width == 0 || height == 0 {
		width, height = 1280, 800
	}
	b := &Browser{client: &http.Client{}, log: logf}
	display, err := b.startXvfb(ctx, opt.Xvfb, width, height)
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		b.Close()
		return nil, err
	}
	b.driver = exec.Command(opt.Driver, "--port="+strconv.Itoa(port))
	b.driver.Env = append(os.Environ(), "DISPLAY="+display)
	// Its own process group: Close ends the MiniBrowser and its web
	// processes with it.
	b.driver.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	b.driverOut = lines(logf, "webkit")
	b.driver.Stdout, b.driver.Stderr = b.driverOut, b.driverOut
	b.driver.WaitDelay = 5 * time.Second
	if err := b.driver.Start(); err != nil {
		b.Close()
		return nil, fmt.Errorf("webkit: start %s: %w", opt.Driver, err)
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	if err := b.waitReady(ctx, base); err != nil {
		b.Close()
		return nil, err
	}
	caps := map[string]any{"capabilities": map[string]any{"alwaysMatch": map[string]any{
		"browserName": "MiniBrowser",
		"webkitgtk:browserOptions": map[string]any{
			"binary": opt.Browser,
			"args":   append([]string{"--automation"}, opt.Args...),
		},
	}}}
	var created struct {
		SessionID string `json:"sessionId"`
	}
	if err := b.do(ctx, http.MethodPost, base+"/session", caps, &created); err != nil {
		b.Close()
		return nil, err
	}
	b.session = base + "/session/" + created.SessionID
	rect := map[string]any{"width": width, "height": height, "x": 0, "y": 0}
	if err := b.cmd(ctx, http.MethodPost, "/window/rect", rect, nil); err != nil {
		b.Close()
		return nil, err
	}
	return b, nil
}

// startXvfb starts a virtual screen and returns its DISPLAY. Xvfb picks
// a free display number itself and writes it to -displayfd.
func (b *Browser) startXvfb(ctx context.Context, exe string, width, height int) (string, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return "", err
	}
	defer r.Close()
	b.xvfb = exec.Command(exe, "-displayfd", "3", "-screen", "0", fmt.Sprintf("%dx%dx24", width, height), "-nolisten", "tcp")
	b.xvfb.ExtraFiles = []*os.File{w}
	b.xvfbOut = lines(b.log, "xvfb")
	b.xvfb.Stdout, b.xvfb.Stderr = b.xvfbOut, b.xvfbOut
	err = b.xvfb.Start()
	w.Close()
	if err != nil {
		b.xvfb = nil
		return "", fmt.Errorf("webkit: start %s: %w", exe, err)
	}
	got := make(chan string, 1)
	go func() {
		line, _ := io.ReadAll(io.LimitReader(r, 16))
		got <- strings.TrimSpace(string(line))
	}()
	select {
	case n := <-got:
		if _, err := strconv.Atoi(n); err != nil {
			b.Close()
			return "", fmt.Errorf("webkit: Xvfb gave no display number (%q)", n)
		}
		return ":" + n, nil
	case <-ctx.Done():
		b.Close()
		return "", fmt.Errorf("webkit: waiting for Xvfb: %w", ctx.Err())
	case <-time.After(30 * time.Second):
		b.Close()
		return "", errors.New("webkit: Xvfb gave no display within 30 s")
	}
}

// waitReady waits until the driver answers /status.
func (b *Browser) waitReady(ctx context.Context, base string) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		var st struct {
			Ready bool `json:"ready"`
		}
		err := b.do(ctx, http.MethodGet, base+"/status", nil, &st)
		if err == nil && st.Ready {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("webkit: the driver did not answer within 30 s: %v", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("webkit: waiting for the driver: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("webkit: find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Error is a WebDriver error answer.
type Error struct {
	Code    string `json:"error"`
	Message string `json:"message"`
}

func (e *Error) Error() string { return "webkit: " + e.Code + ": " + e.Message }

// do sends one WebDriver request and decodes the answer's value into out
// (which may be nil).
func (b *Browser) do(ctx context.Context, method, url string, body, out any) error {
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := b.client.Do(req)
	if err != nil {
		return fmt.Errorf("webkit: %s %s: %w", method, url, err)
	}
	defer res.Body.Close()
	var answer struct {
		Value json.RawMessage `json:"value"`
	}
	if err := json.NewDecoder(res.Body).Decode(&answer); err != nil {
		return fmt.Errorf("webkit: %s %s: %d, undecodable answer: %w", method, url, res.StatusCode, err)
	}
	if res.StatusCode != http.StatusOK {
		var e Error
		if json.Unmarshal(answer.Value, &e) != nil || e.Code == "" {
			return fmt.Errorf("webkit: %s %s: %d %s", method, url, res.StatusCode, answer.Value)
		}
		return &e
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(answer.Value, out)
}

// cmd sends a command to the session.
func (b *Browser) cmd(ctx context.Context, method, path string, body, out any) error {
	return b.do(ctx, method, b.session+path, body, out)
}

// Navigate loads url and waits for the page's load event.
func (b *Browser) Navigate(ctx context.Context, url string) error {
	return b.cmd(ctx, http.MethodPost, "/url", map[string]any{"url": url}, nil)
}

// Eval runs expr, a JavaScript expression (a promise is awaited), and
// decodes its value, passed through JSON.stringify, into out (which may
// be nil). An exception comes back as an error.
func (b *Browser) Eval(ctx context.Context, expr string, out any) error {
	script := `const done = arguments[arguments.length - 1];
(async () => JSON.stringify(await (` + expr + `)))().then(
	(v) => done({value: v === undefined ? null : v}),
	(e) => done({error: String(e && e.stack || e)}));`
	var res struct {
		Value *string `json:"value"`
		Error string  `json:"error"`
	}
	body := map[string]any{"script": script, "args": []any{}}
	if err := b.cmd(ctx, http.MethodPost, "/execute/async", body, &res); err != nil {
		return err
	}
	if res.Error != "" {
		return fmt.Errorf("webkit: eval %.80q: %s", expr, res.Error)
	}
	if out == nil || res.Value == nil {
		return nil
	}
	if err := json.Unmarshal([]byte(*res.Value), out); err != nil {
		return fmt.Errorf("webkit: eval %.80q gave %q: %w", expr, *res.Value, err)
	}
	return nil
}

// find returns the WebDriver reference of the element sel selects.
func (b *Browser) find(ctx context.Context, sel string) (string, error) {
	var ref map[string]string
	err := b.cmd(ctx, http.MethodPost, "/element", map[string]any{"using": "css selector", "value": sel}, &ref)
	if err != nil {
		return "", fmt.Errorf("webkit: find %s: %w", sel, err)
	}
	for _, id := range ref { // the one key is the element reference's name
		return id, nil
	}
	return "", fmt.Errorf("webkit: find %s: no element reference", sel)
}

// Click clicks the element sel selects as a user does: WebDriver scrolls
// it into view and sends a real pointer click to its middle.
func (b *Browser) Click(ctx context.Context, sel string) error {
	id, err := b.find(ctx, sel)
	if err != nil {
		return err
	}
	if err := b.cmd(ctx, http.MethodPost, "/element/"+id+"/click", map[string]any{}, nil); err != nil {
		return fmt.Errorf("webkit: click %s: %w", sel, err)
	}
	return nil
}

// Type types text into the element sel selects, as keys a user presses
// ("\ue007" is Enter).
func (b *Browser) Type(ctx context.Context, sel, text string) error {
	id, err := b.find(ctx, sel)
	if err != nil {
		return err
	}
	if err := b.cmd(ctx, http.MethodPost, "/element/"+id+"/value", map[string]any{"text": text}, nil); err != nil {
		return fmt.Errorf("webkit: type into %s: %w", sel, err)
	}
	return nil
}

// WaitFor waits until sel selects an element.
func (b *Browser) WaitFor(ctx context.Context, sel string) error {
	if err := pagequery.WaitFor(ctx, b, sel); err != nil {
		return fmt.Errorf("webkit: %w", err)
	}
	return nil
}

// Text is the text content of the element sel selects ("" if none).
func (b *Browser) Text(ctx context.Context, sel string) (string, error) {
	return pagequery.Text(ctx, b, sel)
}

// Attr is an attribute of the element sel selects, and whether it is set.
func (b *Browser) Attr(ctx context.Context, sel, name string) (string, bool, error) {
	return pagequery.Attr(ctx, b, sel, name)
}

// Screenshot is a PNG of the window's viewport, once the page has
// painted what it last changed.
func (b *Browser) Screenshot(ctx context.Context) ([]byte, error) {
	if err := b.Eval(ctx, `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50))))`, nil); err != nil {
		return nil, err
	}
	var b64 string
	if err := b.cmd(ctx, http.MethodGet, "/screenshot", nil, &b64); err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(b64)
}

// Close ends the session, the driver with its browser, and the X server.
func (b *Browser) Close() {
	b.closeOnce.Do(func() {
		if b.session != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = b.do(ctx, http.MethodDelete, b.session, nil, nil)
			cancel()
		}
		if b.driver != nil && b.driver.Process != nil {
			stop(b.driver, true)
		}
		if b.xvfb != nil && b.xvfb.Process != nil {
			stop(b.xvfb, false)
		}
		for _, w := range []*io.PipeWriter{b.driverOut, b.xvfbOut} {
			if w != nil {
				w.Close()
			}
		}
	})
}

// stop ends cmd (and its process group, if group) with SIGTERM, then
// SIGKILL after 10 s.
func stop(cmd *exec.Cmd, group bool) {
	pid := cmd.Process.Pid
	if group {
		pid = -pid
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(pid, syscall.SIGKILL)
		<-exited
	}
}

// lines returns a writer that logs each line written to it, prefixed;
// close it once the writer's process has exited.
func lines(logf func(string, ...any), prefix string) *io.PipeWriter {
	r, w := io.Pipe()
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			logf("%s: %s", prefix, sc.Text())
		}
		_, _ = io.Copy(io.Discard, r) // a line too long: drop the rest
	}()
	return w
}

// Keys presses keys, one after another, wherever the focus is, as a
// user's keyboard does (WebDriver's key codes: "\ue004" is Tab, "\ue017"
// Delete).
func (b *Browser) Keys(ctx context.Context, keys string) error {
	if err := b.cmd(ctx, http.MethodPost, "/actions", map[string]any{"actions": []any{pagequery.KeyActions(keys)}}, nil); err != nil {
		return fmt.Errorf("webkit: keys %q: %w", keys, err)
	}
	return nil
}
