package handlers_test

import (
	"maps"
	"net/http"
	"slices"
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
		want := media.Params{FPS: 30, BatchSize: 64, SampleRate: 48000, Channels: 1}
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
			media.Params{FPS: 25, BatchSize: 128, SampleRate: 16000, Channels: 2})
	})
	t.Run("OKPartial", func(t *testing.T) {
		update(t, `{"channels":1}`, media.Params{FPS: 25, BatchSize: 128, SampleRate: 16000, Channels: 1})
		update(t, `{"fps":60,"batch_size":256}`, media.Params{FPS: 60, BatchSize: 256, SampleRate: 16000, Channels: 1})
		update(t, `{"fps":1,"batch_size":16,"sample_rate":8000}`, media.Params{FPS: 1, BatchSize: 16, SampleRate: 8000, Channels: 1})
	})
	t.Run("OKEmpty", func(t *testing.T) {
		update(t, `{}`, media.Params{FPS: 1, BatchSize: 16, SampleRate: 8000, Channels: 1})
	})

	// Every refusal below must leave these in force.
	current := media.Params{FPS: 1, BatchSize: 16, SampleRate: 8000, Channels: 1}

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
			"sample_rate": "must be one of [8000 16000 22050 24000 32000 44100 48000]",
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
