package schema

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCheckFormat(t *testing.T) {
	tests := []struct {
		format, value, want string
	}{
		{"pve-vmid", "100", ""},
		{"pve-vmid", "99", "value does not look like a valid VM ID\n"},
		{"pve-vmid", "0100", "value does not look like a valid VM ID\n"},
		{"pve-node", "pve-1", ""},
		{"pve-node", "pve-", "value does not look like a valid node name\n"},
		{"pve-storage-id", "local-lvm", ""},
		{"pve-storage-id", "l", "storage ID 'l' cannot be shorter than 2 characters\n"},
		{"pve-configid", "snap_1", ""},
		{"pve-configid", "1snap", "invalid configuration ID '1snap'\n"},
		{"pve-volume-id", "local:iso/x.iso", ""},
		{"pve-volume-id", "local", "unable to parse volume ID 'local'\n"},
		{"pve-volume-id-or-qm-path", "cdrom", ""},
		{"pve-volume-id-or-qm-path", "/dev/sdb", ""},
		{"pve-volume-id-or-qm-path", "x", "unable to parse volume ID 'x'\n"},
		{"mac-addr", "BC:24:11:00:00:01", ""},
		{"mac-addr", "01:24:11:00:00:01", "value does not look like a valid unicast MAC address\n"},
		{"ipv4", "10.0.0.1", ""},
		{"ipv4", "10.0.0.256", "value does not look like a valid IPv4 address\n"},
		{"ipv6", "fe80::1", ""},
		{"ipv6", "fe80::1%eth0", "value does not look like a valid IPv6 address\n"},
		{"CIDR", "10.0.0.0/24", ""},
		{"CIDR", "10.0.0.0/7", "value does not look like a valid CIDR network\n"},
		{"CIDRv6", "fd00::/64", ""},
		{"ipv4mask", "255.255.255.0", ""},
		{"ipv4mask", "255.0.255.0", "value does not look like a valid IP netmask\n"},
		{"pve-userid", "root@pam", ""},
		{"pve-userid", "ro", "user name 'ro' is too short\n"},
		{"pve-userid", "a/b@pve", "value 'a/b@pve' does not look like a valid user name\n"},
		{"pve-tokenid", "root@pam!mcp", ""},
		{"pve-poolid", "a/b/c", ""},
		{"pve-poolid", "a/b/c/d", "pool name 'a/b/c/d' nested too deeply (max levels = 3)\n"},
		{"pve-priv", "VM.Audit", ""},
		{"pve-priv", "VM.Config.OS", "invalid privilege 'VM.Config.OS'\n"},
		{"pve-vlan-id-or-range", "10-20", ""},
		{"pve-vlan-id-or-range", "20-10", "VLAN range must go from lower to higher tag '20-10'\n"},
		{"pve-vlan-id-or-range", "1", "invalid VLAN tag '1'\n"},
		{"disk-size", "32G", ""},
		{"disk-size", "32GiB", ""},
		{"disk-size", "32GB", "value does not look like a valid disk size: 32GB\n"},
		{"pve-startup-order", "order=1,up=30", ""},
		{"pve-startup-order", "first", "unable to parse startup options\n"},
		{"pve-ha-resource-or-vm-id", "100", ""},
		{"pve-ha-resource-or-vm-id", "vm:100", ""},
		{"pve-ha-resource-or-vm-id", "vm 100", "value does not look like a valid ha resource id\n"},
		{"pve-replication-job-id", "100-0", ""},
		{"pve-replication-job-id", "99-0", "invalid replication job id '99-0' (guest IDs < 100 are reserved)\n"},
		{"pve-sdn-zone-id", "zone1", ""},
		{"pve-sdn-zone-id", "zonenumber1", "zone ID 'zonenumber1' can't be more length than 8 characters\n"},
		{"storage-pair", "local:local-lvm,nfs", ""},
		{"storage-pair", "1,local", "identity mapping cannot be combined with other mappings\n"},
		{"pve-fw-dport-spec", "22,80:90,https", ""},
		{"pve-fw-dport-spec", "70000", "invalid port '70000'\n"},
		{"pve-fw-addr-spec", "10.0.0.1-10.0.0.9,192.168.0.0/16", ""},
		{"pve-fw-addr-spec", "+dc/myset", ""},
		{"pve-hotplug-features", "network,disk", ""},
		{"pve-hotplug-features", "network,gpu", "invalid hotplug feature 'gpu'\n"},
		{"pve-qm-bootdisk", "scsi30", ""},
		{"pve-qm-bootdisk", "scsi31", "invalid boot disk 'scsi31'\n"},
		{"pve-lxc-mp-string", "/mnt/data", ""},
		{"pve-lxc-mp-string", "/mnt/../etc", "/mnt/../etc contains illegal character sequences\n"},
		{"pve-lxc-dev-string", "/etc/x", "/etc/x is not a valid device path\n"},
		{"pve-task-status-type", "OK", ""},
		{"pve-tag", "web.prod", ""},
	}
	for _, tt := range tests {
		got, known := CheckFormat(tt.format, tt.value)
		if !known {
			t.Errorf("format %s is not known", tt.format)
			continue
		}
		if got != tt.want {
			t.Errorf("CheckFormat(%s, %q) = %q, want %q", tt.format, tt.value, got, tt.want)
		}
	}
	if msg, known := CheckFormat("pve-vmid-list", "100,101;102 abc"); !known || msg != "value does not look like a valid VM ID\n" {
		t.Errorf("a -list format: %q, %v", msg, known)
	}
	if msg, known := CheckFormat("pve-no-such-format", "x"); known || msg != "" {
		t.Errorf("an unknown format: %q, %v", msg, known)
	}
}

func TestSplitList(t *testing.T) {
	tests := map[string][]string{
		"a,b;c d":   {"a", "b", "c", "d"},
		"  a ,, b ": {"a", "b"},
		"a\x00b,c":  {"a", "b,c"},
		"":          nil,
	}
	for in, want := range tests {
		if diff := cmp.Diff(want, SplitList(in)); diff != "" {
			t.Errorf("SplitList(%q) (-want +got):\n%s", in, diff)
		}
	}
}

// TestFormatCoverage pins which of the schema's named formats go unchecked; a format that becomes checked,
// or a new unchecked one from a schema update, shows up here.
func TestFormatCoverage(t *testing.T) {
	var unchecked []string
	how := map[string]int{}
	for _, f := range Formats() {
		how[f.How]++
		if f.How == "unchecked" {
			unchecked = append(unchecked, f.Name)
		}
	}
	want := []string{"pve-calendar-event", "pve-command-batch", "pve-ct-timezone", "pve-qm-ide", "pve-sdn-dhcp-range"}
	if diff := cmp.Diff(want, unchecked); diff != "" {
		t.Errorf("unchecked formats (-want +got):\n%s\n(all: %v)", diff, how)
	}
}
