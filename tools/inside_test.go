package tools

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// TestGuestToolsetPrivileges: every privilege the guest tools name is one PVE 9 has (the schema's list), and
// the role doctor and the README print holds the ones they need: the write tiers' role the agent's audit,
// cloud-init, disk and migrate privileges, and the exec tier's role VM.GuestAgent.Unrestricted besides.
func TestGuestToolsetPrivileges(t *testing.T) {
	known := schema.Privileges()
	for _, d := range insideTools() {
		for _, req := range d.Privs {
			for _, p := range strings.Split(req, "|") {
				if !slices.Contains(known, p) {
					t.Errorf("%s needs %q, which Proxmox VE 9 does not have", d.Name, p)
				}
			}
		}
	}
	operator := Role(ofTiers(All(), gate.Read, gate.Write))
	for _, p := range []string{"VM.GuestAgent.Audit", "VM.Config.Cloudinit", "VM.Config.Disk", "VM.Migrate"} {
		if !slices.Contains(operator, p) {
			t.Errorf("the operator role lacks %s: %v", p, operator)
		}
	}
	if slices.Contains(operator, "VM.GuestAgent.Unrestricted") {
		t.Error("the operator role grants exec's privilege to a server without the exec tier")
	}
	if !slices.Contains(Role(All()), "VM.GuestAgent.Unrestricted") {
		t.Error("the full role lacks VM.GuestAgent.Unrestricted")
	}
}

// TestExecAnnotations: the exec tool states the worst case to clients, as a destructive tool does.
func TestExecAnnotations(t *testing.T) {
	for _, raw := range listTools(t, false, nil) {
		var tool struct {
			Name        string
			Annotations map[string]bool
		}
		if err := json.Unmarshal(raw, &tool); err != nil {
			t.Fatal(err)
		}
		if tool.Name == "proxmox_guest_exec" && (tool.Annotations["readOnlyHint"] || !tool.Annotations["destructiveHint"]) {
			t.Errorf("exec annotations %v", tool.Annotations)
		}
	}
}
