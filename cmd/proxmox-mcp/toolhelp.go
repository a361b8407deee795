package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/tools"
)

// printToolHelp writes one tool as a person at a terminal needs it (`proxmox-mcp tools NAME`, or `call NAME
// --help`): what the model reads of it, and its arguments as the input schema declares them, in their order.
func printToolHelp(w io.Writer, s *settings, name string) error {
	i := slices.IndexFunc(tools.All(), func(d tools.Def) bool { return d.Name == name })
	if i < 0 {
		return toolHere(s, name) // says it is no tool, with the nearest names
	}
	d := tools.All()[i]
	// The targets file shapes the cluster argument; a file that does not load stops here, before any line.
	names, defaultTarget, err := clusterNames(s)
	if err != nil {
		return err
	}
	tier := d.Tier.String()
	switch {
	case d.PerOperation() && d.Tier != gate.Read:
		tier += " at worst: each call is judged by its operation's class"
	case d.Tier == gate.Destructive && !s.destructive, d.Tier == gate.Exec && !s.exec.Enabled:
		tier += ", disabled in this configuration"
	}
	if d.Tier != gate.Read {
		tier += "; proxmox-mcp --help (SAFETY) says what each tier needs"
	}
	fmt.Fprintf(w, "%s: %s\n  toolset %s, tier %s\n", d.Name, d.Brief, d.Toolset, tier)
	switch {
	case d.PerOperation():
		fmt.Fprintln(w, "  privileges: what the operation's permission names (proxmox_api_describe says)")
	case len(d.Privs) > 0:
		fmt.Fprintf(w, "  privileges: %s\n", strings.ReplaceAll(strings.Join(d.Privs, ", "), "|", " or "))
	}
	fmt.Fprintf(w, "\n%s\n", d.Desc)
	args, err := schemaArguments(d.ToolIn(names, defaultTarget).RawInputSchema)
	if err != nil {
		return fmt.Errorf("tool %s: its input schema: %w", d.Name, err)
	}
	if len(args) == 0 {
		fmt.Fprintln(w, "\nNo arguments.")
		return nil
	}
	header := "Arguments (give them as key=value, key:=JSON for arrays and objects):"
	if slices.ContainsFunc(args, func(a schemaArgument) bool { return a.required }) {
		header = "Arguments (* required; give them as key=value, key:=JSON for arrays and objects):"
	}
	fmt.Fprintln(w, "\n"+header)
	width := 0
	for _, a := range args {
		width = max(width, len(a.name)+len(a.typ)+3)
	}
	for _, a := range args {
		mark := " "
		if a.required {
			mark = "*"
		}
		fmt.Fprintf(w, "  %s%-*s %s\n", mark, width, a.name+" ("+a.typ+")", a.desc)
	}
	return nil
}

// schemaArgument is one property of a tool's input schema, as help shows it.
type schemaArgument struct {
	name, typ, desc string
	required        bool
}

// schemaArguments reads an input schema's properties in the order they are written (the order the tool
// declares them), which decoding into a map would lose.
func schemaArguments(raw json.RawMessage) ([]schemaArgument, error) {
	var top struct {
		Properties json.RawMessage `json:"properties"`
		Required   []string        `json:"required"`
	}
	if err := json.Unmarshal(raw, &top); err != nil {
		return nil, err
	}
	if len(top.Properties) == 0 {
		return nil, nil
	}
	dec := json.NewDecoder(bytes.NewReader(top.Properties))
	if _, err := dec.Token(); err != nil { // {
		return nil, err
	}
	var out []schemaArgument
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, err
		}
		var p struct {
			Type        any    `json:"type"`
			Description string `json:"description"`
			Enum        []any  `json:"enum"`
			Items       *struct {
				Type any `json:"type"`
			} `json:"items"`
		}
		if err := dec.Decode(&p); err != nil {
			return nil, err
		}
		name := fmt.Sprint(key)
		typ := typeName(p.Type)
		if p.Items != nil {
			typ = "array of " + typeName(p.Items.Type)
		}
		desc := p.Description
		if len(p.Enum) > 0 {
			vals := make([]string, len(p.Enum))
			for i, v := range p.Enum {
				vals[i] = fmt.Sprint(v)
			}
			desc = strings.TrimLeft(strings.TrimRight(desc, ".")+"; one of: "+strings.Join(vals, ", "), "; ")
		}
		out = append(out, schemaArgument{name: name, typ: typ, desc: desc, required: slices.Contains(top.Required, name)})
	}
	return out, nil
}

// typeName is a JSON Schema type as help shows it: "integer", or "integer or string" for a list of types.
func typeName(t any) string {
	switch t := t.(type) {
	case string:
		return t
	case []any:
		names := make([]string, len(t))
		for i, n := range t {
			names[i] = fmt.Sprint(n)
		}
		return strings.Join(names, " or ")
	}
	return "any"
}
