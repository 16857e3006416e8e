package handlers

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/views"
)

// pageSize is how many recordings one page of the list shows.
const pageSize = 20

// index renders the recorder page.
func (h *Handler) index(c *fiber.Ctx) error {
	p, err := h.Settings.Params(c.UserContext())
	if err != nil {
		return err
	}
	return h.renderIndex(c, paramsForm(p, nil, c.Query("done") == "params"))
}

// notice confirms, on the page a form without JavaScript returns to,
// what it did (?done=).
func notice(c *fiber.Ctx) string {
	switch c.Query("done") {
	case "params":
		return "Parameters saved."
	case "renamed":
		return "Title saved."
	case "deleted":
		if name := c.Query("name"); name != "" {
			return "Deleted " + name + "."
		}
		return "Recording deleted."
	}
	return ""
}

// renderIndex renders the page around a given parameters form (the
// current values, or refused input with its errors).
func (h *Handler) renderIndex(c *fiber.Ctx, form views.ParamsFormView) error {
	list, err := h.recordingsView(c)
	if err != nil {
		return err
	}
	return render(c, views.Index(views.IndexPage{
		Notice: notice(c), Form: form, Recordings: list, MaxTakeSeconds: int(h.MaxTakeTime / time.Second),
	}))
}

// recordingsFragment renders the list for htmx: the whole list, or with
// ?before= the next page's items to append.
func (h *Handler) recordingsFragment(c *fiber.Ctx) error {
	list, err := h.recordingsView(c)
	if err != nil {
		return err
	}
	if c.Query("before") != "" {
		return render(c, views.RecordingItems(list))
	}
	return render(c, views.RecordingsList(list))
}

// recordingsView reads one page of the list: the newest, the page older
// than ?before=, or the page newer than ?after= (cursors the page's own
// links carry, so paging works without JavaScript). Pages are read by
// keyset, so a deep page costs what the first does.
func (h *Handler) recordingsView(c *fiber.Ctx) (views.RecordingsView, error) {
	ctx := c.UserContext()
	before, err := parseCursor(c.Query("before"))
	if err != nil {
		return views.RecordingsView{}, err
	}
	after, err := parseCursor(c.Query("after"))
	if err != nil {
		return views.RecordingsView{}, err
	}
	var recs []media.Recording
	hasOlder, hasNewer := false, !before.IsZero()
	if !after.IsZero() {
		// One more than a page tells whether there are newer still.
		if recs, err = h.Library.ListNewer(ctx, after, pageSize+1); err == nil && len(recs) > pageSize {
			recs, hasNewer = recs[1:], true
		}
		hasOlder = true
	} else if recs, err = h.Library.ListOlder(ctx, before, pageSize+1); err == nil && len(recs) > pageSize {
		recs, hasOlder = recs[:pageSize], true
	}
	if err != nil {
		return views.RecordingsView{}, err
	}
	total, err := h.Library.Count(ctx)
	if err != nil {
		return views.RecordingsView{}, err
	}
	v := views.RecordingsView{Total: total, Summary: summary(total)}
	for _, r := range recs {
		v.Rows = append(v.Rows, recordingRow(r))
	}
	if len(recs) > 0 && hasOlder {
		cur := formatCursor(media.CursorOf(recs[len(recs)-1]))
		v.MoreURL = "/?before=" + cur
		v.MoreFragmentURL = "/ui/recordings?before=" + cur
	}
	if len(recs) > 0 && hasNewer {
		v.NewerURL = "/?after=" + formatCursor(media.CursorOf(recs[0]))
	}
	return v, nil
}

// formatCursor writes a list position for a URL: milliseconds since the
// epoch and the row id.
func formatCursor(c media.Cursor) string {
	return strconv.FormatInt(c.CreatedAt.UnixMilli(), 10) + "." + strconv.FormatInt(c.ID, 10)
}

// parseCursor reads formatCursor's form; "" is the top of the list.
func parseCursor(s string) (media.Cursor, error) {
	if s == "" {
		return media.Cursor{}, nil
	}
	ms, id, ok := strings.Cut(s, ".")
	t, err1 := strconv.ParseInt(ms, 10, 64)
	n, err2 := strconv.ParseInt(id, 10, 64)
	if !ok || err1 != nil || err2 != nil || n <= 0 {
		return media.Cursor{}, media.Invalidf("%q is not a place in the list", s)
	}
	return media.Cursor{CreatedAt: time.UnixMilli(t), ID: n}, nil
}

func summary(total int) string {
	if total == 1 {
		return "1 recording"
	}
	return fmt.Sprintf("%d recordings", total)
}

func recordingRow(r media.Recording) views.RecordingRow {
	base := "/recordings/" + url.PathEscape(r.Filename)
	name := r.Title
	if name == "" {
		name = r.Filename
	}
	row := views.RecordingRow{
		ID:          strconv.FormatInt(r.ID, 10),
		Filename:    r.Filename,
		Name:        name,
		Title:       r.Title,
		URL:         base,
		AudioURL:    base + "/audio",
		DownloadURL: base + "/audio?download=1",
		Ext:         library.Extension(r.MIME),
		Created:     r.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"),
		CreatedAt:   r.CreatedAt,
		Duration:    duration(r.Duration),
		Mode:        modeName(r.Mode),
		Format:      fmt.Sprintf("%s %d Hz %s", r.MIME, r.SampleRate, channelsWord(r.Channels)),
		Size:        humanBytes(r.Bytes),
		Params:      fmt.Sprintf("%d fps · batch %d", r.FPS, r.BatchSize),
		Waveform:    r.Waveform,
	}
	if at, ok := media.RecoveredAt(r.Title); ok {
		row.RecoveredAt = at.Format(time.RFC3339)
	}
	if row.Waveform == "" { // saved before waveforms were kept
		row.Waveform = media.WaveformPath(r.Peaks)
	}
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

func channelsWord(n int) string {
	if n == 2 {
		return "stereo"
	}
	return "mono"
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for v := n / unit; v >= unit; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}

// duration is a recording's length as people read it: "3.2 s" under a
// minute, "4:05" or "1:02:03" beyond.
func duration(s float64) string {
	if s < 60 {
		return fmt.Sprintf("%.1f s", s)
	}
	return clock(s)
}

// modeName says how a take was made, in the words of the mode choice.
func modeName(mode string) string {
	switch mode {
	case "webrtc":
		return "live"
	case "mediarecorder":
		return "in the browser"
	}
	return mode
}
