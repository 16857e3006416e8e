package handlers

import (
	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/media"
)

// paramsUpdate is the body of POST /update_params. Fields left out keep
// their current value.
type paramsUpdate struct {
	FPS        *int `json:"fps"`
	BatchSize  *int `json:"batch_size"`
	SampleRate *int `json:"sample_rate"`
	Channels   *int `json:"channels"`
}

func (u paramsUpdate) apply(p media.Params) media.Params {
	set := func(dst *int, src *int) {
		if src != nil {
			*dst = *src
		}
	}
	set(&p.FPS, u.FPS)
	set(&p.BatchSize, u.BatchSize)
	set(&p.SampleRate, u.SampleRate)
	set(&p.Channels, u.Channels)
	return p
}

// getParams answers the bare parameters object, as the seed did.
func (h *Handler) getParams(c *fiber.Ctx) error {
	p, err := h.Params.Params(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(p)
}

// updateParams validates and stores new parameters; refused values answer
// 422 naming each field, and nothing changes.
func (h *Handler) updateParams(c *fiber.Ctx) error {
	var u paramsUpdate
	if err := parseJSON(c, &u); err != nil {
		return err
	}
	ctx := c.UserContext()
	current, err := h.Params.Params(ctx)
	if err != nil {
		return err
	}
	next := u.apply(current)
	if err := h.Params.SaveParams(ctx, next); err != nil {
		return err
	}
	h.Log.Info("parameters updated", "params", next)
	return success(c, fiber.Map{"params": next})
}
