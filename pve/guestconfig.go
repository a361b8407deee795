package pve

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/pve/internal/lazyre"
)

// ConfigChange is a change to a guest's options: Set gives options new values (as Proxmox writes them:
// "4096", "ip=dhcp"), Delete removes options. Digest, when set, makes Proxmox refuse the change if the
// configuration changed since it was read.
type ConfigChange struct {
	Set    map[string]string
	Delete []string
	Digest string
}

// ConfigRequest describes PUT …/config, which Proxmox carries out before it answers (Write): a running guest
// takes some options at once and keeps the rest pending until its next boot (PendingConfig tells which).
// Every option is checked against the schema of the guest type's config.
func ConfigRequest(g GuestRef, ch ConfigChange) (Request, error) {
	if len(ch.Set) == 0 && len(ch.Delete) == 0 {
		return Request{}, invalid(errors.New("the change sets and deletes nothing"))
	}
	vars, err := g.vars()
	if err != nil {
		return Request{}, err
	}
	args := make(map[string]any, len(ch.Set)+2)
	for k, v := range ch.Set {
		if err := checkOption(k, v); err != nil {
			return Request{}, invalid(err)
		}
		args[k] = v
	}
	if len(ch.Delete) > 0 {
		del := append([]string(nil), ch.Delete...)
		sort.Strings(del)
		for _, k := range del {
			if _, both := ch.Set[k]; both {
				return Request{}, invalid(fmt.Errorf("option %s is both set and deleted", quote(k)))
			}
		}
		args["delete"] = strings.Join(del, ",")
	}
	if ch.Digest != "" {
		args["digest"] = ch.Digest
	}
	return checked("PUT", "/nodes/{node}/"+string(g.Type)+"/{vmid}/config", vars, args)
}

// checkOption checks what the schema names without spelling out: cloud-init's network settings.
func checkOption(key, value string) error {
	switch {
	case strings.HasPrefix(key, "ipconfig"):
		return ValidIPConfig(value)
	case key == "nameserver":
		return ValidNameservers(value)
	case key == "searchdomain":
		return ValidSearchDomains(value)
	}
	return nil
}

// Text is a value Proxmox may send as a JSON string or as a number or boolean: its text.
type Text string

// UnmarshalJSON implements json.Unmarshaler.
func (t *Text) UnmarshalJSON(data []byte) error {
	data = bytes.TrimSpace(data)
	switch {
	case len(data) > 0 && data[0] == '"':
		var s string
		if err := json.Unmarshal(data, &s); err != nil {
			return err
		}
		*t = Text(s)
	case string(data) == "null":
		*t = ""
	case string(data) == "true":
		*t = "1"
	case string(data) == "false":
		*t = "0"
	default:
		if !json.Valid(data) || data[0] == '{' || data[0] == '[' {
			return fmt.Errorf("text: cannot decode %.32q", data)
		}
		*t = Text(data)
	}
	return nil
}

// PendingOption is one option of GET …/pending: its current value, and a value or a delete waiting for the
// guest's next boot.
type PendingOption struct {
	Key     string `json:"key"`
	Value   *Text  `json:"value"`
	Pending *Text  `json:"pending"`
	Delete  Int    `json:"delete"`
}

// IsPending reports whether the option changes at the next boot.
func (p PendingOption) IsPending() bool { return p.Pending != nil || p.Delete > 0 }

// PendingConfig is GET …/pending.
func (c *Client) PendingConfig(ctx context.Context, g GuestRef) ([]PendingOption, error) {
	p, err := g.path("pending")
	if err != nil {
		return nil, err
	}
	return get[[]PendingOption](ctx, c, p, nil, listBody, "read the pending changes of "+g.String())
}

// ResizeRequest describes PUT …/resize of one disk (scsi0, rootfs, …): size "+10G" grows it by, "40G" grows
// it to (K, M, G or T; bytes without a unit). Proxmox cannot shrink a disk; the task fails if asked to.
func ResizeRequest(g GuestRef, disk, size string) (Request, error) {
	vars, err := g.vars()
	if err != nil {
		return Request{}, err
	}
	return checked("PUT", "/nodes/{node}/"+string(g.Type)+"/{vmid}/resize", vars, map[string]any{"disk": disk, "size": size})
}

// MigrateOptions are the settings of a migration.
type MigrateOptions struct {
	Target string
	// Online moves a running VM without stopping it; a running VM moves only so.
	Online bool
	// WithLocalDisks copies a running VM's disks on node-local storage while it moves.
	WithLocalDisks bool
	// Restart moves a running container by stopping it and starting it on the target.
	Restart bool
}

// MigrateRequest describes POST …/migrate, which starts a task on the guest's node.
func MigrateRequest(g GuestRef, o MigrateOptions) (Request, error) {
	vars, err := g.vars()
	if err != nil {
		return Request{}, err
	}
	if o.Target == g.Node {
		return Request{}, invalid(fmt.Errorf("%s is already on node %s", g, g.Node))
	}
	args := map[string]any{"target": o.Target}
	switch {
	case g.Type == Qemu && o.Restart:
		return Request{}, invalid(errors.New("restart applies to containers; a running VM migrates online"))
	case g.Type == LXC && o.WithLocalDisks:
		return Request{}, invalid(errors.New("with-local-disks applies to VMs; a container's volumes always move"))
	}
	if o.Online {
		args["online"] = true
	}
	if o.WithLocalDisks {
		args["with-local-disks"] = true
	}
	if o.Restart {
		args["restart"] = true
	}
	return checked("POST", "/nodes/{node}/"+string(g.Type)+"/{vmid}/migrate", vars, args)
}

// Migration is GET …/migrate: what Proxmox checks before a migration, without starting one.
type Migration struct {
	Running bool
	Allowed []string
	// NotAllowed gives, for each node that cannot take the guest, why: storages it lacks, HA resources in
	// the way.
	NotAllowed map[string][]string
	LocalDisks []LocalDisk
	// LocalResources block migration: host devices passed to the VM.
	LocalResources []string
}

// LocalDisk is a disk of the guest on storage only its node has.
type LocalDisk struct {
	VolID  string `json:"volid"`
	Size   Int    `json:"size"`
	CDROM  Bool   `json:"cdrom"`
	Unused Bool   `json:"is_unused"`
}

// CloudInit reports whether the disk is a cloud-init drive (a volume named vm-N-cloudinit, the rule
// QemuMigrate applies): listed as a CD-ROM, it is a generated disk that migrates with the VM, where any
// other CD-ROM image on node-local storage stops the migration ("local cdrom image").
func (d LocalDisk) CloudInit() bool { return cloudInitVolume.MatchString(d.VolID) }

var cloudInitVolume = &lazyre.Regexp{Src: `vm-\d+-cloudinit`}

// MigrationCheck is GET …/migrate, for target ("" for none: all nodes are judged).
func (c *Client) MigrationCheck(ctx context.Context, g GuestRef, target string) (Migration, error) {
	p, err := g.path("migrate")
	if err != nil {
		return Migration{}, err
	}
	var q url.Values
	if target != "" {
		if err := ValidNode(target); err != nil {
			return Migration{}, invalid(err)
		}
		q = url.Values{"target": {target}}
	}
	// VMs and containers spell the lists differently.
	raw, err := get[struct {
		Running          Bool                       `json:"running"`
		AllowedNodes     []string                   `json:"allowed_nodes"`
		AllowedNodesCT   []string                   `json:"allowed-nodes"`
		NotAllowedNodes  map[string]json.RawMessage `json:"not_allowed_nodes"`
		NotAllowedNodesC map[string]json.RawMessage `json:"not-allowed-nodes"`
		LocalDisks       []LocalDisk                `json:"local_disks"`
		LocalResources   []string                   `json:"local_resources"`
	}](ctx, c, p, q, objectBody, "read the migration preconditions of "+g.String())
	if err != nil {
		return Migration{}, err
	}
	m := Migration{Running: bool(raw.Running), Allowed: append(raw.AllowedNodes, raw.AllowedNodesCT...),
		LocalDisks: raw.LocalDisks, LocalResources: raw.LocalResources}
	for _, set := range []map[string]json.RawMessage{raw.NotAllowedNodes, raw.NotAllowedNodesC} {
		for node, why := range set {
			if m.NotAllowed == nil {
				m.NotAllowed = map[string][]string{}
			}
			m.NotAllowed[node] = notAllowedReasons(why)
		}
	}
	return m, nil
}

// notAllowedReasons reads one node's entry of not_allowed_nodes ({unavailable_storages, blocking-ha-resources});
// an entry of another shape says only that the node is not allowed.
func notAllowedReasons(raw json.RawMessage) []string {
	var why struct {
		Storages []string `json:"unavailable_storages"`
		HA       []struct {
			SID   string `json:"sid"`
			Cause string `json:"cause"`
		} `json:"blocking-ha-resources"`
	}
	if json.Unmarshal(raw, &why) != nil {
		return []string{"not allowed"}
	}
	var out []string
	for _, s := range why.Storages {
		out = append(out, "storage "+s+" is not available there")
	}
	for _, h := range why.HA {
		out = append(out, "HA resource "+h.SID+" blocks it ("+h.Cause+")")
	}
	if len(out) == 0 {
		out = []string{"not allowed"}
	}
	return out
}

// WaitUnlocked polls a guest's status until it carries no lock (a clone or a migration it is part of has
// ended) or the bound passes; it returns the lock it saw last ("" when it is free).
func (c *Client) WaitUnlocked(ctx context.Context, g GuestRef, bound time.Duration) (string, error) {
	st, _, err := pollUntil(ctx, c, bound, func() (GuestStatus, bool, error) {
		st, err := c.GuestStatus(ctx, g)
		return st, err == nil && st.Lock == "", err
	})
	return st.Lock, err
}

// diskKeyPattern is a disk's option name: a VM's scsiN, virtioN, sataN, ideN, efidisk0, tpmstate0, a
// container's rootfs and mpN.
var diskKeyPattern = &lazyre.Regexp{Src: `^(scsi[0-9]{1,2}|virtio[0-9]{1,2}|sata[0-9]|ide[0-9]|efidisk0|tpmstate0|rootfs|mp[0-9]{1,3})$`}

// ValidDiskKey checks a disk's option name (scsi0, virtio1, rootfs, mp0, …).
func ValidDiskKey(s string) error {
	if !diskKeyPattern.MatchString(s) {
		return fmt.Errorf("disk %s is not a disk's name (scsi0, virtio0, sata0, ide0, efidisk0, tpmstate0, rootfs, mp0, …)", quote(s))
	}
	return nil
}

// diskSizePattern is the schema's resize size: \+?\d+(\.\d+)?[KMGT]?
var diskSizePattern = &lazyre.Regexp{Src: `^\+?[0-9]{1,12}(\.[0-9]{1,6})?[KMGT]?$`}

// ParseDiskSize reads a size as resize takes it ("+10G", "40G", "512M", bytes without a unit): the bytes it
// names and whether it is relative (a leading +).
func ParseDiskSize(s string) (bytes int64, relative bool, err error) {
	if !diskSizePattern.MatchString(s) {
		return 0, false, fmt.Errorf("size %s is not +N or N with an optional unit K, M, G or T (+10G grows by 10 GiB, 40G grows to 40 GiB)", quote(s))
	}
	num, relative := strings.CutPrefix(s, "+")
	mult := 1.0
	if u := strings.IndexAny(num, "KMGT"); u >= 0 {
		mult = map[byte]float64{'K': 1 << 10, 'M': 1 << 20, 'G': 1 << 30, 'T': 1 << 40}[num[u]]
		num = num[:u]
	}
	f, err := strconv.ParseFloat(num, 64)
	if err != nil || f*mult > 1<<50 {
		return 0, false, fmt.Errorf("size %s is out of range", quote(s))
	}
	return int64(f * mult), relative, nil
}

// DiskSize is the size= of a disk's option value (local-lvm:vm-100-disk-0,size=32G), 0 when it has none.
func DiskSize(value string) int64 {
	for _, part := range strings.Split(value, ",") {
		if v, ok := strings.CutPrefix(part, "size="); ok {
			if n, rel, err := ParseDiskSize(v); err == nil && !rel {
				return n
			}
		}
	}
	return 0
}
