package app

import (
	"net"
	"testing"

	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
)

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// toneSender returns the Chromium tone capture and the pion API a test
// client streams it with.
func toneSender(t *testing.T) (rtcsend.Capture, *webrtc.API) {
	t.Helper()
	capture, err := rtcsend.ReadCapture("../../media/testdata/chromium-440hz-celt.rtp")
	if err != nil {
		t.Fatal(err)
	}
	api, err := rtcsend.NewAPI()
	if err != nil {
		t.Fatal(err)
	}
	return capture, api
}
