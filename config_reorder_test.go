package main

import (
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

// TestParseConfig_ReorderMaxHold: the flag wins over its variable, which
// wins over the default; a hold outside 1ms-2s is refused.
func TestParseConfig_ReorderMaxHold(t *testing.T) {
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
			cfg, err := parseConfig(append([]string{"-data", t.TempDir()}, tc.args...), func(k string) string {
				if k == "RECORDER_REORDER_MAX_HOLD" {
					return tc.env
				}
				return ""
			})
			if err != nil {
				t.Fatal(err)
			}
			if cfg.ReorderMaxHold != tc.want {
				t.Errorf("ReorderMaxHold %v, want %v", cfg.ReorderMaxHold, tc.want)
			}
		})
	}
	for _, bad := range []string{"0s", "-5ms", "3s"} {
		if _, err := parseConfig([]string{"-reorder-max-hold", bad}, func(string) string { return "" }); err == nil {
			t.Errorf("-reorder-max-hold %s accepted", bad)
		}
	}
}
