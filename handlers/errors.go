package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/disk"
	"github.com/avatarweb/recorder/media/upload"
	"github.com/avatarweb/recorder/views"
)

// ErrorHandler maps domain errors to HTTP status in one place. Only
// internal errors are logged (a full disk the store has reported is
// logged there, once per episode; a damaged recording as a warning, since
// the start warned of it already). The client gets the domain's plain
// message (never the error chain) in the form it asked for: an htmx
// request an error fragment to show where the user acted, a browser
// without JavaScript (asking for HTML) an error page in the layout, and
// an API client the seed's envelope {status:"error", message}, plus
// per-field errors for refused parameters.
//
// An error it cannot classify (a 500) is first held against reachable:
// when the recording store or the index does not answer (by a check made
// since the request began, shared with every other request asking), the
// failure was theirs, and the answer is 503 with media.UnavailableMessage.
// A nil reachable checks nothing.
//
// A full disk that nothing has reported yet (a refused upload chunk, a
// write the index refused) goes through diskFull, as the store's own do
// (disk.Space.Check): every request refused for a full disk is counted
// in its episode, which is logged once. A nil diskFull counts nothing.
func ErrorHandler(log *slog.Logger, reachable Reachable, diskFull func(error) error) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		if diskFull != nil && media.IsDiskFull(err) && !disk.Reported(err) {
			err = diskFull(err)
		}
		status, body := classify(err)
		if status == fiber.StatusInternalServerError && !errors.Is(err, media.ErrDamaged) && reachable != nil {
			ctx, cancel := context.WithTimeout(c.UserContext(), reachableWait)
			down := reachable(ctx, c.Context().Time())
			cancel()
			if down != nil {
				err = &media.Error{Kind: media.ErrUnavailable, Message: media.UnavailableMessage, Err: errors.Join(err, down)}
				status, body = classify(err)
			}
		}
		switch {
		case status < fiber.StatusInternalServerError, disk.Reported(err):
		case errors.Is(err, media.ErrDamaged):
			log.Warn("a damaged recording was asked for", "method", c.Method(), "path", c.Path(), "err", err)
		case errors.Is(err, media.ErrUnavailable):
			log.Warn("request failed: the recording store or the index does not answer", "method", c.Method(), "path", c.Path(), "err", err)
		default:
			log.Error("request failed", "method", c.Method(), "path", c.Path(), "err", err)
		}
		if status == fiber.StatusServiceUnavailable && c.GetRespHeader(fiber.HeaderRetryAfter) == "" {
			c.Set(fiber.HeaderRetryAfter, "5")
		}
		c.Status(status)
		switch {
		case isHTMX(c):
			return render(c, views.ErrorFragment(sentence(body)))
		case wantsHTML(c):
			return render(c, views.ErrorPage(views.ErrorView{Status: status, Title: http.StatusText(status), Message: sentence(body)}))
		}
		return c.JSON(body)
	}
}

// Reachable reports why the recording store or the index does not answer
// (nil when both do), by a check that began at since or later.
type Reachable func(ctx context.Context, since time.Time) error

// reachableWait bounds how long a failed request waits to learn whether
// the store and the index answer.
const reachableWait = 3 * time.Second

// wantsHTML: a browser navigating (a link, a form without JavaScript)
// asks for HTML first; fetch, curl and API clients do not.
func wantsHTML(c *fiber.Ctx) bool {
	return strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}

// sentence is the body's message for a page: the per-field reasons of
// refused parameters spelled out, a capital first, a full stop last.
func sentence(body fiber.Map) string {
	msg, _ := body["message"].(string)
	if fields, ok := body["errors"].(media.FieldErrors); ok && len(fields) > 0 {
		var parts []string
		for _, name := range slices.Sorted(maps.Keys(fields)) {
			parts = append(parts, strings.ReplaceAll(name, "_", " ")+" "+fields[name])
		}
		msg = strings.Join(parts, "; ")
	}
	if msg == "" {
		return "Something went wrong."
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

func classify(err error) (int, fiber.Map) {
	body := fiber.Map{"status": "error"}
	say := func(fallback string) string {
		if msg := media.Message(err); msg != "" {
			return msg
		}
		return fallback
	}
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
	case media.IsDiskFull(err):
		body["message"] = media.DiskFullMessage
		return fiber.StatusInsufficientStorage, body
	case errors.Is(err, media.ErrDamaged):
		// 500: the server's stored file is at fault, not the request, and
		// asking again will not help; the message says so plainly.
		body["message"] = say("the recording's file is damaged")
		return fiber.StatusInternalServerError, body
	case errors.Is(err, upload.ErrTooLarge):
		body["message"] = say("too large")
		return fiber.StatusRequestEntityTooLarge, body
	case errors.Is(err, media.ErrTooMany):
		body["message"] = say("too many requests")
		return fiber.StatusTooManyRequests, body
	case errors.Is(err, media.ErrBadAudio):
		body["message"] = say("unreadable audio")
		return fiber.StatusUnprocessableEntity, body
	case errors.Is(err, media.ErrInvalid):
		body["message"] = say("invalid request")
		return fiber.StatusBadRequest, body
	case errors.Is(err, media.ErrNotFound):
		body["message"] = say("not found")
		return fiber.StatusNotFound, body
	case errors.Is(err, media.ErrBusy):
		body["message"] = say("busy")
		return fiber.StatusServiceUnavailable, body
	case errors.Is(err, media.ErrUnavailable):
		body["message"] = say(media.UnavailableMessage)
		return fiber.StatusServiceUnavailable, body
	case media.SavedAs(err) != "":
		// A retried save: the take is safe, and the client learns where.
		name := media.SavedAs(err)
		body["message"] = (&media.SavedError{Filename: name}).Error()
		body["filename"] = name
		return fiber.StatusConflict, body
	case errors.Is(err, media.ErrConflict):
		body["message"] = say("conflict")
		return fiber.StatusConflict, body
	}
	body["message"] = "internal error"
	return fiber.StatusInternalServerError, body
}

// parseJSON decodes the body into v, refusing anything that is not JSON.
func parseJSON(c *fiber.Ctx, v any) error {
	if err := json.Unmarshal(c.Body(), v); err != nil {
		return &media.Error{Kind: media.ErrInvalid, Message: "the request body is not valid JSON: " + err.Error(), Err: err}
	}
	return nil
}
