package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/handlers/guard"
	"github.com/avatarweb/recorder/media"
)

// defaultOfferTimeout bounds ICE gathering when the Handler sets none.
const defaultOfferTimeout = 10 * time.Second

// offerRequest is the seed's body for POST /webrtc/offer.
type offerRequest struct {
	Offer     media.SessionDescription `json:"offer"`
	SessionID string                   `json:"session_id"`
	// Trickle asks for the answer at once; the server's candidates follow
	// from GET /webrtc/sessions/:id/candidates.
	Trickle bool `json:"trickle,omitempty"`
}

// sessionRequest names a session: the body of stop and discard.
type sessionRequest struct {
	SessionID string `json:"session_id"`
}

func parseSessionRequest(c *fiber.Ctx) (sessionRequest, error) {
	var req sessionRequest
	if err := parseJSON(c, &req); err != nil {
		return req, err
	}
	if req.SessionID == "" {
		return req, media.Invalidf("session_id is required")
	}
	return req, nil
}

// offer answers a browser's offer. The session records at the parameters
// in force now.
func (h *Handler) offer(c *fiber.Ctx) error {
	var req offerRequest
	if err := parseJSON(c, &req); err != nil {
		return err
	}
	offer, err := req.Offer.OfferSDP()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), h.offerTimeout())
	defer cancel()
	params, err := h.Settings.Params(ctx)
	if err != nil {
		return err
	}
	s, answer, err := h.Sessions.Start(ctx, req.SessionID, offer, params,
		media.OfferOptions{Trickle: req.Trickle, Client: guard.ClientKey(guard.ClientIP(c))})
	if err != nil {
		return err
	}
	h.Log.Info("webrtc session started", "session_id", s.SessionID, "params", params)
	return success(c, fiber.Map{
		"answer":                media.Answer(answer),
		"session_id":            s.SessionID,
		"processing_parameters": s.Params,
	})
}

// stop ends a live session; its take stays as a draft until saved or
// discarded. It answers the session's final state and counters.
func (h *Handler) stop(c *fiber.Ctx) error {
	req, err := parseSessionRequest(c)
	if err != nil {
		return err
	}
	if _, err := h.Sessions.Stop(req.SessionID); err != nil {
		return err
	}
	info, err := h.Sessions.Info(req.SessionID)
	if err != nil {
		return err
	}
	answer := fiber.Map{
		"session_id": info.SessionID, "state": info.State, "duration": info.Duration, "stats": info.Stats,
	}
	if info.Reason != "" {
		answer["reason"] = info.Reason // a take that failed part-way (disk full) is still a draft
	}
	return success(c, answer)
}

// discard drops a session's take.
func (h *Handler) discard(c *fiber.Ctx) error {
	req, err := parseSessionRequest(c)
	if err != nil {
		return err
	}
	if err := h.Library.DiscardSession(req.SessionID); err != nil {
		return err
	}
	return success(c, fiber.Map{"session_id": req.SessionID, "message": "take discarded"})
}

// iceRequest is the seed's body for POST /webrtc/ice-candidate. The
// candidate is the browser's RTCIceCandidate JSON, or just its string.
type iceRequest struct {
	Candidate json.RawMessage `json:"candidate"`
	SessionID string          `json:"session_id"`
}

// iceCandidate adds a candidate the browser trickled after its offer.
func (h *Handler) iceCandidate(c *fiber.Ctx) error {
	var req iceRequest
	if err := parseJSON(c, &req); err != nil {
		return err
	}
	if req.SessionID == "" {
		return media.Invalidf("session_id is required")
	}
	var cand media.ICECandidate
	var line string
	switch {
	// An empty candidate, or null (which Unmarshal takes as ""), is refused
	// as the object form's is.
	case json.Unmarshal(req.Candidate, &line) == nil && line != "":
		cand.Candidate = line
	case json.Unmarshal(req.Candidate, &cand) == nil && cand.Candidate != "":
	default:
		return media.Invalidf("candidate must be an RTCIceCandidate object or its candidate string")
	}
	if err := h.Sessions.AddICECandidate(req.SessionID, cand); err != nil {
		return err
	}
	return success(c, fiber.Map{"session_id": req.SessionID})
}

// audioData answers the seed's POST /webrtc/audio-data: the audio itself
// travels over WebRTC, so this reports what the server has of the session.
func (h *Handler) audioData(c *fiber.Ctx) error {
	req, err := parseSessionRequest(c)
	if err != nil {
		return err
	}
	info, err := h.Sessions.Info(req.SessionID)
	if err != nil {
		return err
	}
	return success(c, fiber.Map{
		"session_id": info.SessionID, "state": info.State, "duration": info.Duration,
		"stats": info.Stats, "framing": info.Framing,
	})
}

// sessionInfo reports a session's state and live counters. A session
// that is no longer one but became a recording (saved, or saved by the
// server itself when it started again after a crash) is answered as
// state "saved" with that recording, so a page whose connection was lost
// can say what became of its take.
func (h *Handler) sessionInfo(c *fiber.Ctx) error {
	id := c.Params("id")
	info, err := h.Sessions.Info(id)
	if errors.Is(err, media.ErrNotFound) {
		if name := h.Library.SessionSavedAs(id); name != "" {
			rec, gerr := h.Library.Get(c.UserContext(), name)
			if gerr != nil {
				return gerr // deleted since: not found
			}
			return c.JSON(fiber.Map{"session_id": id, "state": "saved", "recording": fiber.Map{
				"filename": rec.Filename, "duration": rec.Duration, "title": rec.Title,
			}})
		}
	}
	if err != nil {
		return err
	}
	return c.JSON(info)
}
