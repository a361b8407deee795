package main

import (
	"net/http"
	"time"
)

// answerWriter is the http.ResponseWriter mcp-go writes an answer to. Every write must make progress within
// timeout, so a client that stops reading cannot hold a handler (and a shutdown) for ever; the deadline
// moves with each write, so a long call that streams stays up.
type answerWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func newAnswerWriter(w http.ResponseWriter, timeout time.Duration) *answerWriter {
	return &answerWriter{w: w, rc: http.NewResponseController(w), timeout: timeout}
}

func (s *answerWriter) Header() http.Header { return s.w.Header() }

func (s *answerWriter) WriteHeader(status int) { s.w.WriteHeader(status) }

func (s *answerWriter) Write(p []byte) (int, error) {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	return s.w.Write(p)
}

// Flush makes mcp-go see a writer that can stream (it checks for http.Flusher).
func (s *answerWriter) Flush() {
	_ = s.rc.SetWriteDeadline(time.Now().Add(s.timeout))
	_ = s.rc.Flush()
}

// Unwrap lets http.ResponseController reach the connection.
func (s *answerWriter) Unwrap() http.ResponseWriter { return s.w }
