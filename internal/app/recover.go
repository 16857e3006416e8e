package app

import (
	"context"

	"github.com/avatarweb/recorder/media/library"
)

// recoverData makes the data directory whole again after a crash, before
// any request is served: temporary files of interrupted saves go,
// interrupted deletions are settled, the index is reconciled with the
// files (a file whose row a crash prevented gets one), and takes left in
// the spool become recordings unless they are already. Each step logs
// what it did; none stops the server from starting.
func (s *Server) recoverData(ctx context.Context) {
	log, lib := s.log, s.lib
	if n := lib.RemoveStale(); n > 0 {
		log.Info("removed temporary files of saves a crash interrupted", "count", n)
	}
	if err := lib.Recover(ctx); err != nil {
		log.Error("settling interrupted deletions", "err", err)
	}
	if err := lib.Reconcile(ctx, s.DB); err != nil {
		log.Error("reconciling recordings with the index", "err", err)
	}
	if n, err := lib.RecoverSpools(ctx, s.Config.SpoolDir()); err != nil {
		log.Error("recovering spooled takes", "err", err)
	} else if n > 0 {
		log.Info("recovered takes into recordings", "count", n)
	}
}

// recoverUploads saves the MediaRecorder takes a crash or shutdown left
// unsaved, as recoverData does for live takes.
func (s *Server) recoverUploads(ctx context.Context) {
	var pending []library.PendingUpload
	for _, u := range s.uploads.List() {
		pending = append(pending, library.PendingUpload{ID: u.ID, Touched: u.Touched, Title: u.Title})
	}
	if len(pending) == 0 {
		return
	}
	p, err := s.params.Params(ctx)
	if err != nil {
		s.log.Error("recovering uploads: reading the parameters", "err", err)
		return
	}
	if n := s.lib.RecoverUploads(ctx, pending, p); n > 0 {
		s.log.Info("recovered uploads into recordings", "count", n)
	}
}
