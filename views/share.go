package views

import "time"

// ShareRow is a recording row's share control: make a link for a while,
// copy it, stop sharing.
type ShareRow struct {
	Name   string // the recording's, for labels
	URL    string // /recordings/{filename}/share; "" offers no sharing
	Status string // of its open links: "Shared · 3 plays · expires in 6 days"; "" if none
	// Link is a link just made, shown once: the index keeps only a hash
	// of its secret. LinkExpires is when it stops working.
	Link        string
	LinkExpires time.Time
}

// ShareChoice is one length of time a link may be made for.
type ShareChoice struct{ Value, Label string }

// shareChoices are the lengths offered, the first chosen.
func shareChoices() []ShareChoice {
	return []ShareChoice{{"1d", "1 day"}, {"1h", "1 hour"}, {"7d", "7 days"}}
}

// ShareView is the page a share link opens.
type ShareView struct {
	Title string
	// Untitled: the title is a name from Created, which the page's
	// script writes again on the viewer's own clock (a link's visitor
	// has sent no zone or clock of theirs).
	Untitled    bool
	Created     time.Time
	Duration    string
	Seconds     float64
	AudioURL    string
	DownloadURL string
	PlayURL     string // where the page counts a playback
	Ext         string
	Expires     time.Time
}
