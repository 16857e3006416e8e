package app

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

	"github.com/avatarweb/recorder/internal/config"
	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/media"
)

// TestICEConfig_NotLogged: the page gets TURN credentials made from the
// secret; neither the secret nor a credential reaches the log, even at
// debug level.
func TestICEConfig_NotLogged(t *testing.T) {
	const secret = "s3cr3t-shared-with-coturn"
	cfg, err := config.Parse([]string{"-data", t.TempDir(), "-turn", "turn:198.51.100.20:3478", "-log-level", "debug"},
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
	srv, err := New(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	req := httptest.NewRequest("GET", "/webrtc/ice-config", nil)
	req.Host = "localhost"
	res, err := srv.App.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	var got media.BrowserICE
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
