package media

import (
	"fmt"
	"io"
	"os"
	"time"
)

// Playback is audio opened for listening back with seeks (HTTP Range): a
// live take's draft, what an upload holds so far. Close it when done.
type Playback struct {
	io.ReadSeeker
	io.Closer
	Size    int64 // bytes Read yields from the start
	ModTime time.Time
	MIME    string
}

// OpenTake opens a finished live take's spool as a WAV file: the header
// the spool lacks, then its PCM, read from the file as asked. A spool
// already removed (the take was saved or discarded) wraps ErrNotFound.
func OpenTake(t Take) (*Playback, error) {
	f, err := os.Open(t.SpoolPath)
	if err != nil {
		return nil, NotFoundf("the take %q is gone (saved or discarded)", t.SessionID)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("open take %q: %w", t.SessionID, err)
	}
	pcm := min(t.PCMBytes, st.Size())
	head := WAVHeader(t.SampleRate, t.Channels, pcm)
	size := int64(len(head)) + pcm
	return &Playback{
		ReadSeeker: io.NewSectionReader(headedReaderAt{head: head, body: f}, 0, size),
		Closer:     f,
		Size:       size,
		ModTime:    st.ModTime(),
		MIME:       "audio/wav",
	}, nil
}

// headedReaderAt reads head, then body.
type headedReaderAt struct {
	head []byte
	body io.ReaderAt
}

func (r headedReaderAt) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	if off < int64(len(r.head)) {
		n = copy(p, r.head[off:])
		if n == len(p) {
			return n, nil
		}
	}
	m, err := r.body.ReadAt(p[n:], off+int64(n)-int64(len(r.head)))
	return n + m, err
}
