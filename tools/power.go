package tools

import (
	"context"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

func powerTools() []Def {
	return []Def{
		define("proxmox_start_resource", gate.Write,
			"start a VM or container",
			"Start a stopped VM or container.",
			privs("VM.PowerMgmt"), power(pve.ActionStart)),
		define("proxmox_stop_resource", gate.Write,
			"graceful shutdown",
			"Shut a guest down gracefully.",
			privs("VM.PowerMgmt"), shutdown),
		define("proxmox_reboot_resource", gate.Write,
			"reboot",
			"Reboot a running guest gracefully.",
			privs("VM.PowerMgmt"), power(pve.ActionReboot)),
		define("proxmox_force_stop_resource", gate.Destructive,
			"hard stop",
			"Stop a guest at once, like pulling the plug: unsaved data is lost.",
			privs("VM.PowerMgmt"), forceStop),
	}
}

type powerArgs struct {
	vmidArg
	writeArgs
}

func power(action string) func(ctx context.Context, e *env, c *call, a *powerArgs) (*writeResult, error) {
	return func(ctx context.Context, e *env, c *call, a *powerArgs) (*writeResult, error) {
		return e.power(ctx, c, a.vmidArg, action, 0)
	}
}

type shutdownArgs struct {
	vmidArg
	Timeout int `json:"timeout" min:"1" max:"3600" desc:"Seconds to wait"`
	writeArgs
}

func shutdown(ctx context.Context, e *env, c *call, a *shutdownArgs) (*writeResult, error) {
	return e.power(ctx, c, a.vmidArg, pve.ActionShutdown, a.Timeout)
}

type forceStopArgs struct {
	vmidArg
	destructiveArgs
}

func forceStop(ctx context.Context, e *env, c *call, a *forceStopArgs) (*writeResult, error) {
	return e.power(ctx, c, a.vmidArg, pve.ActionStop, 0)
}

func (e *env) power(ctx context.Context, c *call, va vmidArg, action string, timeout int) (*writeResult, error) {
	r, err := e.target(ctx, c, va)
	if err != nil {
		return nil, err
	}
	req, err := pve.PowerRequest(r.Ref(), action, timeout, false)
	if err != nil {
		return nil, err
	}
	g := viewLocated(r)
	verb := action
	if action == pve.ActionStop {
		verb = "force stop"
	}
	return e.send(ctx, c, &writeResult{action: action, Target: &g, what: verb + " " + g.ref()}, req)
}
