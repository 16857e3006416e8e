package main

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"regexp"

	"github.com/avatarweb/recorder/media"
)

// clusterFlagValues are the flags of a node among several, as typed.
type clusterFlagValues struct{ nodeID, advertise, secret string }

// clusterFlags declares -node-id and -advertise-url, each with its
// RECORDER_* fallback. They matter only when the index is shared (-db
// postgres://…); one node needs neither.
func clusterFlags(fs *flag.FlagSet, env func(name, def string) string) *clusterFlagValues {
	v := &clusterFlagValues{}
	fs.StringVar(&v.nodeID, "node-id", env("RECORDER_NODE_ID", ""), "this node's name among the nodes sharing a PostgreSQL index, unique among them; default the host name (env RECORDER_NODE_ID)")
	fs.StringVar(&v.secret, "cluster-secret", env("RECORDER_CLUSTER_SECRET", ""), "with a shared index: a secret every node has, at least 32 characters, with which nodes sign the requests they forward to each other; prefer the env var RECORDER_CLUSTER_SECRET, flags show in ps")
	fs.StringVar(&v.advertise, "advertise-url", env("RECORDER_ADVERTISE_URL", ""), "the URL other nodes reach this one at, to forward requests for its live sessions; default http(s)://HOST:PORT from -addr and the host name (env RECORDER_ADVERTISE_URL)")
	return v
}

// minClusterSecret is the shortest -cluster-secret taken: it keys the
// HMAC that lets one node act for a client on another.
const minClusterSecret = 32

var nodeIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

// parse makes the node's identity from the flags, filling in defaults
// from the host name, the listen address and whether it serves TLS.
func (v *clusterFlagValues) parse(addr string, tls bool, hostname func() (string, error)) (media.Node, error) {
	n := media.Node{ID: v.nodeID, URL: v.advertise}
	if v.secret != "" && len(v.secret) < minClusterSecret {
		return n, fmt.Errorf("-cluster-secret: %d characters is guessable; use at least %d (openssl rand -base64 33 makes one)", len(v.secret), minClusterSecret)
	}
	host, herr := hostname()
	if n.ID == "" {
		if herr != nil || host == "" {
			host = "node"
		}
		n.ID = host
	}
	if !nodeIDPattern.MatchString(n.ID) {
		return n, fmt.Errorf("-node-id %q: want 1-63 letters, digits, '.', '_' or '-'", n.ID)
	}
	if n.URL == "" {
		h, port, err := net.SplitHostPort(addr)
		if err != nil {
			return n, fmt.Errorf("-addr %q: %w", addr, err)
		}
		if ip := net.ParseIP(h); h == "" || (ip != nil && ip.IsUnspecified()) {
			h = host
			if herr != nil || host == "" {
				h = "localhost" // one node never uses it; several warn at start
			}
		}
		scheme := "http"
		if tls {
			scheme = "https"
		}
		n.URL = scheme + "://" + net.JoinHostPort(h, port)
	}
	u, err := url.Parse(n.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return n, fmt.Errorf("-advertise-url %q: want http(s)://host:port", n.URL)
	}
	return n, nil
}
