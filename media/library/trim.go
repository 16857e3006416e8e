package library

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mp4"
	"github.com/avatarweb/recorder/media/ogg"
	"github.com/avatarweb/recorder/media/store"
	"github.com/avatarweb/recorder/media/webm"
)

// TrimRequest is what a trim keeps, and where.
type TrimRequest struct {
	Selection media.Selection
	// AsNew keeps the original as it is and adds the selection as a new
	// recording titled Title. Otherwise the selection takes the original's
	// place (its title, its time in the list) and the original goes to
	// Recently deleted, from where Undo brings it back.
	AsNew bool
	Title string
}

// Trim keeps a part of a recording, cut without re-encoding (see cut):
// the cut is saved as a new recording file, exclusively and whole, as a
// take is, then indexed with its own duration, size and waveform; only
// then, for a trim in place, the original goes to Recently deleted. A
// crash between the steps leaves both recordings, never neither. One
// trim of a recording runs at a time; a recording in Recently deleted, or
// damaged, is not trimmed; of two nodes trimming one recording in place
// at once, one wins and the other removes its cut and reports a conflict.
// It returns the new recording.
func (l *Library) Trim(ctx context.Context, filename string, req TrimRequest) (*media.Recording, error) {
	if !store.ValidName(filename) {
		return nil, media.Invalidf("%q is not a recording name", filename)
	}
	if _, busy := l.trimming.LoadOrStore(filename, struct{}{}); busy {
		return nil, &media.Error{Kind: media.ErrConflict, Message: "this recording is being trimmed already"}
	}
	defer l.trimming.Delete(filename)
	row, err := l.Index.GetRecording(ctx, filename)
	if err != nil {
		return nil, err
	}
	switch {
	case !row.DeletedAt.IsZero():
		return nil, &media.Error{Kind: media.ErrConflict, Message: "the recording is in Recently deleted: restore it to trim it"}
	case row.Damaged:
		return nil, damaged(filename, nil)
	}
	span, err := req.Selection.Check(time.Duration(row.Duration * float64(time.Second)))
	if err != nil {
		return nil, err
	}
	src, err := l.Open(ctx, filename)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	m, err := l.cutRecording(src, span)
	if err != nil {
		return nil, l.Space.Check(err)
	}
	defer m.close()

	if m.peaks == nil && row.Duration > 0 {
		// No decoder for the cut (AAC): its part of the original's waveform.
		m.peaks = slicePeaks(row.Peaks, span.Start.Seconds()/row.Duration, span.End.Seconds()/row.Duration)
	}
	meta := src.Meta
	meta.TakeID = "" // the take was saved once, as the original
	meta.Duration, meta.MIME, meta.SampleRate, meta.Channels = m.duration, m.mime, m.sampleRate, m.channels
	meta.Stats = maps.Clone(meta.Stats)
	delete(meta.Stats, "client_duration_ms")
	meta.TrimmedFrom = filename
	meta.Trim = []float64{span.Start.Seconds(), span.End.Seconds()}
	createdAt := row.CreatedAt
	if req.AsNew {
		createdAt = l.now()
		meta.Title = req.Title
	}
	meta.Timestamp = createdAt.UTC().Format(store.TimeFormat)
	name, err := l.Store.Save(ctx, m.audio, m.size, meta)
	if err != nil {
		return nil, fmt.Errorf("library: save the trim of %q: %w", filename, err)
	}
	rec := &media.Recording{
		Filename: name, CreatedAt: createdAt, Duration: m.duration,
		SampleRate: m.sampleRate, Channels: m.channels, FPS: row.FPS, BatchSize: row.BatchSize,
		Mode: row.Mode, MIME: m.mime, Bytes: m.size, SessionID: row.SessionID,
		Peaks: m.peaks, Waveform: media.WaveformPath(m.peaks), Title: meta.Title,
	}
	if err := l.index(ctx, rec); err != nil {
		return nil, err
	}
	l.Log.Info("recording trimmed", "filename", filename, "as", name, "start_s", span.Start.Seconds(),
		"end_s", span.End.Seconds(), "duration_s", rec.Duration, "bytes", rec.Bytes, "as_new", req.AsNew)
	if req.AsNew {
		return rec, nil
	}
	switch _, err := l.Index.TrashRecordingOnce(ctx, filename); {
	case errors.Is(err, media.ErrConflict):
		// Another node trimmed (or someone deleted) the original while
		// this one cut it: that one stands, this cut goes.
		if err := l.Delete(ctx, name); err != nil {
			l.Log.Warn("a trim that lost a race could not be removed", "filename", name, "err", err)
		}
		return nil, err
	case err != nil:
		// The trim stands; the original stays in the library beside it.
		l.Log.Warn("trimmed, but the original could not go to Recently deleted", "filename", filename, "err", err)
	default:
		l.Log.Info("recording moved to Recently deleted", "filename", filename)
	}
	return rec, nil
}

// UndoTrim undoes a trim in place: the original comes back from Recently
// deleted, and the trimmed recording goes there.
func (l *Library) UndoTrim(ctx context.Context, trimmed, original string) (*media.Recording, error) {
	rec, err := l.Restore(ctx, original)
	if err != nil {
		return nil, err
	}
	if _, err := l.Trash(ctx, trimmed); err != nil {
		return rec, err
	}
	return rec, nil
}

// TrimmedTitle is the title of a selection saved as new from a recording
// named name: "name (trimmed)", within media.MaxTitle characters.
func TrimmedTitle(name string) string {
	const suffix = " (trimmed)"
	if n := media.MaxTitle - utf8.RuneCountInString(suffix); utf8.RuneCountInString(name) > n {
		name = strings.TrimSpace(string([]rune(name)[:n]))
	}
	return name + suffix
}

// cutRecording cuts span out of a recording's audio into a scratch file,
// in its own container, and measures the cut as a save measures a take
// (a WebM cut gets its Duration and Cues there). The audio is copied to
// scratch first: the cutters read it twice, with seeks.
func (l *Library) cutRecording(src *store.Recording, span media.Selection) (measured, error) {
	in, err := l.scratchFile()
	if err != nil {
		return measured{}, err
	}
	defer func() { in.Close(); os.Remove(in.Name()) }()
	size, err := io.Copy(in, src.Audio)
	if err != nil {
		return measured{}, fmt.Errorf("library: trim: copy the audio: %w", err)
	}
	return l.cutFile(in, size, media.Spans{span})
}

// cutFile cuts the spans keep selects out of the audio in (size bytes)
// into a scratch file, and measures the cut.
func (l *Library) cutFile(in *os.File, size int64, keep media.Spans) (measured, error) {
	out, err := l.scratchFile()
	if err != nil {
		return measured{}, err
	}
	drop := func() { out.Close(); os.Remove(out.Name()) }
	if err := cut(out, in, size, keep); err != nil {
		drop()
		return measured{}, err
	}
	n, err := out.Seek(0, io.SeekEnd)
	if err == nil {
		_, err = out.Seek(0, io.SeekStart)
	}
	if err != nil {
		drop()
		return measured{}, fmt.Errorf("library: trim: %w", err)
	}
	m, err := l.measure(out, n)
	if err != nil {
		drop()
		return measured{}, err
	}
	inner := m.cleanup
	m.cleanup = func() {
		if inner != nil {
			inner()
		}
		drop()
	}
	return m, nil
}

// scratchFile creates a temporary file in Scratch, which RemoveStale
// clears should the process die before it is removed.
func (l *Library) scratchFile() (*os.File, error) {
	f, err := os.CreateTemp(l.Scratch, scratchAudio)
	if err != nil {
		return nil, l.Space.Check(fmt.Errorf("library: trim: %w", err))
	}
	return f, nil
}

// cut writes the parts of the audio in r that keep selects to w, one
// after the other, cut without re-encoding in the audio's own container:
// at Opus packets (Ogg, WebM), at AAC or Opus frames (MP4), at samples
// (WAV, one part only).
func cut(w io.Writer, r *os.File, size int64, keep media.Spans) error {
	var head [sniffLen]byte
	n, _ := r.ReadAt(head[:], 0)
	var err error
	kind := sniff(head[:n])
	switch {
	case kind == containerWAV && len(keep) != 1:
		return media.BadAudiof("a WAV recording is cut in one part only") // no browser records WAV
	case kind == containerWebM:
		_, _, err = webm.Cut(w, r, size, keep.Keeps)
	case kind == containerOgg:
		_, err = ogg.Cut(w, r, size, keep.Keeps)
	case kind == containerMP4:
		_, err = mp4.Cut(w, r, size, keep.Keeps)
	case kind == containerWAV:
		_, err = media.CutWAV(w, io.NewSectionReader(r, 0, size), keep[0])
	default:
		return media.BadAudiof("the recording's audio is in no container the server can cut")
	}
	switch {
	case errors.Is(err, webm.ErrNothingKept), errors.Is(err, ogg.ErrNothingKept), errors.Is(err, mp4.ErrNothingKept):
		return media.Invalidf("the selection holds no whole packet of audio: select at least %d ms", media.MinSelection.Milliseconds())
	case errors.Is(err, media.ErrInvalid), errors.Is(err, media.ErrBadAudio):
		return err
	case err != nil:
		return &media.Error{Kind: media.ErrDamaged, Message: "the recording's audio could not be cut: it does not read", Err: err}
	}
	return nil
}

// slicePeaks stretches the part [from, to) (fractions of the whole) of a
// waveform thumbnail over a whole one; nil for none.
func slicePeaks(peaks []byte, from, to float64) []byte {
	if len(peaks) == 0 || to <= from {
		return nil
	}
	out := make([]byte, media.PeakBuckets)
	n := float64(len(peaks))
	for i := range out {
		a := int(n * (from + (to-from)*float64(i)/float64(len(out))))
		b := int(math.Ceil(n * (from + (to-from)*float64(i+1)/float64(len(out)))))
		a, b = min(max(a, 0), len(peaks)-1), min(max(b, a+1), len(peaks))
		out[i] = slices.Max(peaks[a:b])
	}
	return out
}
