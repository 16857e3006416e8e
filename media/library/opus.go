package library

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/ogg"
	"github.com/avatarweb/recorder/media/store"
)

// takeAudio is what a live take is saved as: a WAV of its PCM spool, or,
// kept as Opus, its Ogg as the session wrote it. The Ogg is sealed first
// (ogg.Seal): one a crash cut is saved up to its last whole page. close
// releases what the audio reads from, once it has been saved.
func takeAudio(spool *os.File, take media.Take, meta store.Meta) (audio io.Reader, size int64, _ store.Meta, close func(), err error) {
	wav := func() (io.Reader, int64, store.Meta, func(), error) {
		audio, size, meta, err := store.WAV(io.NewSectionReader(spool, 0, take.PCMBytes), take.PCMBytes, take.SampleRate, take.Channels, meta)
		return audio, size, meta, func() {}, err
	}
	if take.OpusPath == "" {
		return wav()
	}
	f, err := os.OpenFile(take.OpusPath, os.O_RDWR, 0)
	if err != nil {
		return nil, 0, meta, nil, fmt.Errorf("open its Ogg: %w", err)
	}
	size, info, err := ogg.Seal(f)
	if errors.Is(err, ogg.ErrNotOpus) || (err == nil && info.Packets == 0) {
		// Killed before the Ogg had a whole page of audio (its pages are
		// a second long, the PCM reaches the disk every quarter second):
		// what there is, is saved as WAV.
		f.Close()
		return wav()
	}
	if err != nil {
		f.Close()
		return nil, 0, meta, nil, err
	}
	meta.MIME = OggOpus
	meta.SampleRate = ogg.Rate
	meta.Channels = info.Channels
	meta.Duration = info.Duration.Seconds()
	return io.NewSectionReader(f, 0, size), size, meta, func() { f.Close() }, nil
}
