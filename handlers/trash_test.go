package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"
)

// wantInTrash fails unless recording name is in Recently deleted: out of
// the list, its row and file kept.
func (ta *testApp) wantInTrash(t *testing.T, name string) {
	t.Helper()
	r, err := ta.db.GetRecording(context.Background(), name)
	if err != nil || r.DeletedAt.IsZero() {
		t.Fatalf("%s: %v, deleted at %v; want it in Recently deleted", name, err, r.DeletedAt)
	}
	if w := ta.written(t); slices.Contains(w.files, name) == false {
		t.Errorf("the file of %s went: %q", name, w.files)
	}
	if names, _ := rows(string(ta.do(t, http.MethodGet, "/", "").body)); slices.Contains(names, name) {
		t.Errorf("%s is still listed", name)
	}
}

func TestTrashFromPage(t *testing.T) {
	t.Parallel()
	htmx := []string{"HX-Request", "true"}

	t.Run("OKHTMXUndo", func(t *testing.T) {
		ta, f := newFakeApp(t)
		name, _ := ta.saveTone(t, f, "s1", t1)
		ta.postTitle(t, name, "Standup notes", false).wantStatus(t, http.StatusSeeOther)
		res := ta.do(t, http.MethodPost, "/recordings/"+name+"/delete", "", htmx...)
		res.wantStatus(t, http.StatusOK)
		body := string(res.body)
		// The row is swapped for nothing; the toast comes out of band.
		if !strings.HasPrefix(body, `<div id="toast" hx-swap-oob="innerHTML">`) || !strings.Contains(body, "Deleted “Standup notes”.") {
			t.Errorf("answer %s", body)
		}
		if !strings.Contains(body, `hx-post="/recordings/`+name+`/restore"`) || !strings.Contains(visibleText(body), "Undo") {
			t.Errorf("no Undo: %s", body)
		}
		if tr := res.header.Get("HX-Trigger"); tr != "recordings-changed" {
			t.Errorf("HX-Trigger = %q", tr)
		}
		ta.wantInTrash(t, name)
		if page := string(ta.do(t, http.MethodGet, "/", "").body); !strings.Contains(visibleText(page), "Recently deleted (1)") {
			t.Error("the list does not lead to Recently deleted")
		}
		// Undo.
		res = ta.do(t, http.MethodPost, "/recordings/"+name+"/restore", "", htmx...)
		res.wantStatus(t, http.StatusOK)
		if !strings.Contains(string(res.body), "Restored “Standup notes”.") {
			t.Errorf("answer %s", res.body)
		}
		if names, _ := rows(string(ta.do(t, http.MethodGet, "/", "").body)); !slices.Equal(names, []string{name}) {
			t.Errorf("after Undo the list is %q", names)
		}
	})

	t.Run("OKPlainUndo", func(t *testing.T) {
		ta, f := newFakeApp(t)
		name, _ := ta.saveTone(t, f, "s1", t1)
		res := ta.do(t, http.MethodPost, "/recordings/"+name+"/delete", "")
		res.wantStatus(t, http.StatusSeeOther)
		loc := res.header.Get("Location")
		if want := "/?done=deleted&rec=" + url.QueryEscape(name); loc != want {
			t.Errorf("Location = %q, want %s", loc, want)
		}
		ta.wantInTrash(t, name)
		page := string(ta.do(t, http.MethodGet, loc, "").body)
		if !strings.Contains(page, "Deleted “Recording 2 Jan 2025, 03:04”.") || !strings.Contains(page, `action="/recordings/`+name+`/restore"`) {
			t.Errorf("the page does not confirm the deletion with Undo: %s", visibleText(page))
		}
		res = ta.do(t, http.MethodPost, "/recordings/"+name+"/restore", "")
		res.wantStatus(t, http.StatusSeeOther)
		if names, _ := rows(string(ta.do(t, http.MethodGet, res.header.Get("Location"), "").body)); !slices.Equal(names, []string{name}) {
			t.Errorf("after Undo the list is %q", names)
		}
	})

	t.Run("OKTrashViewRestoreAndPurge", func(t *testing.T) {
		ta, f := newFakeApp(t)
		kept, _ := ta.saveTone(t, f, "s1", t1)
		gone, _ := ta.saveTone(t, f, "s2", t1.Add(time.Minute))
		for _, name := range []string{kept, gone} {
			ta.do(t, http.MethodPost, "/recordings/"+name+"/delete", "", htmx...).wantStatus(t, http.StatusOK)
		}
		page := string(ta.do(t, http.MethodGet, "/trash", "").body)
		for _, want := range []string{"Recently deleted", "Restore", "Delete forever", "stay here for 30 days", "goes for good"} {
			if !strings.Contains(visibleText(page), want) {
				t.Errorf("the view lacks %q", want)
			}
		}
		if n := strings.Count(page, `data-testid="deleted-recording"`); n != 2 {
			t.Errorf("%d rows in Recently deleted, want 2", n)
		}
		if strings.Contains(visibleText(page), ".json") {
			t.Error("a file name is shown")
		}
		ta.do(t, http.MethodPost, "/recordings/"+kept+"/restore", "", htmx...).wantStatus(t, http.StatusOK)
		// Delete forever only goes for what is in Recently deleted.
		ta.do(t, http.MethodPost, "/recordings/"+kept+"/purge", "", htmx...).wantError(t, http.StatusConflict, "")
		res := ta.do(t, http.MethodPost, "/recordings/"+gone+"/purge", "")
		res.wantStatus(t, http.StatusSeeOther)
		if w := ta.written(t); w.rows != 1 || !slices.Equal(w.files, []string{kept}) {
			t.Errorf("after Delete forever: %+v", w)
		}
		ta.do(t, http.MethodGet, "/recordings/"+gone+"/audio", "").wantError(t, http.StatusNotFound, "no recording named")
		if page := string(ta.do(t, http.MethodGet, res.header.Get("Location"), "").body); !strings.Contains(page, "Nothing here.") || !strings.Contains(page, "Recording deleted forever.") {
			t.Errorf("the view after Delete forever: %s", visibleText(page))
		}
	})

	t.Run("OKAPIDeletesForGood", func(t *testing.T) {
		ta, f := newFakeApp(t)
		name, _ := ta.saveTone(t, f, "s1", t1)
		ta.do(t, http.MethodDelete, "/recordings/"+name, "").wantStatus(t, http.StatusOK)
		ta.wantGone(t, name)
		if page := string(ta.do(t, http.MethodGet, "/trash", "").body); !strings.Contains(page, "Nothing here.") {
			t.Error("the API's delete went to Recently deleted")
		}
	})

	t.Run("ErrUnknown", func(t *testing.T) {
		ta, _ := newFakeApp(t)
		for _, action := range []string{"restore", "purge", "delete"} {
			ta.do(t, http.MethodPost, "/recordings/recording_20990101_000000.json/"+action, "").wantError(t, http.StatusNotFound, "")
			ta.do(t, http.MethodPost, "/recordings/..%2Fx/"+action, "").wantStatus(t, http.StatusBadRequest)
		}
	})
}
