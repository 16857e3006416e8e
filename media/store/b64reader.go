package store

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
)

// b64Reader is an io.ReadSeeker over the bytes that padded standard base64
// text decodes to, reading and decoding one chunk of the text at a time.
// Every 4 characters decode to 3 bytes on their own, so decoded offset n lies
// in the quad at text offset 4*(n/3), n%3 bytes in: a seek costs nothing and
// the next Read decodes from that quad.
type b64Reader struct {
	src  *io.SectionReader // the base64 text; its length is a multiple of 4
	size int64             // decoded length
	off  int64             // read position in the decoded bytes

	buf    []byte // decoded chunk holding decoded offsets [bufOff, bufOff+len(buf))
	bufOff int64
	enc    []byte // scratch for a chunk of text; allocated on first Read
	dec    []byte // backing array of buf
}

func newB64Reader(src *io.SectionReader, size int64) *b64Reader {
	return &b64Reader{src: src, size: size}
}

// Read reads decoded bytes from the current position.
func (r *b64Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.off >= r.size {
		return 0, io.EOF
	}
	if r.off < r.bufOff || r.off >= r.bufOff+int64(len(r.buf)) {
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.buf[r.off-r.bufOff:])
	r.off += int64(n)
	return n, nil
}

// fill decodes the chunk that starts with the quad holding r.off.
func (r *b64Reader) fill() error {
	if r.enc == nil {
		r.enc = make([]byte, chunkEncoded)
		r.dec = make([]byte, chunkDecoded)
	}
	r.buf = nil
	quad := r.off / 3
	textOff := 4 * quad
	n := int(min(int64(len(r.enc)), r.src.Size()-textOff))
	if err := readAt(r.src, r.enc[:n], textOff); err != nil {
		return fmt.Errorf("store: read audio at byte %d: %w", r.off, err)
	}
	want := int(min(int64(n/4*3), r.size-3*quad))
	got, err := base64.StdEncoding.Decode(r.dec, r.enc[:n])
	if err == nil && got != want {
		// Decode skips newlines, which shift everything after them.
		err = fmt.Errorf("%d bytes decoded, want %d", got, want)
	}
	if err != nil {
		return fmt.Errorf("store: decode audio at byte %d: %w: %w", 3*quad, ErrCorrupt, err)
	}
	r.buf, r.bufOff = r.dec[:got], 3*quad
	return nil
}

// Seek sets the position for the next Read, as io.Seeker describes. A
// position past the end is allowed; Read there returns io.EOF.
func (r *b64Reader) Seek(offset int64, whence int) (int64, error) {
	var abs int64
	switch whence {
	case io.SeekStart:
		abs = offset
	case io.SeekCurrent:
		abs = r.off + offset
	case io.SeekEnd:
		abs = r.size + offset
	default:
		return 0, errors.New("store: seek: invalid whence")
	}
	if abs < 0 {
		return 0, errors.New("store: seek: negative position")
	}
	r.off = abs
	return abs, nil
}
