package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/avatarweb/recorder/internal/config"
	"github.com/avatarweb/recorder/internal/s3store/s3test"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// TestS3Server runs the real server on a bucket of a real S3-compatible
// server: a take saved is listed, played with Range and deleted, and the
// credentials never reach the log.
func TestS3Server(t *testing.T) {
	gw := s3test.Start(t)
	s3cfg := gw.Config(t, "takes/")
	env := map[string]string{
		"RECORDER_STORE": "s3://" + s3cfg.Bucket + "/takes", "AWS_ACCESS_KEY_ID": s3cfg.AccessKey, "AWS_SECRET_ACCESS_KEY": s3cfg.SecretKey,
	}
	cfg, err := config.Parse([]string{"-data", t.TempDir(), "-addr", "127.0.0.1:0", "-s3-endpoint", gw.Endpoint, "-s3-path-style"},
		func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	srv, err := New(context.Background(), cfg, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	do := func(method, path, body string, header ...string) *http.Response {
		t.Helper()
		req := httptest.NewRequest(method, "http://localhost"+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		res, err := srv.App.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	pcm := media.AppendS16LE(nil, mediatest.Tone(440, 16000, 1, 1, 0.5))
	wav := append(media.WAVHeader(16000, 1, int64(len(pcm))), pcm...)
	body, _ := json.Marshal(map[string]any{"audio_data": base64.StdEncoding.EncodeToString(wav), "recording_type": "mediarecorder", "duration": 1})
	res := do(http.MethodPost, "/save_recording", string(body))
	var saved struct{ Filename string }
	if err := json.NewDecoder(res.Body).Decode(&saved); err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("save: %d %v", res.StatusCode, err)
	}
	keys, _ := gw.Keys(t, s3cfg.Bucket)
	if len(keys) != 1 || keys[0] != "takes/"+saved.Filename {
		t.Errorf("bucket holds %q after saving %s", keys, saved.Filename)
	}

	res = do(http.MethodGet, "/recordings/"+saved.Filename+"/audio", "", "Range", "bytes=100-199")
	got, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusPartialContent || !bytes.Equal(got, wav[100:200]) {
		t.Errorf("range: %d, %d bytes, equal %v", res.StatusCode, len(got), bytes.Equal(got, wav[100:200]))
	}

	if res := do(http.MethodDelete, "/recordings/"+saved.Filename, ""); res.StatusCode >= 300 {
		t.Errorf("delete: %d", res.StatusCode)
	}
	if keys, uploads := gw.Keys(t, s3cfg.Bucket); len(keys) != 0 || len(uploads) != 0 {
		t.Errorf("after delete: keys %q, uploads %q", keys, uploads)
	}
	if strings.Contains(logs.String(), s3cfg.SecretKey) || strings.Contains(logs.String(), s3cfg.AccessKey) {
		t.Errorf("the credentials are in the log:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "s3://"+s3cfg.Bucket+"/takes/") {
		t.Errorf("the log does not say where recordings go:\n%s", logs.String())
	}
}
