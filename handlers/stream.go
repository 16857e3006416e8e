package handlers

import (
	"io"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
)

// sendStream answers n bytes read from r as the body, and closes closer
// once they are sent (or the client is gone).
//
// The server's WriteTimeout counts from the start of an answer, which
// would cut an hour of audio going to a phone. So each piece read for the
// body first moves the connection's write deadline WriteTimeout on: a
// download may last as long as it keeps moving, and only a client that
// stops reading for WriteTimeout is dropped.
func sendStream(c *fiber.Ctx, r io.Reader, closer io.Closer, n int64) error {
	if d := c.App().Config().WriteTimeout; d > 0 {
		if conn := c.Context().Conn(); conn != nil {
			r = &progressReader{r: r, conn: conn, timeout: d}
		}
	}
	return c.SendStream(readCloser{r, closer}, int(n))
}

// progressReader moves conn's write deadline on before each read.
type progressReader struct {
	r       io.Reader
	conn    net.Conn
	timeout time.Duration
}

func (p *progressReader) Read(b []byte) (int, error) {
	if err := p.conn.SetWriteDeadline(time.Now().Add(p.timeout)); err != nil {
		return 0, err
	}
	return p.r.Read(b)
}

// readCloser lets fasthttp close the source after streaming it.
type readCloser struct {
	io.Reader
	io.Closer
}
