package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
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
// gate, the validation and the redaction all apply. What it prints is for a person's terminal: cluster text in
// it is cleaned of escape sequences and invisible characters, and logs are readable lines.
func runCall(ctx context.Context, s *settings, cf callFlags, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("call: name a tool (proxmox-mcp tools lists them)")
	}
	if cf.output != "text" && cf.output != "json" {
		return fmt.Errorf("call: --output %s: want text or json", shortQuote(cf.output))
	}
	chain := splitThen(args)
	if cf.json != "" && len(chain) > 1 {
		return fmt.Errorf("call: --json gives the arguments of one call, not of a chain (use key=value)")
	}
	type step struct {
		name      string
		arguments json.RawMessage
	}
	steps := make([]step, 0, len(chain))
	for _, c := range chain {
		if len(c) == 0 {
			return fmt.Errorf("call: name a tool after each \"then\"")
		}
		arguments, err := callArguments(cf.json, c[1:])
		if err != nil {
			return fmt.Errorf("call: %w", err)
		}
		if err := toolHere(s, c[0]); err != nil {
			return err
		}
		steps = append(steps, step{c[0], arguments})
	}
	if s.logLevel == "" {
		// The result is the output, and it already says when and why a call failed: a log line per call would
		// say it twice. What is worse than an error (a handler's panic) still shows, and the audit trail still
		// goes to PROXMOX_AUDIT_LOG when set.
		s.logLevel = "error"
	}
	s.humanLogs = true
	if note := demoIgnoresTargets(s); note != "" {
		// Said before the results: a cluster argument the call gives is refused as unknown, and this says why.
		fmt.Fprintf(stderr, "proxmox-mcp: note: %s.\n", note)
	}
	// A person who names a tool gets it, and the 403 that names the privilege and path if the token lacks it,
	// rather than "no such tool"; reading the permissions would also cost every call a request.
	s.hideUnpermitted = false
	a, err := build(ctx, s, stderr)
	if err != nil {
		return err
	}
	defer a.Close()
	for i, st := range steps {
		if i > 0 && cf.output == "text" {
			fmt.Fprintln(stdout)
		}
		if err := callAndPrint(ctx, a, cf, st.name, st.arguments, stdout); err != nil {
			return err
		}
	}
	return nil
}

// splitThen splits a call's arguments into the calls a chain names: TOOL ARGS [then TOOL ARGS ...].
func splitThen(args []string) [][]string {
	chain := [][]string{{}}
	for _, a := range args {
		if a == "then" {
			chain = append(chain, []string{})
			continue
		}
		chain[len(chain)-1] = append(chain[len(chain)-1], a)
	}
	return chain
}

// callAndPrint runs one tool and prints its result; an error result is exit status 1.
func callAndPrint(ctx context.Context, a *app, cf callFlags, name string, arguments json.RawMessage, stdout io.Writer) error {
	res, err := callTool(ctx, a, name, arguments)
	if err != nil {
		return errors.New(terminalLine(a.redactor, err.Error(), 2000))
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
		fmt.Fprintf(stdout, "%s\n", escapeInvisible(b))
	} else {
		// Cleaned, then redacted again: removing an invisible character can join the pieces of a secret.
		fmt.Fprintln(stdout, a.redactor.String(tools.PrintableText(resultText(res))))
	}
	if res.IsError {
		return exitError(1)
	}
	return nil
}

// escapeInvisible rewrites, inside encoded JSON, every character a terminal could act on or hide that
// encoding/json leaves as it is (C1 controls, DEL, bidi and zero-width characters, private use) as a \uXXXX
// escape: the JSON means the same and prints safely. Outside strings JSON is ASCII, so only strings change.
func escapeInvisible(b []byte) []byte {
	var out bytes.Buffer
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == 0x7f || r >= 0x80 && (!unicode.IsGraphic(r) || r == utf8.RuneError) {
			if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
				fmt.Fprintf(&out, "\\u%04x\\u%04x", r1, r2)
			} else {
				fmt.Fprintf(&out, "\\u%04x", r)
			}
		} else {
			out.Write(b[:size])
		}
		b = b[size:]
	}
	return out.Bytes()
}

// toolHere says why a tool cannot be called here, before anything is started: left out by read-only mode or by
// PROXMOX_TOOLS, or no such tool, with the nearest names.
func toolHere(s *settings, name string) error {
	enabled, err := tools.Select(s.selection())
	if err != nil {
		return err
	}
	for _, d := range enabled {
		if d.Name == name {
			return nil
		}
	}
	all := tools.All()
	for _, d := range all {
		if d.Name != name {
			continue
		}
		var why []string
		if s.readOnly && d.Tier != gate.Read {
			why = append(why, fmt.Sprintf("it is %s and read-only mode (%s=1, --read-only) leaves those out", d.Tier.ToolPhrase(), envReadOnly))
		}
		switch inSets := slices.Contains(s.toolsets, d.Toolset) || slices.Contains(s.toolsets, "all"); {
		case len(s.toolsets) > 0 && !inSets && !slices.Contains(s.tools, name):
			why = append(why, fmt.Sprintf("it is in toolset %s, which %s (--toolsets) leaves out", d.Toolset, envToolsets))
		case len(s.toolsets) == 0 && len(s.tools) > 0 && !slices.Contains(s.tools, name):
			why = append(why, fmt.Sprintf("the %s list (--tools) leaves it out", envTools))
		case len(s.toolsets) == 0 && len(s.tools) == 0:
			on := []string{}
			for _, ts := range tools.Toolsets() {
				if ts.Default {
					on = append(on, ts.Name)
				}
			}
			why = append(why, fmt.Sprintf("it is in toolset %s, which is off by default (%s=%s turns it on)",
				d.Toolset, envToolsets, strings.Join(append(on, d.Toolset), ",")))
		}
		if len(why) == 0 {
			why = append(why, "this server does not register it")
		}
		return fmt.Errorf("no tool %s here: %s", name, strings.Join(why, ", and "))
	}
	names := make([]string, len(all))
	for i, d := range all {
		names[i] = d.Name
	}
	msg := fmt.Sprintf("no tool %s", shortQuote(name))
	if near := nearestNames(name, names, 3); len(near) > 0 {
		msg += "; did you mean " + strings.Join(near, " or ") + "?"
	}
	return errors.New(msg + " (proxmox-mcp tools lists them)")
}

// nearestNames returns up to n of names closest to what was typed, by edit distance (at most 3, and at most
// half the typed length), counting a missing "proxmox_" prefix as no difference; none when nothing is close.
func nearestNames(typed string, names []string, n int) []string {
	typed = strings.ToLower(typed)
	type cand struct {
		name string
		d    int
	}
	var cands []cand
	for _, name := range names {
		d := min(schema.EditDistance(typed, name), schema.EditDistance("proxmox_"+typed, name))
		if short := strings.TrimPrefix(name, "proxmox_"); len(typed) >= 3 && strings.Contains(short, typed) {
			d = min(d, 2) // "vms" finds proxmox_list_vms
		}
		if d <= min(3, len(typed)/2) {
			cands = append(cands, cand{name, d})
		}
	}
	slices.SortStableFunc(cands, func(a, b cand) int { return a.d - b.d })
	if len(cands) > 0 {
		// the closest, and those nearly as close; when only the prefix was missing, that one alone
		best := cands[0].d
		cands = slices.DeleteFunc(cands, func(c cand) bool { return c.d > best+1 || best == 0 && c.d > 0 })
	}
	var out []string
	for _, c := range cands[:min(n, len(cands))] {
		out = append(out, c.name)
	}
	return out
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
			return nil, fmt.Errorf("no tool %s here (proxmox-mcp tools lists them)", shortQuote(name))
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
		// A repeated key would silently lose all but its last value: vmid=100 vmid=101 acts on 101.
		if _, dup := m[strings.TrimSuffix(k, ":")]; dup {
			return nil, fmt.Errorf("argument %s is given twice: give each argument once", shortQuote(strings.TrimSuffix(k, ":")))
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

// printTools prints the toolsets with what each costs in every conversation, then the tool table, for the
// configuration (PROXMOX_TOOLSETS, PROXMOX_TOOLS, read-only and the targets file's cluster names applied).
func printTools(w io.Writer, s *settings) error {
	defs, err := tools.Select(s.selection())
	if err != nil {
		return err
	}
	names, defaultTarget, err := clusterNames(s)
	if err != nil {
		return err
	}
	cost := func(defs []tools.Def) string {
		n := len(tools.ListPayload(defs, names, defaultTarget))
		return fmt.Sprintf("%6s bytes  ~%5s tokens", thousands(n), thousands(tools.EstimateTokens(n)))
	}
	fmt.Fprintf(w, "Toolsets (%s; * = exposed here, + = some of its tools), with what their tools/list costs in every conversation:\n", envToolsets)
	for _, ts := range tools.Toolsets() {
		all := tools.OfToolset(tools.All(), ts.Name)
		mark := " "
		switch shown := len(tools.OfToolset(defs, ts.Name)); {
		case shown == len(all):
			mark = "*"
		case shown > 0:
			mark = "+" // some of its tools, picked with PROXMOX_TOOLS
		}
		def := ""
		if ts.Default {
			def = " (default)"
		}
		fmt.Fprintf(w, "%s %-10s %s  %s  %s%s\n", mark, ts.Name, toolCount(len(all)), cost(all), ts.Brief, def)
	}
	fmt.Fprintf(w, "  exposed:   %s  %s  (tokens estimated from bytes; CI counts o200k)\n\n", toolCount(len(defs)), cost(defs))
	width := 0
	for _, d := range defs {
		width = max(width, len(d.Name))
	}
	for _, d := range defs {
		tier := d.Tier.String()
		switch {
		case d.PerOperation() && d.Tier != gate.Read:
			tier += " (worst case)" // each call as its operation's class
		case d.Tier == gate.Destructive && !s.destructive, d.Tier == gate.Exec && !s.exec.Enabled:
			tier += " (disabled)"
		}
		fmt.Fprintf(w, "%-*s  %-10s %-24s %s\n", width, d.Name, d.Toolset, tier, d.Brief)
	}
	return nil
}

// clusterNames are the clusters a targets file names, and its default target, which shape every tool's
// cluster argument; none without a targets file (or in the demo, which does not read it).
func clusterNames(s *settings) (names []string, defaultTarget string, err error) {
	if s.demo && len(s.demoClusters) > 0 {
		return s.demoClusters, s.demoClusters[0], nil
	}
	if s.targetsFile == "" || s.demo {
		return nil, "", nil
	}
	tc, err := loadTargets(s)
	if err != nil {
		return nil, "", err
	}
	for _, t := range tc.targets {
		names = append(names, t.name)
	}
	return names, tc.defaultTarget, nil
}

// toolCount is "23 tools" or " 1 tool ", in a column of the same width.
func toolCount(n int) string {
	if n == 1 {
		return fmt.Sprintf("%2d tool ", n)
	}
	return fmt.Sprintf("%2d tools", n)
}

// thousands writes n with a comma every three digits.
func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
