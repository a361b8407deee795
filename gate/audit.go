package gate

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/rs/zerolog"
)

// Record is one write attempt, written as one JSON line when the attempt ends. It holds no argument values
// beyond the target and the request line, so nothing a caller typed (descriptions, keys) lands in the trail.
type Record struct {
	Time     time.Time `json:"time"`
	Tool     string    `json:"tool"`
	Tier     string    `json:"tier"`
	Decision string    `json:"decision"`          // Refused, Invalid, DryRun, Sent, Failed or Pending
	Missing  []string  `json:"missing,omitempty"` // what the gate found missing (for a dry run: what the real call would miss)
	Cluster  string    `json:"cluster,omitempty"` // the cluster written to: its name in the targets file, or "default"
	Target   string    `json:"target,omitempty"`  // e.g. "VM 100 on pve1"
	Request  string    `json:"request,omitempty"` // e.g. "POST /api2/json/nodes/pve1/qemu/100/status/start"
	// Operation is a generic call's operation, "METHOD /path/template" (from the schema, never from the caller).
	Operation string `json:"operation,omitempty"`
	// Escalated is, for a generic call its parameters raised above its operation's class (Tier is the raised
	// one), what they do, in the schema's words.
	Escalated string `json:"escalated,omitempty"`
	UPID      string `json:"upid,omitempty"`
	Outcome   string `json:"outcome,omitempty"` // OK, WARNINGS: 1, running, started, or the task's error
	Error     string `json:"error,omitempty"`
	// Consent is what became of the person's approval (accepted, declined, timed_out, unavailable, ...), with the
	// digest of the plan they were asked about. What the person typed is never recorded.
	Consent string `json:"consent,omitempty"`
	Digest  string `json:"digest,omitempty"`
	Millis  int64  `json:"ms"`
}

// Auditor writes records to the log (stderr) and, when configured, to an audit file. Both writers should
// redact too (the caller wraps them with redact.Writer), but that is the second line: a value is scrubbed
// before it is JSON-encoded, because encoding a value that is already quoted (an error quoting an argument
// with %q) escapes its escapes, and a writer looking at the encoded line no longer recognises the secret.
type Auditor struct {
	log   zerolog.Logger
	scrub func(string) string
	mu    sync.Mutex
	file  io.Writer
}

// NewAuditor writes through log, and to file when it is not nil. scrub (the redactor's String; nil for none)
// cleans every text field of a record before it is encoded.
func NewAuditor(log zerolog.Logger, file io.Writer, scrub func(string) string) *Auditor {
	if scrub == nil {
		scrub = func(s string) string { return s }
	}
	return &Auditor{log: log, file: file, scrub: scrub}
}

// Write completes r and writes it. A nil Auditor writes nothing.
func (a *Auditor) Write(r *Record, start time.Time) {
	if a == nil {
		return
	}
	r.Time = start.UTC()
	r.Millis = time.Since(start).Milliseconds()
	c := *r
	for _, f := range []*string{&c.Cluster, &c.Target, &c.Request, &c.UPID, &c.Outcome, &c.Error} {
		*f = a.scrub(*f)
	}
	line, err := json.Marshal(c)
	if err != nil {
		return
	}
	a.log.Info().RawJSON("audit", line).Msg("write attempt")
	if a.file != nil {
		a.mu.Lock()
		defer a.mu.Unlock()
		_, _ = a.file.Write(append(line, '\n'))
	}
}
