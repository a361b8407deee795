package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"

	"github.com/proxmox-mcp/proxmox-mcp/redact"
	"github.com/proxmox-mcp/proxmox-mcp/tools"
)

// humanLog turns the server's JSON log lines into one readable line each, for `call`, where a person reads
// stderr. The server itself keeps JSON lines, which are for machines. Every value is redacted and cleaned of
// control and escape sequences: a log line can carry cluster text (an error from Proxmox, say).
type humanLog struct {
	mu sync.Mutex
	r  *redact.Redactor
	w  io.Writer
}

// maxLogValue caps each value of a readable log line: a panic's stack is for a bug report, not a terminal.
const maxLogValue = 300

// Write takes one zerolog event (zerolog writes each in one call) and prints it as
// "proxmox-mcp: LEVEL: MESSAGE (key=value, ...)".
func (h *humanLog) Write(p []byte) (int, error) {
	var line string
	var ev map[string]any
	dec := json.NewDecoder(bytes.NewReader(p))
	dec.UseNumber()
	if err := dec.Decode(&ev); err != nil {
		line = "proxmox-mcp: " + terminalLine(h.r, string(p), 2*maxLogValue)
	} else {
		level, msg := fmt.Sprint(ev["level"]), fmt.Sprint(ev["message"])
		delete(ev, "level")
		delete(ev, "message")
		delete(ev, "time")
		keys := make([]string, 0, len(ev))
		for k := range ev {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var b strings.Builder
		b.WriteString("proxmox-mcp: ")
		b.WriteString(terminalLine(h.r, level, 16))
		b.WriteString(": ")
		b.WriteString(terminalLine(h.r, msg, maxLogValue))
		for i, k := range keys {
			if i == 0 {
				b.WriteString(" (")
			} else {
				b.WriteString(", ")
			}
			v, ok := ev[k].(string)
			if !ok {
				raw, _ := json.Marshal(ev[k])
				v = string(raw)
			}
			b.WriteString(terminalLine(h.r, k, 64))
			b.WriteString("=")
			b.WriteString(terminalLine(h.r, v, maxLogValue))
		}
		if len(keys) > 0 {
			b.WriteString(")")
		}
		line = b.String()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, err := io.WriteString(h.w, line+"\n"); err != nil {
		return 0, err
	}
	return len(p), nil
}

// terminalLine makes text safe to print as (part of) one line on a terminal, at most max runes: redacted, then
// cleaned, then redacted again, because removing invisible characters can join the pieces of a secret that the
// first pass could not see, and cleaning an escape sequence could eat the head of a secret and leave its tail.
func terminalLine(r *redact.Redactor, s string, max int) string {
	s = r.String(tools.Printable(r.String(s)))
	if n := 0; len(s) > max {
		for i := range s {
			if n == max {
				return s[:i] + "…"
			}
			n++
		}
	}
	return s
}
