package e2e

import (
	"context"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// TestFragmentedWSHoldsNoMemory attacks /ws of the built server as issue 16
// did: clients that start a message and never finish it, each from an
// address of its own. A message is held in memory until its last
// fragment, and /ws once took messages of -max-body (16 MiB): 40 clients
// sending 15 fragments of 1 MiB grew the server by 714 MB, 1.25 GB after
// they left. Now /ws takes 64 KiB messages: a 1 MiB fragment closes its
// connection at its header, and a message kept under the limit, left
// unfinished, costs 64 KiB at most.
//
// Half the clients send 1 MiB fragments, half 1 KiB fragments up to 60 KiB
// and then wait; the server's peak RSS (VmHWM, from /proc) may grow by
// 100 MB at most.
func TestFragmentedWSHoldsNoMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the server and opens a hundred WebSockets to it")
	}
	const (
		clients = 100
		limit   = 100 << 20
		hold    = 8 * time.Second
	)
	srv := runServer(t, buildBinary(t), nil)
	base, _ := srv.memory(t)
	ctx, cancel := context.WithTimeout(context.Background(), hold)
	defer cancel()
	var opened, closedEarly atomic.Int64
	var wg sync.WaitGroup
	for i := range clients {
		big := i%2 == 0
		wg.Go(func() {
			fragment := 1 << 10
			if big {
				fragment = 1 << 20
			}
			// 127.0.1.i: a client of its own to the per-client bound.
			local := &net.TCPAddr{IP: net.IPv4(127, 0, 1, byte(1+i))}
			d := websocket.Dialer{
				HandshakeTimeout: 5 * time.Second,
				WriteBufferSize:  fragment, // a full buffer goes out as one fragment
				NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
					return (&net.Dialer{LocalAddr: local}).DialContext(ctx, network, addr)
				},
			}
			conn, _, err := d.DialContext(ctx, "ws://"+srv.addr+"/ws", nil)
			if err != nil {
				t.Errorf("client %d: %v", i, err)
				return
			}
			defer conn.Close()
			opened.Add(1)
			w, err := conn.NextWriter(websocket.TextMessage)
			if err != nil {
				return
			}
			piece := []byte(`{"type":"ping","pad":"` + strings.Repeat("x", fragment))
			total := 15 << 20
			if !big {
				total = 60 << 10
			}
			for sent := 0; sent < total; sent += fragment {
				if _, err := w.Write(piece[:fragment]); err != nil {
					closedEarly.Add(1)
					return
				}
			}
			<-ctx.Done() // never the final fragment
		})
	}
	var peak int64
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for ctx.Err() == nil {
		<-tick.C
		_, p := srv.memory(t)
		if peak = p; peak-base > limit {
			cancel()
			wg.Wait()
			t.Fatalf("%d clients with unfinished /ws messages grew the server's peak RSS by %s (limit %s)", opened.Load(), mib(peak-base), mib(limit))
		}
	}
	wg.Wait()
	time.Sleep(time.Second) // the server sees them go
	after, peak := srv.memory(t)
	t.Logf("%d clients with unfinished fragmented /ws messages (%d cut off by the server): RSS %s before, peak %s (+%s), %s after they left",
		opened.Load(), closedEarly.Load(), mib(base), mib(peak), mib(peak-base), mib(after))
	if opened.Load() != clients {
		t.Errorf("%d of %d clients connected", opened.Load(), clients)
	}
	if closedEarly.Load() < clients/2 {
		t.Errorf("%d clients cut off; want every one sending 1 MiB fragments (%d) closed at its first", closedEarly.Load(), clients/2)
	}
	if peak-base > limit {
		t.Errorf("peak RSS +%s, want under %s", mib(peak-base), mib(limit))
	}
}
