package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/avatarweb/recorder/media"
)

// defaultParams are the parameters a new server answers with: the
// format named (wav, without -live-format).
var defaultParams = func() media.Params {
	p := media.DefaultParams()
	p.Format = media.FormatWAV
	return p
}()

// The format is a processing parameter like the others: set over the
// JSON API, the form and the WebSocket, refused with a 422 naming it when
// it is neither wav nor opus, and the form says what each costs an hour.
func TestFormatParam(t *testing.T) {
	ta, _ := newFakeApp(t)
	opus := defaultParams
	opus.Format = media.FormatOpus

	ta.do(t, http.MethodPost, "/update_params", `{"format":"opus"}`).wantStatus(t, http.StatusOK)
	if p := ta.getParams(t); p != opus {
		t.Errorf("after update_params: %+v, want %+v", p, opus)
	}
	for _, body := range []string{`{"format":"flac"}`, `{"format":"OPUS"}`, `{"format":"opus","fps":0}`} {
		res := ta.do(t, http.MethodPost, "/update_params", body)
		e := res.wantError(t, http.StatusUnprocessableEntity, "invalid parameters")
		if _, ok := e.Errors["format"]; !ok && !strings.Contains(body, "fps") {
			t.Errorf("%s: errors %v do not name format", body, e.Errors)
		}
		if p := ta.getParams(t); p != opus {
			t.Errorf("%s changed the parameters to %+v", body, p)
		}
	}
	ta.do(t, http.MethodPost, "/update_params", `{"format":7}`).wantStatus(t, http.StatusBadRequest)

	// The form: the select shows the choice, and the costs per hour.
	res := ta.postForm(t, url.Values{"format": {"wav"}, "sample_rate": {"16000"}}, true)
	res.wantStatus(t, http.StatusOK)
	body := string(res.body)
	for _, want := range []string{`<option value="wav" selected>WAV</option>`, "WAV: 146.5 MiB per hour at 16 kHz mono",
		"Opus: about 19.2 MiB per hour"} {
		if !strings.Contains(body, want) {
			t.Errorf("the form lacks %q:\n%s", want, body)
		}
	}
	if p := ta.getParams(t); p.Format != media.FormatWAV || p.SampleRate != 16000 {
		t.Errorf("after the form: %+v", p)
	}
	res = ta.postForm(t, url.Values{"format": {"mp3"}}, true)
	res.wantStatus(t, http.StatusUnprocessableEntity)
	if !strings.Contains(string(res.body), "Keep live takes as must be") {
		t.Errorf("the refused form does not say why:\n%s", res.body)
	}

	// The WebSocket.
	c := newWSClient(t, ta.serve(t))
	got := c.call(t, `{"type":"update_params","params":{"format":"opus"}}`)
	if got.Type != "params_updated" || got.Params.Format != media.FormatOpus {
		t.Errorf("ws answered %+v", got)
	}
}
