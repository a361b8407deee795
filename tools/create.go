package tools

import (
	"context"
	"fmt"

	"github.com/proxmox-mcp/proxmox-mcp/gate"
	"github.com/proxmox-mcp/proxmox-mcp/pve"
)

func createTools() []Def {
	return []Def{
		define("proxmox_create_container", gate.Write,
			"new LXC from a template",
			"Create an unprivileged LXC container from a template.",
			privs("VM.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "VM.Config.Disk", "VM.Config.CPU",
				"VM.Config.Memory", "VM.Config.Network", "VM.Config.Options", "SDN.Use"), createContainer),
		define("proxmox_create_vm", gate.Write,
			"new QEMU VM",
			"Create a QEMU VM with a new disk, optionally booting an ISO.",
			privs("VM.Allocate", "Datastore.AllocateSpace", "VM.Config.Disk", "VM.Config.CPU", "VM.Config.Memory",
				"VM.Config.Network", "VM.Config.CDROM", "VM.Config.Options", "SDN.Use"), createVM),
		define("proxmox_clone_resource", gate.Write,
			"clone a VM or container into a new vmid (next free one by default)",
			"Copy a VM or container, often a template, to a new vmid.",
			privs("VM.Clone", "VM.Allocate", "Datastore.AllocateSpace"), cloneGuest),
	}
}

// defaultBridge is where Proxmox's own wizard attaches a new guest's first network device.
const defaultBridge = "vmbr0"

// nextID picks the vmid a create or clone uses when the caller gave none.
func (e *env) nextID(ctx context.Context, c *call, given int) (int, error) {
	if given != 0 {
		return given, nil
	}
	return c.pve.NextID(ctx)
}

type createCTArgs struct {
	Node       string `json:"node" arg:"required" check:"node" desc:"Target node"`
	OSTemplate string `json:"ostemplate" arg:"required" check:"volume" desc:"Template volume id"`
	VMID       int    `json:"vmid" check:"vmid" desc:"Default: next free"`
	Hostname   string `json:"hostname" check:"dnsname" desc:"Host name"`
	Memory     int    `json:"memory" min:"16" max:"4194304" desc:"MiB, default 512"`
	Cores      int    `json:"cores" min:"1" max:"8192" desc:"CPU cores"`
	Disk       string `json:"disk" check:"disk" desc:"STORAGE:GiB, default local-lvm:8"`
	Bridge     string `json:"bridge" check:"bridge" desc:"Default vmbr0"`
	SSHKeys    string `json:"ssh_public_keys" maxlen:"16384" desc:"Root's SSH keys"`
	Start      bool   `json:"start" desc:"Start when created"`
	writeArgs
}

func createContainer(ctx context.Context, e *env, c *call, a *createCTArgs) (*writeResult, error) {
	spec := pve.ContainerSpec{
		VMID: a.VMID, Hostname: a.Hostname, OSTemplate: a.OSTemplate, Memory: a.Memory, Cores: a.Cores,
		Bridge: orDefault(a.Bridge, defaultBridge), SSHPublicKeys: a.SSHKeys, Start: a.Start,
		// Always unprivileged: the safe default of Proxmox's own wizard. A privileged container is a decision
		// for a person at the console, not for an assistant.
		Unprivileged: true,
		RootFS:       orDefault(a.Disk, "local-lvm:8"),
	}
	// Everything is checked before the next free vmid is asked for: bad input makes no request at all.
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	vmid, err := e.nextID(ctx, c, a.VMID)
	if err != nil {
		return nil, err
	}
	spec.VMID = vmid
	req, err := pve.CreateContainerRequest(a.Node, spec)
	if err != nil {
		return nil, err
	}
	g := guestView{VMID: vmid, Type: string(pve.LXC), Name: a.Hostname, Node: a.Node}
	return e.send(ctx, c, &writeResult{action: "create_container", Target: &g, what: "create " + g.ref()}, req)
}

type createVMArgs struct {
	Node   string `json:"node" arg:"required" check:"node" desc:"Target node"`
	VMID   int    `json:"vmid" check:"vmid" desc:"Default: next free"`
	Name   string `json:"name" check:"dnsname" desc:"VM name"`
	Memory int    `json:"memory" min:"16" max:"4194304" desc:"MiB, default 512"`
	Cores  int    `json:"cores" min:"1" max:"1024" desc:"Default 1"`
	Disk   string `json:"disk" check:"disk" desc:"STORAGE:GiB, default local-lvm:32"`
	ISO    string `json:"iso" check:"volume" desc:"ISO volume id"`
	Bridge string `json:"bridge" check:"bridge" desc:"Default vmbr0"`
	OSType string `json:"ostype" enum:"l26|win11|win10|win8|win7|other|solaris" desc:"Default other"`
	Start  bool   `json:"start" desc:"Start when created"`
	writeArgs
}

func createVM(ctx context.Context, e *env, c *call, a *createVMArgs) (*writeResult, error) {
	spec := pve.VMSpec{VMID: a.VMID, Name: a.Name, Memory: a.Memory, Cores: a.Cores, OSType: a.OSType,
		ISO: a.ISO, Bridge: orDefault(a.Bridge, defaultBridge), Start: a.Start, Disk: orDefault(a.Disk, "local-lvm:32")}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	vmid, err := e.nextID(ctx, c, a.VMID)
	if err != nil {
		return nil, err
	}
	spec.VMID = vmid
	req, err := pve.CreateVMRequest(a.Node, spec)
	if err != nil {
		return nil, err
	}
	g := guestView{VMID: vmid, Type: string(pve.Qemu), Name: a.Name, Node: a.Node}
	return e.send(ctx, c, &writeResult{action: "create_vm", Target: &g, what: "create " + g.ref()}, req)
}

type cloneArgs struct {
	vmidArg
	NewID   int    `json:"newid" check:"vmid" desc:"Default: next free"`
	Name    string `json:"name" check:"dnsname" desc:"Name of copy"`
	Target  string `json:"target" check:"node" desc:"Target node"`
	Full    bool   `json:"full" desc:"Full copy, not linked"`
	Storage string `json:"storage" check:"storage" desc:"For a full copy"`
	writeArgs
}

func cloneGuest(ctx context.Context, e *env, c *call, a *cloneArgs) (*writeResult, error) {
	if a.NewID != 0 && a.NewID == a.VMID {
		return nil, &ArgError{Problems: []string{fmt.Sprintf("newid: got %d, the source's own vmid; expected another id, or none for the next free one", a.NewID)}}
	}
	// A target storage only applies to a full copy, so naming one asks for it.
	opts := pve.CloneOptions{NewID: a.NewID, Name: a.Name, Target: a.Target, Full: a.Full || a.Storage != "", Storage: a.Storage}
	if err := opts.Validate(a.VMID); err != nil {
		return nil, err
	}
	r, err := e.target(ctx, c, a.vmidArg)
	if err != nil {
		return nil, err
	}
	if opts.NewID, err = e.nextID(ctx, c, a.NewID); err != nil {
		return nil, err
	}
	req, err := pve.CloneRequest(r.Ref(), opts)
	if err != nil {
		return nil, err
	}
	g := viewLocated(r)
	return e.send(ctx, c, &writeResult{action: "clone", Target: &g,
		what: fmt.Sprintf("clone %s to %d", g.ref(), opts.NewID)}, req)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
