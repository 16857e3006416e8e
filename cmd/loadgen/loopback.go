package main

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
)

// errNotLoopback is why a URL, a connection or a candidate is refused.
var errNotLoopback = errors.New("not a loopback address: loadgen loads this machine only")

// loopbackURL checks that raw is an http URL of localhost or a loopback
// IP and returns it without a trailing slash.
func loopbackURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("-url %q: %w", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("-url %q: need http://HOST:PORT", raw)
	}
	if u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("-url %q: need just http://HOST:PORT", raw)
	}
	if !loopbackHost(u.Hostname()) {
		return "", fmt.Errorf("-url %q: host %q: %w (use 127.0.0.1, [::1] or localhost)", raw, u.Hostname(), errNotLoopback)
	}
	return u.Scheme + "://" + u.Host, nil
}

// loopbackHost reports whether host is "localhost" or a loopback IP.
func loopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// dialLoopback is the HTTP dialer's Control hook: it refuses a connection
// to any address that is not a loopback IP, whatever a name resolved to or
// a redirect pointed at.
func dialLoopback(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("dial %s %s: %w", network, address, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("dial %s %s: %w", network, address, errNotLoopback)
	}
	return nil
}
