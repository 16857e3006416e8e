package handlers

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"sync"
	"time"

	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/handlers/guard"
	"github.com/avatarweb/recorder/media"
	"github.com/avatarweb/recorder/media/settings"
)

const (
	// wsReadLimit bounds one incoming /ws message, all its fragments
	// together, when Handler.MaxMessage is not set. /ws carries small JSON
	// (the biggest, a seed client's audio_data, is a short chunk of PCM),
	// and a message is held in memory until its last fragment: a bigger
	// one closes the connection (1009) as its frame header arrives.
	wsReadLimit = 64 << 10
	// feedReadLimit bounds a data message on /feed, which takes none: the
	// size of a control frame's payload.
	feedReadLimit = 125
	// wsWriteTimeout drops a client that stops reading.
	wsWriteTimeout = 5 * time.Second
	// wsIdle is how long a WebSocket whose peer sends nothing, not even
	// the pong a browser answers each ping with, is kept (a dead peer, a
	// cut network) when Handler.WSIdle is not set; the server pings at
	// 2/5 of it, so two pings go unanswered first.
	wsIdle = 60 * time.Second
	// statsEvery is how often a watched session's stats are pushed.
	statsEvery = 250 * time.Millisecond
)

var wsConfig = websocket.Config{HandshakeTimeout: 10 * time.Second}

// requireUpgrade refuses plain HTTP on WebSocket routes.
func requireUpgrade(c *fiber.Ctx) error {
	if websocket.IsWebSocketUpgrade(c) {
		return c.Next()
	}
	return fiber.ErrUpgradeRequired
}

// wsMessage is any message a page sends on /ws (the seed's protocol plus
// "watch").
type wsMessage struct {
	Type      string        `json:"type"`
	Params    *paramsUpdate `json:"params,omitempty"`
	SessionID string        `json:"session_id,omitempty"`
	AudioData string        `json:"audio_data,omitempty"` // base64 int16 LE PCM
	Timestamp any           `json:"timestamp,omitempty"`
}

// ws is the page's live channel: parameter changes in both directions
// (every page hears every change, whoever made it), ping/pong, and the
// stats of the session the page watches, a few times a second.
func (h *Handler) ws(conn *websocket.Conn) {
	release, err := h.holdConn(conn)
	if err != nil {
		return
	}
	defer release()
	base := h.baseContext()
	ctx, cancel := context.WithCancel(base)
	defer cancel()
	// Shutdown closes the connection, which ends the read loop below. The
	// conn is pooled once this handler returns: wait for a close under way.
	closed := make(chan struct{})
	unhook := context.AfterFunc(base, func() {
		defer close(closed)
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseGoingAway, "server shutting down"), time.Now().Add(time.Second))
		conn.Close()
	})
	defer func() {
		if !unhook() {
			<-closed
		}
	}()
	changes, unsubscribe := h.Settings.Subscribe()
	defer unsubscribe()
	listChanged, unsubscribeList := h.recordings.subscribe()
	defer unsubscribeList()
	replies := make(chan any, 16)
	watch := make(chan string, 1)

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer cancel()
		if err := h.wsWrite(ctx, conn, replies, changes, listChanged, watch); err != nil {
			// A client that stopped reading: close the connection so the
			// read loop below ends too, instead of waiting on it forever.
			h.Log.Debug("ws: writer ended", "err", err)
			conn.Close()
		}
	}()
	conn.SetReadLimit(h.maxMessage())
	h.keepReading(conn)
	for {
		_, data, err := conn.ReadMessage()
		if err != nil {
			break
		}
		_ = conn.SetReadDeadline(time.Now().Add(h.wsIdle()))
		reply := h.wsHandle(ctx, data, watch)
		select {
		case replies <- reply:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	cancel()
	wg.Wait()
}

// holdConn counts an upgraded WebSocket against the server's bounds
// (guard.Conns) until release; over a bound it closes the connection
// (1013, try again later) and returns the error.
func (h *Handler) holdConn(conn *websocket.Conn) (release func(), err error) {
	release, err = h.wsConns.Hold(guard.ConnClient(func(k string) any { return conn.Locals(k) }))
	if err != nil {
		_ = conn.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.CloseTryAgainLater, err.Error()), time.Now().Add(time.Second))
	}
	return release, err
}

// keepReading gives the peer the idle time to send something, a message
// or the pong to one of the writer's pings, again and again: a reader
// blocked on a peer that has vanished ends then.
func (h *Handler) keepReading(conn *websocket.Conn) {
	_ = conn.SetReadDeadline(time.Now().Add(h.wsIdle()))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(h.wsIdle())) })
}

func (h *Handler) wsIdle() time.Duration {
	if h.WSIdle > 0 {
		return h.WSIdle
	}
	return wsIdle
}

// pingEvery is how often a WebSocket is pinged.
func (h *Handler) pingEvery() time.Duration { return h.wsIdle() * 2 / 5 }

// ping sends a ping, within the write timeout.
func ping(conn *websocket.Conn) error {
	return conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteTimeout))
}

func (h *Handler) baseContext() context.Context {
	if h.BaseContext == nil {
		return context.Background()
	}
	return h.BaseContext
}

// wsHandle answers one message.
func (h *Handler) wsHandle(ctx context.Context, data []byte, watch chan string) any {
	var m wsMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return wsError(&media.Error{Kind: media.ErrInvalid, Message: "the message is not valid JSON: " + err.Error()})
	}
	switch m.Type {
	case "init":
		p, err := h.Settings.Params(ctx)
		if err != nil {
			return wsError(err)
		}
		return fiber.Map{"type": "init_ack", "params": p, "server_time": time.Now().UnixMilli()}
	case "ping":
		return fiber.Map{"type": "pong", "timestamp": m.Timestamp, "server_time": time.Now().UnixMilli()}
	case "update_params":
		if m.Params == nil {
			return wsError(media.Invalidf("update_params needs params"))
		}
		p, err := h.Settings.Update(ctx, "ws", m.Params.apply)
		if err != nil {
			return wsError(err)
		}
		h.Log.Info("parameters updated", "params", p, "source", "ws")
		return fiber.Map{"type": "params_updated", "status": "success", "params": p}
	case "watch":
		select {
		case <-watch:
		default:
		}
		watch <- m.SessionID
		return fiber.Map{"type": "watching", "session_id": m.SessionID}
	case "audio_data":
		return audioProcessed(m.AudioData)
	}
	return wsError(media.Invalidf("unknown message type %q", m.Type))
}

// wsWrite is the connection's only writer: replies, broadcast parameter
// changes and recordings list changes, and the watched session's stats.
func (h *Handler) wsWrite(ctx context.Context, conn *websocket.Conn, replies <-chan any, changes <-chan settings.Change, listChanged <-chan struct{}, watch <-chan string) error {
	tick := time.NewTicker(statsEvery)
	defer tick.Stop()
	pings := time.NewTicker(h.pingEvery())
	defer pings.Stop()
	var watched string
	send := func(v any) error {
		if err := conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout)); err != nil {
			return err
		}
		return conn.WriteJSON(v)
	}
	for {
		var msg any
		select {
		case <-ctx.Done():
			return nil
		case msg = <-replies:
		case ch := <-changes:
			msg = fiber.Map{"type": "params_updated", "params": ch.Params, "source": ch.Source}
		case <-listChanged:
			msg = fiber.Map{"type": "recordings_changed"}
		case watched = <-watch:
			continue
		case <-pings.C:
			if err := ping(conn); err != nil {
				return err
			}
			continue
		case <-tick.C:
			if watched == "" {
				continue
			}
			info, err := h.Sessions.Info(watched)
			if err != nil {
				msg, watched = fiber.Map{"type": "stats", "session_id": watched, "state": "gone"}, ""
				break
			}
			msg = fiber.Map{"type": "stats", "session": info}
		}
		if err := send(msg); err != nil {
			return err
		}
	}
}

// maxMessage is the largest /ws message read; a bigger one closes the
// connection (1009) before it is read.
func (h *Handler) maxMessage() int64 {
	if h.MaxMessage > 0 {
		return h.MaxMessage
	}
	return wsReadLimit
}

func wsError(err error) fiber.Map {
	_, body := classify(err)
	body["type"] = "error"
	return body
}

// audioProcessed answers the seed's audio_data message: the size and level
// of a chunk of base64 int16 little-endian PCM.
func audioProcessed(b64 string) fiber.Map {
	pcm, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return wsError(&media.Error{Kind: media.ErrInvalid, Message: "audio_data is not base64", Err: err})
	}
	var sum float64
	n := len(pcm) / 2
	for i := range n {
		v := float64(int16(binary.LittleEndian.Uint16(pcm[2*i:]))) / 32768
		sum += v * v
	}
	rms := 0.0
	if n > 0 {
		rms = math.Sqrt(sum / float64(n))
	}
	return fiber.Map{"type": "audio_processed", "bytes": len(pcm), "samples": n, "rms": rms}
}

// feed streams a live session's batches to a consumer (a model server):
// one binary message per batch, in the format media/feed documents. The
// consumer may connect before the session starts; its queue is bounded,
// so a slow consumer loses batches (counted in each header) instead of
// stalling the session.
func (h *Handler) feed(conn *websocket.Conn) {
	release, err := h.holdConn(conn)
	if err != nil {
		return
	}
	defer release()
	sub := h.Feed.Subscribe(conn.Params("id"))
	defer sub.Close()
	gone := make(chan struct{})
	go func() { // reads only control frames and the consumer leaving
		defer close(gone)
		h.feedRead(conn)
	}()
	defer func() {
		conn.Close()
		<-gone
	}()
	pings := time.NewTicker(h.pingEvery())
	defer pings.Stop()
	for {
		select {
		case <-pings.C:
			if err := ping(conn); err != nil {
				return
			}
		case msg, ok := <-sub.C:
			if !ok {
				_ = conn.WriteControl(websocket.CloseMessage,
					websocket.FormatCloseMessage(websocket.CloseNormalClosure, "session ended"), time.Now().Add(time.Second))
				return
			}
			if err := conn.SetWriteDeadline(time.Now().Add(wsWriteTimeout)); err != nil {
				return
			}
			if err := conn.WriteMessage(websocket.BinaryMessage, msg); err != nil {
				if !errors.Is(err, context.Canceled) {
					h.Log.Debug("feed: consumer write failed", "err", err)
				}
				return
			}
		case <-gone:
			return
		}
	}
}

// feedRead reads a feed connection until it ends, answering pings. The
// feed is send-only: the first data message, whatever its size, closes
// the connection (1003) unread, and the read limit makes sure not even a
// frame of it is buffered.
func (h *Handler) feedRead(conn *websocket.Conn) {
	conn.SetReadLimit(feedReadLimit)
	h.keepReading(conn)
	if _, _, err := conn.NextReader(); err != nil { // control frames are handled inside
		return
	}
	h.Log.Debug("feed: consumer sent a data message; closing")
	_ = conn.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseUnsupportedData, "the feed is send-only"), time.Now().Add(time.Second))
}
