package config

import "testing"

// TestLiveFormat: -live-format, or RECORDER_LIVE_FORMAT, picks wav or
// opus (wav by default); anything else is refused.
func TestLiveFormat(t *testing.T) {
	env := func(v string) func(string) string {
		return func(name string) string {
			if name == "RECORDER_LIVE_FORMAT" {
				return v
			}
			return ""
		}
	}
	for _, tc := range []struct {
		args []string
		env  string
		want string
	}{
		{nil, "", "wav"},
		{[]string{"-live-format", "opus"}, "", "opus"},
		{nil, "opus", "opus"},
		{[]string{"-live-format", "wav"}, "opus", "wav"},
	} {
		c, err := Parse(tc.args, env(tc.env))
		if err != nil || c.Sessions.LiveFormat != tc.want {
			t.Errorf("Parse(%q) with RECORDER_LIVE_FORMAT=%q: %q, %v; want %q", tc.args, tc.env, c.Sessions.LiveFormat, err, tc.want)
		}
	}
	for _, bad := range []string{"mp3", "OPUS", ""} {
		if _, err := Parse([]string{"-live-format", bad}, noEnv); err == nil {
			t.Errorf("-live-format %q accepted", bad)
		}
	}
}

// TestOpusBitrate: -opus-bitrate is 28000 unless set, 0 leaves the choice
// to the browser, and a rate Opus has no such thing as is refused.
func TestOpusBitrate(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{{nil, DefaultOpusBitrate}, {[]string{"-opus-bitrate", "0"}, 0}, {[]string{"-opus-bitrate", "64000"}, 64000}} {
		c, err := Parse(tc.args, noEnv)
		if err != nil || c.Sessions.OpusBitrate != tc.want {
			t.Errorf("Parse(%q): %d, %v; want %d", tc.args, c.Sessions.OpusBitrate, err, tc.want)
		}
	}
	for _, bad := range []string{"5999", "510001", "-1"} {
		if _, err := Parse([]string{"-opus-bitrate", bad}, noEnv); err == nil {
			t.Errorf("-opus-bitrate %s accepted", bad)
		}
	}
}
