package pve

import (
	"errors"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestWriteRequests(t *testing.T) {
	vm := GuestRef{Node: "pve1", Type: Qemu, VMID: 100}
	ct := GuestRef{Node: "pve2", Type: LXC, VMID: 200}
	build := func(r Request, err error) func() (Request, error) { return func() (Request, error) { return r, err } }
	tests := []struct {
		name  string
		build func() (Request, error)
		want  Request
	}{
		{"start vm", build(PowerRequest(vm, ActionStart, 0, false)), req("POST", "/nodes/pve1/qemu/100/status/start", url.Values{})},
		{"shutdown ct with timeout", build(PowerRequest(ct, ActionShutdown, 120, true)), req("POST", "/nodes/pve2/lxc/200/status/shutdown", url.Values{"timeout": {"120"}, "forceStop": {"1"}})},
		{"stop ignores timeout", build(PowerRequest(ct, ActionStop, 30, false)), req("POST", "/nodes/pve2/lxc/200/status/stop", url.Values{})},
		{"reboot", build(PowerRequest(vm, ActionReboot, 0, false)), req("POST", "/nodes/pve1/qemu/100/status/reboot", url.Values{})},
		{"snapshot with vmstate", build(SnapshotRequest(vm, "pre-upgrade", "", true)), req("POST", "/nodes/pve1/qemu/100/snapshot", url.Values{"snapname": {"pre-upgrade"}, "vmstate": {"1"}})},
		{"delete snapshot", build(DeleteSnapshotRequest(ct, "weekly")), req("DELETE", "/nodes/pve2/lxc/200/snapshot/weekly", nil)},
		{"rollback and start", build(RollbackRequest(vm, "weekly", true)), req("POST", "/nodes/pve1/qemu/100/snapshot/weekly/rollback", url.Values{"start": {"1"}})},
		{"clone vm", build(CloneRequest(vm, CloneOptions{NewID: 120, Name: "web-02", Full: true, Storage: "local-lvm", Target: "pve2"})),
			req("POST", "/nodes/pve1/qemu/100/clone", url.Values{"newid": {"120"}, "name": {"web-02"}, "full": {"1"}, "storage": {"local-lvm"}, "target": {"pve2"}})},
		{"clone ct uses hostname", build(CloneRequest(ct, CloneOptions{NewID: 220, Name: "dns2"})), req("POST", "/nodes/pve2/lxc/200/clone", url.Values{"newid": {"220"}, "hostname": {"dns2"}})},
		{"destroy purge", build(DestroyRequest(ct, true)), req("DELETE", "/nodes/pve2/lxc/200", url.Values{"purge": {"1"}})},
		{"backup", build(BackupRequest(vm, BackupOptions{Storage: "nas-backup", Notes: "{{guestname}} pre-upgrade"})),
			req("POST", "/nodes/pve1/vzdump", url.Values{"vmid": {"100"}, "storage": {"nas-backup"}, "compress": {"zstd"}, "notes-template": {"{{guestname}} pre-upgrade"}})},
		{"create vm", build(CreateVMRequest("pve3", VMSpec{VMID: 130, Name: "db-01", Memory: 4096, Cores: 2, OSType: "l26", Disk: "local-lvm:32", ISO: "local:iso/debian-12.iso", Bridge: "vmbr0", Tags: []string{"db", "prod"}})),
			req("POST", "/nodes/pve3/qemu", url.Values{"vmid": {"130"}, "name": {"db-01"}, "memory": {"4096"}, "cores": {"2"}, "ostype": {"l26"},
				"scsihw": {"virtio-scsi-single"}, "scsi0": {"local-lvm:32"}, "boot": {"order=scsi0"}, "ide2": {"local:iso/debian-12.iso,media=cdrom"}, "net0": {"virtio,bridge=vmbr0"}, "tags": {"db;prod"}})},
		{"create ct", build(CreateContainerRequest("pve1", ContainerSpec{VMID: 230, Hostname: "cache", OSTemplate: "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", Memory: 512, RootFS: "local-lvm:8", Bridge: "vmbr0", Unprivileged: true, Start: true})),
			req("POST", "/nodes/pve1/lxc", url.Values{"vmid": {"230"}, "hostname": {"cache"}, "ostemplate": {"local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"}, "memory": {"512"},
				"rootfs": {"local-lvm:8"}, "net0": {"name=eth0,bridge=vmbr0,ip=dhcp"}, "unprivileged": {"1"}, "start": {"1"}})},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.build()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(Request{}), cmp.Comparer(func(a, b url.Values) bool { return a.Encode() == b.Encode() })); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

// req is the request a builder should describe.
func req(method, path string, params url.Values) Request {
	return Request{method: method, path: path, params: params}
}

func TestWriteRequestsRefuseBadInput(t *testing.T) {
	vm := GuestRef{Node: "pve1", Type: Qemu, VMID: 100}
	ct := GuestRef{Node: "pve1", Type: LXC, VMID: 200}
	errOf := func(_ Request, err error) error { return err }
	tests := map[string]error{
		"action":            errOf(PowerRequest(vm, "hibernate", 0, false)),
		"negative timeout":  errOf(PowerRequest(vm, ActionShutdown, -1, false)),
		"node traversal":    errOf(PowerRequest(GuestRef{Node: "..", Type: Qemu, VMID: 100}, ActionStart, 0, false)),
		"type":              errOf(PowerRequest(GuestRef{Node: "pve1", Type: "vm", VMID: 100}, ActionStart, 0, false)),
		"vmid":              errOf(PowerRequest(GuestRef{Node: "pve1", Type: Qemu, VMID: 1e9}, ActionStart, 0, false)),
		"snapshot slash":    errOf(DeleteSnapshotRequest(vm, "a/../../x")),
		"snapshot reserved": errOf(SnapshotRequest(vm, "current", "", false)),
		"vmstate on ct":     errOf(SnapshotRequest(ct, "snap1", "", true)),
		"rollback name":     errOf(RollbackRequest(vm, "x", false)),
		"clone same id":     errOf(CloneRequest(vm, CloneOptions{NewID: 100})),
		"clone no id":       errOf(CloneRequest(vm, CloneOptions{})),
		"clone storage":     errOf(CloneRequest(vm, CloneOptions{NewID: 101, Storage: "local-lvm"})),
		"clone name":        errOf(CloneRequest(vm, CloneOptions{NewID: 101, Name: "web_01"})),
		"backup mode":       errOf(BackupRequest(vm, BackupOptions{Mode: "live"})),
		"backup storage":    errOf(BackupRequest(vm, BackupOptions{Storage: "x"})),
		"create disk":       errOf(CreateVMRequest("pve1", VMSpec{VMID: 130, Disk: "local-lvm:0"})),
		"create disk opts":  errOf(CreateVMRequest("pve1", VMSpec{VMID: 130, Disk: "local-lvm:32,cache=unsafe"})),
		"create bridge":     errOf(CreateVMRequest("pve1", VMSpec{VMID: 130, Bridge: "vmbr0,firewall=1"})),
		"create ostype":     errOf(CreateVMRequest("pve1", VMSpec{VMID: 130, OSType: "linux"})),
		"create memory":     errOf(CreateVMRequest("pve1", VMSpec{VMID: 130, Memory: 8})),
		"create tag":        errOf(CreateVMRequest("pve1", VMSpec{VMID: 130, Tags: []string{"a;b"}})),
		"ct template":       errOf(CreateContainerRequest("pve1", ContainerSpec{VMID: 230, OSTemplate: "debian"})),
		"ct template comma": errOf(CreateContainerRequest("pve1", ContainerSpec{VMID: 230, OSTemplate: "local:vztmpl/x,size=1"})),
	}
	for name, err := range tests {
		if !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: error = %v, want ErrInvalidRequest", name, err)
		}
	}
}

func TestRequestString(t *testing.T) {
	r, _ := DestroyRequest(GuestRef{Node: "pve1", Type: Qemu, VMID: 100}, true)
	if got, want := r.String(), "DELETE /api2/json/nodes/pve1/qemu/100?purge=1"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if !r.IsWrite() {
		t.Error("DELETE must count as a write")
	}
}

// TestSettingsValidateBeforeAnyRequest: every setting a write takes can be checked before the caller
// resolves the guest or asks for the next free vmid, so that an invalid argument is refused with no
// request at all: a clone onto its own vmid, a bad disk for a guest whose vmid is still to be chosen (VMID
// 0), a bad backup mode. The builders apply the same checks.
func TestSettingsValidateBeforeAnyRequest(t *testing.T) {
	const template = "local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst"
	tests := []struct {
		name  string
		err   error
		valid bool
	}{
		{"clone onto itself", CloneOptions{NewID: 100}.Validate(100), false},
		{"clone to the next free vmid", CloneOptions{}.Validate(100), true},
		{"clone newid out of range", CloneOptions{NewID: 99}.Validate(100), false},
		{"clone storage of a linked clone", CloneOptions{Storage: "local-lvm"}.Validate(100), false},
		{"clone bad name", CloneOptions{Name: "web_01"}.Validate(100), false},
		{"clone source out of range", CloneOptions{NewID: 150}.Validate(5), false},
		{"vm bad disk, vmid to choose", VMSpec{Disk: "local-lvm:0"}.Validate(), false},
		{"vm bad bridge, vmid to choose", VMSpec{Bridge: "vmbr0,firewall=1"}.Validate(), false},
		{"vm, vmid to choose", VMSpec{Disk: "local-lvm:32", Memory: 2048}.Validate(), true},
		{"vm vmid out of range", VMSpec{VMID: 50}.Validate(), false},
		{"ct bad disk, vmid to choose", ContainerSpec{OSTemplate: template, RootFS: "local-lvm:x"}.Validate(), false},
		{"ct no template", ContainerSpec{RootFS: "local-lvm:8"}.Validate(), false},
		{"ct, vmid to choose", ContainerSpec{OSTemplate: template, RootFS: "local-lvm:8"}.Validate(), true},
		{"backup mode", BackupOptions{Mode: "live"}.Validate(), false},
		{"backup", BackupOptions{Mode: "stop", Storage: "nas-backup"}.Validate(), true},
	}
	for _, tc := range tests {
		if tc.valid && tc.err != nil || !tc.valid && !errors.Is(tc.err, ErrInvalidRequest) {
			t.Errorf("%s: error %v, want valid=%v (else ErrInvalidRequest)", tc.name, tc.err, tc.valid)
		}
	}
	// A builder refuses what Validate refuses, and still requires the vmid Validate lets be chosen later.
	if _, err := CreateVMRequest("pve1", VMSpec{Disk: "local-lvm:32"}); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("CreateVMRequest without a vmid: %v", err)
	}
	if _, err := CloneRequest(GuestRef{Node: "pve1", Type: Qemu, VMID: 100}, CloneOptions{}); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("CloneRequest without a newid: %v", err)
	}
}

// TestLocalDiskCloudInit: a cloud-init drive is told from other CD-ROM images by its volume name, as QemuMigrate
// does (vm-N-cloudinit, on any storage and in any format).
func TestLocalDiskCloudInit(t *testing.T) {
	got := map[string]bool{}
	for _, v := range []string{"local-lvm:vm-104-cloudinit", "local:104/vm-104-cloudinit.qcow2", "zfs:vm-9000-cloudinit",
		"local:iso/virtio-win-0.1.271.iso", "local:iso/cloudinit.iso", "local-lvm:vm-104-disk-0", "cdrom"} {
		got[v] = LocalDisk{VolID: v, CDROM: true}.CloudInit()
	}
	want := map[string]bool{"local-lvm:vm-104-cloudinit": true, "local:104/vm-104-cloudinit.qcow2": true, "zfs:vm-9000-cloudinit": true,
		"local:iso/virtio-win-0.1.271.iso": false, "local:iso/cloudinit.iso": false, "local-lvm:vm-104-disk-0": false, "cdrom": false}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got)\n%s", diff)
	}
}
