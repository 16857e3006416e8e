package store_test

import (
	"strings"
	"testing"

	"github.com/avatarweb/recorder/media/store"
)

// documentedName is the pattern ValidName documents, written out by hand:
// recording_YYYYMMDD_HHMMSS.json, optionally with _N before .json.
func documentedName(name string) bool {
	rest, ok := strings.CutPrefix(name, "recording_")
	if !ok {
		return false
	}
	digits := func(n int) bool {
		if n > 0 && len(rest) < n {
			return false
		}
		i := 0
		for i < len(rest) && (n == 0 || i < n) && '0' <= rest[i] && rest[i] <= '9' {
			i++
		}
		if i == 0 || (n > 0 && i != n) {
			return false
		}
		rest = rest[i:]
		return true
	}
	sep := func() bool {
		var ok bool
		rest, ok = strings.CutPrefix(rest, "_")
		return ok
	}
	if !digits(8) || !sep() || !digits(6) {
		return false
	}
	if strings.HasPrefix(rest, "_") && (!sep() || !digits(0)) {
		return false
	}
	return rest == ".json"
}

// FuzzValidName checks that ValidName accepts exactly the documented
// pattern, and so never a name with a path separator, "..", or NUL.
func FuzzValidName(f *testing.F) {
	for _, name := range []string{
		"recording_20250102_030405.json",
		"recording_20250102_030405_2.json",
		"recording_20250102_030405_.json",
		"recording_20250102_030405.json\n",
		"recording_20250102_030405.json\x00",
		"../recording_20250102_030405.json",
		"recording_20250102_030405.json/..",
		"recording_2025010_030405.json",
		"recording_20250102_030405_2_3.json",
		"recording_２0250102_030405.json", // a full-width digit
		"",
	} {
		f.Add(name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		ok := store.ValidName(name)
		if ok && (strings.ContainsAny(name, "/\\\x00") || strings.Contains(name, "..")) {
			t.Fatalf("ValidName(%q) accepts a name that could leave the directory", name)
		}
		if want := documentedName(name); ok != want {
			t.Fatalf("ValidName(%q) = %v; the documented pattern says %v", name, ok, want)
		}
	})
}
