package pve

import (
	"fmt"
	"strconv"
	"time"

	"github.com/proxmox-mcp/proxmox-mcp/pve/internal/lazyre"
)

// upidPattern is PVE's own parser (pve-common src/PVE/UPID.pm): anything it rejects, we reject. Perl's \s
// also matches \v and, on character strings, Unicode spaces; RE2's does not, so the class spells them out.
var upidPattern = &lazyre.Regexp{Src: `^UPID:([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?):([0-9A-Fa-f]{8}):([0-9A-Fa-f]{8,9}):([0-9A-Fa-f]{8}):(` +
	upidField + `+):(` + upidField + `*):(` + upidField + `+):$`}

const upidField = `[^:/\s\v\x{85}\p{Z}]`

// maxUPIDLen bounds the input before the regexp sees it; real UPIDs are under 150 bytes.
const maxUPIDLen = 512

// UPID identifies a Proxmox task: UPID:NODE:PID:PSTART:STARTTIME:TYPE:ID:USER:. The node in it is where
// the task runs and where its status must be read.
type UPID struct {
	Node      string
	PID       uint32
	PStart    uint64
	StartTime time.Time
	Type      string // qmstart, vzdump, ...
	ID        string // usually the vmid; the source vmid for clones; may be empty
	User      string // user@realm or user@realm!tokenid
	raw       string
}

// ParseUPID parses a task id strictly. A malformed id is an error, never a panic.
func ParseUPID(s string) (UPID, error) {
	if len(s) > maxUPIDLen {
		return UPID{}, fmt.Errorf("task id is %d bytes long: not a UPID", len(s))
	}
	m := upidPattern.FindStringSubmatch(s)
	if m == nil {
		return UPID{}, fmt.Errorf("task id %s is not a UPID (UPID:node:pid:pstart:starttime:type:id:user:)", quote(s))
	}
	pid, err := strconv.ParseUint(m[3], 16, 32)
	if err != nil {
		return UPID{}, fmt.Errorf("task id %s: pid: %w", quote(s), err)
	}
	pstart, err := strconv.ParseUint(m[4], 16, 64)
	if err != nil {
		return UPID{}, fmt.Errorf("task id %s: pstart: %w", quote(s), err)
	}
	start, err := strconv.ParseInt(m[5], 16, 64)
	if err != nil {
		return UPID{}, fmt.Errorf("task id %s: starttime: %w", quote(s), err)
	}
	return UPID{
		Node:      m[1],
		PID:       uint32(pid),
		PStart:    pstart,
		StartTime: time.Unix(start, 0).UTC(),
		Type:      m[6],
		ID:        m[7],
		User:      m[8],
		raw:       s,
	}, nil
}

// String is the task id exactly as Proxmox wrote it.
func (u UPID) String() string { return u.raw }

// IsZero reports whether u was never parsed.
func (u UPID) IsZero() bool { return u.raw == "" }

// MarshalText writes the raw task id, so a UPID prints the same in JSON as in text.
func (u UPID) MarshalText() ([]byte, error) { return []byte(u.raw), nil }
