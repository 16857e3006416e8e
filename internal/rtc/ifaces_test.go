package rtc

import (
	"net"
	"testing"
	"time"
)

// TestSharedInterfaces: sessions offered within the refresh period share
// one interface list (pion's default read and kept one per session), a
// later one gets a list read again, and the list is the machine's.
func TestSharedInterfaces(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	s, err := newSharedInterfaces(func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	first, _ := s.Interfaces()
	now = now.Add(interfacesRefresh - time.Millisecond)
	second, _ := s.Interfaces()
	if len(first) == 0 || &first[0] != &second[0] {
		t.Fatalf("two offers within %v read two interface lists (or none), want one shared", interfacesRefresh)
	}
	now = now.Add(time.Millisecond)
	third, _ := s.Interfaces()
	if &third[0] == &first[0] {
		t.Errorf("an offer %v later still got the first list, want one read again", interfacesRefresh)
	}
	want, err := net.Interfaces()
	if err != nil {
		t.Fatal(err)
	}
	if len(third) != len(want) {
		t.Fatalf("%d interfaces, the machine has %d", len(third), len(want))
	}
	for _, w := range want {
		if got, err := s.InterfaceByName(w.Name); err != nil || got.Index != w.Index {
			t.Errorf("InterfaceByName(%q) = %v, %v; want index %d", w.Name, got, err, w.Index)
		}
	}
}
