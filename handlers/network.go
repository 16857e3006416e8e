package handlers

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/rtc"
)

// ICE hands pages the STUN/TURN servers (with fresh credentials) and the
// transport policy they build their peer connection with.
type ICE interface {
	BrowserICE(now time.Time) rtc.BrowserICE
}

// Trickler answers offers at once and restarts ICE; the session Manager
// is one.
type Trickler interface {
	OfferWith(ctx context.Context, id string, offer webrtc.SessionDescription, p media.Params, o rtc.OfferOptions) (*rtc.Session, webrtc.SessionDescription, error)
	Restart(ctx context.Context, id string, offer webrtc.SessionDescription) (webrtc.SessionDescription, error)
}

// candidatesWait is how long GET /webrtc/sessions/:id/candidates waits for
// a new candidate before answering with none (the page asks again).
const candidatesWait = 10 * time.Second

// iceConfig answers GET /webrtc/ice-config: {iceServers, iceTransportPolicy}
// as RTCPeerConnection takes them. It holds TURN credentials: never cached.
func (h *Handler) iceConfig(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	cfg := rtc.BrowserICE{Servers: []rtc.ICEServer{}, Policy: "all"}
	if h.ICE != nil {
		cfg = h.ICE.BrowserICE(time.Now())
	}
	return c.JSON(cfg)
}

// trickler is the session manager when it can trickle.
func (h *Handler) trickler() (Trickler, error) {
	t, ok := h.Sessions.(Trickler)
	if !ok {
		return nil, media.Invalidf("this server does not trickle ICE candidates")
	}
	return t, nil
}

// candidates answers GET /webrtc/sessions/:id/candidates?from=N: the
// server's own ICE candidates from the N-th on, as they are gathered
// (trickle ICE, long poll). It waits up to 10 s for one; complete says
// gathering has ended and no more will come.
func (h *Handler) candidates(c *fiber.Ctx) error {
	s, err := h.Sessions.Get(c.Params("id"))
	if err != nil {
		return err
	}
	from, err := strconv.Atoi(c.Query("from", "0"))
	if err != nil || from < 0 {
		return media.Invalidf("from must be a whole number")
	}
	wait := time.NewTimer(candidatesWait)
	defer wait.Stop()
	for {
		list, complete, changed := s.Candidates(from)
		ended := s.State() == rtc.StateStopped || s.State() == rtc.StateFailed
		if len(list) > 0 || complete || ended {
			if list == nil {
				list = []webrtc.ICECandidateInit{}
			}
			return c.JSON(fiber.Map{"candidates": list, "next": from + len(list), "complete": complete || ended})
		}
		select {
		case <-changed:
		case <-s.Done():
		case <-wait.C:
			return c.JSON(fiber.Map{"candidates": list, "next": from, "complete": false})
		case <-c.UserContext().Done():
			return c.UserContext().Err()
		}
	}
}

// restartRequest is the body of POST /webrtc/restart.
type restartRequest struct {
	Offer     webrtc.SessionDescription `json:"offer"`
	SessionID string                    `json:"session_id"`
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
	t, err := h.trickler()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), h.offerTimeout())
	defer cancel()
	answer, err := t.Restart(ctx, req.SessionID, req.Offer)
	if err != nil {
		return err
	}
	h.Log.Info("webrtc ICE restarted", "session_id", req.SessionID)
	return success(c, fiber.Map{"answer": answer, "session_id": req.SessionID})
}

func (h *Handler) offerTimeout() time.Duration {
	if h.OfferTimeout > 0 {
		return h.OfferTimeout
	}
	return defaultOfferTimeout
}
