package pve

import (
	"context"
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
	return Request{method: method, path: apiPath(segs...), params: send}, nil
}

// guestVars are the path variables of a guest's operations.
func (g GuestRef) vars() (map[string]string, error) {
	if err := g.validate(); err != nil {
		return nil, invalid(err)
	}
	return map[string]string{"node": g.Node, "vmid": fmt.Sprint(g.VMID)}, nil
}

// Apply sends a write that Proxmox carries out before it answers, without a task (a configuration change,
// the start of a guest-agent command), and decodes the answer's data into out (nil: ignored). Like Submit it
// sends the write exactly once.
func (c *Client) Apply(ctx context.Context, req Request, out any) error {
	if !req.IsWrite() {
		return invalid(fmt.Errorf("%s is not a write", req))
	}
	if req.limit == 0 {
		req.limit = objectBody
	}
	_, err := c.do(ctx, req, out)
	return err
}
