package handlers_test

import (
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/avatarweb/recorder/media"
)

// getParams answers GET /get_params, which must be the bare object.
func (ta *testApp) getParams(t *testing.T) media.Params {
	t.Helper()
	res := ta.do(t, http.MethodGet, "/get_params", "")
	res.wantStatus(t, http.StatusOK)
	var p media.Params
	res.decode(t, &p)
	return p
}

func TestGetParams(t *testing.T) {
	ta, _ := newFakeApp(t)
	t.Run("OKDefaults", func(t *testing.T) {
		want := media.Params{FPS: 30, BatchSize: 64, SampleRate: 48000, Channels: 1, Format: "wav"}
		if got := ta.getParams(t); got != want {
			t.Errorf("params = %+v, want %+v", got, want)
		}
	})
}

func TestUpdateParams(t *testing.T) {
	ta, _ := newFakeApp(t)

	update := func(t *testing.T, body string, want media.Params) {
		t.Helper()
		res := ta.do(t, http.MethodPost, "/update_params", body)
		res.wantStatus(t, http.StatusOK)
		var got struct {
			Status string       `json:"status"`
			Params media.Params `json:"params"`
		}
		res.decode(t, &got)
		if got.Status != "success" || got.Params != want {
			t.Errorf("answer = %+v, want success with %+v", got, want)
		}
		if p := ta.getParams(t); p != want {
			t.Errorf("GET after update = %+v, want %+v", p, want)
		}
	}

	t.Run("OKFull", func(t *testing.T) {
		update(t, `{"fps":25,"batch_size":128,"sample_rate":16000,"channels":2}`,
			media.Params{FPS: 25, BatchSize: 128, SampleRate: 16000, Channels: 2, Format: "wav"})
	})
	t.Run("OKPartial", func(t *testing.T) {
		update(t, `{"channels":1}`, media.Params{FPS: 25, BatchSize: 128, SampleRate: 16000, Channels: 1, Format: "wav"})
		update(t, `{"fps":60,"batch_size":256}`, media.Params{FPS: 60, BatchSize: 256, SampleRate: 16000, Channels: 1, Format: "wav"})
		update(t, `{"fps":1,"batch_size":16,"sample_rate":8000}`, media.Params{FPS: 1, BatchSize: 16, SampleRate: 8000, Channels: 1, Format: "wav"})
	})
	t.Run("OKEmpty", func(t *testing.T) {
		update(t, `{}`, media.Params{FPS: 1, BatchSize: 16, SampleRate: 8000, Channels: 1, Format: "wav"})
	})

	// Every refusal below must leave these in force.
	current := media.Params{FPS: 1, BatchSize: 16, SampleRate: 8000, Channels: 1, Format: "wav"}

	for _, tt := range []struct {
		name, body string
		fields     []string
	}{
		{"FPS0", `{"fps":0}`, []string{"fps"}},
		{"FPS61", `{"fps":61}`, []string{"fps"}},
		{"FPSNegative", `{"fps":-30}`, []string{"fps"}},
		{"BatchSize15", `{"batch_size":15}`, []string{"batch_size"}},
		{"BatchSize24", `{"batch_size":24}`, []string{"batch_size"}},
		{"BatchSize272", `{"batch_size":272}`, []string{"batch_size"}},
		{"BatchSize0", `{"batch_size":0}`, []string{"batch_size"}},
		{"SampleRate12345", `{"sample_rate":12345}`, []string{"sample_rate"}},
		{"Channels3", `{"channels":3}`, []string{"channels"}},
		{"Channels0", `{"channels":0}`, []string{"channels"}},
		{"ValidWithInvalid", `{"fps":30,"channels":3}`, []string{"channels"}},
		{"All", `{"fps":61,"batch_size":24,"sample_rate":12345,"channels":3}`,
			[]string{"batch_size", "channels", "fps", "sample_rate"}},
	} {
		t.Run("ErrInvalid"+tt.name, func(t *testing.T) {
			res := ta.do(t, http.MethodPost, "/update_params", tt.body)
			e := res.wantError(t, http.StatusUnprocessableEntity, "invalid parameters")
			if got := slices.Sorted(maps.Keys(e.Errors)); !slices.Equal(got, tt.fields) {
				t.Errorf("errors = %v, want exactly fields %v", e.Errors, tt.fields)
			}
			for name, msg := range e.Errors {
				if msg == "" {
					t.Errorf("errors.%s is empty", name)
				}
			}
			if p := ta.getParams(t); p != current {
				t.Errorf("params changed to %+v, want %+v", p, current)
			}
		})
	}

	t.Run("ErrInvalidMessages", func(t *testing.T) {
		res := ta.do(t, http.MethodPost, "/update_params", `{"fps":0,"batch_size":24,"sample_rate":12345,"channels":3}`)
		e := res.wantError(t, http.StatusUnprocessableEntity, "invalid parameters")
		want := map[string]string{
			"fps":         "must be between 1 and 60",
			"batch_size":  "must be a multiple of 16 between 16 and 256",
			"sample_rate": "must be one of 8000, 16000, 22050, 24000, 32000, 44100 or 48000 (Hz)",
			"channels":    "must be 1 (mono) or 2 (stereo)",
		}
		if !maps.Equal(e.Errors, want) {
			t.Errorf("errors = %v, want %v", e.Errors, want)
		}
	})

	for _, tt := range []struct{ name, body string }{
		{"Truncated", `{"fps":`},
		{"Empty", ``},
		{"NotJSON", `fps=30`},
		{"Array", `[30,64]`},
		{"StringValue", `{"fps":"30"}`},
		{"Fraction", `{"fps":30.5}`},
	} {
		t.Run("ErrBadJSON"+tt.name, func(t *testing.T) {
			res := ta.do(t, http.MethodPost, "/update_params", tt.body)
			e := res.wantError(t, http.StatusBadRequest, "not valid JSON")
			if e.Errors != nil {
				t.Errorf("errors = %v, want none", e.Errors)
			}
			if p := ta.getParams(t); p != current {
				t.Errorf("params changed to %+v, want %+v", p, current)
			}
		})
	}
}

// formTag returns the opening tag of the element with the given id.
func formTag(t *testing.T, html, id string) string {
	t.Helper()
	tag := regexp.MustCompile(`<[a-z]+ id="` + regexp.QuoteMeta(id) + `"[^>]*>`).FindString(html)
	if tag == "" {
		t.Fatalf("no element with id %q in %.300s", id, html)
	}
	return tag
}

// attr returns an attribute of a tag, and whether the tag has it.
func attr(tag, name string) (string, bool) {
	m := regexp.MustCompile(`\s` + regexp.QuoteMeta(name) + `="([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		return "", false
	}
	return m[1], true
}

// selected returns the values of the selected options of the select with
// the given id.
func selected(t *testing.T, html, id string) []string {
	t.Helper()
	start := strings.Index(html, formTag(t, html, id))
	end := strings.Index(html[start:], "</select>")
	if end < 0 {
		t.Fatalf("select %q is not closed", id)
	}
	var values []string
	for _, m := range regexp.MustCompile(`<option value="([^"]*)" selected>`).FindAllStringSubmatch(html[start:start+end], -1) {
		values = append(values, m[1])
	}
	return values
}

// shownForm is what the parameters form shows.
type shownForm struct {
	fps, batchSize       string   // the range inputs' values
	sampleRate, channels []string // the selected options
	invalid              []string // fields marked aria-invalid="true", in form order
	errors               []string // fields with a data-testid="error-<field>", in form order
	saved, notSaved      bool     // the "Saved." status and the "Not saved" alert
}

var errorTestID = regexp.MustCompile(`data-testid="error-([a-z_]+)"`)

// readForm reads the parameters form out of a fragment or a page.
func readForm(t *testing.T, html string) shownForm {
	t.Helper()
	f := shownForm{
		sampleRate: selected(t, html, "sample_rate"),
		channels:   selected(t, html, "channels"),
		saved:      strings.Contains(html, `data-testid="params-saved"`),
		notSaved:   strings.Contains(html, "Not saved: fix the marked fields."),
	}
	f.fps, _ = attr(formTag(t, html, "fps"), "value")
	f.batchSize, _ = attr(formTag(t, html, "batch_size"), "value")
	for _, field := range []string{"fps", "batch_size", "sample_rate", "channels"} {
		switch v, ok := attr(formTag(t, html, field), "aria-invalid"); {
		case v == "true":
			f.invalid = append(f.invalid, field)
		case !ok || v != "false":
			t.Errorf("%s: aria-invalid=%q (present %v), want true or false", field, v, ok)
		}
	}
	for _, m := range errorTestID.FindAllStringSubmatch(html, -1) {
		f.errors = append(f.errors, m[1])
	}
	return f
}

// wantFragment checks that res is the parameters fragment alone and
// returns what its form shows.
func wantFragment(t *testing.T, res response, status int) shownForm {
	t.Helper()
	res.wantStatus(t, status)
	if ct := res.header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	frag := string(res.body)
	if !strings.HasPrefix(frag, `<div id="params"`) || !strings.HasSuffix(frag, "</div>") {
		t.Errorf("not just the fragment: %.200s", frag)
	}
	for _, bad := range []string{"<html", "<head", "<body", "btn-start", `id="recordings"`} {
		if strings.Contains(frag, bad) {
			t.Errorf("fragment holds %q", bad)
		}
	}
	return readForm(t, frag)
}

// formOf is what the form shows for saved (or accepted) parameters p.
func formOf(p media.Params) shownForm {
	return shownForm{
		fps:        strconv.Itoa(p.FPS),
		batchSize:  strconv.Itoa(p.BatchSize),
		sampleRate: []string{strconv.Itoa(p.SampleRate)},
		channels:   []string{strconv.Itoa(p.Channels)},
	}
}

func wantForm(t *testing.T, got, want shownForm) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("form shows %+v\n          want %+v", got, want)
	}
}

func TestParamsFragment(t *testing.T) {
	ta, _ := newFakeApp(t)
	t.Run("OKDefaults", func(t *testing.T) {
		got := wantFragment(t, ta.do(t, http.MethodGet, "/ui/params", ""), http.StatusOK)
		wantForm(t, got, formOf(media.DefaultParams()))
	})
	t.Run("OKCurrent", func(t *testing.T) {
		ta.do(t, http.MethodPost, "/update_params", `{"fps":12,"batch_size":48,"sample_rate":22050,"channels":2}`).
			wantStatus(t, http.StatusOK)
		got := wantFragment(t, ta.do(t, http.MethodGet, "/ui/params", ""), http.StatusOK)
		wantForm(t, got, formOf(media.Params{FPS: 12, BatchSize: 48, SampleRate: 22050, Channels: 2, Format: "wav"}))
	})
}

func TestParamsFormHTMX(t *testing.T) {
	ta, _ := newFakeApp(t)

	t.Run("OK", func(t *testing.T) {
		want := media.Params{FPS: 25, BatchSize: 128, SampleRate: 16000, Channels: 2, Format: "wav"}
		res := ta.postForm(t, url.Values{"fps": {"25"}, "batch_size": {"128"}, "sample_rate": {"16000"}, "channels": {"2"}}, true)
		shown := formOf(want)
		shown.saved = true
		wantForm(t, wantFragment(t, res, http.StatusOK), shown)
		if p := ta.getParams(t); p != want {
			t.Errorf("stored %+v, want %+v", p, want)
		}
	})

	t.Run("OKPartial", func(t *testing.T) {
		// A field left out keeps its value.
		want := media.Params{FPS: 25, BatchSize: 128, SampleRate: 16000, Channels: 1, Format: "wav"}
		res := ta.postForm(t, url.Values{"channels": {"1"}, "fps": {""}}, true)
		shown := formOf(want)
		shown.saved = true
		wantForm(t, wantFragment(t, res, http.StatusOK), shown)
		if p := ta.getParams(t); p != want {
			t.Errorf("stored %+v, want %+v", p, want)
		}
	})

	// Every refusal below must leave these in force.
	current := media.Params{FPS: 25, BatchSize: 128, SampleRate: 16000, Channels: 1, Format: "wav"}

	for _, tt := range []struct {
		name   string
		form   url.Values
		shown  shownForm // the user's input where it parsed, else current; nothing selected for a value with no option
		fields []string  // marked invalid, in form order
	}{
		{"FPS0", url.Values{"fps": {"0"}},
			shownForm{fps: "0", batchSize: "128", sampleRate: []string{"16000"}, channels: []string{"1"}},
			[]string{"fps"}},
		{"BatchSize24", url.Values{"batch_size": {"24"}},
			shownForm{fps: "25", batchSize: "24", sampleRate: []string{"16000"}, channels: []string{"1"}},
			[]string{"batch_size"}},
		{"SampleRate12345", url.Values{"sample_rate": {"12345"}},
			shownForm{fps: "25", batchSize: "128", channels: []string{"1"}},
			[]string{"sample_rate"}},
		{"Channels3", url.Values{"channels": {"3"}},
			shownForm{fps: "25", batchSize: "128", sampleRate: []string{"16000"}},
			[]string{"channels"}},
		{"FPSNotNumber", url.Values{"fps": {"abc"}},
			shownForm{fps: "25", batchSize: "128", sampleRate: []string{"16000"}, channels: []string{"1"}},
			[]string{"fps"}},
		{"ValidShownWithInvalid", url.Values{"fps": {"0"}, "batch_size": {"64"}, "sample_rate": {"48000"}, "channels": {"2"}},
			shownForm{fps: "0", batchSize: "64", sampleRate: []string{"48000"}, channels: []string{"2"}},
			[]string{"fps"}},
		{"All", url.Values{"fps": {"0"}, "batch_size": {"24"}, "sample_rate": {"12345"}, "channels": {"3"}},
			shownForm{fps: "0", batchSize: "24"},
			[]string{"fps", "batch_size", "sample_rate", "channels"}},
		// A field that is not a number must not hide the others' errors.
		{"NotNumberWithOutOfRange", url.Values{"fps": {"abc"}, "batch_size": {"24"}, "channels": {"3"}},
			shownForm{fps: "25", batchSize: "24", sampleRate: []string{"16000"}},
			[]string{"fps", "batch_size", "channels"}},
	} {
		t.Run("ErrInvalid"+tt.name, func(t *testing.T) {
			res := ta.postForm(t, tt.form, true)
			want := tt.shown
			want.invalid, want.errors, want.notSaved = tt.fields, tt.fields, true
			wantForm(t, wantFragment(t, res, http.StatusUnprocessableEntity), want)
			if p := ta.getParams(t); p != current {
				t.Errorf("params changed to %+v, want %+v", p, current)
			}
		})
	}

	t.Run("ErrInvalidMessages", func(t *testing.T) {
		res := ta.postForm(t, url.Values{"fps": {"abc"}, "batch_size": {"24"}}, true)
		res.wantStatus(t, http.StatusUnprocessableEntity)
		for field, msg := range map[string]string{
			"fps":        "FPS must be a whole number.",
			"batch_size": "Batch size must be a multiple of 16 between 16 and 256.",
		} {
			if want := `data-testid="error-` + field + `">` + msg + "</p>"; !strings.Contains(string(res.body), want) {
				t.Errorf("fragment lacks %s", want)
			}
		}
	})
}

func TestParamsFormPlain(t *testing.T) {
	ta, _ := newFakeApp(t)

	t.Run("OK", func(t *testing.T) {
		want := media.Params{FPS: 50, BatchSize: 32, SampleRate: 44100, Channels: 2, Format: "wav"}
		res := ta.postForm(t, url.Values{"fps": {"50"}, "batch_size": {"32"}, "sample_rate": {"44100"}, "channels": {"2"}}, false)
		res.wantStatus(t, http.StatusSeeOther)
		loc := res.header.Get("Location")
		if loc != "/?done=params#params" {
			t.Errorf("Location = %q, want /?done=params#params", loc)
		}
		if p := ta.getParams(t); p != want {
			t.Errorf("stored %+v, want %+v", p, want)
		}
		// The page it redirects to shows them, and says they are saved.
		res = ta.do(t, http.MethodGet, loc, "")
		res.wantStatus(t, http.StatusOK)
		shown := formOf(want)
		shown.saved = true
		wantForm(t, readForm(t, string(res.body)), shown)
	})

	current := media.Params{FPS: 50, BatchSize: 32, SampleRate: 44100, Channels: 2, Format: "wav"}
	for _, tt := range []struct {
		name   string
		form   url.Values
		shown  shownForm
		fields []string
	}{
		{"FPS0", url.Values{"fps": {"0"}},
			shownForm{fps: "0", batchSize: "32", sampleRate: []string{"44100"}, channels: []string{"2"}}, []string{"fps"}},
		{"FPSNotNumber", url.Values{"fps": {"abc"}, "batch_size": {"48"}},
			shownForm{fps: "50", batchSize: "48", sampleRate: []string{"44100"}, channels: []string{"2"}}, []string{"fps"}},
		{"All", url.Values{"fps": {"61"}, "batch_size": {"24"}, "sample_rate": {"12345"}, "channels": {"3"}},
			shownForm{fps: "61", batchSize: "24"}, []string{"fps", "batch_size", "sample_rate", "channels"}},
	} {
		t.Run("ErrInvalid"+tt.name, func(t *testing.T) {
			res := ta.postForm(t, tt.form, false)
			res.wantStatus(t, http.StatusUnprocessableEntity)
			page := string(res.body)
			if !strings.HasPrefix(strings.ToLower(page), "<!doctype html>") || !strings.Contains(page, `data-testid="btn-start"`) {
				t.Errorf("not the full page: %.200s", page)
			}
			want := tt.shown
			want.invalid, want.errors, want.notSaved = tt.fields, tt.fields, true
			wantForm(t, readForm(t, page), want)
			if p := ta.getParams(t); p != current {
				t.Errorf("params changed to %+v, want %+v", p, current)
			}
		})
	}
}
