package handlers

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/internal/disposition"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/export"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/store"
	"github.com/avatarweb/recorder/views"
)

// maxClientDuration bounds the duration a client may claim for its take
// (a week): it is stored as client_duration_s, so it must stay sane.
const maxClientDuration = 7 * 24 * 3600.0

// saveRequest is the seed's body for POST /save_recording, plus
// upload_id for takes uploaded in chunks.
type saveRequest struct {
	SessionID     string  `json:"session_id"`
	UploadID      string  `json:"upload_id"`
	RecordingType string  `json:"recording_type"`
	Duration      float64 `json:"duration"`
	AudioData     string  `json:"audio_data"` // base64: the seed's whole-take upload
	MIME          string  `json:"mime"`
	Title         string  `json:"title"` // optional, given before saving
	// Trim, [start, end] in seconds, keeps that part of the take (the
	// review's selection): the whole take is saved, then trimmed.
	Trim []float64 `json:"trim"`
	// Pauses, [[start, end], ...] in seconds on the recorder's clock (from
	// its start, pauses included), are where the page paused the take: an
	// engine that records on through a pause (WebKitGTK) has them cut out.
	Pauses [][]float64 `json:"pauses"`
	// PausedData: the recorder gave audio while paused (it should not).
	PausedData bool `json:"paused_data"`
}

// saveRecording saves a take: a WebRTC session's server-side take (any
// audio_data the client sends along is ignored: the server has the real
// one), a MediaRecorder take uploaded in chunks, or one sent whole as
// base64 in the seed's way (bounded by the body limit: 413 beyond it).
func (h *Handler) saveRecording(c *fiber.Ctx) error {
	var req saveRequest
	if err := parseJSON(c, &req); err != nil {
		return err
	}
	if req.Duration < 0 || req.Duration > maxClientDuration {
		return media.Invalidf("duration must be between 0 and %d seconds", int(maxClientDuration))
	}
	// The title is saved with the take (and kept with its draft first,
	// so a crash mid-save does not lose it): a bad one is refused before.
	title, err := media.CleanTitle(req.Title)
	if err != nil {
		return err
	}
	keep, err := reviewSelection(req.Trim)
	if err != nil {
		return err
	}
	pauses, err := takePauses(req.Pauses, req.Duration)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	var rec *media.Recording
	began := time.Now()
	switch {
	case req.RecordingType == media.ModeWebRTC && req.SessionID != "":
		rec, err = h.Library.SaveSession(ctx, req.SessionID, req.Duration, title)
		h.observeSave("webrtc", began, err)
	case req.RecordingType == media.ModeWebRTC:
		return media.Invalidf("session_id is required")
	case req.RecordingType != media.ModeMediaRecorder:
		return media.Invalidf("recording_type must be \"webrtc\" or \"mediarecorder\", not %q", req.RecordingType)
	case req.UploadID != "":
		var cut bool
		rec, err = h.saveMediaRecorder(c, func(p media.Params) (rec *media.Recording, err error) {
			rec, cut, err = h.Library.SaveUploadPaused(ctx, req.UploadID, req.Duration, pauses, p, title)
			return rec, err
		})
		h.observeSave("upload", began, err)
		if cut && keep != nil { // the review's selection is on the take with its pauses
			keep = &media.Selection{Start: media.Unpaused(pauses, keep.Start), End: media.Unpaused(pauses, keep.End)}
		}
		if req.PausedData || cut {
			h.Log.Info("the browser recorded through its pauses", "upload_id", req.UploadID,
				"audio_while_paused", req.PausedData, "cut", cut)
		}
	case req.AudioData != "":
		audio, decErr := base64.StdEncoding.DecodeString(stripDataURL(req.AudioData))
		if decErr != nil {
			return &media.Error{Kind: media.ErrInvalid, Message: "audio_data is not base64", Err: decErr}
		}
		rec, err = h.saveMediaRecorder(c, func(p media.Params) (*media.Recording, error) {
			return h.Library.SaveAudio(ctx, audio, req.MIME, req.Duration, p, title)
		})
		h.observeSave("whole", began, err)
	default:
		return media.Invalidf("a mediarecorder take needs upload_id or audio_data")
	}
	if err != nil {
		return err
	}
	defer h.recordings.publish()
	rec, note := h.trimSaved(ctx, rec, keep)
	return success(c, fiber.Map{
		"message":  fmt.Sprintf("Recording saved (%.1f s)%s", rec.Duration, note),
		"filename": rec.Filename,
		"duration": rec.Duration,
	})
}

// takePauses reads the pauses a save may name ([[start, end], ...] in
// seconds) of a take of duration recorded seconds, before anything is
// saved: in order, apart, and within the take.
func takePauses(pauses [][]float64, duration float64) ([]media.Selection, error) {
	if len(pauses) == 0 {
		return nil, nil
	}
	if duration <= 0 {
		return nil, media.Invalidf("pauses need the take's duration")
	}
	out := make([]media.Selection, len(pauses))
	for i, p := range pauses {
		if len(p) != 2 || math.IsNaN(p[0]) || math.IsNaN(p[1]) || math.Abs(p[0]) > maxClientDuration || math.Abs(p[1]) > maxClientDuration {
			return nil, media.Invalidf("pauses must be [[start, end], ...] in seconds")
		}
		out[i] = media.Selection{Start: seconds(p[0]), End: seconds(p[1])}
	}
	if err := media.CheckPauses(out, seconds(duration)+media.PausedTotal(out)); err != nil {
		return nil, err
	}
	return out, nil
}

func (h *Handler) saveMediaRecorder(c *fiber.Ctx, save func(media.Params) (*media.Recording, error)) (*media.Recording, error) {
	p, err := h.Settings.Params(c.UserContext())
	if err != nil {
		return nil, err
	}
	return save(p)
}

// stripDataURL accepts audio_data as a data: URL too (what
// FileReader.readAsDataURL gives), keeping only the base64 part.
func stripDataURL(s string) string {
	if strings.HasPrefix(s, "data:") {
		if _, b64, ok := strings.Cut(s, ","); ok {
			return b64
		}
	}
	return s
}

// recordingJSON is one entry of GET /recordings: the seed's fields first.
type recordingJSON struct {
	Filename             string       `json:"filename"`
	Timestamp            string       `json:"timestamp"`
	Duration             float64      `json:"duration"`
	ProcessingParameters media.Params `json:"processing_parameters"`
	Mode                 string       `json:"mode"`
	MIME                 string       `json:"mime"`
	SampleRate           int          `json:"sample_rate"`
	Channels             int          `json:"channels"`
	Bytes                int64        `json:"bytes"`
	SessionID            string       `json:"webrtc_session_id,omitempty"`
}

func toJSON(r media.Recording) recordingJSON {
	return recordingJSON{
		Filename:  r.Filename,
		Timestamp: r.CreatedAt.UTC().Format(store.TimeFormat),
		Duration:  r.Duration,
		ProcessingParameters: media.Params{
			FPS: r.FPS, BatchSize: r.BatchSize, SampleRate: r.SampleRate, Channels: r.Channels,
		},
		Mode: r.Mode, MIME: r.MIME, SampleRate: r.SampleRate, Channels: r.Channels,
		Bytes: r.Bytes, SessionID: r.SessionID,
	}
}

// listRecordings answers {recordings:[...]} newest first, from the index.
func (h *Handler) listRecordings(c *fiber.Ctx) error {
	limit, offset, err := page(c)
	if err != nil {
		return err
	}
	recs, err := h.Library.List(c.UserContext(), limit, offset)
	if err != nil {
		return err
	}
	out := make([]recordingJSON, len(recs))
	for i, r := range recs {
		out[i] = toJSON(r)
	}
	return c.JSON(fiber.Map{"recordings": out})
}

func page(c *fiber.Ctx) (limit, offset int, err error) {
	for _, q := range []struct {
		name string
		dst  *int
	}{{"limit", &limit}, {"offset", &offset}} {
		v := c.Query(q.name)
		if v == "" {
			continue
		}
		n, convErr := strconv.Atoi(v)
		if convErr != nil || n < 0 {
			return 0, 0, media.Invalidf("%s must be a whole number ≥ 0", q.name)
		}
		*q.dst = n
	}
	return limit, offset, nil
}

// getRecording answers the recording's JSON file as stored.
func (h *Handler) getRecording(c *fiber.Ctx) error {
	f, size, err := h.Library.OpenFile(c.UserContext(), c.Params("filename"))
	if err != nil {
		return err
	}
	c.Type("json")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf("inline; filename=%q", c.Params("filename")))
	return sendStream(c, f, f, size)
}

// recordingAudio answers the audio decoded from the recording, with Range
// support so an <audio> element can seek.
func (h *Handler) recordingAudio(c *fiber.Ctx) error {
	name := c.Params("filename")
	format, err := export.ParseFormat(c.Query("format"))
	if err != nil {
		return err
	}
	if format != export.Original {
		return h.exportRecording(c, name, format)
	}
	return h.sendAudio(c, name, c.QueryBool("download"))
}

// sendAudio answers the audio of the recording stored under name, with
// Range support; download saves it under its title and day.
func (h *Handler) sendAudio(c *fiber.Ctx, name string, download bool) error {
	rec, err := h.Library.Open(c.UserContext(), name)
	if err != nil {
		return err
	}
	if download {
		// Saved under its title and day ("Standup notes 2026-12-07.webm"),
		// in the viewer's time zone, not the server's file name.
		row, err := h.Library.Get(c.UserContext(), name)
		if err != nil {
			rec.Close()
			return err
		}
		c.Set(fiber.HeaderContentDisposition, disposition.Attachment(
			media.DownloadName(*row, viewerOf(c).loc, library.Extension(rec.Meta.MIME))))
	}
	return serveRange(c, rec.Audio, rec, rec.Size, rec.ModTime, library.ServedMIME(rec.Meta.MIME))
}

// exportRecording answers the recording converted to format, computed as
// it is sent. Its length is known up front (Content-Length: a browser
// shows the download's progress); ranges are not served, the whole file
// is (200).
func (h *Handler) exportRecording(c *fiber.Ctx, name string, format export.Format) error {
	ctx := c.UserContext()
	row, err := h.Library.Get(ctx, name)
	if err != nil {
		return err
	}
	e, rec, err := h.Library.Export(ctx, name, format)
	if errors.Is(err, export.ErrNotOffered) { // a format this server cannot make of it
		return fiber.NewError(fiber.StatusNotAcceptable, media.Message(err))
	}
	if err != nil {
		return err
	}
	file := media.DownloadName(*row, viewerOf(c).loc, e.Suffix+e.Ext)
	if c.QueryBool("download") {
		c.Set(fiber.HeaderContentDisposition, disposition.Attachment(file))
	} else {
		c.Set(fiber.HeaderContentDisposition, disposition.Inline(file))
	}
	c.Set(fiber.HeaderContentType, e.MIME)
	c.Set(fiber.HeaderAcceptRanges, "none")
	if c.Method() == fiber.MethodHead { // the size, without converting
		rec.Close()
		c.Response().Header.SetContentLength(int(e.Size))
		return nil
	}
	release, err := h.Exports.Take(ctx)
	if err != nil {
		rec.Close()
		return err
	}
	// The pipe ends the conversion when the client goes: fasthttp closes
	// the body it streams, and the next write fails.
	pr, pw := io.Pipe()
	go func() {
		err := e.WriteTo(ctx, pw)
		rec.Close()
		release() // before the client sees the end
		if err != nil && !errors.Is(err, io.ErrClosedPipe) {
			h.Log.Warn("export failed", "filename", name, "format", format, "err", err)
		}
		pw.CloseWithError(err)
	}()
	return sendStream(c, pr, pr, e.Size)
}

// renameRecording sets a recording's title from the row's form.
func (h *Handler) renameRecording(c *fiber.Ctx) error {
	ctx, name := c.UserContext(), c.Params("filename")
	if err := h.Library.Rename(ctx, name, c.FormValue("title")); err != nil {
		return err
	}
	h.recordings.publish()
	if !isHTMX(c) {
		return c.Redirect("/?done=renamed", fiber.StatusSeeOther)
	}
	rec, err := h.Library.Get(ctx, name)
	if err != nil {
		return err
	}
	rows := []views.RecordingRow{recordingRow(*rec, viewerOf(c))}
	if err := h.addSharing(ctx, rows); err != nil {
		return err
	}
	return render(c, views.RecordingItem(rows[0]))
}

// confirmDelete asks before deleting, for browsers without JavaScript.
func (h *Handler) confirmDelete(c *fiber.Ctx) error {
	rec, err := h.Library.Get(c.UserContext(), c.Params("filename"))
	if err != nil {
		return err
	}
	return render(c, views.DeleteConfirm(recordingRow(*rec, viewerOf(c))))
}

// deleteRecording removes a recording's file and row together. htmx gets
// an empty row (and the list refreshes its count); a plain form goes back
// to the page; DELETE answers JSON.
func (h *Handler) deleteRecording(c *fiber.Ctx) error {
	name := c.Params("filename")
	if err := h.Library.Delete(c.UserContext(), name); err != nil {
		return err
	}
	h.recordings.publish()
	switch {
	case isHTMX(c):
		c.Set("HX-Trigger", "recordings-changed")
		return c.SendString("")
	case c.Method() == fiber.MethodDelete:
		return success(c, fiber.Map{"message": "recording deleted", "filename": name})
	}
	return c.Redirect("/?done=deleted&name="+url.QueryEscape(name), fiber.StatusSeeOther)
}
