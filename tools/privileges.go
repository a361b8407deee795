package tools

// Privileges lists, per tool, the Proxmox privileges its requests need (from the "Permissions" of each endpoint
// in ../shared/pve-api/endpoints.md); "A|B" means either. proxmox-mcp doctor compares them with what the
// token holds.
var Privileges = map[string][]string{
	"proxmox_status":          {"Sys.Audit"},
	"proxmox_list_vms":        {"VM.Audit"},
	"proxmox_list_containers": {"VM.Audit"},
	"proxmox_get_resource":    {"VM.Audit"},
	"proxmox_list_snapshots":  {"VM.Audit"},
	"proxmox_recent_tasks":    {"Sys.Audit"},
	"proxmox_get_task_status": {"Sys.Audit"},
	"proxmox_get_task_log":    {"Sys.Audit"},
	"proxmox_list_backups":    {"Datastore.Audit"},
	"proxmox_resource_usage":  {"VM.Audit", "Sys.Audit"},
	"proxmox_list_templates":  {"VM.Audit", "Datastore.Audit"},

	"proxmox_start_resource":    {"VM.PowerMgmt"},
	"proxmox_stop_resource":     {"VM.PowerMgmt"},
	"proxmox_reboot_resource":   {"VM.PowerMgmt"},
	"proxmox_snapshot_resource": {"VM.Snapshot"},
	"proxmox_run_backup":        {"VM.Backup", "Datastore.AllocateSpace"},
	"proxmox_create_container":  {"VM.Allocate", "Datastore.AllocateSpace", "Datastore.AllocateTemplate", "VM.Config.Disk", "VM.Config.CPU", "VM.Config.Memory", "VM.Config.Network", "VM.Config.Options", "SDN.Use"},
	"proxmox_create_vm":         {"VM.Allocate", "Datastore.AllocateSpace", "VM.Config.Disk", "VM.Config.CPU", "VM.Config.Memory", "VM.Config.Network", "VM.Config.CDROM", "VM.Config.Options", "SDN.Use"},
	"proxmox_clone_resource":    {"VM.Clone", "VM.Allocate", "Datastore.AllocateSpace"},

	"proxmox_destroy_resource":    {"VM.Allocate"},
	"proxmox_delete_snapshot":     {"VM.Snapshot"},
	"proxmox_rollback_snapshot":   {"VM.Snapshot.Rollback|VM.Snapshot"},
	"proxmox_force_stop_resource": {"VM.PowerMgmt"},
}
