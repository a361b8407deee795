package schema

import (
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
)

// Escalation is a reviewed rule that raises one call of an operation above the operation's own class
// because of what its parameters ask for. The class table says what an operation does by its endpoint; a few
// writes lose data only with some parameters (PUT …/qemu/{vmid}/config with delete naming a disk deletes
// the disk), and the gate must judge such a call at the escalated class, not at the endpoint's.
type Escalation struct {
	Method, Path string
	Class        Class
	// Rule names the escalation (the class table, the audit record); When is its condition as a model reads
	// it in describe and find ("delete names a disk or an unused volume").
	Rule, When string
	Reason     string
	If         Condition
}

// Condition is what a parameter's value must do for an escalation to apply. The values it tests are the
// validated ones (Request.Params): booleans as 0/1.
type Condition struct {
	Param string
	Test  Test
	// Values: for Names, the keys (a numbered parameter's base, "scsi", or a whole name, "efidisk0"); for
	// OneOf, the values.
	Values []string
}

// Test is how a Condition tests its parameter.
type Test int

// The tests.
const (
	// IsTrue: the boolean parameter is true.
	IsTrue Test = iota + 1
	// IsGiven: the parameter is given, with any value.
	IsGiven
	// Names: the parameter is a list of option names (pve-configid-list, split as PVE's split_list does) and
	// one of them is one of Values, or one of Values followed by a number.
	Names
	// OneOf: the value is one of Values.
	OneOf
)

// String is the condition as the class table prints it.
func (c Condition) String() string {
	switch c.Test {
	case IsTrue:
		return c.Param + " is true"
	case IsGiven:
		return c.Param + " is given"
	case Names:
		return c.Param + " names " + strings.Join(c.Values, "|")
	case OneOf:
		return c.Param + " is " + strings.Join(c.Values, "|")
	}
	return fmt.Sprintf("%s test(%d)", c.Param, int(c.Test))
}

// holds reports whether params meet the condition.
func (c Condition) holds(params url.Values) bool {
	vals, given := params[c.Param]
	if !given {
		return false
	}
	switch c.Test {
	case IsGiven:
		return true
	case IsTrue:
		for _, v := range vals {
			if b, ok := parseBoolean(v); !ok || b == "1" {
				return true // a value that is no boolean is not taken for false
			}
		}
	case OneOf:
		for _, v := range vals {
			if slices.Contains(c.Values, asciiLower(strings.TrimSpace(v))) {
				return true
			}
		}
	case Names:
		for _, v := range vals {
			for _, name := range splitList(v) {
				if namesKey(asciiLower(name), c.Values) {
					return true
				}
			}
		}
	}
	return false
}

// asciiLower lowers A-Z only: PVE's option names are ASCII and compared as they are, so an upper-case one
// is no option of PVE's; it is still taken for the one it spells, to err on the safe side.
func asciiLower(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// splitList splits a list of option names as PVE's PVE::Tools::split_list does: at NUL bytes when it holds
// any, else at commas, semicolons and white space.
func splitList(v string) []string {
	if strings.Contains(v, "\x00") {
		return strings.Split(v, "\x00")
	}
	return strings.FieldsFunc(v, func(r rune) bool {
		return r == ',' || r == ';' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v'
	})
}

// namesKey reports whether name is one of keys, or one of them followed by digits (scsi12).
func namesKey(name string, keys []string) bool {
	for _, k := range keys {
		rest, ok := strings.CutPrefix(name, k)
		if !ok {
			continue
		}
		if rest == "" || strings.Trim(rest, "0123456789") == "" {
			return true
		}
	}
	return false
}

// Disks are the option names of a VM's and a container's volumes: deleting one from the configuration
// detaches the volume, and with force (or for an unused one, always) PVE deletes it from its storage. A
// CD-ROM is an ide/sata/scsi drive too: deleting one escalates as well, which costs a confirmation, not data.
// A VM's list also has qemu-server's alias of ide2 ($opt = 'ide2' if $opt eq 'cdrom'; ide2 may be a disk) and
// vmstate, a hibernated VM's saved memory: PVE sets that key itself (no parameter is named so) and frees its
// volume when a delete list names it (try_deallocate_drive), so the VM boots cold.
var (
	vmDisks        = []string{"ide", "sata", "scsi", "virtio", "efidisk", "tpmstate", "unused", "cdrom", savedStateKey}
	containerDisks = []string{"mp", "unused"}
)

// savedStateKey is the config key of a hibernated VM's saved state.
const savedStateKey = "vmstate"

// escalations are the reviewed escalations. Each applies to the one operation it names; the tests check that
// every one names a parameter its operation takes and raises the operation's class.
//
// What was reviewed, and left a write (every DELETE is destructive already, so purge and
// destroy-unreferenced-disks, on DELETE only, need nothing; operator-only operations are refused anyway):
//   - force on POST …/qemu/{vmid}/migrate lets a VM with local devices move: it can break the VM, not its data;
//     force on POST /nodes/{node}/startall and …/subscription changes nothing stored.
//   - stop on vzdump and backup jobs aborts running backups: a backup is lost, not the guests' data, and the
//     next run makes it again. vzdump's mode=stop shuts the guest down (no forced stop) for the backup.
//   - delete on the other PUTs removes settings (firewall, HA, SDN, notification, storage options, pools'
//     members): configuration that can be set again, no stored data. PUT /cluster/backup/{id} with delete
//     naming prune-backups falls back to the storage's retention, which the operator set.
//   - revert on a VM's or container's config undoes a pending change.
//   - lock on a VM's config is root's: PVE refuses it from a token.
var escalations = []Escalation{
	// A volume deleted from the configuration: the data goes with force, or at once for an unused volume.
	{Method: "PUT", Path: "/nodes/{node}/qemu/{vmid}/config", Class: Destructive, Rule: "deletes-disk",
		When: "delete names a disk or an unused volume", If: Condition{Param: "delete", Test: Names, Values: vmDisks},
		Reason: "deleting an unused volume (or vmstate, a hibernated VM's saved memory), or a disk with force, deletes its data from the storage"},
	{Method: "POST", Path: "/nodes/{node}/qemu/{vmid}/config", Class: Destructive, Rule: "deletes-disk",
		When: "delete names a disk or an unused volume", If: Condition{Param: "delete", Test: Names, Values: vmDisks},
		Reason: "deleting an unused volume (or vmstate, a hibernated VM's saved memory), or a disk with force, deletes its data from the storage"},
	{Method: "PUT", Path: "/nodes/{node}/lxc/{vmid}/config", Class: Destructive, Rule: "deletes-disk",
		When: "delete names a mount point or an unused volume", If: Condition{Param: "delete", Test: Names, Values: containerDisks},
		Reason: "deleting an unused volume deletes its data from the storage; a mount point becomes one"},
	// A restore over a guest that exists replaces its disks and configuration with the backup's.
	{Method: "POST", Path: "/nodes/{node}/qemu", Class: Destructive, Rule: "restores-over",
		When: "force is true (a restore over an existing VM)", If: Condition{Param: "force", Test: IsTrue},
		Reason: "the VM's disks and configuration are replaced by the backup's"},
	{Method: "POST", Path: "/nodes/{node}/lxc", Class: Destructive, Rule: "restores-over",
		When: "force is true (a restore over an existing container)", If: Condition{Param: "force", Test: IsTrue},
		Reason: "the container's volumes and configuration are replaced by the backup's"},
	// A shutdown that ends in a hard stop is a stop, which the typed tools class as destructive too.
	{Method: "POST", Path: "/nodes/{node}/qemu/{vmid}/status/shutdown", Class: Destructive, Rule: "forces-stop",
		When: "forceStop is true", If: Condition{Param: "forceStop", Test: IsTrue},
		Reason: "a guest that does not shut down in time is stopped hard, losing what it had not written"},
	{Method: "POST", Path: "/nodes/{node}/lxc/{vmid}/status/shutdown", Class: Destructive, Rule: "forces-stop",
		When: "forceStop is true", If: Condition{Param: "forceStop", Test: IsTrue},
		Reason: "a container that does not shut down in time is stopped hard, losing what it had not written"},
	{Method: "POST", Path: "/cluster/ha/resources", Class: Destructive, Rule: "forces-stop",
		When: "state is stopped or disabled", If: Condition{Param: "state", Test: OneOf, Values: []string{"stopped", "disabled"}},
		Reason: "HA stops a guest with a shutdown that forces a stop after 60 seconds (forceStop)"},
	{Method: "PUT", Path: "/cluster/ha/resources/{sid}", Class: Destructive, Rule: "forces-stop",
		When: "state is stopped or disabled", If: Condition{Param: "state", Test: OneOf, Values: []string{"stopped", "disabled"}},
		Reason: "HA stops a guest with a shutdown that forces a stop after 60 seconds (forceStop)"},
	// Moving a volume and deleting the original is a move and a delete of the unused volume in one call.
	{Method: "POST", Path: "/nodes/{node}/qemu/{vmid}/move_disk", Class: Destructive, Rule: "deletes-source",
		When: "delete is true", If: Condition{Param: "delete", Test: IsTrue},
		Reason: "the original disk is deleted, not kept as an unused volume: the same as deleting that unused volume"},
	{Method: "POST", Path: "/nodes/{node}/lxc/{vmid}/move_volume", Class: Destructive, Rule: "deletes-source",
		When: "delete is true", If: Condition{Param: "delete", Test: IsTrue},
		Reason: "the original volume is deleted, not kept as an unused volume: the same as deleting that unused volume"},
	// A retention given to a backup, a backup job or a storage removes the older backups beyond it: at once
	// for vzdump, at the next run for the others. Backups are what a loss is recovered from.
	pruning("POST", "/nodes/{node}/vzdump", "prune-backups"),
	pruning("POST", "/nodes/{node}/vzdump", "maxfiles"),
	pruning("POST", "/cluster/backup", "prune-backups"),
	pruning("POST", "/cluster/backup", "maxfiles"),
	pruning("PUT", "/cluster/backup/{id}", "prune-backups"),
	pruning("PUT", "/cluster/backup/{id}", "maxfiles"),
	pruning("POST", "/storage", "prune-backups"),
	pruning("PUT", "/storage/{storage}", "prune-backups"),
	// Marking a replication job for removal is what DELETE /cluster/replication/{id} does.
	{Method: "POST", Path: "/cluster/replication", Class: Destructive, Rule: "removes-replication",
		When: "remove_job is given", If: Condition{Param: "remove_job", Test: IsGiven},
		Reason: "the job removes its replication snapshots, and with full the replicated volumes on the target"},
	{Method: "PUT", Path: "/cluster/replication/{id}", Class: Destructive, Rule: "removes-replication",
		When: "remove_job is given", If: Condition{Param: "remove_job", Test: IsGiven},
		Reason: "the job removes its replication snapshots, and with full the replicated volumes on the target"},
	// A container's init command is a command run in the guest, as root, at its next start: what the exec tools
	// allow only for the operator's programs (PROXMOX_EXEC_ALLOW). Checked by VM.Config.Options alone in PVE.
	initCommand("POST", "/nodes/{node}/lxc"),
	initCommand("PUT", "/nodes/{node}/lxc/{vmid}/config"),
	// Ignoring a guest's lock changes it under a backup, migration, clone, snapshot or restore in progress.
	skipping("PUT", "/nodes/{node}/qemu/{vmid}/config"),
	skipping("POST", "/nodes/{node}/qemu/{vmid}/config"),
	skipping("POST", "/nodes/{node}/qemu/{vmid}/status/start"),
	skipping("POST", "/nodes/{node}/qemu/{vmid}/status/shutdown"),
	skipping("POST", "/nodes/{node}/qemu/{vmid}/status/suspend"),
	skipping("POST", "/nodes/{node}/qemu/{vmid}/status/resume"),
	skipping("PUT", "/nodes/{node}/qemu/{vmid}/resize"),
	skipping("POST", "/nodes/{node}/lxc/{vmid}/status/start"),
}

func pruning(method, path, param string) Escalation {
	return Escalation{Method: method, Path: path, Class: Destructive, Rule: "prunes-backups",
		When: param + " is given", If: Condition{Param: param, Test: IsGiven},
		Reason: "the older backups beyond the retention it gives are removed (keep-last=1 keeps one)"}
}

func initCommand(method, path string) Escalation {
	return Escalation{Method: method, Path: path, Class: OperatorOnly, Rule: "sets-init",
		When: "entrypoint is given", If: Condition{Param: "entrypoint", Test: IsGiven},
		Reason: "the container runs it as its init, as root, when it next starts: any command in the guest, outside the exec tools' allowlist, so the operator names the operation in PROXMOX_API_ALLOW"}
}

func skipping(method, path string) Escalation {
	return Escalation{Method: method, Path: path, Class: Destructive, Rule: "skips-lock",
		When: "skiplock is true", If: Condition{Param: "skiplock", Test: IsTrue},
		Reason: "it acts on a guest locked by a backup, migration, snapshot or restore in progress, which can break that copy or the guest"}
}

// Escalations returns every reviewed escalation, in the table's order.
func Escalations() []Escalation { return slices.Clone(escalations) }

// Escalations returns the escalations of this operation.
func (o *Operation) Escalations() []Escalation {
	var out []Escalation
	for _, e := range escalations {
		if e.Method == o.Method && e.Path == o.Path {
			out = append(out, e)
		}
	}
	return out
}

// ClassFor is the class of a call of the operation with these (validated) parameters: the operation's own,
// or higher where an escalation applies; applied are the escalations that decided it.
func (o *Operation) ClassFor(params url.Values) (c Class, applied []Escalation) {
	c = o.Class
	for _, e := range o.Escalations() {
		if e.Class > o.Class && e.If.holds(params) {
			applied = append(applied, e)
			c = max(c, e.Class)
		}
	}
	return c, applied
}

// EscalationText says when calls of the operation are judged above its class: "destructive when delete names
// a disk or an unused volume, or skiplock is true"; "" when never.
func (o *Operation) EscalationText() string {
	byClass := map[Class][]string{}
	var classes []Class
	for _, e := range o.Escalations() {
		if e.Class <= o.Class {
			continue
		}
		if byClass[e.Class] == nil {
			classes = append(classes, e.Class)
		}
		if !slices.Contains(byClass[e.Class], e.When) {
			byClass[e.Class] = append(byClass[e.Class], e.When)
		}
	}
	parts := make([]string, 0, len(classes))
	for _, c := range classes {
		parts = append(parts, c.String()+" when "+strings.Join(byClass[c], ", or "))
	}
	return strings.Join(parts, "; ")
}

// writeEscalations appends the escalations to the class table, one line each: class, method, path, rule and
// the exact condition.
func writeEscalations(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %d escalations: a call is judged at the class of the first column when its parameters meet the condition.\n", len(escalations))
	for _, e := range escalations {
		fmt.Fprintf(&b, "%-13s %-6s %s  %s: %s\n", e.Class, e.Method, e.Path, e.Rule, e.If)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
