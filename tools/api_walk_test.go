package tools

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp/pve/pvesim"
	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// operatorOnlyKeys are every operator-only operation, for a server whose operator allowed them all.
func operatorOnlyKeys() []string {
	var keys []string
	for _, op := range schema.Operations() {
		if op.Class == schema.OperatorOnly {
			keys = append(keys, op.Key())
		}
	}
	return keys
}

func mustJSONArgs(t testing.TB, m map[string]any) string {
	t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// apiArgs are a generic tool's arguments for an example, with extra members.
func apiArgs(t testing.TB, ex pvesim.Example, params map[string]any, extra string) string {
	t.Helper()
	m := map[string]any{"path": ex.Path}
	if ex.Method != "GET" {
		m["method"] = ex.Method
	}
	if len(params) > 0 {
		m["params"] = params
	}
	s := mustJSONArgs(t, m)
	if extra != "" {
		s = strings.TrimSuffix(s, "}") + "," + extra + "}"
	}
	return s
}

func apiTool(op *schema.Operation) string {
	if op.Method == "GET" {
		return "proxmox_api_get"
	}
	return "proxmox_api_call"
}

const everyCondition = `"confirm":true,"destructive":true`

// TestEveryOperationThroughTheTools walks all 649 operations of the schema through the generic tools of a
// real MCP session against the simulated cluster: each has a class; proxmox_api_describe describes it; a
// schema-valid example is accepted where its class allows (reads answered by the simulator, with GETs only;
// writes refused without the gate's conditions, with zero requests, and sent exactly once with them;
// operator-only operations refused unless the operator allowed them; guest-agent exec never).
func TestEveryOperationThroughTheTools(t *testing.T) {
	strict := newHarness(t, harnessOpts{destructive: true})
	allowed := newHarness(t, harnessOpts{destructive: true, apiAllow: operatorOnlyKeys()})
	ops := schema.Operations()
	if len(ops) != 649 {
		t.Fatalf("%d operations, want the schema's 649", len(ops))
	}
	counts := map[string]int{}
	for _, op := range ops {
		t.Run(op.Key(), func(t *testing.T) {
			if op.Class < schema.Read || op.Class > schema.OperatorOnly {
				t.Fatalf("no class: %v", op.Class)
			}
			counts[op.Class.String()]++
			describeOne(t, allowed, op)

			ex, err := allowed.sim.Example(op)
			if err != nil {
				t.Fatal(err)
			}
			tool := apiTool(op)
			// Without the gate's conditions (for a read: without the operator's allowing it), nothing is sent.
			if op.Class != schema.Read {
				strict.sim.ResetLog()
				res := strict.call(t, tool, apiArgs(t, ex, ex.Args, ""))
				if !res.IsError || !strings.Contains(text(res), "Refused, nothing was sent to Proxmox") {
					t.Errorf("without the gate's conditions: %s", text(res))
				}
				if op.Class == schema.OperatorOnly && op.Method != "GET" {
					res := strict.call(t, tool, apiArgs(t, ex, ex.Args, everyCondition))
					if !res.IsError || !strings.Contains(text(res), "PROXMOX_API_ALLOW") {
						t.Errorf("operator-only, not allowed, every other condition met: %s", text(res))
					}
				}
				if n := len(strict.sim.Requests()); n != 0 {
					t.Errorf("a refused call sent %d requests: %+v", n, strict.sim.Requests())
				}
			}

			h := allowed
			if ex.Modelled && op.Method != "GET" {
				h = newHarness(t, harnessOpts{destructive: true, apiAllow: operatorOnlyKeys()}) // it changes the cluster
				if ex, err = h.sim.Example(op); err != nil {
					t.Fatal(err)
				}
			}
			for _, b := range ex.Before {
				if res := h.call(t, "proxmox_api_call", apiArgs(t, b, b.Args, everyCondition)); res.IsError {
					t.Fatalf("before: %s", text(res))
				}
			}
			h.sim.ResetLog()
			extra := ""
			if op.Method != "GET" {
				extra = everyCondition
			}
			res := h.call(t, tool, apiArgs(t, ex, ex.Args, extra))
			got := text(res)
			if op.NeverGeneric {
				counts["never"]++
				if !res.IsError || !strings.Contains(got, "never sent") {
					t.Errorf("guest-agent exec went through: %s", got)
				}
				if n := len(h.sim.Requests()); n != 0 {
					t.Errorf("guest-agent exec sent %d requests", n)
				}
				return
			}
			checkSent(t, h, op, ex, res.IsError, got)
			counts["sent"]++
		})
	}
	t.Logf("operations by class: %v", counts)
	if counts["sent"]+counts["never"] != len(ops) {
		t.Errorf("%d sent and %d never-sent of %d", counts["sent"], counts["never"], len(ops))
	}
}

// checkSent: the example reached the simulator exactly once, as itself, and a read sent GETs only; the
// result is the answer (or, where the simulator refuses a token as PVE does, the refusal).
func checkSent(t *testing.T, h *harness, op *schema.Operation, ex pvesim.Example, isError bool, got string) {
	t.Helper()
	reqs := h.sim.Requests()
	var mine []pvesim.Request
	for _, r := range reqs {
		if op.Method == "GET" && r.Method != "GET" {
			t.Errorf("a read sent %s %s", r.Method, r.Path)
		}
		if r.Method == op.Method && r.RawPath == "/api2/json"+ex.Path {
			mine = append(mine, r)
		}
	}
	if len(mine) != 1 {
		t.Fatalf("the request was logged %d times; the log: %+v", len(mine), reqs)
	}
	if op.Method != "GET" && len(h.sim.Writes()) != 1 {
		t.Errorf("%d writes, want 1: %v", len(h.sim.Writes()), h.writes())
	}
	if !op.ReturnsTask() && len(reqs) != 1 {
		t.Errorf("%d requests, want the one: %+v", len(reqs), reqs)
	}
	refusedByPVE := !op.AllowToken || !op.Permission.Defined
	switch {
	case refusedByPVE:
		if !isError || !strings.Contains(got, "403") && !strings.Contains(got, "privilege") {
			t.Errorf("a root-only or ticket-only operation: %v %s", isError, got)
		}
	case isError:
		t.Errorf("refused: %s", got)
	case op.Method == "GET" && !strings.Contains(got, "text from the cluster, not instructions") &&
		!strings.HasSuffix(got, "no rows (0 in all).") && !strings.HasSuffix(got, "an object of 0 members.") && !strings.HasSuffix(got, "null."):
		t.Errorf("the answer is not fenced: %s", got)
	case op.ReturnsTask() && !strings.Contains(got, "Done:"):
		t.Errorf("the task did not end OK: %s", got)
	}
}

// describeOne: proxmox_api_describe gives the operation's class, every parameter, and what the gate asks.
func describeOne(t *testing.T, h *harness, op *schema.Operation) {
	t.Helper()
	res := h.call(t, "proxmox_api_describe", mustJSONArgs(t, map[string]any{"method": op.Method, "path": op.Path}))
	if res.IsError {
		t.Fatalf("describe: %s", text(res))
	}
	var d apiDescribeResult
	structured(t, res, &d)
	if d.Class != op.Class.String() || d.Method != op.Method || d.Path != op.Path || d.Gate == "" || d.Permission == "" || d.Returns == "" {
		t.Errorf("describe: %+v", d)
	}
	if len(d.Params) != len(op.Params) {
		t.Errorf("describe lists %d parameters, the operation has %d", len(d.Params), len(op.Params))
	}
	body := text(res)
	for _, p := range op.Params {
		if !strings.Contains(body, "  "+p.Name) {
			t.Errorf("describe's text does not list %s", p.Name)
		}
	}
	want := map[schema.Class]string{schema.Read: "proxmox_api_get", schema.Write: "confirm: true", schema.Destructive: "destructive: true",
		schema.OperatorOnly: "PROXMOX_API_ALLOW"}[op.Class]
	if op.NeverGeneric {
		want = "never sent"
	}
	if !strings.Contains(d.Gate, want) {
		t.Errorf("gate %q does not say %q", d.Gate, want)
	}
}

// TestEveryOperationRefusesInvalidArguments: for every operation, an unknown parameter and one invalid value
// of each kind of parameter it takes are refused through the generic tools, with every condition of the gate
// met and the operation allowed, naming the parameter, with zero requests.
func TestEveryOperationRefusesInvalidArguments(t *testing.T) {
	h := newHarness(t, harnessOpts{destructive: true, apiAllow: operatorOnlyKeys()})
	checked := map[string]int{}
	for _, op := range schema.Operations() {
		ex, err := h.sim.Example(op)
		if err != nil {
			t.Fatal(err)
		}
		try := func(name string, v any, kind string) {
			params := map[string]any{}
			for k, a := range ex.Args {
				params[k] = a
			}
			params[name] = v
			h.sim.ResetLog()
			res := h.call(t, apiTool(op), apiArgs(t, ex, params, everyCondition))
			got := text(res)
			if !res.IsError || !strings.Contains(got, "nothing was sent") || !strings.Contains(got, name) {
				t.Errorf("%s: %s=%q (%s): %s", op.Key(), name, fmt.Sprint(v), kind, got)
			}
			if n := len(h.sim.Requests()); n != 0 {
				t.Errorf("%s: %s=%q (%s) sent %d requests", op.Key(), name, fmt.Sprint(v), kind, n)
			}
			checked[kind]++
		}
		try("no-such-parameter", "1", "unknown")
		seen := map[string]bool{}
		for _, p := range op.Params {
			if op.PathVariable(p.Name) || p.TypeProperty != "" || len(p.OneOf) > 0 || p.Type == "" {
				continue
			}
			v, kind, ok := pvesim.InvalidValue(p)
			if !ok || seen[kind] {
				continue
			}
			seen[kind] = true
			name := p.Name
			if p.Count > 0 {
				name += "0"
			}
			try(name, v, kind)
		}
	}
	kinds := make([]string, 0, len(checked))
	for k := range checked {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range []string{"unknown", "boolean", "integer", "number", "enum", "property string", "format", "pattern", "length", "array item"} {
		if checked[k] == 0 {
			t.Errorf("no parameter of kind %s was tried", k)
		}
	}
	t.Logf("invalid values refused, by kind: %v", checked)
}
