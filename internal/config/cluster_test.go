package config

import (
	"errors"
	"testing"

	"github.com/avatarweb/recorder/media"
)

// TestNodeFlags: a node's identity defaults from the host name and -addr,
// and its flags and their env vars are checked.
func TestNodeFlags(t *testing.T) {
	host := func() (string, error) { return "rec1", nil }
	for _, tc := range []struct {
		name, id, url, addr string
		tls                 bool
		hostname            func() (string, error)
		want                media.Node
		bad                 bool
	}{
		{name: "Defaults", addr: ":8080", hostname: host, want: media.Node{ID: "rec1", URL: "http://rec1:8080"}},
		{name: "TLS", addr: "0.0.0.0:8443", tls: true, hostname: host, want: media.Node{ID: "rec1", URL: "https://rec1:8443"}},
		{name: "BoundAddress", addr: "10.0.0.5:8080", hostname: host, want: media.Node{ID: "rec1", URL: "http://10.0.0.5:8080"}},
		{name: "NoHostname", addr: ":8080", hostname: func() (string, error) { return "", errors.New("none") },
			want: media.Node{ID: "node", URL: "http://localhost:8080"}},
		{name: "Given", id: "a", url: "http://10.0.0.1:8080", addr: ":8080", hostname: host, want: media.Node{ID: "a", URL: "http://10.0.0.1:8080"}},
		{name: "BadID", id: "a b", addr: ":8080", hostname: host, bad: true},
		{name: "BadURL", url: "ftp://x", addr: ":8080", hostname: host, bad: true},
		{name: "URLWithPath", url: "http://x/app", addr: ":8080", hostname: host, bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := node(tc.id, tc.url, tc.addr, tc.tls, tc.hostname)
			if tc.bad {
				if err == nil {
					t.Fatalf("node = %+v, want an error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("node = %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
	cfg, err := Parse([]string{"-node-id", "flag"}, func(k string) string {
		return map[string]string{"RECORDER_NODE_ID": "env", "RECORDER_ADVERTISE_URL": "http://10.1.1.1:9000"}[k]
	})
	if err != nil || cfg.Cluster.Node != (media.Node{ID: "flag", URL: "http://10.1.1.1:9000"}) {
		t.Errorf("flag and env: %+v, %v", cfg.Cluster.Node, err)
	}
	if _, err := Parse([]string{"-cluster-secret", "short"}, noEnv); err == nil {
		t.Error("a guessable -cluster-secret accepted")
	}
}
