package handlers

import (
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
)

func TestShareStatus(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		s    media.Sharing
		want string
	}{
		{media.Sharing{Links: 1, Expires: now.Add(time.Hour - time.Second)}, "Shared · no plays yet · expires in 1 h"},
		{media.Sharing{Links: 1, Plays: 1, Expires: now.Add(44*time.Minute + 50*time.Second)}, "Shared · 1 play · expires in 45 min"},
		{media.Sharing{Links: 1, Plays: 3, Expires: now.Add(6*24*time.Hour + 2*time.Hour)}, "Shared · 3 plays · expires in 6 days"},
		{media.Sharing{Links: 2, Plays: 2, Expires: now.Add(24*time.Hour - time.Minute)}, "Shared (2 links) · 2 plays · expires in 1 day"},
		{media.Sharing{Links: 1, Expires: now.Add(10 * time.Second)}, "Shared · no plays yet · expires in under a minute"},
		{media.Sharing{Links: 1, Expires: now.Add(5*time.Hour + 10*time.Minute)}, "Shared · no plays yet · expires in 5 h"},
	} {
		if got := shareStatus(tc.s, now); got != tc.want {
			t.Errorf("shareStatus(%+v) = %q, want %q", tc.s, got, tc.want)
		}
	}
}
