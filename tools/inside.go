package tools

import "github.com/proxmox-mcp/proxmox-mcp/gate"

// insideTools look into guests and make the everyday changes to them: the guest agent's view, a command run
// inside, settings, disks, migration, and provisioning in one call. They form the toolset "guest".
func insideTools() []Def {
	defs := []Def{
		define("proxmox_guest_info", gate.Read,
			"through the QEMU guest agent: OS, hostname, interfaces with addresses, filesystems; a container's interfaces",
			"Inside a guest: OS, hostname, IP addresses, disk use.",
			privs("VM.Audit", "VM.GuestAgent.Audit|VM.GuestAgent.Unrestricted"), guestInfo),
		define("proxmox_guest_exec", gate.Exec,
			"run a command (an argv array) in a VM through its agent; exit code and output, bounded",
			"Run a program in a VM; needs an operator-allowed program.",
			privs("VM.GuestAgent.Unrestricted"), guestExec),
		define("proxmox_update_config", gate.Write,
			"change cores, memory, name, description (the notes), tags, onboot, cloud-init; says what is live and what waits for a reboot",
			"Change a guest's CPU, memory, name, description (notes), tags or cloud-init.",
			privs("VM.Config.CPU", "VM.Config.Memory", "VM.Config.Options", "VM.Config.Cloudinit", "VM.Config.Network"), updateConfig),
		define("proxmox_resize_disk", gate.Write,
			"grow a disk by +SIZE or to SIZE (never shrinks)",
			"Grow a guest's disk.",
			privs("VM.Config.Disk", "Datastore.AllocateSpace"), resizeDisk),
		define("proxmox_migrate_resource", gate.Write,
			"move a guest to another node; dry_run shows Proxmox's preconditions",
			"Move a guest to another node; dry_run shows Proxmox's checks.",
			privs("VM.Migrate"), migrateGuest),
		define("proxmox_provision_vm", gate.Write,
			"one call: clone a template, cloud-init, cores/memory, grow the disk, start, wait for the IP; resumable",
			"New VM from a template with cloud-init, started; returns its IP. Resume with vmid.",
			privs("VM.Clone", "VM.Allocate", "Datastore.AllocateSpace", "SDN.Use", "VM.Config.Cloudinit", "VM.Config.CPU",
				"VM.Config.Memory", "VM.Config.Disk", "VM.PowerMgmt", "VM.GuestAgent.Audit|VM.GuestAgent.Unrestricted"), provisionVM),
	}
	for i := range defs {
		defs[i].Toolset = ToolsetGuest
	}
	return defs
}
