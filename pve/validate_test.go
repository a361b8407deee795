package pve

import (
	"strconv"
	"strings"
	"testing"

	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

func TestValidators(t *testing.T) {
	type check struct {
		name  string
		fn    func(string) error
		good  []string
		bad   []string
		limit int
	}
	checks := []check{
		{"node", ValidNode,
			[]string{"pve1", "a", "node-01", "PVE", "x" + strings.Repeat("a", 61) + "z"},
			[]string{"", "-pve", "pve-", "pve_1", "pve.lan", "../access", "pve1/../../cluster", "pve%2e", "pve\x00", "pve\n", "рve1", strings.Repeat("a", 64), " pve1"}, 0},
		{"storage", ValidStorage,
			[]string{"local", "local-lvm", "nas.backup", "pbs_01", "Ab"},
			[]string{"", "l", "1local", "local-", "lo/cal", "local:", "..", "local lvm", "ｌocal"}, 0},
		{"snapshot", ValidSnapshotName,
			[]string{"pre-upgrade", "weekly_1", "Ab", strings.Repeat("s", 40)},
			[]string{"", "a", "1snap", "snap shot", "snap.1", "current", "PENDING", strings.Repeat("s", 41), "../x", "snap\n"}, 0},
		{"pool", ValidPool,
			[]string{"lab", "prod.eu", "a/b/c", "team_1-x"},
			[]string{"", "a/b/c/d", "/lab", "lab/", "la b", "lab?x"}, 0},
		{"dns-name", ValidDNSName,
			[]string{"web01", "web-01.lan", "a"},
			[]string{"", "-web", "web_01", "web..lan", "web 01", "web/01"}, 0},
		{"volume", ValidVolumeID,
			[]string{"local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", "pbs:backup/vm/100/2026-01-01T00:00:00Z", "local:iso/x.iso"},
			[]string{"", "local", ":x", "local:", "local:a b", "local:a,media=disk", "local:a\n"}, 0},
		{"tag", ValidTag,
			[]string{"prod", "k8s", "a+b", "_x"},
			[]string{"", "a;b", "a b", "-x"}, 0},
		{"token-id", ValidTokenID,
			[]string{"root@pam!mcp", "svc@pve!ro-1", "a.b@ldap-corp!t_1"},
			[]string{"", "root@pam", "root!mcp", "root@pam!mcp=secret", "root@pam!", "@pam!x", "ro ot@pam!x"}, 0},
	}
	for _, c := range checks {
		for _, v := range c.good {
			if err := c.fn(v); err != nil {
				t.Errorf("%s(%q) = %v, want nil", c.name, v, err)
			}
		}
		for _, v := range c.bad {
			err := c.fn(v)
			if err == nil {
				t.Errorf("%s(%q) = nil, want an error", c.name, v)
				continue
			}
			if strings.ContainsAny(err.Error(), "\n\x00") {
				t.Errorf("%s(%q): error %q carries a raw control character", c.name, v, err)
			}
		}
	}
}

func TestValidVMID(t *testing.T) {
	for _, tc := range []struct {
		id int
		ok bool
	}{{100, true}, {999999999, true}, {99, false}, {0, false}, {-100, false}, {1000000000, false}} {
		if got := ValidVMID(tc.id) == nil; got != tc.ok {
			t.Errorf("ValidVMID(%d) ok = %v, want %v", tc.id, got, tc.ok)
		}
	}
}

func TestQuoteBoundsAndEscapes(t *testing.T) {
	got := quote(strings.Repeat("x", 100) + "\n")
	if strings.Contains(got, "\n") || len(got) > 80 {
		t.Errorf("quote = %q: want escaped and bounded", got)
	}
}

// TestBoundsAreTheSchemas: the numbers the validators check are the official schema's own.
func TestBoundsAreTheSchemas(t *testing.T) {
	vmid := schema.Lookup("GET", "/nodes/{node}/qemu/{vmid}/config").Param("vmid")
	if !vmid.HasMin || !vmid.HasMax || vmid.Min != MinVMID || vmid.Max != MaxVMID {
		t.Errorf("the schema's vmid is %v…%v, the client checks %d…%d", vmid.Min, vmid.Max, MinVMID, MaxVMID)
	}
	for _, path := range []string{"/nodes/{node}/qemu/{vmid}/snapshot", "/nodes/{node}/lxc/{vmid}/snapshot"} {
		snap := schema.Lookup("POST", path).Param("snapname")
		if snap.Format != formatConfigID || !snap.HasMaxLength || snap.MaxLength != maxSnapshotNameLen {
			t.Errorf("%s snapname: format %s, at most %d characters; the client checks %s, %d", path, snap.Format, snap.MaxLength, formatConfigID, maxSnapshotNameLen)
		}
	}
	for _, n := range []int{MinVMID - 1, MinVMID, 4711, MaxVMID, MaxVMID + 1} {
		if msg, _ := schema.CheckFormat(formatVMID, strconv.Itoa(n)); (msg == "") != (ValidVMID(n) == nil) {
			t.Errorf("vmid %d: the schema's %s says %q, ValidVMID %v", n, formatVMID, msg, ValidVMID(n))
		}
	}
	for _, f := range []string{formatVMID, formatNode, formatConfigID, formatStorage, formatPool, formatDNSName, formatVolumeID, formatTag, formatBridge, formatTokenID} {
		if _, known := schema.CheckFormat(f, "x"); !known {
			t.Errorf("the schema does not check format %s", f)
		}
	}
}
