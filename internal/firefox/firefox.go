// Package firefox drives a headless Firefox for tests over WebDriver BiDi,
// the W3C protocol Firefox speaks natively: the system's firefox-esr is
// started with a fresh profile and a remote-debugging port, and commands
// go over one WebSocket. Nothing is downloaded and no driver binary (no
// geckodriver, no Node) is needed.
//
// Only what the tests use is here: navigate, evaluate a script, click an
// element with a real pointer, wait for a selector, take a screenshot.
package firefox

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/avatarweb/recorder/internal/pagequery"
)

// Options say how to start Firefox.
type Options struct {
	// Exec is the Firefox executable (e.g. /usr/bin/firefox-esr).
	Exec string
	// Wrap, if set, is a command line Firefox runs under, e.g.
	// {"ip", "netns", "exec", "ns1"} to start it inside a namespace.
	Wrap []string
	// Prefs are written to the profile's user.js.
	Prefs map[string]any
	// Dial reaches Firefox's WebDriver BiDi port (on 127.0.0.1 where Firefox
	// runs); nil dials from this process's network namespace.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// Log receives Firefox's output lines; nil drops them.
	Log func(format string, args ...any)
}

// Browser is one running Firefox with one top-level browsing context.
type Browser struct {
	cmd     *exec.Cmd
	conn    *websocket.Conn
	profile string
	log     func(string, ...any)
	context string // the browsing context every command targets

	writeMu sync.Mutex
	mu      sync.Mutex
	nextID  int
	pending map[int]chan message
	readErr error
	done    chan struct{}
}

// message is a BiDi command response, error or event.
type message struct {
	Type    string          `json:"type"` // success, error, event
	ID      int             `json:"id"`
	Result  json.RawMessage `json:"result"`
	Error   string          `json:"error"`
	Message string          `json:"message"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

var listening = regexp.MustCompile(`WebDriver BiDi listening on (ws://\S+)`)

// Launch starts Firefox with a new profile and opens a BiDi session. The
// browser is closed, and its profile removed, by Close.
func Launch(ctx context.Context, opt Options) (*Browser, error) {
	profile, err := os.MkdirTemp("", "firefox-profile-")
	if err != nil {
		return nil, fmt.Errorf("firefox: profile dir: %w", err)
	}
	if err := writePrefs(filepath.Join(profile, "user.js"), opt.Prefs); err != nil {
		os.RemoveAll(profile)
		return nil, err
	}
	logf := opt.Log
	if logf == nil {
		logf = func(string, ...any) {}
	}
	args := append(append([]string{}, opt.Wrap...), opt.Exec, "--headless", "--no-remote",
		"--profile", profile, "--remote-debugging-port", "0", "about:blank")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), "MOZ_CRASHREPORTER_DISABLE=1")
	// Its own process group: Close ends Firefox's content processes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	found := make(chan string, 1)
	lines := &lineWriter{line: func(line string) {
		if m := listening.FindStringSubmatch(line); m != nil {
			select {
			case found <- m[1]:
			default:
			}
		}
		logf("firefox: %s", line)
	}}
	cmd.Stdout, cmd.Stderr = lines, lines
	// Content processes may keep the output open after the parent exits.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		os.RemoveAll(profile)
		return nil, fmt.Errorf("firefox: start %s: %w", opt.Exec, err)
	}
	b := &Browser{cmd: cmd, profile: profile, log: logf, pending: map[int]chan message{}, done: make(chan struct{})}
	var wsURL string
	select {
	case wsURL = <-found:
	case <-ctx.Done():
		b.Close()
		return nil, fmt.Errorf("firefox: waiting for its WebDriver BiDi port: %w", ctx.Err())
	case <-time.After(60 * time.Second):
		b.Close()
		return nil, errors.New("firefox: no WebDriver BiDi port announced within 60 s")
	}
	dialer := websocket.Dialer{NetDialContext: opt.Dial, HandshakeTimeout: 10 * time.Second}
	conn, _, err := dialer.DialContext(ctx, wsURL+"/session", nil)
	if err != nil {
		b.Close()
		return nil, fmt.Errorf("firefox: dial %s: %w", wsURL, err)
	}
	b.conn = conn
	go b.readLoop()

	if _, err := b.call(ctx, "session.new", map[string]any{"capabilities": map[string]any{}}); err != nil {
		b.Close()
		return nil, err
	}
	// The page's console goes to Log.
	if _, err := b.call(ctx, "session.subscribe", map[string]any{"events": []string{"log.entryAdded"}}); err != nil {
		b.Close()
		return nil, err
	}
	raw, err := b.call(ctx, "browsingContext.getTree", map[string]any{"maxDepth": 0})
	if err != nil {
		b.Close()
		return nil, err
	}
	var tree struct {
		Contexts []struct {
			Context string `json:"context"`
		} `json:"contexts"`
	}
	if err := json.Unmarshal(raw, &tree); err != nil || len(tree.Contexts) == 0 {
		b.Close()
		return nil, fmt.Errorf("firefox: no browsing context (%s): %v", raw, err)
	}
	b.context = tree.Contexts[0].Context
	return b, nil
}

// lineWriter calls line for each line written to it.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	line func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		w.line(string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}

// writePrefs writes prefs as user.js lines, user_pref("name", value);
func writePrefs(path string, prefs map[string]any) error {
	var sb strings.Builder
	for name, v := range prefs {
		val, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("firefox: pref %s: %w", name, err)
		}
		fmt.Fprintf(&sb, "user_pref(%q, %s);\n", name, val)
	}
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		return fmt.Errorf("firefox: write prefs: %w", err)
	}
	return nil
}

func (b *Browser) readLoop() {
	defer close(b.done)
	for {
		_, data, err := b.conn.ReadMessage()
		if err != nil {
			b.mu.Lock()
			b.readErr = err
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		var m message
		if err := json.Unmarshal(data, &m); err != nil {
			b.log("firefox: undecodable BiDi message %q: %v", data, err)
			continue
		}
		if m.Type == "event" {
			if m.Method == "log.entryAdded" {
				var e struct {
					Level string `json:"level"`
					Text  string `json:"text"`
				}
				_ = json.Unmarshal(m.Params, &e)
				b.log("firefox console %s: %s", e.Level, e.Text)
			}
			continue
		}
		b.mu.Lock()
		ch := b.pending[m.ID]
		delete(b.pending, m.ID)
		b.mu.Unlock()
		if ch != nil {
			ch <- m
		}
	}
}

// call sends one command and waits for its result.
func (b *Browser) call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	b.mu.Lock()
	if b.readErr != nil {
		b.mu.Unlock()
		return nil, fmt.Errorf("firefox: %s: connection lost: %w", method, b.readErr)
	}
	b.nextID++
	id := b.nextID
	ch := make(chan message, 1)
	b.pending[id] = ch
	b.mu.Unlock()
	req, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return nil, err
	}
	b.writeMu.Lock()
	err = b.conn.WriteMessage(websocket.TextMessage, req)
	b.writeMu.Unlock()
	if err != nil {
		return nil, fmt.Errorf("firefox: send %s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("firefox: %s: connection lost: %w", method, b.readErr)
		}
		if m.Type == "error" {
			return nil, fmt.Errorf("firefox: %s: %s: %s", method, m.Error, m.Message)
		}
		return m.Result, nil
	case <-ctx.Done():
		b.mu.Lock()
		delete(b.pending, id)
		b.mu.Unlock()
		return nil, fmt.Errorf("firefox: %s: %w", method, ctx.Err())
	}
}

// Navigate loads url and waits for the page's load event.
func (b *Browser) Navigate(ctx context.Context, url string) error {
	_, err := b.call(ctx, "browsingContext.navigate", map[string]any{"context": b.context, "url": url, "wait": "complete"})
	return err
}

// Eval runs expr, a JavaScript expression (a promise is awaited), as if
// the user had just interacted with the page, and decodes its value,
// passed through JSON.stringify, into out (which may be nil).
func (b *Browser) Eval(ctx context.Context, expr string, out any) error {
	raw, err := b.call(ctx, "script.evaluate", map[string]any{
		"expression":     "(async () => JSON.stringify(await (" + expr + ")))()",
		"target":         map[string]any{"context": b.context},
		"awaitPromise":   true,
		"userActivation": true,
	})
	if err != nil {
		return err
	}
	var res struct {
		Type             string `json:"type"`
		ExceptionDetails struct {
			Text string `json:"text"`
		} `json:"exceptionDetails"`
		Result struct {
			Type  string `json:"type"`
			Value string `json:"value"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("firefox: eval result %s: %w", raw, err)
	}
	if res.Type == "exception" {
		return fmt.Errorf("firefox: eval %.80q: %s", expr, res.ExceptionDetails.Text)
	}
	if out == nil || res.Result.Type != "string" {
		return nil
	}
	if err := json.Unmarshal([]byte(res.Result.Value), out); err != nil {
		return fmt.Errorf("firefox: eval %.80q gave %q: %w", expr, res.Result.Value, err)
	}
	return nil
}

// Click moves a pointer to the middle of the element sel selects and
// presses and releases its button there, as a user's click.
func (b *Browser) Click(ctx context.Context, sel string) error {
	raw, err := b.call(ctx, "script.evaluate", map[string]any{
		"expression":   fmt.Sprintf(`(() => { const el = document.querySelector(%s); if (el) el.scrollIntoView({block: 'center'}); return el; })()`, strconv.Quote(sel)),
		"target":       map[string]any{"context": b.context},
		"awaitPromise": false,
	})
	if err != nil {
		return err
	}
	var res struct {
		Result struct {
			Type     string `json:"type"`
			SharedID string `json:"sharedId"`
		} `json:"result"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return fmt.Errorf("firefox: click %s: %w", sel, err)
	}
	if res.Result.Type != "node" || res.Result.SharedID == "" {
		return fmt.Errorf("firefox: click %s: no such element", sel)
	}
	_, err = b.call(ctx, "input.performActions", map[string]any{
		"context": b.context,
		"actions": []any{map[string]any{
			"type": "pointer", "id": "mouse", "parameters": map[string]any{"pointerType": "mouse"},
			"actions": []any{
				map[string]any{"type": "pointerMove", "x": 0, "y": 0, "origin": map[string]any{
					"type": "element", "element": map[string]any{"sharedId": res.Result.SharedID}}},
				map[string]any{"type": "pointerDown", "button": 0},
				map[string]any{"type": "pointerUp", "button": 0},
			},
		}},
	})
	if err != nil {
		return fmt.Errorf("firefox: click %s: %w", sel, err)
	}
	return nil
}

// WaitFor waits until sel selects an element.
func (b *Browser) WaitFor(ctx context.Context, sel string) error {
	if err := pagequery.WaitFor(ctx, b, sel); err != nil {
		return fmt.Errorf("firefox: %w", err)
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

// Screenshot is a PNG of the page's viewport, once the page has painted
// what it last changed.
func (b *Browser) Screenshot(ctx context.Context) ([]byte, error) {
	if err := b.Eval(ctx, `new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 50))))`, nil); err != nil {
		return nil, err
	}
	raw, err := b.call(ctx, "browsingContext.captureScreenshot", map[string]any{"context": b.context})
	if err != nil {
		return nil, err
	}
	var res struct {
		Data string `json:"data"`
	}
	if err := json.Unmarshal(raw, &res); err != nil {
		return nil, fmt.Errorf("firefox: screenshot: %w", err)
	}
	png, err := base64.StdEncoding.DecodeString(res.Data)
	if err != nil {
		return nil, fmt.Errorf("firefox: screenshot: %w", err)
	}
	return png, nil
}

// Close ends the session and Firefox, and removes the profile.
func (b *Browser) Close() {
	if b.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, _ = b.call(ctx, "browser.close", map[string]any{})
		cancel()
		_ = b.conn.Close()
	}
	exited := make(chan struct{})
	go func() { _ = b.cmd.Wait(); close(exited) }()
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	_ = os.RemoveAll(b.profile)
}
