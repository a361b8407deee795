package main

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
	"github.com/proxmox-mcp/proxmox-mcp/tools"
)

// permissionsTimeout bounds the start-up read of each cluster's permissions beyond its own timeout: a client
// waits for the server's answer to initialize meanwhile.
const permissionsTimeout = 10 * time.Second

// hiddenTools are the tools a server leaves out at start: the writes when every cluster is read_only, and, with
// PROXMOX_HIDE_UNPERMITTED on, every tool that no cluster's token can run. Each is logged with why.
func (a *app) hiddenTools(ctx context.Context, s *settings) []string {
	defs, err := tools.Select(s.selection())
	if err != nil {
		return nil // NewServer reports the same error
	}
	var hidden []string
	if a.fromFile && !s.readOnly && !slices.ContainsFunc(a.targets, func(t builtTarget) bool { return !t.readOnly }) {
		for _, d := range defs {
			if d.Tier != gate.Read {
				hidden = append(hidden, d.Name)
			}
		}
		a.log.Info().Strs("tools", hidden).Msg("write tools left out: every cluster is read_only in the targets file")
	}
	if !s.hideUnpermitted {
		return hidden
	}
	held, ok := a.readHeld(ctx)
	if !ok {
		return hidden
	}
	byMissing := map[string][]string{}
	var order []string
	for _, h := range tools.Unpermitted(defs, held) {
		if slices.Contains(hidden, h.Tool) {
			continue
		}
		hidden = append(hidden, h.Tool)
		m := strings.Join(h.Missing, ", ")
		if byMissing[m] == nil {
			order = append(order, m)
		}
		byMissing[m] = append(byMissing[m], h.Tool)
	}
	for _, m := range order {
		a.log.Info().Strs("tools", byMissing[m]).Str("missing", m).
			Msg("tools left out: no cluster's token holds the privilege they need (" + envHide + "=0 keeps them)")
	}
	return hidden
}

// readHeld reads every cluster's /access/permissions once, all at once, each bounded by its timeout. ok is
// false when one could not be read: that cluster may permit anything, so nothing is hidden (with a warning).
func (a *app) readHeld(ctx context.Context) (held []map[string]bool, ok bool) {
	held = make([]map[string]bool, len(a.targets))
	errs := make([]error, len(a.targets))
	var wg sync.WaitGroup
	for i, t := range a.targets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bound := t.cfg.Timeout
			if bound <= 0 || bound > permissionsTimeout {
				bound = min(pve.DefaultTimeout, permissionsTimeout)
			}
			ctx, cancel := context.WithTimeout(ctx, bound)
			defer cancel()
			perms, err := t.client.Permissions(pve.ReadOnly(ctx), "")
			held[i], errs[i] = tools.Held(perms), err
		}()
	}
	wg.Wait()
	ok = true
	for i, err := range errs {
		if err != nil {
			ok = false
			a.log.Warn().Str("cluster", a.targets[i].name).Str("error", a.redactor.String(err.Error())).
				Msg("could not read the token's permissions (/access/permissions): keeping every tool; run proxmox-mcp doctor")
		}
	}
	return held, ok
}
