package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// postTrim posts the trim view's form, as a browser does.
func (ta *testApp) postTrim(t *testing.T, name, start, end, as string) response {
	t.Helper()
	form := url.Values{"start": {start}, "end": {end}, "as": {as}}
	return ta.do(t, http.MethodPost, "/recordings/"+name+"/trim", form.Encode(), "Content-Type", "application/x-www-form-urlencoded")
}

func TestTrimFromPage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("OKViewTrimAndUndo", func(t *testing.T) {
		ta, f := newFakeApp(t)
		name, _ := ta.saveTone(t, f, "s1", t1)
		ta.postTitle(t, name, "Standup", false).wantStatus(t, http.StatusSeeOther)
		list := string(ta.do(t, http.MethodGet, "/", "").body)
		if !strings.Contains(list, `href="/recordings/`+name+`/trim"`) || !strings.Contains(list, `aria-label="Trim Standup"`) {
			t.Fatal("the row has no Trim")
		}
		view := ta.do(t, http.MethodGet, "/recordings/"+name+"/trim", "")
		view.wantStatus(t, http.StatusOK)
		page := string(view.body)
		for _, want := range []string{
			`role="slider"`, `aria-label="Start of the selection"`, `aria-label="End of the selection"`,
			`name="start"`, `value="0.500"`, `src="/recordings/` + name + `/audio"`,
		} {
			if !strings.Contains(page, want) {
				t.Errorf("the trim view lacks %s", want)
			}
		}
		for _, want := range []string{"Trim Standup", "Start (s)", "End (s)", "Play selection", "Trim", "Save as new", "Cancel"} {
			if !strings.Contains(visibleText(page), want) {
				t.Errorf("the trim view does not say %q", want)
			}
		}

		res := ta.postTrim(t, name, "0.1", "0.4", "trim")
		res.wantStatus(t, http.StatusSeeOther)
		loc, _ := url.Parse(res.header.Get("Location"))
		cut := loc.Query().Get("rec")
		if loc.Path != "/" || loc.Query().Get("done") != "trimmed" || loc.Query().Get("from") != name || cut == "" || cut == name {
			t.Fatalf("Location %s", loc)
		}
		rec, err := ta.db.GetRecording(ctx, cut)
		if err != nil || rec.Duration != 0.3 || rec.Title != "Standup" || rec.Bytes != 44+0.3*16000*2 {
			t.Errorf("trimmed row %+v, %v", rec, err)
		}
		ta.wantInTrash(t, name)
		page = string(ta.do(t, http.MethodGet, loc.String(), "").body)
		undo := `action="/recordings/` + cut + `/untrim?original=` + name + `"`
		if !strings.Contains(visibleText(page), "Trimmed “Standup”. The original is in Recently deleted.") || !strings.Contains(page, undo) {
			t.Errorf("the list does not confirm the trim with Undo: %s", visibleText(page))
		}
		if names, _ := rows(page); !slices.Equal(names, []string{cut}) {
			t.Errorf("listed %q", names)
		}

		res = ta.do(t, http.MethodPost, "/recordings/"+cut+"/untrim?original="+name, "")
		res.wantStatus(t, http.StatusSeeOther)
		page = string(ta.do(t, http.MethodGet, res.header.Get("Location"), "").body)
		if names, _ := rows(page); !slices.Equal(names, []string{name}) || !strings.Contains(page, "Trim undone") {
			t.Errorf("after Undo: listed %q, %s", names, visibleText(page))
		}
		ta.wantInTrash(t, cut)
	})

	t.Run("OKSaveAsNew", func(t *testing.T) {
		ta, f := newFakeApp(t)
		name, _ := ta.saveTone(t, f, "s1", t1)
		res := ta.postTrim(t, name, "0.25", "0.5", "new")
		res.wantStatus(t, http.StatusSeeOther)
		loc, _ := url.Parse(res.header.Get("Location"))
		cut := loc.Query().Get("rec")
		rec, err := ta.db.GetRecording(ctx, cut)
		if err != nil || rec.Duration != 0.25 || rec.Title != "Recording 2 Jan 2025, 03:04 (trimmed)" || loc.Query().Has("from") {
			t.Errorf("saved as new: %+v, %v (%s)", rec, err, loc)
		}
		page := string(ta.do(t, http.MethodGet, loc.String(), "").body)
		if names, _ := rows(page); len(names) != 2 || !strings.Contains(visibleText(page), "Saved the selection as “Recording 2 Jan 2025, 03:04 (trimmed)”.") {
			t.Errorf("listed %q: %s", names, visibleText(page))
		}
	})

	t.Run("ErrBadSelection", func(t *testing.T) {
		ta, f := newFakeApp(t)
		name, _ := ta.saveTone(t, f, "s1", t1)
		before := ta.written(t)
		for _, c := range []struct{ start, end, msg string }{
			{"0.3", "0.3", "ends before it starts"},
			{"0.4", "0.2", "ends before it starts"},
			{"0.1", "9", "ends after the end"},
			{"-1", "0.2", "starts before"},
			{"0.5", "0.6", "starts after the end"},
			{"0.1", "0.11", "shorter than 20 ms"},
			{"abc", "0.2", "not a number"},
			{"NaN", "0.2", "not a number"},
		} {
			res := ta.postTrim(t, name, c.start, c.end, "trim")
			res.wantStatus(t, http.StatusUnprocessableEntity)
			if text := visibleText(string(res.body)); !strings.Contains(text, c.msg) || !strings.Contains(text, "Save as new") {
				t.Errorf("%s–%s: the view says %q, want %q", c.start, c.end, text, c.msg)
			}
		}
		ta.wantUnchanged(t, before)
		ta.do(t, http.MethodGet, "/recordings/recording_20990101_000000.json/trim", "").wantStatus(t, http.StatusNotFound)
		ta.do(t, http.MethodPost, "/recordings/"+name+"/delete", "").wantStatus(t, http.StatusSeeOther)
		ta.do(t, http.MethodGet, "/recordings/"+name+"/trim", "").wantStatus(t, http.StatusNotFound)
		ta.postTrim(t, name, "0.1", "0.2", "trim").wantStatus(t, http.StatusNotFound)
	})
}

// A save may name the part of the take the review kept: the take is
// saved, then trimmed to it (the whole waiting in Recently deleted); a
// selection the take refuses leaves it saved whole, and says why; one
// that is not [start, end] is refused before anything is saved.
func TestSaveTrimmedFromReview(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ta, f := newFakeApp(t)
	f.addTake(t, "s1", toneParams, tone(toneParams.SampleRate, toneParams.Channels, 0.5))
	res := ta.do(t, http.MethodPost, "/save_recording", `{"session_id":"s1","recording_type":"webrtc","duration":0.5,"title":"Kept","trim":[0.1,0.4]}`)
	res.wantStatus(t, http.StatusOK)
	var body struct {
		Status, Filename, Message string
		Duration                  float64
	}
	res.decode(t, &body)
	rec, err := ta.db.GetRecording(ctx, body.Filename)
	if err != nil || rec.Duration != 0.3 || body.Duration != 0.3 || rec.Title != "Kept" || !strings.Contains(body.Message, "trimmed") {
		t.Errorf("saved %+v (%v), answer %+v", rec, err, body)
	}
	if recs, _ := ta.db.ListRecordings(ctx, 10, 0); len(recs) != 1 {
		t.Errorf("%d recordings listed, want the trimmed one", len(recs))
	}

	f.addTake(t, "s2", toneParams, tone(toneParams.SampleRate, toneParams.Channels, 0.5))
	res = ta.do(t, http.MethodPost, "/save_recording", `{"session_id":"s2","recording_type":"webrtc","duration":0.5,"trim":[0.1,3]}`)
	res.wantStatus(t, http.StatusOK)
	res.decode(t, &body)
	if body.Duration != 0.5 || !strings.Contains(body.Message, "kept whole, not trimmed: the selection ends after the end") {
		t.Errorf("answer %+v", body)
	}

	f.addTake(t, "s3", toneParams, tone(toneParams.SampleRate, toneParams.Channels, 0.5))
	before := ta.written(t)
	ta.do(t, http.MethodPost, "/save_recording", `{"session_id":"s3","recording_type":"webrtc","duration":0.5,"trim":[0.1]}`).wantError(t, http.StatusBadRequest, "trim must be [start, end] in seconds")
	ta.wantUnchanged(t, before)
}
