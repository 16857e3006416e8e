package rtc

import "github.com/avatarweb/recorder/media"

// Drafts counts the sessions that ended with a take kept on disk, waiting
// to be saved or discarded.
func (m *Manager) Drafts() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, s := range m.sessions {
		if s.State() == media.SessionStopped {
			n++
		}
	}
	return n
}
