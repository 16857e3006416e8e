package handlers

import (
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/db"
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
	return h.renderIndex(c, paramsForm(p, nil, false))
}

// renderIndex renders the page around a given parameters form (the
// current values, or refused input with its errors).
func (h *Handler) renderIndex(c *fiber.Ctx, form views.ParamsFormView) error {
	list, err := h.recordingsView(c)
	if err != nil {
		return err
	}
	return render(c, views.Index(views.IndexPage{Form: form, Recordings: list}))
}

// recordingsFragment renders the list for htmx: the whole list, or with
// ?offset= the next page's items to append.
func (h *Handler) recordingsFragment(c *fiber.Ctx) error {
	list, err := h.recordingsView(c)
	if err != nil {
		return err
	}
	if c.QueryInt("offset") > 0 {
		return render(c, views.RecordingItems(list))
	}
	return render(c, views.RecordingsList(list))
}

// recordingsView reads one page of the list, from ?offset=.
func (h *Handler) recordingsView(c *fiber.Ctx) (views.RecordingsView, error) {
	ctx := c.UserContext()
	offset := max(c.QueryInt("offset"), 0)
	recs, err := h.Library.List(ctx, pageSize, offset)
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
	if next := offset + len(recs); next < total {
		v.MoreURL = fmt.Sprintf("/?offset=%d", next)
		v.MoreFragmentURL = fmt.Sprintf("/ui/recordings?offset=%d", next)
	}
	if offset > 0 {
		v.NewerURL = fmt.Sprintf("/?offset=%d", max(offset-pageSize, 0))
	}
	return v, nil
}

func summary(total int) string {
	if total == 1 {
		return "1 recording"
	}
	return fmt.Sprintf("%d recordings", total)
}

func recordingRow(r db.Recording) views.RecordingRow {
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
		Created:     r.CreatedAt.Local().Format(time.DateTime),
		Duration:    fmt.Sprintf("%.1f s", r.Duration),
		Mode:        r.Mode,
		Format:      fmt.Sprintf("%s %d Hz %s", r.MIME, r.SampleRate, channelsWord(r.Channels)),
		Size:        humanBytes(r.Bytes),
		Params:      fmt.Sprintf("%d fps · batch %d", r.FPS, r.BatchSize),
		Waveform:    views.WaveformPath(r.Peaks),
	}
	switch {
	case r.Missing:
		row.Size = "file missing"
	case r.Damaged:
		row.Size = "file damaged"
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
