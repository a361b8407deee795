package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime/debug"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
	"github.com/rs/zerolog"

	"github.com/proxmox-mcp/proxmox-mcp/redact"
)

// guard is the outermost middleware: whatever happens below it (a panic, a Go error, a result quoting the
// server), the client receives a result whose every string went through the redactor. mcp-go's own recovery
// would put the panic text in a JSON-RPC error, and a handler error's text would reach the client verbatim.
func guard(r *redact.Redactor, log zerolog.Logger) server.ToolHandlerMiddleware {
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
			defer func() {
				if p := recover(); p != nil {
					log.Error().Str("tool", req.Params.Name).
						Str("panic", r.String(fmt.Sprint(p))).
						Str("stack", r.String(string(debug.Stack()))).
						Msg("tool handler panicked")
					res, err = mcp.NewToolResultError(fmt.Sprintf(
						"internal error in %s (a bug in proxmox-mcp, logged on the server): %v", req.Params.Name, p)), nil
				}
				if err != nil {
					res, err = errorResult(err), nil
				}
				if res == nil {
					res = mcp.NewToolResultError("internal error: the tool returned no result")
				}
				res = redactResult(r, res)
			}()
			return next(ctx, req)
		}
	}
}

// redactResult scrubs every text content and the structured content.
func redactResult(r *redact.Redactor, res *mcp.CallToolResult) *mcp.CallToolResult {
	for i, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			t.Text = r.String(t.Text)
			res.Content[i] = t
		}
	}
	if res.StructuredContent != nil {
		res.StructuredContent = redactStructured(r, res.StructuredContent)
	}
	return res
}

// redactStructured scrubs every string (and key) of structured content before it is encoded: JSON-encoding
// a string that holds an already encoded secret (URL-escaped notes, say) escapes it once more, into a mix no
// redactor recognises. The encoded result is scrubbed again as a second line. It returns a RawMessage, which
// the transport passes through as is; nil when the content cannot be encoded.
func redactStructured(r *redact.Redactor, v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // numbers come back exactly as they went in
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil
	}
	if b, err = json.Marshal(redactTree(r, tree)); err != nil {
		return nil
	}
	return json.RawMessage(r.Bytes(b))
}

func redactTree(r *redact.Redactor, v any) any {
	switch t := v.(type) {
	case string:
		return r.String(t)
	case []any:
		for i := range t {
			t[i] = redactTree(r, t[i])
		}
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, e := range t {
			out[r.String(k)] = redactTree(r, e)
		}
		return out
	}
	return v
}

// logCalls logs one line per call on stderr: tool, outcome, duration. Never argument values.
func logCalls(log zerolog.Logger) server.ToolHandlerMiddleware {
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			start := time.Now()
			res, err := next(ctx, req)
			ev := log.Info()
			if err != nil || res == nil || res.IsError {
				ev = log.Warn()
			}
			ev.Str("tool", req.Params.Name).
				Bool("error", err != nil || res == nil || res.IsError).
				Dur("duration", time.Since(start)).
				Msg("tool call")
			return res, err
		}
	}
}
