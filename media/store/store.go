// Package store keeps the recordings directory: one JSON file per take,
// named recording_YYYYMMDD_HHMMSS.json (the seed app's format), holding the
// audio file as standard padded base64 followed by its metadata:
//
//	{"audio_data":"UklGR...","processing_parameters":{...},"timestamp":"...",...}
//
// audio_data is always the first member, so the audio can be found without
// parsing the rest. Takes can be an hour long, so nothing here holds a whole
// take in memory: Save streams base64 from a reader, and Open returns a
// seekable reader that decodes the base64 in the file on demand.
package store

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/avatarweb/recorder/media"
)

// TimeFormat is how timestamps are written: ISO 8601 in UTC to the
// millisecond, so text order is time order.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// ErrCorrupt marks a recording file whose contents cannot be parsed.
var ErrCorrupt = errors.New("corrupt recording")

const (
	// audioPrefix opens every file Save writes.
	audioPrefix = `{"audio_data":"`

	// chunkDecoded is how many audio bytes are encoded or decoded at a time;
	// a multiple of 3, so each chunk but the last encodes without padding.
	chunkDecoded = 48 << 10
	chunkEncoded = chunkDecoded / 3 * 4

	// MaxSuffix bounds the _2, _3, ... names tried for one second.
	MaxSuffix = 10000
)

var validName = regexp.MustCompile(`^recording_[0-9]{8}_[0-9]{6}(_[0-9]+)?\.json$`)

// ValidName reports whether name is a recording file name:
// recording_YYYYMMDD_HHMMSS.json, optionally with a _N suffix before .json.
// No other name is ever opened or removed.
func ValidName(name string) bool {
	return validName.MatchString(name)
}

// Store is the recordings directory.
type Store struct {
	Dir string           // recordings directory; Save creates it (0o755) on demand
	Now func() time.Time // clock for names and timestamps; nil means time.Now
	// Space is told of every save, so a full disk is logged once per
	// episode and answered with media.ErrDiskFull; nil just marks the error.
	Space *Space
}

// Meta is the metadata saved beside the audio, in the seed app's field names.
type Meta struct {
	ProcessingParameters media.Params     `json:"processing_parameters"`
	Timestamp            string           `json:"timestamp"`         // ISO 8601 UTC with ms; Save fills it from Now if empty
	Duration             float64          `json:"duration"`          // seconds
	WebRTCSessionID      string           `json:"webrtc_session_id"` // empty for mediarecorder takes
	TakeID               string           `json:"take_id,omitempty"` // the take it was saved from, once only
	MIME                 string           `json:"mime"`              // of the audio file: "audio/wav", "audio/webm", ...
	SampleRate           int              `json:"sample_rate"`
	Channels             int              `json:"channels"`
	Mode                 string           `json:"mode"`            // "webrtc" or "mediarecorder"
	Bytes                int64            `json:"bytes"`           // size of the decoded audio file; set by Save
	Stats                map[string]int64 `json:"stats,omitempty"` // counters of the live session (packets, lost, ...)
	// ParamChanges lists where fps or batch size changed during the take.
	ParamChanges []media.ParamChange `json:"param_changes,omitempty"`
	// Title is the name the user gave it; SetMeta writes it.
	Title string `json:"title,omitempty"`
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Save streams audio, which must yield exactly size bytes of an audio file
// (WAV, WebM, ...) and then io.EOF, into a new recording and returns its
// file name. meta.Bytes is set to size and an empty meta.Timestamp to Now.
//
// The name is recording_YYYYMMDD_HHMMSS.json from Now (in the location of
// the time it returns), or the first free of _2.json, _3.json, ...: the file
// is written to a temporary file in Dir, synced, and hard-linked to its name,
// so an existing file is never overwritten and a reader never sees half a
// recording. If audio yields fewer or more than size bytes, fails, or ctx
// ends (checked between chunks), Save returns an error and leaves nothing
// behind; a size mismatch wraps media.ErrInvalid, a full disk
// media.ErrDiskFull.
func (s *Store) Save(ctx context.Context, audio io.Reader, size int64, meta Meta) (filename string, err error) {
	defer func() {
		if err != nil {
			err = s.Space.Check(err)
		} else {
			s.Space.Saved()
		}
	}()
	if size < 0 {
		return "", fmt.Errorf("store: save: negative size %d: %w", size, media.ErrInvalid)
	}
	if err := ctx.Err(); err != nil {
		return "", fmt.Errorf("store: save: %w", err)
	}
	now := s.now()
	if meta.Timestamp == "" {
		meta.Timestamp = now.UTC().Format(TimeFormat)
	}
	meta.Bytes = size
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return "", fmt.Errorf("store: save: encode metadata: %w", err)
	}
	if err := os.MkdirAll(s.Dir, 0o755); err != nil {
		return "", fmt.Errorf("store: save: %w", err)
	}

	tmp, err := writeTemp(ctx, s.Dir, audio, size, metaJSON)
	if err != nil {
		return "", fmt.Errorf("store: save: %w", err)
	}
	defer os.Remove(tmp) // already gone on success

	name, err := linkNew(tmp, s.Dir, now)
	if err != nil {
		return "", fmt.Errorf("store: save: %w", err)
	}
	final := filepath.Join(s.Dir, name)
	if err := os.Remove(tmp); err != nil {
		os.Remove(final)
		return "", fmt.Errorf("store: save %q: remove temporary file: %w", name, err)
	}
	if err := media.SyncDir(s.Dir); err != nil {
		os.Remove(final)
		return "", fmt.Errorf("store: save %q: %w", name, err)
	}
	return name, nil
}

// Ping checks that the recordings directory can be reached (a network
// file system mounted there may not answer), for readiness probes. A
// directory not made yet is fine: Save makes it.
func (s *Store) Ping(ctx context.Context) error {
	if _, err := os.Stat(s.Dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("store: %w", err)
	}
	return nil
}

// SaveWAV is Save for pcmBytes bytes of little-endian int16 interleaved PCM:
// it prepends a media.WAVHeader and sets meta.MIME, SampleRate, Channels and
// Duration from the PCM. pcmBytes must be a whole number of frames.
func (s *Store) SaveWAV(ctx context.Context, pcm io.Reader, pcmBytes int64, sampleRate, channels int, meta Meta) (string, error) {
	audio, size, meta, err := WAV(pcm, pcmBytes, sampleRate, channels, meta)
	if err != nil {
		return "", err
	}
	return s.Save(ctx, audio, size, meta)
}

// WAV turns pcmBytes bytes of little-endian int16 interleaved PCM into a
// WAV file to save, with meta's MIME, SampleRate, Channels and Duration set
// from the PCM: it returns the audio to stream, its size and the metadata.
// pcmBytes must be a whole number of frames.
func WAV(pcm io.Reader, pcmBytes int64, sampleRate, channels int, meta Meta) (io.Reader, int64, Meta, error) {
	frameBytes := 2 * int64(channels)
	switch {
	case sampleRate <= 0 || channels <= 0 || channels > math.MaxUint16 ||
		int64(sampleRate)*frameBytes > math.MaxUint32:
		return nil, 0, meta, fmt.Errorf("store: save wav: bad format %d Hz, %d channels: %w", sampleRate, channels, media.ErrInvalid)
	case pcmBytes < 0 || pcmBytes%frameBytes != 0:
		return nil, 0, meta, fmt.Errorf("store: save wav: %d bytes is not a whole number of %d-byte frames: %w", pcmBytes, frameBytes, media.ErrInvalid)
	case pcmBytes > math.MaxUint32-(media.WAVHeaderSize-8):
		return nil, 0, meta, fmt.Errorf("store: save wav: %d bytes is too long for a WAV file: %w", pcmBytes, media.ErrInvalid)
	}
	info := media.WAVInfo{SampleRate: sampleRate, Channels: channels, DataBytes: pcmBytes}
	meta.MIME = media.WAVMIME
	meta.SampleRate = sampleRate
	meta.Channels = channels
	meta.Duration = info.Duration()
	header := media.WAVHeader(sampleRate, channels, pcmBytes)
	return io.MultiReader(bytes.NewReader(header), pcm), int64(len(header)) + pcmBytes, meta, nil
}

// Names lists the recordings in Dir (none if Dir does not exist yet).
func (s *Store) Names(ctx context.Context) ([]string, error) {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: list: %w", err)
	}
	var names []string
	for _, e := range entries {
		if ValidName(e.Name()) && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Remove deletes a recording. An invalid name wraps media.ErrInvalid; an
// absent one, or one that is not a regular file, wraps media.ErrNotFound.
func (s *Store) Remove(ctx context.Context, filename string) error {
	path, _, err := s.lstat(filename)
	if err != nil {
		return fmt.Errorf("store: remove %q: %w", filename, err)
	}
	if err := os.Remove(path); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = media.NotFoundf("no recording named %q", filename)
		}
		return fmt.Errorf("store: remove %q: %w", filename, err)
	}
	if err := media.SyncDir(s.Dir); err != nil {
		return fmt.Errorf("store: remove %q: %w", filename, err)
	}
	return nil
}

// lstat checks name and returns its path and file info without following
// symbolic links: anything but a regular file counts as absent, so nothing
// outside Dir is ever reached.
func (s *Store) lstat(name string) (string, fs.FileInfo, error) {
	if !ValidName(name) {
		return "", nil, media.Invalidf("%q is not a recording name", name)
	}
	path := filepath.Join(s.Dir, name)
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, media.NotFoundf("no recording named %q", name)
	}
	if err != nil {
		return "", nil, err
	}
	if !fi.Mode().IsRegular() {
		return "", nil, &media.Error{Kind: media.ErrNotFound, Message: fmt.Sprintf("no recording named %q", name), Err: errors.New("not a regular file")}
	}
	return path, fi, nil
}

// writeTemp writes a whole recording to a new temporary file in dir, syncs
// and closes it, and returns its path. On error it leaves nothing behind.
func writeTemp(ctx context.Context, dir string, audio io.Reader, size int64, metaJSON []byte) (path string, err error) {
	f, err := createTemp(dir)
	if err != nil {
		return "", err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err := encode(ctx, f, audio, size, metaJSON); err != nil {
		return "", err
	}
	if err := f.Sync(); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return f.Name(), nil
}

// tempPattern matches the temporary files Save writes a recording to.
const tempPattern = ".recording-*.tmp"

// RemoveStale deletes the temporary files of saves that never finished
// (the process was killed mid-save) and were last written more than
// olderThan ago: 0 at the start of the only node using Dir, or, when
// several nodes share it, long enough that none of them can still be
// writing one. It returns how many it removed.
func (s *Store) RemoveStale(olderThan time.Duration) (int, error) {
	return RemoveStale(s.Dir, tempPattern, olderThan)
}

// RemoveStale deletes the files in dir matching pattern (filepath.Match)
// last modified more than olderThan ago, and says how many.
func RemoveStale(dir, pattern string, olderThan time.Duration) (int, error) {
	paths, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return 0, fmt.Errorf("store: remove stale %s: %w", pattern, err)
	}
	n := 0
	var errs []error
	for _, p := range paths {
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() || time.Since(fi.ModTime()) < olderThan {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		n++
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("store: remove stale %s: %w", pattern, err)
	}
	return n, nil
}

// createTemp creates a file named .recording-*.tmp in dir, which ValidName
// refuses, with the usual 0o644 (less umask) of the seed's files.
func createTemp(dir string) (*os.File, error) {
	for range 100 {
		path := filepath.Join(dir, fmt.Sprintf(".recording-%016x.tmp", rand.Uint64()))
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, errors.New("no free temporary file name")
}

// Encode writes a whole recording to w, one chunk at a time: the
// audio_data member as base64 streamed from audio, which must yield exactly
// size bytes and then io.EOF, then meta's members, with meta.Bytes set to
// size. A size mismatch wraps media.ErrInvalid; ctx is checked between
// chunks. Every store writes its recordings with it.
func Encode(ctx context.Context, w io.Writer, audio io.Reader, size int64, meta Meta) error {
	if size < 0 {
		return fmt.Errorf("negative size %d: %w", size, media.ErrInvalid)
	}
	meta.Bytes = size
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return fmt.Errorf("encode metadata: %w", err)
	}
	return encode(ctx, w, audio, size, metaJSON)
}

// encode writes the recording: the audio_data member streamed from exactly
// size bytes of audio, then the members of metaJSON (a JSON object).
func encode(ctx context.Context, w io.Writer, audio io.Reader, size int64, metaJSON []byte) error {
	raw := make([]byte, chunkDecoded)
	enc := make([]byte, chunkEncoded)
	if _, err := io.WriteString(w, audioPrefix); err != nil {
		return err
	}
	for done := int64(0); done < size; {
		if err := ctx.Err(); err != nil {
			return err
		}
		n := int(min(size-done, chunkDecoded))
		got, err := io.ReadFull(audio, raw[:n])
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("audio ended after %d of %d bytes: %w", done+int64(got), size, media.ErrInvalid)
		}
		if err != nil {
			return fmt.Errorf("read audio: %w", err)
		}
		base64.StdEncoding.Encode(enc, raw[:n])
		if _, err := w.Write(enc[:base64.StdEncoding.EncodedLen(n)]); err != nil {
			return err
		}
		done += int64(n)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// The audio must end here: more bytes mean size was wrong.
	var extra [1]byte
	if got, err := io.ReadFull(audio, extra[:]); got > 0 {
		return fmt.Errorf("audio longer than %d bytes: %w", size, media.ErrInvalid)
	} else if !errors.Is(err, io.EOF) {
		return fmt.Errorf("read audio: %w", err)
	}
	// Close the string and splice in the other members: `","timestamp":...}`.
	tail := make([]byte, 0, len(metaJSON)+1)
	tail = append(tail, `",`...)
	tail = append(tail, metaJSON[1:]...)
	_, err := w.Write(tail)
	return err
}

// NameFor returns the i-th name a recording saved at now may take, i from
// 1 to MaxSuffix: recording_YYYYMMDD_HHMMSS.json (in now's location) for
// 1, then _2.json, _3.json, ... Every store tries them in order and takes
// the first free one, never overwriting a recording.
func NameFor(now time.Time, i int) (string, error) {
	base := now.Format("recording_20060102_150405")
	name := base + ".json"
	if i > 1 {
		name = base + "_" + strconv.Itoa(i) + ".json"
	}
	if i < 1 || i > MaxSuffix || !ValidName(name) {
		return "", fmt.Errorf("no valid recording name %d for %s", i, base)
	}
	return name, nil
}

// linkNew hard-links tmp to the first free recording name for now in dir and
// returns that name. os.Link fails on an existing name, so nothing is ever
// overwritten, even by a concurrent Save.
//
// A name whose recording is in the trash is not free: a deletion moves the
// file aside before it deletes the row, and removes the file from the
// trash only after the row is gone. Checked after linking, so a deletion
// that starts meanwhile is seen too.
func linkNew(tmp, dir string, now time.Time) (string, error) {
	for i := 1; i <= MaxSuffix; i++ {
		name, err := NameFor(now, i)
		if err != nil {
			return "", err
		}
		err = os.Link(tmp, filepath.Join(dir, name))
		if err == nil && beingDeleted(dir, name) {
			// The name is free only because a recording of that name is
			// being deleted: its row may still be in the index. Taking it
			// would make our row collide with that one; take the next.
			os.Remove(filepath.Join(dir, name))
			continue
		}
		if err == nil {
			return name, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("no free name for %s after %d tries", now.Format("recording_20060102_150405"), MaxSuffix)
}

// beingDeleted reports whether recording name is in the trash.
func beingDeleted(dir, name string) bool {
	_, err := os.Lstat(filepath.Join(dir, TrashPrefix+name))
	return err == nil
}
