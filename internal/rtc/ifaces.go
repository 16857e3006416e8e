package rtc

import (
	"sync"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/transport/v5/stdnet"
)

// interfacesRefresh is how old the interface list every new session
// gathers from may be: an address added to the machine is offered from
// this long after, at the latest.
const interfacesRefresh = 5 * time.Second

// sharedInterfaces is the transport.Net every session's ICE agent gathers
// through. pion's default (a stdnet.Net per peer connection) read the
// machine's interfaces and addresses over netlink for every offer and kept
// the whole list for the session's life: a netlink dump per offer and
// 6.5 KB of every session's heap. This one reads them at most once per
// interfacesRefresh and hands every agent the same snapshot; a refresh
// makes a new snapshot and never changes one an agent holds. Sockets come
// from the standard library, as stdnet's do.
type sharedInterfaces struct {
	*stdnet.Net // sockets, dialers and name resolution; its own list unused

	now  func() time.Time
	mu   sync.Mutex
	list *stdnet.Net // the snapshot in force
	at   time.Time   // when it was read
}

func newSharedInterfaces(now func() time.Time) (*sharedInterfaces, error) {
	n, err := stdnet.NewNet()
	if err != nil {
		return nil, err
	}
	return &sharedInterfaces{Net: n, now: now, list: n, at: now()}, nil
}

// snapshot returns the interface list in force, read again when it is
// older than interfacesRefresh (the old one stays if reading fails).
func (s *sharedInterfaces) snapshot() *stdnet.Net {
	s.mu.Lock()
	defer s.mu.Unlock()
	if now := s.now(); now.Sub(s.at) >= interfacesRefresh {
		if n, err := stdnet.NewNet(); err == nil {
			s.list = n
		}
		s.at = now
	}
	return s.list
}

func (s *sharedInterfaces) Interfaces() ([]*transport.Interface, error) {
	return s.snapshot().Interfaces()
}

func (s *sharedInterfaces) InterfaceByIndex(index int) (*transport.Interface, error) {
	return s.snapshot().InterfaceByIndex(index)
}

func (s *sharedInterfaces) InterfaceByName(name string) (*transport.Interface, error) {
	return s.snapshot().InterfaceByName(name)
}
