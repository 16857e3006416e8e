package library

import (
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/disk"
	"github.com/avatarweb/recorder/media/store"
)

// Uploads hands over MediaRecorder takes uploaded in chunks.
type Uploads interface {
	TakeID(id string) (string, error)
	SetTitle(id, title string) error
	Finish(id string) (path string, size int64, mime string, err error)
	Remove(id string) error
	// Preview opens what an upload holds so far: the file and how many
	// of its bytes are the take.
	Preview(id string) (*os.File, int64, string, error)
	// Recovered names the recording a start of the server made of an
	// upload, and of how many of its bytes; MarkRecovered notes it.
	Recovered(id string) (filename string, bytes int64, err error)
	MarkRecovered(id, filename string, bytes int64) error
	// Pauses returns where the page paused an upload, and how long it
	// recorded outside its pauses, as the page last said.
	Pauses(id string) ([]media.Selection, time.Duration, error)
}

// SaveUpload turns a finished MediaRecorder upload into a recording
// titled title ("" for none) and removes the upload. p are the processing
// parameters in force. Like a live take, an upload is saved once: a save
// or discard of it while this one runs, or after, is refused with a
// conflict. The title is kept with the upload first, for recovery should
// a crash cut the save short. Pauses the page sent as it recorded
// (SetPauses) are cut out as SaveUploadPaused cuts them.
func (l *Library) SaveUpload(ctx context.Context, uploadID string, clientDuration float64, p media.Params, title string) (*media.Recording, error) {
	rec, _, err := l.SaveUploadPaused(ctx, uploadID, clientDuration, nil, p, title)
	return rec, err
}

// SaveUploadPaused is SaveUpload of a take paused at pauses (on the
// recorder's clock; checked by media.CheckPauses): should the browser
// have recorded on through them (see media.RecordedThroughPauses), they
// are cut out of the take before it is saved, and cut reports it (a
// moment of the take as the browser had it is then at
// media.Unpaused of it in the recording).
func (l *Library) SaveUploadPaused(ctx context.Context, uploadID string, clientDuration float64, pauses []media.Selection, p media.Params, title string) (rec *media.Recording, cut bool, err error) {
	err = l.once(uploadKey(uploadID), saving, func() (string, error) {
		if title != "" {
			if err := l.Uploads.SetTitle(uploadID, title); err != nil {
				return "", l.Space.Check(err)
			}
		}
		path, size, _, err := l.Uploads.Finish(uploadID)
		if err != nil {
			return "", err
		}
		takeID, err := l.Uploads.TakeID(uploadID)
		if err != nil {
			return "", err
		}
		prev, _, err := l.Uploads.Recovered(uploadID)
		if err != nil {
			return "", err
		}
		if err := l.checkNotSaved(ctx, takeID); err != nil {
			if saved := media.SavedAs(err); saved != "" {
				// Killed after saving it, before removing it: it is only a
				// copy now.
				l.dropRecovered(ctx, prev, saved)
				l.removeUpload(uploadID)
			}
			return "", err
		}
		if len(pauses) == 0 { // a save without the page: the pauses it sent before
			pauses, clientDuration = l.keptPauses(uploadID, clientDuration)
		}
		if rec, cut, err = l.saveAudioFile(ctx, path, size, clientDuration, pauses, p, takeID, title); err != nil {
			return "", err
		}
		// The whole take is saved: the part a restart recovered goes.
		l.dropRecovered(ctx, prev, rec.Filename)
		l.removeUpload(uploadID)
		return rec.Filename, nil
	})
	return rec, cut, err
}

// keptPauses returns the pauses the page sent for upload id as it
// recorded, and the recorded time to judge them by: the save's own
// (clientDuration), or else the page's last word.
func (l *Library) keptPauses(uploadID string, clientDuration float64) ([]media.Selection, float64) {
	pauses, recorded, err := l.Uploads.Pauses(uploadID)
	if err != nil {
		l.Log.Warn("the pauses kept with an upload could not be read", "upload_id", uploadID, "err", err)
		return nil, clientDuration
	}
	if clientDuration <= 0 {
		clientDuration = recorded.Seconds()
	}
	return pauses, clientDuration
}

// removeUpload drops a saved upload.
func (l *Library) removeUpload(uploadID string) {
	if err := l.Uploads.Remove(uploadID); err != nil {
		l.Log.Warn("saved, but the upload could not be removed", "upload_id", uploadID, "err", err)
	}
}

// DiscardUpload deletes an upload, unless it is being saved or was saved:
// that is a conflict. The recording a restart recovered from part of it
// goes too: the user discarded the whole take.
func (l *Library) DiscardUpload(ctx context.Context, uploadID string) error {
	return l.discard(uploadKey(uploadID), func() error {
		prev, _, err := l.Uploads.Recovered(uploadID)
		if err != nil {
			return err
		}
		if err := l.Uploads.Remove(uploadID); err != nil {
			return err
		}
		l.dropRecovered(ctx, prev, "")
		return nil
	})
}

// Temporary files in Scratch: a whole take sent in one piece, and a WebM
// take rewritten with its duration.
const (
	scratchAudio = ".audio-*.tmp"
	scratchFixed = ".fixed-*.webm"
)

// RemoveStale deletes what saves that never finished (the process was
// killed mid-save) left behind: temporary files in Scratch (the spool
// directory: a draft's sidecar half rewritten too), and the
// store's own when it keeps any (a directory: those older than Grace,
// since another node sharing it may be writing one). Call it at start.
func (l *Library) RemoveStale() int {
	n := 0
	for _, pattern := range []string{scratchAudio, scratchFixed, media.SpoolMetaTemp} {
		m, err := disk.RemoveStale(l.Scratch, pattern, 0)
		if err != nil {
			l.Log.Warn("could not remove what an interrupted save left", "err", err)
		}
		n += m
	}
	if s, ok := l.Store.(interface {
		RemoveStale(time.Duration) (int, error)
	}); ok {
		m, err := s.RemoveStale(l.Grace)
		if err != nil {
			l.Log.Warn("could not remove what an interrupted save left", "err", err)
		}
		n += m
	}
	return n
}

// SaveAudio saves a whole take sent in one piece (the seed's base64
// audio_data): it is spooled to a temp file in dir first, then treated as
// an upload. The client's MIME type is not used: the bytes say what they
// are.
func (l *Library) SaveAudio(ctx context.Context, audio []byte, _ string, clientDuration float64, p media.Params, title string) (*media.Recording, error) {
	tmp, err := os.CreateTemp(l.Scratch, scratchAudio)
	if err != nil {
		if err := os.MkdirAll(l.Scratch, 0o755); err != nil {
			return nil, l.Space.Check(fmt.Errorf("library: spool audio: %w", err))
		}
		if tmp, err = os.CreateTemp(l.Scratch, scratchAudio); err != nil {
			return nil, l.Space.Check(fmt.Errorf("library: spool audio: %w", err))
		}
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(audio)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, l.Space.Check(fmt.Errorf("library: spool audio: %w", err))
	}
	rec, _, err := l.saveAudioFile(ctx, tmp.Name(), int64(len(audio)), clientDuration, nil, p, "", title)
	return rec, err
}

// saveAudioFile measures a browser-recorded file and saves it. What is
// stored is the server's reading of the audio, never the client's labels:
// the container is recognised from the first bytes and must parse, the
// duration is measured, the type stored is one of the fixed few (see
// containers.go), and a WebM take is given a real duration and cues
// (Chromium writes neither, so players could not seek). takeID, if not
// "", is stored with it: the take is then saved only once. A take that
// holds its pauses is saved without them (see cutPauses).
func (l *Library) saveAudioFile(ctx context.Context, path string, size int64, clientDuration float64, pauses []media.Selection, p media.Params, takeID, title string) (rec *media.Recording, cut bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("library: open take: %w", err)
	}
	defer f.Close()
	m, err := l.measure(f, size)
	if err != nil {
		return nil, false, l.Space.Check(err) // fixing a WebM take writes a copy
	}
	defer m.close()
	if m.duration <= 0 {
		return nil, false, media.Invalidf("nothing was recorded: the take holds no audio")
	}
	if cut = media.RecordedThroughPauses(seconds(m.duration), seconds(clientDuration), pauses); cut {
		without, err := l.cutPauses(f, size, m.duration, pauses)
		if err != nil {
			return nil, false, err
		}
		defer without.close()
		m = without
	}
	rec, err = l.saveMeasured(ctx, m, clientDuration, p, takeID, title)
	return rec, cut, err
}

// cutPauses cuts the pauses out of a take that recorded on through them,
// at packets and without re-encoding as a trim cuts (see cut), and
// measures what is left.
func (l *Library) cutPauses(f *os.File, size int64, duration float64, pauses []media.Selection) (measured, error) {
	keep := media.WithoutPauses(pauses, seconds(duration))
	m, err := l.cutFile(f, size, keep)
	if err != nil {
		return measured{}, l.Space.Check(err)
	}
	l.Log.Info("the browser recorded on through its pauses: cut out", "pauses", len(pauses),
		"paused_s", media.PausedTotal(pauses).Seconds(), "duration_s", duration, "cut_duration_s", m.duration)
	return m, nil
}

// seconds is a duration of s seconds.
func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second))
}

// measured is a take ready to store: the bytes to write and what they hold.
type measured struct {
	audio      io.Reader
	size       int64
	mime       string
	sampleRate int
	channels   int
	duration   float64
	peaks      []byte
	cleanup    func()
}

func (m measured) close() {
	if m.cleanup != nil {
		m.cleanup()
	}
}

func (l *Library) saveMeasured(ctx context.Context, m measured, clientDuration float64, p media.Params, takeID, title string) (*media.Recording, error) {
	now := l.now()
	stats := map[string]int64{}
	if clientDuration > 0 {
		stats["client_duration_ms"] = int64(clientDuration * 1000)
	}
	meta := store.Meta{
		ProcessingParameters: p,
		Timestamp:            now.UTC().Format(store.TimeFormat),
		Duration:             m.duration,
		MIME:                 m.mime,
		SampleRate:           m.sampleRate,
		Channels:             m.channels,
		Mode:                 ModeMediaRecorder,
		Stats:                stats,
		TakeID:               takeID,
		Title:                title,
	}
	name, err := l.Store.Save(ctx, m.audio, m.size, meta)
	if err != nil {
		return nil, fmt.Errorf("library: save take: %w", err)
	}
	rec := &media.Recording{
		Filename: name, CreatedAt: now, Duration: m.duration,
		SampleRate: m.sampleRate, Channels: m.channels, FPS: p.FPS, BatchSize: p.BatchSize,
		Mode: ModeMediaRecorder, MIME: m.mime, Bytes: m.size,
		ClientDuration: clientDuration, Peaks: m.peaks, TakeID: meta.TakeID,
		Waveform: media.WaveformPath(m.peaks), Title: title,
	}
	if err := l.index(ctx, rec); err != nil {
		return nil, err
	}
	l.Log.Info("recording saved", "filename", name, "mode", ModeMediaRecorder, "mime", m.mime,
		"duration_s", m.duration, "client_duration_s", clientDuration, "bytes", m.size)
	return rec, nil
}
