package guard_test

import (
	"strings"
	"testing"

	"github.com/avatarweb/recorder/handlers/guard"
)

func TestWarnIfExposed(t *testing.T) {
	for _, tc := range []struct {
		addr     string
		loopback bool
	}{
		{":8080", false},
		{"0.0.0.0:8080", false},
		{"[::]:8080", false},
		{"192.168.1.5:8080", false},
		{"[fe80::1%eth0]:8080", false},
		{"recorder.lan:8080", false},
		{"127.0.0.1:8080", true},
		{"127.0.0.2:8080", true},
		{"localhost:8080", true},
		{"LOCALHOST:8080", true},
		{"[::1]:8080", true},
		{"[::ffff:127.0.0.1]:8080", true},
		{"localhost", true},
		{"", false},
	} {
		if got := guard.IsLoopbackAddr(tc.addr); got != tc.loopback {
			t.Errorf("IsLoopbackAddr(%q) = %v, want %v", tc.addr, got, tc.loopback)
		}
		for _, tok := range []string{"", "s3cret"} {
			log, logs := newLog()
			guard.WarnIfExposed(tc.addr, tok, log)
			warned := strings.Count(logs.String(), "level=WARN")
			want := 0
			if !tc.loopback && tok == "" {
				want = 1
			}
			if warned != want {
				t.Errorf("WarnIfExposed(%q, token %q): %d warnings, want %d:\n%s", tc.addr, tok, warned, want, logs)
			}
			if want == 1 && !strings.Contains(logs.String(), "addr="+tc.addr) {
				t.Errorf("the warning does not name the address:\n%s", logs)
			}
		}
	}
	guard.WarnIfExposed(":8080", "", nil) // a nil logger is no panic
}
