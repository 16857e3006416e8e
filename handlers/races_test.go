package handlers_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/store"
	"github.com/avatarweb/recorder/media/upload"
)

// parallel sends n requests at once and returns their answers.
func (ta *testApp) parallel(t *testing.T, n int, req func(i int) (method, target, body string)) []response {
	t.Helper()
	out := make([]response, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			method, target, body := req(i)
			<-start
			out[i] = ta.do(t, method, target, body)
		}()
	}
	close(start)
	wg.Wait()
	return out
}

// wantOneSaved checks that of answers to saves of one take exactly one
// saved it and every other was refused with a 409 that either says the
// take is being saved or names the recording it became; and that the
// take became exactly one file and one row.
func (ta *testApp) wantOneSaved(t *testing.T, answers []response) string {
	t.Helper()
	var filename string
	ok := 0
	for _, res := range answers {
		var body struct {
			Status, Message, Filename string
		}
		if err := json.Unmarshal(res.body, &body); err != nil {
			t.Fatalf("answer %d %s: %v", res.status, res.body, err)
		}
		switch res.status {
		case http.StatusOK:
			ok++
			filename = body.Filename
		case http.StatusConflict:
			if body.Filename == "" && body.Message != "this take is being saved right now" {
				t.Errorf("409 without the recording's name or a reason: %s", res.body)
			}
		default:
			t.Errorf("status %d: %s", res.status, res.body)
		}
	}
	if ok != 1 {
		t.Fatalf("%d saves succeeded, want exactly 1", ok)
	}
	for _, res := range answers {
		var body struct{ Filename string }
		_ = json.Unmarshal(res.body, &body)
		if res.status == http.StatusConflict && body.Filename != "" && body.Filename != filename {
			t.Errorf("a 409 names %q, but the take became %q", body.Filename, filename)
		}
	}
	w := ta.written(t)
	if w.rows != 1 || len(w.files) != 1 || w.files[0] != filename {
		t.Errorf("after the saves: %d rows, files %q; want 1 row and %q", w.rows, w.files, filename)
	}
	return filename
}

// TestConcurrentSavesOfOneUpload: twenty saves of one finished upload at
// once make one recording; the rest are told it is being saved or what it
// became. Before the ledger every one of them saved a copy.
func TestConcurrentSavesOfOneUpload(t *testing.T) {
	ta, _ := newFakeApp(t)
	wav := wavTake(1)
	ta.begin(t, "u1", "audio/wav")
	for i, chunk := range cut(wav, 4) {
		ta.putOK(t, "u1", i, chunk)
	}
	answers := ta.parallel(t, 20, func(int) (string, string, string) {
		return http.MethodPost, "/save_recording", `{"upload_id":"u1","recording_type":"mediarecorder","duration":1}`
	})
	name := ta.wantOneSaved(t, answers)

	// Later, a retried save and a late discard are told where it went.
	again := ta.do(t, http.MethodPost, "/save_recording", `{"upload_id":"u1","recording_type":"mediarecorder","duration":1}`)
	if e := again.wantError(t, http.StatusConflict, name); e.Status != "error" {
		t.Errorf("retry: %s", again.body)
	}
	ta.do(t, http.MethodPost, "/uploads/u1/discard", "").wantError(t, http.StatusConflict, name)
	if _, err := os.Stat(filepath.Join(ta.recDir, name)); err != nil {
		t.Errorf("the recording went: %v", err)
	}
}

// TestSaveRacesDiscardOfUpload: a save and a discard of one upload at
// once: exactly one wins, the other gets 409, and what is left agrees
// with the winner.
func TestSaveRacesDiscardOfUpload(t *testing.T) {
	for round := range 10 {
		ta, _ := newFakeApp(t)
		ta.begin(t, "u1", "audio/wav")
		ta.putOK(t, "u1", 0, wavTake(0.5))
		answers := ta.parallel(t, 2, func(i int) (string, string, string) {
			if (i+round)%2 == 0 {
				return http.MethodPost, "/save_recording", `{"upload_id":"u1","recording_type":"mediarecorder"}`
			}
			return http.MethodPost, "/uploads/u1/discard", ""
		})
		wantOneWinner(t, ta, answers)
	}
}

// wantOneWinner checks a save racing a discard: one 200, one 409, and a
// recording exactly when the save won.
func wantOneWinner(t *testing.T, ta *testApp, answers []response) {
	t.Helper()
	savedWon := false
	won := 0
	for _, res := range answers {
		switch res.status {
		case http.StatusOK:
			won++
			var body struct{ Filename string }
			_ = json.Unmarshal(res.body, &body)
			savedWon = body.Filename != ""
		case http.StatusConflict:
		default:
			t.Errorf("status %d: %s", res.status, res.body)
		}
	}
	if won != 1 {
		t.Fatalf("%d of save and discard succeeded, want exactly 1: %d %s / %d %s", won,
			answers[0].status, answers[0].body, answers[1].status, answers[1].body)
	}
	w := ta.written(t)
	if savedWon && (w.rows != 1 || len(w.files) != 1) || !savedWon && (w.rows != 0 || len(w.files) != 0) {
		t.Errorf("save won: %v, but %d rows and files %q are left", savedWon, w.rows, w.files)
	}
}

// liveTake records a short live take from a real pion peer into session
// id of the app's real rtc.Manager, and stops it: a draft to save.
func liveTake(t *testing.T, ta *testApp, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	peer, capture := connectPeer(ctx, t, ta, id)
	defer peer.Close()
	streamCtx, stopStream := context.WithTimeout(ctx, 600*time.Millisecond)
	defer stopStream()
	var sent rtcsend.SendStats
	_ = peer.Stream(streamCtx, capture, &sent)
	ta.do(t, http.MethodPost, "/webrtc/stop", `{"session_id":"`+id+`"}`).wantStatus(t, http.StatusOK)
}

// connectPeer offers session id from a loopback peer (rtcsend) and
// connects it within ctx, ready to stream the returned capture of
// Chromium's Opus (CELT) packets. The caller closes the peer.
func connectPeer(ctx context.Context, t *testing.T, ta *testApp, id string) (*rtcsend.Peer, rtcsend.Capture) {
	t.Helper()
	capture, err := rtcsend.ReadCapture(filepath.Join("..", "media", "testdata", "chromium-440hz-celt.rtp"))
	if err != nil {
		t.Fatal(err)
	}
	api, err := rtcsend.NewAPI()
	if err != nil {
		t.Fatal(err)
	}
	peer, offer, err := rtcsend.NewPeer(ctx, api)
	if err != nil {
		t.Fatal(err)
	}
	connected := false
	defer func() {
		if !connected {
			peer.Close()
		}
	}()
	res := ta.do(t, http.MethodPost, "/webrtc/offer", offerBody(t, id, offer))
	res.wantStatus(t, http.StatusOK)
	var answer struct {
		Answer webrtc.SessionDescription `json:"answer"`
	}
	if err := json.Unmarshal(res.body, &answer); err != nil {
		t.Fatal(err)
	}
	if err := peer.Accept(ctx, answer.Answer); err != nil {
		t.Fatal(err)
	}
	connected = true
	return peer, capture
}

// newLoopbackRTCApp is newRTCApp with loopback ICE candidates, for
// sessions with the loopback-only peers of rtcsend.
func newLoopbackRTCApp(t *testing.T) (*testApp, *rtc.Manager) {
	t.Helper()
	m, err := rtc.NewManager(rtc.Config{
		SpoolDir:        filepath.Join(t.TempDir(), "spool"),
		IncludeLoopback: true,
		ConnectTimeout:  time.Minute,
		Log:             testLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return newTestApp(t, m), m
}

// TestConcurrentSavesOfOneSession: a stopped live take saved by twenty
// requests at once becomes one recording (before, several), and its id
// can then be used again for a new take.
func TestConcurrentSavesOfOneSession(t *testing.T) {
	ta, m := newLoopbackRTCApp(t)
	liveTake(t, ta, "s1")
	answers := ta.parallel(t, 20, func(int) (string, string, string) {
		return http.MethodPost, "/save_recording", `{"session_id":"s1","recording_type":"webrtc"}`
	})
	first := ta.wantOneSaved(t, answers)
	ta.do(t, http.MethodPost, "/webrtc/discard", `{"session_id":"s1"}`).wantError(t, http.StatusConflict, first)
	wantNoSession(t, m, "s1")

	// The client's next take under the same id is a new take.
	liveTake(t, ta, "s1")
	res := ta.do(t, http.MethodPost, "/save_recording", `{"session_id":"s1","recording_type":"webrtc"}`)
	res.wantStatus(t, http.StatusOK)
	var body struct{ Filename string }
	if err := json.Unmarshal(res.body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Filename == first || !store.ValidName(body.Filename) {
		t.Errorf("second take saved as %q (first %q)", body.Filename, first)
	}
}

// TestSaveRacesDiscardOfSession: save and discard of one stopped live
// take at once: one wins, the other gets 409.
func TestSaveRacesDiscardOfSession(t *testing.T) {
	ta, m := newLoopbackRTCApp(t)
	for round := range 4 {
		before := ta.written(t)
		liveTake(t, ta, "s1")
		answers := ta.parallel(t, 2, func(i int) (string, string, string) {
			if (i+round)%2 == 0 {
				return http.MethodPost, "/save_recording", `{"session_id":"s1","recording_type":"webrtc"}`
			}
			return http.MethodPost, "/webrtc/discard", `{"session_id":"s1"}`
		})
		won := 0
		for _, res := range answers {
			if res.status == http.StatusOK {
				won++
			} else if res.status != http.StatusConflict {
				t.Errorf("status %d: %s", res.status, res.body)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d winners: %d %s / %d %s", round, won,
				answers[0].status, answers[0].body, answers[1].status, answers[1].body)
		}
		wantNoSession(t, m, "s1")
		after := ta.written(t)
		if d := after.rows - before.rows; d > 1 || len(after.files)-len(before.files) != d {
			t.Errorf("round %d: %d new rows, %d new files", round, d, len(after.files)-len(before.files))
		}
	}
}

// TestConcurrentDeletes: five deletes of one recording at once leave
// neither its file nor its row, and nothing comes back at the next start.
// Before, a delete that found the row gone put the file back, and the next
// start indexed it again: a recording nobody could keep deleted.
func TestConcurrentDeletes(t *testing.T) {
	ctx := context.Background()
	ta, f := newFakeApp(t)
	for round := range 10 {
		name, _ := ta.saveTone(t, f, "s1", time.Date(2025, 1, 2, 3, 4, round, 0, time.UTC))
		answers := ta.parallel(t, 5, func(int) (string, string, string) {
			return http.MethodDelete, "/recordings/" + name, ""
		})
		ok := 0
		for _, res := range answers {
			switch res.status {
			case http.StatusOK:
				ok++
			case http.StatusNotFound:
			default:
				t.Errorf("delete: %d %s", res.status, res.body)
			}
		}
		if ok != 1 {
			t.Errorf("round %d: %d deletes succeeded, want 1", round, ok)
		}
		if w := ta.written(t); w.rows != 0 || len(w.files) != 0 {
			t.Fatalf("round %d: after the deletes %d rows, files %q", round, w.rows, w.files)
		}
	}
	// The next start settles and reconciles: nothing returns.
	if err := ta.lib.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ta.lib.Reconcile(ctx, ta.db); err != nil {
		t.Fatal(err)
	}
	if w := ta.written(t); w.rows != 0 || len(w.files) != 0 {
		t.Errorf("after a restart %d rows, files %q", w.rows, w.files)
	}
}

// keptUploads is the real spooler as a server killed just after saving an
// upload leaves it: the upload is never removed.
type keptUploads struct{ *upload.Spooler }

func (keptUploads) Remove(string) error { return nil }

// TestUploadSavedBeforeACrash: a server killed after saving an upload,
// before removing it, finds the upload again at its next start; saving it
// again is refused with the recording it became, and the copy goes.
func TestUploadSavedBeforeACrash(t *testing.T) {
	ctx := context.Background()
	ta, _ := newFakeApp(t)
	ta.begin(t, "u1", "audio/wav")
	ta.putOK(t, "u1", 0, wavTake(0.5))
	ta.lib.Uploads = keptUploads{ta.uploads}
	rec, err := ta.lib.SaveUpload(ctx, "u1", 0, toneParams, "")
	if err != nil {
		t.Fatal(err)
	}
	// The next start: a new library (no memory of the save) and the
	// spooler reloaded from disk.
	reloaded, err := upload.NewSpooler(ta.uploadDir, 1<<20, 64<<20)
	if err != nil {
		t.Fatal(err)
	}
	restarted := &library.Library{Store: ta.lib.Store, Index: ta.db, Uploads: reloaded, Log: ta.lib.Log, Now: ta.lib.Now}
	_, err = restarted.SaveUpload(ctx, "u1", 0, toneParams, "")
	if got := media.SavedAs(err); got != rec.Filename {
		t.Fatalf("saving it again: %v; want it named as saved in %s", err, rec.Filename)
	}
	if w := ta.written(t); w.rows != 1 || len(w.files) != 1 {
		t.Errorf("%d rows, files %q; want the one recording", w.rows, w.files)
	}
	if _, err := reloaded.Status("u1"); !errors.Is(err, media.ErrNotFound) {
		t.Errorf("the saved upload is still there: %v", err)
	}
}

// TestSaveWhileDeletingTheSameName: a recording is being deleted (its
// file moved aside, its row not yet gone) while a new take is saved in the
// same second, so under the same name. The soak found the new save
// refused with 409 "conflict": the name looked free on disk while the row
// still held it. The new take now gets the next name.
func TestSaveWhileDeletingTheSameName(t *testing.T) {
	ctx := context.Background()
	ta, f := newFakeApp(t)
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	first, _ := ta.saveTone(t, f, "s1", at)
	staged, err := ta.lib.Store.StageRemove(ctx, first) // the delete's first step
	if err != nil {
		t.Fatal(err)
	}
	second, _ := ta.saveTone(t, f, "s2", at) // same second: same name wanted
	if second == first {
		t.Fatalf("the new take took %s, the name of the recording being deleted", first)
	}
	if err := ta.db.DeleteRecording(ctx, first); err != nil { // the delete goes on
		t.Fatal(err)
	}
	if err := staged.Done(); err != nil {
		t.Fatal(err)
	}
	if w := ta.written(t); w.rows != 1 || len(w.files) != 1 || w.files[0] != second {
		t.Errorf("after: %d rows, files %q; want only %s", w.rows, w.files, second)
	}
}
