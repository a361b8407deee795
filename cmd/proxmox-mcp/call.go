package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/tools"
)

type callFlags struct {
	json   string
	output string
}

func (c *callFlags) register(fs *flag.FlagSet) {
	if c.output == "" {
		c.output = "text"
	}
	fs.StringVar(&c.json, "json", c.json, "")
	fs.StringVar(&c.output, "output", c.output, "")
	fs.StringVar(&c.output, "o", c.output, "")
}

// runCall runs one tool through a real MCP client session against the same server an assistant gets: the
// gate, the validation and the redaction all apply.
func runCall(ctx context.Context, s *settings, cf callFlags, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("call: name a tool (proxmox-mcp tools lists them)")
	}
	name, kv := args[0], args[1:]
	if cf.output != "text" && cf.output != "json" {
		return fmt.Errorf("call: --output %q: want text or json", cf.output)
	}
	arguments, err := callArguments(cf.json, kv)
	if err != nil {
		return fmt.Errorf("call: %w", err)
	}
	if s.logLevel == "" {
		// A person reads this terminal: the result is the output, a JSON line per call is noise. Warnings
		// still show, and the audit trail still goes to PROXMOX_AUDIT_LOG when set.
		s.logLevel = "warn"
	}
	a, err := build(ctx, s, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	res, err := callTool(ctx, a, name, arguments)
	if err != nil {
		return err
	}
	if cf.output == "json" {
		out := res.StructuredContent
		if out == nil {
			out = map[string]any{"isError": res.IsError, "text": resultText(res)}
		}
		b, err := json.MarshalIndent(out, "", "  ")
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		fmt.Fprintln(stdout, resultText(res))
	}
	if res.IsError {
		return exitError(1)
	}
	return nil
}

// callTool initializes an in-process MCP session and calls one tool with raw JSON arguments.
func callTool(ctx context.Context, a *app, name string, arguments json.RawMessage) (*mcp.CallToolResult, error) {
	mc, err := client.NewInProcessClient(a.srv)
	if err != nil {
		return nil, err
	}
	defer mc.Close()
	if err := mc.Start(ctx); err != nil {
		return nil, err
	}
	init := mcp.InitializeRequest{}
	init.Params.ProtocolVersion = mcp.LATEST_PROTOCOL_VERSION
	init.Params.ClientInfo = mcp.Implementation{Name: "proxmox-mcp call", Version: version}
	if _, err := mc.Initialize(ctx, init); err != nil {
		return nil, err
	}
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = arguments
	res, err := mc.CallTool(ctx, req)
	if err != nil {
		if strings.Contains(err.Error(), "not found") {
			return nil, fmt.Errorf("no tool %q here (proxmox-mcp tools lists them)", name)
		}
		return nil, a.redactor.Error(err)
	}
	return res, nil
}

// callArguments builds the JSON arguments from --json or key=value pairs.
func callArguments(raw string, kv []string) (json.RawMessage, error) {
	if raw != "" {
		if len(kv) > 0 {
			return nil, fmt.Errorf("give either --json or key=value arguments, not both")
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			return nil, fmt.Errorf("--json is not a JSON object: %v", err)
		}
		return json.RawMessage(raw), nil
	}
	m := map[string]json.RawMessage{}
	for _, p := range kv {
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("argument %q is not key=value", p)
		}
		switch {
		case strings.HasSuffix(k, ":"): // key:=JSON
			k = strings.TrimSuffix(k, ":")
			if !json.Valid([]byte(v)) {
				return nil, fmt.Errorf("%s:=%s is not JSON", k, v)
			}
			m[k] = json.RawMessage(v)
		case strings.HasPrefix(v, "="): // key==string
			b, _ := json.Marshal(v[1:])
			m[k] = b
		default:
			// What parses as JSON (numbers, true, false, "quoted", [..]) goes as JSON; anything else as a string.
			if json.Valid([]byte(v)) {
				m[k] = json.RawMessage(v)
			} else {
				b, _ := json.Marshal(v)
				m[k] = b
			}
		}
	}
	return json.Marshal(m)
}

func resultText(res *mcp.CallToolResult) string {
	var b bytes.Buffer
	for _, c := range res.Content {
		if t, ok := c.(mcp.TextContent); ok {
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(t.Text)
		}
	}
	return b.String()
}

// printTools prints the tool table for the configuration (read-only and PROXMOX_TOOLS applied).
func printTools(w io.Writer, s *settings) error {
	defs, err := tools.Select(s.readOnly, s.tools)
	if err != nil {
		return err
	}
	width := 0
	for _, d := range defs {
		width = max(width, len(d.Name))
	}
	for _, d := range defs {
		tier := d.Tier.String()
		if d.Tier.String() == "destructive" && !s.destructive {
			tier += " (disabled)"
		}
		fmt.Fprintf(w, "%-*s  %-24s %s\n", width, d.Name, tier, d.Brief)
	}
	return nil
}
