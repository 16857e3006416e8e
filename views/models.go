// Package views holds the templ components: the page and the fragments
// htmx swaps. Components take plain view models and never see the request
// or the database.
package views

import "strconv"

// HTMXPath is where the vendored, pinned htmx is served.
const HTMXPath = "/assets/vendor/htmx-2.0.11.min.js"

// IndexPage is what the recorder page shows.
type IndexPage struct {
	Params     ParamsView
	Recordings []RecordingRow
}

// ParamsView is the processing parameters as the page shows them.
type ParamsView struct {
	FPS        int
	BatchSize  int
	SampleRate int
	Channels   int
}

// RecordingRow is one line of the recordings list, already formatted.
type RecordingRow struct {
	Filename string
	JSONURL  string
	AudioURL string
	Created  string
	Duration string
	Mode     string
	Format   string
	Size     string
	Params   string
}

func channelsLabel(n int) string {
	switch n {
	case 1:
		return "mono"
	case 2:
		return "stereo"
	}
	return strconv.Itoa(n) + " channels"
}
