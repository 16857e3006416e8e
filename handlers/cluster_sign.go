package handlers

import (
	"crypto/sha256"
	"net/netip"

	"github.com/gofiber/fiber/v2"

	"github.com/avatarweb/recorder/handlers/guard"
	"github.com/avatarweb/recorder/internal/nodesign"
)

// Headers of a request one node forwards to another. ForwardedHeader names
// the sender; a forwarded request is answered where it lands, never sent
// on again, so two nodes that disagree about an owner cannot loop. The
// others carry what the signature covers besides the method and target:
// the client the sender acted for (so the owner's per-client limits count
// that client, not the sender), the body's hash, the time and a nonce.
const (
	ForwardedHeader = "X-Recorder-Forwarded-By"
	clientHeader    = "X-Recorder-Client"
	bodySumHeader   = "X-Recorder-Body-Sha256"
	timeHeader      = "X-Recorder-Time"
	nonceHeader     = "X-Recorder-Nonce"
	signatureHeader = "X-Recorder-Signature"
)

// forwardedKey marks, in Locals, a request a node forwarded and signed.
const forwardedKey = "cluster_forwarded"

// forwarded reports a request another node forwarded, signature checked.
func forwarded(c *fiber.Ctx) bool { return c.Locals(forwardedKey) != nil }

// sign returns the headers that make a request this node forwards its own.
func (cl *Cluster) sign(method, uri, client string, body []byte) map[string]string {
	r := cl.Signer.NewRequest(method, uri, cl.Self.ID, client, body)
	return map[string]string{
		ForwardedHeader: r.Node,
		clientHeader:    r.Client,
		bodySumHeader:   nodesign.FormatSum(r.BodySum),
		timeHeader:      nodesign.FormatTime(r.Time),
		nonceHeader:     r.Nonce,
		signatureHeader: cl.Signer.Sign(r),
	}
}

// verifyForwarded is the app's middleware, before the guards, for requests
// that say another node forwarded them (ForwardedHeader): the signature
// must be a node's, made within the replay window and not seen before, or
// the request is refused (403). A signed request's client is the one the
// signing node named; its body is checked against the signed hash when it
// is read (guard.ExpectBodySum). One node (cl nil) has no peers, so every
// such request is refused.
func (cl *Cluster) verifyForwarded() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if c.Get(ForwardedHeader) == "" {
			return c.Next()
		}
		if cl == nil {
			return fiber.NewError(fiber.StatusForbidden, "this server takes no forwarded requests")
		}
		r, client, err := cl.signedRequest(c)
		if err == nil {
			err = cl.Signer.Verify(r, c.Get(signatureHeader))
		}
		if n := c.Request().Header.ContentLength(); err == nil && (n == 0 || n == -2) && r.BodySum != emptySum {
			err = nodesign.ErrBadSignature // signed with a body it does not carry
		}
		if err != nil {
			cl.Log.Warn("cluster: refused a forwarded request not signed by a node",
				"from", c.IP(), "node", c.Get(ForwardedHeader), "path", c.Path(), "err", err)
			return fiber.NewError(fiber.StatusForbidden, "forwarded request refused: not signed by a node of this cluster")
		}
		c.Locals(forwardedKey, r.Node)
		guard.SetClientIP(c, client)
		guard.ExpectBodySum(c, r.BodySum)
		return c.Next()
	}
}

// signedRequest reads what a forwarded request's signature covers.
func (cl *Cluster) signedRequest(c *fiber.Ctx) (nodesign.Request, netip.Addr, error) {
	client, err := netip.ParseAddr(c.Get(clientHeader))
	if err != nil {
		return nodesign.Request{}, netip.Addr{}, nodesign.ErrMalformed
	}
	sum, err := nodesign.ParseSum(c.Get(bodySumHeader))
	if err != nil {
		return nodesign.Request{}, netip.Addr{}, err
	}
	at, err := nodesign.ParseTime(c.Get(timeHeader))
	if err != nil {
		return nodesign.Request{}, netip.Addr{}, err
	}
	return nodesign.Request{
		Method: c.Method(), URI: string(c.Request().RequestURI()), Node: c.Get(ForwardedHeader),
		Client: c.Get(clientHeader), BodySum: sum, Time: at, Nonce: c.Get(nonceHeader),
	}, client, nil
}

// emptySum is the hash of no body.
var emptySum = sha256.Sum256(nil)
