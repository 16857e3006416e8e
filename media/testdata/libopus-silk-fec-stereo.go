//go:build ignore

// This program wrote libopus-silk-fec-stereo.rtp, in mediatest's packet
// format: 3 s of two tones that libopus (Debian's libopus-dev) encodes as a
// WebRTC sender told of loss does, SILK with in-band FEC (91 of the 150
// packets carry LBRR frames), switching between mono and stereo every 25
// packets. No browser capture has either. Run it from this directory:
//
//	go run libopus-silk-fec-stereo.go libopus-silk-fec-stereo.rtp
package main

/*
#cgo pkg-config: opus
#include <opus.h>
static int setup(OpusEncoder *e) {
	int err = opus_encoder_ctl(e, OPUS_SET_BITRATE(32000));
	if (!err) err = opus_encoder_ctl(e, OPUS_SET_MAX_BANDWIDTH(OPUS_BANDWIDTH_WIDEBAND));
	if (!err) err = opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE));
	if (!err) err = opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(1));
	if (!err) err = opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(20));
	return err;
}
static int force_channels(OpusEncoder *e, int ch) { return opus_encoder_ctl(e, OPUS_SET_FORCE_CHANNELS(ch)); }
*/
import "C"

import (
	"bufio"
	"encoding/binary"
	"log"
	"math"
	"os"
	"unsafe"
)

func main() {
	var errc C.int
	enc := C.opus_encoder_create(48000, 2, C.OPUS_APPLICATION_VOIP, &errc)
	if errc != C.OPUS_OK || C.setup(enc) != C.OPUS_OK {
		log.Fatal("libopus: cannot set up the encoder")
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(f)
	pcm := make([]float32, 960*2)
	out := make([]byte, 1500)
	for k := range 150 {
		C.force_channels(enc, C.int(1+(k/25)%2))
		for i := range 960 {
			t := float64(k*960+i) / 48000
			am := 0.6 + 0.4*math.Sin(2*math.Pi*3*t)
			pcm[2*i] = float32(0.4 * am * math.Sin(2*math.Pi*440*t))
			pcm[2*i+1] = float32(0.3 * (1 - am/2) * math.Sin(2*math.Pi*660*t))
		}
		n := C.opus_encode_float(enc, (*C.float)(unsafe.Pointer(&pcm[0])), 960, (*C.uchar)(unsafe.Pointer(&out[0])), 1500)
		if n < 0 {
			log.Fatal("libopus: encode failed")
		}
		var h [12]byte // sequence number, timestamp, arrival (µs), length
		binary.BigEndian.PutUint16(h[0:], uint16(1000+k))
		binary.BigEndian.PutUint32(h[2:], uint32(5000+k*960))
		binary.BigEndian.PutUint32(h[6:], uint32(k*20000))
		binary.BigEndian.PutUint16(h[10:], uint16(n))
		w.Write(h[:])
		w.Write(out[:n])
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}
