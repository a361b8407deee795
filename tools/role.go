package tools

import (
	"fmt"
	"slices"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
)

// Role is the least-privilege set of Proxmox privileges that lets every tool in defs run, sorted: each tool's
// privileges, and for an "A|B" choice nothing when the role already holds one of them, else A. The README's
// pveum line and doctor's role are this.
func Role(defs []Def) []string {
	var out []string
	var choices [][]string
	for _, d := range defs {
		for _, p := range d.Privs {
			if alts := strings.Split(p, "|"); len(alts) > 1 {
				choices = append(choices, alts)
			} else if !slices.Contains(out, p) {
				out = append(out, p)
			}
		}
	}
	for _, alts := range choices {
		if !slices.ContainsFunc(alts, func(a string) bool { return slices.Contains(out, a) }) {
			out = append(out, alts[0])
		}
	}
	slices.Sort(out)
	return out
}

// SetupCommands are the pveum commands, run as root on a Proxmox node, that make a role holding Role(defs),
// a user, and a privilege-separated token of that user with the role on "/".
func SetupCommands(role, user, token string, defs []Def) []string {
	return []string{
		fmt.Sprintf("pveum role add %s -privs %q", role, strings.Join(Role(defs), ",")),
		"pveum user add " + user,
		fmt.Sprintf("pveum acl modify / -user %s -role %s", user, role),
		fmt.Sprintf("pveum user token add %s %s --privsep 1", user, token),
		fmt.Sprintf("pveum acl modify / -token '%s!%s' -role %s", user, token, role),
	}
}

// ofTiers keeps the definitions of the given tiers.
func ofTiers(defs []Def, tiers ...gate.Tier) []Def {
	var out []Def
	for _, d := range defs {
		if slices.Contains(tiers, d.Tier) {
			out = append(out, d)
		}
	}
	return out
}

// setupText is the README's token set-up, derived from the definitions so that a privilege named there is
// one the tools really need and Proxmox really has. The role is the default toolsets' (what doctor prints for a
// server configured with nothing), and each sentence after it names what a tier or toolset that is off by
// default adds.
func setupText(defs []Def) string {
	var b strings.Builder
	var base []Def
	for _, d := range defs {
		if slices.ContainsFunc(toolsets, func(ts Toolset) bool { return ts.Default && ts.Name == d.Toolset }) {
			base = append(base, d)
		}
	}
	cmds := SetupCommands("MCPOperator", "mcp@pve", "mcp", ofTiers(base, gate.Read, gate.Write))
	b.WriteString("   ```sh\n")
	for _, c := range cmds {
		b.WriteString("   " + c)
		if strings.Contains(c, "token add") {
			b.WriteString("          # prints the secret once")
		}
		b.WriteString("\n")
	}
	b.WriteString("   ```\n\n")
	fmt.Fprintf(&b, "   For a read-only assistant use `-privs %q` and `PROXMOX_READ_ONLY=1`.",
		strings.Join(Role(ofTiers(base, gate.Read)), ","))
	operator := Role(ofTiers(base, gate.Read, gate.Write))
	beyond := func(more []Def) []string {
		return slices.DeleteFunc(Role(append(ofTiers(base, gate.Read, gate.Write), more...)), func(p string) bool { return slices.Contains(operator, p) })
	}
	if extra := beyond(ofTiers(base, gate.Destructive)); len(extra) > 0 {
		fmt.Fprintf(&b, " The destructive tools also need %s.", strings.Join(extra, ", "))
	} else {
		b.WriteString(" The same role covers the destructive tools, which stay off until the operator sets `PROXMOX_ENABLE_DESTRUCTIVE=1`.")
	}
	for _, ts := range toolsets {
		if ts.Default {
			continue
		}
		if extra := beyond(ofTiers(OfToolset(defs, ts.Name), gate.Read, gate.Write)); len(extra) > 0 {
			fmt.Fprintf(&b, " The `%s` toolset, off by default, also needs %s.", ts.Name, strings.Join(extra, ", "))
		}
	}
	if extra := beyond(ofTiers(defs, gate.Read, gate.Write, gate.Exec)); len(extra) > 0 {
		fmt.Fprintf(&b, " Running commands in guests (`proxmox_guest_exec`, off until the operator sets `PROXMOX_ENABLE_EXEC=1` and `PROXMOX_EXEC_ALLOW`) also needs %s: add it only then.", strings.Join(slices.DeleteFunc(extra, func(p string) bool {
			return slices.Contains(beyond(ofTiers(defs, gate.Read, gate.Write)), p)
		}), ", "))
	}
	b.WriteString("\n   ")
	return b.String()
}
