package handlers

import (
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

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
	return h.renderIndex(c, h.paramsFormView(p, nil, c.Query("done") == "params"))
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
		return "Recording deleted."
	case "restored":
		return "Recording restored."
	case "untrimmed":
		return "Trim undone: the original is back as it was."
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
	page := views.IndexPage{
		Notice: notice(c), Form: form, Recordings: list, MaxTakeSeconds: int(h.MaxTakeTime / time.Second),
	}
	if name := c.Query("rec"); c.Query("done") == "deleted" && name != "" {
		// What a form without JavaScript deleted, with Undo while it is
		// still in Recently deleted.
		if rec, err := h.Library.Get(c.UserContext(), name); err == nil && !rec.DeletedAt.IsZero() {
			page.Undo = trashedToast(*rec, viewerOf(c))
		}
	}
	if c.Query("done") == "trimmed" {
		page.Undo, _ = h.trimmedNotice(c)
	}
	return render(c, views.Index(page))
}

// recordingsFragment renders the list for htmx: the whole list, or with
// ?after= the next page's items to append (More). As a person types in
// the search box, the address bar follows (HX-Replace-Url), so a reload
// or a shared address shows the same search.
func (h *Handler) recordingsFragment(c *fiber.Ctx) error {
	list, err := h.recordingsView(c)
	if err != nil {
		return err
	}
	if c.Query("after") != "" {
		return render(c, views.RecordingItems(list))
	}
	if c.Get("HX-Trigger") == "find" {
		c.Set("HX-Replace-Url", list.PageURL)
	}
	return render(c, views.RecordingsList(list))
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
