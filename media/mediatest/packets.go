package mediatest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/avatarweb/recorder/media"
)

// Packet captures are a plain binary list of records, one per RTP packet:
// sequence number (uint16), timestamp (uint32), arrival in microseconds
// after the first packet (uint32), payload length (uint16), payload; all
// big-endian. Small, diffable with a hex dump, and enough to replay a
// browser's stream into the decoder.

// WritePackets writes a capture of pkts to path.
func WritePackets(path string, pkts []media.Packet) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	var start time.Time
	for i, p := range pkts {
		if i == 0 {
			start = p.Arrival
		}
		var h [12]byte
		binary.BigEndian.PutUint16(h[0:], p.SequenceNumber)
		binary.BigEndian.PutUint32(h[2:], p.Timestamp)
		binary.BigEndian.PutUint32(h[6:], uint32(p.Arrival.Sub(start).Microseconds()))
		binary.BigEndian.PutUint16(h[10:], uint16(len(p.Payload)))
		w.Write(h[:])
		w.Write(p.Payload)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadPackets reads a capture written by WritePackets. Arrival times are
// laid out from start.
func ReadPackets(path string, start time.Time) ([]media.Packet, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var out []media.Packet
	for {
		var h [12]byte
		if _, err := io.ReadFull(r, h[:]); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, fmt.Errorf("mediatest: %s: record %d: %w", path, len(out), err)
		}
		payload := make([]byte, binary.BigEndian.Uint16(h[10:]))
		if _, err := io.ReadFull(r, payload); err != nil {
			return nil, fmt.Errorf("mediatest: %s: payload %d: %w", path, len(out), err)
		}
		out = append(out, media.Packet{
			SequenceNumber: binary.BigEndian.Uint16(h[0:]),
			Timestamp:      binary.BigEndian.Uint32(h[2:]),
			Arrival:        start.Add(time.Duration(binary.BigEndian.Uint32(h[6:])) * time.Microsecond),
			Payload:        payload,
		})
	}
}
