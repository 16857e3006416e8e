package config

import (
	"errors"
	"flag"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

func noEnv(string) string { return "" }

// TestDefaults: with no flag and no variable, the documented defaults.
func TestDefaults(t *testing.T) {
	c, err := Parse(nil, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.Addr != ":8080" || c.DataDir != "data" || c.DBSource() != "data/recorder.db" || c.Storage.S3 != nil ||
		c.HTTP.MaxBody != 16<<20 || c.HTTP.BodyMemory != 64<<20 || c.Uploads.MaxTake != 2048<<20 ||
		c.Sessions.Max != 32 || c.Sessions.MaxPerClient != 8 || c.Sessions.ConnectTimeout != 10*time.Second ||
		c.HTTP.MaxWS != 1000 || c.HTTP.MaxWSPerClient != 32 || !c.Network.Loopback || c.TLS.On || c.Observe.Metrics {
		t.Errorf("defaults %+v", c)
	}
}

// TestFlagOverEnv: a flag wins over its variable, which wins over the
// default; a malformed switch in the environment is an error naming it.
func TestFlagOverEnv(t *testing.T) {
	env := map[string]string{"RECORDER_MAX_SESSIONS": "5", "RECORDER_METRICS": "true", "RECORDER_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1"}
	c, err := Parse([]string{"-max-sessions", "7"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.1/32")}
	if c.Sessions.Max != 7 || !c.Observe.Metrics || !slices.Equal(c.HTTP.TrustedProxies, want) {
		t.Errorf("got %+v", c)
	}
	_, err = Parse(nil, func(k string) string { return map[string]string{"RECORDER_TLS": "maybe"}[k] })
	if err == nil || !strings.Contains(err.Error(), "RECORDER_TLS") {
		t.Errorf("RECORDER_TLS=maybe: %v", err)
	}
	if _, err := Parse([]string{"-h"}, noEnv); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("-h: %v", err)
	}
}

// TestRefused: values out of range are refused with the flag's name.
func TestRefused(t *testing.T) {
	for _, args := range [][]string{
		{"-addr", ""}, {"-log-level", "loud"}, {"-token", "short"}, {"-trusted-proxies", "example.org"},
		{"-max-body", "0"}, {"-max-body", "32", "-body-memory", "16"}, {"-max-take", "0"},
		{"-max-sessions", "0"}, {"-max-sessions-per-client", "0"}, {"-connect-timeout", "0s"}, {"-offer-rate", "-1"},
		{"-header-timeout", "0s"}, {"-max-uploads", "0"}, {"-max-ws-per-client", "0"},
		{"-cert", "c.pem"},
	} {
		if _, err := Parse(args, noEnv); err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(args[len(args)-2], "-")) {
			t.Errorf("Parse(%q) = %v, want an error naming it", args, err)
		}
	}
	c, err := Parse([]string{"-cert", "c.pem", "-key", "k.pem"}, noEnv)
	if err != nil || !c.TLS.On {
		t.Errorf("-cert and -key: TLS %v, %v; want on", c.TLS.On, err)
	}
}

// TestReorderMaxHold: the flag wins over its variable, which wins over the
// default; a hold outside 1ms-2s is refused.
func TestReorderMaxHold(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		env  string
		want time.Duration
	}{
		{"Default", nil, "", media.DefaultReorderMaxHold},
		{"Env", nil, "80ms", 80 * time.Millisecond},
		{"FlagWins", []string{"-reorder-max-hold", "120ms"}, "80ms", 120 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse(tc.args, func(k string) string {
				if k == "RECORDER_REORDER_MAX_HOLD" {
					return tc.env
				}
				return ""
			})
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Sessions.ReorderMaxHold != tc.want {
				t.Errorf("ReorderMaxHold %v, want %v", cfg.Sessions.ReorderMaxHold, tc.want)
			}
		})
	}
	for _, bad := range []string{"0s", "-5ms", "3s"} {
		if _, err := Parse([]string{"-reorder-max-hold", bad}, noEnv); err == nil {
			t.Errorf("-reorder-max-hold %s accepted", bad)
		}
	}
}

func TestNetwork(t *testing.T) {
	env := map[string]string{
		"RECORDER_TURN_SECRET": "from-env",
		"RECORDER_PUBLIC_IP":   "198.51.100.7",
		"RECORDER_UDP_PORT":    "50000",
	}
	cfg, err := Parse([]string{
		"-stun", "stun:stun.example.org:3478",
		"-turn", "turn:turn.example.org:3478?transport=udp, turns:turn.example.org:5349",
		"-turn-user", "rec", "-tcp-port", "50001", "-udp-port-range", "40000-40100",
		"-ice-interfaces", "eth0", "-ice-networks", "udp4,tcp4", "-ice-relay-only",
	}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	n := cfg.Network.ICE
	if n.TURNSecret != "from-env" || n.TURNUser != "rec" || len(n.TURN) != 2 || n.STUN[0] != "stun:stun.example.org:3478" ||
		n.PublicIPs[0] != "198.51.100.7" || n.UDPPort != 50000 || n.TCPPort != 50001 || n.PortMin != 40000 || n.PortMax != 40100 ||
		n.Interfaces[0] != "eth0" || len(n.Networks) != 2 || !n.RelayOnly || n.TURNTTL != 12*time.Hour {
		t.Errorf("network config %+v", n)
	}

	for _, bad := range [][]string{
		{"-udp-port-range", "40100"},
		{"-udp-port-range", "0-10"},
		{"-turn", "turn:a:3478"}, // no credentials
		{"-stun", "turn:a:3478"},
		{"-public-ip", "my.host"},
		{"-ice-networks", "udp5"},
		{"-turn", "turn:a:3478", "-turn-secret", "s", "-turn-ttl", "0s"},
	} {
		if _, err := Parse(bad, noEnv); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestStoreFlag(t *testing.T) {
	env := map[string]string{
		"RECORDER_STORE": "s3://bucket/takes", "AWS_ENDPOINT_URL": "http://127.0.0.1:7070", "AWS_REGION": "eu-west-3",
		"AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET",
	}
	cfg, err := Parse([]string{"-s3-path-style"}, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Storage.S3
	if c == nil || c.Bucket != "bucket" || c.Prefix != "takes/" || c.Endpoint != "http://127.0.0.1:7070" ||
		c.Region != "eu-west-3" || !c.PathStyle || c.AccessKey != "AKID" || c.SecretKey != "SECRET" {
		t.Errorf("config %+v", c)
	}
	cfg, err = Parse(nil, noEnv)
	if err != nil || cfg.Storage.S3 != nil {
		t.Errorf("default: %+v, %v", cfg.Storage.S3, err)
	}
	if _, err := Parse([]string{"-store", "/srv/recordings"}, noEnv); err == nil {
		t.Error("-store takes a path that is not s3://")
	}
}
