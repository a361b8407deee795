package gate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// Argument names the gate reads. Every write tool declares confirm and dry_run; destructive tools also
// declare destructive.
const (
	ArgConfirm     = "confirm"
	ArgDestructive = "destructive"
	ArgDryRun      = "dry_run"
)

// EnvDestructive is the operator's switch for destructive tools.
const EnvDestructive = "PROXMOX_ENABLE_DESTRUCTIVE"

// Decision is what the gate decided for one call.
type Decision struct {
	Allow  bool
	DryRun bool
	// Missing names every unmet condition, in a fixed order, each saying what is needed and what was given.
	Missing []string
	// Unmet is, for a dry run (which needs no confirmation), what the real call would miss.
	Unmet []string
	// NeedsOperator is set when the operator's switch is one of the missing (or, for a dry run, unmet) conditions.
	NeedsOperator bool
	// ClusterSettings names the targets file's settings for the call's cluster that stand in the way (only the
	// operator changes them); nil when none does.
	ClusterSettings []string
	// Invalid is, when an argument the gate reads is malformed (an exec call's command that is no argv array),
	// what is wrong with it: the call is refused as invalid input, not for a missing condition.
	Invalid string
}

// Cluster is the cluster a call acts on, as the gate sees it: its name, for the audit trail, and the operator's
// settings for it in the targets file, which can only narrow the server's own: a read_only cluster takes no
// write, and a destructive call needs the cluster's enable_destructive as well as PROXMOX_ENABLE_DESTRUCTIVE=1.
type Cluster struct {
	Name        string
	ReadOnly    bool // read_only = true
	Destructive bool // enable_destructive = true (a cluster configured from the environment has it)
}

// Decide applies the tier's rules to a call's raw arguments (a JSON object). Only the JSON literal true counts:
// "true", 1 and "1" do not, though mcp-go's own helpers would accept them.
func Decide(t Tier, m map[string]json.RawMessage, destructiveEnabled bool) Decision {
	return DecideFor(t, m, destructiveEnabled, nil)
}

// DecideFor is Decide for a call to cluster cl, whose settings narrow the server's; nil means no cluster of
// a targets file (only the server's switch applies).
func DecideFor(t Tier, m map[string]json.RawMessage, destructiveEnabled bool, cl *Cluster) Decision {
	if t == Read {
		return Decision{Allow: true}
	}
	d := conditions(t, m, destructiveEnabled, cl)
	if isTrue(m[ArgDryRun]) {
		// A dry run only reads; the handler sees DryRun and builds the request without sending it.
		return Decision{Allow: true, DryRun: true, Unmet: d.Missing, NeedsOperator: d.NeedsOperator, ClusterSettings: d.ClusterSettings}
	}
	return d
}

// conditions checks a real call's conditions, in a fixed order.
func conditions(t Tier, m map[string]json.RawMessage, destructiveEnabled bool, cl *Cluster) Decision {
	var d Decision
	if !isTrue(m[ArgConfirm]) {
		d.Missing = append(d.Missing, literal(ArgConfirm, m[ArgConfirm]))
	}
	if t == Destructive {
		if !isTrue(m[ArgDestructive]) {
			d.Missing = append(d.Missing, literal(ArgDestructive, m[ArgDestructive]))
		}
		if !destructiveEnabled {
			d.Missing = append(d.Missing, fmt.Sprintf("the server setting %s=1 (off)", EnvDestructive))
			d.NeedsOperator = true
		}
		if cl != nil && !cl.Destructive {
			d.Missing = append(d.Missing, fmt.Sprintf("enable_destructive = true for cluster %s in the targets file (off)", cl.Name))
			d.NeedsOperator = true
			d.ClusterSettings = append(d.ClusterSettings, "enable_destructive = true for cluster "+cl.Name)
		}
	}
	if t != Read && cl != nil && cl.ReadOnly {
		d.Missing = append(d.Missing, fmt.Sprintf("a cluster that takes writes (%s is read_only in the targets file)", cl.Name))
		d.NeedsOperator = true
		d.ClusterSettings = append(d.ClusterSettings, "read_only = false for cluster "+cl.Name)
	}
	if !t.Valid() {
		d.Missing = append(d.Missing, "a known tier (this tool has none: refusing)")
	}
	d.Allow = len(d.Missing) == 0
	return d
}

// isTrue reports whether raw is exactly the JSON literal true.
func isTrue(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "true" }

// literal says what a confirmation argument needs and what it got instead.
func literal(name string, raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return fmt.Sprintf("%s: true (missing)", name)
	case string(raw) == "false":
		return fmt.Sprintf("%s: true (it is false)", name)
	default:
		return fmt.Sprintf("%s: true (got %s; only the JSON literal true counts)", name, describe(raw))
	}
}

// nearMisses are the values a model sends when it means true; only these are echoed back. Anything else is
// described by its JSON kind, because echoing even a prefix of an arbitrary value could print part of a
// secret that ended up in the argument, in a result and in the audit trail, where no redactor recognises a
// fragment.
var nearMisses = map[string]bool{`"true"`: true, `"True"`: true, `"TRUE"`: true, `1`: true, `"1"`: true, `"yes"`: true, `"on"`: true}

func describe(raw json.RawMessage) string {
	if nearMisses[string(raw)] {
		return string(raw)
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 'n':
		return "null"
	}
	return "a number"
}

// Refusal is the text a refused call returns: every missing condition at once, and, when the operator's
// switch is missing, that the decision belongs to a person.
func Refusal(tool string, t Tier, d Decision) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Refused, nothing was sent to Proxmox: %s is %s and needs ", tool, t.ToolPhrase())
	writeList(&b, d.Missing)
	b.WriteString(".")
	switch {
	case len(d.ClusterSettings) > 0:
		b.WriteString(" " + operatorSettings(d))
	case d.NeedsOperator:
		fmt.Fprintf(&b, " Enabling destructive tools is the operator's decision: ask the person whether they want to set %s=1 "+
			"for this server and restart it. Do not change the server's configuration or environment yourself.", EnvDestructive)
	}
	if t != Read {
		fmt.Fprintf(&b, " To see what would be sent without changing anything, call it with %s: true.", ArgDryRun)
	}
	return b.String()
}

// InvalidRefusal is the text of a call refused for a malformed argument the gate reads: what to correct,
// then what the corrected call would still need. A dry run would not help, so none is suggested.
func InvalidRefusal(d Decision) string {
	var b strings.Builder
	b.WriteString("Invalid arguments, nothing was sent to Proxmox: " + d.Invalid + ".")
	if len(d.Missing) > 0 {
		b.WriteString(" Corrected, the call still needs ")
		writeList(&b, d.Missing)
		b.WriteString(".")
	}
	return b.String()
}

// DryRunNote says, for a dry run, whether the real call would go through and what it would still need.
func DryRunNote(tool string, t Tier, p Permit) string {
	if p.Op != nil {
		return operationDryRunNote(p.Op, p)
	}
	if len(p.Unmet) == 0 {
		return "The real call would be allowed: it has every confirmation its tier needs."
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The real call would be refused as it stands: %s is %s and needs ", tool, t.ToolPhrase())
	writeList(&b, p.Unmet)
	b.WriteString(".")
	switch {
	case len(p.ClusterSettings) > 0:
		b.WriteString(" " + operatorSettings(Decision{NeedsOperator: true, ClusterSettings: p.ClusterSettings, Unmet: p.Unmet}))
	case p.NeedsOperator:
		fmt.Fprintf(&b, " Enabling destructive tools is the operator's decision (%s=1); ask the person, do not change the server's configuration yourself.", EnvDestructive)
	}
	return b.String()
}

// operatorSettings says which of the operator's settings stand in the way, the server's switch among them
// when it is missing too.
func operatorSettings(d Decision) string {
	var settings []string
	for _, m := range append(d.Missing, d.Unmet...) {
		if strings.Contains(m, EnvDestructive) {
			settings = append(settings, EnvDestructive+"=1 for this server")
		}
	}
	settings = append(settings, d.ClusterSettings...)
	var b strings.Builder
	b.WriteString("These are the operator's decisions: ask the person whether they want to set ")
	writeList(&b, settings)
	b.WriteString(" (PROXMOX_TARGETS names the targets file) and restart the server. Do not change the server's configuration or environment yourself.")
	return b.String()
}

func writeList(b *strings.Builder, items []string) {
	for i, m := range items {
		switch {
		case i == 0:
		case i == len(items)-1:
			b.WriteString(" and ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(m)
	}
}
