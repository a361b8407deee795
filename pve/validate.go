package pve

import (
	"fmt"
	"regexp"
	"strings"
)

// The formats below come from pve-common src/PVE/JSONSchema.pm, as listed in ../shared/pve-api/README.md.
// They are checked before any value becomes part of a request path or parameter.
const (
	MinVMID = 100
	MaxVMID = 999999999

	// maxSnapshotNameLen is the schema's maxLength for pve-snapshot-name.
	maxSnapshotNameLen = 40
	// maxNameLen bounds names we accept for nodes and storages; PVE has no explicit limit, DNS labels do.
	maxNameLen = 63
)

var (
	// The schema's patterns are case-insensitive; the classes spell out both cases instead of using (?i),
	// which in Go also folds in non-ASCII letters ("ſ" for s, the Kelvin sign for k).
	nodePattern     = regexp.MustCompile(`^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$`)
	configIDPattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_-]+$`)
	storagePattern  = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9._-]*[a-zA-Z0-9]$`)
	// Pools may nest up to three levels (PVE 8.1+): parent/child/grandchild.
	poolPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+){0,2}$`)
	// dnsName follows pve-common's dns-name format: labels of letters, digits and '-', dot separated.
	dnsNamePattern  = regexp.MustCompile(`^(?:(?:[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?)\.)*(?:[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)$`)
	tokenIDPattern  = regexp.MustCompile(`^[^\s:/@!=]+@[A-Za-z][A-Za-z0-9.\-_]+![A-Za-z][A-Za-z0-9.\-_]+$`)
	volumeIDPattern = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9._-]*[a-zA-Z0-9]:[^\x00-\x1f\x7f\s,]+$`)
	tagPattern      = regexp.MustCompile(`^[a-zA-Z0-9_][a-zA-Z0-9_\-+.]*$`)
)

// ValidVMID reports whether id is in Proxmox's vmid range (format pve-vmid).
func ValidVMID(id int) error {
	if id < MinVMID || id > MaxVMID {
		return fmt.Errorf("vmid %d is out of range: allowed %d…%d", id, MinVMID, MaxVMID)
	}
	return nil
}

// ValidNode checks a node name against format pve-node.
func ValidNode(name string) error {
	if name == "" {
		return fmt.Errorf("node name is empty")
	}
	if len(name) > maxNameLen || !nodePattern.MatchString(name) {
		return fmt.Errorf("node %s is not a valid node name: letters, digits and '-' (not first or last), at most %d characters", quote(name), maxNameLen)
	}
	return nil
}

// ValidStorage checks a storage id against format pve-storage-id.
func ValidStorage(id string) error {
	if len(id) > maxNameLen || !storagePattern.MatchString(id) {
		return fmt.Errorf("storage %s is not a valid storage id: a letter, then letters, digits, '.', '_' or '-', ending in a letter or digit, at least 2 characters", quote(id))
	}
	return nil
}

// ValidSnapshotName checks a snapshot name against format pve-snapshot-name (pve-configid, at most 40
// characters). "current" and "pending" are reserved by qemu and refused for both guest types.
func ValidSnapshotName(name string) error {
	if len(name) > maxSnapshotNameLen || !configIDPattern.MatchString(name) {
		return fmt.Errorf("snapshot name %s is not valid: a letter, then letters, digits, '_' or '-', 2 to %d characters", quote(name), maxSnapshotNameLen)
	}
	if l := strings.ToLower(name); l == "current" || l == "pending" {
		return fmt.Errorf("snapshot name %s is reserved by Proxmox", quote(name))
	}
	return nil
}

// ValidPool checks a pool id against format pve-poolid.
func ValidPool(id string) error {
	if len(id) > maxNameLen || !poolPattern.MatchString(id) {
		return fmt.Errorf("pool %s is not a valid pool id: letters, digits, '.', '_', '-', nested with '/' at most 3 deep", quote(id))
	}
	return nil
}

// ValidDNSName checks a guest name or container hostname against format dns-name.
func ValidDNSName(name string) error {
	if len(name) > 255 || !dnsNamePattern.MatchString(name) {
		return fmt.Errorf("name %s is not a valid DNS name: labels of letters, digits and '-', separated by '.'", quote(name))
	}
	return nil
}

// ValidVolumeID checks a volume id of the form STORAGE:PATH (format pve-volume-id), such as
// local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst.
func ValidVolumeID(id string) error {
	if len(id) > 255 || !volumeIDPattern.MatchString(id) {
		return fmt.Errorf("volume %s is not a valid volume id: STORAGE:PATH, e.g. local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", quote(id))
	}
	return nil
}

// ValidTag checks one guest tag (format pve-tag).
func ValidTag(tag string) error {
	if len(tag) > 128 || !tagPattern.MatchString(tag) {
		return fmt.Errorf("tag %s is not valid: letters, digits, '_', '-', '+', '.'", quote(tag))
	}
	return nil
}

// ValidTokenID checks an API token id of the form user@realm!tokenid.
func ValidTokenID(id string) error {
	if !tokenIDPattern.MatchString(id) {
		return fmt.Errorf("token id is not of the form user@realm!tokenid")
	}
	return nil
}

// quote shows a user-supplied value in an error, short and with control characters escaped, so an error
// message can never smuggle a newline or an escape sequence into a log line.
func quote(s string) string {
	const max = 64
	if len(s) > max {
		return fmt.Sprintf("%q…", s[:max])
	}
	return fmt.Sprintf("%q", s)
}
