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
			"Start a guest.",
			power(pve.ActionStart)),
		define("proxmox_stop_resource", gate.Write,
			"graceful shutdown",
			"Graceful shutdown.",
			shutdown),
		define("proxmox_reboot_resource", gate.Write,
			"reboot",
			"Reboot a guest.",
			power(pve.ActionReboot)),
		define("proxmox_force_stop_resource", gate.Destructive,
			"hard stop",
			"Hard stop; unsaved data is lost.",
			forceStop),
	}
}

type powerArgs struct {
	guestArgs
	writeArgs
}

func power(action string) func(ctx context.Context, e *env, a *powerArgs) (*writeResult, error) {
	return func(ctx context.Context, e *env, a *powerArgs) (*writeResult, error) {
		return e.power(ctx, a.guestArgs, a.writeArgs, action, 0)
	}
}

type shutdownArgs struct {
	guestArgs
	Timeout int `json:"timeout" min:"1" max:"3600"`
	writeArgs
}

func shutdown(ctx context.Context, e *env, a *shutdownArgs) (*writeResult, error) {
	return e.power(ctx, a.guestArgs, a.writeArgs, pve.ActionShutdown, a.Timeout)
}

type forceStopArgs struct {
	guestArgs
	destructiveArgs
}

func forceStop(ctx context.Context, e *env, a *forceStopArgs) (*writeResult, error) {
	return e.power(ctx, a.guestArgs, a.writeArgs, pve.ActionStop, 0)
}

func (e *env) power(ctx context.Context, ga guestArgs, wa writeArgs, action string, timeout int) (*writeResult, error) {
	r, err := e.resolve(ctx, ga)
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
	return e.send(ctx, wa, &writeResult{Action: action, Target: &g, what: verb + " " + g.ref()}, req)
}
