package app

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"time"

	"github.com/avatarweb/recorder/handlers"
	"github.com/avatarweb/recorder/internal/nodesign"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/settings"
)

const (
	// clusterGrace is how long a node's recovery leaves alone what
	// another node may still be doing in the shared store (library.Grace),
	// and how often a node settles what crashed nodes left there.
	clusterGrace = 10 * time.Minute
	// paramsPoll is how often a node reads the shared parameters for
	// changes other nodes made: pages promise a change within a second.
	paramsPoll = 500 * time.Millisecond
)

// joinCluster readies a node whose index other nodes share (PostgreSQL):
// its recovery spares their work in flight, it forgets the sessions it
// held before it restarted (their takes are recovered from its spool),
// and it returns the middleware that records and forwards live sessions
// by owner. One node on SQLite gets nil and nothing changes.
func (s *Server) joinCluster(ctx context.Context) (*handlers.Cluster, error) {
	if !s.DB.Shared() {
		return nil, nil
	}
	cfg, log := s.Config, s.log
	if cfg.Cluster.Secret == "" {
		return nil, errors.New("a shared index (PostgreSQL) needs -cluster-secret (or RECORDER_CLUSTER_SECRET), the same on every node: " +
			"nodes sign the requests they forward to each other with it")
	}
	node := cfg.Cluster.Node
	s.lib.Grace = clusterGrace
	if n, err := s.DB.ReleaseNode(ctx, node.ID); err != nil {
		log.Error("cluster: could not forget this node's sessions from before it started", "err", err)
	} else if n > 0 {
		log.Info("cluster: forgot this node's sessions from before it started", "count", n)
	}
	if u, err := url.Parse(node.URL); err == nil && u.Hostname() == "localhost" {
		log.Warn("cluster: other machines cannot reach this node at localhost; set -advertise-url", "url", node.URL)
	}
	log.Info("cluster: node sharing the index", "node_id", node.ID, "advertise_url", node.URL)
	return &handlers.Cluster{
		Self:     node,
		Owners:   s.DB,
		Signer:   nodesign.New([]byte(cfg.Cluster.Secret), nil),
		Local:    func(id string) bool { _, err := s.Sessions.Get(id); return err == nil },
		Log:      log,
		ClaimTTL: cfg.Sessions.MaxTakeTime + cfg.Sessions.DraftTTL,
	}, nil
}

// runCluster starts a clustered node's background work: hearing the
// parameter changes other nodes make, and settling now and then what
// crashed nodes left aside in the shared store. It returns the function
// that stops it.
func runCluster(params *settings.Settings, lib *library.Library, log *slog.Logger) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{}, 2)
	go func() {
		defer func() { done <- struct{}{} }()
		params.Watch(ctx, paramsPoll)
	}()
	go func() {
		defer func() { done <- struct{}{} }()
		tick := time.NewTicker(clusterGrace)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				if err := lib.Recover(ctx); err != nil && ctx.Err() == nil {
					log.Error("cluster: settling deletions crashed nodes left", "err", err)
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
		<-done
	}
}
