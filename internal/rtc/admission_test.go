package rtc

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

func TestAdmissionAdmit(t *testing.T) {
	a := Admission{Cores: 1}.withDefaults() // share 0.8 of one core
	for _, tc := range []struct {
		name string
		l    load
		why  string // "" admits
	}{
		{"idle", load{}, ""},
		{"a few sessions, another job busy", load{live: 3, cores: 0.7}, ""},
		{"processors full", load{live: 3, cores: 0.85}, "processors are fully used"},
		{"late on a busy process", load{live: 40, late: 2, cores: 0.5}, "2 live takes are running late"},
		{"late on an idle process: the machine's, not ours", load{live: 4, late: 4, cores: 0.1}, ""},
		{"room for one more", load{live: 100, cores: 0.5}, ""},
		{"one more would not fit", load{live: 100, cores: 0.795}, "one more live take"},
		{"starting ones count in the cost", load{live: 16, connecting: 4, cores: 0.78}, "one more live take"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := a.admit(tc.l)
			switch {
			case tc.why == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.why != "" && (!errors.Is(err, media.ErrBusy) || !strings.Contains(media.Message(err), tc.why)):
				t.Errorf("got %v, want ErrBusy saying %q", err, tc.why)
			}
		})
	}
	if err := (Admission{Off: true}).admit(load{cores: 100, late: 100}); err != nil {
		t.Errorf("admission off refused: %v", err)
	}
}

func TestCPUMeter(t *testing.T) {
	now, cpu := time.Unix(100, 0), time.Duration(0)
	m := newCPUMeter(Admission{Now: func() time.Time { return now }, CPUTime: func() time.Duration { return cpu }})
	now, cpu = now.Add(time.Second), 1500*time.Millisecond
	if got := m.Cores(); got != 1.5 {
		t.Errorf("1.5 s of CPU in 1 s: %.2f cores", got)
	}
	// Within the interval the reading stands; after it, it follows.
	now, cpu = now.Add(100*time.Millisecond), cpu+100*time.Millisecond
	if got := m.Cores(); got != 1.5 {
		t.Errorf("read again 100 ms later: %.2f cores, want the last reading", got)
	}
	now, cpu = now.Add(400*time.Millisecond), cpu+50*time.Millisecond
	if got := m.Cores(); got != 0.3 {
		t.Errorf("150 ms of CPU over 500 ms: %.2f cores", got)
	}
	if processCPU() <= 0 {
		t.Error("the process's own CPU time reads 0")
	}
}

func TestLateness(t *testing.T) {
	l := lateness{bound: 15 * time.Millisecond}
	start := time.Unix(100, 0)
	at := func(ms int) time.Time { return start.Add(time.Duration(ms) * time.Millisecond) }
	for i := range 200 { // 200 frames in 2 s, one late: 0.5 %
		lag := 5 * time.Millisecond
		if i == 50 {
			lag = 40 * time.Millisecond
		}
		l.observe(at(i*10), lag)
	}
	if l.isLate(at(1990)) {
		t.Error("one late frame in 200 counts as running late")
	}
	for i := range 10 { // then 10 late in a row
		l.observe(at(2000+i*10), 30*time.Millisecond)
	}
	if !l.isLate(at(2100)) {
		t.Error("10 late frames in the last second are not running late")
	}
	if l.isLate(at(4200)) {
		t.Error("still late two seconds after the last late frame")
	}
}

func TestPacer(t *testing.T) {
	p := &pacer{slots: make(chan struct{}, 2), wait: 50 * time.Millisecond}
	r1, err1 := p.acquire(t.Context())
	_, err2 := p.acquire(t.Context())
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	_, err := p.acquire(t.Context())
	if !errors.Is(err, media.ErrBusy) || !strings.Contains(media.Message(err), "2 live takes are starting") {
		t.Fatalf("a third handshake with two in flight: %v, want ErrBusy after the wait", err)
	}
	// A waiting offer gets the slot as soon as one is given back.
	got := make(chan error, 1)
	go func() {
		p.wait = time.Minute
		_, err := p.acquire(context.Background())
		got <- err
	}()
	r1()
	r1() // twice frees one slot, not two
	if err := <-got; err != nil {
		t.Fatalf("the waiting handshake: %v", err)
	}
	if len(p.slots) != 2 {
		t.Errorf("%d slots taken, want 2", len(p.slots))
	}
}
