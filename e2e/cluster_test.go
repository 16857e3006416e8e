package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/avatarweb/recorder/internal/nodesign"
	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
	"github.com/avatarweb/recorder/internal/s3store/s3test"
)

// clusterStore is a recordings store the nodes of TestTwoNodes share. Its
// setup prepares the store once and returns, for each node's data
// directory, the extra arguments that node runs with. A bucket (-store
// s3://…) is one more entry.
type clusterStore struct {
	name  string
	setup func(t *testing.T) (node nodeStore, files func(t *testing.T) []string)
}

// nodeStore readies a node's data directory for the shared store and
// returns the arguments and environment the node runs with.
type nodeStore func(t *testing.T, data string) (args, env []string)

var clusterStores = []clusterStore{
	{"SharedDir", sharedDirStore},
	{"S3", s3BucketStore},
}

// s3BucketStore is one bucket on a real S3-compatible server (versitygw).
func s3BucketStore(t *testing.T) (nodeStore, func(*testing.T) []string) {
	gw := s3test.Start(t)
	cfg := gw.Config(t, "takes/")
	node := func(*testing.T, string) ([]string, []string) {
		return []string{"-store", "s3://" + cfg.Bucket + "/takes", "-s3-endpoint", gw.Endpoint, "-s3-path-style"},
			[]string{"AWS_ACCESS_KEY_ID=" + cfg.AccessKey, "AWS_SECRET_ACCESS_KEY=" + cfg.SecretKey}
	}
	files := func(t *testing.T) []string {
		keys, uploads := gw.Keys(t, cfg.Bucket)
		var names []string
		for _, k := range append(keys, uploads...) {
			names = append(names, strings.TrimPrefix(k, "takes/"))
		}
		slices.Sort(names)
		return names
	}
	return node, files
}

// sharedDirStore is one directory both nodes keep recordings in, as a
// network file system mounted at DATA/recordings on each node would be.
func sharedDirStore(t *testing.T) (nodeStore, func(*testing.T) []string) {
	shared := t.TempDir()
	node := func(t *testing.T, data string) ([]string, []string) {
		if err := os.Symlink(shared, filepath.Join(data, "recordings")); err != nil && !os.IsExist(err) {
			t.Fatal(err)
		}
		return nil, nil
	}
	files := func(t *testing.T) []string {
		entries, err := os.ReadDir(shared)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		return names
	}
	return node, files
}

// TestTwoNodes runs two recorder processes on one PostgreSQL index and one
// recordings store, as behind a load balancer with no stickiness at all:
// a take recorded on node A is stopped, saved, watched and fed through
// node B; the recording is listed, played with Range, renamed and deleted
// from B; a parameter change made on B reaches A's page over /ws; and
// node A killed mid-take while B deletes one of its recordings comes back
// with the take recovered once and nothing deleted resurrected.
func TestTwoNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and runs two of it")
	}
	for _, st := range clusterStores {
		t.Run(st.name, func(t *testing.T) { testTwoNodes(t, st) })
	}
}

// node is one running recorder process of the test.
type node struct {
	id, base, data string
	args, env      []string
	cmd            *exec.Cmd
}

// clusterSecret is the nodes' shared secret in these tests.
const clusterSecret = "cluster-secret-for-tests-0123456789abcdef"

func startNode(t *testing.T, bin, id, dbURL string, storeFor nodeStore) *node {
	t.Helper()
	n := &node{id: id, data: t.TempDir()}
	addr := freeAddr(t)
	n.base = "http://" + addr
	args, env := storeFor(t, n.data)
	n.args = append([]string{"-addr", addr, "-data", n.data, "-node-id", id, "-advertise-url", n.base, "-log-level", "warn"}, args...)
	n.env = append(env, "RECORDER_DB="+dbURL, "RECORDER_CLUSTER_SECRET="+clusterSecret)
	n.start(t, bin)
	return n
}

func (n *node) start(t *testing.T, bin string) {
	t.Helper()
	n.cmd = spawn(t, bin, n.env, n.args, n.base+"/readyz")
}

// call sends a JSON body (nil: none) and decodes a JSON answer into out
// (nil: ignored); it returns the status.
func call(t *testing.T, method, url string, body, out any) int {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if out != nil && json.Unmarshal(data, out) != nil && res.StatusCode < 300 {
		t.Fatalf("%s %s: %d %q is not JSON", method, url, res.StatusCode, data)
	}
	if res.StatusCode >= 300 {
		t.Logf("%s %s: %d %s", method, url, res.StatusCode, data)
	}
	return res.StatusCode
}

// titleOf reads a recording's title from the index (the JSON list does
// not carry it).
func titleOf(t *testing.T, dbURL, filename string) string {
	t.Helper()
	conn, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var title string
	if err := conn.QueryRow(`SELECT title FROM recordings WHERE filename = $1`, filename).Scan(&title); err != nil {
		t.Fatalf("title of %s: %v", filename, err)
	}
	return title
}

type listing struct {
	Recordings []struct {
		Filename  string  `json:"filename"`
		Duration  float64 `json:"duration"`
		SessionID string  `json:"webrtc_session_id"`
	} `json:"recordings"`
}

func (l listing) names() []string {
	var out []string
	for _, r := range l.Recordings {
		out = append(out, r.Filename)
	}
	slices.Sort(out)
	return out
}

func testTwoNodes(t *testing.T, st clusterStore) {
	dbURL := testPG.Get(t).FreshURL(t)
	nodeArgs, storeFiles := st.setup(t)
	bin := buildBinary(t)
	a := startNode(t, bin, "node-a", dbURL, nodeArgs)
	b := startNode(t, bin, "node-b", dbURL, nodeArgs)

	capture, api := toneSender(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Small batches, so the feed has one to relay within a second.
	if code := call(t, "POST", a.base+"/update_params", map[string]int{"fps": 60, "batch_size": 16}, nil); code != 200 {
		t.Fatalf("update_params on A: %d", code)
	}

	// A page on node A, listening on its /ws.
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(a.base, "http")+"/ws", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	heard := make(chan map[string]any, 64)
	go func() {
		for {
			var m map[string]any
			if err := ws.ReadJSON(&m); err != nil {
				close(heard)
				return
			}
			heard <- m
		}
	}()

	// record streams a take into node A in the background.
	record := func(id string) (stop func()) {
		peer := connectPeer(t, ctx, api, a.base, id)
		sctx, scancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		wg.Go(func() {
			var stats rtcsend.SendStats
			_ = peer.Stream(sctx, capture, &stats)
		})
		return func() { scancel(); wg.Wait(); peer.Close() }
	}

	t.Run("SessionThroughB", func(t *testing.T) {
		stopSending := record("session_two1")
		defer stopSending()

		// Its feed, relayed by B.
		feed, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(b.base, "http")+"/feed/session_two1", nil)
		if err != nil {
			t.Fatalf("feed through B: %v", err)
		}
		_ = feed.SetReadDeadline(time.Now().Add(10 * time.Second))
		kind, msg, err := feed.ReadMessage()
		feed.Close()
		if err != nil || kind != websocket.BinaryMessage || len(msg) == 0 {
			t.Errorf("feed through B: %d, %d bytes, %v; want a binary batch", kind, len(msg), err)
		}

		t.Run("ErrTakeOver", func(t *testing.T) {
			// An offer to B carrying A's live session id once made B its
			// owner, and the take's save through B then failed.
			peer, offer, err := rtcsend.NewPeer(ctx, api)
			if err != nil {
				t.Fatal(err)
			}
			defer peer.Close()
			if code := call(t, "POST", b.base+"/webrtc/offer", map[string]any{"offer": offer, "session_id": "session_two1"}, nil); code != http.StatusConflict {
				t.Errorf("an offer to B for A's live session: %d, want 409", code)
			}
		})
		t.Run("ErrUnsignedForward", func(t *testing.T) { testUnsignedForward(t, b, "session_two1") })

		time.Sleep(1500 * time.Millisecond)
		var info struct {
			SessionID string `json:"session_id"`
			State     string `json:"state"`
		}
		if code := call(t, "GET", b.base+"/webrtc/sessions/session_two1", nil, &info); code != 200 || info.SessionID != "session_two1" {
			t.Fatalf("stats through B: %d %+v", code, info)
		}
		if code := call(t, "POST", b.base+"/webrtc/stop", map[string]string{"session_id": "session_two1"}, nil); code != 200 {
			t.Fatalf("stop through B: %d", code)
		}
	})

	var saved struct {
		Filename string `json:"filename"`
	}
	if code := call(t, "POST", b.base+"/save_recording",
		map[string]any{"session_id": "session_two1", "recording_type": "webrtc", "duration": 1.5}, &saved); code != 200 || saved.Filename == "" {
		t.Fatalf("save through B: %d %+v", code, saved)
	}
	// The take is saved once: again through either node is a conflict.
	for _, n := range []*node{a, b} {
		if code := call(t, "POST", n.base+"/save_recording",
			map[string]any{"session_id": "session_two1", "recording_type": "webrtc"}, nil); code < 400 {
			t.Errorf("saving the take again through %s: %d, want a refusal", n.id, code)
		}
	}

	t.Run("LibraryFromB", func(t *testing.T) {
		var onA, onB listing
		getJSON(t, a.base+"/recordings", &onA)
		getJSON(t, b.base+"/recordings", &onB)
		if !slices.Equal(onB.names(), []string{saved.Filename}) || !slices.Equal(onA.names(), onB.names()) {
			t.Fatalf("listed on A %v, on B %v; want [%s] on both", onA.names(), onB.names(), saved.Filename)
		}
		req, _ := http.NewRequest("GET", b.base+"/recordings/"+saved.Filename+"/audio", nil)
		req.Header.Set("Range", "bytes=0-99")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusPartialContent || len(body) != 100 || string(body[:4]) != "RIFF" {
			t.Errorf("Range on B: %d, %d bytes %q; want 206, 100 bytes of WAV", res.StatusCode, len(body), body[:min(4, len(body))])
		}
		form := url.Values{"title": {"from node B"}}
		res, err = http.PostForm(b.base+"/recordings/"+saved.Filename+"/title", form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Errorf("rename on B: %d", res.StatusCode)
		}
		if title := titleOf(t, dbURL, saved.Filename); title != "from node B" {
			t.Errorf("title %q after B renamed it", title)
		}
		if code := call(t, "DELETE", b.base+"/recordings/"+saved.Filename, nil, nil); code != 200 {
			t.Fatalf("delete on B: %d", code)
		}
		getJSON(t, a.base+"/recordings", &onA)
		if len(onA.Recordings) != 0 {
			t.Errorf("A still lists %v after B deleted it", onA.names())
		}
		if files := storeFiles(t); len(files) != 0 {
			t.Errorf("store holds %v after the delete", files)
		}
	})

	t.Run("ParamsFromBReachA", func(t *testing.T) {
		if code := call(t, "POST", b.base+"/update_params", map[string]int{"fps": 25}, nil); code != 200 {
			t.Fatalf("update_params on B: %d", code)
		}
		deadline := time.After(5 * time.Second)
		for {
			select {
			case m, ok := <-heard:
				if !ok {
					t.Fatal("A's /ws closed")
				}
				p, _ := m["params"].(map[string]any)
				if m["type"] == "params_updated" && p["fps"] == float64(25) {
					return
				}
			case <-deadline:
				t.Fatal("A's page never heard B's change of fps to 25")
			}
		}
	})

	t.Run("CrashOnA", func(t *testing.T) {
		// A recording of A's that B will delete while A dies.
		stopSending := record("session_two2")
		time.Sleep(800 * time.Millisecond)
		stopSending()
		var doomed struct {
			Filename string `json:"filename"`
		}
		if code := call(t, "POST", a.base+"/save_recording",
			map[string]any{"session_id": "session_two2", "recording_type": "webrtc"}, &doomed); code != 200 {
			t.Fatalf("save on A: %d", code)
		}

		stopSending = record("session_two3") // live when A is killed
		defer stopSending()
		time.Sleep(1500 * time.Millisecond)
		var wg sync.WaitGroup
		wg.Go(func() {
			if code := call(t, "DELETE", b.base+"/recordings/"+doomed.Filename, nil, nil); code != 200 {
				t.Errorf("delete on B while A dies: %d", code)
			}
		})
		if err := a.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		_ = a.cmd.Wait()
		wg.Wait()
		stopSending()

		a.start(t, bin)
		var onA, onB listing
		getJSON(t, a.base+"/recordings", &onA)
		getJSON(t, b.base+"/recordings", &onB)
		if len(onA.Recordings) != 1 || onA.Recordings[0].SessionID != "session_two3" {
			t.Fatalf("after A's restart A lists %+v; want only the recovered session_two3", onA.Recordings)
		}
		if title := titleOf(t, dbURL, onA.Recordings[0].Filename); !strings.HasPrefix(title, "Recovered ") {
			t.Errorf("the recovered take is titled %q", title)
		}
		if !slices.Equal(onA.names(), onB.names()) {
			t.Errorf("A lists %v, B %v", onA.names(), onB.names())
		}
		if files := storeFiles(t); !slices.Equal(files, onA.names()) {
			t.Errorf("store holds %v, the index %v: want the same, nothing resurrected or left aside", files, onA.names())
		}
		if spools, _ := filepath.Glob(filepath.Join(a.data, "spool", "*")); len(spools) != 0 {
			t.Errorf("spools left on A after recovery: %v", spools)
		}
		// A's restart forgot the session it held: B answers for it itself.
		if code := call(t, "GET", b.base+"/webrtc/sessions/session_two3", nil, nil); code != http.StatusNotFound {
			t.Errorf("a session of A's from before its restart, through B: %d, want 404", code)
		}
	})
}

// testUnsignedForward sends node n requests that say another node
// forwarded them: unsigned, signed with another secret, signed but with
// another body, and replayed. Each is refused (403); before, the header
// alone made a node answer for a session it does not hold, acting on the
// word of anyone who set it. The signed one is answered once.
func testUnsignedForward(t *testing.T, n *node, session string) {
	send := func(method, path, body string, header map[string]string) int {
		t.Helper()
		req, _ := http.NewRequest(method, n.base+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		for k, v := range header {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	signed := func(secret, method, path, body string) map[string]string {
		s := nodesign.New([]byte(secret), nil)
		r := s.NewRequest(method, path, "node-a", "192.0.2.7", []byte(body))
		return map[string]string{
			"X-Recorder-Forwarded-By": r.Node, "X-Recorder-Client": r.Client,
			"X-Recorder-Body-Sha256": nodesign.FormatSum(r.BodySum), "X-Recorder-Time": nodesign.FormatTime(r.Time),
			"X-Recorder-Nonce": r.Nonce, "X-Recorder-Signature": s.Sign(r),
		}
	}
	path := "/webrtc/sessions/" + session
	if code := send("GET", path, "", map[string]string{"X-Recorder-Forwarded-By": "node-a"}); code != http.StatusForbidden {
		t.Errorf("a forward without a signature: %d, want 403", code)
	}
	if code := send("GET", path, "", signed("not-the-cluster-secret-0123456789abcdef", "GET", path, "")); code != http.StatusForbidden {
		t.Errorf("a forward signed with another secret: %d, want 403", code)
	}
	stop := `{"session_id":"` + session + `-none"}`
	if code := send("POST", "/webrtc/stop", `{"session_id":"other"}`, signed(clusterSecret, "POST", "/webrtc/stop", stop)); code != http.StatusForbidden {
		t.Errorf("a signed forward with another body: %d, want 403", code)
	}
	h := signed(clusterSecret, "GET", path, "")
	if code := send("GET", path, "", h); code == http.StatusForbidden {
		t.Errorf("a signed forward: %d, want it answered", code)
	}
	if code := send("GET", path, "", h); code != http.StatusForbidden {
		t.Errorf("the same signed forward again: %d, want 403 (a replay)", code)
	}
}
