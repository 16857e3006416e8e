package library

import (
	"context"
	"io"

	"github.com/avatarweb/recorder/media/export"
	"github.com/avatarweb/recorder/media/store"
)

// Export opens recording filename converted to f (not export.Original:
// Open serves that), measured and ready to stream. Close the recording
// once the export is written.
func (l *Library) Export(ctx context.Context, filename string, f export.Format) (*export.Export, *store.Recording, error) {
	rec, err := l.Open(ctx, filename)
	if err != nil {
		return nil, nil, err
	}
	p := rec.Meta.ProcessingParameters
	e, err := export.Plan(ctx, export.Source{
		R: &seekReaderAt{r: rec.Audio}, Size: rec.Size, MIME: rec.Meta.MIME,
		Rate: p.SampleRate, Channels: p.Channels,
	}, f)
	if err != nil {
		rec.Close()
		return nil, nil, err
	}
	return e, rec, nil
}

// seekReaderAt reads at offsets by seeking: the audio of a recording file
// is a seekable view of its base64 (decoded a chunk at a time), and
// exports read it from one goroutine at a time.
type seekReaderAt struct {
	r   io.ReadSeeker
	pos int64
}

func (s *seekReaderAt) ReadAt(p []byte, off int64) (int, error) {
	if off != s.pos {
		if _, err := s.r.Seek(off, io.SeekStart); err != nil {
			s.pos = -1 // unknown
			return 0, err
		}
	}
	n, err := io.ReadFull(s.r, p)
	s.pos = off + int64(n)
	if err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return n, err
}
