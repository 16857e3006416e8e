package library

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/store"
)

// Reconciler is what reconciling the directory with the index needs of
// the database beyond Index.
type Reconciler interface {
	Filenames(ctx context.Context) (map[string]bool, error)
	SetMissing(ctx context.Context, filename string, missing bool) error
	DamagedFilenames(ctx context.Context) (map[string]bool, error)
	SetDamaged(ctx context.Context, filename string, damaged bool) error
}

// RecoverSpools turns every live take left in the spool directory by a
// crash, a killed process or a shutdown into a saved recording, with all
// the audio that reached the disk (the spool is flushed every second). A
// take that is a recording already (killed after its file was written,
// before its draft was removed) only loses its draft: call Reconcile
// first, so a recording file whose row the crash prevented is known.
//
// It saves rather than restoring drafts because a draft belongs to a page
// and a session that no longer exist: nobody could press Save. A saved
// recording is listed, titled "Recovered …" (or with the title its user gave
// when a save the crash cut short began), and can be played or deleted.
func (l *Library) RecoverSpools(ctx context.Context, dir string) (int, error) {
	metas, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return 0, fmt.Errorf("library: recover spools: %w", err)
	}
	n := 0
	for _, metaPath := range metas {
		saved, err := l.recoverSpool(ctx, metaPath)
		if err != nil {
			l.Log.Error("could not recover a take; its spool is left in place", "spool", metaPath, "err", err)
			continue
		}
		if saved {
			n++
		}
	}
	return n, nil
}

func (l *Library) recoverSpool(ctx context.Context, metaPath string) (bool, error) {
	meta, err := media.ReadSpoolMeta(metaPath)
	if err != nil {
		return false, err
	}
	pcmPath := strings.TrimSuffix(metaPath, ".json") + ".pcm"
	remove := func() error {
		return errors.Join(ignoreMissing(os.Remove(pcmPath)), ignoreMissing(os.Remove(metaPath)))
	}
	f, err := os.Open(pcmPath)
	if errors.Is(err, fs.ErrNotExist) {
		return false, remove()
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return false, err
	}
	frame := int64(2 * meta.Channels)
	pcmBytes := st.Size() / frame * frame // a crash may cut the last sample
	if pcmBytes == 0 {
		return false, remove()
	}
	take := recovered(meta, pcmPath, pcmBytes)
	title := meta.Title // given when a save the crash cut short began
	if title == "" {
		title = media.RecoveredTitle(meta.StartedAt)
	}
	rec, err := l.saveTake(ctx, take, 0, title)
	var saved *media.SavedError
	if errors.As(err, &saved) {
		// Killed while saving it: the recording was written, the draft
		// not yet removed. Finish that save instead of saving it again.
		l.Log.Info("finished a save a crash interrupted", "session_id", meta.SessionID, "filename", saved.Filename)
		l.takes.remember(sessionKey(meta.SessionID), saved.Filename, l.now())
		return false, remove()
	}
	if err != nil {
		return false, err
	}
	l.Log.Info("recovered a take left by a crash or shutdown", "session_id", meta.SessionID,
		"filename", rec.Filename, "duration_s", rec.Duration)
	// Its page may come back asking for the session: tell it what became
	// of it (SessionSavedAs).
	l.takes.remember(sessionKey(meta.SessionID), rec.Filename, l.now())
	return true, remove()
}

// Reconcile makes the index agree with the recordings directory: a file
// without a row gets a row (from the file's own metadata), a row without a
// file is flagged missing (cleared again if the file returns), and a file
// that fails a cheap check (see readable) is flagged damaged, with a
// warning, so the list shows it and playing it says why it cannot.
func (l *Library) Reconcile(ctx context.Context, r Reconciler) error {
	rows, err := r.Filenames(ctx)
	if err != nil {
		return err
	}
	wasDamaged, err := r.DamagedFilenames(ctx)
	if err != nil {
		return err
	}
	names, err := l.Store.Names(ctx)
	if err != nil {
		return fmt.Errorf("library: reconcile: %w", err)
	}
	onDisk := map[string]bool{}
	for _, name := range names {
		onDisk[name] = true
		if _, indexed := rows[name]; !indexed {
			if err := l.indexFile(ctx, name); err != nil {
				l.Log.Error("a recording file has no row and could not be indexed", "filename", name, "err", err)
				continue
			}
		}
		if err := l.checkFile(ctx, r, name, wasDamaged[name]); err != nil {
			return err
		}
	}
	for name, missing := range rows {
		if onDisk[name] == !missing {
			continue // consistent: present and not flagged, or absent and flagged
		}
		if !onDisk[name] {
			l.Log.Warn("a recording's file is missing; its row is flagged", "filename", name)
		}
		if err := r.SetMissing(ctx, name, !onDisk[name]); err != nil {
			return err
		}
	}
	return nil
}

// checkFile flags a recording damaged, or clears the flag, by what
// readable finds. A file that cannot be read for another reason (an I/O
// error) is logged and left as it was.
func (l *Library) checkFile(ctx context.Context, r Reconciler, name string, flagged bool) error {
	err := l.readable(ctx, name)
	isDamaged := errors.Is(err, store.ErrCorrupt)
	if err != nil && !isDamaged {
		l.Log.Error("could not check a recording file", "filename", name, "err", err)
		return nil
	}
	if isDamaged == flagged {
		return nil
	}
	if isDamaged {
		l.Log.Warn("a recording's file is damaged and cannot be played; its row is flagged", "filename", name, "err", err)
	} else {
		l.Log.Info("a recording's file reads again; its damaged flag is cleared", "filename", name)
	}
	return r.SetDamaged(ctx, name, isDamaged)
}

// readable is the cheap check made of every recording file at start: it
// opens as the store reads it (audio_data first, the base64 the length the
// metadata says, the metadata after it parses), and its audio starts with
// the header of a container the server reads. It does not decode the
// whole audio. A file that fails wraps store.ErrCorrupt.
func (l *Library) readable(ctx context.Context, name string) error {
	rec, err := l.Store.Open(ctx, name)
	if err != nil {
		return err
	}
	defer rec.Close()
	var head [sniffLen]byte
	n, err := io.ReadFull(rec.Audio, head[:])
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read audio: %w: %w", store.ErrCorrupt, err)
	}
	if sniff(head[:n]) == unknown {
		return fmt.Errorf("the audio starts with %x, no container the server reads: %w", head[:n], store.ErrCorrupt)
	}
	return nil
}

// damaged is the error for a recording whose file cannot be read.
func damaged(name string, cause error) error {
	return &media.Error{Kind: media.ErrDamaged, Err: cause,
		Message: fmt.Sprintf("the file of %s is damaged and cannot be played; it can still be deleted", name)}
}

// indexFile adds the row of a recording file that has none, from the
// metadata the file carries.
func (l *Library) indexFile(ctx context.Context, name string) error {
	rec, err := l.Store.Open(ctx, name)
	if err != nil {
		return err
	}
	defer rec.Close()
	if l.Grace > 0 && time.Since(rec.ModTime) < l.Grace {
		// Another node sharing the store may have just written it, and be
		// about to write its row: leave it to that node.
		l.Log.Debug("a new recording file without a row is left to the node saving it", "filename", name)
		return nil
	}
	m := rec.Meta
	created, err := time.Parse(store.TimeFormat, m.Timestamp)
	if err != nil {
		created = rec.ModTime
	}
	mode := m.Mode
	if mode != ModeWebRTC && mode != ModeMediaRecorder {
		mode = ModeMediaRecorder // a file from the seed app: recorded in the browser
	}
	row := &media.Recording{
		Filename: name, CreatedAt: created, Duration: m.Duration,
		SampleRate: m.SampleRate, Channels: m.Channels,
		FPS: m.ProcessingParameters.FPS, BatchSize: m.ProcessingParameters.BatchSize,
		Mode: mode, MIME: m.MIME, Bytes: rec.Size, SessionID: m.WebRTCSessionID,
		TakeID: m.TakeID, Title: m.Title,
	}
	if err := l.Index.InsertRecording(ctx, row); err != nil {
		return err
	}
	l.Log.Info("indexed a recording file that had no row", "filename", name)
	return nil
}

func ignoreMissing(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// recovered describes a spool left behind as the take it was.
func recovered(meta media.SpoolMeta, pcmPath string, pcmBytes int64) media.Take {
	return media.Take{
		SessionID: meta.SessionID, TakeID: meta.TakeID, SpoolPath: pcmPath,
		SampleRate: meta.SampleRate, Channels: meta.Channels, Params: meta.Params,
		PCMBytes: pcmBytes, StartedAt: meta.StartedAt,
	}
}
