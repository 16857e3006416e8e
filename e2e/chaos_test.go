package e2e

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/avatarweb/recorder/db/pgtest"
	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
	"github.com/avatarweb/recorder/internal/s3store/s3test"
	"github.com/avatarweb/recorder/media"
)

// outage is how long each dependency stays away in TestClusterChaos.
const outage = 10 * time.Second

// TestClusterChaos runs two nodes behind the documented HAProxy, on their
// own PostgreSQL and an S3 bucket (versitygw), with live takes streaming
// and uploads waiting to be saved, and takes each dependency away for ten
// seconds: first PostgreSQL, then S3. While one is away a save answers a
// clear 503, "the recording store is unreachable; nothing was lost, try
// again", within a few seconds (an S3 outage was a bare 500 after some
// 4 s), every node's /readyz fails so the balancer drains it, and the
// balancer then answers 503 itself; once it is back, the nodes are ready
// again, the balancer sends them requests, and every take and upload
// saves, each once, with all its audio: nothing was lost.
func TestClusterChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs two of it behind haproxy, with PostgreSQL and S3 going away")
	}
	haproxy, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not installed (apt-get install haproxy); the cluster's outages are not tested")
	}
	pg, err := pgtest.Start() // its own: this test stops it
	if err != nil {
		if os.Getenv(pgtest.RequireEnv) == "1" {
			t.Fatalf("PostgreSQL: %v", err)
		}
		t.Skipf("PostgreSQL tests skipped: %v", err)
	}
	t.Cleanup(pg.Stop)
	gw := s3test.Start(t)
	bucket := gw.Config(t, "takes/")
	storeFor := func(*testing.T, string) ([]string, []string) {
		return []string{"-store", "s3://" + bucket.Bucket + "/takes", "-s3-endpoint", gw.Endpoint, "-s3-path-style"},
			[]string{"AWS_ACCESS_KEY_ID=" + bucket.AccessKey, "AWS_SECRET_ACCESS_KEY=" + bucket.SecretKey}
	}
	bin := buildBinary(t)
	dbURL := pg.FreshURL(t)
	a := startNode(t, bin, "node-a", dbURL, storeFor)
	b := startNode(t, bin, "node-b", dbURL, storeFor)
	lb := "http://" + startHAProxy(t, haproxy, "", [2]string{strings.TrimPrefix(a.base, "http://"), strings.TrimPrefix(b.base, "http://")})

	capture, api := toneSender(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	take := func(n *node, id string) time.Time {
		peer := connectPeer(t, ctx, api, n.base, id)
		wg.Go(func() {
			defer peer.Close()
			var stats rtcsend.SendStats
			_ = peer.Stream(ctx, capture, &stats)
		})
		return time.Now()
	}
	// One take and one upload for each outage, on either node.
	began := map[string]time.Time{"session_chaos_pg": take(a, "session_chaos_pg"), "session_chaos_s3": take(b, "session_chaos_s3")}
	uploadWAV(t, a.base, "upload_chaos_pg")
	uploadWAV(t, b.base, "upload_chaos_s3")
	saveTake := func(id string) map[string]any {
		return map[string]any{"session_id": id, "recording_type": "webrtc", "title": "chaos " + id}
	}
	saveUpload := func(id string) map[string]any {
		return map[string]any{"upload_id": id, "recording_type": "mediarecorder", "duration": 2, "title": "chaos " + id}
	}
	// A take's save stops it: its audio ends between the first save tried
	// and the end of the one through its own node.
	tried, stopped := map[string]time.Time{}, map[string]time.Time{}

	for _, o := range []struct {
		name       string
		stop, back func()
		node       *node // holds the take and the upload
		session    string
		uploadID   string
	}{
		{"PostgreSQL", pg.Down, func() {
			if err := pg.Up(); err != nil {
				t.Fatalf("PostgreSQL back: %v", err)
			}
		}, a, "session_chaos_pg", "upload_chaos_pg"},
		{"S3", func() { gw.Stop(t) }, func() { gw.Restart(t) }, b, "session_chaos_s3", "upload_chaos_s3"},
	} {
		other := map[*node]*node{a: b, b: a}[o.node]
		time.Sleep(1500 * time.Millisecond) // audio before the outage
		o.stop()
		down := time.Now()
		t.Logf("%s stopped", o.name)

		// A save through the node that does not hold the take (it cannot
		// look the owner up without the index, or forwards to it), then
		// through the one that does, then the upload.
		for _, try := range []struct {
			what string
			url  string
			body map[string]any
		}{
			{"the take through the other node", other.base, saveTake(o.session)},
			{"the take", o.node.base, saveTake(o.session)},
			{"the upload", o.node.base, saveUpload(o.uploadID)},
		} {
			if _, ok := tried[o.session]; !ok {
				tried[o.session] = time.Now()
			}
			code, msg, took := post(t, try.url+"/save_recording", try.body)
			if try.what == "the take" {
				stopped[o.session] = time.Now()
			}
			t.Logf("%s down: saving %s: %d %q after %v", o.name, try.what, code, msg, took.Round(time.Millisecond))
			if code != http.StatusServiceUnavailable || msg != media.UnavailableMessage {
				t.Errorf("%s down: saving %s: %d %q, want 503 %q", o.name, try.what, code, msg, media.UnavailableMessage)
			}
			if took > 8*time.Second {
				t.Errorf("%s down: saving %s took %v, want an answer within seconds", o.name, try.what, took)
			}
		}
		for _, n := range []*node{a, b} {
			if code := waitStatus(t, n.base+"/readyz", http.StatusServiceUnavailable, 5*time.Second); code != http.StatusServiceUnavailable {
				t.Errorf("%s down: %s's /readyz stayed %d, want 503 so the balancer drains it", o.name, n.id, code)
			}
		}
		// /healthz needs neither: through the balancer it fails only once
		// the balancer has taken both nodes out.
		if code := waitStatus(t, lb+"/healthz", http.StatusServiceUnavailable, time.Until(down.Add(outage))); code != http.StatusServiceUnavailable {
			t.Errorf("%s down: the balancer still sent requests on (%d) after %v", o.name, code, time.Since(down).Round(time.Second))
		} else {
			t.Logf("%s down: the balancer drained both nodes after %v", o.name, time.Since(down).Round(100*time.Millisecond))
		}
		time.Sleep(time.Until(down.Add(outage)))
		o.back()
		back := time.Now()
		for _, n := range []*node{a, b} {
			if code := waitStatus(t, n.base+"/readyz", http.StatusOK, 20*time.Second); code != http.StatusOK {
				t.Fatalf("%s back: %s's /readyz stayed %d", o.name, n.id, code)
			}
		}
		if code := waitStatus(t, lb+"/healthz", http.StatusOK, 20*time.Second); code != http.StatusOK {
			t.Fatalf("%s back: the balancer still answers %d", o.name, code)
		}
		t.Logf("%s back: ready and balanced again after %v", o.name, time.Since(back).Round(100*time.Millisecond))

		// Saved now, through the balancer: nothing was lost.
		for _, body := range []map[string]any{saveTake(o.session)} {
			if code, msg, _ := post(t, lb+"/save_recording", body); code != http.StatusOK {
				t.Errorf("%s back: saving the take through the balancer: %d %q", o.name, code, msg)
			}
		}
		if code, msg, _ := post(t, o.node.base+"/save_recording", saveUpload(o.uploadID)); code != http.StatusOK {
			t.Errorf("%s back: saving the upload: %d %q", o.name, code, msg)
		}
	}

	// Every take and upload is a recording, once, with its audio and its
	// title; the bucket holds exactly those files.
	var list struct {
		Recordings []struct {
			Filename  string  `json:"filename"`
			Duration  float64 `json:"duration"`
			SessionID string  `json:"webrtc_session_id"`
			Mode      string  `json:"mode"`
		} `json:"recordings"`
	}
	getJSON(t, lb+"/recordings", &list)
	var names []string
	takes, uploads := 0, 0
	for _, r := range list.Recordings {
		names = append(names, r.Filename)
		if title := titleOf(t, dbURL, r.Filename); !strings.HasPrefix(title, "chaos ") {
			t.Errorf("%s is titled %q, want the title given", r.Filename, title)
		}
		if r.SessionID == "" {
			uploads++
			if math.Abs(r.Duration-2) > 0.1 {
				t.Errorf("upload %s: %.2f s, want 2", r.Filename, r.Duration)
			}
			continue
		}
		takes++
		from, to := tried[r.SessionID].Sub(began[r.SessionID]).Seconds(), stopped[r.SessionID].Sub(began[r.SessionID]).Seconds()
		t.Logf("%s: %.2f s recorded; its save stopped it %.2f-%.2f s after it began", r.SessionID, r.Duration, from, to)
		if r.Duration < from-1 || r.Duration > to+0.5 {
			t.Errorf("%s: %.2f s, want %.2f-%.2f s: audio lost", r.SessionID, r.Duration, from, to)
		}
	}
	if takes != 2 || uploads != 2 {
		t.Errorf("%d takes and %d uploads saved, want 2 and 2: %v", takes, uploads, names)
	}
	keys, open := gw.Keys(t, bucket.Bucket)
	var stored []string
	for _, k := range keys {
		stored = append(stored, strings.TrimPrefix(k, "takes/"))
	}
	slices.Sort(names)
	if !slices.Equal(stored, names) || len(open) != 0 {
		t.Errorf("the bucket holds %v (uploads open: %v), the index %v", stored, open, names)
	}
}

// uploadWAV sends a 2-second WAV take to n as a MediaRecorder upload, in two
// chunks, not saved.
func uploadWAV(t *testing.T, base, id string) {
	t.Helper()
	if code := call(t, "POST", base+"/uploads", map[string]string{"upload_id": id, "mime": "audio/wav"}, nil); code != http.StatusOK {
		t.Fatalf("begin upload %s: %d", id, code)
	}
	wav := wavTone(2)
	for i, chunk := range [][]byte{wav[:len(wav)/2], wav[len(wav)/2:]} {
		req, _ := http.NewRequest("PUT", fmt.Sprintf("%s/uploads/%s/chunks/%d", base, id, i), bytes.NewReader(chunk))
		req.Header.Set("Content-Type", "application/octet-stream")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("upload %s chunk %d: %d", id, i, res.StatusCode)
		}
	}
}

// wavTone is seconds of a 440 Hz tone as a 16 kHz mono WAV file.
func wavTone(seconds float64) []byte {
	n := int(seconds * 16000)
	pcm := make([]byte, 2*n)
	for i := range n {
		v := int16(8000 * math.Sin(2*math.Pi*440*float64(i)/16000))
		binary.LittleEndian.PutUint16(pcm[2*i:], uint16(v))
	}
	return append(media.WAVHeader(16000, 1, int64(len(pcm))), pcm...)
}

// post sends a JSON body and returns the status, the answer's message and
// how long the answer took.
func post(t *testing.T, url string, body any) (int, string, time.Duration) {
	t.Helper()
	b, _ := json.Marshal(body)
	client := &http.Client{Timeout: 30 * time.Second}
	began := time.Now()
	res, err := client.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	var out struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(data, &out)
	return res.StatusCode, out.Message, time.Since(began)
}

// waitStatus GETs url until it answers want or within passes, and returns
// the last status (0: no answer).
func waitStatus(t *testing.T, url string, want int, within time.Duration) int {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(within)
	last := 0
	for {
		if res, err := client.Get(url); err == nil {
			res.Body.Close()
			last = res.StatusCode
		}
		if last == want || time.Now().After(deadline) {
			return last
		}
		time.Sleep(200 * time.Millisecond)
	}
}
