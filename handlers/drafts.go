package handlers

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mp4"
	"github.com/avatarweb/recorder/media/rtc"
	"github.com/avatarweb/recorder/media/webm"
	"github.com/avatarweb/recorder/views"
)

const (
	// maxDraftsAsked bounds the takes one /ui/drafts request may name.
	maxDraftsAsked = 20
	// draftSettle is how long /ui/drafts waits for a live take whose page
	// has gone (it sent Stop as it left) to become a draft.
	draftSettle = 3 * time.Second
)

// draftsFragment lists the unsaved takes a browser names (the ones it
// started and has not saved or discarded: ?webrtc=id,id&upload=id), so a
// reloaded or reopened page can offer them again. A take that is saved,
// discarded or unknown is left out; the page forgets it then.
func (h *Handler) draftsFragment(c *fiber.Ctx) error {
	var rows []views.DraftRow
	asked := 0
	for _, id := range splitIDs(c.Query("webrtc")) {
		if asked++; asked > maxDraftsAsked {
			break
		}
		if row, ok := h.sessionDraft(id); ok {
			rows = append(rows, row)
		}
	}
	for _, id := range splitIDs(c.Query("upload")) {
		if asked++; asked > maxDraftsAsked {
			break
		}
		st, err := h.Uploads.Status(id)
		if err != nil {
			continue
		}
		rows = append(rows, views.DraftRow{
			ID: st.ID, Mode: "record", ModeName: "Recorded in the browser",
			Length:   humanBytes(st.Bytes),
			AudioURL: "/uploads/" + url.PathEscape(st.ID) + "/audio",
		})
	}
	return render(c, views.UnsavedTakes(rows))
}

// sessionDraft describes a live take that has ended and is not saved. A
// take still live (its page stopped it as it left, and it is draining)
// is waited for a moment.
func (h *Handler) sessionDraft(id string) (views.DraftRow, bool) {
	for deadline := time.Now().Add(draftSettle); ; time.Sleep(50 * time.Millisecond) {
		info, err := h.Sessions.Info(id)
		if err != nil {
			return views.DraftRow{}, false
		}
		switch info.State {
		case rtc.StateStopped:
			take, err := h.Sessions.Stop(id) // ended already: only reads the take
			if err != nil {
				return views.DraftRow{}, false
			}
			return views.DraftRow{
				ID: id, Mode: "webrtc", ModeName: "Live to the server",
				Started:  take.StartedAt,
				Length:   clock(info.Duration),
				AudioURL: "/webrtc/sessions/" + url.PathEscape(id) + "/audio",
			}, true
		case rtc.StateFailed:
			return views.DraftRow{}, false
		}
		if time.Now().After(deadline) {
			return views.DraftRow{}, false
		}
	}
}

func splitIDs(s string) []string {
	var ids []string
	for id := range strings.SplitSeq(s, ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	return ids
}

// draftAudio serves an ended live take's audio as a WAV, with Range, so
// the page can play it back, show its length and seek before saving.
func (h *Handler) draftAudio(c *fiber.Ctx) error {
	id := c.Params("id")
	info, err := h.Sessions.Info(id)
	if err != nil {
		return err
	}
	if info.State != rtc.StateStopped {
		return media.Conflictf("the take %q is %s, not a draft", id, info.State)
	}
	take, err := h.Sessions.Stop(id) // ended already: only reads the take
	if err != nil {
		return err
	}
	f, err := os.Open(take.SpoolPath)
	if err != nil {
		return media.NotFoundf("the take %q is gone (saved or discarded)", id)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("draft audio: %w", err)
	}
	pcm := min(take.PCMBytes, st.Size())
	head := media.WAVHeader(take.SampleRate, take.Channels, pcm)
	whole := concatReaderAt{head: head, body: f}
	size := int64(len(head)) + pcm
	return serveRange(c, io.NewSectionReader(whole, 0, size), f, size, st.ModTime(), "audio/wav")
}

// serveUploadPreview serves what is uploaded of a MediaRecorder take. A
// browser's live WebM has no duration and no cues, and Safari's
// fragmented MP4 no duration, so a player shows 0:00 (or the first
// second) and cannot seek: either is served fixed (webm.Fix, mp4.Fix, up
// to its last whole element or fragment), written to an unlinked temp
// file. Anything else, or a take that cannot be fixed yet, is served as
// uploaded.
func serveUploadPreview(c *fiber.Ctx, f *os.File, size int64, modTime time.Time, mime string) error {
	var fix func(io.Writer, io.ReaderAt, int64) error
	var prefix func(io.ReaderAt, int64) (int64, error)
	switch {
	case strings.HasPrefix(mime, "audio/webm"):
		fix = func(w io.Writer, r io.ReaderAt, n int64) error { _, err := webm.Fix(w, r, n); return err }
		prefix = webm.CompletePrefix
	case strings.HasPrefix(mime, "audio/mp4"):
		fix = func(w io.Writer, r io.ReaderAt, n int64) error { _, err := mp4.Fix(w, r, n); return err }
		prefix = mp4.CompletePrefix
	}
	if fix != nil && size > 0 {
		if fixed, n, err := fixedCopy(f, size, prefix, fix); err == nil {
			f.Close()
			return serveRange(c, fixed, fixed, n, modTime, mime)
		}
	}
	return serveRange(c, f, f, size, modTime, mime)
}

// fixedCopy writes fix of the whole prefix of f to an unlinked temp file.
func fixedCopy(f *os.File, size int64, prefix func(io.ReaderAt, int64) (int64, error), fix func(io.Writer, io.ReaderAt, int64) error) (*os.File, int64, error) {
	n, err := prefix(f, size)
	if err != nil {
		return nil, 0, err
	}
	tmp, err := os.CreateTemp("", "recorder-preview-*")
	if err != nil {
		return nil, 0, err
	}
	os.Remove(tmp.Name()) // gone once closed
	if err := fix(tmp, f, n); err != nil {
		tmp.Close()
		return nil, 0, err
	}
	end, err := tmp.Seek(0, io.SeekEnd)
	if err != nil {
		tmp.Close()
		return nil, 0, err
	}
	return tmp, end, nil
}

// concatReaderAt reads head, then body.
type concatReaderAt struct {
	head []byte
	body io.ReaderAt
}

func (r concatReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	if off < int64(len(r.head)) {
		n = copy(p, r.head[off:])
		if n == len(p) {
			return n, nil
		}
	}
	m, err := r.body.ReadAt(p[n:], off+int64(n)-int64(len(r.head)))
	return n + m, err
}

// clock formats seconds as m:ss (h:mm:ss from an hour).
func clock(seconds float64) string {
	s := int64(seconds + 0.5)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
