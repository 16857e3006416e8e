// Package views holds the templ components: the page and the fragments
// htmx swaps. Components take plain view models and never see the request
// or the database.
package views

import (
	"strconv"
)

// HTMXFile is the vendored, pinned htmx, as named in the assets.
const HTMXFile = "vendor/htmx-2.0.11.min.js"

// htmxConfig makes htmx swap 422 answers too, so a refused form comes
// back with its errors inline while keeping an honest status code.
const htmxConfig = `{"includeIndicatorStyles":false,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},{"code":"[45]..","swap":false,"error":true}]}`

// IndexPage is what the recorder page shows. Form holds the current
// parameters, or refused input with its errors.
type IndexPage struct {
	Form       ParamsFormView
	Recordings RecordingsView
}

// ParamsFormView is the parameters form: the values shown (the user's own
// input when it was refused), per-field errors, and whether a save just
// succeeded.
type ParamsFormView struct {
	Values      ParamsView
	Errors      map[string]string
	Saved       bool
	SampleRates []int
}

// ParamsView is the processing parameters as the page shows them.
type ParamsView struct {
	FPS        int
	BatchSize  int
	SampleRate int
	Channels   int
}

// RecordingsView is one page of the recordings list.
type RecordingsView struct {
	Rows            []RecordingRow
	Total           int
	Summary         string // "42 recordings, 1 h 3 min"
	MoreURL         string // the next page, as a page link ("" on the last)
	MoreFragmentURL string // the next page's items, for htmx
	NewerURL        string // back towards the newest, when not on the first page
}

// RecordingRow is one line of the recordings list, already formatted.
type RecordingRow struct {
	ID          string // for the element id
	Filename    string
	Name        string // the title, or the file name when untitled
	Title       string
	URL         string // /recordings/{filename}
	AudioURL    string
	DownloadURL string
	Ext         string // of the download: ".wav", ".webm"...
	Created     string
	Duration    string
	Mode        string
	Format      string
	Size        string
	Params      string
	Waveform    string // SVG path of the peaks in a 120×32 box
}

func invalid(f ParamsFormView, field string) string {
	if _, ok := f.Errors[field]; ok {
		return "true"
	}
	return "false"
}

func hz(rate int) string {
	if rate%1000 == 0 {
		return strconv.Itoa(rate/1000) + " kHz"
	}
	return strconv.FormatFloat(float64(rate)/1000, 'f', -1, 64) + " kHz"
}
