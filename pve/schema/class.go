package schema

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// Class is what an operation can do, which decides what the gate asks before it is sent.
type Class int

// The four classes.
const (
	// Read operations are GETs that return cluster state.
	Read Class = iota + 1
	// Write operations change the cluster in ways that can be undone or repeated safely.
	Write
	// Destructive operations lose data or state: every DELETE, stopping, resetting, rolling back, wiping.
	Destructive
	// OperatorOnly operations can grant power or run code, or read secrets or guest data: access control,
	// node power, cluster membership, certificates, repositories, consoles and shells, guest-agent exec and
	// file access. The generic tools refuse them unless the operator names them.
	OperatorOnly
)

// Classes lists the classes in order of increasing power.
var Classes = []Class{Read, Write, Destructive, OperatorOnly}

func (c Class) String() string {
	switch c {
	case Read:
		return "read"
	case Write:
		return "write"
	case Destructive:
		return "destructive"
	case OperatorOnly:
		return "operator-only"
	}
	return fmt.Sprintf("class(%d)", int(c))
}

// ParseClass reads a class name as String writes it.
func ParseClass(s string) (Class, bool) {
	for _, c := range Classes {
		if c.String() == s {
			return c, true
		}
	}
	return 0, false
}

// Exception is a reviewed decision that overrides the rules for one operation.
type Exception struct {
	Method, Path string
	Class        Class
	Reason       string
}

// exceptions are the operations the rules below would get wrong, each with why. Keep them few: a rule that
// covers several operations belongs in rules.
var exceptions = []Exception{
	{"GET", "/cluster/acme/plugins", OperatorOnly, "returns the ACME DNS plugins' configuration, API credentials included"},
	{"GET", "/cluster/acme/plugins/{id}", OperatorOnly, "returns an ACME DNS plugin's configuration, API credentials included"},
	{"GET", "/nodes/{node}/storage/{storage}/file-restore/list", OperatorOnly, "lists the files inside a guest's backup: guest data"},
	{"GET", "/nodes/{node}/storage/{storage}/file-restore/download", OperatorOnly, "downloads files from inside a guest's backup: guest data"},
	{"GET", "/nodes/{node}/qemu/{vmid}/cloudinit/dump", OperatorOnly, "the generated cloud-init user data holds the guest's password hash and SSH keys"},
	{"POST", "/nodes/{node}/qemu/{vmid}/monitor", OperatorOnly, "runs QEMU monitor commands, which can read guest memory and change devices"},
	{"POST", "/nodes/{node}/qemu/{vmid}/dbus-vmstate", OperatorOnly, "internal to live migration"},
	{"POST", "/nodes/{node}/qemu/{vmid}/remote_migrate", OperatorOnly, "sends the guest's disks and memory to another cluster the caller names"},
	{"POST", "/nodes/{node}/lxc/{vmid}/remote_migrate", OperatorOnly, "sends the container's volumes to another cluster the caller names"},
	{"POST", "/nodes/{node}/qemu/{vmid}/template", Destructive, "turning a VM into a template cannot be undone: it can no longer run"},
	{"POST", "/nodes/{node}/lxc/{vmid}/template", Destructive, "turning a container into a template cannot be undone: it can no longer run"},
	{"POST", "/cluster/ha/resources/{sid}/relocate", Destructive, "HA relocates a running guest by a shutdown that forces a stop after 60 seconds (forceStop)"},
	{"PUT", "/nodes/{node}/network", Destructive, "applies pending interface changes; a bad one cuts the node off and the API cannot undo it"},
}

// Exceptions returns the reviewed exceptions to the class rules.
func Exceptions() []Exception { return slices.Clone(exceptions) }

// neverGeneric are the operations the generic tools never send, whatever the operator allows: guest-agent
// exec runs commands in the guest and gets its own typed tool with a command allowlist.
var neverGeneric = []string{
	"POST /nodes/{node}/qemu/{vmid}/agent/exec",
	"GET /nodes/{node}/qemu/{vmid}/agent/exec-status",
}

// rule derives a class from what the schema says of an operation. The first rule that applies decides.
type rule struct {
	name    string
	class   Class
	applies func(o *Operation) bool
}

var (
	// powerPrivileges change who may do what.
	powerPrivileges = []string{"Permissions.Modify", "User.Modify", "Realm.Allocate", "Realm.AllocateUser", "Group.Allocate"}
	// consoleSegments open a terminal, a display or a raw tunnel into a node or guest.
	consoleSegments = []string{"termproxy", "vncshell", "spiceshell", "vncwebsocket", "vncproxy", "spiceproxy", "mtunnel", "mtunnelwebsocket"}
	// agentPrivileges are the guest-agent privileges that run commands or touch the guest's files.
	agentPrivileges = []string{"VM.GuestAgent.Unrestricted", "VM.GuestAgent.FileRead", "VM.GuestAgent.FileWrite"}
	// losingSegments end operations that throw state away.
	losingSegments = []string{"stop", "reset", "rollback", "wipedisk", "initgpt", "unlink"}
	// diskFormatting are the operations that put a new filesystem, volume group or OSD on a whole disk.
	diskFormatting = []string{
		"POST /nodes/{node}/disks/lvm", "POST /nodes/{node}/disks/lvmthin", "POST /nodes/{node}/disks/directory",
		"POST /nodes/{node}/disks/zfs", "POST /nodes/{node}/ceph/osd",
	}
)

var rules = []rule{
	{"access-control", OperatorOnly, func(o *Operation) bool {
		return o.Method != "GET" && under(o.Path, "/access")
	}},
	{"grants-privileges", OperatorOnly, func(o *Operation) bool {
		return o.Method != "GET" && o.Permission.Check.grantsPower()
	}},
	{"console", OperatorOnly, func(o *Operation) bool { return slices.Contains(consoleSegments, o.lastSegment()) }},
	{"vm-console", OperatorOnly, func(o *Operation) bool {
		return o.Method != "GET" && o.Permission.Check.names("VM.Console")
	}},
	{"guest-agent-unrestricted", OperatorOnly, func(o *Operation) bool {
		c := o.Permission.Check
		return c != nil && c.Kind == "perm" && len(c.Privs) > 0 && allIn(c.Privs, agentPrivileges)
	}},
	{"node-power", OperatorOnly, func(o *Operation) bool {
		if o.Method == "GET" {
			return false
		}
		last := o.lastSegment()
		return o.Permission.Check.names("Sys.PowerMgmt") || last == "stopall" || last == "suspendall" ||
			under(o.Path, "/cluster/bulk-action/guest") && (last == "shutdown" || last == "suspend")
	}},
	{"cluster-membership", OperatorOnly, func(o *Operation) bool {
		return o.Method != "GET" && under(o.Path, "/cluster/config")
	}},
	{"certificates", OperatorOnly, func(o *Operation) bool {
		return o.Method != "GET" && (under(o.Path, "/nodes/{node}/certificates") || under(o.Path, "/cluster/acme"))
	}},
	{"repositories", OperatorOnly, func(o *Operation) bool {
		return o.Method != "GET" && under(o.Path, "/nodes/{node}/apt")
	}},
	{"migration-tunnel", OperatorOnly, func(o *Operation) bool { return o.Permission.Check.names("Sys.Incoming") }},
	{"delete", Destructive, func(o *Operation) bool { return o.Method == "DELETE" }},
	{"loses-state", Destructive, func(o *Operation) bool {
		return o.Method != "GET" && slices.Contains(losingSegments, o.lastSegment())
	}},
	{"formats-disk", Destructive, func(o *Operation) bool { return slices.Contains(diskFormatting, o.Key()) }},
	{"root-only", OperatorOnly, func(o *Operation) bool { return o.Method != "GET" && !o.Permission.Defined }},
	{"read", Read, func(o *Operation) bool { return o.Method == "GET" }},
	{"write", Write, func(*Operation) bool { return true }},
}

// classifyOne sets an operation's class, rule and NeverGeneric flag.
func classifyOne(o *Operation) {
	o.NeverGeneric = slices.Contains(neverGeneric, o.Key())
	for _, e := range exceptions {
		if e.Method == o.Method && e.Path == o.Path {
			o.Class, o.ClassRule = e.Class, "exception"
			return
		}
	}
	for _, r := range rules {
		if r.applies(o) {
			o.Class, o.ClassRule = r.class, r.name
			return
		}
	}
}

// under reports whether path is prefix or below it.
func under(path, prefix string) bool {
	return path == prefix || strings.HasPrefix(path, prefix+"/")
}

func (o *Operation) lastSegment() string {
	for i := len(o.segs) - 1; i >= 0; i-- {
		if _, isVar := varName(o.segs[i]); !isVar {
			return o.segs[i]
		}
	}
	return ""
}

func allIn(have, set []string) bool {
	for _, h := range have {
		if !slices.Contains(set, h) {
			return false
		}
	}
	return true
}

// names reports whether the expression mentions a privilege anywhere.
func (c *Check) names(priv string) bool {
	if c == nil {
		return false
	}
	if slices.Contains(c.Privs, priv) {
		return true
	}
	for _, sc := range c.Checks {
		if sc.names(priv) {
			return true
		}
	}
	return false
}

// grantsPower reports whether the expression guards a change of privileges: it names a user, group, realm
// or permission privilege, or is one of the user/ACL checks.
func (c *Check) grantsPower() bool {
	if c == nil {
		return false
	}
	switch c.Kind {
	case "perm-modify", "userid-group", "userid-param":
		return true
	}
	for _, p := range powerPrivileges {
		if slices.Contains(c.Privs, p) {
			return true
		}
	}
	for _, sc := range c.Checks {
		if sc.grantsPower() {
			return true
		}
	}
	return false
}

// ClassCounts returns how many operations each class has.
func ClassCounts() map[Class]int {
	out := map[Class]int{}
	for _, o := range Operations() {
		out[o.Class]++
	}
	return out
}

// WriteClassTable writes the class of every operation, one line each (class, method, path, the rule or
// "exception" that decided it), sorted by path, and then the escalations by parameters: classes.txt, and
// what `proxmox-mcp api classes` prints.
func WriteClassTable(w io.Writer) error {
	counts := ClassCounts()
	var b strings.Builder
	b.WriteString("# The class of every Proxmox VE API operation (schema of PVE 9.1.3), as package schema derives it.\n")
	b.WriteString("# Generated by go generate ./pve/schema; do not edit. Columns: class, method, path, deciding rule.\n")
	fmt.Fprintf(&b, "# %d operations:", len(Operations()))
	for i, c := range Classes {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, " %d %s", counts[c], c)
	}
	b.WriteString("\n")
	for _, o := range Operations() {
		fmt.Fprintf(&b, "%-13s %-6s %s  %s", o.Class, o.Method, o.Path, o.ClassRule)
		if o.NeverGeneric {
			b.WriteString(" never-generic")
		}
		b.WriteString("\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	return writeEscalations(w)
}
