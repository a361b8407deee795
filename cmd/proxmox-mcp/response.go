package main

import (
	"net/http"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// answerWriter is the http.ResponseWriter mcp-go writes an answer to. Every byte passes the redactor: the
// tools scrub their results already, this also covers notifications and mcp-go's own messages. mcp-go writes
// each message (a JSON body, one SSE event) with a single Write, so a secret is never split over two. Every
// write must also make progress within timeout, so a client that stops reading cannot hold a handler (and a
// shutdown) for ever; the deadline moves with each write, so a long call that streams stays up.
type answerWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	r       *redact.Redactor
	timeout time.Duration
}

func newAnswerWriter(w http.ResponseWriter, r *redact.Redactor, timeout time.Duration) *answerWriter {
	return &answerWriter{w: w, rc: http.NewResponseController(w), r: r, timeout: timeout}
}

func (s *answerWriter) Header() http.Header { return s.w.Header() }

func (s *answerWriter) WriteHeader(status int) { s.w.WriteHeader(status) }

// Write writes p redacted; it reports len(p) written, as the caller's bytes are all accounted for.
func (s *answerWriter) Write(p []byte) (int, error) {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	if _, err := s.w.Write(s.r.Bytes(p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush makes mcp-go see a writer that can stream (it checks for http.Flusher).
func (s *answerWriter) Flush() {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	_ = s.rc.Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (s *answerWriter) Unwrap() http.ResponseWriter { return s.w }
