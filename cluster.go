package main

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"time"

	"github.com/avatarweb/recorder/db"
	"github.com/avatarweb/recorder/handlers"
	"github.com/avatarweb/recorder/internal/nodesign"
	"github.com/avatarweb/recorder/media/library"
	"github.com/avatarweb/recorder/media/rtc"
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
func joinCluster(ctx context.Context, cfg config, database *db.DB, lib *library.Library, sessions *rtc.Manager, log *slog.Logger) (*handlers.Cluster, error) {
	if !database.Shared() {
		return nil, nil
	}
	if cfg.ClusterSecret == "" {
		return nil, errors.New("a shared index (PostgreSQL) needs -cluster-secret (or RECORDER_CLUSTER_SECRET), the same on every node: " +
			"nodes sign the requests they forward to each other with it")
	}
	lib.Grace = clusterGrace
	if n, err := database.ReleaseNode(ctx, cfg.Node.ID); err != nil {
		log.Error("cluster: could not forget this node's sessions from before it started", "err", err)
	} else if n > 0 {
		log.Info("cluster: forgot this node's sessions from before it started", "count", n)
	}
	if u, err := url.Parse(cfg.Node.URL); err == nil {
		if u.Hostname() == "localhost" {
			log.Warn("cluster: other machines cannot reach this node at localhost; set -advertise-url", "url", cfg.Node.URL)
		}
	}
	log.Info("cluster: node sharing the index", "node_id", cfg.Node.ID, "advertise_url", cfg.Node.URL)
	return &handlers.Cluster{
		Self:     cfg.Node,
		Owners:   database,
		Signer:   nodesign.New([]byte(cfg.ClusterSecret), nil),
		Local:    func(id string) bool { _, err := sessions.Get(id); return err == nil },
		Log:      log,
		ClaimTTL: cfg.MaxTakeTime + cfg.DraftTTL,
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
