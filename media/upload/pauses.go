package upload

import (
	"fmt"
	"time"

	"github.com/avatarweb/recorder/media"
)

// SetPauses keeps, on disk with take id, where the page paused it and how
// long it recorded outside its pauses (recorded), replacing what was kept:
// the page sends them when the take stops (never before: a take still
// recording would make recorded stale), so a take saved later without the
// page (from "Unsaved takes", or finished after a crash) can still have
// its pauses cut out (WebKit records on through them). The caller checks
// them (media.CheckPauses).
func (s *Spooler) SetPauses(id string, pauses []media.Selection, recorded time.Duration) error {
	t, err := s.lock(id)
	if err != nil {
		return fmt.Errorf("upload: pauses: %w", err)
	}
	defer t.mu.Unlock()
	next := t.st
	next.Pauses = make([][2]float64, len(pauses))
	for i, p := range pauses {
		next.Pauses[i] = [2]float64{p.Start.Seconds(), p.End.Seconds()}
	}
	next.Recorded = recorded.Seconds()
	if err := t.save(next); err != nil {
		return fmt.Errorf("upload: pauses of %q: %w", id, err)
	}
	return nil
}

// Pauses returns the pauses of take id and how long it recorded outside
// them, as SetPauses kept them: none and 0 if the page sent none.
func (s *Spooler) Pauses(id string) ([]media.Selection, time.Duration, error) {
	t, err := s.find(id)
	if err != nil {
		return nil, 0, fmt.Errorf("upload: pauses: %w", err)
	}
	<-t.created
	t.smu.Lock()
	defer t.smu.Unlock()
	if t.gone {
		return nil, 0, fmt.Errorf("upload: pauses: %w", notFound(id))
	}
	var pauses []media.Selection
	for _, p := range t.st.Pauses {
		pauses = append(pauses, media.Selection{Start: seconds(p[0]), End: seconds(p[1])})
	}
	return pauses, seconds(t.st.Recorded), nil
}

// seconds is a duration of s seconds.
func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second))
}
