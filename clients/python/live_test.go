package python

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/avatarweb/recorder/internal/rtc/rtcsend"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/mediatest"
)

// The live tests run the real server binary with a token, stream a 440 Hz
// tone into a session from a pion sender (the Chromium capture in
// media/testdata), and subscribe to its feed with the Python client
// (testdata/probe.py, or the VAD example) under Debian's Python.

const (
	liveToken   = "feed-test-token-0123"
	toneCapture = "../../media/testdata/chromium-440hz-celt.rtp"
	toneHz      = 440
)

var serverBinary = struct {
	once sync.Once
	path string
	err  error
}{}

func TestMain(m *testing.M) {
	code := m.Run()
	if serverBinary.path != "" {
		os.RemoveAll(filepath.Dir(serverBinary.path))
	}
	os.Exit(code)
}

// buildServer builds the recorder once for every test of the package.
func buildServer(t *testing.T) string {
	t.Helper()
	serverBinary.once.Do(func() {
		dir, err := os.MkdirTemp("", "recorder-pyclient-")
		if err != nil {
			serverBinary.err = err
			return
		}
		serverBinary.path = filepath.Join(dir, "recorder")
		if out, err := exec.Command("go", "build", "-o", serverBinary.path, "github.com/avatarweb/recorder").CombinedOutput(); err != nil {
			serverBinary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if serverBinary.err != nil {
		t.Fatal(serverBinary.err)
	}
	return serverBinary.path
}

// server is a running recorder binary.
type server struct {
	base   string // http(s)://127.0.0.1:port
	addr   string
	data   string
	client *http.Client // trusts its certificate with -tls
}

// startServer runs the recorder on a free loopback port with the token
// and a temporary data directory, killed when the test ends.
func startServer(t *testing.T, args ...string) *server {
	t.Helper()
	bin := buildServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &server{addr: ln.Addr().String(), data: t.TempDir(), client: &http.Client{Timeout: 15 * time.Second}}
	ln.Close()
	cmd := exec.Command(bin, append([]string{"-addr", s.addr, "-data", s.data, "-log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), "RECORDER_TOKEN="+liveToken)
	cmd.Stderr = t.Output()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	s.base = "http://" + s.addr
	if slices.Contains(args, "-tls") {
		s.base = "https://" + s.addr
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		if slices.Contains(args, "-tls") && s.client.Transport == nil {
			if pool, err := certPool(s.certFile()); err == nil {
				s.client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}
			}
		}
		res, err := s.client.Get(s.base + "/healthz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server did not come up: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *server) certFile() string { return filepath.Join(s.data, "tls", "cert.pem") }

func certPool(path string) (*x509.CertPool, error) {
	pemData, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, errors.New("no certificate in " + path)
	}
	return pool, nil
}

// fingerprint is the SHA-256 of the server's certificate as its log shows it.
func (s *server) fingerprint(t *testing.T) string {
	t.Helper()
	pemData, err := os.ReadFile(s.certFile())
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(pemData)
	return colonHex(sha256.Sum256(block.Bytes))
}

func colonHex(sum [32]byte) string {
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// call sends a JSON request with the token and decodes a 200 answer.
func (s *server) call(t *testing.T, method, path string, body, out any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		js, _ := json.Marshal(body)
		r = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, s.base+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+liveToken)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s %s", method, path, res.Status, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
	}
}

// session is a live WebRTC session streaming the tone.
type session struct {
	id     string
	cancel context.CancelFunc
	done   chan struct{}
}

// startSession offers a pion sender as session id and streams the tone
// capture in a loop until stop.
func (s *server) startSession(t *testing.T, id string) *session {
	t.Helper()
	capture, err := rtcsend.ReadCapture(toneCapture)
	if err != nil {
		t.Fatal(err)
	}
	api, err := rtcsend.NewAPI()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	octx, ocancel := context.WithTimeout(ctx, 15*time.Second)
	defer ocancel()
	peer, offer, err := rtcsend.NewPeer(octx, api)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	var answer struct {
		Answer webrtc.SessionDescription `json:"answer"`
	}
	s.call(t, http.MethodPost, "/webrtc/offer", map[string]any{"offer": offer, "session_id": id}, &answer)
	if err := peer.Accept(octx, answer.Answer); err != nil {
		cancel()
		peer.Close()
		t.Fatalf("connect %s: %v", id, err)
	}
	sess := &session{id: id, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(sess.done)
		defer peer.Close()
		var st rtcsend.SendStats
		_ = peer.Stream(ctx, capture, &st) // until stop
	}()
	t.Cleanup(sess.hangUp)
	return sess
}

func (sess *session) hangUp() {
	sess.cancel()
	<-sess.done
}

// stop ends the session on the server (its take stays a draft; its feed
// ends) and returns the frames and batches it cut.
func (s *server) stop(t *testing.T, sess *session) (frames, batches int64) {
	t.Helper()
	s.call(t, http.MethodPost, "/webrtc/stop", map[string]string{"session_id": sess.id}, nil)
	sess.hangUp()
	var info struct {
		State   string `json:"state"`
		Framing struct {
			Frames  int64 `json:"frames"`
			Batches int64 `json:"batches"`
		} `json:"framing"`
	}
	s.call(t, http.MethodGet, "/webrtc/sessions/"+sess.id, nil, &info)
	if info.State != "stopped" {
		t.Fatalf("session %s is %s after stop", sess.id, info.State)
	}
	return info.Framing.Frames, info.Framing.Batches
}

// event is a line of probe.py's output.
type event struct {
	Event        string  `json:"event"`
	Batch        int64   `json:"batch"`
	FirstFrame   int64   `json:"first_frame"`
	Frames       int     `json:"frames"`
	SampleRate   int     `json:"sample_rate"`
	Channels     int     `json:"channels"`
	BatchSize    int     `json:"batch_size"`
	FrameSamples []int   `json:"frame_samples"`
	Shape        []int   `json:"shape"`
	PCMShape     []int   `json:"pcm_shape"`
	Dtype        string  `json:"dtype"`
	Padded       bool    `json:"padded"`
	Dropped      *int64  `json:"dropped"`
	Skipped      int64   `json:"skipped"`
	Reconnected  bool    `json:"reconnected"`
	Voice        int     `json:"voice"`
	RMS          float64 `json:"rms"`
	Reason       string  `json:"reason"`
	Type         string  `json:"type"`
	Message      string  `json:"message"`
	Stats        struct {
		Batches          int64 `json:"batches"`
		Frames           int64 `json:"frames"`
		Connects         int64 `json:"connects"`
		Reconnects       int64 `json:"reconnects"`
		ServerDropped    int64 `json:"server_dropped"`
		ClientDropped    int64 `json:"client_dropped"`
		Skipped          int64 `json:"skipped"`
		LostReconnecting int64 `json:"lost_reconnecting"`
	} `json:"stats"`
}

// probe is testdata/probe.py running against a feed.
type probe struct {
	out    string // prefix of its .pcm and .array files
	events chan event
	exited chan error
	lines  bytes.Buffer // everything it printed, for failure messages
	mu     sync.Mutex
}

// startProbe runs the probe on url with the token and extra arguments,
// and waits until it has subscribed.
func startProbe(t *testing.T, url string, args ...string) *probe {
	t.Helper()
	p := &probe{out: filepath.Join(t.TempDir(), "feed"), events: make(chan event, 1024), exited: make(chan error, 1)}
	cmd := python(t, append([]string{"testdata/probe.py", url, "--token", liveToken, "--out", p.out}, args...)...)
	cmd.Stderr = t.Output()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.exited
	})
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			p.mu.Lock()
			p.lines.WriteString(sc.Text() + "\n")
			p.mu.Unlock()
			var e event
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				e = event{Event: "unparsed", Message: sc.Text()}
			}
			p.events <- e
		}
		close(p.events)
		p.exited <- cmd.Wait()
	}()
	if e := p.next(t, 20*time.Second); e.Event != "subscribed" {
		t.Fatalf("the probe did not subscribe: %+v\n%s", e, p.output())
	}
	return p
}

func (p *probe) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lines.String()
}

// next returns the probe's next event.
func (p *probe) next(t *testing.T, timeout time.Duration) event {
	t.Helper()
	select {
	case e, ok := <-p.events:
		if !ok {
			t.Fatalf("the probe exited:\n%s", p.output())
		}
		return e
	case <-time.After(timeout):
		t.Fatalf("no event from the probe in %s:\n%s", timeout, p.output())
	}
	return event{}
}

// batches collects batch events until n have come.
func (p *probe) batches(t *testing.T, n int) []event {
	t.Helper()
	var got []event
	for len(got) < n {
		e := p.next(t, 20*time.Second)
		if e.Event != "batch" {
			t.Fatalf("event %+v while waiting for batches:\n%s", e, p.output())
		}
		got = append(got, e)
	}
	return got
}

// finish collects the batch events up to the end and checks the probe
// exited cleanly.
func (p *probe) finish(t *testing.T) ([]event, event) {
	t.Helper()
	var got []event
	for {
		e := p.next(t, 30*time.Second)
		switch e.Event {
		case "batch":
			got = append(got, e)
			continue
		case "end":
		default:
			t.Fatalf("the probe ended with %+v:\n%s", e, p.output())
		}
		select {
		case err := <-p.exited:
			if err != nil {
				t.Fatalf("the probe exited with %v", err)
			}
			p.exited <- nil // for the cleanup
		case <-time.After(10 * time.Second):
			t.Fatal("the probe did not exit after the feed ended")
		}
		return got, e
	}
}

// checkBatches checks what the probe received of a session cut at
// params: the shape of every batch and of its arrays, and that the audio
// is the tone.
func checkBatches(t *testing.T, p *probe, got []event, params media.Params) {
	t.Helper()
	pcm := readS16(t, p.out+".pcm")
	array := readS16(t, p.out+".array")
	lo, hi := params.SampleRate/params.FPS, (params.SampleRate+params.FPS-1)/params.FPS
	var pcmAt, arrayAt int
	for i, e := range got {
		if e.SampleRate != params.SampleRate || e.Channels != params.Channels || e.BatchSize != params.BatchSize || e.Dtype != "int16" {
			t.Fatalf("batch %d: %d Hz × %d, batch_size %d, %s", e.Batch, e.SampleRate, e.Channels, e.BatchSize, e.Dtype)
		}
		if e.Frames != params.BatchSize && i != len(got)-1 {
			t.Errorf("batch %d holds %d frames, not %d", e.Batch, e.Frames, params.BatchSize)
		}
		if e.Dropped == nil || *e.Dropped != 0 {
			t.Errorf("batch %d: dropped %v, want a reported 0", e.Batch, e.Dropped)
		}
		width, total := 0, 0
		for j, n := range e.FrameSamples {
			last := i == len(got)-1 && j == len(e.FrameSamples)-1 // the session's: it ends at Stop
			if (n < lo && !(last && n > 0)) || n > hi {
				t.Errorf("batch %d: a frame of %d samples, want %d–%d", e.Batch, n, lo, hi)
			}
			width, total = max(width, n), total+n
		}
		if want := []int{e.Frames, width, params.Channels}; !slices.Equal(e.Shape, want) {
			t.Errorf("batch %d: array shape %v, want %v", e.Batch, e.Shape, want)
		}
		if want := []int{total, params.Channels}; !slices.Equal(e.PCMShape, want) {
			t.Errorf("batch %d: pcm shape %v, want %v", e.Batch, e.PCMShape, want)
		}
		if e.Padded != (total != width*e.Frames) {
			t.Errorf("batch %d: padded %v with frames %v", e.Batch, e.Padded, e.FrameSamples)
		}
		// Row f of the array is frame f of the pcm, then zeros.
		ch := params.Channels
		for _, n := range e.FrameSamples {
			row := array[arrayAt : arrayAt+width*ch]
			if !slices.Equal(row[:n*ch], pcm[pcmAt:pcmAt+n*ch]) || slices.ContainsFunc(row[n*ch:], func(s int16) bool { return s != 0 }) {
				t.Fatalf("batch %d: an array row is not its frame followed by zeros", e.Batch)
			}
			arrayAt += width * ch
			pcmAt += n * ch
		}
	}
	if pcmAt != len(pcm) || arrayAt != len(array) {
		t.Fatalf("the probe wrote %d pcm and %d array samples, the batches say %d and %d", len(pcm), len(array), pcmAt, arrayAt)
	}
	// The tone, in every channel, from what the client decoded.
	floats := make([]float32, len(pcm))
	for i, s := range pcm {
		floats[i] = float32(s) / 32768
	}
	for c := range params.Channels {
		mono := mediatest.Channel(floats, params.Channels, c)
		mono = mono[len(mono)/4:] // past the start of the stream
		f, rms := mediatest.DominantFrequency(mono, params.SampleRate), mediatest.RMS(mono)
		t.Logf("channel %d: %.1f Hz, RMS %.3f over %.2f s", c, f, rms, float64(len(mono))/float64(params.SampleRate))
		if math.Abs(f-toneHz) > 3 || rms < 0.05 {
			t.Errorf("channel %d is %.1f Hz at RMS %.3f, want the %d Hz tone", c, f, rms, toneHz)
		}
	}
}

func readS16(t *testing.T, path string) []int16 {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]int16, len(data)/2)
	for i := range out {
		out[i] = int16(binary.LittleEndian.Uint16(data[2*i:]))
	}
	return out
}

// liveServer starts the server for a live test, with the processing
// parameters its sessions take; the test skips in -short mode and without
// Debian's Python.
func liveServer(t *testing.T, params media.Params, args ...string) *server {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the server binary and a live session")
	}
	needPython(t, "websockets", "numpy")
	srv := startServer(t, args...)
	srv.call(t, http.MethodPost, "/update_params", params, nil)
	return srv
}

// throughStop waits for n batches, stops the session, and returns every
// batch the probe received, its end, and what the session cut.
func (p *probe) throughStop(t *testing.T, srv *server, sess *session, n int) (got []event, end event, frames, batches int64) {
	t.Helper()
	got = p.batches(t, n)
	frames, batches = srv.stop(t, sess)
	rest, end := p.finish(t)
	return append(got, rest...), end, frames, batches
}

// checkContiguous checks that the batches number on from the first, each
// with nothing missing before it.
func checkContiguous(t *testing.T, got []event) {
	t.Helper()
	for i, e := range got {
		if e.Batch != got[0].Batch+int64(i) || e.Skipped != 0 || e.Reconnected {
			t.Fatalf("batch %d (%d of those received): skipped %d, reconnected %v", e.Batch, i, e.Skipped, e.Reconnected)
		}
	}
}

// TestLiveFeed: the client subscribes (async API, token) before the
// session starts and receives every batch the session cuts, in order,
// until the server ends the feed: 22050 Hz stereo at 60 fps, so frames
// of 367 and 368 samples and padded arrays.
func TestLiveFeed(t *testing.T) {
	params := media.Params{FPS: 60, BatchSize: 16, SampleRate: 22050, Channels: 2}
	srv := liveServer(t, params)

	p := startProbe(t, "ws://"+srv.addr+"/feed/session_py1")
	sess := srv.startSession(t, "session_py1")
	got, end, frames, batches := p.throughStop(t, srv, sess, 8) // about 2 s

	t.Logf("%d batches, %d frames; the server cut %d and %d", len(got), end.Stats.Frames, batches, frames)
	if end.Reason != "session ended" {
		t.Errorf("the feed ended with %q", end.Reason)
	}
	if int64(len(got)) != batches || got[0].Batch != 0 || end.Stats.Frames != frames {
		t.Errorf("received %d batches from %d, %d frames; the session cut %d batches, %d frames",
			len(got), got[0].Batch, end.Stats.Frames, batches, frames)
	}
	checkContiguous(t, got)
	if end.Stats.Connects != 1 || end.Stats.Skipped != 0 || end.Stats.ServerDropped != 0 || end.Stats.ClientDropped != 0 {
		t.Errorf("stats %+v", end.Stats)
	}
	if !slices.ContainsFunc(got, func(e event) bool { return e.Padded }) {
		t.Error("no batch was padded at 22050 Hz / 60 fps")
	}
	checkBatches(t, p, got, params)
}

// TestLiveFeedTLS: the server's -tls with its self-signed certificate:
// the blocking API pins its fingerprint, the VAD example trusts it as a
// CA file, both on the same session; a wrong fingerprint or no token is
// refused at once.
func TestLiveFeedTLS(t *testing.T) {
	params := media.Params{FPS: 30, BatchSize: 16, SampleRate: 48000, Channels: 1}
	srv := liveServer(t, params, "-tls")
	url := "wss://" + srv.addr + "/feed/session_py2"

	t.Run("Refused", func(t *testing.T) {
		wrong := sha256.Sum256([]byte("another certificate"))
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--token", liveToken, "--fingerprint", colonHex(wrong)}, "not the pinned " + colonHex(wrong)},
			{[]string{"--cafile", srv.certFile()}, "needs a token (HTTP 401)"},
			{[]string{"--token", "wrong", "--cafile", srv.certFile()}, "refused the token (HTTP 401)"},
			{[]string{"--token", liveToken}, "certificate is not trusted"},
		} {
			out, err := python(t, append([]string{"-m", "recorder_feed.vad", url}, tc.args...)...).CombinedOutput()
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), tc.want) {
				t.Errorf("vad %v: %v, want exit status 1 saying %q:\n%s", tc.args, err, tc.want, out)
			}
		}
	})

	p := startProbe(t, url, "--sync", "--fingerprint", srv.fingerprint(t))
	vad := python(t, "-m", "recorder_feed.vad", url, "--cafile", srv.certFile())
	vad.Env = append(vad.Env, "RECORDER_TOKEN="+liveToken)
	var vadOut lockedBuffer
	vad.Stdout, vad.Stderr = &vadOut, t.Output()
	if err := vad.Start(); err != nil {
		t.Fatal(err)
	}
	defer vad.Process.Kill()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(vadOut.String(), "waiting for batches"); {
		if time.Now().After(deadline) {
			t.Fatalf("the VAD example did not subscribe:\n%s", vadOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	sess := srv.startSession(t, "session_py2")
	got, end, frames, batches := p.throughStop(t, srv, sess, 4) // about 2 s
	if err := vad.Wait(); err != nil {
		t.Fatalf("the VAD example: %v\n%s", err, vadOut.String())
	}

	if end.Reason != "session ended" || int64(len(got)) != batches || end.Stats.Frames != frames {
		t.Errorf("received %d batches, %d frames (%q); the session cut %d, %d", len(got), end.Stats.Frames, end.Reason, batches, frames)
	}
	checkContiguous(t, got)
	for _, e := range got[:len(got)-1] {
		if e.Padded || e.Shape[1] != 1600 {
			t.Errorf("batch %d at 48 kHz / 30 fps: shape %v, padded %v", e.Batch, e.Shape, e.Padded)
		}
	}
	checkBatches(t, p, got, params)

	// The example printed a line per batch and the end.
	t.Logf("the VAD example:\n%s", vadOut.String())
	lines := strings.Split(strings.TrimSpace(vadOut.String()), "\n")
	if n := len(lines) - 2; int64(n) != batches || !strings.HasPrefix(lines[len(lines)-1], "ended: session ended; ") {
		t.Errorf("the VAD example printed %d batch lines for %d batches", n, batches)
	}
	for _, line := range lines[1 : len(lines)-1] {
		if !strings.Contains(line, " voice ") || !strings.Contains(line, " rms 0.") {
			t.Errorf("the VAD example printed %q", line)
		}
	}
}

// TestLiveFeedSlowConsumer: a model slower than the feed (a second per
// batch of 0.27 s, for longer than the server's 5 s write time-out) is not
// cut off: the client keeps reading, skips the oldest batches beyond its
// queue and counts them; the session's last batch arrives.
func TestLiveFeedSlowConsumer(t *testing.T) {
	params := media.Params{FPS: 60, BatchSize: 16, SampleRate: 16000, Channels: 1}
	srv := liveServer(t, params)

	p := startProbe(t, "ws://"+srv.addr+"/feed/session_py5", "--sync", "--queue", "2", "--slow", "1")
	sess := srv.startSession(t, "session_py5")
	got, end, _, batches := p.throughStop(t, srv, sess, 7)

	st := end.Stats
	t.Logf("received %d of %d batches; %+v", len(got), batches, st)
	if st.Connects != 1 || st.ClientDropped == 0 || st.ServerDropped != 0 || st.LostReconnecting != 0 ||
		st.Skipped != st.ClientDropped || int64(len(got))+st.Skipped != batches {
		t.Errorf("received %d of %d batches with %+v", len(got), batches, st)
	}
	if last := got[len(got)-1].Batch; last != batches-1 {
		t.Errorf("the last batch received is %d of %d", last, batches)
	}
	var skipped int64
	for _, e := range got {
		skipped += e.Skipped
	}
	if skipped != st.Skipped {
		t.Errorf("the batches say %d missing, the stats %d", skipped, st.Skipped)
	}
}

// lockedBuffer is a bytes.Buffer a process writes while the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// cutter is a TCP proxy in front of the server whose connections a test
// can cut, and which can refuse new ones for a while: the network between
// a model server and the recorder failing.
type cutter struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	refuse bool
}

func newCutter(t *testing.T, target string) *cutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{ln: ln, target: target}
	go c.serve()
	t.Cleanup(func() {
		ln.Close()
		c.cut()
	})
	return c
}

func (c *cutter) addr() string { return c.ln.Addr().String() }

func (c *cutter) serve() {
	for {
		in, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.mu.Lock()
		refuse := c.refuse
		c.mu.Unlock()
		if refuse {
			in.Close()
			continue
		}
		out, err := net.Dial("tcp", c.target)
		if err != nil {
			in.Close()
			continue
		}
		c.mu.Lock()
		c.conns = append(c.conns, in, out)
		c.mu.Unlock()
		go func() { _, _ = io.Copy(out, in); out.Close() }()
		go func() { _, _ = io.Copy(in, out); in.Close() }()
	}
}

// cut closes every connection through the proxy.
func (c *cutter) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, conn := range c.conns {
		conn.Close()
	}
	c.conns = nil
}

func (c *cutter) setRefuse(refuse bool) {
	c.mu.Lock()
	c.refuse = refuse
	c.mu.Unlock()
}

// TestLiveFeedReconnect cuts the network between the client and the
// server mid-session. The client reconnects and goes on; every batch the
// session cut is either received or counted missing. When the session
// ends while the network is down, the client learns it once it is back
// and ends instead of waiting for ever.
func TestLiveFeedReconnect(t *testing.T) {
	params := media.Params{FPS: 60, BatchSize: 16, SampleRate: 16000, Channels: 1}
	srv := liveServer(t, params)
	link := newCutter(t, srv.addr)

	t.Run("Cut", func(t *testing.T) {
		p := startProbe(t, "ws://"+link.addr()+"/feed/session_py3")
		sess := srv.startSession(t, "session_py3")
		before := p.batches(t, 3)
		// Down for 0.7 s: the batches cut meanwhile (3.75 a second) are lost.
		link.setRefuse(true)
		link.cut()
		time.Sleep(700 * time.Millisecond)
		link.setRefuse(false)
		after := p.batches(t, 4)
		_, batches := srv.stop(t, sess)
		rest, end := p.finish(t)
		got := slices.Concat(before, after, rest)

		first := after[0]
		t.Logf("cut after batch %d; next batch %d, %d skipped; the session cut %d batches", before[2].Batch, first.Batch, first.Skipped, batches)
		if !first.Reconnected || first.Skipped < 1 || first.Skipped != first.Batch-before[2].Batch-1 {
			t.Errorf("first batch after the cut: %+v", first)
		}
		if end.Reason != "session ended" || end.Stats.Connects != 2 || end.Stats.Reconnects != 1 {
			t.Errorf("ended %q with %+v", end.Reason, end.Stats)
		}
		if int64(len(got))+end.Stats.Skipped != batches || end.Stats.Skipped != first.Skipped ||
			end.Stats.LostReconnecting != first.Skipped || end.Stats.ServerDropped != 0 {
			t.Errorf("%d batches received and %d counted missing (%+v); the session cut %d", len(got), end.Stats.Skipped, end.Stats, batches)
		}
		checkContiguous(t, got[:3])
		checkContiguous(t, got[4:])
		if got[len(got)-1].Batch != batches-1 {
			t.Errorf("the last batch received is %d of %d", got[len(got)-1].Batch, batches)
		}
	})

	t.Run("EndedWhileCut", func(t *testing.T) {
		p := startProbe(t, "ws://"+link.addr()+"/feed/session_py4")
		sess := srv.startSession(t, "session_py4")
		p.batches(t, 2)
		link.setRefuse(true)
		link.cut()
		srv.stop(t, sess)
		time.Sleep(time.Second) // a few attempts refused
		link.setRefuse(false)
		_, end := p.finish(t)
		if !strings.Contains(end.Reason, "ended while the feed was cut (it is stopped)") || end.Stats.Reconnects != 1 {
			t.Errorf("ended %q with %+v", end.Reason, end.Stats)
		}
	})
}

// TestPinnedFingerprintSendsNothing: with a pinned fingerprint, the client
// sends nothing, token included, to a server whose certificate is another
// one; with the right one, its request carries the token.
func TestPinnedFingerprintSendsNothing(t *testing.T) {
	needPython(t, "websockets", "numpy")
	cert := selfSigned(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	received := make(chan []byte, 1)
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			// What the client sends once the handshake is done, until it
			// hangs up or a request head is complete.
			var got []byte
			buf := make([]byte, 4096)
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			for !bytes.Contains(got, []byte("\r\n\r\n")) {
				n, err := conn.Read(buf)
				got = append(got, buf[:n]...)
				if err != nil {
					break
				}
			}
			if len(got) > 0 {
				_, _ = conn.Write([]byte("HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
			}
			conn.Close()
			received <- got
		}
	}()
	url := "wss://" + ln.Addr().String() + "/feed/x"
	right := colonHex(sha256.Sum256(cert.Certificate[0]))
	wrong := colonHex(sha256.Sum256([]byte("x")))

	out, err := python(t, "-m", "recorder_feed.vad", url, "--token", "secret", "--fingerprint", wrong).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "recorder_feed.vad: the server's certificate has SHA-256 fingerprint "+right+", not the pinned "+wrong+"\n") {
		t.Errorf("a wrong pin: %v\n%s", err, out)
	}
	if got := <-received; len(got) != 0 {
		t.Errorf("the client sent %q to a certificate it did not pin", got)
	}

	out, err = python(t, "-m", "recorder_feed.vad", url, "--token", "secret", "--fingerprint", strings.ToLower(right)).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "refused the token (HTTP 401)") {
		t.Errorf("the right pin: %v\n%s", err, out)
	}
	if got := <-received; !bytes.Contains(got, []byte("GET /feed/x HTTP/1.1\r\n")) || !bytes.Contains(got, []byte("Authorization: Bearer secret\r\n")) {
		t.Errorf("the request through the right pin:\n%s", got)
	}
}

// selfSigned makes a certificate for 127.0.0.1.
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "not the recorder"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
