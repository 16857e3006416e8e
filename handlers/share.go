package handlers

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"time"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/handlers/guard"
	"github.com/avatarweb/recorder/internal/sharelink"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/views"
)

// Shares keeps share links: read-only links to one recording that work
// without the access token until they expire or are revoked.
type Shares interface {
	CreateShare(ctx context.Context, filename string, s media.Share) error
	Share(ctx context.Context, id string) (media.Share, error)
	CountSharePlay(ctx context.Context, id string) error
	StopSharing(ctx context.Context, filename string) error
	Sharing(ctx context.Context, filenames []string) (map[string]media.Sharing, error)
}

// shareFor is how long a link may be made for, by the form's values.
var shareFor = map[string]time.Duration{
	"1h": time.Hour,
	"1d": 24 * time.Hour,
	"7d": 7 * 24 * time.Hour,
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

// makeShare makes a link to the recording for the time the form chose,
// and answers the row's share control showing it (a page without htmx).
func (h *Handler) makeShare(c *fiber.Ctx) error {
	ttl, ok := shareFor[c.FormValue("for")]
	if !ok {
		return media.Invalidf("a link lasts 1h, 1d or 7d")
	}
	ctx, name := c.UserContext(), c.Params("filename")
	id, secret, token := sharelink.New()
	expires := h.now().Add(ttl)
	err := h.Shares.CreateShare(ctx, name, media.Share{ID: id, SecretSum: sharelink.Sum(secret), Expires: expires})
	if err != nil {
		return err
	}
	// Other pages are not told (their lists would refresh, and this one's
	// with them, taking away the link shown once).
	s, err := h.shareControl(c, name)
	if err != nil {
		return err
	}
	s.Link, s.LinkExpires = c.BaseURL()+guard.LinksPrefix+token, expires
	if !isHTMX(c) {
		return renderPrivate(c, views.ShareMade(s))
	}
	return renderPrivate(c, views.ShareControl(s)) // it holds the link
}

// stopSharing revokes every link to the recording.
func (h *Handler) stopSharing(c *fiber.Ctx) error {
	ctx, name := c.UserContext(), c.Params("filename")
	if err := h.Shares.StopSharing(ctx, name); err != nil {
		return err
	}
	h.recordings.publish()
	if !isHTMX(c) {
		return c.Redirect("/", fiber.StatusSeeOther)
	}
	s, err := h.shareControl(c, name)
	if err != nil {
		return err
	}
	return render(c, views.ShareControl(s))
}

// shareControl is the share control of the recording's row as it stands,
// named as the viewer's row names it.
func (h *Handler) shareControl(c *fiber.Ctx, name string) (views.ShareRow, error) {
	rec, err := h.Library.Get(c.UserContext(), name)
	if err != nil {
		return views.ShareRow{}, err
	}
	rows := []views.RecordingRow{recordingRow(*rec, viewerOf(c))}
	if err := h.addSharing(c.UserContext(), rows); err != nil {
		return views.ShareRow{}, err
	}
	return rows[0].Share, nil
}

// addSharing gives rows their share control, and says on those with open
// links how many plays they had and when they expire.
func (h *Handler) addSharing(ctx context.Context, rows []views.RecordingRow) error {
	if h.Shares == nil || len(rows) == 0 {
		return nil
	}
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.Filename
	}
	sharing, err := h.Shares.Sharing(ctx, names)
	if err != nil {
		return err
	}
	now := h.now()
	for i := range rows {
		r := &rows[i]
		r.Share = views.ShareRow{Name: r.Name, URL: r.URL + "/share"}
		if s, ok := sharing[r.Filename]; ok {
			r.Share.Status = shareStatus(s, now)
		}
	}
	return nil
}

// shareStatus is what a row says of its open links: "Shared · 3 plays ·
// expires in 6 days".
func shareStatus(s media.Sharing, now time.Time) string {
	plays := "no plays yet"
	switch {
	case s.Plays == 1:
		plays = "1 play"
	case s.Plays > 1:
		plays = fmt.Sprintf("%d plays", s.Plays)
	}
	what := "Shared"
	if s.Links > 1 {
		what = fmt.Sprintf("Shared (%d links)", s.Links)
	}
	return what + " · " + plays + " · expires in " + within(s.Expires.Sub(now))
}

// within is a time to come as people say it, rounded: "45 min", "5 h",
// "6 days" (a link made for an hour a moment ago: "1 h").
func within(d time.Duration) string {
	if d < 30*time.Second {
		return "under a minute"
	}
	if mins := math.Round(d.Minutes()); mins < 60 {
		return fmt.Sprintf("%d min", int(mins))
	}
	if hours := math.Round(d.Hours()); hours < 24 {
		return fmt.Sprintf("%d h", int(hours))
	}
	if days := int(math.Round(d.Hours() / 24)); days != 1 {
		return fmt.Sprintf("%d days", days)
	}
	return "1 day"
}

// The share link's own routes, open without the token: the page, its
// audio and a play counted. A link that does not exist, or whose secret
// is wrong, is answered 404 in the same way and time (the index is asked
// and a sum compared whatever the token); one that expired or was
// revoked, 410, to its holder only.

// openShare finds the link of the request's token; if it does not open,
// it answers the refusal itself and ok is false.
func (h *Handler) openShare(c *fiber.Ctx) (s media.Share, ok bool, err error) {
	id, secret, valid := sharelink.Parse(c.Params("token"))
	if !valid {
		return s, false, h.shareRefused(c, fiber.StatusNotFound)
	}
	s, err = h.Shares.Share(c.UserContext(), id)
	if err != nil && !errors.Is(err, media.ErrNotFound) {
		return s, false, err
	}
	sum := s.SecretSum
	if err != nil {
		sum = "" // compared all the same, so a miss takes a match's time
	}
	if !sharelink.Matches(sum, secret) || err != nil {
		return s, false, h.shareRefused(c, fiber.StatusNotFound)
	}
	if !s.Open(h.now()) {
		return s, false, h.shareRefused(c, fiber.StatusGone)
	}
	return s, true, nil
}

// shareRefused answers a link that does not open: a plain page, or a
// plain sentence to a player or script.
func (h *Handler) shareRefused(c *fiber.Ctx, status int) error {
	shareHeaders(c)
	c.Status(status)
	if wantsHTML(c) {
		return renderPrivate(c, views.ShareGone(status == fiber.StatusGone))
	}
	if status == fiber.StatusGone {
		return c.SendString("This link has expired or was stopped.\n")
	}
	return c.SendString("No such link.\n")
}

// shareHeaders: a share page tells no other site where it was opened
// from, and is no search engine's to keep; nothing caches it.
func shareHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set("X-Robots-Tag", "noindex, nofollow")
	c.Set(fiber.HeaderCacheControl, "no-store")
}

// renderPrivate renders a page no cache may keep.
func renderPrivate(c *fiber.Ctx, component templ.Component) error {
	err := render(c, component)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return err
}

// sharePage is the minimal player page of a link: the title, when and how
// long, a player that loads nothing until played, and a download.
func (h *Handler) sharePage(c *fiber.Ctx) error {
	s, ok, err := h.openShare(c)
	if !ok || err != nil {
		return err
	}
	rec, err := h.Library.Get(c.UserContext(), s.Filename)
	if err != nil {
		return err
	}
	base := guard.LinksPrefix + url.PathEscape(c.Params("token"))
	shareHeaders(c)
	v := viewerOf(c)
	v.now = h.now()
	return renderPrivate(c, views.SharePage(views.ShareView{
		Title:       v.name(*rec),
		Untitled:    rec.Title == "",
		Created:     rec.CreatedAt,
		Duration:    duration(rec.Duration),
		Seconds:     rec.Duration,
		AudioURL:    base + "/audio",
		DownloadURL: base + "/audio?download=1",
		PlayURL:     base + "/play",
		Ext:         library.Extension(rec.MIME),
		Expires:     s.Expires,
	}))
}

// shareAudio answers a link's audio, with Range support, or its download.
func (h *Handler) shareAudio(c *fiber.Ctx) error {
	s, ok, err := h.openShare(c)
	if !ok || err != nil {
		return err
	}
	shareHeaders(c)
	return h.sendAudio(c, s.Filename, c.QueryBool("download"))
}

// sharePlay counts a playback started on a link's page (its script posts
// once when playing starts, and again only after the take ended).
func (h *Handler) sharePlay(c *fiber.Ctx) error {
	s, ok, err := h.openShare(c)
	if !ok || err != nil {
		return err
	}
	if err := h.Shares.CountSharePlay(c.UserContext(), s.ID); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}
