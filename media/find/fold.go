// Package find is how people look for their recordings: what they type in
// the search box, understood as words of a title and dates ("Tuesday",
// "yesterday", "Dec 7", "7 December 2025") in their own time zone; the
// orders the list can be read in; and a place in such a list.
//
// It is pure: no clock, no database. The index (package db) matches the
// words against titles folded with Fold, and the dates against when each
// recording was made.
package find

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/avatarweb/recorder/media"
)

// Fold returns the searchable form of s: lower case, without accents
// ("Café" is "cafe"), letters and digits only, words separated by one
// space. A title is stored folded beside itself and the words typed are
// folded the same way, so both engines the index runs on (SQLite FTS5 and
// PostgreSQL text search) see exactly the same words and find the same
// recordings.
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true // at the start, or after a separator: no space to write
	// Invalid UTF-8 first becomes a separator: norm passes a broken byte
	// and the letters after it through undecomposed, so a second Fold
	// would change them again.
	for _, r := range norm.NFKD.String(strings.ToValidUTF8(s, " ")) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue // a combining accent: dropped
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			if s, ok := ligatures[r]; ok {
				b.WriteString(s)
				continue
			}
			b.WriteRune(unicode.ToLower(r))
		default:
			space = true
		}
	}
	return b.String()
}

// ligatures are letters decomposition leaves whole but a person types as
// plain Latin letters.
var ligatures = map[rune]string{
	'ß': "ss", 'ẞ': "ss", 'æ': "ae", 'Æ': "ae", 'œ': "oe", 'Œ': "oe",
	'ø': "o", 'Ø': "o", 'đ': "d", 'Đ': "d", 'ł': "l", 'Ł': "l", 'ı': "i",
	'þ': "th", 'Þ': "th",
}

// SearchText is what the index finds a recording titled title by: the
// title folded, or for an untitled recording the word its name begins
// with ("recording": media.Untitled). The rest of that name is when it
// was made, on each viewer's clock: a search finds it by date.
func SearchText(title string) string {
	if title == "" {
		return Fold(media.Untitled)
	}
	return Fold(title)
}

// Words splits the folded form of s into its words.
func Words(s string) []string {
	return strings.Fields(Fold(s))
}
