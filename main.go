// Command recorder serves the WebRTC audio recorder: a page that streams a
// browser microphone to the server over WebRTC, decodes it live and keeps
// the takes as seed-format JSON recordings indexed in SQLite or
// PostgreSQL. Everything is built by internal/app; main only hands off.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/avatarweb/recorder/internal/app"
)

func main() {
	if len(os.Args) == 2 && os.Args[1] == "-healthcheck" { // a container's HEALTHCHECK
		os.Exit(app.Healthcheck(os.Getenv))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := app.Run(ctx, os.Args[1:], os.Getenv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "recorder:", err)
		os.Exit(1)
	}
}
