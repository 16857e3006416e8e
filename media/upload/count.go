package upload

// Open counts the takes held: begun (or reloaded at start) and not yet
// saved, discarded or expired.
func (s *Spooler) Open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.takes)
}
