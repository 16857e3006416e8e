package handlers

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/handlers/guard"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/upload"
)

// Uploads keeps MediaRecorder takes while their chunks arrive.
type Uploads interface {
	Begin(client, id, mime string) (upload.Status, error)
	Put(id string, index int, r io.Reader) (upload.Status, error)
	Status(id string) (upload.Status, error)
	SetPauses(id string, pauses []media.Selection, recorded time.Duration) error
}

// beginRequest starts (or resumes) a chunked upload.
type beginRequest struct {
	UploadID string `json:"upload_id"`
	MIME     string `json:"mime"`
}

// beginUpload starts a take: the browser then PUTs its chunks. Takes
// are counted per client as the rate limits count them (guard.ClientKey).
func (h *Handler) beginUpload(c *fiber.Ctx) error {
	var req beginRequest
	if err := parseJSON(c, &req); err != nil {
		return err
	}
	if req.UploadID == "" {
		req.UploadID = fmt.Sprintf("upload_%d", time.Now().UnixNano())
	} else if name := h.Library.UploadSavedAs(req.UploadID); name != "" {
		// A page that kept a take in its storage, and lost the answer to
		// its save, must not upload it again as a new take.
		return &media.SavedError{Filename: name}
	}
	st, err := h.Uploads.Begin(guard.ClientKey(guard.ClientIP(c)), req.UploadID, req.MIME)
	if err != nil {
		return err
	}
	return success(c, fiber.Map{"upload_id": st.ID, "mime": st.MIME, "next_chunk": st.Next, "bytes": st.Bytes})
}

// putChunk stores chunk :index of an upload. Sending a chunk again is
// harmless; the answer always says which chunk the server wants next.
func (h *Handler) putChunk(c *fiber.Ctx) error {
	index, err := strconv.Atoi(c.Params("index"))
	if err != nil || index < 0 {
		return media.Invalidf("the chunk index must be a whole number ≥ 0")
	}
	st, err := h.Uploads.Put(c.Params("id"), index, bytes.NewReader(c.Body()))
	if err != nil {
		return err
	}
	return c.JSON(st)
}

// uploadStatus says what the server has of an upload, for resuming;
// with ?measure=1 also how many seconds of audio that is ("duration"),
// which a page asks once its take stops.
func (h *Handler) uploadStatus(c *fiber.Ctx) error {
	st, err := h.Uploads.Status(c.Params("id"))
	if err != nil {
		return err
	}
	if c.Query("measure") == "" {
		return c.JSON(st)
	}
	seconds, err := h.Library.UploadDuration(st.ID)
	if err != nil {
		return err
	}
	return c.JSON(struct {
		upload.Status
		Duration float64 `json:"duration"`
	}{st, seconds})
}

// pausesRequest is where a stopped take was paused, as a save names them.
type pausesRequest struct {
	Pauses   [][]float64 `json:"pauses"`
	Duration float64     `json:"duration"` // recorded outside the pauses, s
}

// putPauses keeps where a take was paused with its upload, sent by the
// page when the take stops: a save made later without the page (from
// "Unsaved takes", or finished after a crash) cuts them out as the page's
// own save would. Bad pauses get 400, and nothing is kept.
func (h *Handler) putPauses(c *fiber.Ctx) error {
	var req pausesRequest
	if err := parseJSON(c, &req); err != nil {
		return err
	}
	pauses, err := takePauses(req.Pauses, req.Duration)
	if err != nil {
		return err
	}
	if err := h.Uploads.SetPauses(c.Params("id"), pauses, seconds(req.Duration)); err != nil {
		return err
	}
	return success(c, fiber.Map{"upload_id": c.Params("id"), "pauses": len(pauses)})
}

// uploadAudio serves what has been uploaded so far, so the user can
// listen back before saving.
func (h *Handler) uploadAudio(c *fiber.Ctx) error {
	p, err := h.Library.OpenUpload(c.Params("id"))
	if err != nil {
		return err
	}
	return servePlayback(c, p)
}

// discardUpload drops an upload.
func (h *Handler) discardUpload(c *fiber.Ctx) error {
	if err := h.Library.DiscardUpload(c.UserContext(), c.Params("id")); err != nil {
		return err
	}
	return success(c, fiber.Map{"upload_id": c.Params("id"), "message": "take discarded"})
}
