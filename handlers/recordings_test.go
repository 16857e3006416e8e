package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/media"
)

var (
	t1 = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	t2 = time.Date(2025, 1, 2, 3, 5, 6, 789e6, time.UTC)
)

func TestSaveRecording(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		ta, f := newFakeApp(t)
		pcm := tone(toneParams.SampleRate, toneParams.Channels, 0.5)
		f.addTake(t, "s1", toneParams, pcm)
		ta.clock.Set(t1)

		res := ta.do(t, http.MethodPost, "/save_recording", `{"session_id":"s1","recording_type":"webrtc","duration":0.62}`)
		res.wantStatus(t, http.StatusOK)
		var got struct {
			Status   string  `json:"status"`
			Message  string  `json:"message"`
			Filename string  `json:"filename"`
			Duration float64 `json:"duration"`
		}
		res.decode(t, &got)
		const name = "recording_20250102_030405.json"
		if got.Status != "success" || got.Message != "Recording saved (0.5 s)" || got.Filename != name || got.Duration != 0.5 {
			t.Errorf("answer = %+v", got)
		}

		if w := ta.written(t); w.rows != 1 || !slices.Equal(w.files, []string{name}) {
			t.Errorf("written = %+v, want one row and file %s", w, name)
		}
		rec, err := ta.db.GetRecording(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		want := media.Recording{
			ID: rec.ID, Filename: name, CreatedAt: t1, Duration: 0.5,
			SampleRate: 16000, Channels: 1, FPS: 25, BatchSize: 32,
			Mode: "webrtc", MIME: "audio/wav", Bytes: 44 + int64(len(pcm)), SessionID: "s1",
			ClientDuration: rec.ClientDuration, Peaks: rec.Peaks, Waveform: media.WaveformPath(rec.Peaks),
		}
		if !reflect.DeepEqual(*rec, want) {
			t.Errorf("row = %+v\nwant  %+v", *rec, want)
		}
		// A steady tone at half scale: every bucket at sqrt(0.5) × 255.
		if len(rec.Peaks) != media.PeakBuckets || slices.Min(rec.Peaks) < 178 || slices.Max(rec.Peaks) > 182 {
			t.Errorf("waveform of a steady half-scale tone: %v", rec.Peaks)
		}

		// The file holds the take as the seed's JSON, stats and all.
		raw, err := os.ReadFile(filepath.Join(ta.recDir, name))
		if err != nil {
			t.Fatal(err)
		}
		var file struct {
			AudioData []byte           `json:"audio_data"`
			Params    media.Params     `json:"processing_parameters"`
			Timestamp string           `json:"timestamp"`
			Duration  float64          `json:"duration"`
			SessionID string           `json:"webrtc_session_id"`
			Mode      string           `json:"mode"`
			Stats     map[string]int64 `json:"stats"`
		}
		if err := json.Unmarshal(raw, &file); err != nil {
			t.Fatal(err)
		}
		wav := append(media.WAVHeader(16000, 1, int64(len(pcm))), pcm...)
		if !bytes.Equal(file.AudioData, wav) {
			t.Errorf("audio_data: %d bytes, want the %d-byte WAV", len(file.AudioData), len(wav))
		}
		if file.Params != toneParams || file.Timestamp != "2025-01-02T03:04:05.000Z" || file.Duration != 0.5 ||
			file.SessionID != "s1" || file.Mode != "webrtc" || file.Stats["client_duration_ms"] != 620 || file.Stats["packets"] != 25 {
			t.Errorf("file metadata = %+v", file)
		}

		if !slices.Equal(f.stopped, []string{"s1"}) || !slices.Equal(f.released, []string{"s1"}) {
			t.Errorf("Stop calls %q, Release calls %q; want [s1] each", f.stopped, f.released)
		}
	})

	t.Run("OKSameSecond", func(t *testing.T) {
		ta, f := newFakeApp(t)
		first, _ := ta.saveTone(t, f, "s1", t1)
		second, _ := ta.saveTone(t, f, "s2", t1)
		if first != "recording_20250102_030405.json" || second != "recording_20250102_030405_2.json" {
			t.Errorf("names = %s, %s", first, second)
		}
		if w := ta.written(t); w.rows != 2 || len(w.files) != 2 {
			t.Errorf("written = %+v, want 2 rows and 2 files", w)
		}
	})

	for _, tt := range []struct {
		name, body string
		status     int
		msg        string
		stops      bool // the request reaches Sessions.Stop
	}{
		{"ErrBadJSON", `{"session_id":"s1",`, http.StatusBadRequest, "not valid JSON", false},
		{"ErrEmptyBody", ``, http.StatusBadRequest, "not valid JSON", false},
		{"ErrDurationString", `{"session_id":"s1","recording_type":"webrtc","duration":"1.5"}`, http.StatusBadRequest, "not valid JSON", false},
		{"ErrNoSessionID", `{"recording_type":"webrtc","duration":1}`, http.StatusBadRequest, "session_id is required", false},
		{"ErrNoRecordingType", `{"session_id":"s1"}`, http.StatusBadRequest, `not ""`, false},
		{"ErrMediaRecorder", `{"session_id":"s1","recording_type":"mediarecorder"}`, http.StatusBadRequest, "needs upload_id or audio_data", false},
		{"ErrWebRTCUpper", `{"session_id":"s1","recording_type":"WebRTC"}`, http.StatusBadRequest, `not "WebRTC"`, false},
		{"ErrNotFound", `{"session_id":"nope","recording_type":"webrtc"}`, http.StatusNotFound, `no session "nope"`, true},
		{"ErrEmptyTake", `{"session_id":"empty","recording_type":"webrtc"}`, http.StatusBadRequest, "nothing was recorded", true},
		{"ErrMissingSpool", `{"session_id":"nospool","recording_type":"webrtc"}`, http.StatusInternalServerError, "internal error", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ta, f := newFakeApp(t)
			// A take is waiting for s1: a refused request must not save it.
			f.addTake(t, "s1", toneParams, tone(toneParams.SampleRate, toneParams.Channels, 0.1))
			f.takes["nospool"] = media.Take{SessionID: "nospool", SpoolPath: filepath.Join(t.TempDir(), "gone.pcm"),
				SampleRate: 16000, Channels: 1, Params: toneParams, PCMBytes: 3200}
			stop := f.StopFn
			f.StopFn = func(id string) (media.Take, error) {
				if id == "empty" {
					return media.Take{}, rtc.ErrEmptyTake
				}
				return stop(id)
			}
			before := ta.written(t)

			ta.do(t, http.MethodPost, "/save_recording", tt.body).wantError(t, tt.status, tt.msg)

			ta.wantUnchanged(t, before)
			if before.rows != 0 || len(before.files) != 0 {
				t.Errorf("before = %+v, want nothing", before)
			}
			if got := len(f.stopped) > 0; got != tt.stops {
				t.Errorf("Stop calls = %q; want calls: %v", f.stopped, tt.stops)
			}
			if len(f.released) != 0 {
				t.Errorf("Release calls = %q, want none", f.released)
			}
		})
	}

	// A take whose spool is shorter than it claims fails in the store,
	// which must leave no file (not even a temporary one) and no row.
	t.Run("ErrShortSpool", func(t *testing.T) {
		ta, f := newFakeApp(t)
		take := f.addTake(t, "s1", toneParams, tone(toneParams.SampleRate, toneParams.Channels, 0.1))
		take.PCMBytes += 3200
		f.takes["s1"] = take
		before := ta.written(t)
		res := ta.do(t, http.MethodPost, "/save_recording", `{"session_id":"s1","recording_type":"webrtc"}`)
		if res.status < 400 {
			t.Fatalf("status = %d, want an error; body %s", res.status, res.body)
		}
		ta.wantUnchanged(t, before)
		if len(f.released) != 0 {
			t.Errorf("Release calls = %q, want none", f.released)
		}
	})
}

// recordingEntry is one entry of GET /recordings.
type recordingEntry struct {
	Filename             string       `json:"filename"`
	Timestamp            string       `json:"timestamp"`
	Duration             float64      `json:"duration"`
	ProcessingParameters media.Params `json:"processing_parameters"`
	Mode                 string       `json:"mode"`
	MIME                 string       `json:"mime"`
	SampleRate           int          `json:"sample_rate"`
	Channels             int          `json:"channels"`
	Bytes                int64        `json:"bytes"`
	SessionID            string       `json:"webrtc_session_id"`
}

func (ta *testApp) list(t *testing.T, query string) []recordingEntry {
	t.Helper()
	res := ta.do(t, http.MethodGet, "/recordings"+query, "")
	res.wantStatus(t, http.StatusOK)
	var got struct {
		Recordings []recordingEntry `json:"recordings"`
	}
	res.decode(t, &got)
	if got.Recordings == nil {
		t.Fatalf("recordings is not an array: %s", res.body)
	}
	return got.Recordings
}

func TestListRecordings(t *testing.T) {
	ta, f := newFakeApp(t)

	t.Run("OKEmpty", func(t *testing.T) {
		res := ta.do(t, http.MethodGet, "/recordings", "")
		res.wantStatus(t, http.StatusOK)
		if string(res.body) != `{"recordings":[]}` {
			t.Errorf("body = %s", res.body)
		}
	})

	older, _ := ta.saveTone(t, f, "s1", t1)
	newer, _ := ta.saveTone(t, f, "s2", t2)
	entry := func(name, ts, id string) recordingEntry {
		return recordingEntry{
			Filename: name, Timestamp: ts, Duration: 0.5, ProcessingParameters: toneParams,
			Mode: "webrtc", MIME: "audio/wav", SampleRate: 16000, Channels: 1, Bytes: 16044, SessionID: id,
		}
	}
	wantOlder := entry(older, "2025-01-02T03:04:05.000Z", "s1")
	wantNewer := entry(newer, "2025-01-02T03:05:06.789Z", "s2")

	t.Run("OKSeedShape", func(t *testing.T) {
		res := ta.do(t, http.MethodGet, "/recordings", "")
		res.wantStatus(t, http.StatusOK)
		var raw struct {
			Recordings []map[string]json.RawMessage `json:"recordings"`
		}
		res.decode(t, &raw)
		if len(raw.Recordings) != 2 {
			t.Fatalf("got %d recordings, want 2", len(raw.Recordings))
		}
		for _, key := range []string{"filename", "timestamp", "duration", "processing_parameters"} {
			if _, ok := raw.Recordings[0][key]; !ok {
				t.Errorf("entry lacks the seed's %q: %v", key, raw.Recordings[0])
			}
		}
	})

	for _, tt := range []struct {
		name, query string
		want        []recordingEntry
	}{
		{"OKNewestFirst", "", []recordingEntry{wantNewer, wantOlder}},
		{"OKLimit", "?limit=1", []recordingEntry{wantNewer}},
		{"OKLimitOffset", "?limit=1&offset=1", []recordingEntry{wantOlder}},
		{"OKOffset", "?offset=1", []recordingEntry{wantOlder}},
		{"OKPastEnd", "?offset=2", []recordingEntry{}},
		{"OKLimitZeroIsDefault", "?limit=0", []recordingEntry{wantNewer, wantOlder}},
		{"OKEmptyValues", "?limit=&offset=", []recordingEntry{wantNewer, wantOlder}},
		{"OKHugeLimit", "?limit=100000", []recordingEntry{wantNewer, wantOlder}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := ta.list(t, tt.query); !slices.Equal(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}

	for _, tt := range []struct{ name, query, msg string }{
		{"ErrNegativeLimit", "?limit=-1", "limit must be"},
		{"ErrLimitNotNumber", "?limit=x", "limit must be"},
		{"ErrLimitFraction", "?limit=1.5", "limit must be"},
		{"ErrNegativeOffset", "?offset=-1", "offset must be"},
		{"ErrOffsetNotNumber", "?limit=1&offset=two", "offset must be"},
		{"ErrLimitOverflow", "?limit=99999999999999999999", "limit must be"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ta.do(t, http.MethodGet, "/recordings"+tt.query, "").wantError(t, http.StatusBadRequest, tt.msg)
		})
	}
}

func TestGetRecording(t *testing.T) {
	ta, f := newFakeApp(t)
	name, _ := ta.saveTone(t, f, "s1", t1)
	disk, err := os.ReadFile(filepath.Join(ta.recDir, name))
	if err != nil {
		t.Fatal(err)
	}
	// A recording file nobody indexed: it must not be served.
	const orphan = "recording_20990101_000000.json"
	if err := os.WriteFile(filepath.Join(ta.recDir, orphan), disk, 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		res := ta.do(t, http.MethodGet, "/recordings/"+name, "")
		res.wantStatus(t, http.StatusOK)
		if !bytes.Equal(res.body, disk) {
			t.Errorf("body: %d bytes differ from the %d on disk", len(res.body), len(disk))
		}
		if ct := res.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("Content-Type = %q", ct)
		}
		if cd := res.header.Get("Content-Disposition"); cd != `inline; filename="`+name+`"` {
			t.Errorf("Content-Disposition = %q", cd)
		}
		if cl := res.header.Get("Content-Length"); cl != strconv.Itoa(len(disk)) {
			t.Errorf("Content-Length = %q, want %d", cl, len(disk))
		}
	})

	for _, path := range refusedNames(orphan) {
		for _, suffix := range []string{"", "/audio"} {
			t.Run("Err"+path+suffix, func(t *testing.T) {
				res := ta.do(t, http.MethodGet, "/recordings/"+path+suffix, "")
				if res.status != http.StatusBadRequest && res.status != http.StatusNotFound {
					t.Fatalf("status = %d, want 400 or 404; body %.300s", res.status, res.body)
				}
				if bytes.Contains(res.body, []byte("audio_data")) || bytes.Contains(res.body, []byte("RIFF")) ||
					bytes.Contains(res.body, []byte("SQLite")) {
					t.Errorf("served a file: %.100q", res.body)
				}
				res.wantError(t, res.status, "")
			})
		}
	}

	t.Run("ErrNotFoundUnknown", func(t *testing.T) {
		ta.do(t, http.MethodGet, "/recordings/recording_20250102_030406.json", "").
			wantError(t, http.StatusNotFound, `no recording named "recording_20250102_030406.json"`)
	})
	t.Run("ErrNotFoundOrphan", func(t *testing.T) {
		ta.do(t, http.MethodGet, "/recordings/"+orphan, "").wantError(t, http.StatusNotFound, "no recording named")
	})
	t.Run("ErrInvalidName", func(t *testing.T) {
		ta.do(t, http.MethodGet, "/recordings/recording_x.json", "").
			wantError(t, http.StatusBadRequest, `"recording_x.json" is not a recording name`)
	})
	t.Run("ErrNotFoundFileGone", func(t *testing.T) {
		// Indexed, but the file was removed behind the app's back.
		ta2, f2 := newFakeApp(t)
		gone, _ := ta2.saveTone(t, f2, "s1", t1)
		if err := os.Remove(filepath.Join(ta2.recDir, gone)); err != nil {
			t.Fatal(err)
		}
		ta2.do(t, http.MethodGet, "/recordings/"+gone, "").wantError(t, http.StatusNotFound, "no recording named")
		ta2.do(t, http.MethodGet, "/recordings/"+gone+"/audio", "").wantError(t, http.StatusNotFound, "no recording named")
	})
}

// refusedNames are request paths under /recordings/ that must never
// answer 200: traversal, names the store refuses, and orphan, a valid
// file on disk without a row.
func refusedNames(orphan string) []string {
	return []string{
		"..%2f..%2fetc%2fpasswd",
		"..%2frecorder.db",
		"..%2Frecorder.db",
		"%2e%2e",
		"%2e%2e%2frecorder.db",
		"..",
		"recording_x.json",
		"recording_20250102_030405.JSON",
		"recording_20250102_030405.json%00",
		"recording_20250102_030405.json.bak",
		"%2frecording_20250102_030405.json",
		".recording-0000000000000000.tmp",
		"recording_20250102_030405.json%2f..%2f..%2frecorder.db",
		orphan,
	}
}

func TestRecordingAudio(t *testing.T) {
	ta, f := newFakeApp(t)
	name, wav := ta.saveTone(t, f, "s1", t1)
	n := len(wav)
	url := "/recordings/" + name + "/audio"

	t.Run("OK", func(t *testing.T) {
		res := ta.do(t, http.MethodGet, url, "")
		res.wantStatus(t, http.StatusOK)
		if !bytes.Equal(res.body, wav) {
			t.Errorf("body: %d bytes, want the %d-byte WAV", len(res.body), n)
		}
		for h, want := range map[string]string{
			"Content-Type":   "audio/wav",
			"Accept-Ranges":  "bytes",
			"Content-Length": strconv.Itoa(n),
			"Content-Range":  "",
		} {
			if got := res.header.Get(h); got != want {
				t.Errorf("%s = %q, want %q", h, got, want)
			}
		}
		if _, err := http.ParseTime(res.header.Get("Last-Modified")); err != nil {
			t.Errorf("Last-Modified: %v", err)
		}
	})

	for _, tt := range []struct {
		name, rng  string
		status     int
		start, end int // the bytes served, inclusive; for 200 and 206
	}{
		{"First100", "bytes=0-99", http.StatusPartialContent, 0, 99},
		{"From100", "bytes=100-", http.StatusPartialContent, 100, n - 1},
		{"Suffix44", "bytes=-44", http.StatusPartialContent, n - 44, n - 1},
		{"LastByte", fmt.Sprintf("bytes=%d-%d", n-1, n-1), http.StatusPartialContent, n - 1, n - 1},
		{"EndPastSize", "bytes=16000-99999", http.StatusPartialContent, 16000, n - 1},
		{"SuffixPastSize", "bytes=-99999", http.StatusPartialContent, 0, n - 1},
		{"Middle", "bytes=1000-1999", http.StatusPartialContent, 1000, 1999},
		{"Malformed", "bytes=abc", http.StatusOK, 0, n - 1},
		{"Reversed", "bytes=100-50", http.StatusOK, 0, n - 1},
		{"MultiRange", "bytes=0-9,20-29", http.StatusOK, 0, n - 1},
		{"OtherUnit", "items=0-9", http.StatusOK, 0, n - 1},
		{"NoDash", "bytes=5", http.StatusOK, 0, n - 1},
	} {
		t.Run("Range"+tt.name, func(t *testing.T) {
			res := ta.do(t, http.MethodGet, url, "", "Range", tt.rng)
			res.wantStatus(t, tt.status)
			if want := wav[tt.start : tt.end+1]; !bytes.Equal(res.body, want) {
				t.Errorf("body: %d bytes, want bytes %d-%d (%d)", len(res.body), tt.start, tt.end, len(want))
			}
			wantCR := ""
			if tt.status == http.StatusPartialContent {
				wantCR = fmt.Sprintf("bytes %d-%d/%d", tt.start, tt.end, n)
			}
			if cr := res.header.Get("Content-Range"); cr != wantCR {
				t.Errorf("Content-Range = %q, want %q", cr, wantCR)
			}
			if cl := res.header.Get("Content-Length"); cl != strconv.Itoa(tt.end-tt.start+1) {
				t.Errorf("Content-Length = %q, want %d", cl, tt.end-tt.start+1)
			}
			if ar, ct := res.header.Get("Accept-Ranges"), res.header.Get("Content-Type"); ar != "bytes" || ct != "audio/wav" {
				t.Errorf("Accept-Ranges = %q, Content-Type = %q", ar, ct)
			}
		})
	}

	for _, rng := range []string{fmt.Sprintf("bytes=%d-", n), fmt.Sprintf("bytes=%d-%d", n+10, n+20), "bytes=-0"} {
		t.Run("RangeErrUnsatisfiable"+rng, func(t *testing.T) {
			res := ta.do(t, http.MethodGet, url, "", "Range", rng)
			res.wantStatus(t, http.StatusRequestedRangeNotSatisfiable)
			if cr, want := res.header.Get("Content-Range"), fmt.Sprintf("bytes */%d", n); cr != want {
				t.Errorf("Content-Range = %q, want %q", cr, want)
			}
			if string(res.body) != "Requested Range Not Satisfiable" {
				t.Errorf("body = %.60q, want the status text", res.body)
			}
			if ct := res.header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type = %q, want text/plain: the body is not audio", ct)
			}
			if ar := res.header.Get("Accept-Ranges"); ar != "bytes" {
				t.Errorf("Accept-Ranges = %q", ar)
			}
		})
	}

	t.Run("ErrNotFound", func(t *testing.T) {
		ta.do(t, http.MethodGet, "/recordings/recording_20250102_030406.json/audio", "", "Range", "bytes=0-99").
			wantError(t, http.StatusNotFound, "no recording named")
	})
}
