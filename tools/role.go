package tools

import (
	"slices"
	"strings"
)

// Role is the least-privilege set of Proxmox privileges that lets every tool in defs run: each tool's
// privileges, the first of each "A|B" pair, sorted. The README's pveum line and doctor's role are this.
func Role(defs []Def) []string {
	var out []string
	for _, d := range defs {
		for _, p := range d.Privs {
			first, _, _ := strings.Cut(p, "|")
			if !slices.Contains(out, first) {
				out = append(out, first)
			}
		}
	}
	slices.Sort(out)
	return out
}

// RoleCommand is the pveum command that creates a role holding Role(defs).
func RoleCommand(name string, defs []Def) string {
	return "pveum role add " + name + " -privs \"" + strings.Join(Role(defs), ",") + "\""
}
