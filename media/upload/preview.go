package upload

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Preview opens what has been spooled of take id so far, for listening
// back before saving: the file, how many of its bytes are committed (read
// no further: a chunk being written may lie beyond), and the take's mime.
// The caller closes the file.
func (s *Spooler) Preview(id string) (*os.File, int64, string, error) {
	t, err := s.find(id)
	if err != nil {
		return nil, 0, "", fmt.Errorf("upload: preview: %w", err)
	}
	<-t.created
	t.smu.Lock()
	st, gone := t.st, t.gone
	t.smu.Unlock()
	if gone {
		return nil, 0, "", fmt.Errorf("upload: preview: %w", notFound(id))
	}
	f, err := os.Open(filepath.Join(t.dir, spoolFile))
	if errors.Is(err, fs.ErrNotExist) && st.Bytes == 0 {
		// Nothing appended yet (the spool is made with chunk 0): an empty
		// preview, not an error.
		f, err = os.Open(os.DevNull)
	}
	if err != nil {
		return nil, 0, "", fmt.Errorf("upload: preview %q: %w", id, err)
	}
	return f, st.Bytes, st.MIME, nil
}
