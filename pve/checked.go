package pve

import (
	"fmt"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// checked describes a call to one operation of the official schema with the schema's own validation: vars fill
// the template's variables (escaped), args are the parameters as a JSON client gives them. Every parameter,
// path variables included, is checked as Proxmox would check it, before anything is sent.
func checked(method, template string, vars map[string]string, args map[string]any) (Request, error) {
	op := schema.Lookup(method, template)
	if op == nil {
		return Request{}, invalid(fmt.Errorf("%s %s is not an operation of the Proxmox API schema", method, template))
	}
	send, err := op.Validate(vars, args)
	if err != nil {
		return Request{}, invalid(err)
	}
	segs := strings.Split(strings.TrimPrefix(template, "/"), "/")
	for i, s := range segs {
		if name, ok := strings.CutPrefix(s, "{"); ok {
			segs[i] = vars[strings.TrimSuffix(name, "}")]
		}
	}
	// A write that answers with data (a configuration change, the start of a guest-agent command) is sent
	// with Write; one that starts a task with Submit.
	return Request{method: method, path: apiPath(segs...), params: send, plain: op.Method != "GET" && !op.ReturnsTask()}, nil
}

// guestVars are the path variables of a guest's operations.
func (g GuestRef) vars() (map[string]string, error) {
	if err := g.validate(); err != nil {
		return nil, invalid(err)
	}
	return map[string]string{"node": g.Node, "vmid": fmt.Sprint(g.VMID)}, nil
}
