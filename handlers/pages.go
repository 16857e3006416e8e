package handlers

import (
	"fmt"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/views"
)

// pageSize is how many recordings the page lists.
const pageSize = 50

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
	rows, err := h.recordingRows(c)
	if err != nil {
		return err
	}
	return render(c, views.Index(views.IndexPage{Form: form, Recordings: rows}))
}

// recordingsFragment renders just the list, for htmx to swap in.
func (h *Handler) recordingsFragment(c *fiber.Ctx) error {
	rows, err := h.recordingRows(c)
	if err != nil {
		return err
	}
	return render(c, views.RecordingsList(rows))
}

func (h *Handler) recordingRows(c *fiber.Ctx) ([]views.RecordingRow, error) {
	recs, err := h.Library.List(c.UserContext(), pageSize, 0)
	if err != nil {
		return nil, err
	}
	rows := make([]views.RecordingRow, len(recs))
	for i, r := range recs {
		rows[i] = recordingRow(r)
	}
	return rows, nil
}

func recordingRow(r db.Recording) views.RecordingRow {
	base := "/recordings/" + url.PathEscape(r.Filename)
	return views.RecordingRow{
		Filename: r.Filename,
		JSONURL:  base,
		AudioURL: base + "/audio",
		Created:  r.CreatedAt.Local().Format(time.DateTime),
		Duration: fmt.Sprintf("%.1f s", r.Duration),
		Mode:     r.Mode,
		Format:   fmt.Sprintf("%s %d Hz %s", r.MIME, r.SampleRate, channelsWord(r.Channels)),
		Size:     humanBytes(r.Bytes),
		Params:   fmt.Sprintf("%d fps · batch %d", r.FPS, r.BatchSize),
	}
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
