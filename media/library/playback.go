package library

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mp4"
	"github.com/avatarweb/recorder/media/webm"
)

// OpenDraft opens a live take that has ended and is not saved as a WAV
// file, so its page can play it back, show its length and seek before
// saving. The caller has checked that the session has ended: Stop on a
// live one would end it.
func (l *Library) OpenDraft(sessionID string) (*media.Playback, error) {
	take, err := l.Sessions.Stop(sessionID) // ended already: only reads the take
	if err != nil {
		return nil, err
	}
	return media.OpenTake(take)
}

// OpenUpload opens what upload id holds so far, for listening back
// before saving. A browser's live WebM has no duration and no cues, and
// Safari's fragmented MP4 no duration, so a player shows 0:00 (or the
// first second) and cannot seek: either is opened fixed (webm.Fix,
// mp4.Fix, up to its last whole element or fragment), written to an
// unlinked temporary file. Anything else, or a take that cannot be fixed
// yet, is opened as uploaded.
func (l *Library) OpenUpload(id string) (*media.Playback, error) {
	f, size, mime, err := l.Uploads.Preview(id)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("library: open upload %q: %w", id, err)
	}
	p := &media.Playback{ReadSeeker: io.NewSectionReader(f, 0, size), Closer: f, Size: size, ModTime: st.ModTime(), MIME: mime}
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
	if fix == nil || size == 0 {
		return p, nil
	}
	fixed, n, err := fixedCopy(f, size, prefix, fix)
	if err != nil {
		return p, nil // not fixable yet: as uploaded
	}
	f.Close()
	p.ReadSeeker, p.Closer, p.Size = fixed, fixed, n
	return p, nil
}

// fixedCopy writes fix of the whole prefix of f to an unlinked temporary
// file (in the system's directory: a preview is never kept), and returns
// it at its start.
func fixedCopy(f io.ReaderAt, size int64, prefix func(io.ReaderAt, int64) (int64, error), fix func(io.Writer, io.ReaderAt, int64) error) (*os.File, int64, error) {
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
	if err == nil {
		_, err = tmp.Seek(0, io.SeekStart)
	}
	if err != nil {
		tmp.Close()
		return nil, 0, err
	}
	return tmp, end, nil
}
