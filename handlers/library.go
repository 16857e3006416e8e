package handlers

import (
	"fmt"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/export"
	"github.com/avatarweb/recorder/media/find"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/views"
)

// viewer is who looks at the page: their clock and time zone, for the
// names of untitled takes, the times of rows, the day headings and dates
// typed in a search ("yesterday" is the viewer's yesterday).
type viewer struct {
	now    time.Time
	loc    *time.Location
	hour12 bool // their clock has 12 hours: "4:12 PM"
}

// viewerOf reads the viewer's IANA time zone from ?tz= or the tz cookie,
// and their clock from ?clock= or the clock cookie ("12" or "24"), both
// set by the page's script as the browser writes times; without them (no
// JavaScript), UTC on a 24-hour clock.
func viewerOf(c *fiber.Ctx) viewer {
	v := viewer{now: time.Now(), loc: time.UTC}
	tz := c.Query("tz")
	if tz == "" {
		tz = c.Cookies("tz")
	}
	if tz != "" && len(tz) <= 64 {
		if loc, err := time.LoadLocation(tz); err == nil {
			v.loc = loc
		}
	}
	hours := c.Query("clock")
	if hours == "" {
		hours = c.Cookies("clock")
	}
	if hours == "" {
		v.hour12 = twelveHourLanguage(c.Get(fiber.HeaderAcceptLanguage))
	} else {
		v.hour12 = hours == "12"
	}
	return v
}

// twelveHourLanguages are languages whose people read a 12-hour clock, as
// their browsers write times by default ("4:12 PM"): a first guess, before
// the page's script sends the clock it writes, that spares most of them
// fetching the list twice on a first visit (a wrong guess costs that
// fetch, nothing else).
var twelveHourLanguages = map[string]bool{
	"en": true, "en-us": true, "en-ca": true, "en-au": true, "en-nz": true, "en-in": true, "en-ph": true,
	"es-us": true, "hi": true, "ko": true, "zh-tw": true,
}

// twelveHourLanguage reports whether the first language of an
// Accept-Language header ("en-US,en;q=0.9") reads a 12-hour clock.
func twelveHourLanguage(header string) bool {
	first, _, _ := strings.Cut(header, ",")
	first, _, _ = strings.Cut(first, ";")
	return twelveHourLanguages[strings.ToLower(strings.TrimSpace(first))]
}

// clock is how v reads a time.
func (v viewer) clock() media.Clock { return media.Clock{Zone: v.loc, Hour12: v.hour12} }

// name is what v calls recording r (media.DisplayName).
func (v viewer) name(r media.Recording) string { return media.DisplayName(r, v.now, v.clock()) }

// listRequest is what a view of the list asks for: a search, an order,
// and where its page starts (after) or ends (before).
type listRequest struct {
	text  string
	query find.Query
	order find.Order
	page  find.Page
}

func parseListRequest(c *fiber.Ctx, v viewer) (listRequest, error) {
	r := listRequest{text: strings.TrimSpace(c.Query("q"))}
	var err error
	if r.order, err = find.ParseOrder(c.Query("sort")); err != nil {
		return r, err
	}
	r.query = find.Parse(r.text, v.now, v.loc)
	r.page = find.Page{Query: r.query, Order: r.order, Limit: pageSize + 1}
	if s := c.Query("after"); s != "" {
		if r.page.After, err = find.ParseCursor(r.order, s); err != nil {
			return r, err
		}
	}
	if s := c.Query("before"); s != "" {
		if r.page.Before, err = find.ParseCursor(r.order, s); err != nil {
			return r, err
		}
	}
	return r, nil
}

// link is the page (base "/") or fragment (base "/ui/recordings") URL of
// this view with extra parameters.
func (r listRequest) link(base string, extra ...string) string {
	q := url.Values{}
	if r.text != "" {
		q.Set("q", r.text)
	}
	if r.order != find.Newest {
		q.Set("sort", string(r.order))
	}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	if len(q) == 0 {
		return base
	}
	return base + "?" + q.Encode()
}

// recordingsView reads one page of the list: what the search finds, in
// the order asked, the first page or the one after (More) or before
// (Newer) a place the page's own links carry, so paging works without
// JavaScript. Pages are read by keyset, so a deep page costs what the
// first does.
func (h *Handler) recordingsView(c *fiber.Ctx) (views.RecordingsView, error) {
	ctx := c.UserContext()
	v := viewerOf(c)
	req, err := parseListRequest(c, v)
	if err != nil {
		return views.RecordingsView{}, err
	}
	recs, err := h.Library.Find(ctx, req.page)
	if err != nil {
		return views.RecordingsView{}, err
	}
	// One more than a page tells whether there are more that way.
	more, back := len(recs) > pageSize, !req.page.After.IsZero()
	if !req.page.Before.IsZero() {
		more, back = true, len(recs) > pageSize
		if back {
			recs = recs[1:]
		}
	} else if more {
		recs = recs[:pageSize]
	}
	totals, err := h.Library.Totals(ctx)
	if err != nil {
		return views.RecordingsView{}, err
	}
	total := totals.Recordings
	found := total
	if !req.query.IsZero() {
		if found, err = h.Library.CountFound(ctx, req.query); err != nil {
			return views.RecordingsView{}, err
		}
	}
	l := views.RecordingsView{
		Total: total, Found: found, Query: req.text, Sort: string(req.order),
		Summary: summary(total, found, req), Sorts: sortChoices(req.order),
		Deleted: totals.Deleted, Storage: h.storage(totals),
		Zone: v.loc.String(), Clock: "24",
	}
	if v.hour12 {
		l.Clock = "12"
	}
	prevDay := ""
	if req.order == find.Newest || req.order == find.Oldest {
		if !req.page.After.IsZero() { // More: a day the last page headed
			prevDay = dayOf(req.page.After.CreatedAt, v)
		}
	}
	for _, r := range recs {
		row := recordingRow(r, v)
		if req.order == find.Newest || req.order == find.Oldest {
			if day := dayOf(r.CreatedAt, v); day != prevDay {
				row.Day, prevDay = day, day
			}
			row.Clock = v.clock().Time(r.CreatedAt)
		}
		l.Rows = append(l.Rows, row)
	}
	if err := h.addSharing(ctx, l.Rows); err != nil {
		return views.RecordingsView{}, err
	}
	if len(recs) > 0 && more {
		cur := find.CursorOf(recs[len(recs)-1]).Format(req.order)
		l.MoreURL = req.link("/", "after", cur)
		l.MoreFragmentURL = req.link("/ui/recordings", "after", cur)
	}
	if len(recs) > 0 && back {
		l.NewerURL = req.link("/", "before", find.CursorOf(recs[0]).Format(req.order))
	}
	l.PageURL = req.link("/")
	return l, nil
}

// dayOf is the heading of the day t falls on for v: "Today",
// "Yesterday", "Monday 7 December", with the year when not this one.
func dayOf(t time.Time, v viewer) string {
	at, now := t.In(v.loc), v.now.In(v.loc)
	y, m, d := at.Date()
	sameDay := func(u time.Time) bool { uy, um, ud := u.Date(); return uy == y && um == m && ud == d }
	switch {
	case sameDay(now):
		return "Today"
	case sameDay(now.AddDate(0, 0, -1)):
		return "Yesterday"
	case y == now.Year():
		return at.Format("Monday 2 January")
	}
	return at.Format("Monday 2 January 2006")
}

// summary says how many recordings the view holds: "45 recordings", or
// for a search "3 of 45 recordings match “standup”", with the dates read
// from it as the page understood them.
func summary(total, found int, r listRequest) string {
	if r.query.IsZero() {
		return countOf(total)
	}
	what := "“" + r.text + "”"
	if len(r.query.Dates) > 0 {
		what += " (" + strings.Join(r.query.Dates, ", ") + ")"
	}
	if found == 0 {
		return "No recordings match " + what + "."
	}
	verb := "match"
	if found == 1 {
		verb = "matches"
	}
	if found > find.MaxCount { // counted only so far
		return fmt.Sprintf("More than %d of %s match %s", find.MaxCount, countOf(total), what)
	}
	return fmt.Sprintf("%d of %s %s %s", found, countOf(total), verb, what)
}

func countOf(n int) string {
	if n == 1 {
		return "1 recording"
	}
	return strconv.Itoa(n) + " recordings"
}

// sortChoices are the orders offered, the current one chosen.
func sortChoices(current find.Order) []views.Choice {
	names := map[find.Order]string{find.Newest: "Newest first", find.Oldest: "Oldest first", find.Longest: "Longest first"}
	out := make([]views.Choice, len(find.Orders))
	for i, o := range find.Orders {
		out[i] = views.Choice{Value: string(o), Label: names[o], Selected: o == current}
	}
	return out
}

// recordingRow is one row of the list as v sees it.
func recordingRow(r media.Recording, v viewer) views.RecordingRow {
	base := "/recordings/" + url.PathEscape(r.Filename)
	row := views.RecordingRow{
		ID:          strconv.FormatInt(r.ID, 10),
		Filename:    r.Filename,
		Name:        v.name(r),
		Title:       r.Title,
		URL:         base,
		AudioURL:    base + "/audio",
		DownloadURL: base + "/audio?download=1",
		Ext:         library.Extension(r.MIME),
		Created:     r.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"),
		CreatedAt:   r.CreatedAt,
		Duration:    duration(r.Duration),
		Seconds:     r.Duration,
		Length:      clock(r.Duration),
		Mode:        modeName(r.Mode),
		Format:      fmt.Sprintf("%s %d Hz %s", r.MIME, r.SampleRate, channelsWord(r.Channels)),
		Size:        humanBytes(r.Bytes),
		Params:      fmt.Sprintf("%d fps · batch %d", r.FPS, r.BatchSize),
		Waveform:    r.Waveform,
	}
	row.Downloads = downloads(r, v, row.DownloadURL)
	if at, ok := media.RecoveredAt(r.Title); ok {
		row.RecoveredAt = at.Format(time.RFC3339)
	}
	if row.Waveform == "" { // saved before waveforms were kept
		row.Waveform = media.WaveformPath(r.Peaks)
	}
	row.Silences = silencesAttr(media.Silences(r.Peaks, r.Duration))
	switch {
	case r.Missing:
		row.Size = "file missing"
	case r.Damaged:
		row.Size = "file damaged"
	}
	if r.Missing || r.Damaged {
		row.Problem = row.Size
	}
	return row
}

// silencesAttr writes spans for a data attribute: "2.25-3.75 9-12.5".
func silencesAttr(spans []media.Span) string {
	var b []byte
	for _, s := range spans {
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendFloat(b, math.Round(s.Start*100)/100, 'f', -1, 64)
		b = append(b, '-')
		b = strconv.AppendFloat(b, math.Round(s.End*100)/100, 'f', -1, 64)
	}
	return string(b)
}

// storage is the list's storage line: "1 h 3 min of audio in 120.4 MiB
// · 9.8 GiB free", what Recently deleted still holds counted in the
// bytes (its files take room until purged).
func (h *Handler) storage(t media.Totals) string {
	line := totalLength(t.Seconds) + " of audio in " + humanBytes(t.Bytes+t.DeletedBytes)
	if h.DiskFree != nil {
		if free, ok := h.DiskFree(); ok {
			line += " · " + humanBytes(free) + " free"
		}
	}
	return line
}

// totalLength is a library's length in all: "1 h 3 min", "4 min 5 s".
func totalLength(s float64) string {
	n := int64(s + 0.5)
	switch {
	case n >= 3600:
		return fmt.Sprintf("%d h %d min", n/3600, n/60%60)
	case n >= 60:
		return fmt.Sprintf("%d min %d s", n/60, n%60)
	}
	return fmt.Sprintf("%d s", n)
}

// downloads is a row's download menu: the file as recorded, then what it
// converts to (media/export), each named for what it is.
func downloads(r media.Recording, v viewer, url string) []views.Download {
	ext := library.Extension(r.MIME)
	var out []views.Download
	for _, f := range export.Offers(r.MIME) {
		d := views.Download{URL: url + "&format=" + string(f)}
		switch f {
		case export.Original:
			d.Label, d.Size, d.URL = "Original ("+containerName(ext)+")", humanBytes(r.Bytes), url
			d.File = media.DownloadName(r, v.loc, ext)
		case export.WAV:
			d.Label, d.File = "WAV", media.DownloadName(r, v.loc, ".wav")
		case export.Speech:
			size := media.WAVHeaderSize + 2*int64(r.Duration*export.SpeechRate+0.5)
			d.Label, d.Size, d.File = "WAV 16 kHz mono (speech tools)", humanBytes(size), media.DownloadName(r, v.loc, " 16k.wav")
		case export.OggOpus:
			d.Label, d.File = "Ogg Opus (as recorded)", media.DownloadName(r, v.loc, ".ogg")
			if export.Encodes(r.MIME) { // a WAV or AAC take, encoded (the libopus build)
				d.Label = fmt.Sprintf("Ogg Opus (%d kbit/s)", export.Bitrate(r.Channels)/1000)
				d.Size = humanBytes(export.EncodedSize(r.Duration, r.Channels))
			}
		}
		out = append(out, d)
	}
	return out
}

// containerName names a file type for people, from its extension.
func containerName(ext string) string {
	switch ext {
	case ".wav":
		return "WAV"
	case ".webm":
		return "WebM"
	case ".ogg":
		return "Ogg Opus"
	case ".m4a":
		return "MP4"
	}
	return "as stored"
}
