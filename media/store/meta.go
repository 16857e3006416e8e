package store

import (
	"encoding/json"
	"fmt"
	"io"
)

// EditMeta reads a recording file of size bytes through r and says how to
// write it anew with its metadata edited by edit: its first keep bytes as
// they are (the opening and the base64 audio), then tail (the string's
// closing quote and the edited members). Every store's SetMeta ends here.
// Only files in the streaming layout (audio_data first, as Encode writes
// them) can be edited so; others wrap ErrCorrupt. Members Meta does not
// know are dropped.
func EditMeta(r io.ReaderAt, size int64, edit func(*Meta)) (keep int64, tail []byte, err error) {
	var head [len(audioPrefix)]byte
	if err := readAt(r, head[:], 0); err != nil || string(head[:]) != audioPrefix {
		return 0, nil, fmt.Errorf("not in the streaming layout: %w", ErrCorrupt)
	}
	l, err := locate(r, size)
	if err != nil {
		return 0, nil, err
	}
	meta := l.meta
	edit(&meta)
	metaJSON, err := json.Marshal(meta)
	if err != nil {
		return 0, nil, fmt.Errorf("encode metadata: %w", err)
	}
	return int64(len(audioPrefix)) + l.encLen, append([]byte(`",`), metaJSON[1:]...), nil
}
