// Package disposition writes Content-Disposition header values (RFC 6266)
// that every browser reads the same way: the file name in UTF-8 as
// filename* (RFC 8187), and an ASCII look-alike as filename for the few
// clients that read only that.
package disposition

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Attachment is the header value that makes a browser save the response
// as a file named name.
func Attachment(name string) string { return value("attachment", name) }

// Inline is the header value that shows the response in the browser, and
// names it name if it is saved.
func Inline(name string) string { return value("inline", name) }

func value(kind, name string) string {
	// Both, always: a client that reads filename* takes it whatever
	// filename says (and old ones percent-decode filename).
	return kind + `; filename="` + asciiName(name) + `"; filename*=UTF-8''` + encode(name)
}

// asciiName is name in printable ASCII for a quoted string: accents
// dropped ("Café" is "Cafe"); other characters, quotes, backslashes and
// percent signs as underscores.
func asciiName(name string) string {
	var b strings.Builder
	for _, r := range norm.NFKD.String(name) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == '"' || r == '\\' || r == '%' || r < 0x20 || r > 0x7e:
			b.WriteByte('_')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// encode percent-encodes name as RFC 8187's value-chars: UTF-8 bytes
// outside attr-char as %XX.
func encode(name string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for _, c := range []byte(strings.ToValidUTF8(name, string(utf8.RuneError))) {
		if attrChar(c) {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}

// attrChar reports whether c may stand for itself in an RFC 8187 value.
func attrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}
