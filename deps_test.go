package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDomainLinksNoInfrastructure keeps the layout's rule: the audio
// domain (media and media/library) links no SQL, no object-store client,
// no HTTP framework and no WebRTC network stack. pion/opus, the pure-Go
// Opus decoder, is the domain's own tool and allowed.
func TestDomainLinksNoInfrastructure(t *testing.T) {
	forbidden := []string{
		"database/sql", "modernc.org/sqlite", "github.com/jackc/pgx", "github.com/minio/",
		"github.com/gofiber/", "github.com/valyala/fasthttp", "github.com/pion/webrtc",
		"github.com/pion/ice", "github.com/pion/dtls", "github.com/pion/srtp",
		"github.com/avatarweb/recorder/db", "github.com/avatarweb/recorder/handlers",
		"github.com/avatarweb/recorder/media/rtc",
	}
	for _, pkg := range linked(t, "./media", "./media/library") {
		for _, f := range forbidden {
			if pkg == f || strings.HasPrefix(pkg, f+"/") || strings.HasSuffix(f, "/") && strings.HasPrefix(pkg, f) {
				t.Errorf("the media domain links %s", pkg)
			}
		}
	}
}

// TestMetricsStayInMain: Prometheus is main's business. The domain and
// the handlers expose plain totals and an Observer; main converts them.
func TestMetricsStayInMain(t *testing.T) {
	for _, pkg := range linked(t, "./media/...", "./handlers/...") {
		if strings.HasPrefix(pkg, "github.com/prometheus/") {
			t.Errorf("media or handlers link %s", pkg)
		}
	}
}

// linked lists every package the patterns link, their own included.
func linked(t *testing.T, patterns ...string) []string {
	t.Helper()
	out, err := exec.Command("go", append([]string{"list", "-deps"}, patterns...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	return strings.Fields(string(out))
}

// TestHandlersSpeakNoPion: the HTTP layer's Sessions speaks SDP strings
// and the domain's values (media.SessionDescription, media.ICECandidate);
// no handler imports pion itself.
func TestHandlersSpeakNoPion(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{join .Imports " "}}`, "./handlers/...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/pion/") {
			t.Errorf("a handler imports %s", pkg)
		}
	}
}
