package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestErrorForms: one refusal, three forms, as each asker needs it: htmx
// gets a fragment to show where the user acted, a browser without
// JavaScript a page in the layout with a way back, an API client JSON.
func TestErrorForms(t *testing.T) {
	ta, _ := newFakeApp(t)
	const path = "/recordings/recording_20990101_000000.json/delete"

	t.Run("HTMX", func(t *testing.T) {
		res := ta.do(t, http.MethodPost, path, "", "HX-Request", "true")
		res.wantStatus(t, http.StatusNotFound)
		body := string(res.body)
		if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") ||
			!strings.HasPrefix(body, `<p class="inline-error" role="alert"`) || strings.Contains(body, "<html") ||
			!strings.Contains(body, "No recording named") {
			t.Errorf("%s: %s", ct, body)
		}
	})
	t.Run("NoJS", func(t *testing.T) {
		res := ta.do(t, http.MethodGet, "/recordings/recording_20990101_000000.json/delete", "",
			"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
		res.wantStatus(t, http.StatusNotFound)
		body := string(res.body)
		for _, want := range []string{"<!doctype html>", "<h1 id=\"error-title\">Not Found</h1>", "No recording named", `href="/"`, "style.css"} {
			if !strings.Contains(body, want) {
				t.Errorf("error page lacks %q: %.400s", want, body)
			}
		}
	})
	t.Run("API", func(t *testing.T) {
		res := ta.do(t, http.MethodDelete, "/recordings/recording_20990101_000000.json", "")
		res.wantError(t, http.StatusNotFound, "no recording named")
		if strings.HasPrefix(string(res.body), "<") {
			t.Errorf("API answer is HTML: %s", res.body)
		}
	})
	t.Run("FieldsAsSentences", func(t *testing.T) {
		res := ta.do(t, http.MethodPost, "/params", "sample_rate=12345", "Content-Type", "application/x-www-form-urlencoded", "HX-Request", "true")
		res.wantStatus(t, http.StatusUnprocessableEntity)
		if want := "Sample rate must be one of 8, 16, 22.05, 24, 32, 44.1 or 48 kHz."; !strings.Contains(string(res.body), want) {
			t.Errorf("form lacks %q: %s", want, res.body)
		}
	})
}
