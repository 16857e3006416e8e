package handlers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	fastws "github.com/fasthttp/websocket"
	"github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/avatarweb/recorder/handlers/guard"
	"github.com/avatarweb/recorder/internal/nodesign"
	"github.com/avatarweb/recorder/media"
)

// Owners records which node holds each live session, in the index the
// nodes share.
type Owners interface {
	// ClaimSession records node as the session's holder: once, until
	// released; a claim made before staleBefore may be taken over.
	ClaimSession(ctx context.Context, sessionID string, node media.Node, staleBefore time.Time) error
	SessionOwner(ctx context.Context, sessionID string) (media.Node, error)
	ReleaseSession(ctx context.Context, sessionID, nodeID string) error
}

// Cluster lets several nodes behind one load balancer serve the same
// pages. A live WebRTC session exists only on the node that answered its
// offer; Cluster records that node when it answers, and a request for the
// session (stop, save, discard, stats, ICE, restart, its feed) that
// reaches another node is forwarded there and its answer passed back, so
// the client never sees where the session lives. Its hooks are
// middleware of the route groups that name a session (see routes).
//
// Nodes trust each other only by a secret they share: each forwarded
// request is signed (Signer; see cluster_sign.go), and a request that says
// it was forwarded but is not signed by a node is refused.
type Cluster struct {
	Self   media.Node
	Owners Owners
	// Signer signs the requests this node forwards and checks those it
	// is forwarded, with the nodes' shared secret.
	Signer *nodesign.Signer
	// Local reports whether this node holds the session (live, or a
	// draft not yet saved or discarded).
	Local func(sessionID string) bool
	Log   *slog.Logger
	// Timeout bounds one forwarded request; 0 means 30 s.
	Timeout time.Duration
	// ClaimTTL is how long a claim can matter: a take's longest life,
	// live and then as a draft. An older claim is a crashed node's, and
	// may be taken over. 0: claims never go stale.
	ClaimTTL time.Duration

	once   sync.Once
	client *fasthttp.Client
}

// forwardTimeout is Cluster.Timeout's default: a save of a long take
// takes seconds.
const forwardTimeout = 30 * time.Second

// pass is the hook of a single node: the request goes on.
func pass(c *fiber.Ctx) error { return c.Next() }

// relay is the /feed route's hook: a consumer reaching a node that does not
// hold the session is relayed to the feed on the node that does. A relay
// counts among the WebSockets conns bounds.
func (cl *Cluster) relay(conns *guard.Conns) fiber.Handler {
	if cl == nil {
		return pass
	}
	relay := websocket.New(func(conn *websocket.Conn) { cl.relayFeed(conn, conns) }, wsConfig)
	return func(c *fiber.Ctx) error {
		owner, remote, err := cl.remoteOwner(c, c.Params("id"))
		if err != nil {
			return err
		}
		if !remote {
			return c.Next()
		}
		c.Locals(ownerKey, owner)
		c.Locals(headersKey, cl.relayHeaders(c))
		return relay(c)
	}
}

// claim is the offer route's hook: it records this node as the owner of
// the session an offer starts, before it starts. A session id is claimed
// once: an offer naming a session that another node holds is refused with
// 409 (it once took the session over, and the owner's save then failed),
// one this node holds is left to the handler (which refuses it too), and
// the claim goes again if the offer fails. The index must answer: without
// it no claim can be made, and the offer gets 503. An offer without an id
// gets one from the handler, claimed once answered.
func (cl *Cluster) claim() fiber.Handler {
	if cl == nil {
		return pass
	}
	return cl.claimSession
}

func (cl *Cluster) claimSession(c *fiber.Ctx) error {
	id := sessionOf(c.Body())
	if id == "" || cl.Local(id) {
		return cl.claimAnswered(c)
	}
	if err := cl.Owners.ClaimSession(c.UserContext(), id, cl.Self, cl.staleBefore()); err != nil {
		return err
	}
	if err := c.Next(); err != nil || c.Response().StatusCode() != fiber.StatusOK {
		cl.release(c, id)
		return err
	}
	return nil
}

// claimAnswered claims the session the handler answered for, which named
// none (or one this node holds already, when the handler refuses it).
func (cl *Cluster) claimAnswered(c *fiber.Ctx) error {
	if err := c.Next(); err != nil || c.Response().StatusCode() != fiber.StatusOK {
		return err
	}
	id := sessionOf(c.Response().Body())
	if id == "" {
		return nil
	}
	if err := cl.Owners.ClaimSession(c.UserContext(), id, cl.Self, cl.staleBefore()); err != nil {
		cl.Log.Warn("cluster: could not record this node as the session's owner; other nodes cannot forward to it",
			"session_id", id, "err", err)
	}
	return nil
}

func (cl *Cluster) staleBefore() time.Time {
	if cl.ClaimTTL <= 0 {
		return time.Time{}
	}
	return time.Now().Add(-cl.ClaimTTL)
}

// release forgets this node's claim on a session it no longer holds.
func (cl *Cluster) release(c *fiber.Ctx, id string) {
	if err := cl.Owners.ReleaseSession(c.UserContext(), id, cl.Self.ID); err != nil {
		cl.Log.Warn("cluster: could not forget the session's owner", "session_id", id, "err", err)
	}
}

// sessionOf is the session_id a JSON body names, if any (a bad body is
// the handler's to refuse).
func sessionOf(body []byte) string {
	var req struct {
		SessionID string `json:"session_id"`
	}
	if len(body) <= maxSessionBody {
		_ = json.Unmarshal(body, &req)
	}
	return req.SessionID
}

// maxSessionBody is the largest body searched for a session id: the
// seed's whole-take saves carry megabytes of audio and no session.
const maxSessionBody = 64 << 10

// byBody forwards a request whose JSON body names a session_id held by
// another node. release: a success here ends the session (saved or
// discarded), so this node's claim goes.
func (cl *Cluster) byBody(release bool) fiber.Handler {
	if cl == nil {
		return pass
	}
	return func(c *fiber.Ctx) error {
		id := sessionOf(c.Body())
		if id == "" {
			return c.Next()
		}
		if owner, remote, err := cl.remoteOwner(c, id); err != nil {
			return err
		} else if remote {
			return cl.forward(c, owner)
		}
		if err := c.Next(); err != nil || !release || c.Response().StatusCode() != fiber.StatusOK {
			return err
		}
		cl.release(c, id)
		return nil
	}
}

// byPath forwards a request whose path names a session held by another
// node.
func (cl *Cluster) byPath() fiber.Handler {
	if cl == nil {
		return pass
	}
	return cl.forwardByPath
}

func (cl *Cluster) forwardByPath(c *fiber.Ctx) error {
	owner, remote, err := cl.remoteOwner(c, c.Params("id"))
	if err != nil {
		return err
	}
	if remote {
		return cl.forward(c, owner)
	}
	return c.Next()
}

// remoteOwner returns the node that holds the session when that is
// another node. A session this node holds, one no node holds, or a
// request another node forwarded already: the request is answered here.
// An index that does not answer leaves the owner unknown: the request gets
// 503 (media.ErrUnavailable), not a "no such session" from a node that
// may not hold it.
func (cl *Cluster) remoteOwner(c *fiber.Ctx, sessionID string) (media.Node, bool, error) {
	if sessionID == "" || forwarded(c) || cl.Local(sessionID) {
		return media.Node{}, false, nil
	}
	owner, err := cl.Owners.SessionOwner(c.UserContext(), sessionID)
	if errors.Is(err, media.ErrNotFound) {
		return media.Node{}, false, nil
	}
	if err != nil {
		return media.Node{}, false, &media.Error{Kind: media.ErrUnavailable, Message: media.UnavailableMessage,
			Err: fmt.Errorf("cluster: look up the owner of session %q: %w", sessionID, err)}
	}
	return owner, owner.ID != cl.Self.ID && owner.URL != "", nil
}

// forward sends the request as it came (method, path, query, headers,
// Host included, so the owner's guards judge it as this node did) to the
// owner, signed, and answers with the owner's answer.
func (cl *Cluster) forward(c *fiber.Ctx, owner media.Node) error {
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	c.Request().CopyTo(req)
	uri := string(c.Request().RequestURI())
	req.SetRequestURI(strings.TrimRight(owner.URL, "/") + uri)
	req.UseHostHeader = true // keep the client's Host; connect to the owner
	req.Header.Del(fiber.HeaderConnection)
	for k, v := range cl.sign(c.Method(), uri, guard.ClientIP(c), c.Body()) {
		req.Header.Set(k, v)
	}
	res := c.Response()
	timeout := cl.Timeout
	if timeout <= 0 {
		timeout = forwardTimeout
	}
	if err := cl.httpClient().DoTimeout(req, res, timeout); err != nil {
		cl.Log.Warn("cluster: the session's node does not answer", "session_id_owner", owner.ID, "url", owner.URL, "err", err)
		res.Reset()
		return fiber.NewError(fiber.StatusBadGateway,
			"the server recording this take ("+owner.ID+") does not answer; try again in a moment")
	}
	res.Header.Del(fiber.HeaderConnection)
	return nil
}

func (cl *Cluster) httpClient() *fasthttp.Client {
	cl.once.Do(func() {
		cl.client = &fasthttp.Client{
			Name:                     "recorder-node",
			NoDefaultUserAgentHeader: true,
			DisablePathNormalizing:   true,
			MaxConnsPerHost:          64,
		}
	})
	return cl.client
}

// Locals keys the feed relay reads.
const (
	ownerKey   = "cluster_owner"
	headersKey = "cluster_headers"
)

// relayHeaders are the headers of a WebSocket upgrade passed on to the
// owner's /feed: who the client is to the guards (Host, Origin, token),
// and the signed forwarding mark.
func (cl *Cluster) relayHeaders(c *fiber.Ctx) http.Header {
	h := http.Header{}
	for _, k := range []string{fiber.HeaderHost, fiber.HeaderOrigin, fiber.HeaderAuthorization, fiber.HeaderCookie, "Sec-Fetch-Site"} {
		if v := c.Get(k); v != "" {
			h.Set(k, v)
		}
	}
	for k, v := range cl.sign(fiber.MethodGet, "/feed/"+c.Params("id"), guard.ClientIP(c), nil) {
		h.Set(k, v)
	}
	return h
}

// relayFeed joins a consumer's /feed WebSocket on this node to the same
// feed on the session's owner: batches flow from the owner to the
// consumer, control frames both ways, until either side closes.
func (cl *Cluster) relayFeed(conn *websocket.Conn, conns *guard.Conns) {
	release, err := conns.Hold(guard.ConnClient(func(k string) any { return conn.Locals(k) }))
	if err != nil {
		_ = conn.WriteControl(fastws.CloseMessage, fastws.FormatCloseMessage(fastws.CloseTryAgainLater, err.Error()), time.Now().Add(time.Second))
		return
	}
	defer release()
	owner, _ := conn.Locals(ownerKey).(media.Node)
	header, _ := conn.Locals(headersKey).(http.Header)
	target := "ws" + strings.TrimPrefix(strings.TrimRight(owner.URL, "/"), "http") + "/feed/" + conn.Params("id")
	ctx, cancel := context.WithTimeout(context.Background(), wsConfig.HandshakeTimeout)
	up, res, err := fastws.DefaultDialer.DialContext(ctx, target, header)
	cancel()
	if res != nil && res.Body != nil {
		res.Body.Close()
	}
	if err != nil {
		cl.Log.Warn("cluster: could not reach the session's feed on its node", "owner", owner.ID, "url", target, "err", err)
		_ = conn.WriteControl(fastws.CloseMessage,
			fastws.FormatCloseMessage(fastws.CloseTryAgainLater, "the server recording this take does not answer"),
			time.Now().Add(time.Second))
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	pump := func(dst, src interface {
		ReadMessage() (int, []byte, error)
		WriteMessage(int, []byte) error
		WriteControl(int, []byte, time.Time) error
	}) {
		defer func() { done <- struct{}{} }()
		for {
			kind, data, err := src.ReadMessage()
			if err != nil {
				msg := fastws.FormatCloseMessage(fastws.CloseNormalClosure, "")
				var ce *fastws.CloseError
				if errors.As(err, &ce) {
					msg = fastws.FormatCloseMessage(ce.Code, ce.Text)
				}
				_ = dst.WriteControl(fastws.CloseMessage, msg, time.Now().Add(time.Second))
				return
			}
			if err := dst.WriteMessage(kind, data); err != nil {
				return
			}
		}
	}
	go pump(conn.Conn, up)
	go pump(up, conn.Conn)
	<-done // one side ended: closing both ends the other pump
	up.Close()
	conn.Close()
	<-done
}
