package tools

import (
	"context"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

func destroyTools() []Def {
	return []Def{
		define("proxmox_destroy_resource", gate.Destructive,
			"delete a VM or container",
			"Delete a stopped guest and its disks.",
			destroyGuest),
	}
}

type destroyArgs struct {
	guestArgs
	Purge bool `json:"purge"`
	destructiveArgs
}

func destroyGuest(ctx context.Context, e *env, a *destroyArgs) (*writeResult, error) {
	r, err := e.resolve(ctx, a.guestArgs)
	if err != nil {
		return nil, err
	}
	req, err := pve.DestroyRequest(r.Ref(), a.Purge)
	if err != nil {
		return nil, err
	}
	g := viewLocated(r)
	return e.send(ctx, a.writeArgs, &writeResult{Action: "destroy", Target: &g, what: "destroy " + g.ref()}, req)
}
