package rtc

import "testing"

func TestAskBitrate(t *testing.T) {
	for _, tc := range []struct{ name, sdp, want string }{
		{"Appended",
			"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n",
			"m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1;maxaveragebitrate=28000\r\n"},
		{"Replaced",
			"a=rtpmap:109 OPUS/48000/2\r\na=fmtp:109 maxplaybackrate=48000;maxaveragebitrate=510000;stereo=1\r\n",
			"a=rtpmap:109 OPUS/48000/2\r\na=fmtp:109 maxplaybackrate=48000;stereo=1;maxaveragebitrate=28000\r\n"},
		{"NoParameters",
			"a=rtpmap:111 opus/48000/2\r\na=rtcp-fb:111 transport-cc\r\n",
			"a=rtpmap:111 opus/48000/2\r\na=fmtp:111 maxaveragebitrate=28000\r\na=rtcp-fb:111 transport-cc\r\n"},
		{"OtherCodecsLeft",
			"a=rtpmap:0 PCMU/8000\r\na=fmtp:0 x=1\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\n",
			"a=rtpmap:0 PCMU/8000\r\na=fmtp:0 x=1\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1;maxaveragebitrate=28000\n"},
	} {
		if got := askBitrate(tc.sdp, 28000); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
	if sdp := "a=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\n"; askBitrate(sdp, 0) != sdp {
		t.Error("a bitrate of 0 changed the answer")
	}
}
