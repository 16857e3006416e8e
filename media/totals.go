package media

// Totals are the storage figures of the library: its recordings, their
// length and size, and what Recently deleted still holds (its files still
// take room until they are purged).
type Totals struct {
	Recordings   int
	Seconds      float64 // their length in all
	Bytes        int64   // their audio
	Deleted      int     // in Recently deleted
	DeletedBytes int64
}
