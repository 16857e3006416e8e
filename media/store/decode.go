package store

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

const (
	// tailWindow is how much of a file's end Open reads to find where the
	// base64 ends; the metadata after it is far smaller.
	tailWindow = 64 << 10

	// maxMetaSize bounds the metadata Open reads when the tail window did
	// not hold all of it.
	maxMetaSize = 1 << 20

	// maxLegacySize bounds the files Open decodes whole into memory: those
	// not starting with audio_data, such as the Python seed's.
	maxLegacySize = 1 << 30
)

// Recording is an open recording: its metadata and a seekable reader over
// the decoded audio file, for HTTP Range requests. Close it when done. A
// Recording is not safe for concurrent use: open one per reader.
type Recording struct {
	Filename string
	Meta     Meta
	Size     int64         // length of the decoded audio file
	ModTime  time.Time     // of the recording file
	Audio    io.ReadSeeker // the decoded audio file: Size bytes

	closer io.Closer // the file behind Audio; nil once closed, or for legacy files read whole
}

// Close releases the recording's file. It is safe to call more than once.
func (r *Recording) Close() error {
	f := r.closer
	if f == nil {
		return nil
	}
	r.closer = nil
	if err := f.Close(); err != nil {
		return fmt.Errorf("store: close %q: %w", r.Filename, err)
	}
	return nil
}

// Load reads the layout of a recording file of size bytes, read through f
// (a local file, or ranged reads of an object), and returns it open. The
// Recording's Close closes closer, which Load closes itself when it fails
// or when it read the file whole. Every store's Open ends here.
func Load(f io.ReaderAt, size int64, modTime time.Time, closer io.Closer) (*Recording, error) {
	rec, err := load(f, size, modTime, closer)
	if err != nil || rec.closer == nil {
		if cerr := closer.Close(); err == nil && cerr != nil {
			return nil, cerr
		}
	}
	if err != nil {
		return nil, err
	}
	return rec, nil
}

func load(f io.ReaderAt, size int64, modTime time.Time, closer io.Closer) (*Recording, error) {
	rec := &Recording{ModTime: modTime}

	var head [len(audioPrefix)]byte
	if size >= int64(len(head)) {
		if _, err := f.ReadAt(head[:], 0); err != nil {
			return nil, err
		}
	}
	if string(head[:]) == audioPrefix {
		l, err := locate(f, size)
		if err == nil {
			rec.Meta, rec.Size = l.meta, l.size
			rec.Audio = newB64Reader(io.NewSectionReader(f, int64(len(audioPrefix)), l.encLen), l.size)
			rec.closer = closer
			return rec, nil
		}
		if !errors.Is(err, errNotPlain) {
			return nil, err
		}
	}

	if size > maxLegacySize {
		return nil, fmt.Errorf("%d-byte file not in the streaming layout is too large to load: %w", size, ErrCorrupt)
	}
	meta, audio, err := loadWhole(io.NewSectionReader(f, 0, size))
	if err != nil {
		return nil, err
	}
	rec.Meta, rec.Size, rec.Audio = meta, int64(len(audio)), bytes.NewReader(audio)
	return rec, nil
}

// loadWhole decodes a whole recording file of any key order into memory.
func loadWhole(r io.Reader) (Meta, []byte, error) {
	var doc struct {
		AudioData *string `json:"audio_data"`
		Meta
	}
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return Meta{}, nil, fmt.Errorf("decode JSON: %w: %w", ErrCorrupt, err)
	}
	if doc.AudioData == nil {
		return Meta{}, nil, fmt.Errorf("no audio_data: %w", ErrCorrupt)
	}
	audio, err := base64.StdEncoding.DecodeString(*doc.AudioData)
	if err != nil {
		return Meta{}, nil, fmt.Errorf("decode audio_data: %w: %w", ErrCorrupt, err)
	}
	return doc.Meta, audio, nil
}

// errNotPlain reports an audio_data string holding something other than
// base64 characters (JSON escapes such as \/), which only the JSON decoder
// can read.
var errNotPlain = errors.New("audio_data is not plain base64")

// layout is where the audio lies in a file that starts with audioPrefix.
type layout struct {
	encLen int64 // length of the base64 text, from offset len(audioPrefix)
	size   int64 // length of the decoded audio
	meta   Meta
}

// locate finds the quote that ends the base64 text and decodes the members
// after it. It first tries the file's tail; if that does not end in plain
// base64, a quote and the metadata, it scans the base64 from its start.
func locate(r io.ReaderAt, fileSize int64) (layout, error) {
	if l, err := locateTail(r, fileSize); err == nil {
		return l, nil
	}
	return locateScan(r, fileSize)
}

// locateTail looks for the ending quote in the last tailWindow bytes: the
// first quote there with only base64 characters before it in the window.
// That is right when the window starts inside the base64; when it starts
// inside the metadata, the checks in finish almost always fail, and the
// "bytes" member catches the rest.
func locateTail(r io.ReaderAt, fileSize int64) (layout, error) {
	start := max(int64(len(audioPrefix)), fileSize-tailWindow)
	buf := make([]byte, fileSize-start)
	if err := readAt(r, buf, start); err != nil {
		return layout{}, err
	}
	i := plainPrefix(buf)
	if i == len(buf) || buf[i] != '"' {
		return layout{}, errNotPlain
	}
	return finish(r, start+int64(i), buf[i+1:])
}

// locateScan reads the base64 from its start to find the ending quote, then
// reads the metadata after it.
func locateScan(r io.ReaderAt, fileSize int64) (layout, error) {
	buf := make([]byte, tailWindow)
	off := int64(len(audioPrefix))
	for {
		n := int(min(int64(len(buf)), fileSize-off))
		if n == 0 {
			return layout{}, fmt.Errorf("audio_data is not terminated: %w", ErrCorrupt)
		}
		if err := readAt(r, buf[:n], off); err != nil {
			return layout{}, err
		}
		if i := plainPrefix(buf[:n]); i < n {
			if buf[i] != '"' {
				return layout{}, errNotPlain
			}
			q := off + int64(i)
			if fileSize-q-1 > maxMetaSize {
				return layout{}, fmt.Errorf("%d bytes of metadata: %w", fileSize-q-1, ErrCorrupt)
			}
			rest := make([]byte, fileSize-q-1)
			if err := readAt(r, rest, q+1); err != nil {
				return layout{}, err
			}
			return finish(r, q, rest)
		}
		off += int64(n)
	}
}

// finish checks the base64 text that ends with the quote at file offset q,
// and decodes rest, the bytes after that quote, as the other members.
func finish(r io.ReaderAt, q int64, rest []byte) (layout, error) {
	encLen := q - int64(len(audioPrefix))
	if encLen%4 != 0 {
		return layout{}, fmt.Errorf("base64 length %d is not a multiple of 4: %w", encLen, ErrCorrupt)
	}
	pad := 0
	if encLen > 0 {
		var last [2]byte
		if err := readAt(r, last[:], q-2); err != nil {
			return layout{}, err
		}
		switch {
		case last[0] == '=' && last[1] == '=':
			pad = 2
		case last[0] == '=':
			return layout{}, fmt.Errorf("bad base64 padding: %w", ErrCorrupt)
		case last[1] == '=':
			pad = 1
		}
	}
	meta, err := parseMembers(rest)
	if err != nil {
		return layout{}, err
	}
	size := encLen/4*3 - int64(pad)
	if meta.Bytes != 0 && meta.Bytes != size {
		return layout{}, fmt.Errorf("bytes is %d but audio_data holds %d: %w", meta.Bytes, size, ErrCorrupt)
	}
	return layout{encLen: encLen, size: size, meta: meta}, nil
}

// parseMembers decodes what follows the audio_data string: `,"k":v,...}` or
// a bare `}`, with optional white space.
func parseMembers(rest []byte) (Meta, error) {
	var meta Meta
	rest = bytes.TrimLeft(rest, " \t\r\n")
	switch {
	case len(rest) > 0 && rest[0] == '}':
		if len(bytes.TrimSpace(rest[1:])) != 0 {
			return Meta{}, fmt.Errorf("data after the JSON object: %w", ErrCorrupt)
		}
	case len(rest) > 0 && rest[0] == ',':
		obj := make([]byte, 0, len(rest))
		obj = append(obj, '{')
		obj = append(obj, rest[1:]...)
		if err := json.Unmarshal(obj, &meta); err != nil {
			return Meta{}, fmt.Errorf("decode metadata: %w: %w", ErrCorrupt, err)
		}
	default:
		return Meta{}, fmt.Errorf("no metadata after audio_data: %w", ErrCorrupt)
	}
	return meta, nil
}

// plainPrefix returns the length of the run of base64 characters (padding
// included) that b starts with.
func plainPrefix(b []byte) int {
	for i, c := range b {
		if !isBase64(c) {
			return i
		}
	}
	return len(b)
}

func isBase64(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '+' || c == '/' || c == '='
}

// readAt fills b from r at off; a short file is corrupt.
func readAt(r io.ReaderAt, b []byte, off int64) error {
	n, err := r.ReadAt(b, off)
	if n == len(b) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) {
		err = fmt.Errorf("file ends early: %w: %w", ErrCorrupt, io.ErrUnexpectedEOF)
	}
	return err
}
