package guard

import (
	"errors"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// Conns bounds long-lived connections (WebSockets): at most Total at once,
// and PerClient from one client (ClientKey). A WebSocket holds a
// goroutine, buffers and a read of up to its message limit for as long as
// it stays open, so without a bound a few clients could open them until
// the server runs out of memory or file descriptors.
//
// Admit refuses a handshake over either bound before the upgrade; Hold,
// called by the WebSocket handler once upgraded, counts the connection
// until it ends (handshakes racing past Admit together are caught there).
type Conns struct {
	total, perClient int

	mu  sync.Mutex
	n   int
	per map[string]int
}

// Errors of Hold.
var (
	ErrTooManyConns     = errors.New("too many connections to this server; try again later")
	ErrTooManyFromThere = errors.New("too many connections from your address; close another tab or try again later")
)

// NewConns returns a bound of total connections, perClient from one
// client; 0 means no bound.
func NewConns(total, perClient int) *Conns {
	return &Conns{total: total, perClient: perClient, per: map[string]int{}}
}

// connKey is where Admit leaves the client's key for Hold.
const connKey = "guard_conn_client"

// Admit refuses a WebSocket handshake when its client has PerClient
// connections open already (429) or the server Total (503), and passes
// the client's key on to the handler (ConnClient).
func (cs *Conns) Admit() fiber.Handler {
	return func(c *fiber.Ctx) error {
		key := ClientKey(ClientIP(c))
		if err := cs.room(key); err != nil {
			status := fiber.StatusServiceUnavailable
			if errors.Is(err, ErrTooManyFromThere) {
				status = fiber.StatusTooManyRequests
			}
			c.Set(fiber.HeaderRetryAfter, "10")
			return fail(c, status, err.Error())
		}
		c.Locals(connKey, key)
		return c.Next()
	}
}

// ConnClient is the client key Admit found for a connection, from the
// connection's locals.
func ConnClient(locals func(key string) any) string {
	key, _ := locals(connKey).(string)
	return key
}

func (cs *Conns) room(key string) error {
	if cs == nil {
		return nil
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.roomLocked(key)
}

func (cs *Conns) roomLocked(key string) error {
	switch {
	case cs.perClient > 0 && cs.per[key] >= cs.perClient:
		return ErrTooManyFromThere
	case cs.total > 0 && cs.n >= cs.total:
		return ErrTooManyConns
	}
	return nil
}

// Hold counts one open connection of client key, unless that would pass
// a bound; release ends it. A nil *Conns holds anything.
func (cs *Conns) Hold(key string) (release func(), err error) {
	if cs == nil {
		return func() {}, nil
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if err := cs.roomLocked(key); err != nil {
		return nil, err
	}
	cs.n++
	cs.per[key]++
	var once sync.Once
	return func() {
		once.Do(func() {
			cs.mu.Lock()
			defer cs.mu.Unlock()
			cs.n--
			if cs.per[key]--; cs.per[key] <= 0 {
				delete(cs.per, key)
			}
		})
	}, nil
}

// Open is how many connections are held.
func (cs *Conns) Open() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return cs.n
}
