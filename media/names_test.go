package media

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestDisplayName(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 9, 12, 0, 0, 0, time.UTC)
	made := time.Date(2026, 12, 7, 6, 18, 30, 0, time.UTC)
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		r     Recording
		clock Clock
		want  string
	}{
		{Recording{Title: "Standup notes", CreatedAt: made}, Clock{Zone: paris}, "Standup notes"},
		{Recording{CreatedAt: made, Filename: "recording_20261207_061830.json"}, Clock{Zone: paris}, "Recording 7 Dec, 07:18"},
		{Recording{CreatedAt: made}, Clock{}, "Recording 7 Dec, 06:18"},
		{Recording{CreatedAt: made.AddDate(-1, 0, 0)}, Clock{Zone: paris}, "Recording 7 Dec 2025, 07:18"},
		// 23:30 UTC on 31 December is already next year in Paris, and
		// this year there.
		{Recording{CreatedAt: time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC)}, Clock{Zone: paris}, "Recording 1 Jan, 00:30"},
		// A 12-hour clock writes the time as the viewer's browser does
		// beside it: "4:12 PM", not "16:12".
		{Recording{CreatedAt: time.Date(2026, 12, 7, 21, 12, 0, 0, time.UTC)}, Clock{Zone: newYork, Hour12: true}, "Recording 7 Dec, 4:12 PM"},
		{Recording{CreatedAt: made}, Clock{Zone: newYork, Hour12: true}, "Recording 7 Dec, 1:18 AM"},
		{Recording{CreatedAt: time.Date(2026, 12, 7, 5, 5, 0, 0, time.UTC)}, Clock{Hour12: true}, "Recording 7 Dec, 5:05 AM"},
		{Recording{CreatedAt: time.Date(2026, 12, 7, 0, 30, 0, 0, time.UTC)}, Clock{Hour12: true}, "Recording 7 Dec, 12:30 AM"},
		{Recording{CreatedAt: time.Date(2026, 12, 7, 12, 30, 0, 0, time.UTC)}, Clock{Hour12: true}, "Recording 7 Dec, 12:30 PM"},
		{Recording{CreatedAt: time.Date(2025, 12, 7, 12, 30, 0, 0, time.UTC)}, Clock{Hour12: true}, "Recording 7 Dec 2025, 12:30 PM"},
	} {
		if got := DisplayName(tc.r, now, tc.clock); got != tc.want {
			t.Errorf("DisplayName(%q, %v, %+v) = %q, want %q", tc.r.Title, tc.r.CreatedAt, tc.clock, got, tc.want)
		}
	}
}

func TestDownloadName(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	made := time.Date(2026, 12, 7, 22, 18, 0, 0, time.UTC) // the 8th in Tokyo
	long := strings.Repeat("word ", 40)
	for _, tc := range []struct {
		title string
		loc   *time.Location
		ext   string
		want  string
	}{
		{"Standup notes", nil, ".webm", "Standup notes 2026-12-07.webm"},
		{"Standup notes", tokyo, ".webm", "Standup notes 2026-12-08.webm"},
		{"", nil, ".wav", "Recording 2026-12-07 22-18.wav"},
		{"", tokyo, ".m4a", "Recording 2026-12-08 07-18.m4a"},
		{"Q&A: what/why? <draft> \"v2\" | final*", nil, ".wav", "Q&A what why draft v2 final 2026-12-07.wav"},
		{"../../etc/passwd", nil, ".wav", "etc passwd 2026-12-07.wav"},
		{"...hidden", nil, ".wav", "hidden 2026-12-07.wav"},
		{"ends with dots...", nil, ".wav", "ends with dots 2026-12-07.wav"},
		{"tab\there\nand\x00nul", nil, ".wav", "tab here and nul 2026-12-07.wav"},
		{"Café crème", nil, ".webm", "Café crème 2026-12-07.webm"},
		{"///", nil, ".wav", "Recording 2026-12-07 22-18.wav"},
		{long, nil, ".wav", strings.TrimSpace(strings.Repeat("word ", 16)) + " 2026-12-07.wav"},
	} {
		got := DownloadName(Recording{Title: tc.title, CreatedAt: made}, tc.loc, tc.ext)
		if got != tc.want {
			t.Errorf("DownloadName(%q) = %q, want %q", tc.title, got, tc.want)
		}
		if !utf8.ValidString(got) || len(got) > 255 {
			t.Errorf("DownloadName(%q) = %q: not a file name", tc.title, got)
		}
	}
}
