package library_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/mediatest"
	"github.com/avatarweb/recorder/media/ogg"
)

// opusTake writes what a live session kept as Opus leaves in dir: the PCM
// spool, the sidecar, and the Ogg of seconds of the browser's packets,
// ended (closed) or as a killed process leaves it (not closed, its last
// page cut in half). It returns the packets written.
func opusTake(t *testing.T, dir, id string, seconds int, closed bool) [][]byte {
	t.Helper()
	pcmPath := filepath.Join(dir, id+".pcm")
	pcm := media.AppendS16LE(nil, mediatest.Tone(440, 16000, 1, float64(seconds), 0.5))
	if err := os.WriteFile(pcmPath, pcm, 0o644); err != nil {
		t.Fatal(err)
	}
	p := media.DefaultParams()
	p.SampleRate, p.Format = 16000, media.FormatOpus
	if err := media.WriteSpoolMeta(pcmPath, media.SpoolMeta{SessionID: id, TakeID: id + "-take", Params: p,
		SampleRate: 16000, Channels: 1, StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	capture, err := mediatest.ReadPackets("../testdata/chromium-440hz-celt.rtp", time.Unix(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := ogg.NewWriter(&buf, 9, 1, media.OpusRate, media.OpusVendor)
	if err != nil {
		t.Fatal(err)
	}
	var sent [][]byte
	n := seconds * 50
	if !closed {
		n += 25 // half a second on a page not yet written
	}
	for i := range n {
		pkt := capture[i%len(capture)].Payload
		if err := w.WritePacket(pkt); err != nil {
			t.Fatal(err)
		}
		sent = append(sent, pkt)
	}
	b := buf.Bytes()
	if closed {
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		b = buf.Bytes()
	} else {
		b = append(b, b[len(b)-200:len(b)-100]...) // half a page: the process died writing it
	}
	if err := os.WriteFile(media.OpusSpoolPath(pcmPath), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return sent
}

// savedPackets reads back the audio of a saved recording as Ogg packets.
func savedPackets(t *testing.T, lib *library.Library, name string) (ogg.Info, [][]byte) {
	t.Helper()
	rec, err := lib.Open(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	b, err := io.ReadAll(rec.Audio)
	if err != nil {
		t.Fatal(err)
	}
	info, pkts, _, err := mediatest.OggPackets(b)
	if err != nil {
		t.Fatalf("the saved Ogg does not read: %v", err)
	}
	if b[bytes.LastIndex(b, []byte("OggS"))+5]&0x04 == 0 {
		t.Error("the saved Ogg's last page is not marked as the end of the stream")
	}
	return info, pkts
}

func TestSaveSessionKeptAsOpus(t *testing.T) {
	lib, _, sessions, _ := setup(t)
	dir := t.TempDir()
	sent := opusTake(t, dir, "session_x", 3, true)
	take := sessions.take
	take.OpusPath = media.OpusSpoolPath(filepath.Join(dir, "session_x.pcm"))
	take.Params.Format = media.FormatOpus
	sessions.take = take
	rec, err := lib.SaveSession(context.Background(), "session_x", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	st, _ := os.Stat(take.OpusPath)
	if rec.MIME != library.OggOpus || rec.SampleRate != 48000 || rec.Channels != 1 || rec.Bytes != st.Size() {
		t.Errorf("row %+v, want Ogg Opus at 48 kHz, mono, %d bytes", rec, st.Size())
	}
	if d := 3 - float64(ogg.PreSkip)/48000; rec.Duration != d {
		t.Errorf("duration %v, want %v", rec.Duration, d)
	}
	if len(rec.Peaks) != media.PeakBuckets {
		t.Errorf("%d peaks: the waveform is drawn from the PCM", len(rec.Peaks))
	}
	info, got := savedPackets(t, lib, rec.Filename)
	if !slices.EqualFunc(got, sent, bytes.Equal) || info.Granule != int64(len(sent))*960 {
		t.Errorf("saved %d packets (granule %d), want the %d sent", len(got), info.Granule, len(sent))
	}
}

// A take kept as Opus that a crash cut is recovered as Ogg, up to its last
// whole page: every packet on it, as sent. One cut before its first page
// of audio is recovered from its PCM, as WAV.
func TestRecoverSpoolsKeptAsOpus(t *testing.T) {
	ctx := context.Background()
	lib, database, _, _ := setup(t)
	spool := t.TempDir()
	sent := opusTake(t, spool, "session_o", 4, false)
	opusTake(t, spool, "session_w", 2, false)
	// session_w died in its first second: its Ogg has no page of audio.
	wPath := media.OpusSpoolPath(filepath.Join(spool, "session_w.pcm"))
	b, _ := os.ReadFile(wPath)
	os.WriteFile(wPath, b[:bytes.Index(b[100:], []byte("OggS"))+100+30], 0o644)

	n, err := lib.RecoverSpools(ctx, spool)
	if err != nil || n != 2 {
		t.Fatalf("recovered %d, %v; want 2", n, err)
	}
	if left := files(t, spool); len(left) != 0 {
		t.Errorf("spool dir after recovery: %v", left)
	}
	recs, err := database.ListRecordings(ctx, 0, 0)
	if err != nil || len(recs) != 2 {
		t.Fatalf("rows %v, %v", recs, err)
	}
	for _, r := range recs {
		switch r.SessionID {
		case "session_o":
			info, got := savedPackets(t, lib, r.Filename)
			if r.MIME != library.OggOpus || len(got) == 0 || len(got) >= len(sent) ||
				!slices.EqualFunc(got, sent[:len(got)], bytes.Equal) {
				t.Errorf("recovered %s with %d packets; want Ogg with the first of the %d sent, up to the cut page", r.MIME, len(got), len(sent))
			}
			if want := float64(info.Granule-ogg.PreSkip) / 48000; r.Duration != want || r.Duration < 3 {
				t.Errorf("duration %v, want %v: the whole pages, all but the last second", r.Duration, want)
			}
		case "session_w":
			if r.MIME != media.WAVMIME || r.Duration != 2 {
				t.Errorf("recovered %s of %v s, want the 2 s of PCM as WAV", r.MIME, r.Duration)
			}
		}
	}
}
