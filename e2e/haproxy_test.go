package e2e

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHAProxy runs deploy/haproxy.cfg with Debian's haproxy in front of two
// nodes sharing one PostgreSQL index and one recordings directory: a
// client without the cookie is spread over both nodes, one with it stays
// on its node.
func TestHAProxy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs two of it behind haproxy")
	}
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not installed (apt-get install haproxy); the load-balancer example is not tested")
	}
	dbURL := testPG.Get(t).FreshURL(t)
	nodeArgs, _ := sharedDirStore(t)
	bin := buildBinary(t)
	a := startNode(t, bin, "node-a", dbURL, nodeArgs)
	b := startNode(t, bin, "node-b", dbURL, nodeArgs)
	lb := freeAddr(t)
	cmd := exec.Command(haproxy, "-db", "-f", "../deploy/haproxy.cfg")
	cmd.Env = append(os.Environ(), "RECORDER_LB_BIND="+lb,
		"RECORDER_NODE_A="+a.base[len("http://"):], "RECORDER_NODE_B="+b.base[len("http://"):])
	cmd.Stderr = testWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })

	get := func(cookie *http.Cookie) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("GET", "http://"+lb+"/get_params", nil)
		if cookie != nil {
			req.AddCookie(cookie)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	deadline := time.Now().Add(15 * time.Second)
	seen := map[string]*http.Cookie{}
	for len(seen) < 2 && time.Now().Before(deadline) {
		res, err := http.Get("http://" + lb + "/get_params")
		if err != nil || res.StatusCode != http.StatusOK {
			time.Sleep(100 * time.Millisecond) // haproxy starting, health checks
			continue
		}
		res.Body.Close()
		for _, c := range res.Cookies() {
			if c.Name == "RECORDER_NODE" {
				seen[res.Header.Get("X-Served-By")] = c
			}
		}
	}
	if seen["a"] == nil || seen["b"] == nil {
		t.Fatalf("clients without the cookie reached %v; want both nodes, each setting its cookie", seen)
	}
	for name, c := range seen {
		for range 6 {
			if got := get(c).Header.Get("X-Served-By"); got != name {
				t.Fatalf("a client with node %s's cookie was served by %q", name, got)
			}
		}
	}
}

// startHAProxy runs Debian's haproxy with deploy/haproxy.cfg, each server
// line given extra (such as "send-proxy"), in front of nodes (host:port,
// a and b), and returns the address it listens on once it answers.
func startHAProxy(t *testing.T, haproxy, extra string, nodes [2]string) string {
	t.Helper()
	cfg, err := os.ReadFile("../deploy/haproxy.cfg")
	if err != nil {
		t.Fatal(err)
	}
	text := string(cfg)
	if extra != "" {
		text = strings.ReplaceAll(text, " check inter 2s", " check inter 2s "+extra)
	}
	path := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	lb := freeAddr(t)
	cmd := exec.Command(haproxy, "-db", "-f", path)
	cmd.Env = append(os.Environ(), "RECORDER_LB_BIND="+lb, "RECORDER_NODE_A="+nodes[0], "RECORDER_NODE_B="+nodes[1])
	cmd.Stderr = testWriter{t}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(15 * time.Second)
	for {
		res, err := http.Get("http://" + lb + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return lb
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("haproxy did not pass requests on: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// clientAt is an HTTP client whose connections come from local, an
// address of this machine's loopback (127.0.0.0/8): one client of many.
func clientAt(local string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	return &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
}

// TestHAProxyLimitsEachClient: behind the documented HAProxy, each client
// is limited on its own. The node trusts the balancer (-trusted-proxies)
// and learns the client from it: from X-Forwarded-For (option forwardfor,
// as deploy/haproxy.cfg has it), or from the PROXY protocol (send-proxy,
// send-proxy-v2). Before, every user behind the balancer shared its
// address: one client's ten wrong tokens locked every Bearer client out
// for a minute, and the upload and offer limits counted all users
// together. Two clients, from 127.0.0.2 and 127.0.0.3, through each
// variant: one guesses until 429, the other is not limited by it, and the
// right token still passes from the guesser's own address; one client's
// open upload does not use up the other's.
func TestHAProxyLimitsEachClient(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs it behind haproxy")
	}
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not installed (apt-get install haproxy); the load-balancer example is not tested")
	}
	const token = "haproxy-test-token-0123456789"
	node := runServer(t, buildBinary(t), []string{"RECORDER_TOKEN=" + token},
		"-trusted-proxies", "127.0.0.1", "-max-uploads-per-client", "1")
	for i, extra := range []string{"", "send-proxy", "send-proxy-v2"} {
		name := extra
		if name == "" {
			name = "forwardfor"
		}
		t.Run(name, func(t *testing.T) {
			lb := startHAProxy(t, haproxy, extra, [2]string{node.addr, node.addr})
			guesser := clientAt(fmt.Sprintf("127.0.0.%d", 2+2*i))
			other := clientAt(fmt.Sprintf("127.0.0.%d", 3+2*i))
			call := func(c *http.Client, method, path, tok, body string) int {
				t.Helper()
				req, _ := http.NewRequest(method, "http://"+lb+path, strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+tok)
				if body != "" {
					req.Header.Set("Content-Type", "application/json")
				}
				res, err := c.Do(req)
				if err != nil {
					t.Fatalf("%s %s: %v", method, path, err)
				}
				res.Body.Close()
				return res.StatusCode
			}
			for n := range 10 {
				if code := call(guesser, "GET", "/get_params", fmt.Sprint("guess-", n), ""); code != http.StatusUnauthorized {
					t.Fatalf("wrong token %d: %d, want 401", n+1, code)
				}
			}
			if code := call(guesser, "GET", "/get_params", "guess-10", ""); code != http.StatusTooManyRequests {
				t.Errorf("the guesser's 11th wrong token: %d, want 429", code)
			}
			if code := call(other, "GET", "/get_params", "typo", ""); code != http.StatusUnauthorized {
				t.Errorf("another client's wrong token: %d, want 401: limited for the guesser's", code)
			}
			if code := call(other, "GET", "/get_params", token, ""); code != http.StatusOK {
				t.Errorf("another client's right token: %d, want 200", code)
			}
			if code := call(guesser, "GET", "/get_params", token, ""); code != http.StatusOK {
				t.Errorf("the right token from the guesser's address: %d, want 200", code)
			}
			// -max-uploads-per-client 1: one open upload each.
			for _, c := range []*http.Client{guesser, other} {
				if code := call(c, "POST", "/uploads", token, fmt.Sprintf(`{"upload_id":"u%p","mime":"audio/webm"}`, c)); code != http.StatusOK {
					t.Errorf("a client's first upload: %d, want 200", code)
				}
			}
			if code := call(other, "POST", "/uploads", token, `{"upload_id":"one-too-many","mime":"audio/webm"}`); code != http.StatusTooManyRequests {
				t.Errorf("a client's second upload: %d, want 429", code)
			}
		})
	}
	t.Run("ErrSpoofedDirect", func(t *testing.T) {
		// Straight to the node, X-Forwarded-For is not believed: a client
		// cannot take another's place, nor escape its own limit.
		direct := clientAt("127.0.0.20")
		for n := range 11 {
			req, _ := http.NewRequest("GET", "http://"+node.addr+"/get_params", nil)
			req.Header.Set("Authorization", "Bearer nope")
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.100.%d", n))
			res, err := direct.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if want := map[bool]int{true: 429, false: 401}[n == 10]; res.StatusCode != want {
				t.Errorf("wrong token %d with a made-up X-Forwarded-For: %d, want %d", n+1, res.StatusCode, want)
			}
		}
	})
}
