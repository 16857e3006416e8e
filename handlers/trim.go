package handlers

import (
	"context"
	"errors"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/views"
)

// trimPage is the trim view of a recording in the library, with the whole
// of it selected.
func (h *Handler) trimPage(c *fiber.Ctx) error {
	rec, err := h.trimmable(c)
	if err != nil {
		return err
	}
	return h.renderTrim(c, *rec, 0, rec.Duration, "")
}

// trimmable is the recording the request names, if it is in the library.
func (h *Handler) trimmable(c *fiber.Ctx) (*media.Recording, error) {
	rec, err := h.Library.Get(c.UserContext(), c.Params("filename"))
	if err != nil {
		return nil, err
	}
	if !rec.DeletedAt.IsZero() {
		return nil, media.NotFoundf("the recording is in Recently deleted: restore it to trim it")
	}
	return rec, nil
}

func (h *Handler) renderTrim(c *fiber.Ctx, rec media.Recording, start, end float64, problem string) error {
	return render(c, views.Trim(views.TrimPage{
		Row: recordingRow(rec, viewerOf(c)), Start: start, End: end, Error: problem,
		KeepDays: int(h.KeepDeleted / (24 * time.Hour)),
	}))
}

// trimRecording keeps the selection (start and end, in seconds): "Trim"
// (as=trim) in place, "Save as new" (as=new) beside the original. It goes
// back to the list, which says what happened and, for a trim in place,
// offers Undo. A selection refused is the trim view again, with why (422).
func (h *Handler) trimRecording(c *fiber.Ctx) error {
	ctx := c.UserContext()
	rec, err := h.trimmable(c)
	if err != nil {
		return err
	}
	start, errStart := formSeconds(c, "start")
	end, errEnd := formSeconds(c, "end")
	req := library.TrimRequest{AsNew: c.FormValue("as") == "new"}
	if err = errors.Join(errStart, errEnd); err == nil {
		req.Selection = media.Selection{Start: seconds(start), End: seconds(end)}
		if req.AsNew {
			req.Title = library.TrimmedTitle(viewerOf(c).name(*rec))
		}
		var cut *media.Recording
		if cut, err = h.Library.Trim(ctx, rec.Filename, req); err == nil {
			h.recordings.publish()
			done := "/?done=trimmed&rec=" + url.QueryEscape(cut.Filename)
			if !req.AsNew {
				done += "&from=" + url.QueryEscape(rec.Filename)
			}
			return c.Redirect(done, fiber.StatusSeeOther)
		}
	}
	if !errors.Is(err, media.ErrInvalid) {
		return err
	}
	c.Status(fiber.StatusUnprocessableEntity)
	return h.renderTrim(c, *rec, start, end, media.Message(err))
}

// formSeconds reads a form field of seconds.
func formSeconds(c *fiber.Ctx, field string) (float64, error) {
	s, err := strconv.ParseFloat(c.FormValue(field), 64)
	if err != nil || math.IsNaN(s) || math.IsInf(s, 0) || math.Abs(s) > 1e7 {
		return 0, media.Invalidf("the %s of the selection is not a number of seconds", field)
	}
	return s, nil
}

func seconds(s float64) time.Duration { return time.Duration(math.Round(s * float64(time.Second))) }

// trimmedNotice is what the list says after a trim, with Undo for one in
// place (while the original is still in Recently deleted).
func (h *Handler) trimmedNotice(c *fiber.Ctx) (views.ToastView, bool) {
	ctx, v := c.UserContext(), viewerOf(c)
	cut, err := h.Library.Get(ctx, c.Query("rec"))
	if err != nil || !cut.DeletedAt.IsZero() {
		return views.ToastView{}, false
	}
	name := v.name(*cut)
	from := c.Query("from")
	if from == "" {
		return views.ToastView{Message: "Saved the selection as “" + name + "”."}, true
	}
	orig, err := h.Library.Get(ctx, from)
	if err != nil || orig.DeletedAt.IsZero() {
		return views.ToastView{Message: "Trimmed “" + name + "”."}, true
	}
	return views.ToastView{
		Message: "Trimmed “" + name + "”. The original is in Recently deleted.",
		UndoURL: "/recordings/" + url.PathEscape(cut.Filename) + "/untrim?original=" + url.QueryEscape(orig.Filename),
	}, true
}

// untrimRecording is a trim's Undo: the original back from Recently
// deleted, the trimmed recording there instead.
func (h *Handler) untrimRecording(c *fiber.Ctx) error {
	rec, err := h.Library.UndoTrim(c.UserContext(), c.Params("filename"), c.Query("original"))
	if err != nil {
		return err
	}
	h.recordings.publish()
	if !isHTMX(c) {
		return c.Redirect("/?done=untrimmed", fiber.StatusSeeOther)
	}
	c.Set("HX-Trigger", "recordings-changed")
	v := viewerOf(c)
	return render(c, views.Toast(views.ToastView{Message: "Trim undone: “" + v.name(*rec) + "” is back as it was."}))
}

// reviewSelection reads the part of a take to keep that a save may name
// (trim: [start, end] in seconds), before anything is saved; nil for the
// whole take.
func reviewSelection(trim []float64) (*media.Selection, error) {
	if trim == nil {
		return nil, nil
	}
	if len(trim) != 2 || math.IsNaN(trim[0]) || math.IsNaN(trim[1]) || math.Abs(trim[0]) > 1e7 || math.Abs(trim[1]) > 1e7 {
		return nil, media.Invalidf("trim must be [start, end] in seconds")
	}
	return &media.Selection{Start: seconds(trim[0]), End: seconds(trim[1])}, nil
}

// trimSaved trims a take just saved to the part the review kept (the
// whole take then waits in Recently deleted), and says so. A selection
// the take refuses leaves it saved whole, and the note says why.
func (h *Handler) trimSaved(ctx context.Context, rec *media.Recording, keep *media.Selection) (*media.Recording, string) {
	if keep == nil {
		return rec, ""
	}
	cut, err := h.Library.Trim(ctx, rec.Filename, library.TrimRequest{Selection: *keep})
	if err != nil {
		h.Log.Warn("saved, but not trimmed", "filename", rec.Filename, "err", err)
		return rec, "; kept whole, not trimmed: " + media.Message(err)
	}
	return cut, ", trimmed"
}
