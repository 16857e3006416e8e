// Package views holds the templ components: the page and the fragments
// htmx swaps. Components take plain view models and never see the request
// or the database.
package views

import (
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"
)

// HTMXFile is the vendored, pinned htmx, as named in the assets.
const HTMXFile = "vendor/htmx-2.0.11.min.js"

// htmxConfig makes htmx swap 422 answers too, so a refused form comes
// back with its errors inline while keeping an honest status code.
const htmxConfig = `{"includeIndicatorStyles":false,"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"422","swap":true},{"code":"[45]..","swap":false,"error":true}]}`

// IndexPage is what the recorder page shows. Form holds the current
// parameters, or refused input with its errors.
type IndexPage struct {
	// Notice confirms what a form without JavaScript just did ("" for none).
	Notice     string
	Form       ParamsFormView
	Recordings RecordingsView
	// Undo, after a form without JavaScript deleted a recording, says so
	// and offers to bring it back.
	Undo ToastView
	// MaxTakeSeconds is the server's limit on a live take (0: none).
	MaxTakeSeconds int
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
	Format     string // "wav" or "opus": what a live take is kept as
	// WAVPerHour and OpusPerHour are what an hour of live take costs on
	// disk in each format ("439.5 MiB"), and ChannelsName "mono" or
	// "stereo".
	WAVPerHour, OpusPerHour, ChannelsName string
}

// RecordingsView is one page of the recordings list: what a search
// finds, in the order asked.
type RecordingsView struct {
	Rows            []RecordingRow
	Total           int    // in the library
	Found           int    // by the search (Total without one)
	Query           string // the search as typed ("" for none)
	Sort            string // the order: "newest", "oldest", "longest"
	Sorts           []Choice
	Summary         string // "45 recordings", "3 of 45 recordings match “standup”"
	PageURL         string // this view as a page address: "/?q=standup"
	Deleted         int    // recordings in Recently deleted
	Storage         string // "1 h 3 min of audio in 120.4 MiB · 9.8 GiB free"
	MoreURL         string // the next page, as a page link ("" on the last)
	MoreFragmentURL string // the next page's items, for htmx
	NewerURL        string // back towards the newest, when not on the first page
	// Zone and Clock are the viewer's time zone ("America/New_York") and
	// clock ("12" or "24") the list was written for: the page fetches it
	// again when its browser's are others.
	Zone, Clock string
}

// RecordingRow is one line of the recordings list, already formatted.
type RecordingRow struct {
	ID          string // for the element id
	Filename    string
	Name        string // the title, or a name from when it was made
	Title       string
	URL         string // /recordings/{filename}
	AudioURL    string
	DownloadURL string
	Downloads   []Download // the download menu: the original first
	Ext         string     // of the download: ".wav", ".webm"...
	Created     string     // server-side fallback of CreatedAt
	CreatedAt   time.Time  // shown in the viewer's time zone
	Duration    string
	Seconds     float64 // the length, for players that load nothing until played
	Length      string  // the same as a clock: "1:23"
	// Silences are the voice-free stretches a player may skip, as
	// "start-end" seconds separated by spaces: "2.1-4.5 9-12.25".
	Silences string
	// Day, on the first row of a day in a list by date, heads it:
	// "Today", "Yesterday", "Monday 7 December".
	Day string
	// Clock, on a row under a day heading, is when in the day it was
	// made, in the viewer's zone ("15:44"; the page writes it in the
	// viewer's clock): the heading says the day.
	Clock    string
	Mode     string
	Deleted  string // in Recently deleted: when, and when it goes for good
	Format   string
	Size     string
	Params   string
	Problem  string // "file missing", "file damaged": shown first
	Waveform string // SVG path of the peaks in a 120×32 box
	// RecoveredAt, for a take the server saved by itself at start, is
	// when it was made (RFC 3339): the page writes the title's time in
	// the viewer's zone and clock, as it writes CreatedAt.
	RecoveredAt string
	Share       ShareRow // its share links; none offered when URL is ""
}

// Download is one entry of a recording's download menu.
type Download struct {
	Label string // "WAV 16 kHz mono (speech tools)"
	Size  string // "1.9 MiB", "" when unknown before converting
	URL   string
	File  string // the name it is saved under
}

// seconds writes a length for a data attribute: "12.5".
func seconds(s float64) string { return strconv.FormatFloat(s, 'f', -1, 64) }

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

// DraftRow is one unsaved take offered again after the page was left.
type DraftRow struct {
	ID       string // the session or upload id
	Mode     string // "webrtc" or "record"
	ModeName string
	Started  time.Time // zero when unknown
	Length   string    // "0:42", or the bytes uploaded
	AudioURL string
}

// ErrorView is a failed request as a page shows it.
type ErrorView struct {
	Status  int
	Title   string // "Not found"
	Message string // the domain's plain message
}

var fieldLabels = map[string]string{"fps": "FPS", "batch_size": "Batch size", "sample_rate": "Sample rate", "channels": "Channels", "format": "Keep live takes as"}

// fieldSentence turns a refused field's reason into a sentence: "Sample
// rate must be one of 8, 16, 22.05 … or 48 kHz."
func fieldSentence(f ParamsFormView, field, msg string) string {
	label := fieldLabels[field]
	if label == "" {
		label = field
	}
	if field == "sample_rate" && strings.HasPrefix(msg, "must be one of") && len(f.SampleRates) > 1 {
		names := make([]string, len(f.SampleRates))
		for i, r := range f.SampleRates {
			names[i] = strings.TrimSuffix(hz(r), " kHz")
		}
		msg = "must be one of " + strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1] + " kHz"
	}
	return label + " " + strings.TrimSuffix(msg, ".") + "."
}

// titleAttrs are the title input's attributes beyond the fixed ones.
func (r RecordingRow) titleAttrs() templ.Attributes {
	if r.RecoveredAt == "" {
		return nil
	}
	return templ.Attributes{"data-recovered-at": r.RecoveredAt}
}

// Choice is one option of a select.
type Choice struct {
	Value, Label string
	Selected     bool
}

// ToastView is a passing message, with Undo when UndoURL is set.
type ToastView struct {
	Message string
	UndoURL string // a POST that undoes what the message says
}

// TrashPage is the Recently deleted view.
type TrashPage struct {
	Rows     []RecordingRow
	MoreURL  string
	Notice   string
	KeepDays int // how long a recording stays here (0: not said)
}
