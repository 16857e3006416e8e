package media

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// DisplayName is what a person calls recording r: its title, or for an
// untitled one when it was made, in the viewer's time zone loc: "Recording
// 7 Dec, 07:18", with the year when it is not the viewer's current one
// ("Recording 7 Dec 2025, 07:18"). File names are the server's business
// and never shown.
func DisplayName(r Recording, now time.Time, loc *time.Location) string {
	if r.Title != "" {
		return r.Title
	}
	if loc == nil {
		loc = time.UTC
	}
	at := r.CreatedAt.In(loc)
	layout := "Recording 2 Jan, 15:04"
	if at.Year() != now.In(loc).Year() {
		layout = "Recording 2 Jan 2006, 15:04"
	}
	return at.Format(layout)
}

// maxDownloadTitle bounds the title part of a download's name, in
// characters: file systems take 255 bytes, and a name is read at a glance.
const maxDownloadTitle = 80

// DownloadName is the file name a download of r is saved under: its
// title and the day it was made, in the viewer's time zone loc, then ext
// ("Standup notes 2026-12-07.webm"); an untitled recording is "Recording
// 2026-12-07 07-18.webm". Characters no common file system takes in a name
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
