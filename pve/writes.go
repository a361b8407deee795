package pve

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// Writes are built in two steps: a *Request function validates its arguments and describes the call, and
// Client.Submit sends it. A dry run shows the Request and stops there.

// Power actions on a guest.
const (
	ActionStart    = "start"
	ActionShutdown = "shutdown"
	ActionStop     = "stop"
	ActionReboot   = "reboot"
)

// PowerRequest describes POST .../status/{start|shutdown|stop|reboot}. timeout (seconds, 0: Proxmox's
// default) applies to shutdown and reboot; forceStop makes a shutdown that times out stop the guest.
func PowerRequest(g GuestRef, action string, timeout int, forceStop bool) (Request, error) {
	switch action {
	case ActionStart, ActionStop, ActionShutdown, ActionReboot:
	default:
		return Request{}, invalid(fmt.Errorf("power action %s is not start, shutdown, stop or reboot", quote(action)))
	}
	if timeout < 0 {
		return Request{}, invalid(fmt.Errorf("timeout must not be negative"))
	}
	p, err := g.path("status", action)
	if err != nil {
		return Request{}, err
	}
	q := params{}
	if action == ActionShutdown || action == ActionReboot {
		q.setInt("timeout", timeout)
	}
	if action == ActionShutdown {
		q.setBool("forceStop", forceStop)
	}
	return Request{method: "POST", path: p, params: url.Values(q)}, nil
}

// SnapshotRequest describes POST .../snapshot. vmstate (qemu only) saves the RAM of a running VM too.
func SnapshotRequest(g GuestRef, name, description string, vmstate bool) (Request, error) {
	if err := ValidSnapshotName(name); err != nil {
		return Request{}, invalid(err)
	}
	if vmstate && g.Type != Qemu {
		return Request{}, invalid(fmt.Errorf("vmstate applies to VMs only"))
	}
	p, err := g.path("snapshot")
	if err != nil {
		return Request{}, err
	}
	q := params{"snapname": {name}}
	q.set("description", description)
	q.setBool("vmstate", vmstate)
	return Request{method: "POST", path: p, params: url.Values(q)}, nil
}

// DeleteSnapshotRequest describes DELETE .../snapshot/{name}.
func DeleteSnapshotRequest(g GuestRef, name string) (Request, error) {
	if err := ValidSnapshotName(name); err != nil {
		return Request{}, invalid(err)
	}
	p, err := g.path("snapshot", name)
	if err != nil {
		return Request{}, err
	}
	return Request{method: "DELETE", path: p}, nil
}

// RollbackRequest describes POST .../snapshot/{name}/rollback; start starts the guest afterwards.
func RollbackRequest(g GuestRef, name string, start bool) (Request, error) {
	if err := ValidSnapshotName(name); err != nil {
		return Request{}, invalid(err)
	}
	p, err := g.path("snapshot", name, "rollback")
	if err != nil {
		return Request{}, err
	}
	q := params{}
	q.setBool("start", start)
	return Request{method: "POST", path: p, params: url.Values(q)}, nil
}

// CloneOptions are the settings of a clone.
type CloneOptions struct {
	NewID       int
	Name        string // qemu: name; lxc: hostname
	Target      string // node; "" keeps the source's node
	Full        bool   // full copy instead of a linked clone (templates only link)
	Storage     string // target storage for a full clone
	Pool        string
	Description string
	SnapName    string // clone from this snapshot
}

// Validate checks the settings of a clone of guest source without asking Proxmox anything, so a caller can
// refuse bad input before it resolves the guest or picks a vmid. A zero NewID is allowed here (the caller
// picks the next free vmid later); CloneRequest requires one.
func (o CloneOptions) Validate(source int) error {
	if err := ValidVMID(source); err != nil {
		return invalid(err)
	}
	if o.NewID != 0 {
		if err := ValidVMID(o.NewID); err != nil {
			return invalid(fmt.Errorf("newid: %v", err))
		}
	}
	if o.NewID == source {
		return invalid(fmt.Errorf("newid must differ from the source vmid %d", source))
	}
	checks := []struct {
		val   string
		check func(string) error
	}{{o.Name, ValidDNSName}, {o.Target, ValidNode}, {o.Storage, ValidStorage}, {o.Pool, ValidPool}, {o.SnapName, ValidSnapshotName}}
	for _, c := range checks {
		if c.val != "" {
			if err := c.check(c.val); err != nil {
				return invalid(err)
			}
		}
	}
	if o.Storage != "" && !o.Full {
		return invalid(fmt.Errorf("storage applies to full clones only"))
	}
	return nil
}

// CloneRequest describes POST .../clone.
func CloneRequest(g GuestRef, o CloneOptions) (Request, error) {
	if err := ValidVMID(o.NewID); err != nil {
		return Request{}, invalid(fmt.Errorf("newid: %v", err))
	}
	if err := o.Validate(g.VMID); err != nil {
		return Request{}, err
	}
	p, err := g.path("clone")
	if err != nil {
		return Request{}, err
	}
	q := params{"newid": {strconv.Itoa(o.NewID)}}
	if g.Type == LXC {
		q.set("hostname", o.Name)
	} else {
		q.set("name", o.Name)
	}
	q.set("target", o.Target)
	q.setBool("full", o.Full)
	q.set("storage", o.Storage)
	q.set("pool", o.Pool)
	q.set("description", o.Description)
	q.set("snapname", o.SnapName)
	return Request{method: "POST", path: p, params: url.Values(q)}, nil
}

// DestroyRequest describes DELETE /nodes/{node}/{type}/{vmid}; purge also removes the vmid from backup
// jobs, replication and HA.
func DestroyRequest(g GuestRef, purge bool) (Request, error) {
	p, err := g.path()
	if err != nil {
		return Request{}, err
	}
	q := params{}
	q.setBool("purge", purge)
	return Request{method: "DELETE", path: p, params: url.Values(q)}, nil
}

// BackupOptions are the settings of a vzdump run of one guest.
type BackupOptions struct {
	Storage  string // "" uses the node's default backup storage
	Mode     string // snapshot (default), suspend, stop
	Compress string // zstd (default here), gzip, lzo, 0
	Notes    string // notes-template, e.g. "{{guestname}} before upgrade"
	Protect  bool   // mark the backup protected from pruning
}

// Validate checks the settings of a backup without asking Proxmox anything.
func (o BackupOptions) Validate() error {
	if o.Storage != "" {
		if err := ValidStorage(o.Storage); err != nil {
			return invalid(err)
		}
	}
	switch o.Mode {
	case "", "snapshot", "suspend", "stop":
	default:
		return invalid(fmt.Errorf("backup mode %s is not snapshot, suspend or stop", quote(o.Mode)))
	}
	switch o.Compress {
	case "", "zstd", "gzip", "lzo", "0":
	default:
		return invalid(fmt.Errorf("compression %s is not zstd, gzip, lzo or 0", quote(o.Compress)))
	}
	if len(o.Notes) > 1024 || strings.ContainsAny(o.Notes, "\x00\r") {
		return invalid(fmt.Errorf("notes must be at most 1024 characters without NUL or CR"))
	}
	return nil
}

// BackupRequest describes POST /nodes/{node}/vzdump for one guest, sent to the guest's own node: vzdump
// backs up only guests of the node it runs on and answers "OK" without a task for any other.
func BackupRequest(g GuestRef, o BackupOptions) (Request, error) {
	if err := g.validate(); err != nil {
		return Request{}, invalid(err)
	}
	if err := o.Validate(); err != nil {
		return Request{}, err
	}
	p, err := nodePath(g.Node, "vzdump")
	if err != nil {
		return Request{}, err
	}
	q := params{"vmid": {strconv.Itoa(g.VMID)}}
	q.set("storage", o.Storage)
	q.set("mode", o.Mode)
	if o.Compress == "" {
		o.Compress = "zstd"
	}
	q.set("compress", o.Compress)
	q.set("notes-template", o.Notes)
	q.setBool("protected", o.Protect)
	return Request{method: "POST", path: p, params: url.Values(q)}, nil
}

// VMSpec describes a new QEMU VM.
type VMSpec struct {
	VMID        int
	Name        string
	Memory      int    // MiB
	Cores       int    // per socket
	Sockets     int    // 0: 1
	OSType      string // l26, win11, other, ...
	Disk        string // scsi0 as STORAGE:SIZE_GiB, e.g. local-lvm:32
	ISO         string // ide2 cdrom volume, e.g. local:iso/debian-12.iso
	Bridge      string // net0 virtio on this bridge, e.g. vmbr0
	Start       bool
	Tags        []string
	Pool        string
	Description string
}

var qemuOSTypes = map[string]bool{"other": true, "wxp": true, "w2k": true, "w2k3": true, "w2k8": true, "wvista": true, "win7": true, "win8": true, "win10": true, "win11": true, "l24": true, "l26": true, "solaris": true}

// ValidDiskSpec checks a new disk given as STORAGE:SIZE_GiB (local-lvm:32), with no request: a create can
// refuse a bad disk before it asks Proxmox for the next free vmid.
func ValidDiskSpec(s string) error { return diskSpec(s) }

// diskSpec checks STORAGE:SIZE (a new volume of SIZE GiB).
func diskSpec(s string) error {
	st, size, ok := strings.Cut(s, ":")
	if !ok {
		return fmt.Errorf("disk %s is not STORAGE:SIZE_GiB, e.g. local-lvm:32", quote(s))
	}
	if err := ValidStorage(st); err != nil {
		return err
	}
	n, err := strconv.Atoi(size)
	if err != nil || n < 1 || n > 65536 {
		return fmt.Errorf("disk size %s is not a whole number of GiB between 1 and 65536", quote(size))
	}
	return nil
}

func validTags(tags []string) error {
	for _, t := range tags {
		if err := ValidTag(t); err != nil {
			return err
		}
	}
	return nil
}

// Validate checks every setting of a new VM without asking Proxmox anything, so a caller can refuse bad
// input before it asks for the next free vmid. A zero VMID is allowed here (to be chosen later);
// CreateVMRequest requires one.
func (s VMSpec) Validate() error {
	if s.VMID != 0 {
		if err := ValidVMID(s.VMID); err != nil {
			return invalid(err)
		}
	}
	if s.Name != "" {
		if err := ValidDNSName(s.Name); err != nil {
			return invalid(err)
		}
	}
	if s.Memory != 0 && (s.Memory < 16 || s.Memory > 4<<20) {
		return invalid(fmt.Errorf("memory %d MiB is out of range 16…4194304", s.Memory))
	}
	if s.Cores < 0 || s.Cores > 1024 || s.Sockets < 0 || s.Sockets > 16 {
		return invalid(fmt.Errorf("cores must be 1…1024 and sockets 1…16"))
	}
	if s.OSType != "" && !qemuOSTypes[s.OSType] {
		return invalid(fmt.Errorf("ostype %s is not a Proxmox ostype (l26, win11, win10, other, or another of pve's list)", quote(s.OSType)))
	}
	if s.Disk != "" {
		if err := diskSpec(s.Disk); err != nil {
			return invalid(err)
		}
	}
	if s.ISO != "" {
		if err := ValidVolumeID(s.ISO); err != nil {
			return invalid(err)
		}
	}
	return checkNewGuest(s.Bridge, s.Pool, s.Tags, s.Description)
}

// CreateVMRequest describes POST /nodes/{node}/qemu.
func CreateVMRequest(node string, s VMSpec) (Request, error) {
	if err := ValidVMID(s.VMID); err != nil {
		return Request{}, invalid(err)
	}
	if err := s.Validate(); err != nil {
		return Request{}, err
	}
	p, err := nodePath(node, "qemu")
	if err != nil {
		return Request{}, err
	}
	q := params{"vmid": {strconv.Itoa(s.VMID)}}
	q.set("name", s.Name)
	q.setInt("memory", s.Memory)
	q.setInt("cores", s.Cores)
	q.setInt("sockets", s.Sockets)
	q.set("ostype", s.OSType)
	if s.Disk != "" {
		q.set("scsihw", "virtio-scsi-single")
		q.set("scsi0", s.Disk)
		q.set("boot", "order=scsi0")
	}
	if s.ISO != "" {
		q.set("ide2", s.ISO+",media=cdrom")
	}
	if s.Bridge != "" {
		q.set("net0", "virtio,bridge="+s.Bridge)
	}
	setNewGuest(q, s.Start, s.Tags, s.Pool, s.Description)
	return Request{method: "POST", path: p, params: url.Values(q)}, nil
}

// checkNewGuest checks the settings VM and container creation share.
func checkNewGuest(bridge, pool string, tags []string, description string) error {
	if bridge != "" {
		if err := ValidBridge(bridge); err != nil {
			return invalid(err)
		}
	}
	if pool != "" {
		if err := ValidPool(pool); err != nil {
			return invalid(err)
		}
	}
	if err := validTags(tags); err != nil {
		return invalid(err)
	}
	if len(description) > 8192 {
		return invalid(fmt.Errorf("description is longer than 8192 characters"))
	}
	return nil
}

// setNewGuest sets the parameters VM and container creation share.
func setNewGuest(q params, start bool, tags []string, pool, description string) {
	q.setBool("start", start)
	q.set("tags", strings.Join(tags, ";"))
	q.set("pool", pool)
	q.set("description", description)
}

// ContainerSpec describes a new LXC container.
type ContainerSpec struct {
	VMID          int
	Hostname      string
	OSTemplate    string // volume id, e.g. local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst
	Memory        int    // MiB
	Swap          int    // MiB
	Cores         int
	RootFS        string // STORAGE:SIZE_GiB, e.g. local-lvm:8
	Bridge        string // net0 eth0 on this bridge with DHCP
	Unprivileged  bool
	SSHPublicKeys string
	Start         bool
	Tags          []string
	Pool          string
	Description   string
}

// Validate checks every setting of a new container without asking Proxmox anything. A zero VMID is allowed
// here (to be chosen later); CreateContainerRequest requires one.
func (s ContainerSpec) Validate() error {
	if s.VMID != 0 {
		if err := ValidVMID(s.VMID); err != nil {
			return invalid(err)
		}
	}
	if err := ValidVolumeID(s.OSTemplate); err != nil {
		return invalid(fmt.Errorf("ostemplate: %v", err))
	}
	if s.Hostname != "" {
		if err := ValidDNSName(s.Hostname); err != nil {
			return invalid(err)
		}
	}
	if s.Memory != 0 && (s.Memory < 16 || s.Memory > 4<<20) {
		return invalid(fmt.Errorf("memory %d MiB is out of range 16…4194304", s.Memory))
	}
	if s.Swap < 0 || s.Cores < 0 || s.Cores > 8192 {
		return invalid(fmt.Errorf("swap must not be negative and cores must be 1…8192"))
	}
	if s.RootFS != "" {
		if err := diskSpec(s.RootFS); err != nil {
			return invalid(err)
		}
	}
	if err := checkNewGuest(s.Bridge, s.Pool, s.Tags, s.Description); err != nil {
		return err
	}
	if len(s.SSHPublicKeys) > 16384 {
		return invalid(fmt.Errorf("ssh keys are longer than 16384 characters"))
	}
	return nil
}

// CreateContainerRequest describes POST /nodes/{node}/lxc.
func CreateContainerRequest(node string, s ContainerSpec) (Request, error) {
	if err := ValidVMID(s.VMID); err != nil {
		return Request{}, invalid(err)
	}
	if err := s.Validate(); err != nil {
		return Request{}, err
	}
	p, err := nodePath(node, "lxc")
	if err != nil {
		return Request{}, err
	}
	q := params{"vmid": {strconv.Itoa(s.VMID)}, "ostemplate": {s.OSTemplate}}
	q.set("hostname", s.Hostname)
	q.setInt("memory", s.Memory)
	q.setInt("swap", s.Swap)
	q.setInt("cores", s.Cores)
	q.set("rootfs", s.RootFS)
	if s.Bridge != "" {
		q.set("net0", "name=eth0,bridge="+s.Bridge+",ip=dhcp")
	}
	q.setBool("unprivileged", s.Unprivileged)
	q.set("ssh-public-keys", s.SSHPublicKeys)
	setNewGuest(q, s.Start, s.Tags, s.Pool, s.Description)
	return Request{method: "POST", path: p, params: url.Values(q)}, nil
}

// Submit sends a write that starts a task and returns the task's id. A write is sent exactly once. An answer
// that is not a UPID (vzdump's "OK" when the guest is on another node) is an error matching ErrNoTask.
func (c *Client) Submit(ctx context.Context, req Request) (UPID, error) {
	if !req.ReturnsTask() {
		// Sent, its answer would not be a task id: refuse before sending rather than after.
		return UPID{}, fmt.Errorf("%w: %s does not start a task", ErrInvalidRequest, req)
	}
	var s string
	if req.limit == 0 {
		req.limit = objectBody // a task id, or Proxmox's "OK"
	}
	if _, err := c.do(ctx, req, &s); err != nil {
		return UPID{}, err
	}
	u, err := ParseUPID(s)
	if err != nil {
		return UPID{}, fmt.Errorf("%w: %s answered %s instead of a task id", ErrNoTask, req, quote(c.redactor.String(s)))
	}
	return u, nil
}
