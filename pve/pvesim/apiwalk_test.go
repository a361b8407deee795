package pvesim

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// shapeOK checks an answer's data against the returns schema's top-level type. Numbers may come as strings
// and booleans as 0/1, as Proxmox sends them.
func shapeOK(data json.RawMessage, s *schema.Schema) bool {
	d := strings.TrimSpace(string(data))
	if d == "" {
		return false
	}
	switch s.Type {
	case "array":
		return d[0] == '['
	case "object":
		return d[0] == '{'
	case "string":
		return d[0] == '"'
	case "integer", "number", "boolean":
		return d[0] == '"' || d[0] == '-' || d[0] >= '0' && d[0] <= '9' || d == "true" || d == "false"
	case "null":
		return d == "null"
	}
	return json.Valid(data)
}

// TestEveryOperation walks all operations of the schema: each has a class; a valid example built from its
// parameters passes the validator and, sent over a real loopback listener with the default admin token, is
// answered as PVE would answer a token (200 with the returns shape; a UPID whose task ends OK; 403 where
// only root@pam or a ticket may call) and logged exactly once.
func TestEveryOperation(t *testing.T) {
	shared := newEnv(t, nil)
	counts := map[string]int{}
	for _, op := range schema.Operations() {
		t.Run(op.Key(), func(t *testing.T) {
			if op.Class < schema.Read || op.Class > schema.OperatorOnly {
				t.Fatalf("no class: %v", op.Class)
			}
			ex, err := shared.srv.Example(op)
			if err != nil {
				t.Error(err)
			}
			args := ex.Args
			target, err := schema.Match(op.Method, ex.Path)
			if err != nil {
				t.Fatalf("match: %v", err)
			}
			if target.Op != op {
				t.Fatalf("matched %s", target.Op.Key())
			}
			send, err := op.Validate(target.Vars, args)
			if err != nil {
				t.Fatalf("a valid example was refused: %v", err)
			}
			e := shared
			if ex.Modelled && op.Method != "GET" {
				e = newEnv(t, nil) // a modelled write changes the cluster
			}
			for _, b := range ex.Before {
				if r := e.request(b.Method, b.Path, adminAuth, valuesOf(b.Args)); r.status != 200 {
					t.Fatalf("before: %s %s: %d %s", b.Method, b.Path, r.status, r.reason)
				}
			}
			before := len(e.srv.Requests())
			r := e.request(op.Method, target.Path, adminAuth, send)
			logged := e.srv.Requests()[before:]
			if len(logged) != 1 || logged[0].Method != op.Method || logged[0].Status != r.status {
				t.Errorf("request log after the call: %+v", logged)
			}
			switch {
			case !op.AllowToken:
				counts["403 ticket needed"]++
				if r.status != 403 || !strings.Contains(r.reason, "not available with API token") {
					t.Errorf("a ticket-only operation answered %d %s", r.status, r.reason)
				}
				return
			case !op.Permission.Defined:
				counts["403 root@pam only"]++
				if r.status != 403 || r.reason != "Permission check failed (user != root@pam)" {
					t.Errorf("a root-only operation answered %d %s", r.status, r.reason)
				}
				return
			}
			if r.status != 200 {
				t.Fatalf("%d %s %s", r.status, r.reason, r.body)
			}
			var env struct {
				Data json.RawMessage `json:"data"`
			}
			if err := json.Unmarshal(r.body, &env); err != nil {
				t.Fatalf("not the JSON envelope: %s", r.body)
			}
			switch {
			case op.Method == "GET":
				counts["200 read"]++
				if !shapeOK(env.Data, op.Returns) {
					t.Errorf("data %.200s does not have the returns shape %q", env.Data, op.Returns.Type)
				}
			case op.ReturnsTask():
				counts["200 task"]++
				var upid string
				if err := json.Unmarshal(env.Data, &upid); err != nil || !upidRE.MatchString(upid) {
					t.Fatalf("answered %s, not a UPID", env.Data)
				}
				if exit := e.finish(upid); exit != "OK" {
					t.Errorf("task ended %q", exit)
				}
			case op.Returns.Type == "null":
				counts["200 null"]++
				if string(env.Data) != "null" {
					t.Errorf("answered %s, the schema says null", env.Data)
				}
			default:
				counts["200 data"]++
				if !shapeOK(env.Data, op.Returns) {
					t.Errorf("data %.200s does not have the returns shape %q", env.Data, op.Returns.Type)
				}
			}
		})
	}
	total := 0
	for _, n := range counts {
		total += n
	}
	if total != len(schema.Operations()) {
		t.Errorf("answers %v cover %d of %d operations", counts, total, len(schema.Operations()))
	}
	t.Logf("answers: %v", counts)
}

// TestEveryOperationRefusesInvalidArguments: for each operation, one invalid value of each kind of parameter
// it takes (and an unknown parameter) is refused by the validator, naming the parameter, before anything
// could be sent.
func TestEveryOperationRefusesInvalidArguments(t *testing.T) {
	sim := New(Default())
	checked := map[string]int{}
	for _, op := range schema.Operations() {
		ex, err := sim.Example(op)
		if err != nil {
			t.Error(err)
		}
		target, err := schema.Match(op.Method, ex.Path)
		if err != nil {
			t.Errorf("%s: %v", op.Key(), err)
			continue
		}
		valid := ex.Args
		try := func(name string, v any, kind string) {
			args := map[string]any{}
			for k, a := range valid {
				args[k] = a
			}
			args[name] = v
			_, err := op.Validate(target.Vars, args)
			var ve *schema.ValidationError
			if !errors.As(err, &ve) {
				t.Errorf("%s: %s=%q (%s) was accepted", op.Key(), name, fmt.Sprint(v), kind)
				return
			}
			for _, pr := range ve.Problems {
				if pr.Param == name || strings.HasPrefix(pr.Param, name+"[") {
					checked[kind]++
					return
				}
			}
			t.Errorf("%s: %s=%q refused, but the problems %v do not name it", op.Key(), name, fmt.Sprint(v), ve.Problems)
		}
		try("no-such-parameter", "1", "unknown")
		seen := map[string]bool{}
		for _, p := range op.Params {
			if op.PathVariable(p.Name) || p.TypeProperty != "" || len(p.OneOf) > 0 || p.Type == "" {
				continue
			}
			v, kind, ok := InvalidValue(p)
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

// valuesOf is a JSON client's arguments as form values, for the requests an example sends first.
func valuesOf(args map[string]any) url.Values {
	v := url.Values{}
	for k, a := range args {
		v.Set(k, fmt.Sprint(a))
	}
	return v
}
