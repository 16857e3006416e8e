package rtc

import (
	"strconv"
	"strings"
)

// askBitrate returns the answer sdp asking the browser to send its Opus at
// bitrate bits/s on average at most: maxaveragebitrate in the Opus format
// parameters (RFC 7587 section 6.1), which the sender's encoder follows.
// It is what an Opus take costs on disk; left alone, Firefox sends about
// 66 kbit/s. pion answers with the offer's parameters (and refuses an
// edited local description), so the answer sent is edited here. A bitrate of 0 leaves the answer as it is.
func askBitrate(sdp string, bitrate int) string {
	if bitrate <= 0 {
		return sdp
	}
	lines := strings.SplitAfter(sdp, "\n")
	opus := map[string]bool{} // payload types of Opus
	for _, l := range lines {
		if pt, codec, ok := strings.Cut(strings.TrimPrefix(l, "a=rtpmap:"), " "); ok && strings.HasPrefix(l, "a=rtpmap:") &&
			strings.HasPrefix(strings.ToLower(codec), "opus/") {
			opus[pt] = true
		}
	}
	param := "maxaveragebitrate=" + strconv.Itoa(bitrate)
	out := make([]string, 0, len(lines)+len(opus))
	for _, l := range lines {
		pt, params, _ := strings.Cut(strings.TrimPrefix(l, "a=fmtp:"), " ")
		if !strings.HasPrefix(l, "a=fmtp:") || !opus[pt] {
			out = append(out, l)
			continue
		}
		end := l[len(strings.TrimRight(l, "\r\n")):]
		var kept []string
		for p := range strings.SplitSeq(strings.TrimRight(params, "\r\n"), ";") {
			if k, _, _ := strings.Cut(strings.TrimSpace(p), "="); p != "" && !strings.EqualFold(k, "maxaveragebitrate") {
				kept = append(kept, strings.TrimSpace(p))
			}
		}
		out = append(out, "a=fmtp:"+pt+" "+strings.Join(append(kept, param), ";")+end)
		delete(opus, pt)
	}
	if len(opus) == 0 {
		return strings.Join(out, "")
	}
	// An Opus payload type with no parameters line gets one after its rtpmap.
	withNew := make([]string, 0, len(out)+len(opus))
	for _, l := range out {
		withNew = append(withNew, l)
		if pt, _, ok := strings.Cut(strings.TrimPrefix(l, "a=rtpmap:"), " "); ok && strings.HasPrefix(l, "a=rtpmap:") && opus[pt] {
			withNew = append(withNew, "a=fmtp:"+pt+" "+param+"\r\n")
		}
	}
	return strings.Join(withNew, "")
}
