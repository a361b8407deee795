package tools

import (
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

// Held is every privilege a token holds on some path of its cluster, from /access/permissions. A privilege
// granted only on some guests or a pool counts: the tool can run on those.
func Held(perms pve.Permissions) map[string]bool {
	h := map[string]bool{}
	for _, privs := range perms {
		for p := range privs {
			h[p] = true
		}
	}
	return h
}

// Hidden is a tool left out because no cluster's token can run it, and what it lacks.
type Hidden struct {
	Tool    string
	Missing []string // its requirements held on no cluster that lacks them ("A or B" for a choice)
}

// Unpermitted returns the tools of defs that the token of no cluster can run: for every cluster, one of the
// tool's privileges (or all the choices of an "A|B") is held on no path. held has one entry per cluster;
// when a cluster's permissions could not be read it must not be called, since it may permit anything.
func Unpermitted(defs []Def, held []map[string]bool) []Hidden {
	if len(held) == 0 {
		return nil
	}
	var out []Hidden
	for _, d := range defs {
		var missing []string
		runs := false
		for _, h := range held {
			lacks := lacking(d, h)
			if len(lacks) == 0 {
				runs = true
				break
			}
			for _, m := range lacks {
				if !slices.Contains(missing, m) {
					missing = append(missing, m)
				}
			}
		}
		if !runs {
			out = append(out, Hidden{Tool: d.Name, Missing: missing})
		}
	}
	return out
}

// lacking lists the requirements of d that h does not meet.
func lacking(d Def, h map[string]bool) []string {
	var out []string
	for _, req := range d.Privs {
		alts := strings.Split(req, "|")
		if !slices.ContainsFunc(alts, func(a string) bool { return h[a] }) {
			out = append(out, strings.Join(alts, " or "))
		}
	}
	return out
}

// HiddenNames are the names of the hidden tools, for Options.Hidden.
func HiddenNames(hs []Hidden) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		out[i] = h.Tool
	}
	return out
}
