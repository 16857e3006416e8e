//go:build linux

package e2e

import (
	"bytes"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
)

// wire is a TCP proxy in front of a test server that sees what a browser
// sees on the network: every byte the browser receives (status lines,
// headers and bodies, compressed as sent; WebSocket frames too) and the
// path of every request it makes. It measures the same thing in every
// engine, where each engine's own figures (Chromium's transferSize,
// Firefox's, WebKit's none) count differently or not at all. The page is
// opened at url; plain HTTP/1.1, as the tests' server speaks.
type wire struct {
	url string

	mu       sync.Mutex
	received int64
	paths    []string
	conns    map[net.Conn]bool
}

// newWire starts a wire to the server at target ("http://host:port"),
// closed with the test.
func newWire(t *testing.T, target string) *wire {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	w := &wire{url: "http://" + ln.Addr().String(), conns: map[net.Conn]bool{}}
	host := strings.TrimPrefix(target, "http://")
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() { defer wg.Done(); w.relay(c, host) }()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		w.mu.Lock()
		for c := range w.conns {
			c.Close()
		}
		w.conns = nil
		w.mu.Unlock()
		wg.Wait()
	})
	return w
}

// relay carries one connection of the browser's to the server and back,
// counting what comes back and reading the request lines that go.
func (w *wire) relay(browser net.Conn, host string) {
	server, err := net.Dial("tcp", host)
	if err != nil {
		browser.Close()
		return
	}
	if !w.track(browser, server) {
		return
	}
	defer w.untrack(browser, server)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = io.Copy(server, io.TeeReader(browser, &requestLines{w: w}))
		server.(*net.TCPConn).CloseWrite()
	}()
	_, _ = io.Copy(countingWriter{browser, w}, server)
	browser.(*net.TCPConn).CloseWrite()
	<-done
}

// track notes an open pair to close with the test; false once closed.
func (w *wire) track(cs ...net.Conn) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.conns == nil {
		for _, c := range cs {
			c.Close()
		}
		return false
	}
	for _, c := range cs {
		w.conns[c] = true
	}
	return true
}

func (w *wire) untrack(cs ...net.Conn) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range cs {
		c.Close()
		delete(w.conns, c)
	}
}

// seen is what the browser received so far, in bytes, and the paths it
// asked for, in order.
func (w *wire) seen() (int64, []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.received, slices.Clone(w.paths)
}

// countingWriter counts the bytes written through it to the browser.
type countingWriter struct {
	io.Writer
	w *wire
}

func (c countingWriter) Write(p []byte) (int, error) {
	n, err := c.Writer.Write(p)
	c.w.mu.Lock()
	c.w.received += int64(n)
	c.w.mu.Unlock()
	return n, err
}

// requestLine is an HTTP/1 request line: "GET /path?query HTTP/1.1".
var requestLine = regexp.MustCompile(`^[A-Z]+ (/\S*) HTTP/1\.[01]\r?$`)

// requestLines reads the lines a browser sends and notes the path of
// each request line among them (bodies and WebSocket frames hold none
// that match, and a long line is cut, not kept).
type requestLines struct {
	w    *wire
	line []byte
}

func (r *requestLines) Write(p []byte) (int, error) {
	for rest := p; len(rest) > 0; {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			r.keep(rest)
			break
		}
		r.keep(rest[:i])
		if m := requestLine.FindSubmatch(r.line); m != nil {
			r.w.mu.Lock()
			r.w.paths = append(r.w.paths, string(m[1]))
			r.w.mu.Unlock()
		}
		r.line, rest = r.line[:0], rest[i+1:]
	}
	return len(p), nil
}

func (r *requestLines) keep(b []byte) {
	if room := 8192 - len(r.line); room > 0 {
		r.line = append(r.line, b[:min(len(b), room)]...)
	}
}
