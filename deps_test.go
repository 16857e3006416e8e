package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The layers, lowest first: the audio domain (media/...), the adapters
// that give it a database, a store, a network or an HTTP face (db,
// internal/dirstore, internal/s3store, internal/rtc, handlers, ...), and
// the wiring (internal/app, main). No import runs from a lower layer up.
const module = "github.com/avatarweb/recorder"

// TestDomainLinksNoInfrastructure keeps the layout's rule: every package
// of the audio domain (media/...) links the standard library, the other
// domain packages and, from outside, only what is listed here: no SQL, no
// object-store client, no HTTP framework, no WebRTC network stack, no
// adapter of ours.
func TestDomainLinksNoInfrastructure(t *testing.T) {
	allowed := []string{
		module + "/media",      // and every package under it
		"github.com/pion/opus", // the pure-Go Opus decoder: the domain's own tool
		"golang.org/x/text",    // Unicode normalization for search (media/find): the Go team's, no I/O
	}
	for _, pkg := range nonStandard(t, "./media/...") {
		if !underAny(pkg, allowed) {
			t.Errorf("the media domain links %s", pkg)
		}
	}
}

// TestAdaptersDoNotReachUp: no adapter links the wiring, and the stores,
// the index and the WebRTC adapter do not link the HTTP layer.
func TestAdaptersDoNotReachUp(t *testing.T) {
	for _, c := range []struct {
		patterns  []string
		forbidden []string
	}{
		{[]string{"./db/...", "./internal/dirstore/...", "./internal/s3store/...", "./internal/rtc/..."},
			[]string{module + "/handlers", module + "/views", module + "/internal/app", "github.com/gofiber/"}},
		{[]string{"./handlers/...", "./views/...", "./internal/config/...", "./internal/metrics/..."},
			[]string{module + "/internal/app"}},
	} {
		for _, pkg := range nonStandard(t, c.patterns...) {
			if underAny(pkg, c.forbidden) {
				t.Errorf("%v link %s", c.patterns, pkg)
			}
		}
	}
}

// nonStandard lists every package outside the standard library that the
// patterns link, their own included.
func nonStandard(t *testing.T, patterns ...string) []string {
	t.Helper()
	args := append([]string{"list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}"}, patterns...)
	out, err := exec.Command("go", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	return strings.Fields(string(out))
}

// underAny reports whether pkg is one of prefixes or under one; a prefix
// ending in / matches any path it starts.
func underAny(pkg string, prefixes []string) bool {
	for _, p := range prefixes {
		if pkg == p || strings.HasPrefix(pkg, strings.TrimSuffix(p, "/")+"/") {
			return true
		}
	}
	return false
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

// TestHandlersSpeakNoPion: the HTTP layer's Sessions and ICE speak SDP
// strings and the domain's values (media.SessionInfo,
// media.SessionDescription, media.ICECandidate, media.BrowserICE); the
// handlers link neither the WebRTC adapter (internal/app wires it in)
// nor pion's network stack. Only pion's Opus decoder comes in, through
// the media domain.
func TestHandlersSpeakNoPion(t *testing.T) {
	for _, pkg := range nonStandard(t, "./handlers/...") {
		if underAny(pkg, []string{module + "/internal/rtc"}) ||
			strings.HasPrefix(pkg, "github.com/pion/") && !underAny(pkg, []string{"github.com/pion/opus"}) {
			t.Errorf("the handlers link %s", pkg)
		}
	}
}
