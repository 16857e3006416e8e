// Package export converts a saved recording into the files people
// download: WAV at the recording's processing rate and channels, WAV at
// 16 kHz mono for speech tools, and Ogg Opus. Opus is decoded with the
// live path's decoder (media.NewOpusDecoder) and resampled with its
// resampler; a WebM take becomes Ogg Opus by remuxing, its packets as
// recorded, placed by their timestamps. An MP4 take is decoded too:
// Safari's AAC-LC with media/aac, Chromium's Opus with the live path's
// decoder (and remuxed to Ogg). A WAV or AAC take becomes Ogg Opus by
// encoding, in a build with libopus's encoder (-tags libopus, the release
// image); the pure-Go build has no Opus encoder and does not offer it.
//
// Every conversion streams: it holds one packet and one block of PCM at a
// time whatever the take's length, and is computed as it is sent, not
// cached (see docs/formats.md for the measurements behind that choice).
// Its exact size is known before the first byte, from a pass over the
// container that decodes nothing, so a browser shows a download's
// progress.
package export

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/avatarweb/recorder/media"
)

// Format is a file a recording can be downloaded as.
type Format string

const (
	// Original is the audio file as it was stored.
	Original Format = "original"
	// WAV is 16-bit PCM at the recording's processing rate and channels.
	WAV Format = "wav"
	// Speech is 16-bit PCM at 16 kHz mono, what speech tools take.
	Speech Format = "wav16k"
	// OggOpus is Ogg Opus: the packets as recorded for an Opus take, a
	// WAV or AAC take encoded (where the build has an encoder).
	OggOpus Format = "ogg"
)

// SpeechRate is the sample rate of the Speech format.
const SpeechRate = 16000

// ParseFormat reads a format as a request names it; "" is Original.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case "":
		return Original, nil
	case Original, WAV, Speech, OggOpus:
		return f, nil
	}
	return "", media.Invalidf("format must be %q, %q, %q or %q, not %q", Original, WAV, Speech, OggOpus, s)
}

// ErrNotOffered marks a format the server cannot make of a recording (no
// encoder or decoder for it, or the original is that format already): the
// request is well formed but asks for what is not offered. It is a kind
// of media.ErrInvalid.
var ErrNotOffered = fmt.Errorf("format not offered: %w", media.ErrInvalid)

func notOffered(msg string) error {
	return &media.Error{Kind: ErrNotOffered, Message: msg}
}

// Source is a recording's audio file as stored, and the processing
// parameters it was made under.
type Source struct {
	R    io.ReaderAt
	Size int64
	MIME string
	// Rate and Channels are what WAV exports at; 0 keeps the stored ones.
	Rate, Channels int
}

// Export is a conversion ready to stream.
type Export struct {
	Format Format
	Size   int64  // bytes WriteTo writes
	MIME   string // its Content-Type
	Ext    string // of its file name: ".wav", ".ogg"
	// Suffix goes at the end of its file name, before Ext, to tell it
	// from the original: " 16k".
	Suffix string

	write func(ctx context.Context, w io.Writer) error
}

// WriteTo writes the converted file to w, Size bytes, and stops early
// with ctx's error once ctx is done.
func (e *Export) WriteTo(ctx context.Context, w io.Writer) error {
	return e.write(ctx, w)
}

// container is how a stored file is laid out, from its MIME type.
type container int

const (
	other container = iota
	wavFile
	oggFile
	webmFile
	mp4File
)

func containerOf(mime string) container {
	base, params, _ := strings.Cut(strings.ToLower(mime), ";")
	opus := params == "" || strings.Contains(params, "opus")
	switch strings.TrimSpace(base) {
	case "audio/wav", "audio/wave", "audio/x-wav":
		return wavFile
	case "audio/ogg":
		if opus {
			return oggFile
		}
	case "audio/webm":
		if opus {
			return webmFile
		}
	case "audio/mp4", "audio/x-m4a":
		// Safari names no codec, or mp4a.40.2 (AAC-LC); Chromium asked
		// for audio/mp4 writes Opus. The sample entry says which.
		if params == "" || strings.Contains(params, "mp4a") || opus {
			return mp4File
		}
	}
	return other
}

// Offers lists what a recording stored as mime can be downloaded as,
// Original first. WAV is left out where the original is WAV already, and
// Ogg Opus of a WAV or AAC take where the build has no Opus encoder.
func Offers(mime string) []Format {
	switch containerOf(mime) {
	case wavFile:
		if media.HaveOpusEncoder {
			return []Format{Original, OggOpus, Speech}
		}
		return []Format{Original, Speech}
	case oggFile:
		return []Format{Original, WAV, Speech}
	case webmFile:
		return []Format{Original, OggOpus, WAV, Speech}
	case mp4File:
		if mp4Opus(mime) || media.HaveOpusEncoder {
			return []Format{Original, OggOpus, WAV, Speech}
		}
		return []Format{Original, WAV, Speech}
	}
	return []Format{Original}
}

// Encodes reports whether the Ogg Opus that Offers lists for a recording
// stored as mime is encoded (at Bitrate), not its packets as recorded: a
// WAV or AAC take's.
func Encodes(mime string) bool {
	switch containerOf(mime) {
	case wavFile:
		return true
	case mp4File:
		return !mp4Opus(mime)
	}
	return false
}

// mp4Opus reports whether an MP4 type names Opus (Chromium's); one that
// names no codec or mp4a is taken for AAC (Safari's).
func mp4Opus(mime string) bool {
	_, params, _ := strings.Cut(strings.ToLower(mime), ";")
	return strings.Contains(params, "opus")
}

// Plan checks that src converts to f and measures the result, reading
// src's container through once without decoding. It does not handle
// Original: the stored file is served as it is, with ranges.
func Plan(ctx context.Context, src Source, f Format) (*Export, error) {
	c := containerOf(src.MIME)
	switch f {
	case WAV, Speech:
		pcm, err := openPCM(ctx, c, src)
		if err != nil {
			return nil, err
		}
		rate, channels, suffix := src.Rate, src.Channels, ""
		if f == Speech {
			rate, channels, suffix = SpeechRate, 1, " 16k"
		}
		if rate <= 0 {
			rate = pcm.rate
		}
		if channels <= 0 {
			channels = pcm.channels
		}
		return wavExport(pcm, rate, channels, f, suffix)
	case OggOpus:
		switch c {
		case oggFile:
			return nil, notOffered("the recording is Ogg Opus already: download the original")
		case webmFile:
			return remuxWebM(ctx, src)
		case mp4File:
			return mp4OggOpus(ctx, src)
		case wavFile:
			return encodeWAV(src)
		}
		return nil, notOffered(fmt.Sprintf("a %s recording cannot be exported as Ogg Opus", baseType(src.MIME)))
	case Original:
		return nil, fmt.Errorf("export: the original is served as stored")
	}
	return nil, media.Invalidf("unknown format %q", f)
}

func baseType(mime string) string {
	base, _, _ := strings.Cut(mime, ";")
	return strings.TrimSpace(base)
}
