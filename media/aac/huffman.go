package aac

import "sync"

// A huffman decodes one codebook with a table indexed by the next
// rootBits bits; codewords longer than that go through a second table
// chosen by their first rootBits bits.
type huffman struct {
	root []huffEntry
	sub  []huffEntry
}

// huffEntry is a symbol and its codeword length; in root, a length above
// rootBits instead marks a link: sym is the offset of a second-level table
// in sub and length-rootBits its index width.
type huffEntry struct {
	sym uint16
	len uint8
}

const rootBits = 9

// newHuffman builds the tables of a codebook given as length<<24|codeword
// per symbol.
func newHuffman(codes []uint32) *huffman {
	h := &huffman{root: make([]huffEntry, 1<<rootBits)}
	// The longest codeword under each root prefix sizes its subtable.
	longest := make([]uint8, 1<<rootBits)
	for _, c := range codes {
		n, w := uint8(c>>24), c&0xFFFFFF
		if n > rootBits {
			p := w >> (n - rootBits)
			longest[p] = max(longest[p], n)
		}
	}
	for p, n := range longest {
		if n > 0 {
			h.root[p] = huffEntry{sym: uint16(len(h.sub)), len: n}
			h.sub = append(h.sub, make([]huffEntry, 1<<(n-rootBits))...)
		}
	}
	for sym, c := range codes {
		n, w := uint8(c>>24), c&0xFFFFFF
		if n <= rootBits {
			lo := w << (rootBits - n)
			for i := range uint32(1) << (rootBits - n) {
				h.root[lo+i] = huffEntry{sym: uint16(sym), len: n}
			}
			continue
		}
		link := h.root[w>>(n-rootBits)]
		width := link.len - rootBits
		rest := w & (1<<(n-rootBits) - 1) // the bits after the root prefix
		lo := uint32(link.sym) + rest<<(width-(n-rootBits))
		for i := range uint32(1) << (width - (n - rootBits)) {
			h.sub[lo+i] = huffEntry{sym: uint16(sym), len: n}
		}
	}
	return h
}

// decode reads one codeword and returns its symbol.
func (h *huffman) decode(b *bitReader) int {
	e := h.root[b.peek(rootBits)]
	if e.len <= rootBits {
		b.skip(int(e.len))
		return int(e.sym)
	}
	width := int(e.len) - rootBits
	v := b.peek(int(e.len)) & (1<<width - 1)
	s := h.sub[int(e.sym)+int(v)]
	b.skip(int(s.len))
	return int(s.sym)
}

// codebooks are the decoders of the scalefactor codebook (index 0) and the
// spectral codebooks 1 to 11, built once.
var codebooks = sync.OnceValue(func() [12]*huffman {
	var t [12]*huffman
	t[0] = newHuffman(scalefactorCodes[:])
	for i := 1; i < 12; i++ {
		t[i] = newHuffman(spectralCodes[i])
	}
	return t
})
