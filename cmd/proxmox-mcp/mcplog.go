package main

import (
	"context"
	"log"
	"log/slog"
	"strings"

	"github.com/rs/zerolog"

	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// mcpLog carries the log lines of mcp-go and net/http into the server's own log: JSON lines on stderr, every
// value scrubbed before it is encoded (see gate.Auditor). Left alone they go raw to stderr (mcp-go logs
// through slog.Default, with client-supplied values such as a session id) or nowhere (net/http).
type mcpLog struct {
	log zerolog.Logger
	r   *redact.Redactor
}

func newMCPLog(l zerolog.Logger, r *redact.Redactor) mcpLog { return mcpLog{l, r} }

// slogger is mcp-go's logger: its warnings and errors; its info lines (a GET refused, a response delivered)
// are noise here.
func (m mcpLog) slogger(component string) *slog.Logger {
	return slog.New(slogHandler{m: m, attrs: []slog.Attr{slog.String("component", component)}})
}

// stdLogger is net/http's error log (a handler's panic, an accept error), one warning per line.
func (m mcpLog) stdLogger(component string) *log.Logger {
	return log.New(stdLines{m, component}, "", 0)
}

type stdLines struct {
	m         mcpLog
	component string
}

func (s stdLines) Write(p []byte) (int, error) {
	s.m.log.Warn().Str("component", s.component).Msg(s.m.r.String(strings.TrimRight(string(p), "\n")))
	return len(p), nil
}

type slogHandler struct {
	m     mcpLog
	attrs []slog.Attr
	group string
}

func (h slogHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }

func (h slogHandler) Handle(_ context.Context, rec slog.Record) error {
	ev := h.m.log.Warn()
	if rec.Level >= slog.LevelError {
		ev = h.m.log.Error()
	}
	for _, a := range h.attrs {
		ev = ev.Str(h.m.r.String(a.Key), h.m.r.String(a.Value.String()))
	}
	rec.Attrs(func(a slog.Attr) bool {
		ev = ev.Str(h.m.r.String(h.key(a.Key)), h.m.r.String(a.Value.String()))
		return true
	})
	ev.Msg(h.m.r.String(rec.Message))
	return nil
}

func (h slogHandler) key(k string) string {
	if h.group == "" {
		return k
	}
	return h.group + "." + k
}

func (h slogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	all := append([]slog.Attr(nil), h.attrs...)
	for _, a := range attrs {
		all = append(all, slog.Attr{Key: h.key(a.Key), Value: a.Value})
	}
	h.attrs = all
	return h
}

func (h slogHandler) WithGroup(name string) slog.Handler {
	h.group = h.key(name)
	return h
}
