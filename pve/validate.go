package pve

import (
	"fmt"
	"strings"

	"github.com/proxmox-mcp/proxmox-mcp/pve/internal/lazyre"
	"github.com/proxmox-mcp/proxmox-mcp/pve/schema"
)

// The formats below are the official API schema's, checked by package schema's format registry (one set of
// rules for the typed builders, the generic API tools and the simulated cluster). Where a value ends up in a
// request path, a header or a property string, the client is stricter than the schema on purpose, and says
// so: ASCII only (Go's case-insensitive patterns also fold "ſ" into s and the Kelvin sign into k), length caps,
// and no comma or space in a volume's path (a comma would start another key of the property string it sits in).
const (
	MinVMID = 100
	MaxVMID = 999999999

	// maxSnapshotNameLen is the schema's maxLength for a snapshot name (snapname: pve-configid, 40).
	maxSnapshotNameLen = 40
	// maxNameLen bounds names we accept for nodes and storages; PVE has no explicit limit, DNS labels do.
	maxNameLen = 63
)

// The schema's format names the validators check.
const (
	formatVMID     = "pve-vmid"
	formatNode     = "pve-node"
	formatConfigID = "pve-configid"
	formatStorage  = "pve-storage-id"
	formatPool     = "pve-poolid"
	formatDNSName  = "dns-name"
	formatVolumeID = "pve-volume-id"
	formatTag      = "pve-tag"
	formatBridge   = "pve-bridge-id"
	formatTokenID  = "pve-tokenid"
)

// conforms reports whether s has the schema's named format.
func conforms(format, s string) bool {
	msg, known := schema.CheckFormat(format, s)
	return known && msg == ""
}

// printableASCII reports whether s holds only printable ASCII (no space, no control character).
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// ValidVMID reports whether id is in Proxmox's vmid range: for an integer, the range is the whole of format
// pve-vmid (^[1-9][0-9]{2,8}$), and the schema's own bounds (TestBoundsAreTheSchemas). It runs for every guest
// a list shows, so it formats no text.
func ValidVMID(id int) error {
	if id < MinVMID || id > MaxVMID {
		return fmt.Errorf("vmid %d is out of range: allowed %d…%d", id, MinVMID, MaxVMID)
	}
	return nil
}

// ValidNode checks a node name against format pve-node, at most 63 characters.
func ValidNode(name string) error {
	if name == "" {
		return fmt.Errorf("node name is empty")
	}
	if len(name) > maxNameLen || !conforms(formatNode, name) {
		return fmt.Errorf("node %s is not a valid node name: letters, digits and '-' (not first or last), at most %d characters", quote(name), maxNameLen)
	}
	return nil
}

// ValidStorage checks a storage id against format pve-storage-id, in ASCII, at most 63 characters.
func ValidStorage(id string) error {
	if len(id) > maxNameLen || !printableASCII(id) || !conforms(formatStorage, id) {
		return fmt.Errorf("storage %s is not a valid storage id: a letter, then letters, digits, '.', '_' or '-', ending in a letter or digit, at least 2 characters", quote(id))
	}
	return nil
}

// ValidSnapshotName checks a snapshot name against the schema's snapname (format pve-configid, at most 40
// characters), in ASCII. "current" and "pending" are reserved by qemu and refused for both guest types.
func ValidSnapshotName(name string) error {
	if len(name) > maxSnapshotNameLen || !printableASCII(name) || !conforms(formatConfigID, name) {
		return fmt.Errorf("snapshot name %s is not valid: a letter, then letters, digits, '_' or '-', 2 to %d characters", quote(name), maxSnapshotNameLen)
	}
	if l := strings.ToLower(name); l == "current" || l == "pending" {
		return fmt.Errorf("snapshot name %s is reserved by Proxmox", quote(name))
	}
	return nil
}

// ValidPool checks a pool id against format pve-poolid (nested with '/' at most 3 deep), at most 63
// characters.
func ValidPool(id string) error {
	if len(id) > maxNameLen || !conforms(formatPool, id) {
		return fmt.Errorf("pool %s is not a valid pool id: letters, digits, '.', '_', '-', nested with '/' at most 3 deep", quote(id))
	}
	return nil
}

// ValidDNSName checks a guest name or container hostname against format dns-name, at most 255 characters.
func ValidDNSName(name string) error {
	if len(name) > 255 || !conforms(formatDNSName, name) {
		return fmt.Errorf("name %s is not a valid DNS name: labels of letters, digits and '-', separated by '.'", quote(name))
	}
	return nil
}

// ValidVolumeID checks a volume id of the form STORAGE:PATH (format pve-volume-id), such as
// local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst: a storage id in ASCII, and a path without control
// characters, spaces or commas, at most 255 characters in all.
func ValidVolumeID(id string) error {
	storage, path, _ := strings.Cut(id, ":")
	if len(id) > 255 || !conforms(formatVolumeID, id) || !printableASCII(storage) || !plainVolumePath(path) {
		return fmt.Errorf("volume %s is not a valid volume id: STORAGE:PATH, e.g. local:vztmpl/debian-12-standard_12.7-1_amd64.tar.zst", quote(id))
	}
	return nil
}

// plainVolumePath: no control character, space or comma (each would break the property string or the line
// a volume is shown in).
func plainVolumePath(p string) bool {
	for i := 0; i < len(p); i++ {
		if c := p[i]; c < 0x20 || c == 0x7f || c == ' ' || c == ',' {
			return false
		}
	}
	return p != ""
}

// ValidTag checks one guest tag (format pve-tag), in ASCII, at most 128 characters.
func ValidTag(tag string) error {
	if len(tag) > 128 || !printableASCII(tag) || !conforms(formatTag, tag) {
		return fmt.Errorf("tag %s is not valid: letters, digits, '_', '-', '+', '.'", quote(tag))
	}
	return nil
}

// ValidBridge checks a bridge name (format pve-bridge-id) that is also a Linux interface name: it starts with
// a letter or digit and has at most 15 bytes.
func ValidBridge(s string) error {
	if len(s) == 0 || len(s) > 15 || s[0] == '-' || s[0] == '_' || s[0] == '.' || !conforms(formatBridge, s) {
		return fmt.Errorf("bridge %s is not a valid bridge name (e.g. vmbr0)", quote(s))
	}
	return nil
}

// tokenIDPattern is the schema's pve-tokenid with a stricter user part: no '@', '!' or '=', because the
// Authorization header (PVEAPIToken=USER@REALM!TOKENID=SECRET) is read up to the first of them. Being stricter,
// it implies the schema's format (a test checks it), so the client checks it alone: a token id is checked at
// start-up, where building the schema's format registry would cost memory the server does not need yet.
var tokenIDPattern = &lazyre.Regexp{Src: `^[^\s:/@!=]+@[A-Za-z][A-Za-z0-9.\-_]+![A-Za-z][A-Za-z0-9.\-_]+$`}

// ValidTokenID checks an API token id of the form user@realm!tokenid (format pve-tokenid).
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
