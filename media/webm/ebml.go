package webm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// bufSize is the read-ahead window of a cursor and the copy buffer of Fix.
const bufSize = 64 << 10

// unknownSize marks an element whose size is the all-ones VINT.
const unknownSize = -1

// cursor reads an io.ReaderAt through a sliding buffer. Scanning forward
// costs one ReadAt per bufSize bytes; the slices it returns are only valid
// until its next call.
type cursor struct {
	r    io.ReaderAt
	size int64
	buf  []byte
	off  int64 // file offset of buf[0]
	n    int   // valid bytes in buf
}

func newCursor(r io.ReaderAt, size int64) *cursor {
	return &cursor{r: r, size: size, buf: make([]byte, bufSize)}
}

// at returns the n bytes at off. Bytes past size are ErrTruncated.
func (c *cursor) at(off int64, n int) ([]byte, error) {
	if off < 0 || n < 0 || off > c.size || int64(n) > c.size-off {
		return nil, fmt.Errorf("webm: %d bytes at offset %d run past the end of the %d-byte file: %w", n, off, c.size, ErrTruncated)
	}
	if off >= c.off && off+int64(n) <= c.off+int64(c.n) {
		i := int(off - c.off)
		return c.buf[i : i+n], nil
	}
	if n > len(c.buf) {
		c.buf = make([]byte, n)
	}
	want := int(min(int64(len(c.buf)), c.size-off))
	m, err := c.r.ReadAt(c.buf[:want], off)
	c.off, c.n = off, m
	if m < n {
		c.n = 0
		if err == nil || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("webm: read %d bytes at offset %d: file shorter than its stated size: %w", n, off, ErrTruncated)
		}
		return nil, fmt.Errorf("webm: read at offset %d: %w", off, err)
	}
	return c.buf[:n], nil
}

// element is the header of one EBML element.
type element struct {
	id      uint32
	off     int64 // offset of the first ID byte
	dataOff int64 // offset of the first data byte
	size    int64 // data size, or unknownSize
}

func (e element) known() bool { return e.size != unknownSize }
func (e element) end() int64  { return e.dataOff + e.size }

func (e element) String() string {
	return fmt.Sprintf("element 0x%X at offset %d", e.id, e.off)
}

// element reads the element header at off.
func (c *cursor) element(off int64) (element, error) {
	avail := c.size - off
	if avail <= 0 {
		return element{}, fmt.Errorf("webm: element header at offset %d: %w", off, ErrTruncated)
	}
	b, err := c.at(off, int(min(avail, 12)))
	if err != nil {
		return element{}, err
	}
	idLen := vintLen(b[0])
	if idLen == 0 || idLen > 4 {
		return element{}, fmt.Errorf("webm: bad element ID 0x%02X at offset %d: %w", b[0], off, ErrNotWebM)
	}
	if idLen >= len(b) {
		return element{}, fmt.Errorf("webm: element header at offset %d: %w", off, ErrTruncated)
	}
	var id uint32
	for _, x := range b[:idLen] {
		id = id<<8 | uint32(x)
	}
	size, sizeLen, err := readVint(b[idLen:])
	if err != nil {
		return element{}, fmt.Errorf("webm: size of element 0x%X at offset %d: %w", id, off, err)
	}
	e := element{id: id, off: off, dataOff: off + int64(idLen+sizeLen), size: int64(size)}
	if size == allOnes(sizeLen) {
		e.size = unknownSize
	}
	return e, nil
}

// vintLen is the length of a VINT from its first byte, 0 if invalid.
func vintLen(b byte) int {
	for i := range 8 {
		if b&(0x80>>i) != 0 {
			return i + 1
		}
	}
	return 0
}

// allOnes is the largest value of an n-byte VINT, which means "unknown".
func allOnes(n int) uint64 { return 1<<(7*n) - 1 }

// readVint decodes a VINT, marker bit removed.
func readVint(b []byte) (v uint64, n int, err error) {
	if len(b) == 0 {
		return 0, 0, ErrTruncated
	}
	n = vintLen(b[0])
	if n == 0 {
		return 0, 0, fmt.Errorf("VINT longer than 8 bytes: %w", ErrNotWebM)
	}
	if n > len(b) {
		return 0, 0, ErrTruncated
	}
	v = uint64(b[0] & (0xFF >> n))
	for _, x := range b[1:n] {
		v = v<<8 | uint64(x)
	}
	return v, n, nil
}

// data returns the data of a small element, at most limit bytes.
func (c *cursor) data(e element, limit int64) ([]byte, error) {
	if e.size > limit {
		return nil, fmt.Errorf("webm: %v has %d bytes, more than %d: %w", e, e.size, limit, ErrUnsupported)
	}
	return c.at(e.dataOff, int(e.size))
}

// uint reads an unsigned integer element.
func (c *cursor) uint(e element) (uint64, error) {
	if e.size > 8 {
		return 0, fmt.Errorf("webm: integer %v has %d bytes: %w", e, e.size, ErrNotWebM)
	}
	b, err := c.at(e.dataOff, int(e.size))
	if err != nil {
		return 0, err
	}
	var v uint64
	for _, x := range b {
		v = v<<8 | uint64(x)
	}
	return v, nil
}

// float reads a float element (0, 4 or 8 bytes).
func (c *cursor) float(e element) (float64, error) {
	b, err := c.data(e, 8)
	if err != nil {
		return 0, err
	}
	switch len(b) {
	case 0:
		return 0, nil
	case 4:
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b))), nil
	case 8:
		return math.Float64frombits(binary.BigEndian.Uint64(b)), nil
	}
	return 0, fmt.Errorf("webm: float %v has %d bytes: %w", e, len(b), ErrNotWebM)
}

// children calls fn for each child of a known-size master element.
func (c *cursor) children(parent element, fn func(e element) error) error {
	for p := parent.dataOff; p < parent.end(); {
		e, err := c.element(p)
		if err != nil {
			return err
		}
		if err := c.within(e, parent.end()); err != nil {
			return err
		}
		if err := fn(e); err != nil {
			return err
		}
		p = e.end()
	}
	return nil
}

// within checks that e has a known size and ends by limit, the end of its
// parent. Running past a parent that ends inside the file is a broken
// file; running past the end of the file is a truncated one.
func (c *cursor) within(e element, limit int64) error {
	switch {
	case !e.known():
		return fmt.Errorf("webm: %v has unknown size: %w", e, ErrUnsupported)
	case e.end() > limit && limit < c.size:
		return fmt.Errorf("webm: %v ends at %d, past its parent's end at %d: %w", e, e.end(), limit, ErrNotWebM)
	case e.end() > c.size:
		return fmt.Errorf("webm: %v ends at %d, past the end of the %d-byte file: %w", e, e.end(), c.size, ErrTruncated)
	}
	return nil
}

// Encoding.

// appendID appends an element ID, which keeps its marker bits.
func appendID(b []byte, id uint32) []byte {
	switch {
	case id < 1<<8:
		return append(b, byte(id))
	case id < 1<<16:
		return append(b, byte(id>>8), byte(id))
	case id < 1<<24:
		return append(b, byte(id>>16), byte(id>>8), byte(id))
	}
	return binary.BigEndian.AppendUint32(b, id)
}

// sizeLen is the shortest VINT length that holds n (all ones is reserved).
func sizeLen(n uint64) int {
	l := 1
	for l < 8 && n >= allOnes(l) {
		l++
	}
	return l
}

// appendVint appends v as an l-byte VINT.
func appendVint(b []byte, v uint64, l int) []byte {
	v |= 1 << (7 * l)
	for i := l - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// uintLen is the number of bytes an unsigned integer element needs.
func uintLen(v uint64) int {
	l := 1
	for l < 8 && v >= 1<<(8*l) {
		l++
	}
	return l
}

// appendUintN appends an unsigned integer element with l data bytes.
func appendUintN(b []byte, id uint32, v uint64, l int) []byte {
	b = appendID(b, id)
	b = appendVint(b, uint64(l), 1)
	for i := l - 1; i >= 0; i-- {
		b = append(b, byte(v>>(8*i)))
	}
	return b
}

// appendUint appends an unsigned integer element in its shortest form.
func appendUint(b []byte, id uint32, v uint64) []byte {
	return appendUintN(b, id, v, uintLen(v))
}

// idLen is the length of an encoded ID.
func idLen(id uint32) int { return len(appendID(make([]byte, 0, 4), id)) }

// headerLen is the length of an element header with a shortest-form size.
func headerLen(id uint32, size uint64) int { return idLen(id) + sizeLen(size) }
