package rtc

import (
	"context"
	"fmt"
	"log/slog"
	"sync"

	"github.com/pion/logging"
)

// pionLogs hands pion one logger per scope ("ice", "dtls", "pc" …), shared
// by every session and written to the server's slog logger with the scope
// as the pion attribute. pion's default factory built a set of log.Loggers
// per scope for every peer connection (3.4 KB a session) and wrote to
// stderr past the server's handler.
type pionLogs struct {
	log    *slog.Logger
	mu     sync.Mutex
	scopes map[string]*pionLog
}

func newPionLogs(log *slog.Logger) *pionLogs {
	return &pionLogs{log: log, scopes: map[string]*pionLog{}}
}

// NewLogger returns the scope's logger, made once.
func (p *pionLogs) NewLogger(scope string) logging.LeveledLogger {
	p.mu.Lock()
	defer p.mu.Unlock()
	l, ok := p.scopes[scope]
	if !ok {
		l = &pionLog{log: p.log.With("pion", scope)}
		p.scopes[scope] = l
	}
	return l
}

// Levels: pion's errors are mostly a peer going away (a read on a closed
// connection), so they are warnings here, as pion's default showed only
// them; its warnings and information are debug lines; its debug and trace
// lines are below debug, off unless a handler asks for them.
const (
	pionErrorLevel = slog.LevelWarn
	pionInfoLevel  = slog.LevelDebug
	pionTraceLevel = slog.LevelDebug - 4
)

// pionLog is one scope's logging.LeveledLogger; a line is formatted only
// when the handler takes its level.
type pionLog struct{ log *slog.Logger }

func (l *pionLog) emit(level slog.Level, msg string) {
	l.log.Log(context.Background(), level, msg)
}

func (l *pionLog) emitf(level slog.Level, format string, args ...any) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, fmt.Sprintf(format, args...))
	}
}

func (l *pionLog) Trace(msg string)                  { l.emit(pionTraceLevel, msg) }
func (l *pionLog) Tracef(format string, args ...any) { l.emitf(pionTraceLevel, format, args...) }
func (l *pionLog) Debug(msg string)                  { l.emit(pionTraceLevel, msg) }
func (l *pionLog) Debugf(format string, args ...any) { l.emitf(pionTraceLevel, format, args...) }
func (l *pionLog) Info(msg string)                   { l.emit(pionInfoLevel, msg) }
func (l *pionLog) Infof(format string, args ...any)  { l.emitf(pionInfoLevel, format, args...) }
func (l *pionLog) Warn(msg string)                   { l.emit(pionInfoLevel, msg) }
func (l *pionLog) Warnf(format string, args ...any)  { l.emitf(pionInfoLevel, format, args...) }
func (l *pionLog) Error(msg string)                  { l.emit(pionErrorLevel, msg) }
func (l *pionLog) Errorf(format string, args ...any) { l.emitf(pionErrorLevel, format, args...) }
