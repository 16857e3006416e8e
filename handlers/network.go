package handlers

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/media"
)

// ICE hands pages the STUN/TURN servers (with fresh credentials) and the
// transport policy they build their peer connection with.
type ICE interface {
	BrowserICE(now time.Time) media.BrowserICE
}

// candidatesWait is how long GET /webrtc/sessions/:id/candidates waits for
// a new candidate before answering with none (the page asks again).
const candidatesWait = 10 * time.Second

// iceConfig answers GET /webrtc/ice-config: {iceServers, iceTransportPolicy}
// as RTCPeerConnection takes them. It holds TURN credentials: never cached.
func (h *Handler) iceConfig(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	cfg := media.BrowserICE{Servers: []media.ICEServer{}, Policy: "all"}
	if h.ICE != nil {
		cfg = h.ICE.BrowserICE(time.Now())
	}
	return c.JSON(cfg)
}

// candidates answers GET /webrtc/sessions/:id/candidates?from=N: the
// server's own ICE candidates from the N-th on, as they are gathered
// (trickle ICE, long poll). It waits up to 10 s for one; complete says
// gathering has ended and no more will come.
func (h *Handler) candidates(c *fiber.Ctx) error {
	from, err := strconv.Atoi(c.Query("from", "0"))
	if err != nil || from < 0 {
		return media.Invalidf("from must be a whole number")
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), candidatesWait)
	defer cancel()
	list, complete, err := h.Sessions.WaitCandidates(ctx, c.Params("id"), from)
	if err != nil {
		return err
	}
	if list == nil {
		list = []media.ICECandidate{}
	}
	return c.JSON(fiber.Map{"candidates": list, "next": from + len(list), "complete": complete})
}

// restartRequest is the body of POST /webrtc/restart.
type restartRequest struct {
	Offer     media.SessionDescription `json:"offer"`
	SessionID string                   `json:"session_id"`
}

// restart answers an ICE restart offer: the browser changed networks and
// the live take goes on over a new path.
func (h *Handler) restart(c *fiber.Ctx) error {
	var req restartRequest
	if err := parseJSON(c, &req); err != nil {
		return err
	}
	if req.SessionID == "" {
		return media.Invalidf("session_id is required")
	}
	offer, err := req.Offer.OfferSDP()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), h.offerTimeout())
	defer cancel()
	answer, err := h.Sessions.Restart(ctx, req.SessionID, offer)
	if err != nil {
		return err
	}
	h.Log.Info("webrtc ICE restarted", "session_id", req.SessionID)
	return success(c, fiber.Map{"answer": media.Answer(answer), "session_id": req.SessionID})
}

func (h *Handler) offerTimeout() time.Duration {
	if h.OfferTimeout > 0 {
		return h.OfferTimeout
	}
	return defaultOfferTimeout
}
