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
			"Delete a stopped guest and its disks. Irreversible.",
			privs("VM.Allocate"), destroyGuest),
	}
}

type destroyArgs struct {
	vmidArg
	Purge bool `json:"purge" desc:"Drop from jobs and HA"`
	destructiveArgs
}

func destroyGuest(ctx context.Context, e *env, c *call, a *destroyArgs) (*writeResult, error) {
	r, err := e.target(ctx, c, a.vmidArg)
	if err != nil {
		return nil, err
	}
	req, err := pve.DestroyRequest(r.Ref(), a.Purge)
	if err != nil {
		return nil, err
	}
	g := viewLocated(r)
	return e.send(ctx, c, &writeResult{action: "destroy", Target: &g, what: "destroy " + g.ref()}, req)
}
