package guard

import (
	"log/slog"
	"net"
	"net/netip"
	"strings"
)

// WarnIfExposed logs a warning when the server is about to listen beyond
// this machine (addr binds all interfaces, as ":8080" and "0.0.0.0:8080"
// do, or a LAN address) with no access token: then anyone who can reach
// the port can use the microphone page, read, rename and delete the
// recordings and change the parameters.
func WarnIfExposed(addr, token string, log *slog.Logger) {
	if token != "" || IsLoopbackAddr(addr) || log == nil {
		return
	}
	log.Warn("listening beyond this machine without an access token: anyone who can reach it can "+
		"record, read and delete recordings; set an access token or listen on 127.0.0.1",
		"addr", addr)
}

// IsLoopbackAddr reports whether a listen address (host:port, or a bare
// host) binds only the loopback interface: "localhost", 127.0.0.0/8 or
// ::1. An empty host (all interfaces), an unspecified address, any other
// IP and any other host name (not resolved here) are not loopback.
func IsLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	return ip.Unmap().IsLoopback()
}
