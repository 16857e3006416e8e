package aac

import "errors"

// errOverrun reports a frame whose syntax runs past its last byte.
var errOverrun = errors.New("aac: frame ends inside its syntax")

// bitReader reads an AAC frame most significant bit first. Reading past
// the end yields zero bits and sets overrun, checked once per element, so
// the hot paths carry no error returns.
type bitReader struct {
	buf     []byte
	pos     int // in bits
	overrun bool
}

func (b *bitReader) reset(p []byte) { b.buf, b.pos, b.overrun = p, 0, false }

// peek returns the next n ≤ 32 bits without consuming them, zero-padded
// past the end.
func (b *bitReader) peek(n int) uint32 {
	byteAt := b.pos >> 3
	var w uint64
	if byteAt+8 <= len(b.buf) {
		p := b.buf[byteAt : byteAt+8]
		w = uint64(p[0])<<56 | uint64(p[1])<<48 | uint64(p[2])<<40 | uint64(p[3])<<32 |
			uint64(p[4])<<24 | uint64(p[5])<<16 | uint64(p[6])<<8 | uint64(p[7])
	} else {
		for i := range 8 {
			w <<= 8
			if byteAt+i < len(b.buf) {
				w |= uint64(b.buf[byteAt+i])
			}
		}
	}
	w <<= uint(b.pos & 7)
	return uint32(w >> (64 - uint(n)))
}

func (b *bitReader) skip(n int) {
	b.pos += n
	if b.pos > 8*len(b.buf) {
		b.overrun = true
	}
}

// read consumes n ≤ 32 bits.
func (b *bitReader) read(n int) int {
	if n == 0 {
		return 0
	}
	v := b.peek(n)
	b.skip(n)
	return int(v)
}

func (b *bitReader) bit() bool { return b.read(1) == 1 }

func (b *bitReader) byteAlign() { b.skip((8 - b.pos&7) & 7) }

func (b *bitReader) left() int { return 8*len(b.buf) - b.pos }
