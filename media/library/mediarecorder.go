package library

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/pion/opus"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mp4"
	"github.com/avatarweb/recorder/media/store"
	"github.com/avatarweb/recorder/media/webm"
)

// Uploads hands over MediaRecorder takes uploaded in chunks.
type Uploads interface {
	TakeID(id string) (string, error)
	Finish(id string) (path string, size int64, mime string, err error)
	Remove(id string) error
}

// WebMOpus is what a fixed Chromium/Firefox take is labelled.
const WebMOpus = "audio/webm;codecs=opus"

// SaveUpload turns a finished MediaRecorder upload into a recording and
// removes the upload. p are the processing parameters in force. Like a
// live take, an upload is saved once: a save or discard of it while this
// one runs, or after, is refused with a conflict.
func (l *Library) SaveUpload(ctx context.Context, uploadID string, clientDuration float64, p media.Params) (*db.Recording, error) {
	var rec *db.Recording
	err := l.once(uploadKey(uploadID), saving, func() (string, error) {
		path, size, mime, err := l.Uploads.Finish(uploadID)
		if err != nil {
			return "", err
		}
		takeID, err := l.Uploads.TakeID(uploadID)
		if err != nil {
			return "", err
		}
		if err := l.checkNotSaved(ctx, takeID); err != nil {
			if media.SavedAs(err) != "" {
				// Killed after saving it, before removing it: it is only a
				// copy now.
				l.removeUpload(uploadID)
			}
			return "", err
		}
		if rec, err = l.saveAudioFile(ctx, path, size, mime, clientDuration, p, takeID); err != nil {
			return "", err
		}
		l.removeUpload(uploadID)
		return rec.Filename, nil
	})
	return rec, err
}

// removeUpload drops a saved upload.
func (l *Library) removeUpload(uploadID string) {
	if err := l.Uploads.Remove(uploadID); err != nil {
		l.Log.Warn("saved, but the upload could not be removed", "upload_id", uploadID, "err", err)
	}
}

// DiscardUpload deletes an upload, unless it is being saved or was saved:
// that is a conflict.
func (l *Library) DiscardUpload(uploadID string) error {
	return l.discard(uploadKey(uploadID), func() error { return l.Uploads.Remove(uploadID) })
}

// SaveAudio saves a whole take sent in one piece (the seed's base64
// audio_data): it is spooled to a temp file in dir first, then treated as
// an upload.
func (l *Library) SaveAudio(ctx context.Context, audio []byte, declaredMIME string, clientDuration float64, p media.Params) (*db.Recording, error) {
	tmp, err := os.CreateTemp(l.Store.Dir, ".audio-*.tmp")
	if err != nil {
		if err := os.MkdirAll(l.Store.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("library: spool audio: %w", err)
		}
		if tmp, err = os.CreateTemp(l.Store.Dir, ".audio-*.tmp"); err != nil {
			return nil, fmt.Errorf("library: spool audio: %w", err)
		}
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(audio)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("library: spool audio: %w", err)
	}
	return l.saveAudioFile(ctx, tmp.Name(), int64(len(audio)), declaredMIME, clientDuration, p, "")
}

// saveAudioFile measures a browser-recorded file and saves it. What is
// stored is the server's reading of the audio, not the client's labels:
// a WebM take is probed, given a real duration and cues (Chromium writes
// neither, so players could not seek), and labelled by what is in it.
// takeID, if not "", is stored with it: the take is then saved only once.
func (l *Library) saveAudioFile(ctx context.Context, path string, size int64, declaredMIME string, clientDuration float64, p media.Params, takeID string) (*db.Recording, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("library: open take: %w", err)
	}
	defer f.Close()
	var head [12]byte
	n, _ := f.ReadAt(head[:], 0)
	var m measured
	switch sniff(head[:n]) {
	case "webm":
		m, err = l.fixWebM(f, size)
	case "wav":
		m, err = measureWAV(f, size)
	case "mp4":
		m, err = measureMP4(f, size)
	case "ogg":
		m, err = measureOther(f, size, "audio/ogg", clientDuration)
	default:
		m, err = measureOther(f, size, declaredMIME, clientDuration)
	}
	if err != nil {
		return nil, err
	}
	defer m.close()
	if m.duration <= 0 {
		return nil, media.Invalidf("nothing was recorded: the take holds no audio")
	}
	return l.saveMeasured(ctx, m, clientDuration, p, takeID)
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

func (l *Library) saveMeasured(ctx context.Context, m measured, clientDuration float64, p media.Params, takeID string) (*db.Recording, error) {
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
	}
	name, err := l.Store.Save(ctx, m.audio, m.size, meta)
	if err != nil {
		return nil, fmt.Errorf("library: save take: %w", err)
	}
	rec := &db.Recording{
		Filename: name, CreatedAt: now, Duration: m.duration,
		SampleRate: m.sampleRate, Channels: m.channels, FPS: p.FPS, BatchSize: p.BatchSize,
		Mode: ModeMediaRecorder, MIME: m.mime, Bytes: m.size,
		ClientDuration: clientDuration, Peaks: m.peaks, TakeID: meta.TakeID,
		Waveform: media.WaveformPath(m.peaks),
	}
	if err := l.index(ctx, rec); err != nil {
		return nil, err
	}
	l.Log.Info("recording saved", "filename", name, "mode", ModeMediaRecorder, "mime", m.mime,
		"duration_s", m.duration, "client_duration_s", clientDuration, "bytes", m.size)
	return rec, nil
}

// fixWebM probes the take, refuses an empty one, and writes the fixed
// copy (duration, cues, known sizes) next to it.
func (l *Library) fixWebM(f *os.File, size int64) (measured, error) {
	info, err := webm.Probe(f, size)
	if err != nil {
		return measured{}, &media.Error{Kind: media.ErrInvalid, Message: "the recording is not a readable WebM file", Err: err}
	}
	if info.Blocks == 0 {
		return measured{}, media.Invalidf("nothing was recorded: the WebM file has headers but no audio")
	}
	fixed, err := os.CreateTemp(filepath.Dir(f.Name()), ".fixed-*.webm")
	if err != nil {
		return measured{}, fmt.Errorf("library: fix webm: %w", err)
	}
	cleanup := func() { fixed.Close(); os.Remove(fixed.Name()) }
	out, err := webm.Fix(fixed, f, size)
	if err == nil {
		_, err = fixed.Seek(0, io.SeekStart)
	}
	var fixedSize int64
	if err == nil {
		fixedSize, err = fixed.Seek(0, io.SeekEnd)
	}
	if err == nil {
		_, err = fixed.Seek(0, io.SeekStart)
	}
	if err != nil {
		cleanup()
		return measured{}, fmt.Errorf("library: fix webm: %w", err)
	}
	mime := WebMOpus
	if out.Codec != webm.CodecOpus {
		mime = "audio/webm"
	}
	peaks, err := webmPeaks(fixed, fixedSize, out)
	if err != nil {
		l.Log.Warn("no waveform for the take", "err", err)
	}
	if _, err := fixed.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return measured{}, fmt.Errorf("library: fix webm: %w", err)
	}
	return measured{
		audio: fixed, size: fixedSize, mime: mime, sampleRate: out.SampleRate, channels: out.Channels,
		duration: out.Duration.Seconds(), peaks: peaks, cleanup: cleanup,
	}, nil
}

// webmPeaks decodes the Opus track packet by packet for the waveform.
func webmPeaks(r io.ReaderAt, size int64, info webm.Info) ([]byte, error) {
	if info.Codec != webm.CodecOpus || info.Duration <= 0 {
		return nil, nil
	}
	channels := max(1, min(info.Channels, 2))
	dec, err := opus.NewDecoderWithOutput(media.OpusRate, channels)
	if err != nil {
		return nil, err
	}
	total := int64(info.Duration.Seconds() * media.OpusRate)
	peaks := make([]byte, media.PeakBuckets)
	pcm := make([]float32, media.OpusRate*120/1000*channels)
	var at int64
	err = webm.Packets(r, size, func(_ time.Duration, packet []byte) error {
		n, err := dec.DecodeToFloat32(packet, pcm)
		if err != nil {
			return nil // a damaged packet just leaves its span flat
		}
		for i := range n {
			b := int(min(at*int64(media.PeakBuckets)/max(total, 1), media.PeakBuckets-1))
			for c := range channels {
				peaks[b] = max(peaks[b], media.Level(pcm[i*channels+c]))
			}
			at++
		}
		return nil
	})
	return peaks, err
}

// measureWAV reads a WAV take's header for its format and duration.
func measureWAV(f *os.File, size int64) (measured, error) {
	info, err := media.ReadWAVHeader(f)
	if err != nil {
		return measured{}, &media.Error{Kind: media.ErrInvalid, Message: "the recording is not a 16-bit PCM WAV file", Err: err}
	}
	frames := info.DataBytes / int64(2*info.Channels)
	peaks, err := media.Peaks(f, info.Channels, frames, media.PeakBuckets)
	if err != nil {
		return measured{}, &media.Error{Kind: media.ErrInvalid, Message: "the WAV file is shorter than its header says", Err: err}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return measured{}, err
	}
	return measured{
		audio: f, size: size, mime: media.WAVMIME, sampleRate: info.SampleRate, channels: info.Channels,
		duration: info.Duration(), peaks: peaks,
	}, nil
}

// measureMP4 reads an MP4 take (Safari records AAC in fragmented MP4):
// format and duration from the boxes. There is no AAC decoder here, so
// it gets no waveform. The duration counts the encoder's priming samples
// (about 21 ms) that an edit list may tell players to skip.
func measureMP4(f *os.File, size int64) (measured, error) {
	info, err := mp4.Probe(f, size)
	if err != nil {
		return measured{}, &media.Error{Kind: media.ErrInvalid, Message: "the recording is not a readable MP4 file", Err: err}
	}
	mime := "audio/mp4"
	switch info.Codec {
	case mp4.CodecAAC:
		mime = "audio/mp4;codecs=mp4a.40.2"
	case "Opus":
		mime = "audio/mp4;codecs=opus"
	}
	return measured{
		audio: f, size: size, mime: mime, sampleRate: info.SampleRate, channels: info.Channels,
		duration: info.Duration.Seconds(),
	}, nil
}

// measureOther stores a container the server cannot read yet (Ogg) as it
// came. Its duration is the client's figure: the one field that is not
// the server's own measurement.
func measureOther(f *os.File, size int64, mime string, clientDuration float64) (measured, error) {
	if mime == "" || !bytes.HasPrefix([]byte(mime), []byte("audio/")) {
		return measured{}, media.Invalidf("unrecognized audio: send WebM, WAV, MP4 or Ogg with its audio/* type")
	}
	return measured{audio: f, size: size, mime: mime, duration: clientDuration}, nil
}

// sniff names a container from its first bytes.
func sniff(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return "webm"
	case len(head) >= 12 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WAVE":
		return "wav"
	case len(head) >= 8 && string(head[4:8]) == "ftyp":
		return "mp4"
	case bytes.HasPrefix(head, []byte("OggS")):
		return "ogg"
	}
	return ""
}
