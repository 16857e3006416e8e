package handlers

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/views"
)

const (
	// maxDraftsAsked bounds the takes one /ui/drafts request may name.
	maxDraftsAsked = 20
	// draftSettle is how long /ui/drafts waits for a live take whose page
	// has gone (it sent Stop as it left) to become a draft.
	draftSettle = 3 * time.Second
)

// draftsFragment lists the unsaved takes a browser names (the ones it
// started and has not saved or discarded: ?webrtc=id,id&upload=id), so a
// reloaded or reopened page can offer them again. A take that is saved,
// discarded or unknown is left out; the page forgets it then.
func (h *Handler) draftsFragment(c *fiber.Ctx) error {
	var rows []views.DraftRow
	asked := 0
	for _, id := range splitIDs(c.Query("webrtc")) {
		if asked++; asked > maxDraftsAsked {
			break
		}
		if row, ok := h.sessionDraft(id); ok {
			rows = append(rows, row)
		}
	}
	for _, id := range splitIDs(c.Query("upload")) {
		if asked++; asked > maxDraftsAsked {
			break
		}
		st, err := h.Uploads.Status(id)
		if err != nil {
			continue
		}
		rows = append(rows, views.DraftRow{
			ID: st.ID, Mode: "record", ModeName: "Recorded in the browser",
			Length:   humanBytes(st.Bytes),
			AudioURL: "/uploads/" + url.PathEscape(st.ID) + "/audio",
		})
	}
	return render(c, views.UnsavedTakes(rows))
}

// sessionDraft describes a live take that has ended and is not saved. A
// take still live (its page stopped it as it left, and it is draining)
// is waited for a moment.
func (h *Handler) sessionDraft(id string) (views.DraftRow, bool) {
	for deadline := time.Now().Add(draftSettle); ; time.Sleep(50 * time.Millisecond) {
		info, err := h.Sessions.Info(id)
		if err != nil {
			return views.DraftRow{}, false
		}
		switch info.State {
		case media.SessionStopped:
			take, err := h.Sessions.Stop(id) // ended already: only reads the take
			if err != nil {
				return views.DraftRow{}, false
			}
			return views.DraftRow{
				ID: id, Mode: "webrtc", ModeName: "Live to the server",
				Started:  take.StartedAt,
				Length:   clock(info.Duration),
				AudioURL: "/webrtc/sessions/" + url.PathEscape(id) + "/audio",
			}, true
		case media.SessionFailed:
			return views.DraftRow{}, false
		}
		if time.Now().After(deadline) {
			return views.DraftRow{}, false
		}
	}
}

func splitIDs(s string) []string {
	var ids []string
	for id := range strings.SplitSeq(s, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// draftAudio serves an ended live take's audio as a WAV, with Range, so
// the page can play it back, show its length and seek before saving.
func (h *Handler) draftAudio(c *fiber.Ctx) error {
	id := c.Params("id")
	info, err := h.Sessions.Info(id)
	if err != nil {
		return err
	}
	if info.State != media.SessionStopped {
		return media.Conflictf("the take %q is %s, not a draft", id, info.State)
	}
	p, err := h.Library.OpenDraft(id)
	if err != nil {
		return err
	}
	return servePlayback(c, p)
}

// servePlayback serves audio opened for listening back, with Range.
func servePlayback(c *fiber.Ctx, p *media.Playback) error {
	return serveRange(c, p, p, p.Size, p.ModTime, p.MIME)
}

// clock formats seconds as m:ss (h:mm:ss from an hour).
func clock(seconds float64) string {
	s := int64(seconds + 0.5)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
