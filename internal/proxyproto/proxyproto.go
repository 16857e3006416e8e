// Package proxyproto reads the PROXY protocol header (versions 1 and 2, as
// HAProxy sends with send-proxy and send-proxy-v2) that a load balancer
// puts at the start of each connection it opens to a server, to say which
// client it carries. A Listener takes the header only from peers it
// trusts, and then reports the client as the connection's RemoteAddr; from
// anyone else the bytes are left as they came (an HTTP server then refuses
// them), so nobody can claim another address by sending a header.
//
// The header is read on the connection's first Read (or RemoteAddr), not
// in Accept, so a slow peer holds up only its own connection.
package proxyproto

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Listener wraps a listener whose connections may begin with a PROXY
// header.
type Listener struct {
	net.Listener
	// Trusted reports whether a peer may send the header.
	Trusted func(netip.Addr) bool
	// Timeout bounds reading the header; 0 means 10 s.
	Timeout time.Duration
}

// Accept returns the next connection; from a trusted peer it is one whose
// header is read on first use.
func (l *Listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	peer := addrPort(c.RemoteAddr())
	if !peer.IsValid() || l.Trusted == nil || !l.Trusted(peer.Addr().Unmap()) {
		return c, nil
	}
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	return &Conn{Conn: c, timeout: timeout}, nil
}

// Conn is a connection from a trusted peer: its RemoteAddr is the client
// the PROXY header named, or the peer itself when there was none (a health
// check, a connection without the header) or it named none (LOCAL,
// UNKNOWN).
type Conn struct {
	net.Conn
	timeout time.Duration

	mu       sync.Mutex
	deadline time.Time // the read deadline the conn's user set last

	once   sync.Once
	r      *bufio.Reader
	remote net.Addr
	err    error
}

// SetReadDeadline sets the read deadline, and remembers it for the header.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}

// SetDeadline sets both deadlines, and remembers the read one.
func (c *Conn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
}

// Read reads past the header, once.
func (c *Conn) Read(b []byte) (int, error) {
	c.once.Do(c.readHeader)
	if c.err != nil {
		return 0, c.err
	}
	return c.r.Read(b)
}

// RemoteAddr is the client the header named, once it is read.
func (c *Conn) RemoteAddr() net.Addr {
	c.once.Do(c.readHeader)
	if c.remote != nil {
		return c.remote
	}
	return c.Conn.RemoteAddr()
}

func (c *Conn) readHeader() {
	// The header must come within the timeout, or the deadline the
	// server set already if that is sooner; then the server's is back.
	c.mu.Lock()
	theirs := c.deadline
	c.mu.Unlock()
	ours := time.Now().Add(c.timeout)
	if !theirs.IsZero() && theirs.Before(ours) {
		ours = theirs
	}
	_ = c.Conn.SetReadDeadline(ours)
	defer c.Conn.SetReadDeadline(theirs)
	c.r = bufio.NewReaderSize(c.Conn, 256)
	remote, err := Parse(c.r)
	if err != nil {
		c.err = fmt.Errorf("proxyproto: from %s: %w", c.Conn.RemoteAddr(), err)
		return
	}
	if remote.IsValid() {
		c.remote = net.TCPAddrFromAddrPort(remote)
	}
}

// Signatures of the two versions.
var (
	sigV1 = []byte("PROXY ")
	sigV2 = []byte("\r\n\r\n\x00\r\nQUIT\n")
)

// maxV1 is the longest version 1 header, CRLF included.
const maxV1 = 107

// ErrBadHeader marks a PROXY header that does not parse.
var ErrBadHeader = errors.New("malformed PROXY header")

// Parse reads a PROXY header from r if one is there, and returns the
// client's address and port it names; the zero AddrPort when there is no
// header (r is left as it was: nothing is consumed), or the header names
// no client (LOCAL, UNKNOWN, an address family other than TCP over IPv4
// or IPv6).
func Parse(r *bufio.Reader) (netip.AddrPort, error) {
	first, err := r.Peek(1)
	if err != nil {
		if errors.Is(err, io.EOF) {
			return netip.AddrPort{}, nil // nothing at all: the server sees the end
		}
		return netip.AddrPort{}, err
	}
	// The first byte tells: an HTTP request (or TLS hello) begins with
	// neither, and is not waited on for more.
	switch first[0] {
	case sigV1[0]:
		if head, err := r.Peek(len(sigV1)); err == nil && bytes.Equal(head, sigV1) {
			return parseV1(r)
		}
	case sigV2[0]:
		if head, err := r.Peek(len(sigV2)); err == nil && bytes.Equal(head, sigV2) {
			return parseV2(r)
		}
	}
	return netip.AddrPort{}, nil
}

// parseV1 reads "PROXY TCP4 src dst sport dport\r\n" (or TCP6, or
// "PROXY UNKNOWN…\r\n").
func parseV1(r *bufio.Reader) (netip.AddrPort, error) {
	var line []byte
	for len(line) < maxV1 {
		b, err := r.ReadByte()
		if err != nil {
			return netip.AddrPort{}, err
		}
		line = append(line, b)
		if b == '\n' {
			break
		}
	}
	text, ok := strings.CutSuffix(string(line), "\r\n")
	if !ok {
		return netip.AddrPort{}, fmt.Errorf("%w: version 1 line not ended by CRLF within %d bytes", ErrBadHeader, maxV1)
	}
	f := strings.Split(text, " ")
	if len(f) >= 2 && f[1] == "UNKNOWN" {
		return netip.AddrPort{}, nil
	}
	if len(f) != 6 || (f[1] != "TCP4" && f[1] != "TCP6") {
		return netip.AddrPort{}, fmt.Errorf("%w: %q", ErrBadHeader, text)
	}
	src, err := netip.ParseAddr(f[2])
	if err != nil || (f[1] == "TCP4") != src.Is4() {
		return netip.AddrPort{}, fmt.Errorf("%w: source %q", ErrBadHeader, f[2])
	}
	if _, err := netip.ParseAddr(f[3]); err != nil {
		return netip.AddrPort{}, fmt.Errorf("%w: destination %q", ErrBadHeader, f[3])
	}
	port, err := strconv.ParseUint(f[4], 10, 16)
	if err != nil || (len(f[4]) > 1 && f[4][0] == '0') {
		return netip.AddrPort{}, fmt.Errorf("%w: source port %q", ErrBadHeader, f[4])
	}
	return netip.AddrPortFrom(src, uint16(port)), nil
}

// parseV2 reads the binary header: the signature, version and command,
// family and protocol, the length of what follows, the addresses, and any
// TLVs (skipped).
func parseV2(r *bufio.Reader) (netip.AddrPort, error) {
	var fixed [16]byte
	if _, err := io.ReadFull(r, fixed[:]); err != nil {
		return netip.AddrPort{}, err
	}
	verCmd, famProto := fixed[12], fixed[13]
	n := int(binary.BigEndian.Uint16(fixed[14:16]))
	if verCmd>>4 != 2 {
		return netip.AddrPort{}, fmt.Errorf("%w: version %d", ErrBadHeader, verCmd>>4)
	}
	rest := make([]byte, n)
	if _, err := io.ReadFull(r, rest); err != nil {
		return netip.AddrPort{}, err
	}
	switch verCmd & 0xf {
	case 0x0: // LOCAL: the proxy's own connection (a health check)
		return netip.AddrPort{}, nil
	case 0x1: // PROXY
	default:
		return netip.AddrPort{}, fmt.Errorf("%w: command %d", ErrBadHeader, verCmd&0xf)
	}
	switch famProto {
	case 0x11: // TCP over IPv4: src, dst, sport, dport
		if n < 12 {
			return netip.AddrPort{}, fmt.Errorf("%w: %d bytes of IPv4 addresses", ErrBadHeader, n)
		}
		src := netip.AddrFrom4([4]byte(rest[0:4]))
		return netip.AddrPortFrom(src, binary.BigEndian.Uint16(rest[8:10])), nil
	case 0x21: // TCP over IPv6
		if n < 36 {
			return netip.AddrPort{}, fmt.Errorf("%w: %d bytes of IPv6 addresses", ErrBadHeader, n)
		}
		src := netip.AddrFrom16([16]byte(rest[0:16]))
		return netip.AddrPortFrom(src, binary.BigEndian.Uint16(rest[32:34])), nil
	}
	return netip.AddrPort{}, nil // UDP, unix sockets, unspecified: no client to name
}

// addrPort is a net.Addr's address and port, if it is TCP.
func addrPort(a net.Addr) netip.AddrPort {
	if t, ok := a.(*net.TCPAddr); ok {
		return t.AddrPort()
	}
	return netip.AddrPort{}
}
