package upload

import (
	"sort"
	"time"
)

// Pending is an upload that has not been saved or discarded.
type Pending struct {
	ID      string
	Touched time.Time // its last chunk (or begin, status, finish)
	Title   string    // given by a save a crash cut short (SetTitle)
}

// List returns the uploads held, oldest first.
func (s *Spooler) List() []Pending {
	s.mu.Lock()
	takes := make([]*take, 0, len(s.takes))
	for _, t := range s.takes {
		takes = append(takes, t)
	}
	s.mu.Unlock()
	var out []Pending
	for _, t := range takes {
		<-t.created
		t.smu.Lock()
		if !t.gone {
			out = append(out, Pending{ID: t.id, Touched: t.touched, Title: t.st.Title})
		}
		t.smu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Touched.Before(out[j].Touched) })
	return out
}
