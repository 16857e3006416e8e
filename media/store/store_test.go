package store_test

import (
	"testing"

	"github.com/avatarweb/recorder/media/store"
)

func TestValidName(t *testing.T) {
	for name, want := range map[string]bool{
		"recording_20261126_130507.json":     true,
		"recording_20261126_130507_2.json":   true,
		"recording_20261126_130507_123.json": true,
		"recording_20261126_130507_.json":    false,
		"recording_2026112_130507.json":      false,
		"recording_20261126_130507.json\n":   false,
		"recording_x.json":                   false,
		"xrecording_20261126_130507.json":    false,
		"recording_20261126_130507.jsonx":    false,
		"recording_20261126_130507.JSON":     false,
		"recording_２0261126_130507.json":     false,
	} {
		if got := store.ValidName(name); got != want {
			t.Errorf("ValidName(%q) = %v, want %v", name, got, want)
		}
	}
}
