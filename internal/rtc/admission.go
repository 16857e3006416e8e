package rtc

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/avatarweb/recorder/media"
)

// Admission keeps the live sessions on time. Past what the process can
// serve, one more session makes every session late; so a new one is
// accepted only while the measured load leaves room for it, and is
// otherwise refused at once (media.ErrBusy: 503 with Retry-After) rather
// than admitted into a server that then serves everyone late.
type Admission struct {
	// Off admits by the fixed caps only (Config.MaxSessions,
	// MaxPerClient), as before measurement.
	Off bool
	// MaxLag is the end-to-end lag a frame may reach before its session
	// counts as late (default 15 ms: under the 20 ms a consumer plans for).
	MaxLag time.Duration
	// CPUShare is the part of the process's cores the live sessions may
	// use, handshakes included (default 0.8): the rest absorbs bursts,
	// saves and the page.
	CPUShare float64
	// MaxConnecting bounds handshakes in flight (default 4 per core): in
	// a start storm the offers beyond it wait their turn, up to
	// HandshakeWait, so the sessions already live keep their CPU.
	MaxConnecting int
	HandshakeWait time.Duration // default 3 s; then refused
	// Cores is what the process may use (default GOMAXPROCS).
	Cores float64
	// CPUTime reads the process's CPU time so far (default getrusage);
	// Now reads the clock. Both are for tests.
	CPUTime func() time.Duration
	Now     func() time.Time
}

// handshakeTime is how long a new session counts as handshaking: ICE and
// DTLS take well under it on any network a live take works over.
const handshakeTime = 2 * time.Second

// minTrustedLive is how many live sessions the cost of one is estimated
// from: with fewer, other work (a save, a page) would be counted as
// theirs.
const minTrustedLive = 16

func (a Admission) withDefaults() Admission {
	if a.MaxLag <= 0 {
		a.MaxLag = 15 * time.Millisecond
	}
	if a.CPUShare <= 0 {
		a.CPUShare = 0.8
	}
	if a.Cores <= 0 {
		a.Cores = float64(runtime.GOMAXPROCS(0))
	}
	if a.MaxConnecting <= 0 {
		a.MaxConnecting = max(4, int(4*a.Cores))
	}
	if a.HandshakeWait <= 0 {
		a.HandshakeWait = 3 * time.Second
	}
	if a.CPUTime == nil {
		a.CPUTime = processCPU
	}
	if a.Now == nil {
		a.Now = time.Now
	}
	return a
}

// load is what admission looks at when an offer arrives.
type load struct {
	live       int     // connected sessions taking audio
	connecting int     // answered, handshake not done yet (fresh ones)
	late       int     // live sessions whose recent frames ran late
	cores      float64 // the process's CPU use, in cores, over the last second or so
}

// admit says whether one more session fits, and if not, why in words a
// person reads.
func (a Admission) admit(l load) error {
	switch {
	case a.Off:
		return nil
	case l.cores >= a.CPUShare*a.Cores:
		return atCapacity("its processors are fully used")
	case l.late > 0 && l.cores >= a.CPUShare*a.Cores/2:
		// Late sessions on a busy process: one more would add to it.
		// (On an idle process the lateness is the machine's or the
		// network's, which refusing would not mend.)
		return atCapacity(liveTakes(l.late, "running late"))
	case l.live >= minTrustedLive:
		perSession := l.cores / float64(l.live+l.connecting)
		if l.cores+perSession > a.CPUShare*a.Cores {
			return atCapacity("one more live take would make them late")
		}
	}
	return nil
}

// atCapacity is the refusal of a new live take, saying why.
func atCapacity(why string) error {
	return &media.Error{Kind: media.ErrBusy, Message: "the server is at capacity (" + why + "); try again in a few seconds"}
}

// cpuMeterInterval is the shortest span the CPU use is averaged over.
const cpuMeterInterval = 250 * time.Millisecond

// cpuMeter measures the process's CPU use in cores, averaged over at
// least a quarter second, read when asked (no goroutine of its own).
type cpuMeter struct {
	cpuTime func() time.Duration
	now     func() time.Time

	mu    sync.Mutex
	at    time.Time
	cpu   time.Duration
	cores float64
}

func newCPUMeter(a Admission) *cpuMeter {
	return &cpuMeter{cpuTime: a.CPUTime, now: a.Now, at: a.Now(), cpu: a.CPUTime()}
}

// Cores is the CPU the process used per second of wall time since the
// last reading at least cpuMeterInterval old.
func (m *cpuMeter) Cores() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	if wall := now.Sub(m.at); wall >= cpuMeterInterval {
		cpu := m.cpuTime()
		m.cores = float64(cpu-m.cpu) / float64(wall)
		m.at, m.cpu = now, cpu
	}
	return m.cores
}

// lateness says whether a session's frames ran late over the last one to
// two seconds: more than 1 % of them beyond the lag bound. (Its 10-second
// histograms are for people; admission must see a change within seconds.)
type lateness struct {
	bound     time.Duration
	start     time.Time // of the current second
	cur, prev struct{ frames, late int }
}

const latenessWindow = time.Second

func (l *lateness) observe(now time.Time, lag time.Duration) {
	l.rotate(now)
	l.cur.frames++
	if lag > l.bound {
		l.cur.late++
	}
}

func (l *lateness) isLate(now time.Time) bool {
	l.rotate(now)
	frames, late := l.cur.frames+l.prev.frames, l.cur.late+l.prev.late
	return late > 0 && late*100 > frames
}

func (l *lateness) rotate(now time.Time) {
	switch gap := now.Sub(l.start); {
	case gap < latenessWindow:
	case gap < 2*latenessWindow:
		l.prev, l.cur = l.cur, struct{ frames, late int }{}
		l.start = l.start.Add(latenessWindow)
	default:
		l.prev, l.cur = struct{ frames, late int }{}, struct{ frames, late int }{}
		l.start = now
	}
}

// pacer lets a few handshakes run at once; the other offers wait their
// turn (paced, not refused) for a while.
type pacer struct {
	slots chan struct{}
	wait  time.Duration
}

func newPacer(a Admission) *pacer {
	return &pacer{slots: make(chan struct{}, a.MaxConnecting), wait: a.HandshakeWait}
}

// acquire takes a handshake slot, waiting up to the pacer's wait. release
// gives it back (once, however often it is called); the slot also returns
// by itself after handshakeTime, so a browser that never connects does
// not hold it.
func (p *pacer) acquire(ctx context.Context) (release func(), err error) {
	if p == nil {
		return func() {}, nil
	}
	t := time.NewTimer(p.wait)
	defer t.Stop()
	select {
	case p.slots <- struct{}{}:
	case <-t.C:
		return nil, atCapacity(liveTakes(cap(p.slots), "starting"))
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	free := func() { once.Do(func() { <-p.slots }) }
	time.AfterFunc(handshakeTime, free)
	return free, nil
}

// liveTakes says "1 live take is doing" or "n live takes are doing".
func liveTakes(n int, doing string) string {
	if n == 1 {
		return countTakes(n) + " is " + doing
	}
	return countTakes(n) + " are " + doing
}

// countTakes says "1 live take" or "n live takes".
func countTakes(n int) string {
	if n == 1 {
		return "1 live take"
	}
	return fmt.Sprintf("%d live takes", n)
}
