package sharelink

import "testing"

func TestNewParseMatches(t *testing.T) {
	id, secret, token := New()
	gotID, gotSecret, ok := Parse(token)
	if !ok || gotID != id || gotSecret != secret {
		t.Fatalf("Parse(%q) = %q %q %v, want %q %q", token, gotID, gotSecret, ok, id, secret)
	}
	if !Matches(Sum(secret), secret) {
		t.Error("a secret does not match its sum")
	}
	_, other, _ := New()
	if Matches(Sum(secret), other) || other == secret {
		t.Error("another secret matches")
	}
	if id2, _, _ := New(); id2 == id {
		t.Error("two links have one id")
	}
}

func TestParseRefuses(t *testing.T) {
	_, _, token := New()
	for _, bad := range []string{
		"", ".", token[:len(token)-1], token + "A", token[:13] + token[14:],
		"abcdefghijklm.ABCDEFGHIJKLMNOPQRSTUVWXYZ", // lower case
		"ABCDEFGHIJKL1.ABCDEFGHIJKLMNOPQRSTUVWXYZ", // 1 is not base32
		"ABCDEFGHIJKLM.ABCDEFGHIJKLMNOPQRSTUVWXY%", "../../etc/passwd",
	} {
		if _, _, ok := Parse(bad); ok {
			t.Errorf("Parse(%q) ok", bad)
		}
	}
}
