package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/media"
)

// errBadJSON marks a body that is not the JSON the route expects.
var errBadJSON = errors.New("invalid JSON body")

// ErrorHandler maps domain errors to HTTP status in one place. Only
// internal errors are logged; the client gets a plain message in the
// seed's envelope {status:"error", message}, plus per-field errors for
// refused parameters.
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		status, body := classify(err)
		if status >= fiber.StatusInternalServerError {
			log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
		}
		return c.Status(status).JSON(body)
	}
}

func classify(err error) (int, fiber.Map) {
	body := fiber.Map{"status": "error", "message": err.Error()}
	var fields media.FieldErrors
	var fe *fiber.Error
	switch {
	case errors.As(err, &fields):
		body["message"] = "invalid parameters"
		body["errors"] = fields
		return fiber.StatusUnprocessableEntity, body
	case errors.As(err, &fe):
		body["message"] = fe.Message
		return fe.Code, body
	case errors.Is(err, errBadJSON), errors.Is(err, media.ErrInvalid):
		return fiber.StatusBadRequest, body
	case errors.Is(err, media.ErrNotFound):
		return fiber.StatusNotFound, body
	case errors.Is(err, media.ErrConflict):
		return fiber.StatusConflict, body
	}
	body["message"] = "internal error"
	return fiber.StatusInternalServerError, body
}

// parseJSON decodes the body into v, refusing anything that is not JSON.
func parseJSON(c *fiber.Ctx, v any) error {
	if err := json.Unmarshal(c.Body(), v); err != nil {
		return fmt.Errorf("%w: %v", errBadJSON, err)
	}
	return nil
}
