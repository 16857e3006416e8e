package library

// This file is the one place that knows the containers a MediaRecorder
// take can come in: how each is recognised from its first bytes (sniff,
// also the check reconciling makes of every recording at start), checked
// and measured (measure), labelled (its MIME type: one of the fixed few
// below, never the client's string) and named on download (Extension). A
// new container is a case in each of those.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pion/opus"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/aac"
	"github.com/avatarweb/recorder/media/mp4"
	"github.com/avatarweb/recorder/media/ogg"
	"github.com/avatarweb/recorder/media/webm"
)

// The MIME types recordings are stored with. A take that is none of
// these is refused, so nothing else is ever stored or sent back in a
// Content-Type.
const (
	// WebMOpus: Chromium's and Firefox's MediaRecorder default.
	WebMOpus = "audio/webm;codecs=opus"
	// OggOpus: Firefox's MediaRecorder with audio/ogg.
	OggOpus = "audio/ogg;codecs=opus"
	// MP4AAC: Safari's MediaRecorder (fragmented MP4, AAC-LC).
	MP4AAC = "audio/mp4;codecs=mp4a.40.2"
	// MP4Opus: Chromium's MediaRecorder asked for audio/mp4.
	MP4Opus = "audio/mp4;codecs=opus"
	// WAV: 16-bit PCM, as the WebRTC takes are stored.
	WAV = media.WAVMIME
)

// container is a file format recognised by its first bytes.
type container int

const (
	unknown container = iota
	containerWebM
	containerOgg
	containerMP4
	containerWAV
)

// sniffLen is how many first bytes sniff needs.
const sniffLen = 12

// sniff names a container from its first bytes.
func sniff(head []byte) container {
	switch {
	case bytes.HasPrefix(head, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return containerWebM
	case len(head) >= 12 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WAVE":
		return containerWAV
	case len(head) >= 8 && string(head[4:8]) == "ftyp":
		return containerMP4
	case bytes.HasPrefix(head, []byte("OggS")):
		return containerOgg
	}
	return unknown
}

// measure recognises the take in f, checks it parses, and measures it.
// Whatever does not parse is an ErrBadAudio with a plain message.
func (l *Library) measure(f *os.File, size int64) (measured, error) {
	var head [sniffLen]byte
	n, _ := f.ReadAt(head[:], 0)
	switch sniff(head[:n]) {
	case containerWebM:
		return l.fixWebM(f, size)
	case containerOgg:
		return l.measureOgg(f, size)
	case containerMP4:
		return l.measureMP4(f, size)
	case containerWAV:
		return measureWAV(f, size)
	}
	return measured{}, media.BadAudiof("unrecognized audio: send Opus in WebM or Ogg, AAC in MP4, or 16-bit PCM WAV")
}

// Extension names a download of audio stored as mime.
func Extension(mime string) string {
	base, _, _ := strings.Cut(mime, ";")
	switch strings.TrimSpace(strings.ToLower(base)) {
	case "audio/wav", "audio/wave", "audio/x-wav":
		return ".wav"
	case "audio/webm":
		return ".webm"
	case "audio/ogg":
		return ".ogg"
	case "audio/mp4", "audio/aac", "audio/x-m4a":
		return ".m4a"
	}
	return ".bin"
}

// ServedMIME is the Content-Type to send for audio stored as mime: the
// stored type when it is one of the fixed few (or a plain audio/<name> an
// older version stored), application/octet-stream otherwise, so a type a
// client once slipped in (over-long, with CR/LF) is never echoed.
func ServedMIME(mime string) string {
	switch mime {
	case WebMOpus, OggOpus, MP4AAC, MP4Opus, WAV:
		return mime
	}
	base, sub, ok := strings.Cut(mime, "/")
	if ok && base == "audio" && len(sub) > 0 && len(sub) <= 20 && !strings.ContainsFunc(sub, func(r rune) bool {
		return !('a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '-' || r == '.')
	}) {
		return mime
	}
	return "application/octet-stream"
}

// fixWebM probes the take, refuses an empty one or one that is not
// Opus, and writes the fixed copy (duration, cues, known sizes) next to
// it.
func (l *Library) fixWebM(f *os.File, size int64) (measured, error) {
	info, err := webm.Probe(f, size)
	if errors.Is(err, webm.ErrTruncated) {
		// A take cut short (its page was left or crashed mid-chunk): keep
		// every element that arrived whole.
		if n, perr := webm.CompletePrefix(f, size); perr == nil {
			size = n
			info, err = webm.Probe(f, size)
		}
	}
	if err != nil {
		return measured{}, &media.Error{Kind: media.ErrBadAudio, Message: "the recording is not a readable WebM file", Err: err}
	}
	if info.Codec != webm.CodecOpus {
		return measured{}, media.BadAudiof("the WebM file holds %q audio; only Opus is accepted", info.Codec)
	}
	if info.Blocks == 0 {
		return measured{}, media.Invalidf("nothing was recorded: the WebM file has headers but no audio")
	}
	fixed, err := os.CreateTemp(filepath.Dir(f.Name()), scratchFixed)
	if err != nil {
		return measured{}, fmt.Errorf("library: fix webm: %w", err)
	}
	cleanup := func() { fixed.Close(); os.Remove(fixed.Name()) }
	out, err := webm.Fix(fixed, f, size)
	if err == nil {
		_, err = fixed.Seek(0, io.SeekStart)
	}
	var fixedSize int64
	if err == nil {
		fixedSize, err = fixed.Seek(0, io.SeekEnd)
	}
	if err == nil {
		_, err = fixed.Seek(0, io.SeekStart)
	}
	if err != nil {
		cleanup()
		return measured{}, fmt.Errorf("library: fix webm: %w", err)
	}
	peaks, err := webmPeaks(fixed, fixedSize, out)
	if err != nil {
		l.Log.Warn("no waveform for the take", "err", err)
	}
	if _, err := fixed.Seek(0, io.SeekStart); err != nil {
		cleanup()
		return measured{}, fmt.Errorf("library: fix webm: %w", err)
	}
	return measured{
		audio: fixed, size: fixedSize, mime: WebMOpus, sampleRate: out.SampleRate, channels: out.Channels,
		duration: out.Duration.Seconds(), peaks: peaks, cleanup: cleanup,
	}, nil
}

// webmPeaks decodes the Opus track packet by packet for the waveform,
// each packet placed by its timestamp as the exports and players place
// it (webm.Timeline): after a gap (a browser that stalled, DTX) the
// waveform stays flat for its length, then goes on under the audio it
// draws, over the take's duration, which the timestamps measure too.
func webmPeaks(r io.ReaderAt, size int64, info webm.Info) ([]byte, error) {
	if info.Codec != webm.CodecOpus || info.Duration <= 0 {
		return nil, nil
	}
	p, err := newOpusPeaks(info.Channels, int64(info.Duration.Seconds()*media.OpusRate))
	if err != nil {
		return nil, err
	}
	var tl webm.Timeline
	err = webm.Packets(r, size, func(ts time.Duration, packet []byte) error {
		n, _ := ogg.PacketSamples(packet)
		p.at += tl.Place(ts, n)
		p.add(packet)
		return nil
	})
	return p.peaks, err
}

// measureOgg checks every page of an Ogg Opus take and measures it from
// its granule positions; the waveform is decoded from its packets.
func (l *Library) measureOgg(f *os.File, size int64) (measured, error) {
	info, err := ogg.Probe(io.NewSectionReader(f, 0, size))
	if err != nil {
		return measured{}, &media.Error{Kind: media.ErrBadAudio, Message: "the recording is not a readable Ogg Opus file", Err: err}
	}
	var peaks []byte
	if p, err := newOpusPeaks(info.Channels, info.Granule); err == nil {
		err = ogg.Packets(io.NewSectionReader(f, 0, size), func(_ int64, packet []byte) error {
			p.add(packet)
			return nil
		})
		if err == nil {
			peaks = p.peaks
		}
	}
	if peaks == nil {
		l.Log.Warn("no waveform for the take", "mime", OggOpus)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return measured{}, err
	}
	return measured{
		audio: f, size: size, mime: OggOpus, sampleRate: ogg.Rate, channels: info.Channels,
		duration: info.Duration.Seconds(), peaks: peaks,
	}, nil
}

// opusPeaks decodes Opus packets into a waveform thumbnail of
// media.PeakBuckets levels over total samples at 48 kHz.
type opusPeaks struct {
	dec      *opus.Decoder
	channels int
	total    int64
	at       int64
	pcm      []float32
	peaks    []byte
}

func newOpusPeaks(channels int, total int64) (*opusPeaks, error) {
	channels = max(1, min(channels, 2))
	dec, err := opus.NewDecoderWithOutput(media.OpusRate, channels)
	if err != nil {
		return nil, err
	}
	return &opusPeaks{
		dec: &dec, channels: channels, total: max(total, 1),
		pcm: make([]float32, media.OpusRate*120/1000*channels), peaks: make([]byte, media.PeakBuckets),
	}, nil
}

// add decodes one packet; a packet that does not decode just leaves its
// span flat (its length read from its TOC), so the ones after it stay in
// place.
func (p *opusPeaks) add(packet []byte) {
	n, err := p.dec.DecodeToFloat32(packet, p.pcm)
	if err != nil {
		samples, _ := ogg.PacketSamples(packet)
		p.at += samples
		return
	}
	for i := range n {
		b := int(min(p.at*int64(media.PeakBuckets)/p.total, media.PeakBuckets-1))
		for c := range p.channels {
			p.peaks[b] = max(p.peaks[b], media.Level(p.pcm[i*p.channels+c]))
		}
		p.at++
	}
}

// measureWAV reads a WAV take's header for its format and duration.
func measureWAV(f *os.File, size int64) (measured, error) {
	info, err := media.ReadWAVHeader(f)
	if err != nil {
		return measured{}, &media.Error{Kind: media.ErrBadAudio, Message: "the recording is not a 16-bit PCM WAV file", Err: err}
	}
	frames := info.DataBytes / int64(2*info.Channels)
	peaks, err := media.Peaks(f, info.Channels, frames, media.PeakBuckets)
	if err != nil {
		return measured{}, &media.Error{Kind: media.ErrBadAudio, Message: "the WAV file is shorter than its header says", Err: err}
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return measured{}, err
	}
	return measured{
		audio: f, size: size, mime: WAV, sampleRate: info.SampleRate, channels: info.Channels,
		duration: info.Duration(), peaks: peaks,
	}, nil
}

// measureMP4 reads an MP4 take (Safari and WebKit record AAC in
// fragmented MP4): format and duration from the boxes. A fragmented take
// is stored rewritten as an ordinary MP4 (mp4.Fix), so players know its
// length and seek; one cut short keeps its whole fragments. Its waveform
// is decoded from its frames (AAC-LC with media/aac, or Opus). The
// duration counts the encoder's priming samples (about
// 21 ms) that an edit list may tell players to skip.
func (l *Library) measureMP4(f *os.File, size int64) (measured, error) {
	info, err := mp4.Probe(f, size)
	if errors.Is(err, mp4.ErrTruncated) {
		if n, perr := mp4.CompletePrefix(f, size); perr == nil {
			size = n
			info, err = mp4.Probe(f, size)
		}
	}
	if err != nil {
		return measured{}, &media.Error{Kind: media.ErrBadAudio, Message: "the recording is not a readable MP4 file", Err: err}
	}
	var mime string
	switch info.Codec {
	case mp4.CodecAAC:
		mime = MP4AAC
	case "Opus":
		mime = MP4Opus
	default:
		return measured{}, media.BadAudiof("the MP4 file holds %q audio; only AAC and Opus are accepted", info.Codec)
	}
	if info.Samples == 0 {
		return measured{}, media.Invalidf("nothing was recorded: the MP4 file has headers but no audio")
	}
	m := measured{
		audio: io.NewSectionReader(f, 0, size), size: size, mime: mime, sampleRate: info.SampleRate, channels: info.Channels,
		duration: info.Duration.Seconds(),
	}
	if m.peaks, err = mp4Peaks(f, size); err != nil {
		l.Log.Warn("no waveform for the take", "mime", mime, "err", err)
	}
	if !info.Fragmented {
		return m, nil
	}
	fixed, n, err := fixMP4(filepath.Dir(f.Name()), f, size)
	if errors.Is(err, mp4.ErrCannotFix) {
		l.Log.Warn("a fragmented MP4 take is stored as it came", "err", err)
		return m, nil
	}
	if err != nil {
		return measured{}, fmt.Errorf("library: fix mp4: %w", err)
	}
	m.audio, m.size = fixed, n
	m.cleanup = func() { fixed.Close(); os.Remove(fixed.Name()) }
	return m, nil
}

// mp4Peaks decodes an MP4's audio frame by frame into a waveform
// thumbnail of media.PeakBuckets levels: AAC-LC with media/aac, Opus as
// an Ogg's; a frame that does not decode leaves its span flat.
func mp4Peaks(r io.ReaderAt, size int64) ([]byte, error) {
	tr, err := mp4.ReadTrack(r, size)
	if err != nil {
		return nil, err
	}
	if tr.Codec == "Opus" {
		p, err := newOpusPeaks(tr.Channels, tr.Ticks*media.OpusRate/int64(max(tr.Timescale, 1)))
		if err != nil {
			return nil, err
		}
		err = tr.EachSample(func(packet []byte) error {
			p.add(packet)
			return nil
		})
		return p.peaks, err
	}
	cfg, err := aac.ParseConfig(tr.DecoderConfig)
	if err != nil {
		return nil, err
	}
	dec, err := aac.NewDecoder(cfg)
	if err != nil {
		return nil, err
	}
	total := max(int64(tr.Samples)*aac.FrameSamples, 1)
	peaks := make([]byte, media.PeakBuckets)
	pcm := make([]float32, aac.FrameSamples*cfg.Channels)
	var at int64
	err = tr.EachSample(func(frame []byte) error {
		if _, err := dec.Decode(frame, pcm); err == nil {
			for i, v := range pcm {
				b := int(min((at+int64(i/cfg.Channels))*int64(media.PeakBuckets)/total, media.PeakBuckets-1))
				peaks[b] = max(peaks[b], media.Level(v))
			}
		}
		at += aac.FrameSamples
		return nil
	})
	return peaks, err
}

// fixMP4 writes the ordinary MP4 of a fragmented one (mp4.Fix) to a new
// temporary file in dir, and returns it at its start with its size. The
// caller closes and removes it.
func fixMP4(dir string, r io.ReaderAt, size int64) (*os.File, int64, error) {
	fixed, err := os.CreateTemp(dir, ".fixed-*.m4a")
	if err != nil {
		return nil, 0, err
	}
	_, err = mp4.Fix(fixed, r, size)
	var n int64
	if err == nil {
		n, err = fixed.Seek(0, io.SeekEnd)
	}
	if err == nil {
		_, err = fixed.Seek(0, io.SeekStart)
	}
	if err != nil {
		fixed.Close()
		os.Remove(fixed.Name())
		return nil, 0, err
	}
	return fixed, n, nil
}

// UploadDuration measures what upload id holds so far, in seconds, from
// its container as a save would (a chunk cut mid-element counts up to its
// last whole one): 0 for a take with headers and no audio yet. Pages ask
// it when a take stops, to say how long it is, or that nothing was
// recorded.
func (l *Library) UploadDuration(id string) (float64, error) {
	f, size, _, err := l.Uploads.Preview(id)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	if size == 0 {
		return 0, nil
	}
	var head [sniffLen]byte
	n, _ := f.ReadAt(head[:], 0)
	var d time.Duration
	switch sniff(head[:n]) {
	case containerWebM:
		if size, err = webm.CompletePrefix(f, size); err == nil {
			var info webm.Info
			info, err = webm.Probe(f, size)
			d = info.Duration
		}
	case containerMP4:
		if size, err = mp4.CompletePrefix(f, size); err == nil {
			var info mp4.Info
			info, err = mp4.Probe(f, size)
			d = info.Duration
		}
	case containerOgg:
		var info ogg.Info
		info, err = ogg.Probe(io.NewSectionReader(f, 0, size))
		d = info.Duration
	case containerWAV:
		var info media.WAVInfo
		info, err = media.ReadWAVHeader(f)
		d = time.Duration(info.Duration() * float64(time.Second))
	default:
		err = media.BadAudiof("unrecognized audio")
	}
	if errors.Is(err, webm.ErrTruncated) || errors.Is(err, mp4.ErrTruncated) {
		return 0, nil // headers, and no whole block or fragment yet
	}
	if err != nil {
		return 0, &media.Error{Kind: media.ErrBadAudio, Message: "the recording so far does not read as audio", Err: err}
	}
	return d.Seconds(), nil
}
