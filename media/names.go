package media

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Clock is how a viewer reads the time: in their time zone (nil is UTC),
// on a 12-hour clock ("4:12 PM") or a 24-hour one ("16:12"), as their
// browser writes times.
type Clock struct {
	Zone   *time.Location
	Hour12 bool
}

// In is t in the clock's time zone.
func (c Clock) In(t time.Time) time.Time {
	if c.Zone == nil {
		return t.UTC()
	}
	return t.In(c.Zone)
}

// Time writes the time of day of t on the clock: "4:12 PM" or "16:12".
func (c Clock) Time(t time.Time) string {
	if c.Hour12 {
		return c.In(t).Format("3:04 PM")
	}
	return c.In(t).Format("15:04")
}

// Untitled is the word the name of an untitled recording begins with
// (DisplayName); a search finds untitled recordings by it.
const Untitled = "Recording"

// DisplayName is what a person calls recording r: its title, or for an
// untitled one when it was made, on the viewer's clock c: "Recording 7
// Dec, 4:12 PM" (or "Recording 7 Dec, 16:12"), with the year when it is
// not the viewer's current one ("Recording 7 Dec 2025, 4:12 PM"). The
// name is made as the page is, never stored, so each viewer reads their
// own zone and clock. The day is written as the list's day headings write
// it, and as a search reads it. File names are the server's business and
// never shown.
func DisplayName(r Recording, now time.Time, c Clock) string {
	if r.Title != "" {
		return r.Title
	}
	at := c.In(r.CreatedAt)
	day := "2 Jan"
	if at.Year() != c.In(now).Year() {
		day = "2 Jan 2006"
	}
	return Untitled + " " + at.Format(day) + ", " + c.Time(r.CreatedAt)
}

// maxDownloadTitle bounds the title part of a download's name, in
// characters: file systems take 255 bytes, and a name is read at a glance.
const maxDownloadTitle = 80

// DownloadName is the file name a download of r is saved under: its
// title and the day it was made, in the viewer's time zone loc, then ext
// ("Standup notes 2026-12-07.webm"); an untitled recording is "Recording
// 2026-12-07 07-18.webm": a 24-hour time whatever the viewer's clock, as
// in ISO dates, so a folder sorted by name is sorted by time ("1-05 PM"
// would sort before "11-30 AM"), and no colon, which Windows refuses in a
// name. Characters no common file system takes in a name
// (/ \ : * ? " < > | and control characters) become spaces, and the name
// neither starts with a dot nor ends with a space or a dot.
func DownloadName(r Recording, loc *time.Location, ext string) string {
	if loc == nil {
		loc = time.UTC
	}
	at := r.CreatedAt.In(loc)
	title := safeFileText(r.Title)
	if title == "" {
		return "Recording " + at.Format("2006-01-02 15-04") + ext
	}
	return title + " " + at.Format("2006-01-02") + ext
}

// safeFileText is s fit for a file name: unsafe characters as spaces,
// runs of spaces as one, no leading dots, at most maxDownloadTitle
// characters (cut at a space when there is one near the end).
func safeFileText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || strings.ContainsRune(`/\:*?"<>|`, r) || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	s = strings.TrimLeft(s, ". ")
	if r := []rune(s); len(r) > maxDownloadTitle {
		cut := string(r[:maxDownloadTitle])
		if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
			cut = cut[:i]
		}
		s = cut
	}
	return strings.TrimRight(s, ". ")
}
