package export

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mp4"
	"github.com/avatarweb/recorder/media/ogg"
	"github.com/avatarweb/recorder/media/webm"
)

// remuxSerial is the Ogg stream serial of a remuxed file: fixed, so the
// pass that measures the file and the one that sends it write the same
// bytes.
const remuxSerial = 0x52454331

// remuxVendor goes into the OpusTags of a remuxed file.
const remuxVendor = "recorder export (packets as recorded in WebM)"

// remuxWebM plans the Ogg Opus of a WebM Opus take: its packets as
// recorded, in Ogg pages, with the WebM's channels and pre-skip, and a gap
// in the blocks' timestamps kept as one in the Ogg's granule positions
// (Fill: lost frames a decoder conceals). Nothing is decoded or
// re-encoded, so the Ogg decodes to the very same audio. It
// is written once into a counter first, for its size.
func remuxWebM(ctx context.Context, src Source) (*Export, error) {
	info, err := probeWebMOpus(src)
	if err != nil {
		return nil, err
	}
	channels, preSkip := webm.OpusLayout(info)
	write := func(ctx context.Context, w io.Writer) error {
		ow, err := ogg.NewWriterSkip(w, remuxSerial, channels, info.SampleRate, preSkip, remuxVendor)
		if err != nil {
			return err
		}
		var tl webm.Timeline
		err = webm.Packets(src.R, src.Size, func(ts time.Duration, pkt []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			n, _ := ogg.PacketSamples(pkt)
			if gap := tl.Place(ts, n); gap > 0 {
				if err := ow.Fill(gap); err != nil {
					return err
				}
			}
			return ow.WritePacket(pkt)
		})
		if err != nil {
			return fmt.Errorf("export: remux WebM to Ogg: %w", err)
		}
		return ow.Close()
	}
	var n counter
	if err := write(ctx, &n); err != nil {
		return nil, unreadable("WebM", err)
	}
	return &Export{Format: OggOpus, Size: int64(n), MIME: "audio/ogg;codecs=opus", Ext: ".ogg", write: write}, nil
}

// counter counts the bytes written to it.
type counter int64

func (c *counter) Write(p []byte) (int, error) {
	*c += counter(len(p))
	return len(p), nil
}

// mp4OggOpus plans the Ogg Opus of an MP4 take: its Opus remuxed
// (remuxMP4), its AAC decoded and encoded (encodeAAC).
func mp4OggOpus(ctx context.Context, src Source) (*Export, error) {
	tr, err := mp4.ReadTrack(src.R, src.Size)
	if err != nil {
		return nil, unreadable("MP4", err)
	}
	switch tr.Codec {
	case "Opus":
		return remuxMP4(ctx, src, tr)
	case mp4.CodecAAC:
		return encodeAAC(tr)
	}
	return nil, media.Invalidf("a %s recording of %q audio cannot be exported as Ogg Opus", baseType(src.MIME), tr.Codec)
}

// remuxMP4 plans the Ogg Opus of an MP4 Opus take (Chromium's
// audio/mp4) as remuxWebM does a WebM's: the packets as recorded, the
// dOps channels, input rate and pre-skip.
func remuxMP4(ctx context.Context, src Source, tr *mp4.Track) (*Export, error) {
	if tr.Channels < 1 || tr.Channels > 2 {
		return nil, media.Invalidf("an MP4 Opus file of %d channels cannot be exported", tr.Channels)
	}
	preSkip, rate := 0, media.OpusRate
	if c := tr.DecoderConfig; len(c) >= 8 {
		preSkip = int(binary.BigEndian.Uint16(c[2:]))
		if r := int(binary.BigEndian.Uint32(c[4:])); r > 0 {
			rate = r
		}
	}
	write := func(ctx context.Context, w io.Writer) error {
		ow, err := ogg.NewWriterSkip(w, remuxSerial, tr.Channels, rate, preSkip, remuxVendorMP4)
		if err != nil {
			return err
		}
		err = tr.EachSample(func(pkt []byte) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return ow.WritePacket(pkt)
		})
		if err != nil {
			return fmt.Errorf("export: remux MP4 to Ogg: %w", err)
		}
		return ow.Close()
	}
	var n counter
	if err := write(ctx, &n); err != nil {
		return nil, unreadable("MP4", err)
	}
	return &Export{Format: OggOpus, Size: int64(n), MIME: "audio/ogg;codecs=opus", Ext: ".ogg", write: write}, nil
}

// remuxVendorMP4 goes into the OpusTags of an Ogg remuxed from MP4.
const remuxVendorMP4 = "recorder export (packets as recorded in MP4)"
