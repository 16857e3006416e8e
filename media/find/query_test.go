package find

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

func TestFold(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"Standup notes", "standup notes"},
		{"  Café — crème brûlée!  ", "cafe creme brulee"},
		{"Straße Œuvre Łódź", "strasse oeuvre lodz"},
		{"stand-up/v2.1", "stand up v2 1"},
		{"ＦＵＬＬ width", "full width"}, // compatibility forms fold too
		{"Встреча в 10:30", "встреча в 10 30"},
		{"会議メモ", "会議メモ"},
		{"tab\tand\nnewline", "tab and newline"},
	} {
		if got := Fold(tc.in); got != tc.want {
			t.Errorf("Fold(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// now is Wednesday 9 December 2026, 10:30 in Paris.
var (
	paris = mustZone("Europe/Paris")
	now   = time.Date(2026, 12, 9, 10, 30, 0, 0, paris)
)

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

// day is the span of one day in Paris, in UTC.
func day(y int, m time.Month, d int) [2]time.Time {
	from := time.Date(y, m, d, 0, 0, 0, 0, paris)
	return [2]time.Time{from.UTC(), from.AddDate(0, 0, 1).UTC()}
}

func span(from, to time.Time) [2]time.Time { return [2]time.Time{from.UTC(), to.UTC()} }

func TestParse(t *testing.T) {
	none := [2]time.Time{}
	for _, tc := range []struct {
		in    string
		words []string
		span  [2]time.Time
		dates []string
	}{
		{"", nil, none, nil},
		{"   ", nil, none, nil},
		{"standup", []string{"standup"}, none, nil},
		{"Standup NOTES standup", []string{"standup", "notes"}, none, nil},
		{"café", []string{"cafe"}, none, nil},
		{"stand-up", []string{"stand", "up"}, none, nil},
		{"today", nil, day(2026, 12, 9), []string{"today"}},
		{"Yesterday", nil, day(2026, 12, 8), []string{"yesterday"}},
		{"tuesday", nil, day(2026, 12, 8), []string{"Tuesday 8 December"}},
		{"Wednesday", nil, day(2026, 12, 9), []string{"Wednesday 9 December"}}, // today is one
		{"thursday", nil, day(2026, 12, 3), []string{"Thursday 3 December"}},
		{"Dec 7", nil, day(2026, 12, 7), []string{"Monday 7 December"}},
		{"dec. 7th", nil, day(2026, 12, 7), []string{"Monday 7 December"}},
		{"7 December", nil, day(2026, 12, 7), []string{"Monday 7 December"}},
		{"7th of dec", nil, day(2026, 12, 7), []string{"Monday 7 December"}},
		{"December 7, 2025", nil, day(2025, 12, 7), []string{"Sunday 7 December 2025"}},
		{"Dec 25", nil, day(2025, 12, 25), []string{"Thursday 25 December 2025"}}, // not yet this year
		{"2026-03-29", nil, span(time.Date(2026, 3, 29, 0, 0, 0, 0, paris), time.Date(2026, 3, 30, 0, 0, 0, 0, paris)), []string{"Sunday 29 March"}},
		{"feb 29", nil, day(2024, 2, 29), []string{"Thursday 29 February 2024"}},
		{"December", nil, span(time.Date(2026, 12, 1, 0, 0, 0, 0, paris), time.Date(2027, 1, 1, 0, 0, 0, 0, paris)), []string{"December 2026"}},
		{"june", nil, span(time.Date(2026, 6, 1, 0, 0, 0, 0, paris), time.Date(2026, 7, 1, 0, 0, 0, 0, paris)), []string{"June 2026"}},
		{"jan 2025", nil, span(time.Date(2025, 1, 1, 0, 0, 0, 0, paris), time.Date(2025, 2, 1, 0, 0, 0, 0, paris)), []string{"January 2025"}},
		{"2025", nil, span(time.Date(2025, 1, 1, 0, 0, 0, 0, paris), time.Date(2026, 1, 1, 0, 0, 0, 0, paris)), []string{"2025"}},
		{"standup dec 7", []string{"standup"}, day(2026, 12, 7), []string{"Monday 7 December"}},
		{"dec 7 standup", []string{"standup"}, day(2026, 12, 7), []string{"Monday 7 December"}},
		{"Monday Dec 7", nil, day(2026, 12, 7), []string{"Monday 7 December"}},
		{"December yesterday", nil, day(2026, 12, 8), []string{"December 2026", "yesterday"}},
		// Spans that cannot both hold: empty, at the later start.
		{"Tuesday Dec 7", nil, [2]time.Time{day(2026, 12, 8)[0], day(2026, 12, 8)[0]}, []string{"Tuesday 8 December", "Monday 7 December"}},
		// Words, not dates.
		{"dec", []string{"dec"}, none, nil}, // still being typed
		{"may", []string{"may"}, none, nil},
		{"march on", []string{"march", "on"}, none, nil},
		{"may 1", nil, day(2026, 5, 1), []string{"Friday 1 May"}},
		{"apr 31", []string{"apr", "31"}, none, nil}, // no such day
		{"april 31", []string{"31"}, span(time.Date(2026, 4, 1, 0, 0, 0, 0, paris), time.Date(2026, 5, 1, 0, 0, 0, 0, paris)), []string{"April 2026"}},
		{"7", []string{"7"}, none, nil},
		{"mon", []string{"mon"}, none, nil},
		{"1969", []string{"1969"}, none, nil},
		{"take 12", []string{"take", "12"}, none, nil},
		{`"tuesday" notes`, []string{"tuesday", "notes"}, none, nil},
		{`"dec 7"`, []string{"dec", "7"}, none, nil},
	} {
		q := Parse(tc.in, now, paris)
		got := [2]time.Time{q.From, q.To}
		if !reflect.DeepEqual(q.Words, tc.words) || got != tc.span || !reflect.DeepEqual(q.Dates, tc.dates) {
			t.Errorf("Parse(%q) = %q %v %q,\nwant %q %v %q", tc.in, q.Words, got, q.Dates, tc.words, tc.span, tc.dates)
		}
	}
}

// The viewer's day, not the server's: just after midnight in Tokyo it is
// already tomorrow there, still today in UTC.
func TestParseViewersZone(t *testing.T) {
	tokyo := mustZone("Asia/Tokyo")
	at := time.Date(2026, 12, 9, 15, 30, 0, 0, time.UTC) // 00:30 on the 10th in Tokyo
	q := Parse("today", at, tokyo)
	want := time.Date(2026, 12, 10, 0, 0, 0, 0, tokyo)
	if !q.From.Equal(want) || !q.To.Equal(want.AddDate(0, 0, 1)) || q.From.Location() != time.UTC {
		t.Fatalf("today in Tokyo = [%v, %v), want from %v", q.From, q.To, want.UTC())
	}
	if q := Parse("today", at, nil); q.From != time.Date(2026, 12, 9, 0, 0, 0, 0, time.UTC) {
		t.Fatalf("today in UTC from %v", q.From)
	}
}

// A day with a clock change has 23 hours: the span follows the viewer's
// midnights.
func TestParseClockChange(t *testing.T) {
	q := Parse("2026-03-29", now, paris)
	if got := q.To.Sub(q.From); got != 23*time.Hour {
		t.Fatalf("29 March 2026 in Paris lasts %v, want 23h", got)
	}
}

func TestParseLimits(t *testing.T) {
	long := ""
	for range 50 {
		long += "word" + string(rune('a'+len(long)%26)) + " "
	}
	if q := Parse(long, now, paris); len(q.Words) != MaxWords {
		t.Errorf("%d words kept, want %d", len(q.Words), MaxWords)
	}
	huge := make([]rune, 500)
	for i := range huge {
		huge[i] = 'x'
	}
	q := Parse(string(huge), now, paris)
	if len(q.Words) != 1 || len([]rune(q.Words[0])) != MaxWord {
		t.Errorf("a 500-letter word became %d words, the first %d long", len(q.Words), len([]rune(q.Words[0])))
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"standup dec 7", `"x" 7th of may 2025`, "2026-02-30", "feb 29 1970"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q := Parse(s, now, paris)
		if len(q.Words) > MaxWords {
			t.Fatalf("%d words", len(q.Words))
		}
		for _, w := range q.Words {
			if w == "" || Fold(w) != w {
				t.Fatalf("word %q is not folded", w)
			}
		}
		if q.Dated() && q.To.Before(q.From) {
			t.Fatalf("span [%v, %v)", q.From, q.To)
		}
	})
}

func TestCursor(t *testing.T) {
	r := media.Recording{ID: 42, CreatedAt: time.UnixMilli(1733740000123).UTC(), Duration: 0.1 + 0.2, DeletedAt: time.UnixMilli(1733750000000).UTC()}
	c := CursorOf(r)
	for _, o := range []Order{Newest, Oldest, Longest, Deleted} {
		s := c.Format(o)
		got, err := ParseCursor(o, s)
		if err != nil {
			t.Fatalf("%s: ParseCursor(%q): %v", o, s, err)
		}
		want := Cursor{ID: 42}
		switch o {
		case Longest:
			want.Duration = r.Duration // exactly: a rounded key would skip rows
		case Deleted:
			want.DeletedAt = r.DeletedAt
		default:
			want.CreatedAt = r.CreatedAt
		}
		if got != want {
			t.Errorf("%s: %q read back as %+v, want %+v", o, s, got, want)
		}
	}
	for _, bad := range []string{"", "_", "1_", "_1", "1_0", "x_1", "1_x", "-5_1", "1e400_1", "NaN_1", "Inf_1"} {
		for _, o := range []Order{Newest, Longest} {
			if _, err := ParseCursor(o, bad); !errors.Is(err, media.ErrInvalid) {
				t.Errorf("%s: ParseCursor(%q) = %v, want invalid", o, bad, err)
			}
		}
	}
	if _, err := ParseCursor(Newest, "99999999999999999_1"); !errors.Is(err, media.ErrInvalid) {
		t.Errorf("a time past year 9999: %v", err)
	}
}

func TestParseOrder(t *testing.T) {
	for in, want := range map[string]Order{"": Newest, "newest": Newest, "oldest": Oldest, "longest": Longest} {
		if got, err := ParseOrder(in); got != want || err != nil {
			t.Errorf("ParseOrder(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"deleted", "Newest", "random"} {
		if _, err := ParseOrder(bad); !errors.Is(err, media.ErrInvalid) {
			t.Errorf("ParseOrder(%q) = %v, want invalid", bad, err)
		}
	}
}
