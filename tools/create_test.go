package tools

import (
	"strings"
	"testing"
)

// TestCreateNamesTheGuest: a create's result names the new guest as every other write names its target.
func TestCreateNamesTheGuest(t *testing.T) {
	tests := []struct{ tool, args, want string }{
		{"proxmox_create_vm", `{"node":"pve1","vmid":150,"name":"web2","confirm":true}`, "Done: create VM 150 «web2» on pve1 (OK"},
		{"proxmox_create_container", `{"node":"pve2","vmid":250,"hostname":"cache1","ostemplate":"local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst","ssh_public_keys":"` + testKey + `","confirm":true}`,
			"Done: create CT 250 «cache1» on pve2 (OK"},
		{"proxmox_create_vm", `{"node":"pve1","vmid":151,"confirm":true}`, "Done: create VM 151 on pve1 (OK"},
	}
	for _, tt := range tests {
		h := newHarness(t, harnessOpts{})
		if got := text(h.call(t, tt.tool, tt.args)); !strings.HasPrefix(got, tt.want) {
			t.Errorf("%s: %s\nwant it to start %q", tt.tool, got, tt.want)
		}
	}
}
