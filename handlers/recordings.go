package handlers

import (
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/store"
)

// saveRequest is the seed's body for POST /save_recording.
type saveRequest struct {
	SessionID     string  `json:"session_id"`
	RecordingType string  `json:"recording_type"`
	Duration      float64 `json:"duration"`
}

// saveRecording turns a WebRTC session's server-side take into a recording.
func (h *Handler) saveRecording(c *fiber.Ctx) error {
	var req saveRequest
	if err := parseJSON(c, &req); err != nil {
		return err
	}
	switch {
	case req.RecordingType != "webrtc":
		return media.Invalidf("recording_type %q is not supported: only \"webrtc\" takes are saved by the server so far", req.RecordingType)
	case req.SessionID == "":
		return media.Invalidf("session_id is required")
	}
	rec, err := h.Library.SaveSession(c.UserContext(), req.SessionID, req.Duration)
	if err != nil {
		return err
	}
	return success(c, fiber.Map{
		"message":  fmt.Sprintf("Recording saved (%.1f s)", rec.Duration),
		"filename": rec.Filename,
		"duration": rec.Duration,
	})
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

func toJSON(r db.Recording) recordingJSON {
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
	return c.SendStream(f, int(size))
}

// recordingAudio answers the audio decoded from the recording, with Range
// support so an <audio> element can seek.
func (h *Handler) recordingAudio(c *fiber.Ctx) error {
	rec, err := h.Library.Open(c.UserContext(), c.Params("filename"))
	if err != nil {
		return err
	}
	return serveRange(c, rec, rec.Meta.MIME)
}
