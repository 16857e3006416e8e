package media

import "time"

// Share is a read-only link to one recording: whoever holds it may play
// and download that recording, without the access token, until Expires
// or until it is revoked.
type Share struct {
	ID        string // the public half of the link
	SecretSum string // hex SHA-256 of the link's secret half
	Filename  string // the recording shared
	Created   time.Time
	Expires   time.Time
	Revoked   bool
	// Deleted: the recording is in Recently deleted (its links are
	// revoked when it goes there; this covers a link made meanwhile).
	Deleted bool
	Plays   int
}

// Open reports whether the link still opens its recording at now.
func (s Share) Open(now time.Time) bool {
	return !s.Revoked && !s.Deleted && now.Before(s.Expires)
}

// Sharing is what a recording's row says of its live links: how many,
// how often they were played, and when the last of them expires.
type Sharing struct {
	Links   int
	Plays   int
	Expires time.Time
}
