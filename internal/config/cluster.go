package config

import (
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"regexp"

	"github.com/avatarweb/recorder/media"
)

// Cluster is this node among several sharing a PostgreSQL index. One
// node on SQLite uses none of it.
type Cluster struct {
	Node media.Node // its id and the URL other nodes reach it at
	// Secret keys the signatures of the requests nodes forward to each
	// other; required with a shared index.
	Secret string

	nodeID, advertise string
}

// MinSecret is the shortest -cluster-secret taken: it keys the HMAC that
// lets one node act for a client on another.
const MinSecret = 32

var nodeIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$`)

func (c *Cluster) declare(fs *flag.FlagSet, e *env) {
	fs.StringVar(&c.nodeID, "node-id", e.str("RECORDER_NODE_ID", ""), "this node's name among the nodes sharing a PostgreSQL index, unique among them; default the host name (env RECORDER_NODE_ID)")
	fs.StringVar(&c.Secret, "cluster-secret", e.str("RECORDER_CLUSTER_SECRET", ""), "with a shared index: a secret every node has, at least 32 characters, with which nodes sign the requests they forward to each other; prefer the env var RECORDER_CLUSTER_SECRET, flags show in ps")
	fs.StringVar(&c.advertise, "advertise-url", e.str("RECORDER_ADVERTISE_URL", ""), "the URL other nodes reach this one at, to forward requests for its live sessions; default http(s)://HOST:PORT from -addr and the host name (env RECORDER_ADVERTISE_URL)")
}

func (c *Cluster) finish(cfg *Config) error {
	if c.Secret != "" && len(c.Secret) < MinSecret {
		return fmt.Errorf("-cluster-secret: %d characters is guessable; use at least %d (openssl rand -base64 33 makes one)", len(c.Secret), MinSecret)
	}
	var err error
	c.Node, err = node(c.nodeID, c.advertise, cfg.Addr, cfg.TLS.On, os.Hostname)
	return err
}

// node makes the node's identity from its flags, filling in defaults from
// the host name, the listen address and whether it serves TLS.
func node(id, advertise, addr string, tls bool, hostname func() (string, error)) (media.Node, error) {
	n := media.Node{ID: id, URL: advertise}
	host, herr := hostname()
	if herr != nil {
		host = ""
	}
	if n.ID == "" {
		n.ID = orDefault(host, "node")
	}
	if !nodeIDPattern.MatchString(n.ID) {
		return n, fmt.Errorf("-node-id %q: want 1-63 letters, digits, '.', '_' or '-'", n.ID)
	}
	if n.URL == "" {
		u, err := defaultURL(addr, host, tls)
		if err != nil {
			return n, err
		}
		n.URL = u
	}
	u, err := url.Parse(n.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return n, fmt.Errorf("-advertise-url %q: want http(s)://host:port", n.URL)
	}
	return n, nil
}

// defaultURL is http(s)://HOST:PORT from the listen address, with the
// host name when it listens on every address.
func defaultURL(addr, host string, tls bool) (string, error) {
	h, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("-addr %q: %w", addr, err)
	}
	if ip := net.ParseIP(h); h == "" || (ip != nil && ip.IsUnspecified()) {
		h = orDefault(host, "localhost") // one node never uses it; several warn at start
	}
	scheme := "http"
	if tls {
		scheme = "https"
	}
	return scheme + "://" + net.JoinHostPort(h, port), nil
}

// orDefault is s, or def when s is empty.
func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
