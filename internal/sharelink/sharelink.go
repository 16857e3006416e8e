// Package sharelink makes and checks the tokens of share links
// (/s/<token>): an id, by which the index finds the share, and a secret
// of 128 random bits, of which the index keeps only the SHA-256. Knowing
// a link is what opens it; reading the index is not.
package sharelink

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"
)

// Lengths of a token's halves: crypto/rand.Text's base32 (26 characters,
// 130 bits) for the secret, its first 13 for the id.
const (
	idLen     = 13
	secretLen = 26
)

// New returns a fresh link's id, its secret, and the token joining them.
func New() (id, secret, token string) {
	id, secret = rand.Text()[:idLen], rand.Text()
	return id, secret, id + "." + secret
}

// Parse splits a token into its id and secret; ok is false for anything
// that New could not have made.
func Parse(token string) (id, secret string, ok bool) {
	id, secret, ok = strings.Cut(token, ".")
	if !ok || len(id) != idLen || len(secret) != secretLen || !base32(id) || !base32(secret) {
		return "", "", false
	}
	return id, secret, true
}

// Sum is what the index keeps of a secret: its SHA-256, in hex.
func Sum(secret string) string {
	s := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(s[:])
}

// Matches reports whether secret is the one sum was made from, in time
// that does not depend on where they differ.
func Matches(sum, secret string) bool {
	return subtle.ConstantTimeCompare([]byte(sum), []byte(Sum(secret))) == 1
}

// base32 reports whether s is in rand.Text's alphabet (RFC 4648 base32,
// upper case).
func base32(s string) bool {
	for _, c := range []byte(s) {
		if (c < 'A' || c > 'Z') && (c < '2' || c > '7') {
			return false
		}
	}
	return true
}
