package find

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/avatarweb/recorder/media"
)

// Order is an order the list of recordings can be read in.
type Order string

// The orders a person can pick, and the trash's own.
const (
	Newest  Order = "newest"  // made last first: the default
	Oldest  Order = "oldest"  // made first first
	Longest Order = "longest" // longest first
	// Deleted is the order of "Recently deleted": deleted last first.
	Deleted Order = "deleted"
)

// Orders are the orders a person can pick, in the order offered.
var Orders = []Order{Newest, Oldest, Longest}

// ParseOrder reads an order a person picked; "" is Newest.
func ParseOrder(s string) (Order, error) {
	if s == "" {
		return Newest, nil
	}
	for _, o := range Orders {
		if Order(s) == o {
			return o, nil
		}
	}
	return "", media.Invalidf("sort must be newest, oldest or longest, not %q", s)
}

// Cursor is a place in a list read in some order: the keys of the last
// recording shown. A page that follows it starts just after it, whatever
// was saved or deleted meanwhile. The zero Cursor is the start.
type Cursor struct {
	CreatedAt time.Time // the key of Newest and Oldest
	Duration  float64   // of Longest
	DeletedAt time.Time // of Deleted
	ID        int64     // ties
}

// IsZero reports whether c is the start of the list.
func (c Cursor) IsZero() bool { return c.ID == 0 }

// CursorOf is the place of r in a list.
func CursorOf(r media.Recording) Cursor {
	return Cursor{CreatedAt: r.CreatedAt, Duration: r.Duration, DeletedAt: r.DeletedAt, ID: r.ID}
}

// Format writes c for a link in a list read in order o: the key o reads
// by, then the id ("1733740000000_42": a time in Unix milliseconds, as
// stored; "12.5_42": a length in seconds, exactly).
func (c Cursor) Format(o Order) string {
	var key string
	switch o {
	case Longest:
		key = strconv.FormatFloat(c.Duration, 'g', -1, 64)
	case Deleted:
		key = strconv.FormatInt(c.DeletedAt.UnixMilli(), 10)
	default:
		key = strconv.FormatInt(c.CreatedAt.UnixMilli(), 10)
	}
	return key + "_" + strconv.FormatInt(c.ID, 10)
}

// ParseCursor reads what Format wrote for order o.
func ParseCursor(o Order, s string) (Cursor, error) {
	bad := media.Invalidf("%q is not a place in the list", s)
	key, idText, ok := strings.Cut(s, "_")
	id, err := strconv.ParseInt(idText, 10, 64)
	if !ok || err != nil || id <= 0 {
		return Cursor{}, bad
	}
	c := Cursor{ID: id}
	if o == Longest {
		c.Duration, err = strconv.ParseFloat(key, 64)
		if err != nil || !(c.Duration >= 0) || math.IsInf(c.Duration, 1) {
			return Cursor{}, bad
		}
		return c, nil
	}
	ms, err := strconv.ParseInt(key, 10, 64)
	if err != nil || ms < 0 || ms > maxMillis {
		return Cursor{}, bad
	}
	t := time.UnixMilli(ms).UTC()
	if o == Deleted {
		c.DeletedAt = t
	} else {
		c.CreatedAt = t
	}
	return c, nil
}

// maxMillis is the last millisecond of year 9999, the last a stored
// timestamp can hold.
var maxMillis = time.Date(9999, 12, 31, 23, 59, 59, 999e6, time.UTC).UnixMilli()

// MaxCount is how far the recordings a search finds are counted: past
// it, the page says "more than 1000".
const MaxCount = 1000

// Page asks for one page of a list: what to find, in which order, and
// where the page starts.
type Page struct {
	Query Query
	Order Order
	// After is the place the page starts after (zero: the start of the
	// list); or Before, when set, the place the page ends just before:
	// the page before it, for a link back.
	After, Before Cursor
	Limit         int
}
