package handlers

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/views"
)

// paramsUpdate is the body of POST /update_params and the params of the
// WebSocket's update_params. Fields left out keep their current value.
type paramsUpdate struct {
	FPS        *int    `json:"fps"`
	BatchSize  *int    `json:"batch_size"`
	SampleRate *int    `json:"sample_rate"`
	Channels   *int    `json:"channels"`
	Format     *string `json:"format"`
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
	if u.Format != nil {
		p.Format = *u.Format
	}
	return p
}

// getParams answers the bare parameters object, as the seed did.
func (h *Handler) getParams(c *fiber.Ctx) error {
	p, err := h.Settings.Params(c.UserContext())
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
	next, err := h.Settings.Update(c.UserContext(), "api", u.apply)
	if err != nil {
		return err
	}
	h.Log.Info("parameters updated", "params", next, "source", "api")
	return success(c, fiber.Map{"params": next})
}

// paramsFragment renders the parameters form alone, for htmx.
func (h *Handler) paramsFragment(c *fiber.Ctx) error {
	p, err := h.Settings.Params(c.UserContext())
	if err != nil {
		return err
	}
	return render(c, views.ParamsForm(h.paramsFormView(p, nil, false)))
}

// paramsForm takes the form, from htmx (answer: the fragment) or from a
// browser without JavaScript (answer: back to the page, or the page with
// the errors). Refused values are shown as typed, beside their errors.
func (h *Handler) paramsForm(c *fiber.Ctx) error {
	typed, parseErrs := parseParamsForm(c)
	var next media.Params
	var err error
	if len(parseErrs) > 0 {
		err = parseErrs
	} else {
		next, err = h.Settings.Update(c.UserContext(), "form", func(p media.Params) media.Params { return typed.apply(p) })
	}
	var fields media.FieldErrors
	if err != nil && !errors.As(err, &fields) {
		return err
	}
	if fields == nil {
		h.Log.Info("parameters updated", "params", next, "source", "form")
		if !isHTMX(c) {
			return c.Redirect("/?done=params#params", fiber.StatusSeeOther)
		}
		return render(c, views.ParamsForm(h.paramsFormView(next, nil, true)))
	}
	current, err := h.Settings.Params(c.UserContext())
	if err != nil {
		return err
	}
	shown := typed.apply(current)
	// A field that is not a number must not hide the others' mistakes:
	// mark the fields that parsed but are out of range too.
	var ranges media.FieldErrors
	if errors.As(shown.Validate(), &ranges) {
		for name, msg := range ranges {
			if _, ok := fields[name]; !ok {
				fields[name] = msg
			}
		}
	}
	c.Status(fiber.StatusUnprocessableEntity)
	if !isHTMX(c) {
		return h.renderIndex(c, h.paramsFormView(shown, fields, false))
	}
	return render(c, views.ParamsForm(h.paramsFormView(shown, fields, false)))
}

// parseParamsForm reads the form's fields as whole numbers; a field that
// is not one is an error of its own.
func parseParamsForm(c *fiber.Ctx) (paramsUpdate, media.FieldErrors) {
	var u paramsUpdate
	errs := media.FieldErrors{}
	for _, f := range []struct {
		name string
		dst  **int
	}{{"fps", &u.FPS}, {"batch_size", &u.BatchSize}, {"sample_rate", &u.SampleRate}, {"channels", &u.Channels}} {
		v := c.FormValue(f.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			errs[f.name] = "must be a whole number"
			continue
		}
		*f.dst = &n
	}
	if v := c.FormValue("format"); v != "" {
		u.Format = &v
	}
	if len(errs) > 0 {
		return u, errs
	}
	return u, nil
}

func (h *Handler) paramsFormView(p media.Params, errs media.FieldErrors, saved bool) views.ParamsFormView {
	return views.ParamsFormView{Values: h.paramsView(p), Errors: errs, Saved: saved, SampleRates: media.SampleRates}
}

func (h *Handler) paramsView(p media.Params) views.ParamsView {
	wav, opus := media.HourOnDisk(p, h.OpusBitrate)
	return views.ParamsView{FPS: p.FPS, BatchSize: p.BatchSize, SampleRate: p.SampleRate, Channels: p.Channels,
		Format: p.Format, WAVPerHour: humanBytes(wav), OpusPerHour: humanBytes(opus), ChannelsName: channelsWord(p.Channels)}
}

func isHTMX(c *fiber.Ctx) bool { return c.Get("HX-Request") == "true" }
