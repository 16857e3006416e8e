//go:build libopus

package media

/*
#cgo pkg-config: opus
#include <opus.h>
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

// OpusDecoderName names the Opus decoder this build uses.
const OpusDecoderName = "libopus"

// libopusDecoder is the reference decoder, through cgo.
type libopusDecoder struct {
	dec      *C.OpusDecoder
	channels int
}

func newOpusDecoder(channels int) (opusDecoder, error) {
	var errc C.int
	dec := C.opus_decoder_create(C.opus_int32(OpusRate), C.int(channels), &errc)
	if errc != C.OPUS_OK || dec == nil {
		return nil, fmt.Errorf("libopus: %s", C.GoString(C.opus_strerror(errc)))
	}
	d := &libopusDecoder{dec: dec, channels: channels}
	runtime.AddCleanup(d, func(dec *C.OpusDecoder) { C.opus_decoder_destroy(dec) }, dec)
	return d, nil
}

func (d *libopusDecoder) DecodeToFloat32(in []byte, out []float32) (int, error) {
	if len(in) == 0 || len(out) < d.channels {
		return 0, fmt.Errorf("libopus: empty packet or output")
	}
	// The packet is passed as Go memory: cgo allows that for memory
	// holding no Go pointers that C keeps no longer than the call, as
	// opus_decode_float does (a copy into C memory cost a malloc and a free
	// per packet).
	n := C.opus_decode_float(d.dec, (*C.uchar)(unsafe.Pointer(&in[0])), C.opus_int32(len(in)),
		(*C.float)(unsafe.Pointer(&out[0])), C.int(len(out)/d.channels), 0)
	if n < 0 {
		return 0, fmt.Errorf("libopus: %s", C.GoString(C.opus_strerror(n)))
	}
	return int(n), nil
}
