package handlers

import (
	"errors"
	"testing"
)

func TestParseRange(t *testing.T) {
	const size = 1000
	for _, tt := range []struct {
		name   string
		header string
		size   int64
		want   byteRange
		ok     bool
		err    error
	}{
		{"Absent", "", size, byteRange{}, false, nil},
		{"FirstLast", "bytes=0-99", size, byteRange{0, 99}, true, nil},
		{"OneByte", "bytes=5-5", size, byteRange{5, 5}, true, nil},
		{"Open", "bytes=100-", size, byteRange{100, 999}, true, nil},
		{"LastByteOpen", "bytes=999-", size, byteRange{999, 999}, true, nil},
		{"EndClamped", "bytes=500-5000", size, byteRange{500, 999}, true, nil},
		{"Suffix", "bytes=-44", size, byteRange{956, 999}, true, nil},
		{"SuffixWhole", "bytes=-1000", size, byteRange{0, 999}, true, nil},
		{"SuffixLonger", "bytes=-5000", size, byteRange{0, 999}, true, nil},
		{"Spaces", "bytes= 0-9 ", size, byteRange{0, 9}, true, nil},

		{"ErrStartAtSize", "bytes=1000-", size, byteRange{}, false, errUnsatisfiable},
		{"ErrStartPastSize", "bytes=2000-3000", size, byteRange{}, false, errUnsatisfiable},
		{"ErrSuffixZero", "bytes=-0", size, byteRange{}, false, errUnsatisfiable},
		{"ErrEmptyBody", "bytes=0-", 0, byteRange{}, false, errUnsatisfiable},
		{"ErrEmptyBodySuffix", "bytes=-10", 0, byteRange{}, false, errUnsatisfiable},

		{"IgnoredMultiRange", "bytes=0-9,20-29", size, byteRange{}, false, nil},
		{"IgnoredOtherUnit", "items=0-9", size, byteRange{}, false, nil},
		{"IgnoredNoPrefix", "0-9", size, byteRange{}, false, nil},
		{"IgnoredNoDash", "bytes=9", size, byteRange{}, false, nil},
		{"IgnoredBare", "bytes=", size, byteRange{}, false, nil},
		{"IgnoredDashOnly", "bytes=-", size, byteRange{}, false, nil},
		{"IgnoredReversed", "bytes=10-5", size, byteRange{}, false, nil},
		{"IgnoredLetters", "bytes=a-b", size, byteRange{}, false, nil},
		{"IgnoredBadEnd", "bytes=0-x", size, byteRange{}, false, nil},
		{"IgnoredNegativeStart", "bytes=-5-10", size, byteRange{}, false, nil},
		{"IgnoredNegativeSuffix", "bytes=--5", size, byteRange{}, false, nil},
		{"IgnoredOverflow", "bytes=0-99999999999999999999", size, byteRange{}, false, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, ok, err := parseRange(tt.header, tt.size)
			if got != tt.want || ok != tt.ok || !errors.Is(err, tt.err) || (err == nil) != (tt.err == nil) {
				t.Errorf("parseRange(%q, %d) = %v, %v, %v; want %v, %v, %v",
					tt.header, tt.size, got, ok, err, tt.want, tt.ok, tt.err)
			}
		})
	}
}
