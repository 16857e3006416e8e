package handlers

import (
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/find"
	"github.com/avatarweb/recorder/views"
)

// trashRecording is the page's Delete: the recording goes to Recently
// deleted at once. htmx gets the row emptied and a toast with Undo; a
// form without JavaScript goes back to the page, which says what happened
// and offers Undo too. (DELETE /recordings/{name}, for scripts, deletes
// for good: deleteRecording.)
func (h *Handler) trashRecording(c *fiber.Ctx) error {
	rec, err := h.Library.Trash(c.UserContext(), c.Params("filename"))
	if err != nil {
		return err
	}
	h.recordings.publish()
	if !isHTMX(c) {
		return c.Redirect("/?done=deleted&rec="+url.QueryEscape(rec.Filename), fiber.StatusSeeOther)
	}
	c.Set("HX-Trigger", "recordings-changed")
	return render(c, views.Toast(trashedToast(*rec, viewerOf(c))))
}

// trashedToast says a recording went to Recently deleted, with Undo.
func trashedToast(r media.Recording, v viewer) views.ToastView {
	return views.ToastView{
		Message: "Deleted “" + v.name(r) + "”.",
		UndoURL: "/recordings/" + url.PathEscape(r.Filename) + "/restore",
	}
}

// restoreRecording brings a recording back from Recently deleted: Undo
// in the toast, or Restore in the Recently deleted view.
func (h *Handler) restoreRecording(c *fiber.Ctx) error {
	rec, err := h.Library.Restore(c.UserContext(), c.Params("filename"))
	if err != nil {
		return err
	}
	h.recordings.publish()
	if !isHTMX(c) {
		return c.Redirect(backTo(c, "/?done=restored"), fiber.StatusSeeOther)
	}
	c.Set("HX-Trigger", "recordings-changed")
	v := viewerOf(c)
	return render(c, views.Toast(views.ToastView{Message: "Restored “" + v.name(*rec) + "”."}))
}

// purgeRecording is Delete forever, in the Recently deleted view: only a
// recording there can go so.
func (h *Handler) purgeRecording(c *fiber.Ctx) error {
	ctx, name := c.UserContext(), c.Params("filename")
	rec, err := h.Library.Get(ctx, name)
	if err != nil {
		return err
	}
	if err := h.Library.Purge(ctx, name, time.Time{}); err != nil {
		return err
	}
	h.recordings.publish()
	if !isHTMX(c) {
		return c.Redirect("/trash?done=purged", fiber.StatusSeeOther)
	}
	c.Set("HX-Trigger", "recordings-changed")
	v := viewerOf(c)
	return render(c, views.Toast(views.ToastView{Message: "Deleted “" + v.name(*rec) + "” forever."}))
}

// backTo is where a form without JavaScript returns: the Recently
// deleted view it came from (?from=trash), or fallback.
func backTo(c *fiber.Ctx, fallback string) string {
	if c.Query("from") == "trash" {
		return "/trash?done=restored"
	}
	return fallback
}

// trashPage is the Recently deleted view: what was deleted, newest
// first, each with Restore and Delete forever, and when it goes by itself.
func (h *Handler) trashPage(c *fiber.Ctx) error {
	ctx, v := c.UserContext(), viewerOf(c)
	var after find.Cursor
	if s := c.Query("after"); s != "" {
		var err error
		if after, err = find.ParseCursor(find.Deleted, s); err != nil {
			return err
		}
	}
	recs, err := h.Library.Find(ctx, find.Page{Order: find.Deleted, After: after, Limit: pageSize + 1})
	if err != nil {
		return err
	}
	page := views.TrashPage{KeepDays: int(h.KeepDeleted / (24 * time.Hour))}
	switch c.Query("done") {
	case "restored":
		page.Notice = "Recording restored."
	case "purged":
		page.Notice = "Recording deleted forever."
	}
	if len(recs) > pageSize {
		recs = recs[:pageSize]
		page.MoreURL = "/trash?after=" + find.CursorOf(recs[len(recs)-1]).Format(find.Deleted)
	}
	for _, r := range recs {
		row := recordingRow(r, v)
		row.Deleted = "Deleted " + r.DeletedAt.In(v.loc).Format("2 Jan") + ", " + v.clock().Time(r.DeletedAt)
		if h.KeepDeleted > 0 {
			row.Deleted += " · goes for good " + r.DeletedAt.Add(h.KeepDeleted).In(v.loc).Format("2 Jan")
		}
		page.Rows = append(page.Rows, row)
	}
	return render(c, views.Trash(page))
}
