// Package pvesim is to Proxmox VE what net/http/httptest is to net/http: an http.Handler that answers the
// Proxmox VE REST API (/api2/json/…) from an in-memory cluster, faithful to the official schema and to what
// real servers send (../shared/pve-api): field names and JSON types, 0/1 booleans, numbers as strings where
// PVE sends strings, errors in the HTTP reason phrase plus a "message" body member, 400 errors maps, 401 with
// an empty body, 595 for an unreachable node, UPIDs and lazily advancing tasks.
//
// Tests of the client, of the MCP tools, and the product's demo mode run against it:
//
//	srv := pvesim.Serve(pvesim.New(pvesim.Default()))
//	defer srv.Close()
//	// srv.URL, srv.Fingerprint, pvesim.DefaultTokenID, pvesim.DefaultTokenSecret
//
// It answers the whole API of the official schema (package pve/schema, 649 operations): the operations it
// models (guests, power, snapshots, clones, backups, tasks, storage content, pools, HA resources, firewall
// rules and security groups, configuration changes with their pending values, disk resizes, migrations, the
// QEMU guest agent's reads and exec, a container's interfaces) from the cluster's state; every other GET with deterministic data shaped by the
// operation's returns schema (a directory index lists the paths below it); every other write with what the
// schema says it returns: a UPID whose task completes OK, null, or data of the returns shape. Those writes
// change no state; the request log has them like any other.
//
// A request goes through the steps pveproxy takes, in its order: HTTP method check (501 "method 'HEAD' not
// available"), injected faults, body check (a body on GET or DELETE: 501), authentication (401 "No ticket"
// or "Authentication failed!"), method lookup in the schema (501 "Method 'GET /x' not implemented"),
// methods closed to API tokens (403 "… not available with API token, need proper ticket."), the schema's
// permission check (403 "Permission check failed (/vms/100, VM.PowerMgmt)"; operations without permissions
// are root@pam's alone, so every token gets "Permission check failed (user != root@pam)", as on a real
// cluster), proxying to the path's node (500 "hostname lookup 'x' failed …" for an unknown node, 595 "No
// route to host" for an offline one), parameter validation against the schema (400 with one error per
// parameter, schema.Operation.CheckRaw), then the handler.
//
// Choices where Proxmox is not specific, or where the simulator deliberately simplifies:
//   - the simulator answers as the cluster's first node (local 1 in /cluster/status); taking that node offline
//     only affects /nodes/NODE/… requests.
//   - a well-formed node name that is not in the cluster answers 500 "hostname lookup 'NAME' failed - failed to
//     get address info for: NAME: Name or service not known" (what pveproxy's proxying says); a malformed one
//     answers 400 from parameter validation.
//   - answers pveproxy produces below the API (401, 595/596, "method 'HEAD' not available", "Unexpected
//     content for method 'GET'") have an empty body; all others carry {"data":null,"message":…}. Paths outside
//     /api2/json answer 501 "Method '… /path' not implemented" once authenticated.
//   - GET /cluster/nextid answers a string ("107"), as real servers do although the schema says integer.
//   - privileges are granted on "/" and propagate; a token either sees a class of objects or does not.
//   - for an operation the schema opens to "all" users, the handler's own checks (which the schema describes
//     only in words) are made only where the simulator models the operation.
//   - lock checks happen when the request arrives (500 "VM is locked (backup)"), not inside the task, and a
//     guest held by a running task without a config lock answers 500 "can't lock file … - got timeout". A
//     backup job is the exception, as in PVE: a locked guest makes its part of the job fail (exit status
//     "job errors").
//   - snapshot name taken and missing ostemplate answer 500 at once (PVE would fail inside the task).
//   - vzdump without storage uses "local"; without compress it writes uncompressed .vma/.tar (the schema's
//     default 0); a vmid that exists nowhere is counted as local and fails inside the job.
//   - create with start=1 queues a separate start task when the create ends, as qemu-server and pve-container
//     do through their start API; a clone's source is held by the config file lock, only the new guest carries
//     the "clone" lock.
//   - a token never counts as root@pam: skiplock=1 answers 400 "Only root may use this option.".
//   - times in logs and backup names are UTC.
//   - container disks are named subvol-VMID-disk-N even on local-lvm, like the demo's volumes.
//   - restoring from a backup archive (archive=, restore=1) is not simulated: 500.
//   - answers are never gzip-compressed.
//   - a VM's guest agent answers DefaultAgentBootDelay after the VM starts (WithAgentBootDelay), when its config
//     enables it and its guest has it (SetAgentInstalled); it reports what the config implies (agent.go).
//   - agent exec knows a few programs of a Linux guest (programs.go); their output is complete at once, sleep
//     alone takes time. A program it lacks fails the exec with "VM N qmp command 'guest-exec' failed - Failed to
//     execute child process “P” (No such file or directory)", a second exec-status of a finished process with
//     "… 'guest-exec-status' failed - Invalid parameter 'pid'" (QMP's wording, as qemu-server passes it on).
//   - a running VM takes name, notes, tags, onboot, balloon, NICs and cloud-init settings at once and the rest
//     (cores, memory, …) at its next boot (the default hotplug setting); a running container takes everything
//     but its OS and features at once. Disks cannot be added or removed through the config.
//   - every node has every storage, so every other node may take any guest; a VM with a host device may not
//     move; an HA-managed guest migrates like any other (no hamigrate task).
//   - a stopped container's interfaces are null (PVE finds no process to ask).
package pvesim
