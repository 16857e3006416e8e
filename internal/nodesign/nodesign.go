// Package nodesign lets the nodes of a cluster prove to each other that a
// request one of them forwards is theirs: the forwarding node signs what
// matters in it (method, target, a hash of the body, the client it acts
// for, its own id, the time, a nonce) with an HMAC-SHA256 keyed by a
// secret all nodes share, and the receiving node checks the signature,
// that the time is within a short window of its own clock, and that it has
// not seen the nonce before (a captured request cannot be replayed).
package nodesign

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Window is how far a signed request's time may be from the receiver's
// clock: the nodes' clocks must agree to within it.
const Window = 30 * time.Second

// maxNonces bounds the nonces remembered (those of the last 2 × Window):
// far above any real rate of forwarded requests.
const maxNonces = 1 << 17

// Errors of Verify.
var (
	ErrBadSignature = errors.New("nodesign: signature does not match")
	ErrStale        = errors.New("nodesign: outside the time window")
	ErrReplayed     = errors.New("nodesign: nonce seen before")
	ErrMalformed    = errors.New("nodesign: malformed signed fields")
)

// Request is what a signature covers.
type Request struct {
	Method  string
	URI     string // path and query, as sent
	Node    string // the signing node's id
	Client  string // the client's address, as the signing node knew it
	BodySum [sha256.Size]byte
	Time    time.Time
	Nonce   string
}

// Signer signs and verifies with one secret. It is safe for concurrent
// use.
type Signer struct {
	secret []byte
	now    func() time.Time

	mu     sync.Mutex
	nonces map[string]time.Time // nonce → when it may be forgotten
	swept  time.Time
}

// New returns a Signer for secret; now is its clock (nil: time.Now).
func New(secret []byte, now func() time.Time) *Signer {
	if now == nil {
		now = time.Now
	}
	return &Signer{secret: secret, now: now, nonces: map[string]time.Time{}}
}

// NewRequest fills in the time and a fresh nonce.
func (s *Signer) NewRequest(method, uri, node, client string, body []byte) Request {
	var n [16]byte
	_, _ = rand.Read(n[:])
	return Request{
		Method: method, URI: uri, Node: node, Client: client,
		BodySum: sha256.Sum256(body), Time: s.now(), Nonce: hex.EncodeToString(n[:]),
	}
}

// Sign returns r's signature.
func (s *Signer) Sign(r Request) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(canonical(r)))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// canonical is the text signed: each field on a line of its own, none of
// which may hold a newline (Verify refuses those).
func canonical(r Request) string {
	return strings.Join([]string{"recorder forward v1", r.Method, r.URI, r.Node, r.Client,
		hex.EncodeToString(r.BodySum[:]), strconv.FormatInt(r.Time.Unix(), 10), r.Nonce}, "\n")
}

// Verify checks sig against r, r's time against the clock and r's nonce
// against those seen; it remembers the nonce of a request that passes.
func (s *Signer) Verify(r Request, sig string) error {
	for _, f := range []string{r.Method, r.URI, r.Node, r.Client, r.Nonce} {
		if f == "" || strings.ContainsAny(f, "\r\n") {
			return ErrMalformed
		}
	}
	want := s.Sign(r)
	if !hmac.Equal([]byte(sig), []byte(want)) {
		return ErrBadSignature
	}
	now := s.now()
	if d := now.Sub(r.Time); d > Window || d < -Window {
		return fmt.Errorf("%w: %v apart", ErrStale, d.Round(time.Second))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if now.Sub(s.swept) > Window || len(s.nonces) >= maxNonces {
		for n, until := range s.nonces {
			if now.After(until) {
				delete(s.nonces, n)
			}
		}
		s.swept = now
	}
	if _, seen := s.nonces[r.Nonce]; seen {
		return ErrReplayed
	}
	if len(s.nonces) >= maxNonces {
		return fmt.Errorf("%w: too many recent requests to remember", ErrReplayed)
	}
	// Remembered for as long as its time stays within the window.
	s.nonces[r.Nonce] = r.Time.Add(Window)
	return nil
}

// ParseTime reads a signed request's time as sent: Unix seconds.
func ParseTime(s string) (time.Time, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, ErrMalformed
	}
	return time.Unix(n, 0), nil
}

// FormatTime writes t as ParseTime reads it.
func FormatTime(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// ParseSum reads a body hash as sent: hex.
func ParseSum(s string) ([sha256.Size]byte, error) {
	var sum [sha256.Size]byte
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != sha256.Size {
		return sum, ErrMalformed
	}
	copy(sum[:], b)
	return sum, nil
}

// FormatSum writes a body hash as ParseSum reads it.
func FormatSum(sum [sha256.Size]byte) string { return hex.EncodeToString(sum[:]) }
