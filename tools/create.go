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
			"From an ostemplate.",
			createContainer),
		define("proxmox_create_vm", gate.Write,
			"new QEMU VM",
			"New QEMU VM.",
			createVM),
		define("proxmox_clone_resource", gate.Write,
			"clone a VM or container into a new vmid (next free one by default)",
			"To a new vmid.",
			cloneGuest),
	}
}

// defaultBridge is where Proxmox's own wizard attaches a new guest's first network device.
const defaultBridge = "vmbr0"

// nextID picks the vmid a create or clone uses when the caller gave none.
func (e *env) nextID(ctx context.Context, given int) (int, error) {
	if given != 0 {
		return given, nil
	}
	return e.client.NextID(ctx)
}

type createCTArgs struct {
	Node       string `json:"node" arg:"required" check:"node"`
	OSTemplate string `json:"ostemplate" arg:"required" check:"volume"`
	VMID       int    `json:"vmid" check:"vmid"`
	Hostname   string `json:"hostname" check:"dnsname"`
	Memory     int    `json:"memory" min:"16" max:"4194304"`
	Cores      int    `json:"cores" min:"1" max:"8192"`
	Disk       string `json:"disk" maxlen:"80"`
	Bridge     string `json:"bridge" maxlen:"15" schema:"-"`
	SSHKeys    string `json:"ssh_public_keys" maxlen:"16384"`
	Start      bool   `json:"start"`
	writeArgs
}

func createContainer(ctx context.Context, e *env, a *createCTArgs) (*writeResult, error) {
	vmid, err := e.nextID(ctx, a.VMID)
	if err != nil {
		return nil, err
	}
	spec := pve.ContainerSpec{
		VMID: vmid, Hostname: a.Hostname, OSTemplate: a.OSTemplate, Memory: a.Memory, Cores: a.Cores,
		Bridge: orDefault(a.Bridge, defaultBridge), SSHPublicKeys: a.SSHKeys, Start: a.Start,
		// Always unprivileged: the safe default of Proxmox's own wizard. A privileged container is a decision
		// for a person at the console, not for an assistant.
		Unprivileged: true,
	}
	spec.RootFS = orDefault(a.Disk, "local-lvm:8")
	req, err := pve.CreateContainerRequest(a.Node, spec)
	if err != nil {
		return nil, err
	}
	return e.send(ctx, a.writeArgs, &writeResult{Action: "create_container", Node: a.Node,
		what: fmt.Sprintf("create container %d on %s", vmid, a.Node)}, req)
}

type createVMArgs struct {
	Node   string `json:"node" arg:"required" check:"node"`
	VMID   int    `json:"vmid" check:"vmid"`
	Name   string `json:"name" check:"dnsname"`
	Memory int    `json:"memory" min:"16" max:"4194304"`
	Cores  int    `json:"cores" min:"1" max:"1024"`
	Disk   string `json:"disk" maxlen:"80"`
	ISO    string `json:"iso" check:"volume"`
	Bridge string `json:"bridge" maxlen:"15" schema:"-"`
	OSType string `json:"ostype" enum:"l26|win11|win10|win8|win7|other|solaris" schema:"noenum"`
	Start  bool   `json:"start"`
	writeArgs
}

func createVM(ctx context.Context, e *env, a *createVMArgs) (*writeResult, error) {
	vmid, err := e.nextID(ctx, a.VMID)
	if err != nil {
		return nil, err
	}
	spec := pve.VMSpec{VMID: vmid, Name: a.Name, Memory: a.Memory, Cores: a.Cores, OSType: a.OSType,
		ISO: a.ISO, Bridge: orDefault(a.Bridge, defaultBridge), Start: a.Start}
	spec.Disk = orDefault(a.Disk, "local-lvm:32")
	req, err := pve.CreateVMRequest(a.Node, spec)
	if err != nil {
		return nil, err
	}
	return e.send(ctx, a.writeArgs, &writeResult{Action: "create_vm", Node: a.Node,
		what: fmt.Sprintf("create VM %d on %s", vmid, a.Node)}, req)
}

type cloneArgs struct {
	guestArgs
	NewID   int    `json:"newid" check:"vmid"`
	Name    string `json:"name" check:"dnsname"`
	Target  string `json:"target" check:"node"`
	Full    bool   `json:"full" schema:"-"`
	Storage string `json:"storage" check:"storage"`
	writeArgs
}

func cloneGuest(ctx context.Context, e *env, a *cloneArgs) (*writeResult, error) {
	r, err := e.resolve(ctx, a.guestArgs)
	if err != nil {
		return nil, err
	}
	newID, err := e.nextID(ctx, a.NewID)
	if err != nil {
		return nil, err
	}
	// A target storage only applies to a full copy, so naming one asks for it.
	req, err := pve.CloneRequest(r.Ref(), pve.CloneOptions{NewID: newID, Name: a.Name, Target: a.Target, Full: a.Full || a.Storage != "", Storage: a.Storage})
	if err != nil {
		return nil, err
	}
	g := viewLocated(r)
	return e.send(ctx, a.writeArgs, &writeResult{Action: "clone", Target: &g,
		what: fmt.Sprintf("clone %s to %d", g.ref(), newID)}, req)
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
