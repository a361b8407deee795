package tools

import (
	"bytes"
	"encoding/json"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
)

// What a client pays for the tools it is shown: tools/list is sent into every conversation. Counting tokens
// needs a tokenizer, which this module does not carry: the cost is the exact bytes of the tools/list payload
// and an estimate from them; CI measures the real o200k count of every toolset (.ci/toolset-tokens.mjs) and
// fails when the estimate strays.

// bytesPerToken is what o200k averages on these JSON schemas (measured: 15,256 bytes, 3,573 tokens).
const bytesPerToken = 4.27

// ListPayload is the tools/list answer's {"tools":[…]} for defs, as the wire carries it: annotations from each
// tier and, when clusters are named (a targets file), the cluster argument.
func ListPayload(defs []Def, clusterNames []string, defaultTarget string) []byte {
	cs := namedClusters(clusterNames, defaultTarget)
	var b bytes.Buffer
	b.WriteString(`{"tools":[`)
	for i, d := range defs {
		tool := d.tool(cs)
		tool.Annotations = gate.Annotations(d.Tier)
		raw, err := json.Marshal(tool)
		if err != nil {
			panic(err) // a definition that does not encode fails every test run
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(raw)
	}
	b.WriteString(`]}`)
	return b.Bytes()
}

// ToolIn is the MCP definition clients see when a targets file names clusterNames: with the cluster
// argument, as tools/list carries it (Tool is the definition without a targets file).
func (d Def) ToolIn(clusterNames []string, defaultTarget string) mcp.Tool {
	return d.tool(namedClusters(clusterNames, defaultTarget))
}

// namedClusters is the cluster set that decides a tool's cluster argument, from the names alone; nil (no
// cluster argument) without names.
func namedClusters(clusterNames []string, defaultTarget string) *clusters {
	if len(clusterNames) == 0 {
		return nil
	}
	cs := &clusters{byName: map[string]*Target{}, declared: true}
	for _, n := range clusterNames {
		t := &Target{Name: n}
		cs.all = append(cs.all, t)
		cs.byName[n] = t
	}
	cs.fallback = cs.byName[defaultTarget]
	if len(cs.all) == 1 {
		cs.fallback = cs.all[0]
	}
	return cs
}

// EstimateTokens estimates the o200k tokens of a tools/list payload of n bytes.
func EstimateTokens(n int) int { return int(float64(n)/bytesPerToken + 0.5) }
