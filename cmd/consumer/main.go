// Command consumer subscribes to the live frame feed of a session, prints a
// line of statistics per second and writes the audio it receives to a WAV
// file: a minimal model server, for trying the feed out and for tests.
//
// Usage:
//
//	go run ./cmd/consumer -url ws://localhost:8080/feed/SESSION_ID -out take.wav [-max 30s] [-every 1s]
//
// It stops when the server closes the feed, after -max, or on Ctrl-C, and
// finishes the WAV file in every case. Each message is one batch in the
// format of package feed. The WAV holds the PCM of the batches received, one
// after the other: batches the server dropped for this consumer are missing
// from it, not replaced by silence (the dropped count says how many).
//
// Each line reports the batches and frames received in the last interval,
// the batches dropped so far, the mean mouth openness and the share of
// frames with voice, and the mean age of the batches (now minus
// sent_unix_ms, so it includes any clock difference between the machines).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/avatarweb/recorder/media/feed"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
}

// config is what the flags say.
type config struct {
	token string
	url   string
	out   string
	max   time.Duration
	every time.Duration
}

func parseFlags(args []string, output io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("consumer", flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&c.url, "url", "", "feed to subscribe to, ws://HOST/feed/SESSION_ID (required)")
	fs.StringVar(&c.out, "out", "feed.wav", "WAV file to write")
	fs.StringVar(&c.token, "token", os.Getenv("RECORDER_TOKEN"), "the server's access token, if it has one (default $RECORDER_TOKEN)")
	fs.DurationVar(&c.max, "max", 0, "stop after this long (0: until the feed ends or Ctrl-C)")
	fs.DurationVar(&c.every, "every", time.Second, "interval of the statistics lines")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	switch {
	case fs.NArg() > 0:
		return config{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	case c.url == "":
		return config{}, errors.New("-url is required")
	case c.out == "":
		return config{}, errors.New("-out must not be empty")
	case c.max < 0:
		return config{}, errors.New("-max must not be negative")
	case c.every <= 0:
		return config{}, errors.New("-every must be positive")
	}
	return c, nil
}

// run consumes the feed until the server closes it or ctx ends (both are a
// normal stop), then finishes the WAV file.
func run(ctx context.Context, args []string, stdout io.Writer) (err error) {
	cfg, err := parseFlags(args, stdout)
	if err != nil {
		return err
	}
	if cfg.max > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.max)
		defer cancel()
	}

	var header http.Header
	if cfg.token != "" {
		header = http.Header{"Authorization": {"Bearer " + cfg.token}}
	}
	conn, _, err := websocket.DefaultDialer.DialContext(ctx, cfg.url, header)
	if err != nil {
		return fmt.Errorf("dial %s: %w", cfg.url, err)
	}
	defer conn.Close()

	wav, err := createWAV(cfg.out)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, wav.Close()) }()

	done := make(chan struct{})
	defer close(done)
	msgs, readErr := readMessages(conn, done)
	var st stats
	start := time.Now()
	tick := time.NewTicker(cfg.every)
	defer tick.Stop()
	defer func() {
		fmt.Fprintf(stdout, "total: %s, %.1f s of audio in %s\n", st.total(), wav.Seconds(), cfg.out)
	}()
	for {
		select {
		case <-ctx.Done(): // -max or Ctrl-C: say goodbye, then stop
			msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
			_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
			return nil
		case err := <-readErr:
			if websocket.IsCloseError(err, websocket.CloseNormalClosure, websocket.CloseGoingAway) {
				return nil
			}
			return fmt.Errorf("read: %w", err)
		case msg := <-msgs:
			h, pcm, err := feed.Decode(msg)
			if err != nil {
				return err
			}
			if err := wav.Write(h, pcm); err != nil {
				return err
			}
			st.add(h, time.Now())
		case now := <-tick.C:
			fmt.Fprintf(stdout, "t=%s %s\n", now.Sub(start).Round(time.Second), st.interval())
		}
	}
}

// readMessages reads binary messages in its own goroutine until a read
// fails (as it does once run closes conn) or done closes; text messages are
// skipped.
func readMessages(conn *websocket.Conn, done <-chan struct{}) (<-chan []byte, <-chan error) {
	msgs := make(chan []byte)
	errc := make(chan error, 1)
	go func() {
		for {
			typ, msg, err := conn.ReadMessage()
			if err != nil {
				errc <- err
				return
			}
			if typ != websocket.BinaryMessage {
				continue
			}
			select {
			case msgs <- msg:
			case <-done:
				return
			}
		}
	}()
	return msgs, errc
}
