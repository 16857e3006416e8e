package find

import (
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Query is a search typed by a person, understood: words of the title and
// a span of days.
type Query struct {
	// Words must each begin a word of the title, after folding: "stand"
	// finds "Standup notes", "cafe" finds "Café".
	Words []string
	// From and To bound when a recording was made, [From, To), in UTC.
	// Both are zero when the search names no date; a span no day can
	// satisfy ("Monday 8 December" when the 8th was a Tuesday) has
	// From == To.
	From, To time.Time
	// Dates are the date phrases understood, as the page says them back
	// ("Tuesday 8 December"), so a person sees how the search was read.
	Dates []string
}

// Dated reports whether q names a date.
func (q Query) Dated() bool { return !q.From.IsZero() || !q.To.IsZero() }

// IsZero reports whether q asks for nothing: the whole library.
func (q Query) IsZero() bool { return len(q.Words) == 0 && !q.Dated() }

// Limits on what Parse reads: a search box is not a place for essays.
const (
	MaxQuery = 200 // characters read
	MaxWords = 8   // words kept
	MaxWord  = 64  // characters kept of a word
)

// Parse reads what a person typed in the search box. now and loc are the
// viewer's: "yesterday" is the day before the viewer's today, in the
// viewer's time zone (nil is UTC).
//
// Dates it understands, case and accents aside:
//   - "today", "yesterday";
//   - a weekday ("Tuesday"): the latest such day, today included;
//   - a day of a month ("Dec 7", "7 December", "December 7th",
//     "7th of Dec", "7 Dec 2025"): without a year, the latest such day;
//   - a month ("December", "Dec 2025"): without a year, the latest such
//     month; "may" and "march" alone are words, being words too often;
//   - a year ("2025"), and an ISO date ("2025-12-07").
//
// Everything else is words of the title, and so is anything in double
// quotes ("\"Tuesday\"" finds a title with that word). Several dates
// narrow each other: "Tuesday Dec 7" is that day only if it was a
// Tuesday.
func Parse(text string, now time.Time, loc *time.Location) Query {
	if loc == nil {
		loc = time.UTC
	}
	p := parser{now: now.In(loc), loc: loc}
	if r := []rune(text); len(r) > MaxQuery {
		text = string(r[:MaxQuery])
	}
	// Quoted parts are words; the rest may hold dates.
	for i, part := range strings.Split(text, `"`) {
		if i%2 == 1 {
			p.words(part)
		} else {
			p.scan(tokens(part))
		}
	}
	return p.q
}

type parser struct {
	now time.Time // in loc
	loc *time.Location
	q   Query
}

// tokens splits s at spaces and commas, lower-cased, without the
// punctuation people put around dates ("Dec.", "7th,", "(Tuesday)").
func tokens(s string) []string {
	fields := strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return unicode.IsSpace(r) || r == ','
	})
	out := fields[:0]
	for _, f := range fields {
		if f = strings.Trim(f, ".;:!?()[]"); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// scan reads tokens, taking the longest date phrase at each place and
// the rest as words.
func (p *parser) scan(toks []string) {
	for i := 0; i < len(toks); {
		if n := p.date(toks[i:]); n > 0 {
			i += n
			continue
		}
		p.words(toks[i])
		i++
	}
}

// words adds the folded words of s to the query.
func (p *parser) words(s string) {
	for _, w := range Words(s) {
		if len(p.q.Words) == MaxWords {
			return
		}
		if r := []rune(w); len(r) > MaxWord {
			w = string(r[:MaxWord])
		}
		if !contains(p.q.Words, w) {
			p.q.Words = append(p.q.Words, w)
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// date reads a date phrase at the start of toks and narrows the query to
// it, returning how many tokens it took (0: none is there).
func (p *parser) date(toks []string) int {
	today := p.day(p.now.Year(), p.now.Month(), p.now.Day())
	t := toks[0]
	switch t {
	case "today":
		p.narrow(today, today.AddDate(0, 0, 1), "today")
		return 1
	case "yesterday":
		from := today.AddDate(0, 0, -1)
		p.narrow(from, today, "yesterday")
		return 1
	}
	if wd, ok := weekday(t); ok {
		back := (int(today.Weekday()) - int(wd) + 7) % 7
		p.narrowDay(today.AddDate(0, 0, -back))
		return 1
	}
	if d, err := time.ParseInLocation("2006-01-02", t, p.loc); err == nil {
		p.narrowDay(d)
		return 1
	}
	// Month then day ("Dec 7"), day then month ("7 Dec", "7th of Dec"),
	// each with an optional year.
	if m, full, ok := month(t); ok {
		if len(toks) > 1 {
			if d, ok := dayOfMonth(toks[1]); ok {
				y, n := p.optionalYear(toks[2:])
				if p.monthDay(m, d, y) {
					return 2 + n
				}
			}
			if y, ok := p.year(toks[1]); ok {
				p.narrowMonth(y, m)
				return 2
			}
		}
		if full && t != "may" && t != "march" {
			y := p.now.Year()
			if m > p.now.Month() {
				y--
			}
			p.narrowMonth(y, m)
			return 1
		}
		return 0
	}
	if d, ok := dayOfMonth(t); ok && len(toks) > 1 {
		rest := toks[1:]
		if rest[0] == "of" && len(rest) > 1 {
			rest = rest[1:]
		}
		if m, _, ok := month(rest[0]); ok {
			y, n := p.optionalYear(rest[1:])
			if p.monthDay(m, d, y) {
				return len(toks) - len(rest) + 1 + n
			}
		}
		return 0
	}
	if y, ok := p.year(t); ok {
		from := p.day(y, time.January, 1)
		p.narrow(from, from.AddDate(1, 0, 0), strconv.Itoa(y))
		return 1
	}
	return 0
}

// monthDay narrows the query to day d of month m in year y, or without a
// year (0) the latest such day up to today. It reports false for a day
// the month does not have (31 April), which is then read as words.
func (p *parser) monthDay(m time.Month, d, y int) bool {
	if y != 0 {
		if d > daysIn(y, m) {
			return false
		}
		p.narrowDay(p.day(y, m, d))
		return true
	}
	y = p.now.Year()
	if m > p.now.Month() || m == p.now.Month() && d > p.now.Day() {
		y--
	}
	// 29 February: the latest leap year's.
	for range 8 {
		if d <= daysIn(y, m) {
			p.narrowDay(p.day(y, m, d))
			return true
		}
		y--
	}
	return false
}

// optionalYear reads a year at the start of toks, if there is one.
func (p *parser) optionalYear(toks []string) (year, n int) {
	if len(toks) > 0 {
		if y, ok := p.year(toks[0]); ok {
			return y, 1
		}
	}
	return 0, 0
}

// year reads a four-digit year from 1970 to next year.
func (p *parser) year(t string) (int, bool) {
	if len(t) != 4 {
		return 0, false
	}
	y, err := strconv.Atoi(t)
	return y, err == nil && y >= 1970 && y <= p.now.Year()+1
}

// day is midnight starting day d of month m in year y, in the viewer's
// time zone.
func (p *parser) day(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 0, 0, 0, 0, p.loc)
}

func (p *parser) narrowDay(from time.Time) {
	say := from.Format("Monday 2 January")
	if from.Year() != p.now.Year() {
		say += from.Format(" 2006")
	}
	p.narrow(from, from.AddDate(0, 0, 1), say)
}

func (p *parser) narrowMonth(y int, m time.Month) {
	from := p.day(y, m, 1)
	p.narrow(from, from.AddDate(0, 1, 0), from.Format("January 2006"))
}

// narrow keeps only [from, to) of the span asked so far. Days are cut at
// the viewer's midnights (a day of a clock change has 23 or 25 hours).
func (p *parser) narrow(from, to time.Time, say string) {
	from, to = from.UTC(), to.UTC()
	q := &p.q
	if q.Dated() {
		from, to = later(q.From, from), earlier(q.To, to)
		if !from.Before(to) {
			to = from // nothing can be in it
		}
	}
	q.From, q.To = from, to
	if !contains(q.Dates, say) {
		q.Dates = append(q.Dates, say)
	}
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// weekday reads a weekday's full name.
func weekday(t string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		if t == strings.ToLower(d.String()) {
			return d, true
		}
	}
	return 0, false
}

// month reads a month's name, full or cut to at least three letters
// ("dec", "sept"), and says whether it was full.
func month(t string) (m time.Month, full, ok bool) {
	if len(t) < 3 {
		return 0, false, false
	}
	for m := time.January; m <= time.December; m++ {
		name := strings.ToLower(m.String())
		if strings.HasPrefix(name, t) {
			return m, t == name, true
		}
	}
	return 0, false, false
}

// dayOfMonth reads 1 to 31, with an optional English ordinal ("7th").
func dayOfMonth(t string) (int, bool) {
	for _, suffix := range []string{"st", "nd", "rd", "th"} {
		if s, ok := strings.CutSuffix(t, suffix); ok {
			t = s
			break
		}
	}
	if len(t) == 0 || len(t) > 2 {
		return 0, false
	}
	d, err := strconv.Atoi(t)
	return d, err == nil && d >= 1 && d <= 31
}

// daysIn is how many days month m of year y has.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
