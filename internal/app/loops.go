package app

import (
	"log/slog"
	"time"

	"github.com/avatarweb/recorder/internal/rtc"
	"github.com/avatarweb/recorder/media/settings"
	"github.com/avatarweb/recorder/media/upload"
)

// uploadMaxAge is how long an unsaved MediaRecorder upload is kept after
// its last chunk, so a tab that closed does not leave it forever.
const uploadMaxAge = 24 * time.Hour

// startLoops starts the background work; Close stops it.
func (s *Server) startLoops() {
	if s.cluster != nil {
		s.stops = append(s.stops, runCluster(s.params, s.lib, s.log))
	}
	s.stops = append(s.stops, applyToLiveSessions(s.params, s.Sessions), expireUploads(s.uploads, s.log),
		purgeTrash(s.lib, s.DB, s.Config.Storage.KeepDeleted, s.log))
}

// expireUploads removes stale uploads once an hour; it returns the
// function that stops it.
func expireUploads(u *upload.Spooler, log *slog.Logger) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Hour)
		defer tick.Stop()
		for {
			if n := u.Expire(uploadMaxAge); n > 0 {
				log.Info("expired stale uploads", "count", n)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() {
		close(done)
		<-stopped
	}
}

// applyToLiveSessions passes every parameter change to the live sessions,
// which apply fps and batch size at their next boundary. It returns the
// function that stops it.
func applyToLiveSessions(s *settings.Settings, sessions *rtc.Manager) func() {
	changes, unsubscribe := s.Subscribe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ch := range changes {
			sessions.Apply(ch.Params)
		}
	}()
	return func() {
		unsubscribe()
		<-done
	}
}
