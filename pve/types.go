package pve

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Field names below are the schema's (../shared/pve-api/endpoints.md); types are the tolerant ones from
// decode.go wherever a real server has been seen to vary.

// Version is GET /version.
type Version struct {
	Version string `json:"version"`
	Release string `json:"release"`
	RepoID  string `json:"repoid"`
}

// ClusterStatusItem is one entry of GET /cluster/status: the cluster itself (Type "cluster") or a node.
type ClusterStatusItem struct {
	Type    string `json:"type"`
	ID      string `json:"id"`
	Name    string `json:"name"`
	IP      string `json:"ip"`
	Level   string `json:"level"`
	Local   Bool   `json:"local"`
	Online  Bool   `json:"online"`
	Quorate Bool   `json:"quorate"`
	NodeID  Int    `json:"nodeid"`
	Nodes   Int    `json:"nodes"`
	Version Int    `json:"version"`
}

// Resource is one entry of GET /cluster/resources. Guests (Type qemu or lxc) of an offline node have Status
// "unknown" and no name or usage.
type Resource struct {
	ID         string `json:"id"`
	Type       string `json:"type"` // qemu, lxc, node, storage, pool, sdn
	Node       string `json:"node"`
	Name       string `json:"name"`
	Status     string `json:"status"`
	VMID       Int    `json:"vmid"`
	Template   Bool   `json:"template"`
	Tags       string `json:"tags"`
	Lock       string `json:"lock"`
	Pool       string `json:"pool"`
	HAState    string `json:"hastate"`
	CPU        Float  `json:"cpu"`
	MaxCPU     Float  `json:"maxcpu"`
	Mem        Int    `json:"mem"`
	MaxMem     Int    `json:"maxmem"`
	Disk       Int    `json:"disk"`
	MaxDisk    Int    `json:"maxdisk"`
	NetIn      Int    `json:"netin"`
	NetOut     Int    `json:"netout"`
	DiskRead   Int    `json:"diskread"`
	DiskWrite  Int    `json:"diskwrite"`
	Uptime     Int    `json:"uptime"`
	Storage    string `json:"storage"`
	Content    string `json:"content"`
	PluginType string `json:"plugintype"`
	Shared     Bool   `json:"shared"`
}

// IsGuest reports whether the resource is a VM or a container.
func (r Resource) IsGuest() bool { return r.Type == string(Qemu) || r.Type == string(LXC) }

// TagList splits Tags the way Proxmox does (on ';', ',' and whitespace).
func (r Resource) TagList() []string { return SplitTags(r.Tags) }

// SplitTags splits a pve-tag-list.
func SplitTags(s string) []string {
	if s == "" {
		return nil
	}
	return strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' || r == ' ' || r == '\t' || r == '\n' })
}

// GuestStatus is GET /nodes/{node}/{qemu|lxc}/{vmid}/status/current, and one entry of the per-node lists.
type GuestStatus struct {
	Type      string `json:"type"` // qemu or lxc; absent from older qemu answers
	VMID      Int    `json:"vmid"`
	Name      string `json:"name"`
	Status    string `json:"status"`    // running, stopped
	QMPStatus string `json:"qmpstatus"` // qemu: running, paused, prelaunch, ...
	Lock      string `json:"lock"`
	Tags      string `json:"tags"`
	Template  Bool   `json:"template"`
	CPU       Float  `json:"cpu"`
	CPUs      Float  `json:"cpus"`
	Mem       Int    `json:"mem"`
	MaxMem    Int    `json:"maxmem"`
	Disk      Int    `json:"disk"`
	MaxDisk   Int    `json:"maxdisk"`
	Swap      Int    `json:"swap"`
	MaxSwap   Int    `json:"maxswap"`
	NetIn     Int    `json:"netin"`
	NetOut    Int    `json:"netout"`
	DiskRead  Int    `json:"diskread"`
	DiskWrite Int    `json:"diskwrite"`
	Uptime    Int    `json:"uptime"`
	PID       Int    `json:"pid"`
	Agent     Bool   `json:"agent"`
	HA        struct {
		Managed Bool   `json:"managed"`
		State   string `json:"state"`
		Group   string `json:"group"`
	} `json:"ha"`
	RunningQemu    string `json:"running-qemu"`
	RunningMachine string `json:"running-machine"`
}

// GuestConfig is a guest's configuration: keys as Proxmox names them (name, memory, net0, scsi0, rootfs,
// description, ...), values as JSON sent them (numbers as json.Number).
type GuestConfig map[string]any

// String returns the value of key as text ("" when absent).
func (c GuestConfig) String(key string) string {
	switch v := c[key].(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		if v {
			return "1"
		}
		return "0"
	default:
		b, _ := json.Marshal(v)
		return string(b)
	}
}

// Snapshot is one entry of a snapshot list; the last is the pseudo-snapshot "current".
type Snapshot struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Parent      string `json:"parent"`
	SnapTime    Int    `json:"snaptime"`
	VMState     Bool   `json:"vmstate"`
	Running     Bool   `json:"running"`
}

// Task is one entry of GET /nodes/{node}/tasks. Finished tasks carry the exit text in Status and an
// EndTime; running ones (source=active|all) have Status "RUNNING".
type Task struct {
	UPID      string `json:"upid"`
	Node      string `json:"node"`
	Type      string `json:"type"`
	ID        string `json:"id"`
	User      string `json:"user"`
	TokenID   string `json:"tokenid"`
	Status    string `json:"status"`
	StartTime Int    `json:"starttime"`
	EndTime   Int    `json:"endtime"`
	PID       Int    `json:"pid"`
	PStart    Int    `json:"pstart"`
}

// TaskStatus is GET /nodes/{node}/tasks/{upid}/status.
type TaskStatus struct {
	UPID       string `json:"upid"`
	Node       string `json:"node"`
	Type       string `json:"type"`
	ID         string `json:"id"`
	User       string `json:"user"`
	TokenID    string `json:"tokenid"`
	Status     string `json:"status"` // running, stopped
	ExitStatus string `json:"exitstatus"`
	StartTime  Int    `json:"starttime"`
	PID        Int    `json:"pid"`
	PStart     Int    `json:"pstart"`
}

// Running reports whether the task has not finished.
func (s TaskStatus) Running() bool { return s.Status != "stopped" }

// LogLine is one line of a task log; N counts from 1.
type LogLine struct {
	N Int    `json:"n"`
	T string `json:"t"`
}

// Storage is one entry of GET /nodes/{node}/storage.
type Storage struct {
	Storage      string `json:"storage"`
	Type         string `json:"type"`
	Content      string `json:"content"`
	Active       Bool   `json:"active"`
	Enabled      Bool   `json:"enabled"`
	Shared       Bool   `json:"shared"`
	Total        Int    `json:"total"`
	Used         Int    `json:"used"`
	Avail        Int    `json:"avail"`
	UsedFraction Float  `json:"used_fraction"`
}

// HasContent reports whether the storage holds the given content type (backup, vztmpl, iso, images, ...).
func (s Storage) HasContent(content string) bool {
	for _, c := range strings.Split(s.Content, ",") {
		if strings.TrimSpace(c) == content {
			return true
		}
	}
	return false
}

// Volume is one entry of GET /nodes/{node}/storage/{storage}/content.
type Volume struct {
	VolID        string `json:"volid"`
	Content      string `json:"content"`
	Format       string `json:"format"`
	Size         Int    `json:"size"`
	Used         Int    `json:"used"`
	CTime        Int    `json:"ctime"`
	VMID         Int    `json:"vmid"`
	Notes        string `json:"notes"`
	Parent       string `json:"parent"`
	Protected    Bool   `json:"protected"`
	Subtype      string `json:"subtype"`
	Encrypted    string `json:"encrypted"`
	Verification *struct {
		State string `json:"state"`
		UPID  string `json:"upid"`
	} `json:"verification"`
}

// RRDPoint is one sample of GET .../rrddata: time, cpu, maxcpu, mem, maxmem, disk, maxdisk, netin, netout,
// diskread, diskwrite, ... A field is absent where there was no data (a stopped guest has only time and max*).
type RRDPoint map[string]Float

// Get returns a field and whether it was present.
func (p RRDPoint) Get(key string) (float64, bool) {
	v, ok := p[key]
	return float64(v), ok
}

// Permissions is GET /access/permissions: ACL path -> privilege -> 1 when it propagates to children.
type Permissions map[string]map[string]Int
