package gate

import (
	"fmt"
	"slices"
	"strings"
)

// EnvAPIAllow is the operator's list of operator-only operations the generic API tools may call: a comma list
// of "METHOD /path/template".
const EnvAPIAllow = "PROXMOX_API_ALLOW"

// Operation is what a generic API call (proxmox_api_get, proxmox_api_call) reaches, as the gate decides on
// it. Such a tool is registered at its worst case, which its annotations state; each call is judged at the
// tier of its own operation's class instead, between the two bounds that keep the annotations true: never
// above the registered tier, and, for a tool that writes, never below Write (every write is confirmed).
type Operation struct {
	Key   string // "METHOD /path/template", as PROXMOX_API_ALLOW names it
	Class string // read, write, destructive or operator-only: the words of a refusal
	Tier  Tier   // the tier the class needs
	// Escalated says, when the call's parameters raised it above its operation's class, what they do
	// ("delete names a disk or an unused volume"): Class and Tier are then the raised ones.
	Escalated string
	// OperatorOnly: refused unless the operator named Key in PROXMOX_API_ALLOW; an allowed one is called at
	// Tier (destructive, for one that writes).
	OperatorOnly bool
	// Never, when set, says why no generic call may send the operation, whatever PROXMOX_API_ALLOW says.
	Never string
}

// PolicyOption configures a Policy.
type PolicyOption func(*Policy)

// WithAPIAllow names the operator-only operations ("METHOD /path/template") the generic tools may call: the
// operator's PROXMOX_API_ALLOW, checked against the schema by the caller.
func WithAPIAllow(keys []string) PolicyOption {
	return func(p *Policy) {
		for _, k := range keys {
			p.apiAllow[k] = true
		}
	}
}

// Allowed reports whether the operator named an operation in PROXMOX_API_ALLOW.
func (p *Policy) Allowed(key string) bool { return p.apiAllow[key] }

// judgement is how the gate judges one call: at which tier, and what the operator must allow beyond it.
type judgement struct {
	op    *Operation
	tier  Tier
	unmet []string // the operator's conditions the call misses (the allow-list)
	// never is the refusal of a call no condition can allow.
	never string
}

// judge decides the tier a call is judged at: its registered tier, or for a generic call its operation's,
// kept between the bounds the registration promises.
func (p *Policy) judge(tool string, registered Tier, op *Operation) judgement {
	j := judgement{op: op, tier: registered}
	if op == nil {
		return j
	}
	switch {
	case op.Never != "":
		j.never = fmt.Sprintf("%s is never sent by %s, whatever %s says: %s", op.Key, tool, EnvAPIAllow, op.Never)
		return j
	case !op.Tier.Valid():
		j.never = fmt.Sprintf("%s has no known tier: refusing", op.Key)
		return j
	case op.Tier > registered:
		// The tool's annotations promise no more than its registered tier: a call beyond it is a bug, not a
		// call to let through.
		j.never = fmt.Sprintf("%s is %s %s operation, beyond what %s is registered for (%s)", op.Key, article(op.Class), op.Class, tool, registered)
		return j
	}
	j.tier = op.Tier
	if registered > Read && j.tier < Write {
		j.tier = Write
	}
	if op.OperatorOnly && !p.Allowed(op.Key) {
		j.unmet = append(j.unmet, fmt.Sprintf("the operator naming %q in %s (not named)", op.Key, EnvAPIAllow))
	}
	return j
}

// apply adds the operator's unmet conditions to the tier's decision.
func (j judgement) apply(d Decision) Decision {
	if len(j.unmet) == 0 {
		return d
	}
	d.NeedsOperator = true
	if d.DryRun {
		d.Unmet = append(d.Unmet, j.unmet...)
		return d
	}
	d.Missing = append(d.Missing, j.unmet...)
	d.Allow = false
	return d
}

// refusal is the text of a refused call: the tool's, or for a generic call its operation's.
func (j judgement) refusal(tool string, d Decision) string {
	if j.op == nil {
		return Refusal(tool, j.tier, d)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Refused, nothing was sent to Proxmox: %s; %s sends it only with ", j.subject(), tool)
	writeList(&b, d.Missing)
	b.WriteString(".")
	if d.NeedsOperator || len(d.ClusterSettings) > 0 {
		b.WriteString(" " + j.operatorAdvice(d.Missing, d.ClusterSettings))
	}
	if j.tier != Read {
		fmt.Fprintf(&b, " To see what would be sent without changing anything, call it with %s: true.", ArgDryRun)
	}
	return b.String()
}

// subject names the operation and its class: "PUT /cluster/firewall/options is a write operation".
func (j judgement) subject() string {
	s := fmt.Sprintf("%s is %s %s operation", j.op.Key, article(j.op.Class), j.op.Class)
	if j.op.Escalated != "" {
		s += " when " + j.op.Escalated + ", as here"
	}
	if j.op.OperatorOnly && j.tier == Destructive {
		s += " (destructive once allowed)"
	}
	return s
}

func article(word string) string {
	if word != "" && strings.ContainsRune("aeiou", rune(word[0])) {
		return "an"
	}
	return "a"
}

// operatorAdvice says which of the operator's settings stand in the way (the server's switch, the cluster's
// settings in the targets file, the allow-list), and that they are the operator's.
func (j judgement) operatorAdvice(missing, clusterSettings []string) string {
	var actions []string
	if slices.ContainsFunc(missing, func(m string) bool { return strings.Contains(m, EnvDestructive) }) {
		actions = append(actions, "set "+EnvDestructive+"=1")
	}
	for _, s := range clusterSettings {
		actions = append(actions, "set "+s+" in the targets file (PROXMOX_TARGETS)")
	}
	if len(j.unmet) > 0 {
		actions = append(actions, fmt.Sprintf("add %q to %s", j.op.Key, EnvAPIAllow))
	}
	var b strings.Builder
	b.WriteString("These are the operator's decisions: ask the person whether they want to ")
	writeList(&b, actions)
	b.WriteString(" for this server and restart it. Do not change the server's configuration or environment yourself.")
	return b.String()
}

// operationDryRunNote is DryRunNote for a generic call.
func operationDryRunNote(op *Operation, p Permit) string {
	j := judgement{op: op, tier: p.Tier}
	if op.OperatorOnly && slices.ContainsFunc(p.Unmet, func(s string) bool { return strings.Contains(s, EnvAPIAllow) }) {
		j.unmet = []string{EnvAPIAllow}
	}
	if len(p.Unmet) == 0 {
		return fmt.Sprintf("The real call would be allowed: it has every confirmation %s %s operation needs.", article(op.Class), op.Class)
	}
	var b strings.Builder
	subject, and := j.subject(), " and needs "
	if strings.HasSuffix(subject, ", as here") {
		and = ", and needs " // the aside is closed before the sentence goes on
	}
	fmt.Fprintf(&b, "The real call would be refused as it stands: %s%s", subject, and)
	writeList(&b, p.Unmet)
	b.WriteString(".")
	if p.NeedsOperator || len(p.ClusterSettings) > 0 {
		b.WriteString(" " + j.operatorAdvice(p.Unmet, p.ClusterSettings))
	}
	return b.String()
}

// key is the operation a record names, "" for a typed tool.
func (j judgement) key() string {
	if j.op == nil {
		return ""
	}
	return j.op.Key
}

// escalated is what raised a generic call above its operation's class, "" for none.
func (j judgement) escalated() string {
	if j.op == nil {
		return ""
	}
	return j.op.Escalated
}
