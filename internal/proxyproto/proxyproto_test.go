package proxyproto

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

// v2 builds a version 2 header: command (0 LOCAL, 1 PROXY), family and
// protocol, the address block, then TLVs.
func v2(cmd, famProto byte, addrs, tlvs []byte) string {
	b := append([]byte{}, sigV2...)
	b = append(b, 0x20|cmd, famProto)
	b = binary.BigEndian.AppendUint16(b, uint16(len(addrs)+len(tlvs)))
	return string(append(append(b, addrs...), tlvs...))
}

func TestParse(t *testing.T) {
	v4 := []byte{192, 0, 2, 7, 10, 0, 0, 1, 0xc3, 0x50, 0x1f, 0x90} // 192.0.2.7:50000 → 10.0.0.1:8080
	v6 := make([]byte, 36)
	copy(v6, netip.MustParseAddr("2001:db8::7").AsSlice())
	copy(v6[16:], netip.MustParseAddr("2001:db8::1").AsSlice())
	binary.BigEndian.PutUint16(v6[32:], 50000)
	binary.BigEndian.PutUint16(v6[34:], 443)
	tlv := []byte{0x04, 0x00, 0x02, 'h', 'i'} // PP2_TYPE_NOOP
	for _, tc := range []struct {
		name, in, want, rest string
		err                  bool
	}{
		{"V1TCP4", "PROXY TCP4 192.0.2.7 10.0.0.1 50000 8080\r\nGET /", "192.0.2.7:50000", "GET /", false},
		{"V1TCP6", "PROXY TCP6 2001:db8::7 2001:db8::1 50000 443\r\nGET /", "[2001:db8::7]:50000", "GET /", false},
		{"V1Unknown", "PROXY UNKNOWN\r\nGET /", "", "GET /", false},
		{"V1UnknownWithAddresses", "PROXY UNKNOWN 1.2.3.4 5.6.7.8 1 2\r\nGET /", "", "GET /", false},
		{"V2TCP4", v2(1, 0x11, v4, nil) + "GET /", "192.0.2.7:50000", "GET /", false},
		{"V2TCP6WithTLV", v2(1, 0x21, v6, tlv) + "GET /", "[2001:db8::7]:50000", "GET /", false},
		{"V2Local", v2(0, 0x00, nil, nil) + "GET /", "", "GET /", false},
		{"V2UDP", v2(1, 0x12, v4, nil) + "GET /", "", "GET /", false},
		{"NoHeader", "GET / HTTP/1.1\r\n", "", "GET / HTTP/1.1\r\n", false},
		{"NoHeaderPOST", "POST / HTTP/1.1\r\n", "", "POST / HTTP/1.1\r\n", false},
		{"Empty", "", "", "", false},
		{"ErrV1Family", "PROXY UDP4 192.0.2.7 10.0.0.1 1 2\r\n", "", "", true},
		{"ErrV1FamilyMismatch", "PROXY TCP4 2001:db8::7 10.0.0.1 1 2\r\n", "", "", true},
		{"ErrV1Port", "PROXY TCP4 192.0.2.7 10.0.0.1 70000 2\r\n", "", "", true},
		{"ErrV1NoCRLF", "PROXY TCP4 192.0.2.7 10.0.0.1 1 2\n", "", "", true},
		{"ErrV1TooLong", "PROXY TCP4 " + strings.Repeat("1", 120) + "\r\n", "", "", true},
		{"ErrV1Cut", "PROXY TCP4 192.0.2.7", "", "", true},
		{"ErrV2Version", strings.Replace(v2(1, 0x11, v4, nil), "\x21\x11", "\x31\x11", 1), "", "", true},
		{"ErrV2Short", v2(1, 0x11, v4[:8], nil), "", "", true},
		{"ErrV2Cut", v2(1, 0x11, v4, nil)[:20], "", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := bufio.NewReader(strings.NewReader(tc.in))
			got, err := Parse(r)
			if (err != nil) != tc.err {
				t.Fatalf("Parse: %v, want error %v", err, tc.err)
			}
			if tc.err {
				return
			}
			if want := tc.want; (want == "" && got.IsValid()) || (want != "" && got.String() != want) {
				t.Errorf("client %v, want %q", got, want)
			}
			if rest, _ := io.ReadAll(r); string(rest) != tc.rest {
				t.Errorf("left %q, want %q", rest, tc.rest)
			}
		})
	}
}

// TestListener: a trusted peer's header names the client and is taken off
// the stream; an untrusted peer's is not honoured (the server gets the
// bytes and the true peer); a trusted peer may send no header.
func TestListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	for _, tc := range []struct {
		name, send, remote, read string
		trusted                  bool
	}{
		{"Trusted", "PROXY TCP4 192.0.2.7 10.0.0.1 50000 8080\r\nhello", "192.0.2.7:50000", "hello", true},
		{"TrustedNoHeader", "hello", "127.0.0.1", "hello", true},
		{"Untrusted", "PROXY TCP4 192.0.2.7 10.0.0.1 50000 8080\r\nhello", "127.0.0.1", "PROXY TCP4 192.0.2.7 10.0.0.1 50000 8080\r\nhello", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl := &Listener{Listener: ln, Trusted: func(a netip.Addr) bool { return tc.trusted && a.IsLoopback() }, Timeout: time.Second}
			go func() {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					return
				}
				defer c.Close()
				_, _ = io.WriteString(c, tc.send)
			}()
			c, err := pl.Accept()
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			got, err := io.ReadAll(c)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.read {
				t.Errorf("read %q, want %q", got, tc.read)
			}
			remote := c.RemoteAddr().String()
			if tc.remote == "127.0.0.1" {
				host, _, _ := net.SplitHostPort(remote)
				remote = host
			}
			if remote != tc.remote {
				t.Errorf("RemoteAddr %s, want %s", c.RemoteAddr(), tc.remote)
			}
		})
	}
	t.Run("ErrSlowHeader", func(t *testing.T) {
		pl := &Listener{Listener: ln, Trusted: func(netip.Addr) bool { return true }, Timeout: 200 * time.Millisecond}
		client, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()
		_, _ = io.WriteString(client, "PROXY TCP4 192.0.2.7") // and nothing more
		c, err := pl.Accept()
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		began := time.Now()
		_, err = c.Read(make([]byte, 10))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() || time.Since(began) > 2*time.Second {
			t.Errorf("a header cut short: %v after %v, want a timeout after 200 ms", err, time.Since(began))
		}
	})
}
