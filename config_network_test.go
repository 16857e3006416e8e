package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media/rtc"
)

func TestParseConfig_Network(t *testing.T) {
	env := map[string]string{
		"RECORDER_TURN_SECRET": "from-env",
		"RECORDER_PUBLIC_IP":   "198.51.100.7",
		"RECORDER_UDP_PORT":    "50000",
	}
	cfg, err := parseConfig([]string{
		"-stun", "stun:stun.example.org:3478",
		"-turn", "turn:turn.example.org:3478?transport=udp, turns:turn.example.org:5349",
		"-turn-user", "rec", "-tcp-port", "50001", "-udp-port-range", "40000-40100",
		"-ice-interfaces", "eth0", "-ice-networks", "udp4,tcp4", "-ice-relay-only",
	}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	n := cfg.Network
	if n.TURNSecret != "from-env" || n.TURNUser != "rec" || len(n.TURN) != 2 || n.STUN[0] != "stun:stun.example.org:3478" ||
		n.PublicIPs[0] != "198.51.100.7" || n.UDPPort != 50000 || n.TCPPort != 50001 || n.PortMin != 40000 || n.PortMax != 40100 ||
		n.Interfaces[0] != "eth0" || len(n.Networks) != 2 || !n.RelayOnly || n.TURNTTL != 12*time.Hour {
		t.Errorf("network config %+v", n)
	}

	for _, bad := range [][]string{
		{"-udp-port-range", "40100"},
		{"-udp-port-range", "0-10"},
		{"-turn", "turn:a:3478"}, // no credentials
		{"-stun", "turn:a:3478"},
		{"-public-ip", "my.host"},
		{"-ice-networks", "udp5"},
		{"-turn", "turn:a:3478", "-turn-secret", "s", "-turn-ttl", "0s"},
	} {
		if _, err := parseConfig(bad, func(string) string { return "" }); err == nil {
			t.Errorf("parseConfig(%q) accepted", bad)
		}
	}
}

// TestICEConfig_NotLogged: the page gets TURN credentials made from the
// secret; neither the secret nor a credential reaches the log, even at
// debug level.
func TestICEConfig_NotLogged(t *testing.T) {
	const secret = "s3cr3t-shared-with-coturn"
	cfg, err := parseConfig([]string{"-data", t.TempDir(), "-turn", "turn:198.51.100.20:3478", "-log-level", "debug"},
		func(k string) string {
			if k == "RECORDER_TURN_SECRET" {
				return secret
			}
			return ""
		})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := newServer(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	req := httptest.NewRequest("GET", "/webrtc/ice-config", nil)
	req.Host = "localhost"
	res, err := srv.app.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	var got rtc.BrowserICE
	if err := json.Unmarshal(body, &got); err != nil || res.StatusCode != 200 {
		t.Fatalf("GET /webrtc/ice-config: %d %s", res.StatusCode, body)
	}
	if len(got.Servers) != 1 || got.Servers[0].URLs[0] != "turn:198.51.100.20:3478" || got.Servers[0].Credential == "" || got.Policy != "all" {
		t.Fatalf("ice config %+v", got)
	}
	user, pass := got.Servers[0].Username, got.Servers[0].Credential
	if want, _ := rtc.TURNCredentials(secret, "", time.Now(), 12*time.Hour); !sameExpiry(user, want) {
		t.Errorf("user name %q, want an expiry about 12 h from now like %q", user, want)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q: credentials must not be cached", res.Header.Get("Cache-Control"))
	}
	if strings.Contains(string(body), secret) {
		t.Error("the secret itself was handed to the page")
	}
	for _, s := range []string{secret, pass} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the log holds %q:\n%s", s, logs.String())
		}
	}
}

// sameExpiry compares expiry times to within a minute.
func sameExpiry(a, b string) bool {
	var x, y int64
	if _, err := fmt.Sscan(a, &x); err != nil {
		return false
	}
	if _, err := fmt.Sscan(b, &y); err != nil {
		return false
	}
	return x-y < 60 && y-x < 60
}
