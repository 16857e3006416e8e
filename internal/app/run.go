package app

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/avatarweb/recorder/handlers/guard"
	"github.com/avatarweb/recorder/internal/config"
	"github.com/avatarweb/recorder/internal/proxyproto"
	"github.com/avatarweb/recorder/internal/tlscert"
)

// Run is the whole program: it reads the configuration from args and
// getenv, builds the server, listens, and serves until ctx ends.
func Run(ctx context.Context, args []string, getenv func(string) string) error {
	cfg, err := config.Parse(args, getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	log.Debug("garbage collector", "gogc", paceCollector(getenv))
	guard.WarnIfExposed(cfg.Addr, cfg.HTTP.Token, log)
	srv, err := New(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer srv.Close()
	ln, err := srv.Listen()
	if err != nil {
		return err
	}
	return srv.Serve(ctx, ln)
}

// Listen opens the server's listener on its address: behind the PROXY
// protocol when there are trusted proxies, with TLS when asked.
func (s *Server) Listen() (net.Listener, error) {
	cfg := s.Config
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	if len(cfg.HTTP.TrustedProxies) > 0 {
		// The PROXY protocol's header, from the balancers only, names
		// the client: it becomes the connection's remote address.
		ln = &proxyproto.Listener{Listener: ln, Trusted: s.guard.Trusted, Timeout: cfg.HTTP.HeaderTimeout}
	}
	scheme := "http"
	if cfg.TLS.On {
		tlsConfig, fp, err := tlscert.Config(cfg.TLS.CertFile, cfg.TLS.KeyFile, cfg.TLSDir())
		if err != nil {
			ln.Close()
			return nil, err
		}
		ln, scheme = tls.NewListener(ln, tlsConfig), "https"
		s.log.Info("serving HTTPS; check this fingerprint when the browser asks about the certificate", "sha256", fp)
	}
	s.log.Info("recorder listening", "url", scheme+"://"+ln.Addr().String(), "data", cfg.DataDir)
	return ln, nil
}
