package main

import (
	"net/http"
	"os"
	"os/exec"
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
	cmd := exec.Command(haproxy, "-db", "-f", "deploy/haproxy.cfg")
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
