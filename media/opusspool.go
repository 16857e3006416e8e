package media

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/avatarweb/recorder/media/ogg"
)

// Formats a live take is kept in (Params.Format).
const (
	FormatWAV  = "wav"  // PCM at the take's rate and channels: the seed's format
	FormatOpus = "opus" // the browser's Opus packets as sent, in Ogg
)

// Formats lists the formats a take may be kept in.
var Formats = []string{FormatWAV, FormatOpus}

// OggOpusMIME is the type of a take kept as Opus.
const OggOpusMIME = "audio/ogg;codecs=opus"

// OpusVendor is what OpusTags says wrote the file.
const OpusVendor = "avatarweb recorder (packets as received over WebRTC)"

// OpusSpool is the sink that keeps a live take as Ogg Opus: the packets
// the browser sent, byte for byte, on the timeline the Decoder lays the
// PCM on. The Decoder tells it where each packet went (Packet) and where
// it wrote silence (Silence); time the packets do not cover becomes lost
// frames (see ogg.Writer.Fill), so the Ogg plays as long as the PCM lasts.
//
// Pages reach the file whole, about one a second, so a killed process
// leaves a file ogg.Seal makes valid up to its last page. A write the disk
// refuses is final; Close then cuts the file to the whole pages before it.
type OpusSpool struct {
	Path string

	f       *os.File
	w       *ogg.Writer
	pos     int64 // samples at 48 kHz the stream covers, from the take's start
	dropped int64 // packets left out: their time was covered already
	err     error
}

// CreateOpusSpool creates (or truncates) the Ogg file at path and writes
// its headers.
func CreateOpusSpool(path string, channels int, serial uint32) (*OpusSpool, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return nil, fmt.Errorf("media: create opus spool: %w", err)
	}
	w, err := ogg.NewWriter(f, serial, channels, OpusRate, OpusVendor)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("media: create opus spool: %w", err)
	}
	return &OpusSpool{Path: path, f: f, w: w}, nil
}

// Packet keeps an Opus packet the Decoder placed at sample at (48 kHz,
// from the take's start): the time since the last packet is filled first.
// A packet whose time is mostly covered already (one that came after the
// Decoder had written a stalled sender's silence over it) is left out, so
// the stream does not run ahead of the take.
func (s *OpusSpool) Packet(at int64, payload []byte) error {
	if s.err != nil {
		return s.err
	}
	n, err := ogg.PacketSamples(payload)
	if err != nil {
		return nil // the Decoder took it; its time becomes lost frames
	}
	if err := s.fill(at); err != nil {
		return err
	}
	if s.pos-at > n/2 {
		s.dropped++
		return nil
	}
	s.pos += n
	return s.fail(s.w.WritePacket(payload))
}

// Silence notes that the Decoder wrote silence up to sample end.
func (s *OpusSpool) Silence(end int64) error {
	if s.err != nil {
		return s.err
	}
	return s.fill(end)
}

func (s *OpusSpool) fill(to int64) error {
	if to <= s.pos {
		return nil
	}
	gap := to - s.pos
	s.pos = to
	return s.fail(s.w.Fill(gap))
}

func (s *OpusSpool) fail(err error) error {
	if err != nil && s.err == nil {
		s.err = fmt.Errorf("media: write opus spool %s: %w", s.Path, err)
	}
	return s.err
}

// Err returns the write error that ended the spool, or nil.
func (s *OpusSpool) Err() error { return s.err }

// Dropped returns how many packets were left out because their time was
// covered already.
func (s *OpusSpool) Dropped() int64 { return s.dropped }

// Bytes returns the size of the file: its whole pages.
func (s *OpusSpool) Bytes() int64 { return s.w.Written() }

// Close ends the stream (its last page marked) and closes the file; the
// file stays on disk. After a failed write it cuts the file to the whole
// pages before the failure.
func (s *OpusSpool) Close() error {
	if s.f == nil {
		return nil
	}
	var err error
	if s.err == nil {
		err = s.fail(s.w.Close())
	}
	if s.err != nil {
		err = errors.Join(err, s.f.Truncate(s.w.Written()))
	}
	err = errors.Join(err, s.f.Close())
	s.f = nil
	if err != nil {
		return fmt.Errorf("media: close opus spool: %w", err)
	}
	return nil
}

// OpusSpoolPath is where the Ogg of the take spooled at pcmPath is kept,
// when it is kept as Opus.
func OpusSpoolPath(pcmPath string) string {
	return strings.TrimSuffix(pcmPath, filepath.Ext(pcmPath)) + ".ogg"
}
