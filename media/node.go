package media

// Node is one recorder process among several that share an index and a
// recordings store: its ID, unique among them, and the URL the other nodes
// reach it at. A live WebRTC session belongs to the node that answered its
// offer (its peer connection and its spool are there).
type Node struct {
	ID  string
	URL string
}
