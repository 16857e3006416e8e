package handlers_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/avatarweb/recorder/handlers"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/feed"
)

// wsWait bounds every wait for a message, so a missing one fails fast.
const wsWait = time.Second

// wsMsg is any message the server sends on /ws. Decoding refuses fields
// it does not name, so a changed message shape fails the tests.
type wsMsg struct {
	Type       string             `json:"type"`
	Status     string             `json:"status"`
	Message    string             `json:"message"`
	Errors     map[string]string  `json:"errors"`
	Params     media.Params       `json:"params"`
	Source     string             `json:"source"`
	Timestamp  any                `json:"timestamp"`
	ServerTime int64              `json:"server_time"`
	SessionID  string             `json:"session_id"`
	State      string             `json:"state"`
	Session    *media.SessionInfo `json:"session"`
	Bytes      int                `json:"bytes"`
	Samples    int                `json:"samples"`
	RMS        float64            `json:"rms"`
}

// dialWS opens a WebSocket to path on the app served at addr; Cleanup
// closes it.
func dialWS(t *testing.T, addr, path string) *websocket.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, res, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+addr+path, nil)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("dial %s: status %d", path, res.StatusCode)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// wsClient is a page's connection to /ws.
type wsClient struct {
	conn *websocket.Conn
	pong int // the last ping's timestamp, for sync
}

func newWSClient(t *testing.T, addr string) *wsClient {
	t.Helper()
	return &wsClient{conn: dialWS(t, addr, "/ws")}
}

// send writes a string as is, anything else as JSON.
func (c *wsClient) send(t *testing.T, v any) {
	t.Helper()
	data, ok := v.(string)
	if !ok {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		data = string(b)
	}
	if err := c.conn.SetWriteDeadline(time.Now().Add(wsWait)); err != nil {
		t.Fatal(err)
	}
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(data)); err != nil {
		t.Fatalf("send %.100s: %v", data, err)
	}
}

// read returns the next message, failing after wsWait.
func (c *wsClient) read(t *testing.T) wsMsg {
	t.Helper()
	if err := c.conn.SetReadDeadline(time.Now().Add(wsWait)); err != nil {
		t.Fatal(err)
	}
	typ, data, err := c.conn.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.TextMessage {
		t.Fatalf("read: message type %d, want text", typ)
	}
	var m wsMsg
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	return m
}

// call sends v and returns the next message.
func (c *wsClient) call(t *testing.T, v any) wsMsg {
	t.Helper()
	c.send(t, v)
	return c.read(t)
}

// sync pings and returns the messages that arrived before the pong. Any
// message the server queued for this client before the ping (a broadcast
// that should not have happened, say) is among them.
func (c *wsClient) sync(t *testing.T) []wsMsg {
	t.Helper()
	c.pong++
	c.send(t, map[string]any{"type": "ping", "timestamp": c.pong})
	var before []wsMsg
	for {
		m := c.read(t)
		if m.Type == "pong" && m.Timestamp == float64(c.pong) {
			return before
		}
		before = append(before, m)
	}
}

// wantQuiet fails if c received anything since its last read.
func (c *wsClient) wantQuiet(t *testing.T, name string) {
	t.Helper()
	if got := c.sync(t); len(got) > 0 {
		t.Errorf("%s received %+v, want nothing", name, got)
	}
}

func wantMsg(t *testing.T, got, want wsMsg) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("message = %+v\n     want %+v", got, want)
	}
}

// wantWSError checks an error message, whose message must contain msg.
func wantWSError(t *testing.T, got wsMsg, msg string) {
	t.Helper()
	if got.Type != "error" || got.Status != "error" || !strings.Contains(got.Message, msg) {
		t.Errorf("message = %+v, want an error containing %q", got, msg)
	}
}

// eventually polls cond until it holds or wsWait passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wsWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", wsWait, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWSErrUpgradeRequired(t *testing.T) {
	ta, _ := newFakeApp(t)
	for _, path := range []string{"/ws", "/feed/s1"} {
		t.Run(path, func(t *testing.T) {
			ta.do(t, http.MethodGet, path, "").wantError(t, http.StatusUpgradeRequired, "Upgrade Required")
		})
	}
	t.Run("FeedNoSubscriber", func(t *testing.T) {
		if n := ta.hub.Subscribers("s1"); n != 0 {
			t.Errorf("Subscribers(s1) = %d, want 0", n)
		}
	})
}

func TestWSMessages(t *testing.T) {
	ta, _ := newFakeApp(t)
	c := newWSClient(t, ta.serve(t))

	t.Run("InitOK", func(t *testing.T) {
		got := c.call(t, `{"type":"init"}`)
		if got.ServerTime <= 0 {
			t.Errorf("server_time = %d", got.ServerTime)
		}
		got.ServerTime = 0
		wantMsg(t, got, wsMsg{Type: "init_ack", Params: defaultParams})
	})

	for _, tt := range []struct {
		name, send string
		timestamp  any
	}{
		{"Number", `{"type":"ping","timestamp":123}`, float64(123)},
		{"String", `{"type":"ping","timestamp":"t-1"}`, "t-1"},
		{"Missing", `{"type":"ping"}`, nil},
	} {
		t.Run("PingOK"+tt.name, func(t *testing.T) {
			want := wsMsg{Type: "pong", Timestamp: tt.timestamp}
			got := c.call(t, tt.send)
			if got.ServerTime <= 0 {
				t.Errorf("server_time = %d", got.ServerTime)
			}
			got.ServerTime = 0
			wantMsg(t, got, want)
		})
	}

	for _, tt := range []struct{ name, send, msg string }{
		{"ErrUnknownType", `{"type":"bogus"}`, `unknown message type "bogus"`},
		{"ErrNoType", `{}`, `unknown message type ""`},
		{"ErrNotJSON", `not json`, "the message is not valid JSON"},
		{"ErrTruncatedJSON", `{"type":"init"`, "the message is not valid JSON"},
		{"ErrWrongFieldType", `{"type":"update_params","params":{"fps":"30"}}`, "the message is not valid JSON"},
		{"ErrUpdateWithoutParams", `{"type":"update_params"}`, "update_params needs params"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := c.call(t, tt.send)
			wantWSError(t, got, tt.msg)
			// The connection stays usable.
			if got := c.call(t, `{"type":"init"}`); got.Type != "init_ack" || got.Params != defaultParams {
				t.Errorf("after the error, init answered %+v", got)
			}
		})
	}

	t.Run("ErrBinaryNotJSON", func(t *testing.T) {
		if err := c.conn.WriteMessage(websocket.BinaryMessage, []byte{0, 1, 2}); err != nil {
			t.Fatal(err)
		}
		wantWSError(t, c.read(t), "the message is not valid JSON")
		if got := c.sync(t); len(got) > 0 {
			t.Errorf("extra messages %+v", got)
		}
	})
}

// squareWave returns n samples alternating full scale up and down, as
// little-endian int16 PCM.
func squareWave(n int) []byte {
	pcm := make([]byte, 0, 2*n)
	for i := range n {
		v := int16(math.MaxInt16)
		if i%2 == 1 {
			v = math.MinInt16
		}
		pcm = binary.LittleEndian.AppendUint16(pcm, uint16(v))
	}
	return pcm
}

func TestWSAudioData(t *testing.T) {
	ta, _ := newFakeApp(t)
	c := newWSClient(t, ta.serve(t))

	half := make([]byte, 0, 800)
	for range 400 {
		half = binary.LittleEndian.AppendUint16(half, uint16(16384)) // 0.5 of full scale
	}
	for _, tt := range []struct {
		name           string
		pcm            []byte
		bytes, samples int
		rms            float64
	}{
		{"OKSquareWave", squareWave(1000), 2000, 1000, 1},
		{"OKHalfScale", half, 800, 400, 0.5},
		{"OKSilence", make([]byte, 600), 600, 300, 0},
		{"OKOddByte", append(squareWave(10), 0x7f), 21, 10, 1}, // a trailing half sample is not counted
		{"OKEmpty", nil, 0, 0, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := c.call(t, map[string]string{"type": "audio_data", "audio_data": base64.StdEncoding.EncodeToString(tt.pcm)})
			if math.Abs(got.RMS-tt.rms) > 1e-4 {
				t.Errorf("rms = %v, want %v", got.RMS, tt.rms)
			}
			got.RMS = 0
			wantMsg(t, got, wsMsg{Type: "audio_processed", Bytes: tt.bytes, Samples: tt.samples})
		})
	}

	for _, tt := range []struct{ name, data string }{
		{"ErrNotBase64", "!!!not base64!!!"},
		{"ErrURLAlphabet", base64.URLEncoding.EncodeToString([]byte{0xfb, 0xff, 0xfe})},
		{"ErrTruncated", "AAA"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := c.call(t, map[string]string{"type": "audio_data", "audio_data": tt.data})
			wantWSError(t, got, "audio_data is not base64")
		})
	}
}

// TestWSParamsBroadcast: every page hears every change, whoever made it.
func TestWSParamsBroadcast(t *testing.T) {
	ta, _ := newFakeApp(t)
	addr := ta.serve(t)
	a, b := newWSClient(t, addr), newWSClient(t, addr)
	// The subscriptions exist once each connection has answered.
	a.wantQuiet(t, "a")
	b.wantQuiet(t, "b")

	// wantBroadcast checks that both pages hear the change, within wsWait.
	wantBroadcast := func(t *testing.T, source string, p media.Params) {
		t.Helper()
		for name, c := range map[string]*wsClient{"a": a, "b": b} {
			t.Run(name, func(t *testing.T) {
				wantMsg(t, c.read(t), wsMsg{Type: "params_updated", Params: p, Source: source})
			})
		}
	}

	t.Run("OKFromWS", func(t *testing.T) {
		want := media.Params{FPS: 25, BatchSize: 32, SampleRate: 16000, Channels: 2, Format: "wav"}
		a.send(t, map[string]any{"type": "update_params", "params": map[string]int{"fps": 25, "batch_size": 32, "sample_rate": 16000, "channels": 2}})
		// The sender gets its answer and the broadcast, in either order.
		got := []wsMsg{a.read(t), a.read(t)}
		if got[0].Source != "" {
			got[0], got[1] = got[1], got[0]
		}
		wantMsg(t, got[0], wsMsg{Type: "params_updated", Status: "success", Params: want})
		wantMsg(t, got[1], wsMsg{Type: "params_updated", Params: want, Source: "ws"})
		wantMsg(t, b.read(t), wsMsg{Type: "params_updated", Params: want, Source: "ws"})
		if p := ta.getParams(t); p != want {
			t.Errorf("stored %+v, want %+v", p, want)
		}
	})

	t.Run("OKFromAPI", func(t *testing.T) {
		want := media.Params{FPS: 20, BatchSize: 32, SampleRate: 16000, Channels: 2, Format: "wav"}
		ta.do(t, http.MethodPost, "/update_params", `{"fps":20}`).wantStatus(t, http.StatusOK)
		wantBroadcast(t, "api", want)
	})

	t.Run("OKFromFormHTMX", func(t *testing.T) {
		want := media.Params{FPS: 15, BatchSize: 32, SampleRate: 16000, Channels: 2, Format: "wav"}
		ta.postForm(t, url.Values{"fps": {"15"}}, true).wantStatus(t, http.StatusOK)
		wantBroadcast(t, "form", want)
	})

	t.Run("OKFromFormPlain", func(t *testing.T) {
		want := media.Params{FPS: 15, BatchSize: 48, SampleRate: 16000, Channels: 2, Format: "wav"}
		ta.postForm(t, url.Values{"batch_size": {"48"}}, false).wantStatus(t, http.StatusSeeOther)
		wantBroadcast(t, "form", want)
	})

	current := media.Params{FPS: 15, BatchSize: 48, SampleRate: 16000, Channels: 2, Format: "wav"}

	t.Run("ErrInvalidFromWS", func(t *testing.T) {
		got := a.call(t, `{"type":"update_params","params":{"fps":0,"batch_size":24,"sample_rate":12345,"channels":3}}`)
		wantMsg(t, got, wsMsg{Type: "error", Status: "error", Message: "invalid parameters", Errors: map[string]string{
			"fps":         "must be between 1 and 60",
			"batch_size":  "must be a multiple of 16 between 16 and 256",
			"sample_rate": "must be one of 8000, 16000, 22050, 24000, 32000, 44100 or 48000 (Hz)",
			"channels":    "must be 1 (mono) or 2 (stereo)",
		}})
		a.wantQuiet(t, "a")
		b.wantQuiet(t, "b")
		if p := ta.getParams(t); p != current {
			t.Errorf("params changed to %+v, want %+v", p, current)
		}
	})

	t.Run("ErrInvalidPartialFromWS", func(t *testing.T) {
		// One bad field refuses the whole update.
		got := a.call(t, `{"type":"update_params","params":{"fps":30,"channels":3}}`)
		wantMsg(t, got, wsMsg{Type: "error", Status: "error", Message: "invalid parameters",
			Errors: map[string]string{"channels": "must be 1 (mono) or 2 (stereo)"}})
		a.wantQuiet(t, "a")
		b.wantQuiet(t, "b")
		if p := ta.getParams(t); p != current {
			t.Errorf("params changed to %+v, want %+v", p, current)
		}
	})

	t.Run("ErrInvalidFromAPIAndForm", func(t *testing.T) {
		ta.do(t, http.MethodPost, "/update_params", `{"fps":61}`).wantStatus(t, http.StatusUnprocessableEntity)
		ta.postForm(t, url.Values{"fps": {"0"}}, true).wantStatus(t, http.StatusUnprocessableEntity)
		ta.postForm(t, url.Values{"fps": {"abc"}}, false).wantStatus(t, http.StatusUnprocessableEntity)
		a.wantQuiet(t, "a")
		b.wantQuiet(t, "b")
		if p := ta.getParams(t); p != current {
			t.Errorf("params changed to %+v, want %+v", p, current)
		}
	})

	t.Run("OKClosedClientDoesNotBlock", func(t *testing.T) {
		// A page that left must not hold up the others.
		if err := b.conn.Close(); err != nil {
			t.Fatal(err)
		}
		want := media.Params{FPS: 10, BatchSize: 48, SampleRate: 16000, Channels: 2, Format: "wav"}
		ta.do(t, http.MethodPost, "/update_params", `{"fps":10}`).wantStatus(t, http.StatusOK)
		wantMsg(t, a.read(t), wsMsg{Type: "params_updated", Params: want, Source: "api"})
	})
}

func TestWSWatch(t *testing.T) {
	ta, _ := newRTCApp(t)
	ta.startFixtureSession(t, "s1")
	c := newWSClient(t, ta.serve(t))

	t.Run("ErrGone", func(t *testing.T) {
		wantMsg(t, c.call(t, `{"type":"watch","session_id":"nope"}`), wsMsg{Type: "watching", SessionID: "nope"})
		wantMsg(t, c.read(t), wsMsg{Type: "stats", SessionID: "nope", State: "gone"})
	})

	t.Run("OK", func(t *testing.T) {
		wantMsg(t, c.call(t, `{"type":"watch","session_id":"s1"}`), wsMsg{Type: "watching", SessionID: "s1"})
		start := time.Now()
		var at []time.Duration
		for range 3 {
			m := c.read(t)
			at = append(at, time.Since(start))
			if m.Type != "stats" || m.Session == nil {
				t.Fatalf("message = %+v, want stats with a session", m)
			}
			s := m.Session
			if s.SessionID != "s1" || s.State != media.SessionConnecting || s.Params != defaultParams ||
				s.Stats != (media.StatsSnapshot{}) {
				t.Errorf("session = %+v", *s)
			}
		}
		// A few a second: neither a burst nor a trickle.
		if span := at[2] - at[0]; span < 200*time.Millisecond || at[2] > 1500*time.Millisecond {
			t.Errorf("3 stats arrived at %v, want a few a second", at)
		}
	})

	t.Run("OKSwitchToGone", func(t *testing.T) {
		wantMsg(t, c.call(t, `{"type":"watch","session_id":"other"}`), wsMsg{Type: "watching", SessionID: "other"})
		// A stats message of s1 may already be on its way.
		for {
			m := c.read(t)
			if m.Session != nil && m.Session.SessionID == "s1" {
				continue
			}
			wantMsg(t, m, wsMsg{Type: "stats", SessionID: "other", State: "gone"})
			break
		}
	})
}

// TestWSReadLimit: a message over 64 KiB closes that connection only.
func TestWSReadLimit(t *testing.T) {
	const limit = 64 << 10
	ta, _ := newFakeApp(t)
	addr := ta.serve(t)
	a, b := newWSClient(t, addr), newWSClient(t, addr)

	// ping returns a ping of exactly n bytes.
	ping := func(n int) string {
		const head, tail = `{"type":"ping","timestamp":7,"pad":"`, `"}`
		return head + strings.Repeat("x", n-len(head)-len(tail)) + tail
	}

	t.Run("OKAtLimit", func(t *testing.T) {
		got := a.call(t, ping(limit))
		if got.Type != "pong" || got.Timestamp != float64(7) {
			t.Errorf("message = %+v, want pong 7", got)
		}
	})

	t.Run("ErrOverLimit", func(t *testing.T) {
		// The server may close before the whole message is written.
		_ = a.conn.SetWriteDeadline(time.Now().Add(wsWait))
		_ = a.conn.WriteMessage(websocket.TextMessage, []byte(ping(limit+1)))
		_ = a.conn.SetReadDeadline(time.Now().Add(wsWait))
		_, data, err := a.conn.ReadMessage()
		var netErr net.Error
		var closeErr *websocket.CloseError
		switch {
		case err == nil:
			t.Fatalf("read %.100s, want the connection closed", data)
		case errors.As(err, &netErr) && netErr.Timeout():
			t.Fatalf("read: %v, want the connection closed", err)
		case errors.As(err, &closeErr) && closeErr.Code != websocket.CloseMessageTooBig:
			t.Errorf("close code %d, want %d", closeErr.Code, websocket.CloseMessageTooBig)
		}
	})

	t.Run("OKOthersStayUp", func(t *testing.T) {
		b.wantQuiet(t, "b")
		c := newWSClient(t, addr)
		if got := c.call(t, `{"type":"init"}`); got.Type != "init_ack" {
			t.Errorf("a new connection answered %+v", got)
		}
	})
}

// feedBatch is a batch of three stereo frames of known samples, the last
// one a sample longer, and the int16 PCM a consumer must receive for it.
func feedBatch() (media.Batch, media.Params, []int16) {
	p := media.Params{FPS: 25, BatchSize: 64, SampleRate: 16000, Channels: 2, Format: "wav"}
	var pcm []int16
	b := media.Batch{Index: 7, FirstFrame: 448, BatchSize: 64}
	for i, n := range []int{4, 4, 5} {
		f := media.Frame{
			Index: 448 + int64(i), SampleRate: 16000, Channels: 2, FPS: 25,
			Features: media.Features{RMS: 0.1 * float32(i+1), Peak: 0.25 * float32(i+1), Voice: i != 1, Mouth: 0.3 * float32(i)},
		}
		for j := range 2 * n {
			v := int16((i*1000 + j*100) * (1 - 2*(j%2))) // known, signed, distinct
			if i == 2 && j == 0 {
				v = math.MinInt16 + 1 // -32767: full scale
			}
			pcm = append(pcm, v)
			f.Samples = append(f.Samples, float32(v)/math.MaxInt16)
		}
		b.Frames = append(b.Frames, f)
	}
	return b, p, pcm
}

// readFeed returns the next message of a feed connection, decoded.
func readFeed(t *testing.T, conn *websocket.Conn) (feed.Header, []int16) {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(wsWait)); err != nil {
		t.Fatal(err)
	}
	typ, msg, err := conn.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if typ != websocket.BinaryMessage {
		t.Fatalf("message type %d, want binary: %.100s", typ, msg)
	}
	h, pcm, err := feed.Decode(msg)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return h, pcm
}

// wantClosed fails unless the next read on conn is the close the feed
// sends when the session ends.
func wantClosed(t *testing.T, conn *websocket.Conn) {
	t.Helper()
	if err := conn.SetReadDeadline(time.Now().Add(wsWait)); err != nil {
		t.Fatal(err)
	}
	typ, msg, err := conn.ReadMessage()
	var closeErr *websocket.CloseError
	if !errors.As(err, &closeErr) || closeErr.Code != websocket.CloseNormalClosure || closeErr.Text != "session ended" {
		t.Errorf("read: type %d, %d bytes, err %v; want a normal close", typ, len(msg), err)
	}
}

func TestFeed(t *testing.T) {
	ta, _ := newFakeApp(t)
	sent := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	ta.hub.Now = func() time.Time { return sent }
	addr := ta.serve(t)

	t.Run("OK", func(t *testing.T) {
		// Two consumers of s1, one of s2.
		x1, x2, y := dialWS(t, addr, "/feed/s1"), dialWS(t, addr, "/feed/s1"), dialWS(t, addr, "/feed/s2")
		eventually(t, "two subscribers of s1 and one of s2", func() bool {
			return ta.hub.Subscribers("s1") == 2 && ta.hub.Subscribers("s2") == 1
		})

		b, p, pcm := feedBatch()
		if err := ta.hub.Publish("s1", b, p); err != nil {
			t.Fatal(err)
		}
		want := feed.Header{
			Version: feed.Version, SessionID: "s1", Batch: 7, FirstFrame: 448, Frames: 3,
			SampleRate: 16000, Channels: 2, FPS: 25, BatchSize: 64,
			FrameSamples: []int{4, 4, 5},
			Features:     []media.Features{b.Frames[0].Features, b.Frames[1].Features, b.Frames[2].Features},
			SentAt:       sent.UnixMilli(),
		}
		for name, conn := range map[string]*websocket.Conn{"x1": x1, "x2": x2} {
			h, got := readFeed(t, conn)
			if !reflect.DeepEqual(h, want) {
				t.Errorf("%s: header = %+v\n          want %+v", name, h, want)
			}
			if !slices.Equal(got, pcm) {
				t.Errorf("%s: pcm = %v\n       want %v", name, got, pcm)
			}
		}

		// s2's consumer gets s2's batch, and nothing of s1's before it.
		b.Index, b.FirstFrame = 0, 0
		if err := ta.hub.Publish("s2", b, p); err != nil {
			t.Fatal(err)
		}
		if h, _ := readFeed(t, y); h.SessionID != "s2" || h.Batch != 0 {
			t.Errorf("y: header = %+v, want s2's batch 0", h)
		}

		// The end of the session closes its consumers, normally.
		ta.hub.End("s1")
		wantClosed(t, x1)
		wantClosed(t, x2)
		if n := ta.hub.Subscribers("s2"); n != 1 {
			t.Errorf("Subscribers(s2) = %d after s1 ended, want 1", n)
		}
		ta.hub.End("s2")
		wantClosed(t, y)
	})

	for _, tt := range []struct {
		name  string
		leave func(*websocket.Conn) error
	}{
		{"OKConsumerCloses", func(c *websocket.Conn) error {
			err := c.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseNormalClosure, "bye"), time.Now().Add(wsWait))
			return errors.Join(err, c.Close())
		}},
		{"OKConsumerDrops", func(c *websocket.Conn) error { return c.Close() }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id := "leave-" + tt.name
			conn := dialWS(t, addr, "/feed/"+id)
			eventually(t, "a subscriber", func() bool { return ta.hub.Subscribers(id) == 1 })
			if err := tt.leave(conn); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the subscription to end", func() bool { return ta.hub.Subscribers(id) == 0 })
			// Publishing to nobody is fine.
			b, p, _ := feedBatch()
			if err := ta.hub.Publish(id, b, p); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestWSEndsWithBaseContext: when the server's base context ends
// (shutdown), every /ws connection is closed with "going away", instead of
// outliving the server.
func TestWSEndsWithBaseContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	ta, _ := newFakeAppWith(t, withHandler(func(h *handlers.Handler) { h.BaseContext = ctx }))
	c := newWSClient(t, ta.serve(t))
	c.sync(t) // connected and answering

	cancel()
	if err := c.conn.SetReadDeadline(time.Now().Add(wsWait)); err != nil {
		t.Fatal(err)
	}
	for {
		_, _, err := c.conn.ReadMessage()
		if err == nil {
			continue // stats or a reply already on its way
		}
		if !websocket.IsCloseError(err, websocket.CloseGoingAway) {
			t.Errorf("after the base context ended: %v, want a going-away close", err)
		}
		return
	}
}
