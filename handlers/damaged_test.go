package handlers_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDamagedRecording: a recording file that is corrupt while its row
// exists is found at start (reconcile), logged, shown in the list as
// damaged, and its audio and its file answer a plain message instead of
// a bare "internal error" or, for the file, the damaged bytes as 200; it
// can still be deleted.
func TestDamagedRecording(t *testing.T) {
	logs := &logLines{t: t}
	ta, sessions := newFakeAppIn(t, t.TempDir(), slog.New(slog.NewTextHandler(logs, nil)))
	at := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	names := map[string]string{}
	for i, how := range []string{"truncated", "not audio", "metadata", "good"} {
		name, _ := ta.saveTone(t, sessions, "s"+how, at.Add(time.Duration(i)*time.Second))
		names[how] = name
	}
	corrupt := func(name string, edit func([]byte) []byte) {
		path := filepath.Join(ta.recDir, name)
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, edit(raw), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	corrupt(names["truncated"], func(b []byte) []byte { return b[:len(b)/2] })
	// Valid base64 of something that is no audio container.
	corrupt(names["not audio"], func(b []byte) []byte {
		copy(b[len(`{"audio_data":"`):], "AAAAAAAAAAAAAAAA")
		return b
	})
	corrupt(names["metadata"], func(b []byte) []byte { return bytes.Replace(b, []byte(`"mode":`), []byte(`"mode"=`), 1) })

	if err := ta.lib.Reconcile(context.Background(), ta.db); err != nil {
		t.Fatal(err)
	}
	page := ta.do(t, http.MethodGet, "/", "")
	page.wantStatus(t, http.StatusOK)
	for how, name := range names {
		res := ta.do(t, http.MethodGet, "/recordings/"+name+"/audio", "")
		if how == "good" {
			res.wantStatus(t, http.StatusOK)
			if strings.Contains(logs.warnings(), name) {
				t.Errorf("the good recording was warned about:\n%s", logs.warnings())
			}
			continue
		}
		res.wantError(t, http.StatusInternalServerError, "damaged")
		ta.do(t, http.MethodGet, "/recordings/"+name, "").wantError(t, http.StatusInternalServerError, "damaged")
		if !strings.Contains(logs.warnings(), name) {
			t.Errorf("%s (%s): no warning at reconcile", name, how)
		}
		if i := strings.Index(string(page.body), `data-filename="`+name+`"`); i < 0 ||
			!strings.Contains(string(page.body[i:min(i+2000, len(page.body))]), "file damaged") {
			t.Errorf("%s (%s) is not shown as damaged in the list", name, how)
		}
		ta.do(t, http.MethodDelete, "/recordings/"+name, "").wantStatus(t, http.StatusOK)
	}
	// Damaged after the start, not flagged: the file is checked as served.
	ta.do(t, http.MethodGet, "/recordings/"+names["good"], "").wantStatus(t, http.StatusOK)
	corrupt(names["good"], func(b []byte) []byte { return b[:len(b)/2] })
	ta.do(t, http.MethodGet, "/recordings/"+names["good"], "").wantError(t, http.StatusInternalServerError, "damaged")
}
